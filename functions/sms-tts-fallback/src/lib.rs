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
//! The SMS is claimed before it is sent, so a failure after the send never
//! sends it twice (see `campaign_core::usecases::follow_up`). The TTS call
//! passes the dialer's gate: the contact's calling window, a concurrency
//! slot and a calls-per-second token of its campaign. One that cannot go
//! now is handed back to this function's own queue (`FOLLOW_UP_QUEUE_URL`)
//! as a new message delayed until the window opens (at most 15 minutes at a
//! time) or a few seconds for a slot, and the record counts as done:
//! waiting never uses up the queue's `maxReceiveCount`.
//!
//! Input: an SQS event. Output: `SqsBatchResponse` naming the records to
//! deliver again: a provider or store that is down (the SMS gateway's
//! idempotency key, the call id, keeps a retry from sending twice), or a
//! malformed body (dead-letter queue after `maxReceiveCount`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_aws::http_sms::HttpSms;
use campaign_aws::polly::Engine;
use campaign_aws::{AwsPorts, PollySynthesizer, PollyVoice, SnsSms};
use campaign_connect::ConnectConfig;
use campaign_connect::carrier::{self, carrier_config};
use campaign_core::clock::Clock;
use campaign_core::messages::DonationEvent;
use campaign_core::pacing::AdaptiveConfig;
use campaign_core::ports::{
    BlacklistStore, CallRecordStore, CampaignStore, ContactStore, Counters, FollowUpQueue,
    SmsGateway, SpeechSynthesizer, Telephony,
};
use campaign_core::usecases::dial::DEFAULT_SLOT_LEASE_SECS;
use campaign_core::usecases::follow_up::SendFollowUp;
use chrono::Duration;
use lambda_kit::FunctionError;
use lambda_kit::config::{TelephonyConfig, env_lookup, optional, parsed, required, table_prefix};
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
    "FOLLOW_UP_QUEUE_URL",
    "SLOT_LEASE_SECS",
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
    /// `FOLLOW_UP_QUEUE_URL` (required): this function's own queue, where an
    /// event whose TTS call must wait is sent back with a delay.
    pub follow_up_queue_url: String,
    /// `SLOT_LEASE_SECS` (900): the TTS call's concurrency slot lease, as
    /// the dialer-worker's.
    pub slot_lease_secs: i64,
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
        let slot_lease_secs = parsed(lookup, "SLOT_LEASE_SECS", DEFAULT_SLOT_LEASE_SECS)?;
        if slot_lease_secs < 60 {
            return Err(FunctionError::Config(
                "SLOT_LEASE_SECS must be at least 60".into(),
            ));
        }
        Ok(Self {
            table_prefix: table_prefix(lookup),
            follow_up_queue_url: required(lookup, "FOLLOW_UP_QUEUE_URL")?,
            slot_lease_secs,
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
    pub follow_ups: Arc<dyn FollowUpQueue>,
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
        follow_ups: aws.follow_up_queue(&config.follow_up_queue_url),
        clock: aws.clock.clone(),
    })
}

pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    // The default thresholds, as the dialer-worker's.
    let adaptive = AdaptiveConfig::default();
    let use_case = SendFollowUp {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        calls: &*deps.calls,
        blacklist: &*deps.blacklist,
        sms: &*deps.sms,
        tts: &*deps.tts,
        telephony: &*deps.telephony,
        counters: &*deps.counters,
        follow_ups: &*deps.follow_ups,
        clock: &*deps.clock,
        voice: &config.voice,
        slot_lease: Duration::seconds(config.slot_lease_secs),
        adaptive: Some(&adaptive),
        pace_changes: None,
    };
    let use_case = &use_case;
    let request_id = event.context.request_id.clone();
    let next_record = AtomicUsize::new(0);
    // Deliveries of one call in the same batch take turns: the later one
    // then finds what the first did (SMS sent or refused) and settles at
    // once, instead of meeting the first's claim and coming back later.
    let turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>> = Mutex::default();
    let (request_id, next_record, turns) = (&request_id, &next_record, &turns);
    process_batch::<DonationEvent, _, _>(event.payload, CONCURRENCY, |e| async move {
        // Unique per delivery (the same message may come twice, even in
        // one batch): this invocation and the record's place in it.
        let delivery = format!(
            "{request_id}/{}",
            next_record.fetch_add(1, Ordering::Relaxed)
        );
        let turn = turns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(e.call_id.to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().await;
        let outcome = use_case.run(&e, &delivery).await?;
        tracing::info!(event_id = %e.event_id, call_id = %e.call_id, outcome = ?outcome, "follow-up");
        Ok(RecordResult::Done)
    })
    .instrument(span)
    .await
}
