//! `call-events`: consumes the `call-events` SNS topic through its SQS queue
//! (raw delivery). Each record's body is a `CallEvent`; the core's
//! `RecordCallEvent` keeps the call record current, frees the concurrency
//! slot when a call ends, counts live metrics and settles the contact (retry
//! at the time the rules give, or finish it).
//!
//! Input: an SQS event. Output: `SqsBatchResponse` naming the records to
//! deliver again — a failed dependency, or a malformed body (after the
//! queue's `maxReceiveCount` it moves to the dead-letter queue intact).
//! Repeated and out-of-order events are harmless (the use case is idempotent
//! on the event id and the record's state) and count as done. Records are
//! handled one at a time in queue order, so the events of one call in a batch
//! apply in the order they were sent.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::clock::Clock;
use campaign_core::messages::CallEvent;
use campaign_core::ports::{CallRecordStore, CampaignStore, ContactStore, Counters};
use campaign_core::usecases::call_events::RecordCallEvent;
use lambda_kit::FunctionError;
use lambda_kit::sqs::{RecordResult, process_batch};
use lambda_runtime::LambdaEvent;
use tracing::Instrument;

use campaign_aws::AwsPorts;
use lambda_kit::config::{env_lookup, table_prefix};

pub const FUNCTION: &str = "call-events";

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &["CAMPAIGN_TABLE_PREFIX"];

/// The function's settings: only where its tables are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        Ok(Self {
            table_prefix: table_prefix(lookup),
        })
    }
}

pub struct Deps {
    pub calls: Arc<dyn CallRecordStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub campaigns: Arc<dyn CampaignStore>,
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters (DynamoDB stores and the system clock), built once per
/// container.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        calls: aws.calls(),
        contacts: aws.contacts(),
        campaigns: aws.campaigns(),
        counters: aws.counters(),
        clock: aws.clock.clone(),
    })
}

pub async fn handler(
    deps: &Deps,
    _config: &Config,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    let use_case = RecordCallEvent {
        calls: &*deps.calls,
        contacts: &*deps.contacts,
        campaigns: &*deps.campaigns,
        counters: &*deps.counters,
        clock: &*deps.clock,
    };
    let use_case = &use_case;
    process_batch::<CallEvent, _, _>(event.payload, 1, |e| async move {
        let result = use_case.run(&e).await?;
        tracing::info!(event_id = %e.event_id, call_id = %e.call_id, result = ?result, "call event");
        Ok(RecordResult::Done)
    })
    .instrument(span)
    .await
}
