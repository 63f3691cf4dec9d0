//! The invariants of a run, checked from the carrier's own log of what it
//! placed (not from the pipeline's bookkeeping, which is what is under test).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use campaign_core::campaign::Campaign;
use campaign_core::contact::Contact;
use campaign_core::ids::CampaignId;
use campaign_core::messages::CallPurpose;
use campaign_core::ports::PageRequest;
use campaign_core::usecases::UseCaseResult;

use crate::carrier::{Origination, peak_concurrency, peak_rate};

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

/// Checks every invariant for `campaigns` after a run.
pub async fn check_run(local: &Local, campaigns: &[Campaign]) -> UseCaseResult<Vec<Check>> {
    let originations = local.carrier.originations();
    let by_campaign: HashMap<String, &Campaign> =
        campaigns.iter().map(|c| (c.id.to_string(), c)).collect();
    let mut contacts: HashMap<String, Contact> = HashMap::new();
    for c in campaigns {
        for contact in all_contacts(local, &c.id).await? {
            contacts.insert(contact.id.to_string(), contact);
        }
    }
    let mine: Vec<&Origination> = originations
        .iter()
        .filter(|o| by_campaign.contains_key(&o.campaign))
        .collect();

    // 1. Never a blacklisted number (campaign or TTS call) at or after its listing.
    let phones: Vec<_> = mine
        .iter()
        .map(|o| o.phone.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let listed = local.blacklist().contains_any(&phones).await?;
    let mut blacklisted_dials = 0;
    for o in &mine {
        if listed.contains(&o.phone)
            && let Some(entry) = local.blacklist().get(&o.phone).await?
            && entry.added_at <= o.at
        {
            blacklisted_dials += 1;
        }
    }

    // 2. Never outside the calling window in the contact's own zone.
    let mut out_of_window = 0;
    for o in mine.iter().filter(|o| o.purpose == CallPurpose::Campaign) {
        let campaign = by_campaign[&o.campaign];
        let tz = contacts.get(o.contact.as_str()).and_then(|c| c.timezone);
        if !campaign.settings.schedule.is_allowed(o.at, tz) {
            out_of_window += 1;
        }
    }

    // 3 and 4. Concurrency and pace, from the carrier's view.
    let owned: Vec<Origination> = mine.iter().map(|o| (*o).clone()).collect();
    let peaks = peak_concurrency(&owned);
    let rates = peak_rate(&owned);
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

    // 5. Attempts within the maximum; 6. every contact finished.
    let mut over_max = 0;
    let mut unfinished = 0;
    for contact in contacts.values() {
        let max = by_campaign
            .get(contact.campaign_id.as_str())
            .map(|c| c.settings.retry.max_attempts)
            .unwrap_or(u32::MAX);
        if contact.attempts > max {
            over_max += 1;
        }
        if !contact.status.is_terminal() {
            unfinished += 1;
        }
    }

    // 7. No attempt placed twice.
    let mut seen = HashSet::new();
    let twice = mine
        .iter()
        .filter(|o| !seen.insert(o.call_id.clone()))
        .count();
    let repeats: u32 = local
        .carrier
        .requests()
        .iter()
        .filter(|(id, _)| seen.contains(*id))
        .map(|(_, n)| n.saturating_sub(1))
        .sum();

    Ok(vec![
        Check::new(
            "no blacklisted number dialled",
            blacklisted_dials == 0,
            format!(
                "{blacklisted_dials} dials to listed numbers among {} calls",
                mine.len()
            ),
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
            format!("{unfinished} of {} unfinished", contacts.len()),
        ),
        Check::new(
            "no attempt originated twice",
            twice == 0,
            format!("{twice} placed twice; {repeats} repeated requests absorbed"),
        ),
    ])
}
