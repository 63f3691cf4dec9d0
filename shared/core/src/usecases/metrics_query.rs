//! Metrics for the dashboard: a campaign's live snapshot (active calls from
//! the concurrency slots; its own queued tasks (contacts in progress less
//! calls in progress) and due contacts; the measured dialling rate from the
//! rate buckets; the adaptive pace in force beside the configured one;
//! outcome counts from the live counters and the rates derived from them; the
//! health alerts of `metrics::health_alerts` computed from all that), the
//! aggregate over campaigns, a side-by-side comparison, and the history by
//! day over a date range (from per-day counters written with the outcomes
//! and follow-up results, `keys::daily`: a request reads only the days it
//! asks for, never the campaign's call records).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, CampaignStatus};
use crate::ids::CampaignId;
use crate::messages::CallPurpose;
use crate::metrics::{
    Alert, AlertInput, DUE_COUNT_CAP, FollowUpResult, LiveMetrics, OutcomeCounts, RATE_WINDOW_SECS,
    Rates, aggregate, health_alerts,
};
use crate::outcome::CallOutcome;
use crate::ports::{
    CallRecordStore, CampaignStore, Clock, ContactStore, Counters, DialQueue, PageRequest,
    StatusCounts,
};

use super::call_events::follow_up_key;
use super::pace_control::pace_in_force;
use super::report::follow_up_result;
use super::{UseCaseError, UseCaseResult, keys, load_campaign};

/// One campaign's dashboard snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignMetrics {
    pub campaign_id: CampaignId,
    pub name: String,
    pub status: CampaignStatus,
    pub at: DateTime<Utc>,
    pub live: LiveMetrics,
    pub contacts: StatusCounts,
    /// Health alerts computed from this snapshot ([`health_alerts`]), most
    /// severe first.
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

/// Every campaign's counts summed, with the campaigns they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateMetrics {
    pub at: DateTime<Utc>,
    pub campaigns: usize,
    pub active_calls: u32,
    /// The named campaigns' own queued dial tasks, summed.
    pub queue_depth: u64,
    /// Their due contacts, summed (each counted up to its cap).
    pub due_contacts: u64,
    /// Their measured dialling rates, summed.
    pub dialling_rate_cps: f64,
    /// The whole dial queue's depth (every campaign, as the queue reports
    /// it; approximate on SQS).
    pub dial_queue_depth: u64,
    pub counts: OutcomeCounts,
    pub rates: Rates,
    pub contacts: StatusCounts,
}

/// One day of a campaign's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayMetrics {
    pub date: NaiveDate,
    pub counts: OutcomeCounts,
    pub rates: Rates,
}

/// The longest history range one request may ask for.
pub const MAX_HISTORY_DAYS: i64 = 366;

/// A per-day counter: an outcome or a follow-up result.
#[derive(Debug, Clone, Copy)]
enum DailyField {
    Outcome(CallOutcome),
    FollowUp(FollowUpResult),
}

impl DailyField {
    fn name(self) -> &'static str {
        match self {
            DailyField::Outcome(o) => o.as_str(),
            DailyField::FollowUp(f) => follow_up_key(f),
        }
    }

    fn set(self, counts: &mut OutcomeCounts, n: u64) {
        let field = match self {
            DailyField::Outcome(o) => match o {
                CallOutcome::Answered => &mut counts.answered,
                CallOutcome::Converted => &mut counts.converted,
                CallOutcome::OptedOut => &mut counts.opted_out,
                CallOutcome::Busy => &mut counts.busy,
                CallOutcome::NoAnswer => &mut counts.no_answer,
                CallOutcome::Failed => &mut counts.failed,
                CallOutcome::Disconnected => &mut counts.disconnected,
                CallOutcome::Blacklisted => &mut counts.blacklisted,
            },
            DailyField::FollowUp(f) => match f {
                FollowUpResult::SmsSent => &mut counts.sms_sent,
                FollowUpResult::SmsFailed => &mut counts.sms_failed,
                FollowUpResult::TtsDelivered => &mut counts.tts_delivered,
                FollowUpResult::TtsFailed => &mut counts.tts_failed,
            },
        };
        *field = n;
    }
}

/// Every per-day counter of a day.
const DAILY_FIELDS: [DailyField; 12] = [
    DailyField::Outcome(CallOutcome::Answered),
    DailyField::Outcome(CallOutcome::Converted),
    DailyField::Outcome(CallOutcome::OptedOut),
    DailyField::Outcome(CallOutcome::Busy),
    DailyField::Outcome(CallOutcome::NoAnswer),
    DailyField::Outcome(CallOutcome::Failed),
    DailyField::Outcome(CallOutcome::Disconnected),
    DailyField::Outcome(CallOutcome::Blacklisted),
    DailyField::FollowUp(FollowUpResult::SmsSent),
    DailyField::FollowUp(FollowUpResult::SmsFailed),
    DailyField::FollowUp(FollowUpResult::TtsDelivered),
    DailyField::FollowUp(FollowUpResult::TtsFailed),
];

/// The dates from `from` to `to`, inclusive, within the longest range.
fn history_days(from: NaiveDate, to: NaiveDate) -> UseCaseResult<Vec<NaiveDate>> {
    if to < from {
        return Err(UseCaseError::Invalid(vec![
            "to: must not be before from".into(),
        ]));
    }
    if (to - from).num_days() >= MAX_HISTORY_DAYS {
        return Err(UseCaseError::Invalid(vec![format!(
            "to: a range may span at most {MAX_HISTORY_DAYS} days"
        )]));
    }
    Ok(from.iter_days().take_while(|d| *d <= to).collect())
}

pub struct MetricsQuery<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub calls: &'a dyn CallRecordStore,
    pub counters: &'a dyn Counters,
    pub queue: &'a dyn DialQueue,
    pub clock: &'a dyn Clock,
}

impl MetricsQuery<'_> {
    /// The outcome counts kept live by the call-event and follow-up paths.
    pub async fn counts(&self, id: &CampaignId) -> UseCaseResult<OutcomeCounts> {
        let get = |field: &str| {
            let key = keys::metric(id, field);
            async move { self.counters.get(&key).await }
        };
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let mut c = OutcomeCounts {
            attempts: n(get("attempts").await?),
            answered: n(get(CallOutcome::Answered.as_str()).await?),
            converted: n(get(CallOutcome::Converted.as_str()).await?),
            opted_out: n(get(CallOutcome::OptedOut.as_str()).await?),
            busy: n(get(CallOutcome::Busy.as_str()).await?),
            no_answer: n(get(CallOutcome::NoAnswer.as_str()).await?),
            failed: n(get(CallOutcome::Failed.as_str()).await?),
            disconnected: n(get(CallOutcome::Disconnected.as_str()).await?),
            blacklisted: n(get(CallOutcome::Blacklisted.as_str()).await?),
            ..OutcomeCounts::default()
        };
        c.sms_sent = n(get(follow_up_key(FollowUpResult::SmsSent)).await?);
        c.sms_failed = n(get(follow_up_key(FollowUpResult::SmsFailed)).await?);
        c.tts_delivered = n(get(follow_up_key(FollowUpResult::TtsDelivered)).await?);
        c.tts_failed = n(get(follow_up_key(FollowUpResult::TtsFailed)).await?);
        Ok(c)
    }

    /// The live snapshot of one campaign.
    pub async fn live(&self, id: &CampaignId) -> UseCaseResult<CampaignMetrics> {
        let campaign = load_campaign(self.campaigns, id).await?;
        self.snapshot(&campaign).await
    }

    async fn snapshot(&self, campaign: &Campaign) -> UseCaseResult<CampaignMetrics> {
        let now = self.clock.now();
        let id = &campaign.id;
        let active = self.counters.active_slots(&keys::slots(id), now).await?;
        let counts = self.counts(id).await?;
        let contacts = self.contacts.count_by_status(id).await?;
        let configured = campaign.settings.pace.calls_per_second;
        let pace_in_force = if campaign.status == CampaignStatus::Active {
            pace_in_force(self.counters, id, configured).await?
        } else {
            0
        };
        let second = now.timestamp();
        let starts = self
            .counters
            .starts_between(&keys::rate(id), second - RATE_WINDOW_SECS, second)
            .await?;
        let due = self
            .contacts
            .due(id, now, PageRequest::first(DUE_COUNT_CAP))
            .await?;
        let mut live = LiveMetrics::new(counts);
        live.active_calls = active;
        live.queue_depth = contacts.in_progress.saturating_sub(u64::from(active));
        live.due_contacts = due.items.len() as u64;
        live.due_contacts_capped = due.next.is_some();
        live.dialling_rate_cps = LiveMetrics::measured_rate(starts);
        live.pace_in_force_cps = pace_in_force;
        live.configured_pace_cps = configured;
        let alerts = health_alerts(&AlertInput {
            active: campaign.status == CampaignStatus::Active,
            live: &live,
            max_concurrent: campaign.settings.pace.max_concurrent,
            contacts_total: contacts.pending
                + contacts.in_progress
                + contacts.completed
                + contacts.failed
                + contacts.blacklisted,
        });
        Ok(CampaignMetrics {
            campaign_id: id.clone(),
            name: campaign.name.clone(),
            status: campaign.status,
            at: now,
            live,
            contacts,
            alerts,
        })
    }

    /// Snapshots of the given campaigns, in the order given (a comparison).
    pub async fn compare(&self, ids: &[CampaignId]) -> UseCaseResult<Vec<CampaignMetrics>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let campaign = load_campaign(self.campaigns, id).await?;
            out.push(self.snapshot(&campaign).await?);
        }
        Ok(out)
    }

    /// The sum over `ids`, or over every campaign when `ids` is empty.
    pub async fn aggregate(&self, ids: &[CampaignId]) -> UseCaseResult<AggregateMetrics> {
        let ids = if ids.is_empty() {
            self.all_ids().await?
        } else {
            ids.to_vec()
        };
        let snapshots = self.compare(&ids).await?;
        let counts = aggregate(snapshots.iter().map(|s| &s.live.counts));
        let mut contacts = StatusCounts::default();
        for s in &snapshots {
            let c = s.contacts;
            contacts.pending += c.pending;
            contacts.in_progress += c.in_progress;
            contacts.completed += c.completed;
            contacts.failed += c.failed;
            contacts.blacklisted += c.blacklisted;
        }
        Ok(AggregateMetrics {
            at: self.clock.now(),
            campaigns: snapshots.len(),
            active_calls: snapshots.iter().map(|s| s.live.active_calls).sum(),
            queue_depth: snapshots.iter().map(|s| s.live.queue_depth).sum(),
            due_contacts: snapshots.iter().map(|s| s.live.due_contacts).sum(),
            dialling_rate_cps: LiveMetrics::measured_rate(
                snapshots
                    .iter()
                    .map(|s| (s.live.dialling_rate_cps * RATE_WINDOW_SECS as f64).round() as u64)
                    .sum(),
            ),
            dial_queue_depth: self.queue.depth().await?,
            rates: counts.rates(),
            counts,
            contacts,
        })
    }

    async fn all_ids(&self) -> UseCaseResult<Vec<CampaignId>> {
        let mut out = Vec::new();
        let mut page = PageRequest::first(200);
        loop {
            let p = self.campaigns.list(page.clone()).await?;
            out.extend(p.items.into_iter().map(|c| c.id));
            match p.next {
                Some(n) => page.cursor = Some(n),
                None => return Ok(out),
            }
        }
    }

    /// Per-day counts of campaign calls placed from `from` to `to`
    /// (inclusive, UTC dates), from the per-day counters: one batch read of
    /// the days asked for.
    pub async fn history(
        &self,
        id: &CampaignId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> UseCaseResult<Vec<DayMetrics>> {
        let days = history_days(from, to)?;
        load_campaign(self.campaigns, id).await?;
        let mut keys = Vec::with_capacity(days.len() * DAILY_FIELDS.len());
        for day in &days {
            for field in DAILY_FIELDS {
                keys.push(keys::daily(id, *day, field.name()));
            }
        }
        let values = self.counters.get_many(&keys).await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(days
            .iter()
            .zip(values.chunks(DAILY_FIELDS.len()))
            .map(|(date, values)| {
                let mut counts = OutcomeCounts::default();
                for (field, v) in DAILY_FIELDS.iter().zip(values) {
                    field.set(&mut counts, n(*v));
                }
                // Every outcome but `blacklisted` was a dialled attempt.
                counts.attempts = counts.total_outcomes();
                DayMetrics {
                    date: *date,
                    rates: counts.rates(),
                    counts,
                }
            })
            .collect())
    }

    /// The same history computed from every stored call record of the
    /// campaign (a full scan: the reference the per-day counters are checked
    /// against; not for requests).
    pub async fn history_from_call_records(
        &self,
        id: &CampaignId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> UseCaseResult<Vec<DayMetrics>> {
        let dates = history_days(from, to)?;
        load_campaign(self.campaigns, id).await?;
        let mut days: BTreeMap<NaiveDate, OutcomeCounts> = dates
            .into_iter()
            .map(|d| (d, OutcomeCounts::default()))
            .collect();
        let mut page = PageRequest::first(1000);
        loop {
            let p = self.calls.list(id, page.clone()).await?;
            for r in &p.items {
                let date = r.created_at.date_naive();
                let Some(counts) = days.get_mut(&date) else {
                    continue;
                };
                if r.purpose == CallPurpose::Campaign
                    && let Some(o) = r.outcome
                {
                    counts.record(o);
                }
                if let Some(f) = r.follow_up.as_deref().and_then(follow_up_result) {
                    counts.record_follow_up(f);
                }
            }
            match p.next {
                Some(n) => page.cursor = Some(n),
                None => break,
            }
        }
        Ok(days
            .into_iter()
            .map(|(date, counts)| DayMetrics {
                date,
                rates: counts.rates(),
                counts,
            })
            .collect())
    }
}
