//! `dialer-worker`: the EventBridge Pipe's target. Input: the enricher's
//! output, a JSON array of `{"messageId", "task"}` items (see
//! `lambda_kit::pipe::PipeItem`). For each task it runs the core's `Dial`:
//! take a concurrency slot (shared, leased) and a calls-per-second token, then
//! originate the attempt exactly once through the telephony port.
//!
//! Output: `{"batchItemFailures": [{"itemIdentifier": <messageId>}]}` naming
//! every item that must be delivered again:
//!
//! - the task must wait (`WaitForSlot`, `WaitForRate`, `CarrierBusy`); once one
//!   task has to wait, the rest of the batch is not tried and waits too (they
//!   would meet the same limit, and trying them would spend rate tokens out of
//!   order);
//! - another delivery of the same attempt holds its claim (`InFlight`): only
//!   that item is delivered again;
//! - a dependency failed (transient or not);
//! - the item is not a usable task: `rejected` by the enricher (malformed
//!   body), a task without settings, or JSON that is not an item. These can
//!   never succeed; they are failed so the queue moves them to its
//!   dead-letter queue after `maxReceiveCount` deliveries, body intact.
//!
//! Placed, duplicate (already placed: nothing dialled) and carrier-rejected
//! (recorded as a failed attempt by the call-event path) tasks are done.
//! An item without a readable `messageId` cannot be named, so the whole
//! invocation fails (`InvalidInput`) and Pipes retries the batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_lambda_events::event::sqs::SqsBatchResponse;
use campaign_aws::{AwsPorts, Topics};
use campaign_connect::ConnectConfig;
use campaign_connect::carrier::{self, carrier_config};
use campaign_core::clock::Clock;
use campaign_core::pacing::AdaptiveConfig;
use campaign_core::ports::{CallRecordStore, ContactStore, Counters, EventBus, Telephony};
use campaign_core::usecases::dial::{DEFAULT_SLOT_LEASE_SECS, Dial, DialResult};
use chrono::Duration;
use lambda_kit::FunctionError;
use lambda_kit::config::{TelephonyConfig, env_lookup, parsed, table_prefix};
use lambda_kit::pipe::PipeItem;
use lambda_kit::sqs::{RecordResult, run_items};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use tracing::Instrument;

pub const FUNCTION: &str = "dialer-worker";

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "SLOT_LEASE_SECS",
    "CALL_EVENTS_TOPIC_ARN",
    "DONATION_EVENTS_TOPIC_ARN",
    "OPTOUT_EVENTS_TOPIC_ARN",
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

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
    /// `SLOT_LEASE_SECS` (900): how long a concurrency slot stays held
    /// without an end event (a lost event or a crash frees it then).
    pub slot_lease_secs: i64,
    /// The event topics (`*_TOPIC_ARN`): a carrier's refusal is published
    /// as the call's end.
    pub topics: Topics,
    /// `TELEPHONY_PROVIDER` and its settings.
    pub telephony: TelephonyConfig,
    /// The `CONNECT_*` settings when the provider is Connect.
    pub connect: Option<ConnectConfig>,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let slot_lease_secs = parsed(lookup, "SLOT_LEASE_SECS", DEFAULT_SLOT_LEASE_SECS)?;
        if slot_lease_secs < 60 {
            return Err(FunctionError::Config(
                "SLOT_LEASE_SECS must be at least 60".into(),
            ));
        }
        let (telephony, connect) = carrier_config(lookup)?;
        Ok(Self {
            table_prefix: table_prefix(lookup),
            slot_lease_secs,
            topics: Topics::from_lookup(lookup).map_err(FunctionError::Config)?,
            telephony,
            connect,
        })
    }
}

pub struct Deps {
    pub calls: Arc<dyn CallRecordStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub counters: Arc<dyn Counters>,
    pub telephony: Arc<dyn Telephony>,
    pub events: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters: DynamoDB call records, contacts and counters; the
/// telephony adapter (the originate queue to the Asterisk hosts, or
/// Connect); SNS for the events; the system clock.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    let telephony = carrier::telephony(&aws, &config.telephony, config.connect.as_ref())
        .map_err(anyhow::Error::msg)?;
    Ok(Deps {
        calls: aws.calls(),
        contacts: aws.contacts(),
        counters: aws.counters(),
        telephony,
        events: aws.events(config.topics.clone()),
        clock: aws.clock.clone(),
    })
}

pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<Vec<Value>>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    dial_all(deps, config, &event.context.request_id, event.payload)
        .instrument(span)
        .await
}

async fn dial_all(
    deps: &Deps,
    config: &Config,
    request_id: &str,
    items: Vec<Value>,
) -> Result<SqsBatchResponse, FunctionError> {
    let mut named = Vec::with_capacity(items.len());
    for value in items {
        let Some(id) = value
            .get("messageId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
        else {
            tracing::error!("pipe item without a messageId: failing the whole batch");
            return Err(FunctionError::invalid("a pipe item has no messageId"));
        };
        named.push((id, value));
    }
    // The default thresholds; each campaign's own pace is the target.
    let adaptive = AdaptiveConfig::default();
    let dial = Dial {
        calls: &*deps.calls,
        contacts: &*deps.contacts,
        counters: &*deps.counters,
        telephony: &*deps.telephony,
        events: &*deps.events,
        clock: &*deps.clock,
        slot_lease: Duration::seconds(config.slot_lease_secs),
        adaptive: Some(&adaptive),
        pace_changes: None,
    };
    let waiting = AtomicBool::new(false);
    let next_item = AtomicUsize::new(0);
    // In order, one at a time: pacing is first come, first served.
    let summary = run_items(named, 1, |value| {
        let (dial, waiting) = (&dial, &waiting);
        // Unique per delivery (the same message may come twice, even in one
        // batch): this invocation and the item's place in it.
        let delivery = format!(
            "{request_id}/{}",
            next_item.fetch_add(1, Ordering::Relaxed)
        );
        async move {
            let item: PipeItem = serde_json::from_value(value)
                .map_err(|e| FunctionError::invalid(format!("not a pipe item: {e}")))?;
            if let Some(reason) = item.rejected {
                return Err(FunctionError::invalid(format!("rejected by the enricher: {reason}")));
            }
            let Some(task) = item.task else {
                return Err(FunctionError::invalid("pipe item without a task"));
            };
            if waiting.load(Ordering::Relaxed) {
                return Ok(RecordResult::Retry("an earlier task of the batch is waiting".into()));
            }
            let result = dial.run(&task, &delivery).await?;
            tracing::info!(call_id = %task.call_id, campaign_id = %task.campaign_id, attempt = task.attempt, result = ?result, "dial");
            match result {
                // Another delivery of this attempt is at work: only this
                // item waits (the limits were not met).
                DialResult::InFlight => Ok(RecordResult::Retry("InFlight".into())),
                r if r.must_retry() => {
                    waiting.store(true, Ordering::Relaxed);
                    Ok(RecordResult::Retry(format!("{r:?}")))
                }
                DialResult::NotEnriched => Err(FunctionError::invalid(
                    "dial task without settings: it skipped enrichment",
                )),
                DialResult::Placed | DialResult::Duplicate | DialResult::Rejected(_) => {
                    Ok(RecordResult::Done)
                }
                other => Ok(RecordResult::Retry(format!("{other:?}"))),
            }
        }
    })
    .await;
    Ok(summary.response())
}
