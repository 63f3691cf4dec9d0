//! In-process [`Counters`]: pacing slots held under leases, per-second rate
//! buckets, named counters and seen marks with expiry, all behind one mutex
//! so every operation is atomic. Time is only what callers pass in (virtual
//! time works); expired leases, old buckets and forgotten marks are purged
//! lazily as later calls pass their `now`.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use campaign_core::ports::{Counters, PortResult};
use chrono::{DateTime, Duration, Utc};

/// Rate buckets older than this many seconds before the newest `now` seen
/// in a scope are dropped (a late caller's old second can no longer matter).
const RATE_BUCKET_KEEP_SECS: i64 = 60;
/// Purge forgotten seen marks after this many marks.
const SEEN_PURGE_EVERY: u64 = 4096;

#[derive(Debug, Default)]
struct Inner {
    /// scope -> holder -> lease end.
    slots: FxHashMap<String, FxHashMap<String, DateTime<Utc>>>,
    /// scope -> unix second -> starts counted.
    rates: FxHashMap<String, BTreeMap<i64, u32>>,
    counters: FxHashMap<String, i64>,
    /// key -> forgotten at.
    seen: FxHashMap<String, DateTime<Utc>>,
    /// key -> (owner, lease end).
    claims: FxHashMap<String, (String, DateTime<Utc>)>,
    marks_since_purge: u64,
}

/// Every counter in process memory.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    inner: Mutex<Inner>,
}

impl MemoryCounters {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Named counters whose key starts with `prefix` (e.g.
    /// `metrics/<campaign>/`), keyed by the rest of the key.
    pub fn snapshot_metrics(&self, prefix: &str) -> BTreeMap<String, i64> {
        self.lock()
            .counters
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest.to_owned(), *v)))
            .collect()
    }

    /// The holders of a scope's slots whose leases have not ended at `now`.
    pub fn holders(&self, scope: &str, now: DateTime<Utc>) -> Vec<String> {
        let inner = self.lock();
        let mut holders: Vec<String> = inner
            .slots
            .get(scope)
            .map(|s| {
                s.iter()
                    .filter(|(_, until)| **until > now)
                    .map(|(h, _)| h.clone())
                    .collect()
            })
            .unwrap_or_default();
        holders.sort();
        holders
    }

    /// Starts counted in the one-second bucket of `now`.
    pub fn rate_in_second(&self, scope: &str, now: DateTime<Utc>) -> u32 {
        self.lock()
            .rates
            .get(scope)
            .and_then(|b| b.get(&now.timestamp()).copied())
            .unwrap_or(0)
    }
}

#[async_trait]
impl Counters for MemoryCounters {
    async fn acquire_slot(
        &self,
        scope: &str,
        holder: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> PortResult<bool> {
        let mut inner = self.lock();
        let slots = inner.slots.entry(scope.to_owned()).or_default();
        // A lease is held while now < lease_until.
        if let Some(until) = slots.get_mut(holder) {
            if *until > now {
                // The same holder again (a redelivered task): keep its slot
                // and renew the lease to the one asked for now.
                *until = lease_until;
                return Ok(true);
            }
            slots.remove(holder);
        }
        // Expired leases are purged only when they could matter: a scan per
        // call would make a 1,000-slot campaign quadratic.
        if slots.len() >= limit as usize {
            slots.retain(|_, until| *until > now);
        }
        if slots.len() >= limit as usize {
            return Ok(false);
        }
        slots.insert(holder.to_owned(), lease_until);
        Ok(true)
    }

    async fn release_slot(&self, scope: &str, holder: &str) -> PortResult<bool> {
        let mut inner = self.lock();
        let Some(slots) = inner.slots.get_mut(scope) else {
            return Ok(false);
        };
        let released = slots.remove(holder).is_some();
        if slots.is_empty() {
            inner.slots.remove(scope);
        }
        Ok(released)
    }

    async fn active_slots(&self, scope: &str, now: DateTime<Utc>) -> PortResult<u32> {
        let mut inner = self.lock();
        let Some(slots) = inner.slots.get_mut(scope) else {
            return Ok(0);
        };
        slots.retain(|_, until| *until > now);
        Ok(u32::try_from(slots.len()).unwrap_or(u32::MAX))
    }

    async fn take_rate(&self, scope: &str, now: DateTime<Utc>, limit: u32) -> PortResult<bool> {
        let mut inner = self.lock();
        let buckets = inner.rates.entry(scope.to_owned()).or_default();
        let second = now.timestamp();
        let newest = buckets
            .last_key_value()
            .map_or(second, |(s, _)| (*s).max(second));
        // Drop buckets no caller can still be counting in.
        let keep_from = newest - RATE_BUCKET_KEEP_SECS;
        while buckets
            .first_key_value()
            .is_some_and(|(s, _)| *s < keep_from)
        {
            buckets.pop_first();
        }
        let count = buckets.entry(second).or_insert(0);
        if *count >= limit {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }

    async fn starts_between(&self, scope: &str, from: i64, to: i64) -> PortResult<u64> {
        let inner = self.lock();
        Ok(inner.rates.get(scope).map_or(0, |b| {
            b.range(from..to.max(from))
                .map(|(_, n)| u64::from(*n))
                .sum()
        }))
    }

    async fn add(&self, key: &str, delta: i64) -> PortResult<i64> {
        let mut inner = self.lock();
        let value = inner.counters.entry(key.to_owned()).or_insert(0);
        *value = value.saturating_add(delta);
        Ok(*value)
    }

    async fn get(&self, key: &str) -> PortResult<i64> {
        Ok(self.lock().counters.get(key).copied().unwrap_or(0))
    }

    async fn mark_seen(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> PortResult<bool> {
        let mut inner = self.lock();
        inner.marks_since_purge += 1;
        // Amortised: a purge scans every mark, so wait for at least as many
        // new marks as there are marks.
        if inner.marks_since_purge >= SEEN_PURGE_EVERY.max(inner.seen.len() as u64) {
            inner.marks_since_purge = 0;
            inner.seen.retain(|_, until| *until > now);
        }
        if inner.seen.get(key).is_some_and(|until| *until > now) {
            // Already remembered: like a failed conditional write, this
            // changes nothing (the first mark's expiry stays).
            return Ok(false);
        }
        inner.seen.insert(key.to_owned(), now + ttl);
        Ok(true)
    }

    async fn seen(&self, key: &str, now: DateTime<Utc>) -> PortResult<bool> {
        Ok(self.lock().seen.get(key).is_some_and(|until| *until > now))
    }

    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        let mut inner = self.lock();
        if inner.claims.len() >= SEEN_PURGE_EVERY as usize {
            inner.claims.retain(|_, (_, end)| *end > now);
        }
        match inner.claims.get_mut(key) {
            Some((held_by, end)) if *end > now && *held_by != owner => Ok(false),
            Some((held_by, end)) => {
                owner.clone_into(held_by);
                *end = until;
                Ok(true)
            }
            None => {
                inner
                    .claims
                    .insert(key.to_owned(), (owner.to_owned(), until));
                Ok(true)
            }
        }
    }

    async fn release_claim(&self, key: &str, owner: &str) -> PortResult<bool> {
        let mut inner = self.lock();
        if inner
            .claims
            .get(key)
            .is_some_and(|(held_by, _)| held_by == owner)
        {
            inner.claims.remove(key);
            return Ok(true);
        }
        Ok(false)
    }
}
