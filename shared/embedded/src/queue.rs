//! The in-process dial queue: [`MemoryQueue`] implements [`DialQueue`] and
//! [`DialQueueConsumer`] with SQS-like semantics in virtual time. A received
//! message stays invisible until it is acked, until `visibility` has passed
//! since the `now` given to `receive`, or until the delay of `retry_later`;
//! then it is delivered again with a new receipt and a higher receive count.
//! Visible messages come out oldest visible-at first, then in send order.
//! The wall clock is never read.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use campaign_core::messages::DialTask;
use campaign_core::ports::{DialQueue, DialQueueConsumer, PortError, PortResult, Received};
use chrono::{DateTime, Duration, Utc};

/// Ordering key: when the message becomes visible (`None`: sent before any
/// time was seen), then its send sequence.
type Slot = (Option<DateTime<Utc>>, u64);

#[derive(Debug)]
struct Message {
    task: DialTask,
    receive_count: u32,
    /// The receipt of the latest delivery (older receipts are stale).
    receipt: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    messages: BTreeMap<Slot, Message>,
    /// Current receipt -> where its message sits.
    receipts: FxHashMap<String, Slot>,
    next_seq: u64,
    /// The latest `now` any consumer call passed: a new message is visible
    /// from then, so it queues behind redeliveries already due (FIFO by
    /// visible-at) without the queue reading a clock.
    latest_now: Option<DateTime<Utc>>,
    deliveries: u64,
    sent: u64,
    acked: u64,
}

impl Inner {
    fn observe(&mut self, now: DateTime<Utc>) {
        if self.latest_now.is_none_or(|t| now > t) {
            self.latest_now = Some(now);
        }
    }
}

/// An in-memory queue of dial tasks.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    inner: Mutex<Inner>,
}

impl MemoryQueue {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Messages not yet acked (visible, delayed or in flight).
    pub fn len(&self) -> usize {
        self.lock().messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().messages.is_empty()
    }

    /// Messages received and not acked that are invisible at `now` (being
    /// worked on, or put back with a `retry_later` delay).
    pub fn in_flight(&self, now: DateTime<Utc>) -> usize {
        self.lock()
            .messages
            .iter()
            .filter(|((at, _), m)| m.receipt.is_some() && at.is_some_and(|t| t > now))
            .count()
    }

    /// Messages that a `receive` at `now` could return.
    pub fn visible(&self, now: DateTime<Utc>) -> usize {
        self.lock()
            .messages
            .keys()
            .filter(|(at, _)| at.is_none_or(|t| t <= now))
            .count()
    }

    /// When the next invisible message becomes visible (for a virtual-time
    /// driver deciding how far to jump); `None` if none is waiting.
    pub fn next_visible_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Keys sort by visible-at (unset first), so the first key after
        // (now, last sequence) is the next to become visible.
        self.lock()
            .messages
            .range((
                std::ops::Bound::Excluded((Some(now), u64::MAX)),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .and_then(|((at, _), _)| *at)
    }

    /// Totals since creation: (sent, delivered, acked). Deliveries count
    /// redeliveries too.
    pub fn totals(&self) -> (u64, u64, u64) {
        let inner = self.lock();
        (inner.sent, inner.deliveries, inner.acked)
    }
}

#[async_trait]
impl DialQueue for MemoryQueue {
    async fn send(&self, tasks: &[DialTask]) -> PortResult<()> {
        let mut inner = self.lock();
        for task in tasks {
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.sent += 1;
            let at = inner.latest_now;
            inner.messages.insert(
                (at, seq),
                Message {
                    task: task.clone(),
                    receive_count: 0,
                    receipt: None,
                },
            );
        }
        Ok(())
    }

    /// Everything not yet acked, in flight included: the dispatcher subtracts
    /// it from its budget, and in-flight tasks may still come back.
    async fn depth(&self) -> PortResult<u64> {
        Ok(self.lock().messages.len() as u64)
    }
}

#[async_trait]
impl DialQueueConsumer for MemoryQueue {
    async fn receive(
        &self,
        max: usize,
        now: DateTime<Utc>,
        visibility: Duration,
    ) -> PortResult<Vec<Received<DialTask>>> {
        let mut inner = self.lock();
        inner.observe(now);
        let ready: Vec<Slot> = inner
            .messages
            .keys()
            .take_while(|(at, _)| at.is_none_or(|t| t <= now))
            .take(max)
            .copied()
            .collect();
        let hidden_until = now + visibility;
        let mut out = Vec::with_capacity(ready.len());
        for slot in ready {
            let Some(mut msg) = inner.messages.remove(&slot) else {
                continue;
            };
            if let Some(old) = msg.receipt.take() {
                inner.receipts.remove(&old);
            }
            inner.deliveries += 1;
            let receipt = format!("rcpt-{}-{}", slot.1, inner.deliveries);
            msg.receive_count += 1;
            msg.receipt = Some(receipt.clone());
            let new_slot = (Some(hidden_until), slot.1);
            inner.receipts.insert(receipt.clone(), new_slot);
            out.push(Received {
                receipt,
                message: msg.task.clone(),
                receive_count: msg.receive_count,
            });
            inner.messages.insert(new_slot, msg);
        }
        Ok(out)
    }

    /// Deletes the message. An unknown or stale receipt (already acked, or
    /// the message was delivered again since) is not an error: nothing happens.
    async fn ack(&self, receipt: &str) -> PortResult<()> {
        let mut inner = self.lock();
        if let Some(slot) = inner.receipts.remove(receipt)
            && inner.messages.remove(&slot).is_some()
        {
            inner.acked += 1;
        }
        Ok(())
    }

    /// `NotFound` for an unknown or stale receipt (the message was acked or
    /// delivered to someone else since).
    async fn retry_later(
        &self,
        receipt: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> PortResult<()> {
        let mut inner = self.lock();
        inner.observe(now);
        let Some(slot) = inner.receipts.get(receipt).copied() else {
            return Err(PortError::NotFound(format!("receipt {receipt}")));
        };
        let Some(msg) = inner.messages.remove(&slot) else {
            inner.receipts.remove(receipt);
            return Err(PortError::NotFound(format!("receipt {receipt}")));
        };
        // The receipt stays valid (as on SQS) until the next delivery.
        let new_slot = (Some(now + delay), slot.1);
        inner.receipts.insert(receipt.to_owned(), new_slot);
        inner.messages.insert(new_slot, msg);
        Ok(())
    }
}
