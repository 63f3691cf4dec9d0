//! Staying under Connect's `StartOutboundVoiceContact` rate.
//!
//! [`Pacer`] spaces one process's requests `1/rate` apart (a request waits
//! for its turn, it is never dropped). Many Lambda instances dial at once,
//! so [`SharedRate`] adds the fleet-wide limit: one-second buckets in the
//! shared `Counters` (`take_rate`), `rate` starts per second across every
//! instance; when the bucket is full the request waits for the next second,
//! and after `max_wait` it gives up as throttled (the dial task is retried).

use std::sync::Arc;
use std::time::Duration;

use campaign_core::clock::Clock;
use campaign_core::ports::{Counters, PortError};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces requests evenly within one process.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(rate: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / rate.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let turn = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let turn = next.map_or(now, |n| n.max(now));
            *next = Some(turn + self.interval);
            turn
        };
        tokio::time::sleep_until(turn).await;
    }
}

/// The fleet-wide limit through the shared counters.
pub struct SharedRate {
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
    /// The counters scope (one per Connect instance).
    pub scope: String,
    pub rate: u32,
    pub max_wait: Duration,
}

impl SharedRate {
    /// `Ok(true)` when a start was counted, `Ok(false)` after `max_wait`.
    pub async fn take(&self) -> Result<bool, PortError> {
        let deadline = Instant::now() + self.max_wait;
        loop {
            let now = self.clock.now();
            if self.counters.take_rate(&self.scope, now, self.rate).await? {
                return Ok(true);
            }
            // Sleep to the start of the next one-second bucket.
            let into = now.timestamp_subsec_millis();
            let wait = Duration::from_millis(u64::from(1000 - into.min(999)));
            if Instant::now() + wait > deadline {
                return Ok(false);
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_rate() {
        let pacer = Pacer::per_second(2);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        // Five requests at 2/s: the fifth goes 2 s after the first.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
