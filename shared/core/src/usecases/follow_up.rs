//! The donation follow-up (key 1): an SMS rendered from the campaign's
//! template; for a landline, or when the SMS fails for lack of SMS support,
//! a text-to-speech call instead, whose end is recorded as
//! "TTS Fallback Delivered" or "TTS Fallback Failed".

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::Contact;
use crate::messages::{CallPurpose, DonationEvent, MESSAGE_VERSION, OriginateCommand};
use crate::metrics::FollowUpResult;
use crate::phone::Delivery;
use crate::ports::{
    AttemptState, BlacklistStore, CallRecord, CallRecordStore, CampaignStore, Clock, ContactStore,
    Counters, PortError, SmsError, SmsGateway, SpeechSynthesizer, Telephony, TelephonyError,
    TtsError,
};
use crate::template::Template;

use super::call_events::{SEEN_TTL_DAYS, count_daily_follow_up, follow_up_key, tts_call_id};
use super::dial::DEFAULT_SLOT_LEASE_SECS;
use super::recheck::originate_not_after;
use super::{UseCaseError, UseCaseResult, keys, load_campaign};

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
    pub clock: &'a dyn Clock,
    /// The synthesizer's voice (see the README on Hebrew).
    pub voice: &'a str,
}

impl SendFollowUp<'_> {
    pub async fn run(&self, event: &DonationEvent) -> UseCaseResult<FollowUpOutcome> {
        let now = self.clock.now();
        let seen_key = keys::event_seen("follow-up", event.call_id.as_str());
        if self.counters.seen(&seen_key, now).await? {
            return Ok(FollowUpOutcome::Duplicate);
        }
        let outcome = self.deliver(event).await?;
        self.counters
            .mark_seen(&seen_key, now, Duration::days(SEEN_TTL_DAYS))
            .await?;
        Ok(outcome)
    }

    async fn deliver(&self, event: &DonationEvent) -> UseCaseResult<FollowUpOutcome> {
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
                .sms
                .send(&contact.phone, &sms_text, event.call_id.as_str())
                .await
            {
                Ok(_) => {
                    self.note(event, &campaign, "SMS Sent", FollowUpResult::SmsSent)
                        .await?;
                    return Ok(FollowUpOutcome::SmsSent);
                }
                Err(SmsError::Unavailable(m)) => return Err(PortError::Unavailable(m).into()),
                Err(e @ (SmsError::NotSmsCapable | SmsError::Rejected(_))) => {
                    tracing::info!(call_id = %event.call_id, error = %e, "SMS failed; falling back to TTS");
                    self.counters
                        .add(
                            &keys::metric(&campaign.id, follow_up_key(FollowUpResult::SmsFailed)),
                            1,
                        )
                        .await?;
                }
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
        self.tts_call(event, &campaign, &contact, &tts_text).await
    }

    async fn tts_call(
        &self,
        event: &DonationEvent,
        campaign: &Campaign,
        contact: &Contact,
        text: &str,
    ) -> UseCaseResult<FollowUpOutcome> {
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
        let call_id = tts_call_id(&event.call_id);
        let now = self.clock.now();
        let record = CallRecord::dialling(
            call_id.clone(),
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
            return Ok(FollowUpOutcome::TtsCallPlaced);
        }
        let command = OriginateCommand {
            version: MESSAGE_VERSION,
            call_id,
            campaign_id: campaign.id.clone(),
            contact_id: contact.id.clone(),
            phone_number: contact.phone.clone(),
            purpose: CallPurpose::TtsFallback,
            caller_id: campaign.settings.caller_id.clone(),
            ring_timeout_secs: campaign.settings.ring_timeout_secs,
            audio: Some(audio.location),
            ivr: None,
            not_after: Some(originate_not_after(
                now,
                campaign.settings.pace.max_concurrent,
                campaign.settings.pace.calls_per_second,
                Duration::seconds(DEFAULT_SLOT_LEASE_SECS),
            )),
        };
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
            Err(TelephonyError::Throttled(m) | TelephonyError::Unavailable(m)) => {
                Err(PortError::Unavailable(m).into())
            }
            Err(TelephonyError::Rejected(m)) => {
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
