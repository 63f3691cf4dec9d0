//! The dial queue on SQS.
//!
//! - [`SqsDialQueue`] sends dial tasks (JSON bodies) with `SendMessageBatch`
//!   in chunks of 10. Entries the service failed are sent again (up to
//!   [`SEND_RETRIES`] times, with backoff) and then reported as an error:
//!   a task is never dropped silently. Entries refused as the sender's fault
//!   are `Invalid` at once. `depth` is visible + in flight + delayed.
//! - [`SqsDialQueueConsumer`] receives with the visibility asked for, acks
//!   with `DeleteMessage` and retries later with `ChangeMessageVisibility`;
//!   `receive_count` is SQS's `ApproximateReceiveCount`. On AWS the Pipe
//!   consumes the queue; this consumer serves the local runtime and tests.
//!   SQS works in real time, so the `now` arguments are not used.
//! - [`SqsFollowUpQueue`] hands a waiting donation event back to the
//!   follow-up queue with a delay.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use campaign_core::messages::{DialTask, DonationEvent};
use campaign_core::ports::{
    DialQueue, DialQueueConsumer, FollowUpQueue, PortError, PortResult, Received,
};
use chrono::{DateTime, Duration, Utc};

use crate::error::port_err;

/// SQS takes at most 10 entries per batch.
pub const BATCH: usize = 10;
/// Rounds of re-sending entries the service failed.
pub const SEND_RETRIES: u32 = 3;
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECS: i64 = 43_200;

#[derive(Debug, Clone)]
pub struct SqsDialQueue {
    client: Client,
    queue_url: String,
}

impl SqsDialQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    async fn send_chunk(&self, tasks: &[DialTask]) -> PortResult<()> {
        const OP: &str = "dial_queue.send";
        let mut entries: Vec<SendMessageBatchRequestEntry> = Vec::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            let body = serde_json::to_string(task)
                .map_err(|e| PortError::Invalid(format!("{OP}: cannot encode a dial task: {e}")))?;
            entries.push(
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| PortError::Other(format!("{OP}: {e}")))?,
            );
        }
        let mut round = 0;
        loop {
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries.clone()))
                .send()
                .await
                .map_err(port_err(OP))?;
            if out.failed().is_empty() {
                return Ok(());
            }
            if let Some(f) = out.failed().iter().find(|f| f.sender_fault()) {
                return Err(PortError::Invalid(format!(
                    "{OP}: SQS refused a dial task: {} {}",
                    f.code(),
                    f.message().unwrap_or("")
                )));
            }
            round += 1;
            if round > SEND_RETRIES {
                return Err(PortError::Unavailable(format!(
                    "{OP}: {} of {} dial tasks still failed after {SEND_RETRIES} retries ({})",
                    out.failed().len(),
                    tasks.len(),
                    out.failed()[0].code()
                )));
            }
            let failed: std::collections::HashSet<&str> =
                out.failed().iter().map(|f| f.id()).collect();
            entries.retain(|e| failed.contains(e.id()));
            tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
        }
    }
}

#[async_trait]
impl DialQueue for SqsDialQueue {
    async fn send(&self, tasks: &[DialTask]) -> PortResult<()> {
        for chunk in tasks.chunks(BATCH) {
            self.send_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn depth(&self) -> PortResult<u64> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(port_err("dial_queue.depth"))?;
        Ok(out
            .attributes()
            .map(|a| {
                a.values()
                    .filter_map(|v| v.parse::<u64>().ok())
                    .sum::<u64>()
            })
            .unwrap_or(0))
    }
}

#[derive(Debug, Clone)]
pub struct SqsDialQueueConsumer {
    client: Client,
    queue_url: String,
    wait_secs: i32,
}

/// Whole seconds, rounded up, within SQS's bounds.
fn seconds(d: Duration) -> i32 {
    let ms = d.num_milliseconds().max(0);
    let secs = (ms + 999) / 1000;
    i32::try_from(secs.min(MAX_VISIBILITY_SECS)).unwrap_or(0)
}

impl SqsDialQueueConsumer {
    /// Short polling (no wait): a receive returns at once.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            wait_secs: 0,
        }
    }

    /// Long polling: wait up to `wait` (at most 20 s) for a message. On
    /// real SQS this also asks every server, so no message is missed.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait_secs = seconds(wait).min(20);
        self
    }
}

#[async_trait]
impl DialQueueConsumer for SqsDialQueueConsumer {
    async fn receive(
        &self,
        max: usize,
        _now: DateTime<Utc>,
        visibility: Duration,
    ) -> PortResult<Vec<Received<DialTask>>> {
        const OP: &str = "dial_queue.receive";
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(i32::try_from(max.min(BATCH)).unwrap_or(10))
            .visibility_timeout(seconds(visibility))
            .wait_time_seconds(self.wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(port_err(OP))?;
        let mut received = Vec::new();
        for m in out.messages() {
            let (Some(receipt), Some(body)) = (m.receipt_handle(), m.body()) else {
                continue;
            };
            let task: DialTask = match serde_json::from_str(body) {
                Ok(t) => t,
                Err(e) => {
                    // Left in flight: after the queue's maxReceiveCount it
                    // goes to the dead-letter queue, where a person sees it.
                    tracing::warn!(
                        message_id = m.message_id().unwrap_or(""),
                        error = %e,
                        "dial queue: skipping a message that is not a dial task"
                    );
                    continue;
                }
            };
            let receive_count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            received.push(Received {
                receipt: receipt.to_owned(),
                message: task,
                receive_count,
            });
        }
        Ok(received)
    }

    async fn ack(&self, receipt: &str) -> PortResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(port_err("dial_queue.ack"))?;
        Ok(())
    }

    async fn retry_later(
        &self,
        receipt: &str,
        _now: DateTime<Utc>,
        delay: Duration,
    ) -> PortResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds(delay))
            .send()
            .await
            .map_err(port_err("dial_queue.retry_later"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_whole_seconds_within_bounds() {
        assert_eq!(seconds(Duration::milliseconds(1)), 1);
        assert_eq!(seconds(Duration::seconds(2)), 2);
        assert_eq!(seconds(Duration::milliseconds(2001)), 3);
        assert_eq!(seconds(Duration::seconds(-5)), 0);
        assert_eq!(seconds(Duration::days(3)), 43_200);
    }
}

/// SQS's longest message delay (15 minutes).
pub const MAX_DELAY_SECS: i64 = 900;

/// The follow-up queue's [`FollowUpQueue`]: a donation event that must wait
/// is sent back to the queue (`sms-tts-fallback`'s own) as a new message
/// with a delay of up to [`MAX_DELAY_SECS`]; one due later is handled, found
/// still waiting, and sent back again. A new message, not a batch item
/// failure: waiting must not use up the queue's `maxReceiveCount`.
#[derive(Clone)]
pub struct SqsFollowUpQueue {
    client: Client,
    queue_url: String,
    clock: std::sync::Arc<dyn campaign_core::clock::Clock>,
}

impl SqsFollowUpQueue {
    pub fn new(
        client: Client,
        queue_url: impl Into<String>,
        clock: std::sync::Arc<dyn campaign_core::clock::Clock>,
    ) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            clock,
        }
    }
}

/// The delay for a message due at `at`, seen at `now`, within SQS's bounds.
pub fn follow_up_delay(now: DateTime<Utc>, at: DateTime<Utc>) -> i32 {
    let ms = (at - now).num_milliseconds().max(0);
    i32::try_from(((ms + 999) / 1000).min(MAX_DELAY_SECS)).unwrap_or(0)
}

#[async_trait]
impl FollowUpQueue for SqsFollowUpQueue {
    async fn defer(&self, event: &DonationEvent, at: DateTime<Utc>) -> PortResult<()> {
        const OP: &str = "follow_up_queue.defer";
        let body = serde_json::to_string(event)
            .map_err(|e| PortError::Invalid(format!("{OP}: cannot encode the event: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(follow_up_delay(self.clock.now(), at))
            .send()
            .await
            .map_err(port_err(OP))?;
        Ok(())
    }
}
