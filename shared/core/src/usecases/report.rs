//! The campaign report: every call attempt with its timestamps and outcome,
//! every contact never dialled because it was blacklisted, and the aggregate
//! counts and rates computed from those same rows.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::{Contact, ContactStatus};
use crate::ids::CampaignId;
use crate::messages::CallPurpose;
use crate::metrics::{FollowUpResult, OutcomeCounts, Rates};
use crate::outcome::CallOutcome;
use crate::ports::{
    CallRecord, CallRecordStore, CampaignStore, Clock, ContactStore, ObjectStore, PageRequest,
    StatusCounts,
};

use super::{UseCaseResult, load_campaign};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    pub campaign_id: CampaignId,
    pub campaign_name: String,
    pub generated_at: DateTime<Utc>,
    pub counts: OutcomeCounts,
    pub rates: Rates,
    pub contacts: StatusCounts,
    /// Campaign calls and TTS fallback calls, by call id.
    pub calls: Vec<CallRecord>,
    /// Contacts skipped before any dial because they are blacklisted.
    pub never_dialled_blacklisted: Vec<Contact>,
}

/// The follow-up result a record's text stands for.
pub fn follow_up_result(text: &str) -> Option<FollowUpResult> {
    match text {
        "SMS Sent" => Some(FollowUpResult::SmsSent),
        "SMS Failed" => Some(FollowUpResult::SmsFailed),
        "TTS Fallback Delivered" => Some(FollowUpResult::TtsDelivered),
        "TTS Fallback Failed" => Some(FollowUpResult::TtsFailed),
        _ => None,
    }
}

/// Builds the report from the stored rows (the counts are derived here, not
/// read from live counters, so they always match the rows).
pub fn build(
    campaign: &Campaign,
    contacts: &[Contact],
    calls: Vec<CallRecord>,
    at: DateTime<Utc>,
) -> CampaignReport {
    let mut counts = OutcomeCounts::default();
    let mut status = StatusCounts::default();
    for c in contacts {
        status.add(c.status, 1);
    }
    for r in &calls {
        if r.purpose == CallPurpose::Campaign
            && let Some(o) = r.outcome
        {
            counts.record(o);
        }
        if let Some(f) = r.follow_up.as_deref().and_then(follow_up_result) {
            counts.record_follow_up(f);
        }
    }
    let never_dialled_blacklisted: Vec<Contact> = contacts
        .iter()
        .filter(|c| c.status == ContactStatus::Blacklisted && c.attempts == 0)
        .cloned()
        .collect();
    for _ in &never_dialled_blacklisted {
        counts.record(CallOutcome::Blacklisted);
    }
    CampaignReport {
        campaign_id: campaign.id.clone(),
        campaign_name: campaign.name.clone(),
        generated_at: at,
        rates: counts.rates(),
        counts,
        contacts: status,
        calls,
        never_dialled_blacklisted,
    }
}

const CSV_HEADER: [&str; 13] = [
    "call_id",
    "contact_id",
    "phone_number",
    "attempt",
    "purpose",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_secs",
    "outcome",
    "hangup_cause",
    "digits",
    "follow_up",
];

fn ts(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl CampaignReport {
    /// One row per call attempt (and per never-dialled blacklisted contact).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        // Writing to a Vec cannot fail; errors are impossible here.
        let _ = w.write_record(CSV_HEADER);
        for r in &self.calls {
            let purpose = match r.purpose {
                CallPurpose::Campaign => "campaign",
                CallPurpose::TtsFallback => "tts_fallback",
            };
            let _ = w.write_record([
                r.call_id.as_str(),
                r.contact_id.as_str(),
                r.phone.as_str(),
                &r.attempt.to_string(),
                purpose,
                &ts(Some(r.created_at)),
                &ts(r.answered_at),
                &ts(r.ended_at),
                &r.duration_secs.map(|d| d.to_string()).unwrap_or_default(),
                r.outcome.map(CallOutcome::as_str).unwrap_or("in_progress"),
                &r.hangup_cause.map(|c| c.to_string()).unwrap_or_default(),
                &r.digits,
                r.follow_up.as_deref().unwrap_or(""),
            ]);
        }
        for c in &self.never_dialled_blacklisted {
            let _ = w.write_record([
                "",
                c.id.as_str(),
                c.phone.as_str(),
                "0",
                "campaign",
                "",
                "",
                "",
                "",
                CallOutcome::Blacklisted.as_str(),
                "",
                "",
                "",
            ]);
        }
        w.into_inner().unwrap_or_default()
    }

    /// `metric,value` lines: the counts and rates.
    pub fn summary_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["metric", "value"]);
        let counts = serde_json::to_value(self.counts).unwrap_or_default();
        let rates = serde_json::to_value(self.rates).unwrap_or_default();
        for obj in [counts, rates] {
            if let Some(map) = obj.as_object() {
                for (k, v) in map {
                    let _ = w.write_record([k.as_str(), &v.to_string()]);
                }
            }
        }
        w.into_inner().unwrap_or_default()
    }
}

/// A stored report and a time-limited link to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLink {
    pub key: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
    pub counts: OutcomeCounts,
    pub rates: Rates,
}

pub struct GenerateReport<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub calls: &'a dyn CallRecordStore,
    pub objects: &'a dyn ObjectStore,
    pub clock: &'a dyn Clock,
}

const PAGE: usize = 1000;

impl GenerateReport<'_> {
    /// Reads every row of the campaign.
    pub async fn collect(&self, campaign_id: &CampaignId) -> UseCaseResult<CampaignReport> {
        let campaign = load_campaign(self.campaigns, campaign_id).await?;
        let mut contacts = Vec::new();
        let mut page = PageRequest::first(PAGE);
        loop {
            let p = self.contacts.list(campaign_id, page.clone()).await?;
            contacts.extend(p.items);
            match p.next {
                Some(next) => page.cursor = Some(next),
                None => break,
            }
        }
        let mut calls = Vec::new();
        let mut page = PageRequest::first(PAGE);
        loop {
            let p = self.calls.list(campaign_id, page.clone()).await?;
            calls.extend(p.items);
            match p.next {
                Some(next) => page.cursor = Some(next),
                None => break,
            }
        }
        Ok(build(&campaign, &contacts, calls, self.clock.now()))
    }

    /// Builds the CSV report, stores it and returns a link valid for `ttl`.
    pub async fn run(&self, campaign_id: &CampaignId, ttl: Duration) -> UseCaseResult<ReportLink> {
        let report = self.collect(campaign_id).await?;
        let key = format!(
            "reports/{campaign_id}/{}.csv",
            report.generated_at.format("%Y%m%dT%H%M%SZ")
        );
        self.objects.put(&key, report.to_csv(), "text/csv").await?;
        let url = self.objects.presign_get(&key, ttl).await?;
        Ok(ReportLink {
            key,
            url,
            expires_at: report.generated_at + ttl,
            counts: report.counts,
            rates: report.rates,
        })
    }
}
