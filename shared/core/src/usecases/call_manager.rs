//! The call-manager API of `004_*`: initiate one call now
//! (`POST /api/v1/initiate-call/`) and take a call service's result
//! (`PUT /api/v1/callback/`).
//!
//! Initiating claims the number's contact in the campaign (creating it when
//! new), records the attempt as `Dialling` (so a callback can find it at
//! once) and queues a dial task: the normal pipeline places it when a
//! concurrency slot is free, so overflow waits in the queue and is never
//! refused. The same number and campaign again within five minutes is a
//! [`CallManagerError::Duplicate`] (HTTP 429).
//!
//! A callback is applied as the call's end event, through the same use case
//! as telephony events ([`RecordCallEvent`]): retries follow the campaign's
//! rules, and a callback after the carrier's own end event changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::{Contact, ContactStatus};
use crate::eligibility::{SkipReason, may_dial};
use crate::ids::{CallId, CampaignId};
use crate::messages::{CallEvent, CallEventKind, CallPurpose, MESSAGE_VERSION};
use crate::outcome::{CallManagerStatus, CallOutcome};
use crate::phone::{Delivery, PhoneNumber, PhoneParser};
use crate::ports::{
    AuditLog, AuditRecord, BlacklistStore, CallRecord, CallRecordStore, CampaignStore, Clock,
    ContactStore, Counters, DialQueue, PortError,
};

use super::UseCaseError;
use super::call_events::{EventResult, RecordCallEvent};
use super::contacts::contact_id_for;
use super::dispatch::task_for;

/// The repeat window of `004_*`: the same number and campaign again within
/// it is refused.
pub const REPEAT_WINDOW_SECS: i64 = 5 * 60;

/// Who the audit log names for calls made through the v1 token.
pub const CALL_MANAGER_ACTOR: &str = "call-manager-api";

/// Why a call-manager request was refused; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum CallManagerError {
    /// 400: the request is not acceptable as it stands.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// 404.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// 429: the same number and campaign within five minutes, or a call to
    /// it still in progress.
    #[error("{0}")]
    Duplicate(String),
    /// 500.
    #[error(transparent)]
    Port(#[from] PortError),
    #[error(transparent)]
    UseCase(#[from] UseCaseError),
}

fn invalid(code: &'static str, message: impl Into<String>) -> CallManagerError {
    CallManagerError::Invalid {
        code,
        message: message.into(),
    }
}

/// A call accepted by `initiate-call`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitiatedCall {
    pub call_id: CallId,
    pub campaign_id: CampaignId,
    pub phone_number: PhoneNumber,
    pub created_at: DateTime<Utc>,
    /// True when the campaign is paused or outside its calling window: the
    /// call waits in the queue until it may be placed.
    pub waiting: bool,
}

/// What a callback did to the contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackResult {
    pub retry_scheduled: bool,
    pub next_retry_at: Option<DateTime<Utc>>,
}

pub struct CallManager<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
    pub calls: &'a dyn CallRecordStore,
    pub counters: &'a dyn Counters,
    pub queue: &'a dyn DialQueue,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    /// Reads numbers written without a country code.
    pub parser: &'a PhoneParser,
}

fn repeat_key(campaign: &CampaignId, phone: &PhoneNumber) -> String {
    format!("v1-initiate/{campaign}/{phone}")
}

impl CallManager<'_> {
    /// `POST /api/v1/initiate-call/`.
    pub async fn initiate(
        &self,
        campaign_id: &CampaignId,
        raw_phone: &str,
    ) -> Result<InitiatedCall, CallManagerError> {
        let parsed = self
            .parser
            .parse(raw_phone)
            .map_err(|e| invalid("invalid_phone_number", format!("phone_number: {e}")))?;
        let phone = parsed.number;
        let campaign =
            self.campaigns
                .get(campaign_id)
                .await?
                .ok_or_else(|| CallManagerError::NotFound {
                    what: "campaign",
                    id: campaign_id.to_string(),
                })?;
        let now = self.clock.now();
        let key = repeat_key(campaign_id, &phone);
        if self.counters.seen(&key, now).await? {
            return Err(CallManagerError::Duplicate(format!(
                "a call to this number in campaign {campaign_id} was initiated less than 5 minutes ago"
            )));
        }
        let listed = !self
            .blacklist
            .contains_any(std::slice::from_ref(&phone))
            .await?
            .is_empty();

        // The contact: new (inserted already claimed) or existing (claimed by
        // compare-and-set, which also stops two concurrent requests).
        let fresh = Contact {
            id: contact_id_for(campaign_id, &phone),
            campaign_id: campaign_id.clone(),
            phone: phone.clone(),
            line_type: parsed.line_type,
            delivery: Delivery::for_line_type(parsed.line_type),
            timezone: None,
            metadata: std::sync::Arc::new(BTreeMap::from([(
                "source".to_owned(),
                "api-v1".to_owned(),
            )])),
            status: ContactStatus::Pending,
            attempts: 0,
            next_attempt_at: None,
            last_attempt_at: None,
            last_outcome: None,
            settled_attempts: 0,
            history: Vec::new(),
        };
        let existing = self.contacts.get(campaign_id, &fresh.id).await?;
        let before = existing.clone().unwrap_or_else(|| fresh.clone());
        let waiting = self.check_dialable(&campaign, &before, listed, now)?;
        let mut claimed = before.clone();
        claimed.status = ContactStatus::InProgress;
        // A manual call overrides a retry waiting for its time.
        claimed.next_attempt_at = None;
        match &existing {
            None => {
                if self
                    .contacts
                    .insert_many(std::slice::from_ref(&claimed))
                    .await?
                    == 0
                {
                    return Err(CallManagerError::Duplicate(
                        "a call to this number is being initiated".into(),
                    ));
                }
            }
            Some(current) => match self.contacts.update(&claimed, current.status).await {
                Ok(()) => {}
                Err(PortError::Conflict(_)) => {
                    return Err(CallManagerError::Duplicate(
                        "a call to this number is being initiated".into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            },
        }

        let task = task_for(&campaign, &claimed, now);
        let record = CallRecord::dialling(
            task.call_id.clone(),
            campaign_id.clone(),
            claimed.id.clone(),
            phone.clone(),
            task.attempt,
            CallPurpose::Campaign,
            now,
        );
        let queued = async {
            self.calls.create_if_absent(&record).await?;
            self.queue.send(std::slice::from_ref(&task)).await
        }
        .await;
        if let Err(e) = queued {
            // Put the contact back so nothing is left claimed but unqueued.
            let mut back = claimed.clone();
            back.status = before.status;
            back.next_attempt_at = before.next_attempt_at;
            let _ = self.contacts.update(&back, ContactStatus::InProgress).await;
            return Err(e.into());
        }
        // Remembered only once queued: a request that failed may be retried.
        self.counters
            .mark_seen(&key, now, Duration::seconds(REPEAT_WINDOW_SECS))
            .await?;
        let audit = AuditRecord::change(
            now,
            CALL_MANAGER_ACTOR,
            "call.initiate",
            format!("call/{}", record.call_id),
            None,
            Some(&record),
        );
        self.audit.append(&audit).await?;
        Ok(InitiatedCall {
            call_id: record.call_id,
            campaign_id: campaign_id.clone(),
            phone_number: phone,
            created_at: now,
            waiting,
        })
    }

    /// Whether the contact may be called through this API; `Ok(true)` when
    /// it is accepted but must wait (paused campaign, outside the window).
    fn check_dialable(
        &self,
        campaign: &Campaign,
        contact: &Contact,
        listed: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, CallManagerError> {
        match contact.status {
            ContactStatus::InProgress => {
                return Err(CallManagerError::Duplicate(
                    "a call to this number is already in progress".into(),
                ));
            }
            ContactStatus::Blacklisted => {
                return Err(invalid(
                    "number_blacklisted",
                    "the number is on the do-not-call list",
                ));
            }
            _ => {}
        }
        // Judge it as a contact waiting now: a finished contact may be called
        // again by hand while its attempts last.
        let mut probe = contact.clone();
        probe.status = ContactStatus::Pending;
        probe.next_attempt_at = None;
        match may_dial(campaign, &probe, listed, now) {
            Ok(()) => Ok(false),
            Err(SkipReason::CampaignPaused | SkipReason::OutsideWindow) => Ok(true),
            Err(SkipReason::Blacklisted) => Err(invalid(
                "number_blacklisted",
                "the number is on the do-not-call list",
            )),
            Err(SkipReason::AttemptsExhausted) => Err(invalid(
                "attempts_exhausted",
                format!(
                    "this number has had the campaign's {} attempts",
                    campaign.settings.retry.max_attempts
                ),
            )),
            Err(SkipReason::CampaignEnded) => {
                Err(invalid("campaign_not_active", "the campaign has ended"))
            }
            Err(_) => Err(invalid(
                "campaign_not_active",
                format!(
                    "campaign {} is {}; calls need an active campaign",
                    campaign.id,
                    campaign.status.as_str()
                ),
            )),
        }
    }

    /// `PUT /api/v1/callback/`: the call ended with `status` after
    /// `duration_secs`.
    pub async fn callback(
        &self,
        call_id: &CallId,
        status: CallManagerStatus,
        duration_secs: u32,
    ) -> Result<CallbackResult, CallManagerError> {
        let record = self
            .calls
            .get(call_id)
            .await?
            .ok_or_else(|| CallManagerError::NotFound {
                what: "call",
                id: call_id.to_string(),
            })?;
        let now = self.clock.now();
        let outcome = CallOutcome::from(status);
        let event = CallEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{call_id}-callback"),
            call_id: call_id.clone(),
            campaign_id: record.campaign_id.clone(),
            contact_id: record.contact_id.clone(),
            phone_number: record.phone.clone(),
            purpose: record.purpose,
            at: now,
            kind: CallEventKind::Ended {
                outcome,
                hangup_cause: None,
                duration_secs,
            },
        };
        let recorder = RecordCallEvent {
            calls: self.calls,
            contacts: self.contacts,
            campaigns: self.campaigns,
            counters: self.counters,
            clock: self.clock,
        };
        let result = recorder.run(&event).await?;
        if result == EventResult::UnknownCall {
            return Err(CallManagerError::NotFound {
                what: "call",
                id: call_id.to_string(),
            });
        }
        let after = self.calls.get(call_id).await?;
        let audit = AuditRecord::change(
            now,
            CALL_MANAGER_ACTOR,
            "call.callback",
            format!("call/{call_id}"),
            Some(&record),
            after.as_ref(),
        );
        self.audit.append(&audit).await?;
        // Read the contact back: whichever end event settled this attempt
        // (this one, or the carrier's before it), its retry is on the contact.
        let contact = self
            .contacts
            .get(&record.campaign_id, &record.contact_id)
            .await?;
        let retry_at = contact.and_then(|c| {
            let waiting =
                c.status == ContactStatus::Pending && c.settled_attempts >= record.attempt;
            waiting.then_some(c.next_attempt_at).flatten()
        });
        Ok(CallbackResult {
            retry_scheduled: retry_at.is_some(),
            next_retry_at: retry_at,
        })
    }
}
