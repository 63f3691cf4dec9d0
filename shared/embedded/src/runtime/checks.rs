//! The invariants of a run, checked from the carrier's own log of what it
//! placed (not from the pipeline's bookkeeping, which is what is under test).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use campaign_core::campaign::Campaign;
use campaign_core::contact::Contact;
use campaign_core::ids::{CallId, CampaignId};
use campaign_core::messages::CallPurpose;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::PageRequest;
use campaign_core::usecases::UseCaseResult;

use crate::carrier::{peak_concurrency_of, peak_rate_of};

use super::Local;

/// One checked invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    /// What was measured (e.g. the peak seen against the limit).
    pub detail: String,
}

impl Check {
    fn new(name: &str, passed: bool, detail: String) -> Self {
        Self {
            name: name.to_owned(),
            passed,
            detail,
        }
    }
}

pub async fn all_contacts(local: &Local, campaign: &CampaignId) -> UseCaseResult<Vec<Contact>> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(5000);
    loop {
        let p = local.contacts().list(campaign, page.clone()).await?;
        out.extend(p.items);
        match p.next {
            Some(n) => page.cursor = Some(n),
            None => return Ok(out),
        }
    }
}

/// Checks every invariant for `campaigns` after a run. Reads the carrier's
/// log in place: at simulator scale a copy of it costs seconds.
pub async fn check_run(local: &Local, campaigns: &[Campaign]) -> UseCaseResult<Vec<Check>> {
    let by_campaign: HashMap<&str, &Campaign> =
        campaigns.iter().map(|c| (c.id.as_str(), c)).collect();

    // Per contact: its zone (windows), and attempts / terminal (5, 6).
    let mut zones: HashMap<String, Option<chrono_tz::Tz>> = HashMap::new();
    let mut over_max = 0;
    let mut unfinished = 0;
    let mut total_contacts = 0;
    for c in campaigns {
        let max = c.settings.retry.max_attempts;
        let mut page = PageRequest::first(5000);
        loop {
            let p = local.contacts().list(&c.id, page.clone()).await?;
            for contact in p.items {
                total_contacts += 1;
                if contact.attempts > max {
                    over_max += 1;
                }
                if !contact.status.is_terminal() {
                    unfinished += 1;
                }
                zones.insert(contact.id.to_string(), contact.timezone);
            }
            match p.next {
                Some(n) => page.cursor = Some(n),
                None => break,
            }
        }
    }

    // 1. Never a blacklisted number (campaign or TTS call) at or after its
    // listing: the numbers dialled, then their entries.
    let phones: Vec<PhoneNumber> = local.carrier.with_log(|log, _| {
        log.iter()
            .filter(|o| by_campaign.contains_key(o.campaign.as_str()))
            .map(|o| &o.phone)
            .collect::<HashSet<_>>()
            .into_iter()
            .cloned()
            .collect()
    });
    let listed = local.blacklist().contains_any(&phones).await?;
    let mut listed_at = HashMap::new();
    for phone in &listed {
        if let Some(entry) = local.blacklist().get(phone).await? {
            listed_at.insert(phone.clone(), entry.added_at);
        }
    }

    let measured = local.carrier.with_log(|log, requests| {
        let mine = || {
            log.iter()
                .filter(|o| by_campaign.contains_key(o.campaign.as_str()))
        };
        let calls = mine().count();
        let blacklisted_dials = mine()
            .filter(|o| listed_at.get(&o.phone).is_some_and(|at| *at <= o.at))
            .count();
        // 2. Never outside the calling window in the contact's own zone.
        let out_of_window = mine()
            .filter(|o| o.purpose == CallPurpose::Campaign)
            .filter(|o| {
                let tz = zones.get(o.contact.as_str()).copied().flatten();
                !by_campaign[o.campaign.as_str()]
                    .settings
                    .schedule
                    .is_allowed(o.at, tz)
            })
            .count();
        // 3 and 4. Concurrency and pace, from the carrier's view.
        let peaks = peak_concurrency_of(mine());
        let rates = peak_rate_of(mine());
        // 7. No attempt placed twice.
        let mut seen: HashSet<&CallId> = HashSet::with_capacity(calls);
        let twice = mine().filter(|o| !seen.insert(&o.call_id)).count();
        let repeats: u32 = seen
            .iter()
            .filter_map(|id| requests.get(*id))
            .map(|n| n.saturating_sub(1))
            .sum();
        (
            calls,
            blacklisted_dials,
            out_of_window,
            peaks,
            rates,
            twice,
            repeats,
        )
    });
    let (calls, blacklisted_dials, out_of_window, peaks, rates, twice, repeats) = measured;

    let mut conc = Vec::new();
    let mut pace = Vec::new();
    let (mut conc_ok, mut pace_ok) = (true, true);
    for c in campaigns {
        let peak = peaks.get(c.id.as_str()).copied().unwrap_or(0);
        let rate = rates.get(c.id.as_str()).copied().unwrap_or(0);
        conc_ok &= peak <= c.settings.pace.max_concurrent;
        pace_ok &= rate <= c.settings.pace.calls_per_second;
        conc.push(format!(
            "peak {peak} of {} allowed",
            c.settings.pace.max_concurrent
        ));
        pace.push(format!(
            "peak {rate}/s of {}/s allowed",
            c.settings.pace.calls_per_second
        ));
    }

    Ok(vec![
        Check::new(
            "no blacklisted number dialled",
            blacklisted_dials == 0,
            format!("{blacklisted_dials} dials to listed numbers among {calls} calls"),
        ),
        Check::new(
            "no dial outside a calling window",
            out_of_window == 0,
            format!("{out_of_window} outside"),
        ),
        Check::new(
            "concurrency never above the limit",
            conc_ok,
            conc.join("; "),
        ),
        Check::new("pace never above the limit", pace_ok, pace.join("; ")),
        Check::new(
            "attempts never above the maximum",
            over_max == 0,
            format!("{over_max} contacts over"),
        ),
        Check::new(
            "every contact in a terminal state",
            unfinished == 0,
            format!("{unfinished} of {total_contacts} unfinished"),
        ),
        Check::new(
            "no attempt originated twice",
            twice == 0,
            format!("{twice} placed twice; {repeats} repeated requests absorbed"),
        ),
    ])
}
