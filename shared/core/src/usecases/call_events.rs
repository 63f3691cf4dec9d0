//! Recording call events: keep the call record (the CDR) current, free the
//! concurrency slot when a call ends, count live metrics, and settle the
//! contact — retry at the time the rules give, or finish it.
//!
//! Events may arrive twice or out of order: every step is idempotent on the
//! record's state, and an event id seen before is skipped.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::contact::ContactStatus;
use crate::ids::CallId;
use crate::messages::{CallEvent, CallEventKind, CallPurpose};
use crate::metrics::FollowUpResult;
use crate::optimal_time::{HourOfWeek, Observation};
use crate::outcome::CallOutcome;
use crate::ports::{
    AttemptState, CallRecord, CallRecordStore, CampaignStore, Clock, ContactStore, Counters,
    PortError,
};
use crate::retry::RetryDecision;

use super::{UseCaseResult, keys};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventResult {
    Recorded,
    /// Seen before, or no longer applicable to the record's state.
    Duplicate,
    /// No call record for this call id.
    UnknownCall,
    /// The call ended and the contact was settled.
    Settled {
        contact_status: ContactStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    },
}

/// The TTS fallback call placed for a campaign call.
pub fn tts_call_id(original: &CallId) -> CallId {
    CallId::new(format!("{original}-tts"))
}

pub fn original_of_tts(tts: &CallId) -> Option<CallId> {
    tts.as_str().strip_suffix("-tts").map(CallId::new)
}

/// The follow-up text recorded for a TTS call's end.
pub fn tts_follow_up(outcome: CallOutcome) -> (&'static str, FollowUpResult) {
    if outcome.is_answered() {
        ("TTS Fallback Delivered", FollowUpResult::TtsDelivered)
    } else {
        ("TTS Fallback Failed", FollowUpResult::TtsFailed)
    }
}

pub fn follow_up_key(r: FollowUpResult) -> &'static str {
    match r {
        FollowUpResult::SmsSent => "sms_sent",
        FollowUpResult::SmsFailed => "sms_failed",
        FollowUpResult::TtsDelivered => "tts_delivered",
        FollowUpResult::TtsFailed => "tts_failed",
    }
}

/// Counts a call's final follow-up result on the day the call was placed
/// (the metrics history); a call without a record is not in the history.
pub(crate) async fn count_daily_follow_up(
    calls: &dyn CallRecordStore,
    counters: &dyn Counters,
    call_id: &CallId,
    result: FollowUpResult,
) -> UseCaseResult<()> {
    if let Some(record) = calls.get(call_id).await? {
        counters
            .add(
                &keys::daily(
                    &record.campaign_id,
                    record.created_at.date_naive(),
                    follow_up_key(result),
                ),
                1,
            )
            .await?;
    }
    Ok(())
}

/// The live counter of campaign calls answered so far (counted at the
/// answer, once per call).
pub const PICKED_UP: &str = "picked_up";

pub struct RecordCallEvent<'a> {
    pub calls: &'a dyn CallRecordStore,
    pub contacts: &'a dyn ContactStore,
    pub campaigns: &'a dyn CampaignStore,
    pub counters: &'a dyn Counters,
    pub clock: &'a dyn Clock,
}

/// How long event ids are remembered for de-duplication.
pub const SEEN_TTL_DAYS: i64 = 7;

impl RecordCallEvent<'_> {
    pub async fn run(&self, event: &CallEvent) -> UseCaseResult<EventResult> {
        let now = self.clock.now();
        let seen_key = keys::event_seen("call-events", &event.event_id);
        if self.counters.seen(&seen_key, now).await? {
            return Ok(EventResult::Duplicate);
        }
        let result = self.apply(event).await?;
        // Marked only after the work is done: a crash before this line
        // replays the event, and the state checks make the replay harmless.
        self.counters
            .mark_seen(&seen_key, now, Duration::days(SEEN_TTL_DAYS))
            .await?;
        Ok(result)
    }

    async fn apply(&self, event: &CallEvent) -> UseCaseResult<EventResult> {
        // Compare-and-set on the record's state; a lost race re-reads.
        for _ in 0..5 {
            let Some(mut record) = self.calls.get(&event.call_id).await? else {
                tracing::warn!(call_id = %event.call_id, "event for an unknown call");
                return Ok(EventResult::UnknownCall);
            };
            let expected = record.state;
            if expected == AttemptState::Ended {
                // A replayed end may find its follow-up work unfinished (a
                // crash after the record was written): redo it; each step
                // is idempotent.
                return match (&event.kind, record.outcome) {
                    (CallEventKind::Ended { .. }, Some(outcome)) => {
                        self.on_ended(&record, outcome, event.at).await
                    }
                    _ => Ok(EventResult::Duplicate),
                };
            }
            let mut ended = None;
            match &event.kind {
                CallEventKind::Dialling | CallEventKind::Ringing => {
                    if expected != AttemptState::Dialling {
                        return Ok(EventResult::Duplicate);
                    }
                    record.state = AttemptState::Originated;
                }
                CallEventKind::Answered => {
                    if expected == AttemptState::Answered {
                        return Ok(EventResult::Duplicate);
                    }
                    record.state = AttemptState::Answered;
                    record.answered_at = Some(event.at);
                }
                CallEventKind::KeyPressed { digit } => record.digits.push_str(digit),
                CallEventKind::Ended {
                    outcome,
                    hangup_cause,
                    duration_secs,
                } => {
                    record.state = AttemptState::Ended;
                    record.ended_at = Some(event.at);
                    record.outcome = Some(*outcome);
                    record.hangup_cause = *hangup_cause;
                    record.duration_secs = Some(*duration_secs);
                    ended = Some(*outcome);
                }
            }
            match self.calls.update(&record, expected).await {
                Ok(()) => {}
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            if matches!(event.kind, CallEventKind::Answered)
                && record.purpose == CallPurpose::Campaign
            {
                // Answers counted when they happen, not when the (longer)
                // answered calls end: the adaptive pace's answer rate would
                // otherwise see the short unanswered calls first.
                self.counters
                    .add(&keys::metric(&record.campaign_id, PICKED_UP), 1)
                    .await?;
            }
            return match ended {
                Some(outcome) => self.on_ended(&record, outcome, event.at).await,
                None => Ok(EventResult::Recorded),
            };
        }
        Err(PortError::Unavailable(format!("call {} kept changing", event.call_id)).into())
    }

    async fn on_ended(
        &self,
        record: &CallRecord,
        outcome: CallOutcome,
        at: DateTime<Utc>,
    ) -> UseCaseResult<EventResult> {
        self.counters
            .release_slot(&keys::slots(&record.campaign_id), record.call_id.as_str())
            .await?;
        match record.purpose {
            CallPurpose::TtsFallback => {
                let (text, result) = tts_follow_up(outcome);
                if let Some(original) = original_of_tts(&record.call_id) {
                    match self.calls.set_follow_up(&original, text).await {
                        Ok(()) => {
                            count_daily_follow_up(self.calls, self.counters, &original, result)
                                .await?;
                        }
                        Err(PortError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                self.counters
                    .add(&keys::metric(&record.campaign_id, follow_up_key(result)), 1)
                    .await?;
                Ok(EventResult::Recorded)
            }
            CallPurpose::Campaign => {
                let settled = self.settle_contact(record, outcome, at).await?;
                // Counted once, with the settlement, so replays do not inflate them.
                if matches!(settled, EventResult::Settled { .. }) {
                    self.counters
                        .add(&keys::metric(&record.campaign_id, outcome.as_str()), 1)
                        .await?;
                    // A command the carrier refused was never dialled.
                    if !outcome.is_never_dialled() {
                        self.counters
                            .add(&keys::metric(&record.campaign_id, "attempts"), 1)
                            .await?;
                    }
                    // By the day the call was placed, as the history shows it.
                    self.counters
                        .add(
                            &keys::daily(
                                &record.campaign_id,
                                record.created_at.date_naive(),
                                outcome.as_str(),
                            ),
                            1,
                        )
                        .await?;
                }
                Ok(settled)
            }
        }
    }

    /// Applies the retry rules to the contact of an ended campaign call.
    async fn settle_contact(
        &self,
        record: &CallRecord,
        outcome: CallOutcome,
        at: DateTime<Utc>,
    ) -> UseCaseResult<EventResult> {
        let Some(campaign) = self.campaigns.get(&record.campaign_id).await? else {
            return Ok(EventResult::UnknownCall);
        };
        // Re-read and retry on a lost compare-and-set (an opt-out or a
        // dispatcher may move the contact meanwhile).
        for _ in 0..5 {
            let Some(mut contact) = self
                .contacts
                .get(&record.campaign_id, &record.contact_id)
                .await?
            else {
                return Ok(EventResult::UnknownCall);
            };
            let expected = contact.status;
            if contact.settled_attempts >= record.attempt {
                return Ok(EventResult::Duplicate);
            }
            contact.settled_attempts = record.attempt;
            let zone = campaign.settings.schedule.zone_for(contact.timezone);
            contact.attempts = contact.attempts.max(record.attempt);
            contact.last_attempt_at = Some(record.created_at);
            contact.last_outcome = Some(outcome);
            if !outcome.is_never_dialled() {
                contact.push_observation(Observation {
                    hour: HourOfWeek::of(record.created_at, zone),
                    answered: outcome.is_answered(),
                });
            }
            // Terminal already (an opt-out blacklisted it meanwhile): keep it
            // so; a later attempt of a finished contact cannot reopen it.
            if !expected.is_terminal() {
                match outcome {
                    // Refused by the carrier as listed (`recheck`): ends as
                    // the enricher would have ended it.
                    CallOutcome::Blacklisted => contact.status = ContactStatus::Blacklisted,
                    // Refused by the carrier as stale or not allowed now
                    // (`recheck`): not a retry; pending again, due when its
                    // window next opens. The dial gate decides the rest (a
                    // paused campaign is not dispatched, attempts used up
                    // end it as failed).
                    CallOutcome::NotPlaced => {
                        contact.status = ContactStatus::Pending;
                        contact.next_attempt_at = campaign
                            .settings
                            .schedule
                            .next_allowed(at, contact.timezone);
                    }
                    _ => match campaign
                        .settings
                        .retry
                        .decide(outcome, contact.attempts, at, zone)
                    {
                        RetryDecision::RetryAt(t) => {
                            contact.status = ContactStatus::Pending;
                            contact.next_attempt_at = Some(t);
                        }
                        RetryDecision::Exhausted => contact.status = ContactStatus::Failed,
                        RetryDecision::Final => contact.status = ContactStatus::Completed,
                    },
                }
            }
            match self.contacts.update(&contact, expected).await {
                Ok(()) => {
                    let next = (contact.status == ContactStatus::Pending)
                        .then_some(contact.next_attempt_at)
                        .flatten();
                    return Ok(EventResult::Settled {
                        contact_status: contact.status,
                        next_attempt_at: next,
                    });
                }
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PortError::Unavailable(format!("contact {} kept changing", record.contact_id)).into())
    }
}
