//! Fault injection for the embedded runtime: what may go wrong, how often,
//! and how often it did. The decisions come from one seeded RNG, so a run
//! with the same seed and plan misbehaves the same way.
//!
//! The faults are applied by the [`crate::instrumented`] adapters (store,
//! counters, queue, bus, carrier) and by the runtime (lost events, host
//! restarts). Each kind stands for something that happens on AWS:
//!
//! | kind | on AWS |
//! |---|---|
//! | `store_error` | a DynamoDB call throttled or timed out (`Unavailable`) |
//! | `queue_error` | an SQS call failing |
//! | `bus_error` | an SNS publish failing |
//! | `duplicate_delivery` | SQS delivering a dial task twice (at-least-once) |
//! | `crash_before_originate` | a dialer Lambda dying after taking the slot and writing the attempt, before the carrier saw the call |
//! | `lost_call_event` | the carrier bridge never publishing one call event |
//! | `host_restart` | the telephony host restarting: live calls cut, their events lost, new calls refused for a minute |

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Every kind of fault, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    StoreError,
    QueueError,
    BusError,
    DuplicateDelivery,
    CrashBeforeOriginate,
    LostCallEvent,
    HostRestart,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::StoreError,
        FaultKind::QueueError,
        FaultKind::BusError,
        FaultKind::DuplicateDelivery,
        FaultKind::CrashBeforeOriginate,
        FaultKind::LostCallEvent,
        FaultKind::HostRestart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::StoreError => "store_error",
            FaultKind::QueueError => "queue_error",
            FaultKind::BusError => "bus_error",
            FaultKind::DuplicateDelivery => "duplicate_delivery",
            FaultKind::CrashBeforeOriginate => "crash_before_originate",
            FaultKind::LostCallEvent => "lost_call_event",
            FaultKind::HostRestart => "host_restart",
        }
    }

    /// What the rate is per.
    pub fn unit(self) -> &'static str {
        match self {
            FaultKind::StoreError => "store / counter call",
            FaultKind::QueueError => "queue call",
            FaultKind::BusError => "publish",
            FaultKind::DuplicateDelivery => "delivery",
            FaultKind::CrashBeforeOriginate => "attempt",
            FaultKind::LostCallEvent => "call event",
            FaultKind::HostRestart => "virtual day",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown fault kind {s:?} (known: {})", names.join(", "))
            })
    }
}

/// How often each fault happens: a probability per unit (see
/// [`FaultKind::unit`]), except `host_restart`, which is a count per
/// virtual day.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FaultPlan {
    pub rates: BTreeMap<FaultKind, f64>,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// The plan `--faults` uses without a spec: every kind, at rates that
    /// make each happen hundreds of times in a 500,000-contact run.
    pub fn standard() -> Self {
        let rates = [
            (FaultKind::StoreError, 0.000_5),
            (FaultKind::QueueError, 0.002),
            (FaultKind::BusError, 0.001),
            (FaultKind::DuplicateDelivery, 0.01),
            (FaultKind::CrashBeforeOriginate, 0.002),
            (FaultKind::LostCallEvent, 0.001),
            (FaultKind::HostRestart, 2.0),
        ];
        Self {
            rates: rates.into_iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rates.values().all(|r| *r <= 0.0)
    }

    pub fn rate(&self, kind: FaultKind) -> f64 {
        self.rates.get(&kind).copied().unwrap_or(0.0)
    }

    /// Parses `standard`, `none`, or `kind=rate,kind=rate` (kinds left out
    /// are off; `standard,kind=rate` starts from the standard plan).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut plan = Self::none();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "standard" | "default" => plan = Self::standard(),
                "none" => plan = Self::none(),
                _ => {
                    let (k, v) = part
                        .split_once('=')
                        .ok_or_else(|| format!("expected kind=rate, got {part:?}"))?;
                    let kind: FaultKind = k.trim().parse()?;
                    let rate: f64 = v
                        .trim()
                        .parse()
                        .map_err(|_| format!("{k}: {v:?} is not a number"))?;
                    let valid = if kind == FaultKind::HostRestart {
                        rate >= 0.0 && rate.is_finite()
                    } else {
                        (0.0..=0.5).contains(&rate)
                    };
                    if !valid {
                        return Err(format!(
                            "{k}: rate {rate} out of range (0–0.5 per {}, host_restart: per day)",
                            kind.unit()
                        ));
                    }
                    plan.rates.insert(kind, rate);
                }
            }
        }
        Ok(plan)
    }
}

/// Faults injected so far, per kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FaultCounts(pub BTreeMap<FaultKind, u64>);

impl FaultCounts {
    pub fn get(&self, kind: FaultKind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Decides, from the plan and a seeded RNG, whether a fault happens now,
/// and counts those that did.
pub struct FaultInjector {
    plan: FaultPlan,
    /// Per-kind probability, indexed by [`FaultKind::index`] (0 = off).
    rates: [f64; 7],
    rng: Mutex<ChaCha8Rng>,
    counts: [AtomicU64; 7],
    /// Off while a run is set up (imports, campaign creation).
    armed: AtomicBool,
}

impl fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultInjector")
            .field("plan", &self.plan)
            .field("counts", &self.counts())
            .finish()
    }
}

impl FaultInjector {
    pub fn new(plan: FaultPlan, seed: u64) -> Self {
        let mut rates = [0.0; 7];
        for kind in FaultKind::ALL {
            rates[kind.index()] = plan.rate(kind);
        }
        Self {
            plan,
            rates,
            // Its own stream: faults must not shift the carrier's fates.
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0x0fa0_17fa_0175)),
            counts: Default::default(),
            armed: AtomicBool::new(true),
        }
    }

    /// Faults strike only while armed (armed from the start).
    pub fn set_armed(&self, armed: bool) {
        self.armed.store(armed, Ordering::Relaxed);
    }

    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Whether `kind` strikes now (counted when it does). Free when off.
    pub fn roll(&self, kind: FaultKind) -> bool {
        let p = self.rates[kind.index()];
        if p <= 0.0 || !self.armed.load(Ordering::Relaxed) {
            return false;
        }
        let hit = self
            .rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random_bool(p.min(1.0));
        if hit {
            self.count(kind);
        }
        hit
    }

    /// Whether a host restart starts in this virtual minute.
    pub fn roll_restart_this_minute(&self) -> bool {
        let per_day = self.rates[FaultKind::HostRestart.index()];
        if per_day <= 0.0 || !self.armed.load(Ordering::Relaxed) {
            return false;
        }
        let p = (per_day / 1440.0).min(1.0);
        let hit = self
            .rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random_bool(p);
        if hit {
            self.count(FaultKind::HostRestart);
        }
        hit
    }

    pub fn count(&self, kind: FaultKind) {
        self.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> FaultCounts {
        FaultCounts(
            FaultKind::ALL
                .into_iter()
                .map(|k| (k, self.counts[k.index()].load(Ordering::Relaxed)))
                .collect(),
        )
    }

    pub fn enabled(&self, kind: FaultKind) -> bool {
        self.rates[kind.index()] > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_overrides_and_rejects_bad_specs() {
        let plan = FaultPlan::parse("standard,bus_error=0.01").unwrap();
        assert_eq!(plan.rate(FaultKind::BusError), 0.01);
        assert_eq!(
            plan.rate(FaultKind::StoreError),
            FaultPlan::standard().rate(FaultKind::StoreError)
        );
        let only = FaultPlan::parse("lost_call_event=0.1").unwrap();
        assert_eq!(only.rate(FaultKind::LostCallEvent), 0.1);
        assert_eq!(only.rate(FaultKind::StoreError), 0.0);
        assert!(FaultPlan::parse("gremlins=0.1").is_err());
        assert!(FaultPlan::parse("store_error=2").is_err());
        assert!(FaultPlan::parse("store_error").is_err());
        assert!(FaultPlan::parse("none").unwrap().is_empty());
    }

    #[test]
    fn same_seed_same_faults_and_counts_match_hits() {
        let plan = FaultPlan::parse("store_error=0.3").unwrap();
        let a = FaultInjector::new(plan.clone(), 9);
        let b = FaultInjector::new(plan, 9);
        let ha: Vec<bool> = (0..500).map(|_| a.roll(FaultKind::StoreError)).collect();
        let hb: Vec<bool> = (0..500).map(|_| b.roll(FaultKind::StoreError)).collect();
        assert_eq!(ha, hb);
        let hits = ha.iter().filter(|h| **h).count() as u64;
        assert!(hits > 100 && hits < 200, "about 30 % of 500, got {hits}");
        assert_eq!(a.counts().get(FaultKind::StoreError), hits);
        assert!(
            !a.roll(FaultKind::QueueError),
            "a kind that is off never strikes"
        );
    }
}
