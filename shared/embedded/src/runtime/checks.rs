//! The invariants of a run, checked from the carrier's own log of what it
//! placed (not from the pipeline's bookkeeping, which is what is under test).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use campaign_core::campaign::Campaign;
use campaign_core::contact::Contact;
use campaign_core::ids::{CallId, CampaignId};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::PageRequest;
use campaign_core::usecases::UseCaseResult;

use campaign_core::pacing::PaceChange;

use crate::carrier::{Origination, peak_concurrency_of, peak_rate_of};

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
    let changes = local.pace_changes();
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
        // Every check counts calls of every purpose: a TTS follow-up call
        // passes the same gate as a campaign call.
        let out_of_window = mine()
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
        let over_adaptive = seconds_over_adaptive_pace(mine(), &changes, &by_campaign);
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
            over_adaptive,
            twice,
            repeats,
        )
    });
    let (calls, blacklisted_dials, out_of_window, peaks, rates, over_adaptive, twice, repeats) =
        measured;

    let mut conc = Vec::new();
    let mut pace = Vec::new();
    let (mut conc_ok, mut pace_ok) = (true, true);
    for c in campaigns {
        let peak = peaks.get(c.id.as_str()).copied().unwrap_or(0);
        let rate = rates.get(c.id.as_str()).copied().unwrap_or(0);
        conc_ok &= peak <= c.settings.pace.max_concurrent;
        pace_ok &= rate <= c.settings.pace.calls_per_second;
        let mine: Vec<&PaceChange> = changes
            .iter()
            .filter(|(id, _)| id == &c.id)
            .map(|(_, ch)| ch)
            .collect();
        conc.push(format!(
            "peak {peak} of {} allowed",
            c.settings.pace.max_concurrent
        ));
        pace.push(format!(
            "peak {rate}/s of {}/s allowed",
            c.settings.pace.calls_per_second
        ));
        if let Some(lowest) = mine.iter().map(|ch| ch.to_cps).min() {
            pace.push(format!(
                "{} adaptive changes (lowest {lowest}/s), {over_adaptive} seconds above the pace in force",
                mine.len()
            ));
        }
    }
    pace_ok &= over_adaptive == 0;

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

/// Seconds in which a campaign started more calls (of any purpose) than the adaptive pace in
/// force allowed. In the second of a change either pace may have admitted
/// (the change lands between two starts), so the larger one is the limit.
fn seconds_over_adaptive_pace<'a>(
    originations: impl Iterator<Item = &'a Origination>,
    changes: &[(CampaignId, PaceChange)],
    campaigns: &HashMap<&str, &Campaign>,
) -> usize {
    let mut per: HashMap<(&str, i64), u32> = HashMap::new();
    for o in originations {
        *per.entry((o.campaign.as_str(), o.at.timestamp()))
            .or_default() += 1;
    }
    per.into_iter()
        .filter(|((campaign, second), n)| {
            let Some(c) = campaigns.get(campaign) else {
                return false;
            };
            let configured = c.settings.pace.calls_per_second;
            // Changes are in time order: the pace at the start and at the end of the second.
            let at = |t: i64| {
                changes
                    .iter()
                    .rev()
                    .find(|(id, ch)| id.as_str() == *campaign && ch.at.timestamp() < t)
                    .map_or(configured, |(_, ch)| ch.to_cps)
            };
            let limit = at(*second).max(at(*second + 1)).min(configured);
            *n > limit
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use campaign_core::contracts::campaign_fixture;
    use campaign_core::ids::ContactId;
    use campaign_core::messages::CallPurpose;
    use campaign_core::pacing::PaceReason;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn start(campaign: &CampaignId, i: u32, at: DateTime<Utc>) -> Origination {
        Origination {
            call_id: CallId::new(format!("c{i}-a1")),
            phone: PhoneNumber::from_e164("+972502345678").unwrap(),
            purpose: CallPurpose::Campaign,
            at,
            ends_at: at + Duration::seconds(30),
            campaign: campaign.clone(),
            contact: ContactId::new(format!("c{i}")),
        }
    }

    #[test]
    fn starts_above_the_adaptive_pace_in_force_are_caught_but_not_in_the_second_of_a_change() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let id = CampaignId::new("cmp-1");
        let mut campaign = campaign_fixture(&id, t0);
        campaign.settings.pace.calls_per_second = 10;
        let campaigns = HashMap::from([(id.as_str(), &campaign)]);
        let change = PaceChange {
            at: t0 + Duration::milliseconds(10_500),
            from_cps: 10,
            to_cps: 5,
            reason: PaceReason::LowAnswerRate,
        };
        let changes = vec![(id.clone(), change)];
        // 8 starts in second 10 (the change's second), 8 in second 11 (over 5), 5 in second 12.
        let mut log = Vec::new();
        for (second, n) in [(10, 8), (11, 8), (12, 5)] {
            for i in 0..n {
                log.push(start(
                    &id,
                    second * 100 + i,
                    t0 + Duration::seconds(second.into()),
                ));
            }
        }
        assert_eq!(
            seconds_over_adaptive_pace(log.iter(), &changes, &campaigns),
            1
        );
        assert_eq!(seconds_over_adaptive_pace(log.iter(), &[], &campaigns), 0);
    }
}
