//! The in-process event bus: [`MemoryBus`] implements [`EventBus`] with one
//! FIFO per topic (`call-events`, `donation-events`, `optout-events`), like
//! one subscriber queue per topic. Consumers pop or drain a topic; nothing
//! is delivered twice. [`MemoryFollowUps`] holds the follow-up queue's
//! delayed messages.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use campaign_core::messages::DonationEvent;
use campaign_core::ports::{BusEvent, EventBus, FollowUpQueue, PortResult};

/// The topics events are published to.
pub const TOPICS: [&str; 3] = ["call-events", "donation-events", "optout-events"];

#[derive(Debug, Default)]
struct Topic {
    pending: VecDeque<BusEvent>,
    published: u64,
}

#[derive(Debug, Default)]
pub struct MemoryBus {
    topics: Mutex<HashMap<&'static str, Topic>>,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, Topic>> {
        self.topics.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes every pending event of `topic`, oldest first.
    pub fn drain(&self, topic: &str) -> Vec<BusEvent> {
        self.lock()
            .get_mut(topic)
            .map(|t| t.pending.drain(..).collect())
            .unwrap_or_default()
    }

    /// Takes the oldest pending event of `topic`.
    pub fn pop(&self, topic: &str) -> Option<BusEvent> {
        self.lock()
            .get_mut(topic)
            .and_then(|t| t.pending.pop_front())
    }

    /// Events of `topic` published and not yet taken.
    pub fn pending(&self, topic: &str) -> usize {
        self.lock().get(topic).map_or(0, |t| t.pending.len())
    }

    /// Events ever published to `topic`.
    pub fn published_count(&self, topic: &str) -> u64 {
        self.lock().get(topic).map_or(0, |t| t.published)
    }

    /// Events pending on every topic together.
    pub fn total_pending(&self) -> usize {
        self.lock().values().map(|t| t.pending.len()).sum()
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, event: &BusEvent) -> PortResult<()> {
        let mut topics = self.lock();
        let topic = topics.entry(event.topic()).or_default();
        topic.pending.push_back(event.clone());
        topic.published += 1;
        Ok(())
    }
}

/// The follow-up queue's delayed messages: donation events handed back by
/// the follow-up to be handled again at a later time (on AWS, a message
/// sent to the follow-up queue with a delay). The local runtime puts each
/// back on `donation-events` when it is due.
#[derive(Debug, Default)]
pub struct MemoryFollowUps {
    waiting: Mutex<Vec<(chrono::DateTime<chrono::Utc>, DonationEvent)>>,
}

impl MemoryFollowUps {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(chrono::DateTime<chrono::Utc>, DonationEvent)>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the events due at `now`, earliest first.
    pub fn take_due(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<DonationEvent> {
        let mut waiting = self.lock();
        let (mut due, later): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|(at, _)| *at <= now);
        *waiting = later;
        due.sort_by_key(|(at, _)| *at);
        due.into_iter().map(|(_, e)| e).collect()
    }

    /// When the next one is due.
    pub fn next_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.lock().iter().map(|(at, _)| *at).min()
    }

    /// How many are waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl FollowUpQueue for MemoryFollowUps {
    async fn defer(
        &self,
        event: &DonationEvent,
        at: chrono::DateTime<chrono::Utc>,
    ) -> PortResult<()> {
        self.lock().push((at, event.clone()));
        Ok(())
    }
}
