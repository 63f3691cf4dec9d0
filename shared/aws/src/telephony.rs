//! The Asterisk carrier as seen from a Lambda: an SQS originate queue.
//!
//! [`SqsOriginateQueue`] implements the telephony port by sending each
//! command to the queue the Asterisk bridges consume (DESIGN.md: Lambdas stay
//! out of the VPC, ARI stays on the host's loopback, a host restart loses no
//! request, and several hosts can share one queue). The body is the JSON of
//! the [`OriginateCommand`] or [`HangUpCommand`]; the message attribute
//! `command` (`originate` / `hang_up`) says which, so a bridge can route
//! without parsing. The queue is a standard queue: a repeated command is
//! harmless because the bridge derives the channel id from the call id.
//!
//! Queued is not placed: `originate` answers `duplicate: false` and the
//! queue's message id as `carrier_call_id`; the bridge reports what happened
//! through call events. Sending goes through [`Resilience`] (time limit,
//! backoff, circuit breaker), and a breaker that is open reads as
//! `Throttled`, so the dialer retries the task later instead of failing it.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;
use campaign_core::ids::CallId;
use campaign_core::messages::{HangUpCommand, MESSAGE_VERSION, Message, OriginateCommand};
use campaign_core::ports::{OriginateAck, Telephony, TelephonyError};

use crate::error::{AwsError, classify};
use crate::resilience::{Resilience, ResilienceError, Transient};

/// The `command` attribute's values.
pub const ORIGINATE: &str = "originate";
pub const HANG_UP: &str = "hang_up";
/// The message attribute that names the command.
pub const COMMAND_ATTRIBUTE: &str = "command";

pub struct SqsOriginateQueue {
    client: Client,
    queue_url: String,
    resilience: Arc<Resilience>,
}

impl std::fmt::Debug for SqsOriginateQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsOriginateQueue")
            .field("queue_url", &self.queue_url)
            .finish_non_exhaustive()
    }
}

impl Transient for TelephonyError {
    fn is_transient(&self) -> bool {
        matches!(
            self,
            TelephonyError::Unavailable(_) | TelephonyError::Throttled(_)
        )
    }
}

impl SqsOriginateQueue {
    pub fn new(client: Client, queue_url: impl Into<String>, resilience: Arc<Resilience>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            resilience,
        }
    }

    async fn send_once(&self, command: &str, body: &str) -> Result<String, TelephonyError> {
        const OP: &str = "originate_queue.send";
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(command)
            .build()
            .map_err(|e| TelephonyError::Rejected(format!("{OP}: {e}")))?;
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes(COMMAND_ATTRIBUTE, attribute)
            .send()
            .await
            .map_err(|e| match classify(OP, e) {
                e @ AwsError::Transient { .. } => TelephonyError::Unavailable(e.to_string()),
                // The queue refusing our own message (missing queue, denied,
                // too large) will not get better by retrying.
                e => TelephonyError::Rejected(e.to_string()),
            })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }

    async fn send(&self, command: &str, body: String) -> Result<String, TelephonyError> {
        self.resilience
            .call(|| self.send_once(command, &body))
            .await
            .map_err(|e| match e {
                ResilienceError::Inner(e) => e,
                ResilienceError::CircuitOpen => {
                    TelephonyError::Throttled("originate queue: circuit open".into())
                }
                other => TelephonyError::Unavailable(other.to_string()),
            })
    }
}

#[async_trait]
impl Telephony for SqsOriginateQueue {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        let message_id = self.send(ORIGINATE, command.encode()).await?;
        Ok(OriginateAck {
            carrier_call_id: message_id,
            duplicate: false,
        })
    }

    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        let command = HangUpCommand {
            version: MESSAGE_VERSION,
            call_id: call_id.clone(),
            reason: "requested".into(),
        };
        self.send(HANG_UP, command.encode()).await.map(drop)
    }
}
