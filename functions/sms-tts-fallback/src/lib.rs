//! `sms-tts-fallback`: consumes the `donation-events` SNS topic (key 1)
//! through its SQS queue (raw delivery). Each record's body is a
//! `DonationEvent`; the core's `SendFollowUp` renders the campaign's SMS
//! template for the contact and sends it, or — for a landline, or an SMS the
//! provider refuses as not SMS-capable — synthesizes the text (cached by text
//! hash) and places a TTS call. It records "SMS Sent" / "SMS Failed" on the
//! call record; the TTS call's end is recorded by `call-events` as
//! "TTS Fallback Delivered" / "TTS Fallback Failed". A number on the
//! do-not-call list gets nothing.
//!
//! Input: an SQS event. Output: `SqsBatchResponse` naming the records to
//! deliver again: a provider or store that is down (the SMS gateway's
//! idempotency key, the call id, keeps a retry from sending twice), or a
//! malformed body (dead-letter queue after `maxReceiveCount`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::clock::Clock;
use campaign_core::messages::DonationEvent;
use campaign_core::ports::{
    BlacklistStore, CallRecordStore, CampaignStore, ContactStore, Counters, SmsGateway,
    SpeechSynthesizer, Telephony,
};
use campaign_core::usecases::follow_up::SendFollowUp;
use lambda_kit::FunctionError;
use lambda_kit::config::env_lookup;
use lambda_kit::sqs::{RecordResult, process_batch};
use lambda_runtime::LambdaEvent;
use tracing::Instrument;

pub const FUNCTION: &str = "sms-tts-fallback";

const CONCURRENCY: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TTS_VOICE` (`Joanna`): the speech synthesizer's voice id.
    pub voice: String,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let voice = lookup("TTS_VOICE")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "Joanna".to_owned());
        Ok(Self { voice })
    }
}

pub struct Deps {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub calls: Arc<dyn CallRecordStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    pub sms: Arc<dyn SmsGateway>,
    pub tts: Arc<dyn SpeechSynthesizer>,
    pub telephony: Arc<dyn Telephony>,
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
}

/// WIRING: the integrator replaces this body with the AWS adapters
/// (`campaign-aws`: DynamoDB stores and counters; the SMS gateway (SNS SMS or
/// the provider behind Secrets Manager credentials); Polly with its S3 cache;
/// the telephony adapter; the system clock).
pub async fn build_deps(_config: &Config) -> anyhow::Result<Deps> {
    anyhow::bail!("AWS adapters not wired yet")
}

pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    let use_case = SendFollowUp {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        calls: &*deps.calls,
        blacklist: &*deps.blacklist,
        sms: &*deps.sms,
        tts: &*deps.tts,
        telephony: &*deps.telephony,
        counters: &*deps.counters,
        clock: &*deps.clock,
        voice: &config.voice,
    };
    let use_case = &use_case;
    process_batch::<DonationEvent, _, _>(event.payload, CONCURRENCY, |e| async move {
        let outcome = use_case.run(&e).await?;
        tracing::info!(event_id = %e.event_id, call_id = %e.call_id, outcome = ?outcome, "follow-up");
        Ok(RecordResult::Done)
    })
    .instrument(span)
    .await
}
