//! Enrichment (the EventBridge Pipes step): re-check each queued dial task
//! against the present state — blacklisted, paused, ended or out of window
//! since it was queued — and attach the campaign's dial settings to the rest.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::ContactStatus;
use crate::eligibility::{SkipReason, may_dial};
use crate::ids::CampaignId;
use crate::messages::{DialSettings, DialTask};
use crate::outcome::CallOutcome;
use crate::ports::{
    AttemptState, BlacklistStore, CallRecordStore, CampaignStore, Clock, ContactStore, Counters,
    PortError,
};

use super::lifecycle::effective_flow;
use super::{UseCaseResult, keys};

/// Why a task was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "drop", content = "reason")]
pub enum DropReason {
    /// The dial gate said no (the contact was updated to match).
    Skip(SkipReason),
    /// Another delivery of this attempt is already being dialled or done.
    Duplicate,
    /// The campaign or contact no longer exists.
    Unknown,
}

/// One result per input task, in input order (the Lambda maps them back to
/// their `messageId`s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enriched {
    /// Boxed: a task with its settings is far larger than a drop reason.
    Dial(Box<DialTask>),
    Drop(DropReason),
}

/// The settings a dialer needs, from the campaign.
pub fn dial_settings(campaign: &Campaign) -> DialSettings {
    let s = &campaign.settings;
    DialSettings {
        carrier: s.carrier,
        audio: s.audio.clone(),
        ivr: effective_flow(s),
        caller_id: s.caller_id.clone(),
        ring_timeout_secs: s.ring_timeout_secs,
        max_concurrent: s.pace.max_concurrent,
        calls_per_second: s.pace.calls_per_second,
    }
}

pub struct Enrich<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
    pub calls: &'a dyn CallRecordStore,
    pub counters: &'a dyn Counters,
    pub clock: &'a dyn Clock,
}

impl Enrich<'_> {
    pub async fn run(&self, tasks: Vec<DialTask>) -> UseCaseResult<Vec<Enriched>> {
        let now = self.clock.now();
        let phones: Vec<_> = tasks.iter().map(|t| t.phone_number.clone()).collect();
        let listed = self.blacklist.contains_any(&phones).await?;
        let mut campaigns: HashMap<CampaignId, Option<Campaign>> = HashMap::new();
        let mut out = Vec::with_capacity(tasks.len());
        for mut task in tasks {
            if !campaigns.contains_key(&task.campaign_id) {
                let c = self.campaigns.get(&task.campaign_id).await?;
                campaigns.insert(task.campaign_id.clone(), c);
            }
            let Some(campaign) = campaigns.get(&task.campaign_id).and_then(Option::as_ref) else {
                out.push(Enriched::Drop(DropReason::Unknown));
                continue;
            };
            if let Some(record) = self.calls.get(&task.call_id).await?
                && record.state != AttemptState::Dialling
            {
                out.push(Enriched::Drop(DropReason::Duplicate));
                continue;
            }
            let Some(mut contact) = self
                .contacts
                .get(&task.campaign_id, &task.contact_id)
                .await?
            else {
                out.push(Enriched::Drop(DropReason::Unknown));
                continue;
            };
            // Only the attempt the dispatcher claimed may go on: anything else
            // is a stale or repeated delivery.
            // Listed since it was queued (the opt-out path marks the contact).
            if contact.status == ContactStatus::Blacklisted {
                out.push(Enriched::Drop(DropReason::Skip(SkipReason::Blacklisted)));
                continue;
            }
            if contact.status != ContactStatus::InProgress || contact.attempts + 1 != task.attempt {
                out.push(Enriched::Drop(DropReason::Duplicate));
                continue;
            }
            match may_dial(campaign, &contact, listed.contains(&contact.phone), now) {
                Ok(()) => {
                    task.settings = Some(dial_settings(campaign));
                    out.push(Enriched::Dial(Box::new(task)));
                }
                Err(reason) => {
                    match reason {
                        SkipReason::Blacklisted => {
                            contact.status = ContactStatus::Blacklisted;
                            contact.last_outcome = Some(CallOutcome::Blacklisted);
                        }
                        SkipReason::AttemptsExhausted => contact.status = ContactStatus::Failed,
                        SkipReason::OutsideWindow => {
                            contact.status = ContactStatus::Pending;
                            contact.next_attempt_at = campaign
                                .settings
                                .schedule
                                .next_allowed(now, contact.timezone);
                        }
                        _ => contact.status = ContactStatus::Pending,
                    }
                    match self
                        .contacts
                        .update(&contact, ContactStatus::InProgress)
                        .await
                    {
                        Ok(()) => {
                            if reason == SkipReason::Blacklisted {
                                self.counters
                                    .add(&keys::metric(&campaign.id, "blacklisted"), 1)
                                    .await?;
                            }
                        }
                        Err(PortError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    out.push(Enriched::Drop(DropReason::Skip(reason)));
                }
            }
        }
        Ok(out)
    }
}
