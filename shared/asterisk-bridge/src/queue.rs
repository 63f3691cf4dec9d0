//! The originate queue (SQS, standard): long-polls commands while the host
//! has free channels, hands them to the bridge and settles each message.
//!
//! Wire format (written by the dialer-worker's Asterisk telephony adapter):
//! the body is the JSON of an `OriginateCommand` or a `HangUpCommand`, and
//! the message attribute `command` (String) says which (`originate` /
//! `hang_up`). Settling: done (or a duplicate) → deleted; the host is full,
//! draining or ARI is down → made visible again after a short delay (any
//! host may take it); refused by Asterisk → deleted (the call's failed end
//! was published); unreadable → left alone, so SQS moves it to the
//! dead-letter queue after `maxReceiveCount` receives.

use std::time::Duration;

use campaign_core::messages::{HangUpCommand, Message, OriginateCommand};
use campaign_core::ports::{Telephony, TelephonyError};
use tokio::sync::watch;

use crate::bridge::Bridge;

/// The message attribute naming the command.
pub const COMMAND_ATTRIBUTE: &str = "command";

#[derive(Debug, Clone, PartialEq)]
pub enum QueueCommand {
    Originate(Box<OriginateCommand>),
    HangUp(HangUpCommand),
}

/// Reads a message: the attribute decides; without one, the body's shape does.
pub fn decode(kind: Option<&str>, body: &str) -> Result<QueueCommand, String> {
    match kind {
        Some("originate") => OriginateCommand::decode(body.as_bytes())
            .map(|c| QueueCommand::Originate(Box::new(c)))
            .map_err(|e| e.to_string()),
        Some("hang_up") => HangUpCommand::decode(body.as_bytes())
            .map(QueueCommand::HangUp)
            .map_err(|e| e.to_string()),
        Some(other) => Err(format!("unknown command {other:?}")),
        None => OriginateCommand::decode(body.as_bytes())
            .map(|c| QueueCommand::Originate(Box::new(c)))
            .or_else(|_| HangUpCommand::decode(body.as_bytes()).map(QueueCommand::HangUp))
            .map_err(|e| format!("no command attribute and {e}")),
    }
}

/// What to do with a message once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    Delete,
    /// Visible again after this delay.
    RetryAfter(Duration),
}

/// Runs one command against the telephony port.
pub async fn handle(telephony: &dyn Telephony, command: &QueueCommand) -> Settle {
    let result = match command {
        QueueCommand::Originate(c) => telephony.originate(c).await.map(|ack| {
            if ack.duplicate {
                tracing::info!(call_id = %c.call_id, "repeated originate command: nothing dialled");
            }
        }),
        QueueCommand::HangUp(c) => telephony.hang_up(&c.call_id).await,
    };
    match result {
        Ok(()) => Settle::Delete,
        Err(TelephonyError::Throttled(m)) => {
            tracing::info!(reason = m, "command deferred");
            Settle::RetryAfter(Duration::from_secs(5))
        }
        Err(TelephonyError::Unavailable(m)) => {
            tracing::warn!(reason = m, "command deferred: carrier unavailable");
            Settle::RetryAfter(Duration::from_secs(15))
        }
        Err(TelephonyError::Rejected(m)) => {
            tracing::error!(reason = m, "command refused by Asterisk");
            Settle::Delete
        }
    }
}

/// Polls the queue until `stop` turns true or the bridge drains.
pub async fn run(
    bridge: Bridge,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() && !bridge.is_draining() {
        tokio::select! {
            _ = bridge.wait_for_capacity() => {}
            _ = stop.changed() => break,
        }
        if bridge.is_draining() || *stop.borrow() {
            break;
        }
        let free = bridge
            .settings()
            .max_channels
            .saturating_sub(bridge.active_channels());
        let n = free.clamp(1, 10) as i32;
        let receive = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(n)
            .wait_time_seconds(20)
            .message_attribute_names("All")
            .send();
        let received = tokio::select! {
            r = receive => r,
            _ = stop.changed() => break,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let handled = messages.into_iter().map(|m| {
            let bridge = bridge.clone();
            let sqs = sqs.clone();
            let queue_url = queue_url.clone();
            async move {
                let Some(receipt) = m.receipt_handle() else {
                    return;
                };
                let kind = m
                    .message_attributes()
                    .and_then(|a| a.get(COMMAND_ATTRIBUTE))
                    .and_then(|v| v.string_value());
                let command = match decode(kind, m.body().unwrap_or_default()) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(
                            message_id = m.message_id(),
                            error = e,
                            "unreadable command left for the dead-letter queue"
                        );
                        return;
                    }
                };
                let settle = handle(&bridge, &command).await;
                let r = match settle {
                    Settle::Delete => sqs
                        .delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(receipt)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string()),
                    Settle::RetryAfter(d) => sqs
                        .change_message_visibility()
                        .queue_url(&queue_url)
                        .receipt_handle(receipt)
                        .visibility_timeout(d.as_secs() as i32)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string()),
                };
                if let Err(e) = r {
                    tracing::warn!(
                        message_id = m.message_id(),
                        error = e,
                        "could not settle a message"
                    );
                }
            }
        });
        futures::future::join_all(handled).await;
    }
}
