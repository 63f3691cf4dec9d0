//! Resilience for calls to providers (SMS, speech, telephony): a time limit
//! per attempt, retries with exponential backoff (with jitter) for
//! transient failures, and a circuit breaker so a provider that is down is
//! not hammered (and callers fail fast while it recovers).
//!
//! The breaker: **closed** counts consecutive transient failures (a refusal
//! such as an invalid number proves the provider is up and resets the
//! count); at `failure_threshold` it **opens** for `open_for`, failing every
//! call at once; then it is **half-open**: one trial call goes through
//! (others still fail fast); success closes it, failure opens it again.
//! Its time comes from an injected [`Clock`]; the backoff sleeps are real
//! (tokio) sleeps.

use std::future::Future;
use std::sync::{Arc, Mutex};

use campaign_core::clock::Clock;
use chrono::{DateTime, Utc};

/// Whether a failure is worth retrying.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

/// A failed resilient call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResilienceError<E> {
    /// The provider's own error (after the retries, if transient).
    #[error(transparent)]
    Inner(E),
    #[error("timed out after {0:?}")]
    TimedOut(std::time::Duration),
    #[error("circuit open: the provider failed repeatedly; retry later")]
    CircuitOpen,
}

/// Retries with exponential backoff: `base × 2^n`, capped at `max_delay`,
/// each delay drawn at random from its upper half (so callers spread out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    pub base_delay: std::time::Duration,
    pub max_delay: std::time::Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(200),
            max_delay: std::time::Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The longest delay before retry number `retry` (1 = the first retry).
    pub fn ceiling(&self, retry: u32) -> std::time::Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    fn delay(&self, retry: u32) -> std::time::Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis()).unwrap_or(0);
        let jitter = if spread == 0 {
            0
        } else {
            rand::random::<u64>() % (spread + 1)
        };
        half + std::time::Duration::from_millis(jitter)
    }
}

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed {
        failures: u32,
    },
    Open {
        until: DateTime<Utc>,
    },
    /// A trial call is running.
    HalfOpen,
}

/// A circuit breaker (see the module documentation).
pub struct CircuitBreaker {
    failure_threshold: u32,
    open_for: chrono::Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<BreakerState>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("failure_threshold", &self.failure_threshold)
            .field("open_for", &self.open_for)
            .field("state", &self.state())
            .finish()
    }
}

impl CircuitBreaker {
    pub fn new(failure_threshold: u32, open_for: chrono::Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            failure_threshold: failure_threshold.max(1),
            open_for,
            clock,
            state: Mutex::new(BreakerState::Closed { failures: 0 }),
        }
    }

    pub fn state(&self) -> BreakerState {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a call go through now? (Moves an expired open state to half-open
    /// and lets exactly this caller try.)
    pub fn allow(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match *state {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { until } if self.clock.now() >= until => {
                *state = BreakerState::HalfOpen;
                true
            }
            BreakerState::Open { .. } | BreakerState::HalfOpen => false,
        }
    }

    /// The provider answered (success or a refusal that proves it is up).
    pub fn record_success(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) =
            BreakerState::Closed { failures: 0 };
    }

    /// A transient failure or a time-out.
    pub fn record_failure(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let open = BreakerState::Open {
            until: self.clock.now() + self.open_for,
        };
        *state = match *state {
            BreakerState::Closed { failures } if failures + 1 < self.failure_threshold => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            _ => open,
        };
    }
}

/// Time limit + retries + circuit breaker around one provider.
#[derive(Debug)]
pub struct Resilience {
    pub timeout: std::time::Duration,
    pub retry: RetryPolicy,
    pub breaker: CircuitBreaker,
}

impl Resilience {
    /// 30 s per attempt, 3 attempts, and a breaker that opens after 5
    /// consecutive failures for 30 s.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            timeout: std::time::Duration::from_secs(30),
            retry: RetryPolicy::default(),
            breaker: CircuitBreaker::new(5, chrono::Duration::seconds(30), clock),
        }
    }

    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = breaker;
        self
    }

    /// Runs `attempt` under the time limit, retrying transient failures and
    /// time-outs with backoff, unless the breaker is open.
    pub async fn call<T, E, F, Fut>(&self, mut attempt: F) -> Result<T, ResilienceError<E>>
    where
        E: Transient,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let attempts = self.retry.max_attempts.max(1);
        let mut n = 0;
        let mut last = None;
        loop {
            n += 1;
            if !self.breaker.allow() {
                // A breaker that opened during the retries stops them; the
                // caller learns the provider's own last failure.
                return Err(last.unwrap_or(ResilienceError::CircuitOpen));
            }
            let failure = match tokio::time::timeout(self.timeout, attempt()).await {
                Ok(Ok(v)) => {
                    self.breaker.record_success();
                    return Ok(v);
                }
                Ok(Err(e)) if !e.is_transient() => {
                    self.breaker.record_success();
                    return Err(ResilienceError::Inner(e));
                }
                Ok(Err(e)) => ResilienceError::Inner(e),
                Err(_) => ResilienceError::TimedOut(self.timeout),
            };
            self.breaker.record_failure();
            if n >= attempts {
                return Err(failure);
            }
            last = Some(failure);
            tokio::time::sleep(self.retry.delay(n)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campaign_core::clock::ManualClock;
    use chrono::TimeZone;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Fail {
        Busy,
        Refused,
    }

    impl Transient for Fail {
        fn is_transient(&self) -> bool {
            *self == Fail::Busy
        }
    }

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        ))
    }

    fn fast(clock: Arc<ManualClock>, threshold: u32) -> Resilience {
        Resilience::new(clock.clone())
            .with_timeout(std::time::Duration::from_secs(1))
            .with_retry(RetryPolicy {
                max_attempts: 3,
                base_delay: std::time::Duration::from_millis(10),
                max_delay: std::time::Duration::from_millis(40),
            })
            .with_breaker(CircuitBreaker::new(
                threshold,
                chrono::Duration::seconds(30),
                clock,
            ))
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: std::time::Duration::from_millis(100),
            max_delay: std::time::Duration::from_millis(700),
        };
        let ceilings: Vec<u128> = (1..=5).map(|r| p.ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 700, 700]);
        assert_eq!(
            p.ceiling(200).as_millis(),
            700,
            "no overflow on huge retries"
        );
        for r in 1..=5 {
            let d = p.delay(r);
            assert!(
                d <= p.ceiling(r) && d >= p.ceiling(r) / 2,
                "jitter stays in the upper half"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let r = fast(clock(), 10);
        let calls = AtomicU32::new(0);
        let out: Result<u32, _> = r
            .call(|| async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n < 3 { Err(Fail::Busy) } else { Ok(n) }
            })
            .await;
        assert_eq!(out, Ok(3));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(r.breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_are_not_retried() {
        let r = fast(clock(), 10);
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = r
            .call(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Fail::Refused)
            })
            .await;
        assert_eq!(out, Err(ResilienceError::Inner(Fail::Refused)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_at_max_attempts_with_the_last_error() {
        let r = fast(clock(), 10);
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = r
            .call(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Fail::Busy)
            })
            .await;
        assert_eq!(out, Err(ResilienceError::Inner(Fail::Busy)));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_call_times_out_and_counts_as_a_failure() {
        let r = fast(clock(), 10);
        let out: Result<(), ResilienceError<Fail>> = r
            .call(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                Ok(())
            })
            .await;
        assert_eq!(
            out,
            Err(ResilienceError::TimedOut(std::time::Duration::from_secs(1)))
        );
        assert_eq!(r.breaker.state(), BreakerState::Closed { failures: 3 });
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_fails_fast_then_half_opens() {
        let clock = clock();
        let r = fast(clock.clone(), 3);
        let calls = AtomicU32::new(0);
        let failing = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Fail::Busy)
        };
        // Three failures (one call with its retries) open the breaker.
        assert_eq!(
            r.call(failing).await,
            Err(ResilienceError::Inner(Fail::Busy))
        );
        assert!(matches!(r.breaker.state(), BreakerState::Open { .. }));
        // While open: no call reaches the provider.
        assert_eq!(r.call(failing).await, Err(ResilienceError::CircuitOpen));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Before `open_for` has passed it stays open.
        clock.advance(chrono::Duration::seconds(29));
        assert_eq!(r.call(failing).await, Err(ResilienceError::CircuitOpen));
        // After: one trial; a failed trial opens it again at once.
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(
            r.call(failing).await,
            Err(ResilienceError::Inner(Fail::Busy))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "half-open lets one trial through, and its failure stops the retries"
        );
        assert!(matches!(r.breaker.state(), BreakerState::Open { .. }));
        // A successful trial closes it.
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(r.call(|| async { Ok::<_, Fail>(7) }).await, Ok(7));
        assert_eq!(r.breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn half_open_admits_one_trial_at_a_time() {
        let clock = clock();
        let b = CircuitBreaker::new(1, chrono::Duration::seconds(10), clock.clone());
        b.record_failure();
        assert!(!b.allow());
        clock.advance(chrono::Duration::seconds(10));
        assert!(b.allow(), "the first caller after open_for is the trial");
        assert!(!b.allow(), "others fail fast while the trial runs");
        b.record_success();
        assert!(b.allow());
    }

    #[test]
    fn refusals_reset_the_failure_count() {
        let b = CircuitBreaker::new(3, chrono::Duration::seconds(10), clock());
        b.record_failure();
        b.record_failure();
        b.record_success();
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed { failures: 1 });
    }
}
