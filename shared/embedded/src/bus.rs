//! The in-process event bus: [`MemoryBus`] implements [`EventBus`] with one
//! FIFO per topic (`call-events`, `donation-events`, `optout-events`), like
//! one subscriber queue per topic. Consumers pop or drain a topic; nothing
//! is delivered twice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use campaign_core::ports::{BusEvent, EventBus, PortResult};

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
