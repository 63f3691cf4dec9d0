//! The donation follow-up (key 1): an SMS rendered from the campaign's
//! template; for a landline, or when the SMS fails for lack of SMS support,
//! a text-to-speech call instead, whose end is recorded as
//! "TTS Fallback Delivered" or "TTS Fallback Failed".
//!
//! **The SMS is sent at most once.** Its claim is written before the send
//! (`follow-up/<call id>/sms`, a conditional claim owned by this delivery,
//! leased for [`SMS_CLAIM_SECS`]); after the send a "sent" mark
//! (`seen/follow-up/<call id>/sms-sent`) settles it, and only then are the
//! follow-up text and the metrics recorded and the event marked done.
//! - A failure after the send (recording the result, the done mark): the
//!   redelivery finds the "sent" mark and only finishes the recording.
//! - A failure before the send (reads, the provider down): nothing is
//!   claimed yet, or the claim is released, so the redelivery sends it.
//! - A concurrent duplicate delivery finds the claim held and is retried
//!   later (a transient error), by when the "sent" mark answers it.
//! - A delivery that died between its claim and the "sent" mark leaves the
//!   claim until its lease ends; meanwhile redeliveries are retried. The
//!   lease (20 min) outlasts the function (2 min) and ends before the
//!   queue's third delivery (after 24 min), so a crash before the send
//!   still gets the SMS out. (The "sent" mark is written up to three times
//!   in a row after a send: only a store down for that whole moment and
//!   the lease can lead to a second send, with the provider's idempotency
//!   key, the call id, to drop it.)
//!
//! **The TTS call passes the dial gate like a campaign call**: the same
//! calling-window rule ([`in_calling_window`], in the contact's zone), then
//! the same [`DialGate`] — one claim per delivery, a concurrency slot and a
//! calls-per-second token of its campaign, at the pace in force. A call
//! that cannot go now is not dropped: the event is handed back to the
//! follow-up queue ([`FollowUpQueue::defer`]) for the window's next opening,
//! or [`GATE_RETRY_SECS`] later for a slot or a token, and the outcome is
//! [`FollowUpOutcome::Waiting`] (the event is not marked done). No window
//! left before the campaign ends records "TTS Fallback Failed". Its slot is
//! freed when its call ends (call-events).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::Contact;
use crate::eligibility::in_calling_window;
use crate::messages::{CallPurpose, DonationEvent, MESSAGE_VERSION, OriginateCommand};
use crate::metrics::FollowUpResult;
use crate::pacing::AdaptiveConfig;
use crate::phone::Delivery;
use crate::ports::{
    AttemptState, BlacklistStore, CallRecord, CallRecordStore, CampaignStore, Clock, ContactStore,
    Counters, FollowUpQueue, PortError, SmsError, SmsGateway, SpeechSynthesizer, Telephony,
    TelephonyError, TtsError,
};
use crate::template::Template;

use super::call_events::{SEEN_TTL_DAYS, count_daily_follow_up, follow_up_key, tts_call_id};
use super::dial::{Admission, DialGate, GateRequest, PaceChangeSink};
use super::recheck::originate_not_after;
use super::{UseCaseError, UseCaseResult, keys, load_campaign};

/// How long a delivery's claim of the SMS lasts (see the module notes).
pub const SMS_CLAIM_SECS: i64 = 20 * 60;
/// How soon a TTS call that found no slot or rate token asks again.
pub const GATE_RETRY_SECS: i64 = 10;
/// Writes of the "sent" mark after a send before giving up.
const SENT_MARK_TRIES: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    SmsSent,
    /// A TTS call was placed; its end decides delivered / failed.
    TtsCallPlaced,
    /// Neither channel could deliver (recorded on the call record).
    Failed(String),
    /// The number is on the do-not-call list: nothing sent.
    Blacklisted,
    Duplicate,
    /// The TTS call cannot go now (outside its calling window, no slot or
    /// rate token): the event was handed back to be handled again at `until`.
    Waiting {
        until: DateTime<Utc>,
    },
}

/// Template variables for a contact: its metadata plus `phone` and `campaign`.
pub fn template_vars(campaign: &Campaign, contact: &Contact) -> BTreeMap<String, String> {
    let mut vars = (*contact.metadata).clone();
    vars.entry("phone".into())
        .or_insert_with(|| contact.phone.to_string());
    vars.entry("campaign".into())
        .or_insert_with(|| campaign.name.clone());
    vars
}

pub struct SendFollowUp<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub calls: &'a dyn CallRecordStore,
    pub blacklist: &'a dyn BlacklistStore,
    pub sms: &'a dyn SmsGateway,
    pub tts: &'a dyn SpeechSynthesizer,
    pub telephony: &'a dyn Telephony,
    pub counters: &'a dyn Counters,
    /// Where an event whose TTS call must wait is handed back.
    pub follow_ups: &'a dyn FollowUpQueue,
    pub clock: &'a dyn Clock,
    /// The synthesizer's voice (see the README on Hebrew).
    pub voice: &'a str,
    /// The dial gate's slot lease and pace, as the dialer's.
    pub slot_lease: Duration,
    pub adaptive: Option<&'a AdaptiveConfig>,
    pub pace_changes: Option<&'a PaceChangeSink>,
}

/// How the SMS step ended.
enum SmsStep {
    Sent,
    /// Refused as not SMS-capable (or by the provider): fall back to TTS.
    Refused,
}

fn sms_key(event: &DonationEvent, what: &str) -> String {
    keys::event_seen("follow-up", &format!("{}/{what}", event.call_id))
}

impl SendFollowUp<'_> {
    /// Handles one delivery of `event`; `delivery` is unique per delivery
    /// (see [`GateRequest::delivery`]).
    pub async fn run(
        &self,
        event: &DonationEvent,
        delivery: &str,
    ) -> UseCaseResult<FollowUpOutcome> {
        let seen_key = keys::event_seen("follow-up", event.call_id.as_str());
        if self.counters.seen(&seen_key, self.clock.now()).await? {
            return Ok(FollowUpOutcome::Duplicate);
        }
        let outcome = self.deliver(event, delivery).await?;
        if !matches!(outcome, FollowUpOutcome::Waiting { .. }) {
            self.counters
                .mark_seen(&seen_key, self.clock.now(), Duration::days(SEEN_TTL_DAYS))
                .await?;
        }
        Ok(outcome)
    }

    async fn deliver(
        &self,
        event: &DonationEvent,
        delivery: &str,
    ) -> UseCaseResult<FollowUpOutcome> {
        if !self
            .blacklist
            .contains_any(std::slice::from_ref(&event.phone_number))
            .await?
            .is_empty()
        {
            return Ok(FollowUpOutcome::Blacklisted);
        }
        let campaign = load_campaign(self.campaigns, &event.campaign_id).await?;
        let contact = self
            .contacts
            .get(&event.campaign_id, &event.contact_id)
            .await?
            .ok_or_else(|| UseCaseError::NotFound {
                what: "contact",
                id: event.contact_id.to_string(),
            })?;
        let vars = template_vars(&campaign, &contact);
        let sms_text = match render(campaign.settings.sms_template.as_deref(), &vars) {
            Ok(t) => t,
            Err(reason) => {
                return self
                    .fail(event, &campaign, FollowUpResult::SmsFailed, reason)
                    .await;
            }
        };
        if contact.delivery == Delivery::Sms {
            match self
                .send_sms(event, &campaign, &contact, &sms_text, delivery)
                .await?
            {
                SmsStep::Sent => {
                    self.note(event, &campaign, "SMS Sent", FollowUpResult::SmsSent)
                        .await?;
                    return Ok(FollowUpOutcome::SmsSent);
                }
                SmsStep::Refused => {}
            }
        }
        let tts_text = match &campaign.settings.tts_template {
            Some(t) => match render(Some(t), &vars) {
                Ok(t) => t,
                Err(reason) => {
                    return self
                        .fail(event, &campaign, FollowUpResult::TtsFailed, reason)
                        .await;
                }
            },
            None => sms_text,
        };
        self.tts_call(event, &campaign, &contact, &tts_text, delivery)
            .await
    }

    /// Sends the SMS at most once: claim, send, "sent" mark (see the module
    /// notes). A redelivery that finds the mark does not send again.
    async fn send_sms(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        contact: &Contact,
        text: &str,
        delivery: &str,
    ) -> UseCaseResult<SmsStep> {
        let now = self.clock.now();
        let sent_key = sms_key(event, "sms-sent");
        let refused_key = sms_key(event, "sms-refused");
        if self.counters.seen(&sent_key, now).await? {
            return Ok(SmsStep::Sent);
        }
        if self.counters.seen(&refused_key, now).await? {
            return Ok(SmsStep::Refused);
        }
        let claim = format!("follow-up/{}/sms", event.call_id);
        if !self
            .counters
            .claim(
                &claim,
                delivery,
                now,
                now + Duration::seconds(SMS_CLAIM_SECS),
            )
            .await?
        {
            return Err(PortError::Unavailable(format!(
                "the SMS of call {} is claimed by another delivery",
                event.call_id
            ))
            .into());
        }
        let sent = self
            .sms
            .send(&contact.phone, text, event.call_id.as_str())
            .await;
        let ttl = Duration::days(SEEN_TTL_DAYS);
        match sent {
            Ok(_) => {
                // Settled before anything else is recorded: whatever fails
                // after this line, a redelivery does not send again.
                let mut tries = 0;
                loop {
                    tries += 1;
                    match self.counters.mark_seen(&sent_key, now, ttl).await {
                        Ok(_) => return Ok(SmsStep::Sent),
                        Err(e) if e.is_transient() && tries < SENT_MARK_TRIES => continue,
                        // The claim stays held: redeliveries wait for its lease.
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(SmsError::Unavailable(m)) => {
                // Nothing was sent (or the provider drops a repeat by its
                // idempotency key): free the claim so a redelivery sends it.
                let _ = self.counters.release_claim(&claim, delivery).await;
                Err(PortError::Unavailable(m).into())
            }
            Err(e @ (SmsError::NotSmsCapable | SmsError::Rejected(_))) => {
                tracing::info!(call_id = %event.call_id, error = %e, "SMS failed; falling back to TTS");
                self.counters.mark_seen(&refused_key, now, ttl).await?;
                self.counters
                    .add(
                        &keys::metric(&campaign.id, follow_up_key(FollowUpResult::SmsFailed)),
                        1,
                    )
                    .await?;
                Ok(SmsStep::Refused)
            }
        }
    }

    /// Hands the event back to be handled again at `until`.
    async fn wait(
        &self,
        event: &DonationEvent,
        until: DateTime<Utc>,
    ) -> UseCaseResult<FollowUpOutcome> {
        self.follow_ups.defer(event, until).await?;
        Ok(FollowUpOutcome::Waiting { until })
    }

    async fn tts_call(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        contact: &Contact,
        text: &str,
        delivery: &str,
    ) -> UseCaseResult<FollowUpOutcome> {
        let call_id = tts_call_id(&event.call_id);
        if self.tts_placed(&call_id).await? {
            return Ok(FollowUpOutcome::TtsCallPlaced);
        }
        let now = self.clock.now();
        // The window rule of campaign calls, in the contact's own zone.
        if !in_calling_window(campaign, contact, now) {
            return match campaign
                .settings
                .schedule
                .next_allowed(now, contact.timezone)
            {
                Some(at) => self.wait(event, at).await,
                None => {
                    self.fail(
                        event,
                        campaign,
                        FollowUpResult::TtsFailed,
                        "no calling window left before the campaign ends".into(),
                    )
                    .await
                }
            };
        }
        let audio = match self.tts.synthesize(text, self.voice).await {
            Ok(a) => a,
            Err(TtsError::Unavailable(m)) => return Err(PortError::Unavailable(m).into()),
            Err(TtsError::Rejected(m)) => {
                return self
                    .fail(
                        event,
                        campaign,
                        FollowUpResult::TtsFailed,
                        format!("speech: {m}"),
                    )
                    .await;
            }
        };
        let gate = DialGate {
            counters: self.counters,
            slot_lease: self.slot_lease,
            adaptive: self.adaptive,
            pace_changes: self.pace_changes,
        };
        let req = GateRequest {
            campaign_id: &campaign.id,
            call_id: &call_id,
            delivery,
            max_concurrent: campaign.settings.pace.max_concurrent,
            calls_per_second: campaign.settings.pace.calls_per_second,
        };
        let retry_at = now + Duration::seconds(GATE_RETRY_SECS);
        if !gate.claim(&req, now).await? {
            return self.wait(event, retry_at).await;
        }
        let mut originating = false;
        let result = self
            .gated_tts_call(
                event,
                campaign,
                contact,
                audio.location,
                &gate,
                &req,
                retry_at,
                &mut originating,
            )
            .await;
        if result.is_err() && !originating {
            let _ = gate.release_claim(&req).await;
        }
        result
    }

    async fn tts_placed(&self, call_id: &crate::ids::CallId) -> UseCaseResult<bool> {
        Ok(self
            .calls
            .get(call_id)
            .await?
            .is_some_and(|r| r.state != AttemptState::Dialling))
    }

    /// The TTS call under this delivery's claim: the gate, then exactly one
    /// origination (the ledger and the carrier are idempotent on its id).
    #[allow(clippy::too_many_arguments)]
    async fn gated_tts_call(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        contact: &Contact,
        audio: String,
        gate: &DialGate<'_>,
        req: &GateRequest<'_>,
        retry_at: DateTime<Utc>,
        originating: &mut bool,
    ) -> UseCaseResult<FollowUpOutcome> {
        let now = self.clock.now();
        if self.tts_placed(req.call_id).await? {
            gate.release_claim(req).await?;
            return Ok(FollowUpOutcome::TtsCallPlaced);
        }
        match gate.admit(req, now).await? {
            Admission::Admitted { .. } => {}
            Admission::InFlight | Admission::WaitForSlot | Admission::WaitForRate => {
                return self.wait(event, retry_at).await;
            }
        }
        let record = CallRecord::dialling(
            req.call_id.clone(),
            campaign.id.clone(),
            contact.id.clone(),
            contact.phone.clone(),
            1,
            CallPurpose::TtsFallback,
            now,
        );
        if let Some(existing) = self.calls.create_if_absent(&record).await?
            && existing.state != AttemptState::Dialling
        {
            // Placed by another delivery after all: its call keeps the slot.
            gate.release_claim(req).await?;
            return Ok(FollowUpOutcome::TtsCallPlaced);
        }
        let command = OriginateCommand {
            version: MESSAGE_VERSION,
            call_id: req.call_id.clone(),
            campaign_id: campaign.id.clone(),
            contact_id: contact.id.clone(),
            phone_number: contact.phone.clone(),
            purpose: CallPurpose::TtsFallback,
            caller_id: campaign.settings.caller_id.clone(),
            ring_timeout_secs: campaign.settings.ring_timeout_secs,
            audio: Some(audio),
            ivr: None,
            not_after: Some(originate_not_after(
                now,
                campaign.settings.pace.max_concurrent,
                campaign.settings.pace.calls_per_second,
                self.slot_lease,
            )),
        };
        *originating = true;
        match self.telephony.originate(&command).await {
            Ok(_) => {
                let mut placed = record;
                placed.state = AttemptState::Originated;
                match self.calls.update(&placed, AttemptState::Dialling).await {
                    Ok(()) | Err(PortError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                self.set_follow_up(event, "TTS Fallback Pending").await?;
                Ok(FollowUpOutcome::TtsCallPlaced)
            }
            Err(TelephonyError::Throttled(_) | TelephonyError::Unavailable(_)) => {
                // Like a campaign call the carrier cannot take now: wait.
                gate.give_up(req).await?;
                self.wait(event, retry_at).await
            }
            Err(TelephonyError::Rejected(m)) => {
                // Nothing rings: no end event will free the slot.
                gate.give_up(req).await?;
                self.fail(
                    event,
                    campaign,
                    FollowUpResult::TtsFailed,
                    format!("carrier: {m}"),
                )
                .await
            }
        }
    }

    async fn fail(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        result: FollowUpResult,
        reason: String,
    ) -> UseCaseResult<FollowUpOutcome> {
        let text = match result {
            FollowUpResult::TtsFailed => "TTS Fallback Failed",
            _ => "SMS Failed",
        };
        self.note(event, campaign, text, result).await?;
        Ok(FollowUpOutcome::Failed(reason))
    }

    async fn note(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        text: &str,
        result: FollowUpResult,
    ) -> UseCaseResult<()> {
        self.set_follow_up(event, text).await?;
        self.counters
            .add(&keys::metric(&campaign.id, follow_up_key(result)), 1)
            .await?;
        count_daily_follow_up(self.calls, self.counters, &event.call_id, result).await
    }

    async fn set_follow_up(&self, event: &DonationEvent, text: &str) -> UseCaseResult<()> {
        match self.calls.set_follow_up(&event.call_id, text).await {
            // A donation for a call we never recorded (e.g. a Connect flow's
            // own call): the metrics still count it.
            Ok(()) | Err(PortError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn render(template: Option<&str>, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let source = template.ok_or_else(|| "the campaign has no SMS template".to_owned())?;
    let t = Template::parse(source).map_err(|e| format!("template: {e}"))?;
    t.render(vars).map_err(|e| format!("template: {e}"))
}
