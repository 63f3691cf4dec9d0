//! Dialling: take a pacing slot (max concurrent calls, shared by every
//! worker) and a calls-per-second token (at the adaptive pace, see
//! [`super::pace_control`]), then originate each attempt exactly
//! once. What cannot start now waits (is retried), never rejected.
//!
//! Exactly once: the call-record ledger admits one record per call id, and
//! the telephony port is idempotent on the call id, so a repeated or
//! crash-retried task never places a second call.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::ids::CampaignId;
use crate::messages::{
    CallEvent, CallEventKind, CallPurpose, DialTask, MESSAGE_VERSION, OriginateCommand,
};
use crate::outcome::CallOutcome;
use crate::pacing::{AdaptiveConfig, PaceChange};
use crate::ports::{
    AttemptState, BusEvent, CallRecord, CallRecordStore, Clock, ContactStore, Counters, EventBus,
    PortError, Telephony, TelephonyError,
};

use super::pace_control::PaceControl;
use super::recheck::originate_not_after;
use super::{UseCaseError, UseCaseResult, keys};

/// What happened to one enriched task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum DialResult {
    /// The carrier accepted the call.
    Placed,
    /// This attempt was already placed: nothing was dialled.
    Duplicate,
    /// All concurrency slots are taken: try again shortly.
    WaitForSlot,
    /// The calls-per-second budget of this second is spent: try again shortly.
    WaitForRate,
    /// The carrier is throttling or down: try again later.
    CarrierBusy(String),
    /// The carrier refused the number: recorded as a failed attempt.
    Rejected(String),
    /// The task had no settings (it skipped enrichment).
    NotEnriched,
}

impl DialResult {
    /// Whether the message must be delivered again (a batch item failure).
    pub fn must_retry(&self) -> bool {
        matches!(
            self,
            DialResult::WaitForSlot | DialResult::WaitForRate | DialResult::CarrierBusy(_)
        )
    }
}

pub struct Dial<'a> {
    pub calls: &'a dyn CallRecordStore,
    pub contacts: &'a dyn ContactStore,
    pub counters: &'a dyn Counters,
    pub telephony: &'a dyn Telephony,
    /// Where a carrier refusal is reported, as the call's end event.
    pub events: &'a dyn EventBus,
    pub clock: &'a dyn Clock,
    /// How long a slot stays held without an end event (a lost event or a
    /// crashed worker frees it when this runs out).
    pub slot_lease: Duration,
    /// Adaptive pacing thresholds; `None` dials at the configured pace.
    pub adaptive: Option<&'a AdaptiveConfig>,
    /// Also told of every pace change (the simulator keeps them).
    pub pace_changes: Option<&'a PaceChangeSink>,
}

/// Told of each adaptive pace change (campaign, change).
pub type PaceChangeSink = dyn Fn(&CampaignId, &PaceChange) + Send + Sync;

/// Default slot lease: ring time plus a long IVR session.
pub const DEFAULT_SLOT_LEASE_SECS: i64 = 15 * 60;

impl Dial<'_> {
    pub async fn run(&self, task: &DialTask) -> UseCaseResult<DialResult> {
        let Some(settings) = &task.settings else {
            return Ok(DialResult::NotEnriched);
        };
        let now = self.clock.now();
        // A delivery of an attempt already past the carrier is a duplicate;
        // check before touching slots so its slot is never released by mistake.
        if let Some(existing) = self.calls.get(&task.call_id).await?
            && existing.state != AttemptState::Dialling
        {
            return Ok(DialResult::Duplicate);
        }
        // Before the slot: a failed read here must not leave a slot held.
        let cps = match self.adaptive {
            Some(config) => {
                let decision = PaceControl {
                    counters: self.counters,
                    config,
                }
                .pace(&task.campaign_id, settings.calls_per_second, now)
                .await?;
                if let Some(change) = &decision.change {
                    tracing::info!(
                        event = "pace_changed",
                        campaign_id = %task.campaign_id,
                        from_cps = change.from_cps,
                        to_cps = change.to_cps,
                        reason = ?change.reason,
                        "dialling pace changed"
                    );
                    if let Some(sink) = self.pace_changes {
                        sink(&task.campaign_id, change);
                    }
                }
                decision.cps
            }
            None => settings.calls_per_second,
        };
        let scope = keys::slots(&task.campaign_id);
        let holder = task.call_id.as_str();
        if !self
            .counters
            .acquire_slot(
                &scope,
                holder,
                settings.max_concurrent,
                now,
                now + self.slot_lease,
            )
            .await?
        {
            return Ok(DialResult::WaitForSlot);
        }
        if !self
            .counters
            .take_rate(&keys::rate(&task.campaign_id), now, cps)
            .await?
        {
            self.counters.release_slot(&scope, holder).await?;
            return Ok(DialResult::WaitForRate);
        }
        let record = CallRecord::dialling(
            task.call_id.clone(),
            task.campaign_id.clone(),
            task.contact_id.clone(),
            task.phone_number.clone(),
            task.attempt,
            CallPurpose::Campaign,
            now,
        );
        let mut record = match self.calls.create_if_absent(&record).await? {
            None => record,
            // A record in `Dialling` is a crashed or concurrent delivery of
            // this attempt: originating again is safe (idempotent on call id).
            Some(existing) if existing.state == AttemptState::Dialling => existing,
            Some(_) => {
                self.counters.release_slot(&scope, holder).await?;
                return Ok(DialResult::Duplicate);
            }
        };
        let command = OriginateCommand {
            version: MESSAGE_VERSION,
            call_id: task.call_id.clone(),
            campaign_id: task.campaign_id.clone(),
            contact_id: task.contact_id.clone(),
            phone_number: task.phone_number.clone(),
            purpose: CallPurpose::Campaign,
            caller_id: settings.caller_id.clone(),
            ring_timeout_secs: settings.ring_timeout_secs,
            audio: settings.audio.clone(),
            ivr: Some(settings.ivr.clone()),
            // At the pace in force: what a late carrier must not dial.
            not_after: Some(originate_not_after(
                now,
                settings.max_concurrent,
                cps,
                self.slot_lease,
            )),
        };
        match self.telephony.originate(&command).await {
            Ok(ack) => {
                if ack.duplicate {
                    tracing::info!(call_id = %task.call_id, "origination repeated; carrier placed nothing new");
                }
                self.mark_originated(&mut record).await?;
                self.mark_attempted(task).await?;
                self.counters
                    .add(&keys::metric(&task.campaign_id, "attempts_started"), 1)
                    .await?;
                Ok(DialResult::Placed)
            }
            Err(TelephonyError::Throttled(m) | TelephonyError::Unavailable(m)) => {
                self.counters.release_slot(&scope, holder).await?;
                Ok(DialResult::CarrierBusy(m))
            }
            Err(TelephonyError::Rejected(m)) => {
                // Nothing rings, so no carrier event will come: report the end
                // ourselves and let the call-event path settle the attempt
                // (slot, retry rules) like any other failed call.
                self.mark_originated(&mut record).await?;
                self.mark_attempted(task).await?;
                let event = CallEvent {
                    version: MESSAGE_VERSION,
                    event_id: format!("{}-rejected", task.call_id),
                    call_id: task.call_id.clone(),
                    campaign_id: task.campaign_id.clone(),
                    contact_id: task.contact_id.clone(),
                    phone_number: task.phone_number.clone(),
                    purpose: CallPurpose::Campaign,
                    at: now,
                    kind: CallEventKind::Ended {
                        outcome: CallOutcome::Failed,
                        hangup_cause: None,
                        duration_secs: 0,
                    },
                };
                self.events.publish(&BusEvent::Call(event)).await?;
                Ok(DialResult::Rejected(m))
            }
        }
    }

    /// Events may already have moved the record on: then leave it.
    async fn mark_originated(&self, record: &mut CallRecord) -> UseCaseResult<()> {
        record.state = AttemptState::Originated;
        match self.calls.update(record, AttemptState::Dialling).await {
            Ok(()) | Err(PortError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn mark_attempted(&self, task: &DialTask) -> UseCaseResult<()> {
        let Some(mut contact) = self
            .contacts
            .get(&task.campaign_id, &task.contact_id)
            .await?
        else {
            return Err(UseCaseError::NotFound {
                what: "contact",
                id: task.contact_id.to_string(),
            });
        };
        if contact.attempts >= task.attempt {
            return Ok(());
        }
        let expected = contact.status;
        contact.attempts = task.attempt;
        contact.last_attempt_at = Some(self.clock.now());
        match self.contacts.update(&contact, expected).await {
            Ok(()) | Err(PortError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
