//! `enricher`: the EventBridge Pipes enrichment step between the `dial-tasks`
//! queue and the dialer-worker.
//!
//! Input: the bare JSON array of SQS records Pipes delivers
//! (`[{"messageId", "body": <DialTask JSON>, ...}]`). Output: a JSON array of
//! [`PipeItem`]s, one per record that goes on, each keeping its `messageId`:
//!
//! - `{"messageId", "task": <DialTask with settings>}`: dial it.
//! - a task that must not be dialled now (blacklisted since it was queued,
//!   campaign paused, ended or not active, outside the contact's window, a
//!   duplicate or stale delivery, an unknown campaign or contact) is **left
//!   out**, so Pipes does not deliver it and the source message is deleted.
//!   Nothing is lost: the core already put the contact back where it belongs
//!   (pending with its next time, blacklisted, failed), every drop is logged
//!   with its message id, call id and reason, and counted per campaign in the
//!   `metrics/<campaign>/enrich_dropped_<reason>` counter.
//! - **A malformed record is kept**, as `{"messageId", "rejected": <reason>}`
//!   (body not JSON, not a dial task, unsupported `version`): the
//!   dialer-worker reports it as a batch item failure, so SQS delivers it again
//!   and, after `maxReceiveCount`, moves it with its body intact to the
//!   queue's dead-letter queue for a person to look at (or redrive once a
//!   newer consumer that reads its version is deployed). Dropping it here
//!   would delete the only copy. It is logged as an error each time.
//!
//! A failing dependency (store or counters unavailable) fails the whole
//! invocation with `TransientDependencyError`; Pipes retries the batch.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsMessage;
use campaign_core::clock::Clock;
use campaign_core::messages::DialTask;
use campaign_core::ports::{
    BlacklistStore, CallRecordStore, CampaignStore, ContactStore, Counters,
};
use campaign_core::usecases::enrich::{DropReason, Enrich, Enriched};
use campaign_core::usecases::keys;
use lambda_kit::FunctionError;
use lambda_kit::pipe::PipeItem;
use lambda_kit::sqs::decode_body;
use lambda_runtime::LambdaEvent;
use tracing::Instrument;

use campaign_aws::AwsPorts;
use lambda_kit::config::{env_lookup, table_prefix};

pub const FUNCTION: &str = "enricher";

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
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    pub calls: Arc<dyn CallRecordStore>,
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters (DynamoDB stores and the system clock), built once per
/// container.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        campaigns: aws.campaigns(),
        contacts: aws.contacts(),
        blacklist: aws.blacklist(),
        calls: aws.calls(),
        counters: aws.counters(),
        clock: aws.clock.clone(),
    })
}

/// A drop reason as a counter / log name: `blacklisted`, `campaign_paused`,
/// `outside_window`, `duplicate`, `unknown`, …
pub fn reason_name(reason: &DropReason) -> String {
    match reason {
        DropReason::Skip(skip) => serde_json::to_value(skip)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{skip:?}")),
        DropReason::Duplicate => "duplicate".to_owned(),
        DropReason::Unknown => "unknown".to_owned(),
    }
}

pub async fn handler(
    deps: &Deps,
    _config: &Config,
    event: LambdaEvent<Vec<SqsMessage>>,
) -> Result<Vec<PipeItem>, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    enrich(deps, event.payload).instrument(span).await
}

async fn enrich(deps: &Deps, records: Vec<SqsMessage>) -> Result<Vec<PipeItem>, FunctionError> {
    let received = records.len();
    // Slots of the output in input order: a rejected item, or the index of a
    // task given to the use case.
    let mut slots: Vec<(String, Result<usize, String>)> = Vec::with_capacity(received);
    let mut tasks: Vec<DialTask> = Vec::new();
    for record in records {
        let Some(id) = record.message_id.clone().filter(|id| !id.is_empty()) else {
            // Pipes always sets it; without it the record cannot be named downstream.
            tracing::error!("record without a messageId: left out");
            continue;
        };
        match decode_body::<DialTask>(record.body.as_deref()) {
            Ok(task) => {
                slots.push((id, Ok(tasks.len())));
                tasks.push(task);
            }
            Err(e) => {
                let reason = lambda_kit::scrub(&e.to_string());
                tracing::error!(message_id = %id, %reason, "malformed dial task: passed on as rejected, to reach the dead-letter queue");
                slots.push((id, Err(reason)));
            }
        }
    }
    let campaigns: Vec<_> = tasks.iter().map(|t| t.campaign_id.clone()).collect();
    let call_ids: Vec<_> = tasks.iter().map(|t| t.call_id.clone()).collect();
    let results = Enrich {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        blacklist: &*deps.blacklist,
        calls: &*deps.calls,
        counters: &*deps.counters,
        clock: &*deps.clock,
    }
    .run(tasks)
    .await?;
    let mut results: Vec<Option<Enriched>> = results.into_iter().map(Some).collect();

    let (mut kept, mut dropped, mut rejected) = (0usize, 0usize, 0usize);
    let mut out = Vec::with_capacity(slots.len());
    for (id, slot) in slots {
        match slot {
            Err(reason) => {
                rejected += 1;
                out.push(PipeItem::rejected(id, reason));
            }
            Ok(i) => match results.get_mut(i).and_then(Option::take) {
                Some(Enriched::Dial(task)) => {
                    kept += 1;
                    out.push(PipeItem::dial(id, *task));
                }
                Some(Enriched::Drop(reason)) => {
                    dropped += 1;
                    let name = reason_name(&reason);
                    tracing::info!(message_id = %id, call_id = %call_ids[i], campaign_id = %campaigns[i], reason = %name, "dial task dropped");
                    deps.counters
                        .add(
                            &keys::metric(&campaigns[i], &format!("enrich_dropped_{name}")),
                            1,
                        )
                        .await?;
                }
                None => {
                    // The use case answers one result per task; a gap is a
                    // bug: fail the batch so Pipes delivers it again.
                    return Err(FunctionError::invalid(format!(
                        "enrichment returned no result for message {id}"
                    )));
                }
            },
        }
    }
    tracing::info!(received, kept, dropped, rejected, "batch enriched");
    Ok(out)
}
