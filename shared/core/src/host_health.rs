//! Telephony host health, shared through the [`Counters`] port so the
//! dialer-worker's adaptive pacing ([`crate::pacing::AdaptivePace`]) can
//! read what the Asterisk hosts report, with no new table or adapter.
//!
//! Time is cut into windows of [`WINDOW_SECS`]. Each host adds its load to
//! the window it is in, at most once per window (a seen mark per host and
//! window, which expires): `telephony-health/<window>/hosts` (+1),
//! `/channels` (active channels), `/cpu_permille` and `/memory_permille`
//! (0–1000). A reader takes the last *complete* window: the number of hosts
//! that reported, their mean CPU and memory, and the channels of all of
//! them. A host that stops reporting (crashed, terminated) is simply absent
//! from the next window: nothing has to expire for it to disappear.
//! Hosts should report a few times per window (see
//! [`REPORT_INTERVAL_SECS`]); the mark keeps the extra reports out.
//!
//! The per-window named counters are small and never read again once the
//! window is two windows old; the DynamoDB counters table keeps them (named
//! counters carry no TTL there): about 11,500 items a day, a few hundred
//! bytes each.

use chrono::{DateTime, Duration, Utc};

use crate::pacing::HostLoad;
use crate::ports::{Counters, PortResult};

/// Length of one reporting window.
pub const WINDOW_SECS: i64 = 30;
/// How often a host should report (several times per window, so a late
/// timer never leaves a window without its report).
pub const REPORT_INTERVAL_SECS: u64 = 10;

fn window(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(WINDOW_SECS)
}

fn key(window: i64, field: &str) -> String {
    format!("telephony-health/{window}/{field}")
}

fn permille(fraction: f64) -> i64 {
    if fraction.is_finite() {
        (fraction.clamp(0.0, 1.0) * 1000.0).round() as i64
    } else {
        0
    }
}

/// Adds `host`'s load to the current window; `false` when this host has
/// reported in this window already (nothing is added).
pub async fn report(
    counters: &dyn Counters,
    host: &str,
    load: &HostLoad,
    now: DateTime<Utc>,
) -> PortResult<bool> {
    let w = window(now);
    let mark = key(w, &format!("reported/{host}"));
    if !counters
        .mark_seen(&mark, now, Duration::seconds(WINDOW_SECS * 4))
        .await?
    {
        return Ok(false);
    }
    counters.add(&key(w, "hosts"), 1).await?;
    counters
        .add(&key(w, "channels"), i64::from(load.active_channels))
        .await?;
    counters
        .add(&key(w, "cpu_permille"), permille(load.cpu))
        .await?;
    counters
        .add(&key(w, "memory_permille"), permille(load.memory))
        .await?;
    Ok(true)
}

/// The fleet's load in the last complete window: mean CPU and memory of
/// the hosts that reported, their channels summed. `None` when no host
/// reported (no telephony host is up, or none has reported yet).
pub async fn fleet_load(
    counters: &dyn Counters,
    now: DateTime<Utc>,
) -> PortResult<Option<HostLoad>> {
    let w = window(now) - 1;
    let hosts = counters.get(&key(w, "hosts")).await?;
    if hosts <= 0 {
        return Ok(None);
    }
    let channels = counters.get(&key(w, "channels")).await?;
    let cpu = counters.get(&key(w, "cpu_permille")).await?;
    let memory = counters.get(&key(w, "memory_permille")).await?;
    let mean = |sum: i64| (sum as f64 / hosts as f64 / 1000.0).clamp(0.0, 1.0);
    Ok(Some(HostLoad {
        cpu: mean(cpu),
        memory: mean(memory),
        active_channels: u32::try_from(channels.max(0)).unwrap_or(u32::MAX),
    }))
}
