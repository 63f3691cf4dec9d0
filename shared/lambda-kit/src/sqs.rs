//! SQS batches (SNS topics delivered raw to SQS queues, then to Lambda with
//! `ReportBatchItemFailures`): decode each record's body into a message, run
//! one future per record inside a span with its message id, and answer with
//! the ids that failed so only those are delivered again (and, after the
//! queue's `maxReceiveCount`, land in its dead-letter queue with their body
//! intact — nothing is dropped silently).
//!
//! A record that does not decode is a failure of that record only: it is
//! logged with the reason and reported, never a panic and never the whole
//! batch.

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use campaign_core::messages::{Message, MessageError};
use futures::StreamExt;
use serde::Deserialize;
use tracing::Instrument;

use crate::error::FunctionError;

/// Why a record's body could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("record has no body")]
    Missing,
    #[error(transparent)]
    Message(#[from] MessageError),
}

/// An SNS notification envelope, for a subscription without raw delivery.
#[derive(Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

/// Decodes a record body into `M` (version checked). Raw delivery is the
/// configured path; an SNS envelope (raw delivery switched off by mistake)
/// is unwrapped rather than failed.
pub fn decode_body<M: Message>(body: Option<&str>) -> Result<M, BodyError> {
    let body = body.ok_or(BodyError::Missing)?;
    match M::decode(body.as_bytes()) {
        Ok(m) => Ok(m),
        Err(first) => match serde_json::from_str::<SnsEnvelope>(body) {
            Ok(env) if env.kind == "Notification" => Ok(M::decode(env.message.as_bytes())?),
            _ => Err(first.into()),
        },
    }
}

/// What happened to one record.
#[derive(Debug)]
pub enum RecordResult {
    /// Done: delete it.
    Done,
    /// Deliver it again (a dependency was down, or it must wait).
    Retry(String),
}

/// The batch's outcome, for the summary log line and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub received: usize,
    pub done: usize,
    /// Ids reported as batch item failures, in input order.
    pub failed: Vec<String>,
}

impl BatchSummary {
    pub fn response(&self) -> SqsBatchResponse {
        let mut r = SqsBatchResponse::default();
        r.batch_item_failures = self
            .failed
            .iter()
            .map(|id| {
                let mut f = BatchItemFailure::default();
                f.item_identifier = id.clone();
                f
            })
            .collect();
        r
    }
}

/// Runs `handle` for every item `(id, input)` with at most `concurrency`
/// running at once (1: in order), each in a `record` span with its id.
/// An `Err` (or [`RecordResult::Retry`]) makes the item a failure; errors are
/// logged with their type.
pub async fn run_items<T, F, Fut>(
    items: Vec<(String, T)>,
    concurrency: usize,
    handle: F,
) -> BatchSummary
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<RecordResult, FunctionError>>,
{
    let received = items.len();
    let results: Vec<(String, bool)> = futures::stream::iter(items.into_iter().map(|(id, input)| {
        let span = tracing::info_span!("record", message_id = %id);
        let fut = handle(input);
        async move {
            let ok = match fut.await {
                Ok(RecordResult::Done) => true,
                Ok(RecordResult::Retry(reason)) => {
                    tracing::info!(%reason, "record will be delivered again");
                    false
                }
                Err(e) => {
                    if e.is_retryable() {
                        tracing::warn!(error_type = e.error_type(), error = %e.message_chain(), "record failed; will be retried");
                    } else {
                        tracing::error!(error_type = e.error_type(), error = %e.message_chain(), "record failed; retried until the dead-letter queue takes it");
                    }
                    false
                }
            };
            (id, ok)
        }
        .instrument(span)
    }))
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let mut summary = BatchSummary {
        received,
        ..BatchSummary::default()
    };
    for (id, ok) in results {
        if ok {
            summary.done += 1;
        } else {
            summary.failed.push(id);
        }
    }
    tracing::info!(
        received = summary.received,
        done = summary.done,
        failed = summary.failed.len(),
        "batch finished"
    );
    summary
}

/// Decodes every record of an SQS event into `M` and runs `handle` on each
/// (see [`run_items`]). A record that does not decode is a failure of that
/// record alone. A record without a message id cannot be named in the
/// response, so the whole batch fails (Lambda retries all of it).
pub async fn process_batch<M, F, Fut>(
    event: SqsEvent,
    concurrency: usize,
    handle: F,
) -> Result<SqsBatchResponse, FunctionError>
where
    M: Message,
    F: Fn(M) -> Fut,
    Fut: Future<Output = Result<RecordResult, FunctionError>>,
{
    let mut items = Vec::with_capacity(event.records.len());
    for record in event.records {
        let id = record_id(&record)?;
        items.push((id, record));
    }
    let summary = run_items(items, concurrency, |record: SqsMessage| {
        let decoded = decode_body::<M>(record.body.as_deref());
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_default();
        let handled = decoded.map(&handle);
        async move {
            match handled {
                Ok(fut) => fut.await,
                Err(e) => {
                    tracing::error!(
                        kind = M::NAME,
                        %receive_count,
                        error = %crate::logging::scrub(&e.to_string()),
                        "malformed record"
                    );
                    Err(FunctionError::invalid(format!(
                        "malformed {}: {e}",
                        M::NAME
                    )))
                }
            }
        }
    })
    .await;
    Ok(summary.response())
}

fn record_id(record: &SqsMessage) -> Result<String, FunctionError> {
    match record.message_id.as_deref() {
        Some(id) if !id.is_empty() => Ok(id.to_owned()),
        _ => {
            tracing::error!("SQS record without a messageId: failing the whole batch");
            Err(FunctionError::invalid("an SQS record has no messageId"))
        }
    }
}

#[cfg(test)]
mod tests {
    use campaign_core::messages::OptOutEvent;
    use serde_json::json;

    use super::*;

    fn optout_body() -> String {
        json!({
            "version": 1, "event_id": "ev-1", "phone_number": "+972502345678",
            "source": "user_optout", "reason": "pressed 9", "call_id": null,
            "campaign_id": null, "contact_id": null, "at": "2026-03-02T08:00:00Z"
        })
        .to_string()
    }

    fn event(bodies: &[(&str, Option<String>)]) -> SqsEvent {
        let records: Vec<_> = bodies
            .iter()
            .map(|(id, body)| json!({"messageId": id, "body": body, "attributes": {"ApproximateReceiveCount": "1"}}))
            .collect();
        serde_json::from_value(json!({ "Records": records })).expect("event")
    }

    #[test]
    fn decodes_raw_and_enveloped_bodies() {
        let raw = optout_body();
        assert!(decode_body::<OptOutEvent>(Some(&raw)).is_ok());
        let env = json!({"Type": "Notification", "MessageId": "m", "Message": raw}).to_string();
        assert!(decode_body::<OptOutEvent>(Some(&env)).is_ok());
        assert!(matches!(
            decode_body::<OptOutEvent>(None),
            Err(BodyError::Missing)
        ));
        assert!(decode_body::<OptOutEvent>(Some("{\"version\":1}")).is_err());
        let v2 = optout_body().replace("\"version\":1", "\"version\":2");
        assert!(matches!(
            decode_body::<OptOutEvent>(Some(&v2)),
            Err(BodyError::Message(MessageError::UnsupportedVersion { .. }))
        ));
    }

    #[tokio::test]
    async fn malformed_and_failed_records_are_reported_alone() {
        let ev = event(&[
            ("ok", Some(optout_body())),
            ("bad", Some("not json".into())),
            ("empty", None),
            ("down", Some(optout_body().replace("ev-1", "ev-down"))),
        ]);
        let response = process_batch::<OptOutEvent, _, _>(ev, 2, |m| async move {
            if m.event_id == "ev-down" {
                Err(campaign_core::ports::PortError::Unavailable("x".into()).into())
            } else {
                Ok(RecordResult::Done)
            }
        })
        .await
        .expect("batch");
        let ids: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["bad", "empty", "down"]);
    }

    #[tokio::test]
    async fn a_record_without_id_fails_the_batch() {
        let ev: SqsEvent =
            serde_json::from_value(json!({"Records": [{"body": optout_body()}]})).expect("event");
        let r =
            process_batch::<OptOutEvent, _, _>(ev, 1, |_| async { Ok(RecordResult::Done) }).await;
        assert_eq!(r.expect_err("no id").error_type(), "InvalidInput");
    }
}
