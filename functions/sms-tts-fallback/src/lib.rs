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
use campaign_aws::http_sms::HttpSms;
use campaign_aws::polly::Engine;
use campaign_aws::{AwsPorts, PollySynthesizer, PollyVoice, SnsSms};
use campaign_connect::ConnectConfig;
use campaign_connect::carrier::{self, carrier_config};
use campaign_core::clock::Clock;
use campaign_core::messages::DonationEvent;
use campaign_core::ports::{
    BlacklistStore, CallRecordStore, CampaignStore, ContactStore, Counters, SmsGateway,
    SpeechSynthesizer, Telephony,
};
use campaign_core::usecases::follow_up::SendFollowUp;
use lambda_kit::FunctionError;
use lambda_kit::config::{TelephonyConfig, env_lookup, optional, required, table_prefix};
use lambda_kit::sqs::{RecordResult, process_batch};
use lambda_runtime::LambdaEvent;
use tracing::Instrument;

pub const FUNCTION: &str = "sms-tts-fallback";

const CONCURRENCY: usize = 5;

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "SMS_PROVIDER",
    "SMS_SENDER_ID",
    "SMS_PROVIDER_SECRET_ID",
    "POLLY_VOICE_ID",
    "POLLY_ENGINE",
    "TTS_CACHE_BUCKET",
    "TELEPHONY_PROVIDER",
    "ORIGINATE_QUEUE_URL",
    "CONNECT_INSTANCE_ID",
    "CONNECT_CONTACT_FLOW_ID",
    "CONNECT_SOURCE_PHONE_NUMBER",
    "CONNECT_QUEUE_ID",
    "CONNECT_REQUESTS_PER_SECOND",
    "CONNECT_ANSWERING_MACHINE_DETECTION",
    "CONNECT_CAMPAIGN_ID",
];

/// Who sends the SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsProvider {
    /// `sns` (the default): SNS `Publish` to the number, transactional,
    /// with `SMS_SENDER_ID` as the sender id where the country allows one.
    Sns { sender_id: Option<String> },
    /// `http`: the HTTP provider whose credentials are the Secrets Manager
    /// secret `SMS_PROVIDER_SECRET_ID`.
    Http { secret_id: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
    /// `SMS_PROVIDER` (`sns`), `SMS_SENDER_ID`, `SMS_PROVIDER_SECRET_ID`.
    pub sms: SmsProvider,
    /// `POLLY_VOICE_ID` (`Joanna`): the voice asked of the synthesizer. Polly
    /// has no Hebrew voice; a campaign in Hebrew should set an SMS-only
    /// follow-up or record its audio (see the README).
    pub voice: String,
    /// `POLLY_ENGINE` (`neural`; or `standard`, which more voices support).
    pub engine: String,
    /// `TTS_CACHE_BUCKET` (required): where synthesized clips are cached by
    /// a hash of text + voice + format.
    pub tts_cache_bucket: String,
    /// `TELEPHONY_PROVIDER` and its settings: how the TTS call is placed.
    pub telephony: TelephonyConfig,
    /// The `CONNECT_*` settings when the provider is Connect.
    pub connect: Option<ConnectConfig>,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let sms = match optional(lookup, "SMS_PROVIDER")
            .unwrap_or_else(|| "sns".into())
            .to_ascii_lowercase()
            .as_str()
        {
            "sns" => SmsProvider::Sns {
                sender_id: optional(lookup, "SMS_SENDER_ID"),
            },
            "http" => SmsProvider::Http {
                secret_id: required(lookup, "SMS_PROVIDER_SECRET_ID")?,
            },
            other => {
                return Err(FunctionError::Config(format!(
                    "SMS_PROVIDER={other:?} is not sns or http"
                )));
            }
        };
        let engine = optional(lookup, "POLLY_ENGINE")
            .unwrap_or_else(|| "neural".into())
            .to_ascii_lowercase();
        if !["neural", "standard", "generative", "long-form"].contains(&engine.as_str()) {
            return Err(FunctionError::Config(format!(
                "POLLY_ENGINE={engine:?} is not neural, standard, generative or long-form"
            )));
        }
        let (telephony, connect) = carrier_config(lookup)?;
        Ok(Self {
            table_prefix: table_prefix(lookup),
            sms,
            voice: optional(lookup, "POLLY_VOICE_ID").unwrap_or_else(|| "Joanna".to_owned()),
            engine,
            tts_cache_bucket: required(lookup, "TTS_CACHE_BUCKET")?,
            telephony,
            connect,
        })
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

/// The AWS adapters: DynamoDB stores and counters; the SMS gateway (SNS SMS,
/// or the HTTP provider behind Secrets Manager credentials); Polly with its
/// S3 cache; the telephony adapter; the system clock. Each provider has its
/// own time limit, backoff and circuit breaker.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    let sms: Arc<dyn SmsGateway> = match &config.sms {
        SmsProvider::Sns { sender_id } => {
            let sms = SnsSms::new(aws.clients.sns.clone(), aws.resilience());
            Arc::new(match sender_id {
                Some(id) => sms.with_sender_id(id),
                None => sms,
            })
        }
        SmsProvider::Http { secret_id } => {
            Arc::new(HttpSms::new(aws.secrets(), secret_id, aws.resilience())?)
        }
    };
    let cache = aws.objects(&config.tts_cache_bucket);
    let voice = PollyVoice {
        engine: Engine::from(config.engine.as_str()),
        ..PollyVoice::default()
    };
    let tts = PollySynthesizer::new(
        aws.clients.polly.clone(),
        cache.clone(),
        cache.location(""),
        voice,
        aws.resilience(),
    );
    let telephony = carrier::telephony(&aws, &config.telephony, config.connect.as_ref())
        .map_err(anyhow::Error::msg)?;
    Ok(Deps {
        campaigns: aws.campaigns(),
        contacts: aws.contacts(),
        calls: aws.calls(),
        blacklist: aws.blacklist(),
        sms,
        tts: Arc::new(tts),
        telephony,
        counters: aws.counters(),
        clock: aws.clock.clone(),
    })
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
