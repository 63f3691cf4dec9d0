//! Adaptive pace across stateless dialer workers: the [`AdaptivePace`] rule
//! with its state in the `Counters` port, so every worker dials at the
//! same pace and one of them re-evaluates it once per window.
//!
//! - The pace in force for a campaign is the stored adaptive pace
//!   (`pace/<campaign>/cps`; 0 while not cut), never above the campaign's
//!   configured calls per second (a lowered pace applies at once; back at
//!   the configured pace the stored value is cleared, so a raised one does
//!   too).
//! - Once per [`WINDOW_SECS`] the first dial task of the window takes a seen
//!   mark and feeds the rule one observation: the telephony fleet's load in
//!   the last complete window ([`host_health::fleet_load`]; none reported
//!   counts as idle) and the campaign's answer rate since the previous
//!   evaluation: calls answered (the live `picked_up` counter, counted at
//!   the answer) against those plus calls ended unanswered (busy, no
//!   answer, failed), as deltas against a snapshot kept under
//!   `pace/<campaign>/…`. A few counter reads and writes per campaign per
//!   window.
//! - A change is returned to the caller with its time and reason (the
//!   dialer-worker logs it as `pace_changed`; the simulator keeps them all).

use chrono::{DateTime, Duration, Utc};

use crate::host_health::{self, WINDOW_SECS};
use crate::ids::CampaignId;
use crate::outcome::CallOutcome;
use crate::pacing::{AdaptiveConfig, AdaptivePace, HostLoad, PaceChange};
use crate::ports::{Counters, PortResult};

use super::call_events::PICKED_UP;
use super::keys;

/// The pace in force, and the change made by this call, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceDecision {
    pub cps: u32,
    pub change: Option<PaceChange>,
}

/// The adaptive thresholds (the configured pace is the campaign's own).
pub struct PaceControl<'a> {
    pub counters: &'a dyn Counters,
    pub config: &'a AdaptiveConfig,
}

fn key(campaign: &CampaignId, field: &str) -> String {
    format!("pace/{campaign}/{field}")
}

impl PaceControl<'_> {
    /// The calls per second `campaign` may start at `now`, given its
    /// configured `target_cps`; re-evaluated here when a new window began.
    pub async fn pace(
        &self,
        campaign: &CampaignId,
        target_cps: u32,
        now: DateTime<Utc>,
    ) -> PortResult<PaceDecision> {
        let config = AdaptiveConfig {
            target_cps,
            ..self.config.clone()
        };
        let pace_key = key(campaign, "cps");
        let stored = self.counters.get(&pace_key).await?;
        let current = in_force(target_cps, stored, config.effective_min_cps());
        let window = now.timestamp().div_euclid(WINDOW_SECS);
        let mark = key(campaign, &format!("evaluated/{window}"));
        // A read first: most tasks of a window only read (a write refused
        // by the store costs as much as one made).
        let first_in_window = !self.counters.seen(&mark, now).await?
            && self
                .counters
                .mark_seen(&mark, now, Duration::seconds(WINDOW_SECS * 4))
                .await?;
        if !first_in_window {
            return Ok(PaceDecision {
                cps: current,
                change: None,
            });
        }
        let load = host_health::fleet_load(self.counters, now)
            .await?
            .unwrap_or(HostLoad {
                cpu: 0.0,
                memory: 0.0,
                active_channels: 0,
            });
        let answers = self.answers_since_last(campaign).await?;
        let mut rule = AdaptivePace::resume(config, current);
        let change = rule.observe(now, load, answers);
        let cps = rule.current_cps();
        let to_store = if cps >= target_cps { 0 } else { i64::from(cps) };
        if to_store != stored {
            // Only this window's evaluator writes (the seen mark above).
            self.counters.add(&pace_key, to_store - stored).await?;
        }
        Ok(PaceDecision { cps, change })
    }

    /// (answered, resolved) since the previous evaluation: calls answered
    /// (counted at the answer) and calls that ended unanswered (busy, no
    /// answer, failed), from the live counters; moves the snapshot forward.
    /// Both sides are counted when the call's fate is known, so a burst of
    /// new calls does not look like a low answer rate.
    async fn answers_since_last(&self, campaign: &CampaignId) -> PortResult<(u32, u32)> {
        let answered = self
            .counters
            .get(&keys::metric(campaign, PICKED_UP))
            .await?;
        let mut unanswered = 0;
        for outcome in [
            CallOutcome::Busy,
            CallOutcome::NoAnswer,
            CallOutcome::Failed,
        ] {
            unanswered += self
                .counters
                .get(&keys::metric(campaign, outcome.as_str()))
                .await?;
        }
        let seen_answered_key = key(campaign, "seen_answered");
        let seen_unanswered_key = key(campaign, "seen_unanswered");
        let seen_answered = self.counters.get(&seen_answered_key).await?;
        let seen_unanswered = self.counters.get(&seen_unanswered_key).await?;
        let d_answered = (answered - seen_answered).max(0);
        let d_unanswered = (unanswered - seen_unanswered).max(0);
        if d_answered > 0 {
            self.counters.add(&seen_answered_key, d_answered).await?;
        }
        if d_unanswered > 0 {
            self.counters
                .add(&seen_unanswered_key, d_unanswered)
                .await?;
        }
        let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok((n(d_answered), n(d_answered + d_unanswered)))
    }
}

/// The stored pace (0: none) within `[floor, target]`.
/// The pace in force for `campaign` now (read only: for the dashboard),
/// given its configured `target_cps`.
pub async fn pace_in_force(
    counters: &dyn Counters,
    campaign: &CampaignId,
    target_cps: u32,
) -> PortResult<u32> {
    let stored = counters.get(&key(campaign, "cps")).await?;
    // The evaluator stores only paces at or above its floor; 1 keeps a
    // damaged value from reading as a stop.
    Ok(in_force(target_cps, stored, 1))
}

fn in_force(target: u32, stored: i64, floor: u32) -> u32 {
    if stored <= 0 {
        return target;
    }
    u32::try_from(stored.clamp(i64::from(floor), i64::from(target))).unwrap_or(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_pace_is_kept_within_floor_and_target() {
        assert_eq!(in_force(40, 0, 1), 40);
        assert_eq!(in_force(40, 15, 1), 15);
        assert_eq!(in_force(40, 100, 1), 40);
        assert_eq!(in_force(40, -5, 1), 40);
        assert_eq!(in_force(0, 3, 0), 0);
    }
}
