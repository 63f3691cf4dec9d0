//! Dialling: every outbound call — a campaign call here, a TTS follow-up
//! call in [`super::follow_up`] — passes the same [`DialGate`]: a claim of
//! the call for this delivery, a pacing slot of its campaign (max concurrent
//! calls, shared by every worker) and a calls-per-second token (at the
//! adaptive pace, see [`super::pace_control`]). Then the attempt is
//! originated exactly once. What cannot start now waits (is retried), never
//! rejected.
//!
//! Exactly once: the call-record ledger admits one record per call id, and
//! the telephony port is idempotent on the call id, so a repeated or
//! crash-retried task never places a second call.
//!
//! One holder per delivery: the slot is held under the call id (the
//! call-event path frees it by call id when the call ends), so two
//! deliveries of one call must never both work on it — a duplicate that
//! renewed the live call's slot and then released it on its own way out
//! would free the slot of a call still in progress. The gate therefore
//! first claims the call for the delivery (`dial/<call id>`, owner = the
//! delivery's token, leased for [`DEFAULT_CLAIM_SECS`], longer than a
//! worker can run): a concurrent duplicate loses the claim and waits
//! ([`DialResult::InFlight`]) without touching the slot; the winner
//! re-reads the ledger under its claim and releases only what it holds. A
//! claim is released when its delivery gives up (must wait), kept (until
//! its lease ends) when the call was placed; a crashed delivery's claim ends
//! with its lease, so its redelivery goes on.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CallId, CampaignId};
use crate::messages::{
    CallEvent, CallEventKind, CallPurpose, DialTask, MESSAGE_VERSION, OriginateCommand,
};
use crate::outcome::CallOutcome;
use crate::pacing::{AdaptiveConfig, PaceChange};
use crate::ports::{
    AttemptState, BusEvent, CallRecord, CallRecordStore, Clock, ContactStore, Counters, EventBus,
    PortError, PortResult, Telephony, TelephonyError,
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
    /// Another delivery of this attempt is dialling it now: try again
    /// shortly (it will then be placed, or a duplicate).
    InFlight,
}

impl DialResult {
    /// Whether the message must be delivered again (a batch item failure).
    pub fn must_retry(&self) -> bool {
        matches!(
            self,
            DialResult::WaitForSlot
                | DialResult::WaitForRate
                | DialResult::CarrierBusy(_)
                | DialResult::InFlight
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

/// How long a delivery's claim of a call lasts: longer than any worker can
/// run (dialer-worker 20 s, sms-tts-fallback 120 s), so a live delivery never
/// loses its claim; a crashed one's redelivery goes on once it has passed.
pub const DEFAULT_CLAIM_SECS: i64 = 150;

/// The gate every outbound call passes before it is originated: campaign
/// calls ([`Dial`]) and the follow-up's TTS calls
/// ([`super::follow_up::SendFollowUp`]) alike — one claim per delivery, the
/// campaign's concurrency slot, its calls-per-second token at the pace in
/// force. (The calling window is the caller's part, by the same rule for
/// both: [`crate::eligibility`].)
pub struct DialGate<'a> {
    pub counters: &'a dyn Counters,
    pub slot_lease: Duration,
    pub adaptive: Option<&'a AdaptiveConfig>,
    pub pace_changes: Option<&'a PaceChangeSink>,
}

/// One call asking the gate to go.
#[derive(Debug, Clone, Copy)]
pub struct GateRequest<'r> {
    pub campaign_id: &'r CampaignId,
    /// The slot is held under the call id (freed by it when the call ends).
    pub call_id: &'r CallId,
    /// Unique per delivery of the message asking: two deliveries never
    /// share one (e.g. the Lambda request id and the SQS message id).
    pub delivery: &'r str,
    pub max_concurrent: u32,
    pub calls_per_second: u32,
}

/// What the gate answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Slot and rate token taken (and the claim held): originate now, at
    /// this pace in force (calls per second).
    Admitted {
        cps: u32,
    },
    /// Another delivery holds the call's claim.
    InFlight,
    WaitForSlot,
    WaitForRate,
}

fn claim_key(call_id: &CallId) -> String {
    format!("dial/{call_id}")
}

impl DialGate<'_> {
    /// Claims the call for this delivery; `false` when another delivery
    /// holds it. Nothing else is touched.
    pub async fn claim(&self, req: &GateRequest<'_>, now: DateTime<Utc>) -> PortResult<bool> {
        self.counters
            .claim(
                &claim_key(req.call_id),
                req.delivery,
                now,
                now + Duration::seconds(DEFAULT_CLAIM_SECS),
            )
            .await
    }

    /// Ends this delivery's claim (never another delivery's).
    pub async fn release_claim(&self, req: &GateRequest<'_>) -> PortResult<bool> {
        self.counters
            .release_claim(&claim_key(req.call_id), req.delivery)
            .await
    }

    /// Frees the slot this delivery took for a call it did not place, and
    /// its claim. Only the claim's holder may call it.
    pub async fn give_up(&self, req: &GateRequest<'_>) -> PortResult<()> {
        self.counters
            .release_slot(&keys::slots(req.campaign_id), req.call_id.as_str())
            .await?;
        self.release_claim(req).await?;
        Ok(())
    }

    /// The pace in force, then a slot, then a rate token. Called by the
    /// claim's holder after it re-read the ledger under the claim; on a wait
    /// nothing is left held (slot and claim released).
    pub async fn admit(&self, req: &GateRequest<'_>, now: DateTime<Utc>) -> PortResult<Admission> {
        // Before the slot: a failed read here must not leave a slot held.
        let cps = match self.adaptive {
            Some(config) => {
                let decision = PaceControl {
                    counters: self.counters,
                    config,
                }
                .pace(req.campaign_id, req.calls_per_second, now)
                .await?;
                if let Some(change) = &decision.change {
                    tracing::info!(
                        event = "pace_changed",
                        campaign_id = %req.campaign_id,
                        from_cps = change.from_cps,
                        to_cps = change.to_cps,
                        reason = ?change.reason,
                        "dialling pace changed"
                    );
                    if let Some(sink) = self.pace_changes {
                        sink(req.campaign_id, change);
                    }
                }
                decision.cps
            }
            None => req.calls_per_second,
        };
        let scope = keys::slots(req.campaign_id);
        if !self
            .counters
            .acquire_slot(
                &scope,
                req.call_id.as_str(),
                req.max_concurrent,
                now,
                now + self.slot_lease,
            )
            .await?
        {
            self.release_claim(req).await?;
            return Ok(Admission::WaitForSlot);
        }
        if !self
            .counters
            .take_rate(&keys::rate(req.campaign_id), now, cps)
            .await?
        {
            self.give_up(req).await?;
            return Ok(Admission::WaitForRate);
        }
        Ok(Admission::Admitted { cps })
    }
}

impl Dial<'_> {
    fn gate(&self) -> DialGate<'_> {
        DialGate {
            counters: self.counters,
            slot_lease: self.slot_lease,
            adaptive: self.adaptive,
            pace_changes: self.pace_changes,
        }
    }

    /// Dials one enriched task; `delivery` is unique per delivery of its
    /// message (see [`GateRequest::delivery`]).
    pub async fn run(&self, task: &DialTask, delivery: &str) -> UseCaseResult<DialResult> {
        let Some(settings) = &task.settings else {
            return Ok(DialResult::NotEnriched);
        };
        // A delivery of an attempt already past the carrier is a duplicate;
        // checked before the claim so the common repeat costs one read.
        if self.already_placed(task).await? {
            return Ok(DialResult::Duplicate);
        }
        let now = self.clock.now();
        let gate = self.gate();
        let req = GateRequest {
            campaign_id: &task.campaign_id,
            call_id: &task.call_id,
            delivery,
            max_concurrent: settings.max_concurrent,
            calls_per_second: settings.calls_per_second,
        };
        if !gate.claim(&req, now).await? {
            return Ok(DialResult::InFlight);
        }
        let mut originating = false;
        let result = self
            .claimed(task, settings, &gate, &req, now, &mut originating)
            .await;
        if result.is_err() && !originating {
            // Failed before the carrier could hear of it: let a redelivery
            // go on at once (best effort; the lease ends it otherwise).
            let _ = gate.release_claim(&req).await;
        }
        result
    }

    async fn already_placed(&self, task: &DialTask) -> UseCaseResult<bool> {
        Ok(self
            .calls
            .get(&task.call_id)
            .await?
            .is_some_and(|existing| existing.state != AttemptState::Dialling))
    }

    /// The rest of [`Dial::run`], under this delivery's claim.
    async fn claimed(
        &self,
        task: &DialTask,
        settings: &crate::messages::DialSettings,
        gate: &DialGate<'_>,
        req: &GateRequest<'_>,
        now: DateTime<Utc>,
        originating: &mut bool,
    ) -> UseCaseResult<DialResult> {
        // Read again under the claim: a delivery that finished placing the
        // call between the first read and the claim is seen now, before any
        // slot is touched.
        if self.already_placed(task).await? {
            gate.release_claim(req).await?;
            return Ok(DialResult::Duplicate);
        }
        let cps = match gate.admit(req, now).await? {
            Admission::Admitted { cps } => cps,
            Admission::InFlight => return Ok(DialResult::InFlight),
            Admission::WaitForSlot => return Ok(DialResult::WaitForSlot),
            Admission::WaitForRate => return Ok(DialResult::WaitForRate),
        };
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
            // A record in `Dialling` is a crashed delivery of this attempt:
            // originating again is safe (idempotent on call id).
            Some(existing) if existing.state == AttemptState::Dialling => existing,
            // Placed by someone else after all: its call holds the slot, so
            // the slot stays (its end frees it); only the claim is ours.
            Some(_) => {
                gate.release_claim(req).await?;
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
        *originating = true;
        match self.telephony.originate(&command).await {
            Ok(ack) => {
                if ack.duplicate {
                    tracing::info!(call_id = %task.call_id, "origination repeated; carrier placed nothing new");
                }
                // The claim is kept until its lease ends: the call is placed.
                self.mark_originated(&mut record).await?;
                self.mark_attempted(task).await?;
                self.counters
                    .add(&keys::metric(&task.campaign_id, "attempts_started"), 1)
                    .await?;
                Ok(DialResult::Placed)
            }
            Err(TelephonyError::Throttled(m) | TelephonyError::Unavailable(m)) => {
                gate.give_up(req).await?;
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
