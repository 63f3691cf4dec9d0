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

pub const FUNCTION: &str = "call-events";

/// No settings of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Ok(Self {})
    }
}

pub struct Deps {
    pub calls: Arc<dyn CallRecordStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub campaigns: Arc<dyn CampaignStore>,
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
}

/// WIRING: the integrator replaces this body with the AWS adapters
/// (`campaign-aws`: DynamoDB call records, contacts, campaigns and counters;
/// the system clock).
pub async fn build_deps(_config: &Config) -> anyhow::Result<Deps> {
    anyhow::bail!("AWS adapters not wired yet")
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
