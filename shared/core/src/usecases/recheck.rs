//! The carrier's re-check of a queued originate command, just before it
//! dials: a command can wait in the originate queue (a backlog, a host
//! restart, a replay from the dead-letter queue) while the number is listed,
//! the window closes or the campaign is paused or cancelled.
//!
//! - **Not-after time** ([`originate_not_after`]), stamped on the command
//!   where it is made (the dialer, the TTS follow-up), from the campaign's
//!   pace: the commands ahead of it in the queue are at most the campaign's
//!   `max_concurrent` (each holds a concurrency slot), which the carrier
//!   takes at `calls_per_second`, so the queue needs
//!   `ceil(max_concurrent / calls_per_second)` seconds to reach it. The
//!   command gets twice that, at least [`MIN_QUEUE_WAIT_SECS`] (a host
//!   restart, a few of the bridge's retry delays) and at most
//!   [`MAX_QUEUE_WAIT_SECS`] or the slot lease if shorter (past the lease
//!   the slot may have been given to another call, so a late dial could
//!   break `max_concurrent`).
//! - **Still allowed** ([`RecheckOriginate`]): the do-not-call list (and the
//!   contact's own blacklisted mark), then the not-after time, then the dial
//!   gate's part that can change while queued ([`may_place`]: campaign
//!   active and not ended, the contact's window in the contact's zone).
//!
//! A refusal is reported by the carrier as the call's `Ended` event with
//! [`Refusal::outcome`]: `blacklisted` (the contact ends blacklisted) or
//! `not_placed` (the contact goes back to pending and is dialled again when
//! the dial gate allows it; see `call_events`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::eligibility::{SkipReason, may_place};
use crate::messages::OriginateCommand;
use crate::outcome::CallOutcome;
use crate::ports::{BlacklistStore, CampaignStore, Clock, ContactStore};

use super::UseCaseResult;

/// The shortest time a command may wait in the originate queue.
pub const MIN_QUEUE_WAIT_SECS: i64 = 5 * 60;
/// The longest (the default slot lease).
pub const MAX_QUEUE_WAIT_SECS: i64 = 15 * 60;

/// The not-after time of a command made at `now` for a campaign dialling at
/// `calls_per_second` with at most `max_concurrent` calls (module docs).
pub fn originate_not_after(
    now: DateTime<Utc>,
    max_concurrent: u32,
    calls_per_second: u32,
    slot_lease: Duration,
) -> DateTime<Utc> {
    let cps = i64::from(calls_per_second.max(1));
    let queue_secs = (i64::from(max_concurrent) + cps - 1) / cps;
    let cap = slot_lease
        .num_seconds()
        .clamp(MIN_QUEUE_WAIT_SECS, MAX_QUEUE_WAIT_SECS);
    now + Duration::seconds(queue_secs.saturating_mul(2).clamp(MIN_QUEUE_WAIT_SECS, cap))
}

/// Why a queued command must not be dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "refusal", content = "reason")]
pub enum Refusal {
    /// Its not-after time has passed.
    Expired,
    /// The dial gate says no now.
    Skip(SkipReason),
    /// Its campaign or contact no longer exists.
    Unknown,
}

impl Refusal {
    /// The outcome the carrier reports for the refused call.
    pub fn outcome(self) -> CallOutcome {
        match self {
            Refusal::Skip(SkipReason::Blacklisted) => CallOutcome::Blacklisted,
            _ => CallOutcome::NotPlaced,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Expired => f.write_str("past its not-after time"),
            Refusal::Skip(reason) => write!(f, "not allowed now ({reason:?})"),
            Refusal::Unknown => f.write_str("campaign or contact no longer exists"),
        }
    }
}

/// Re-checks a command against the present state (module docs).
pub struct RecheckOriginate<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
    pub clock: &'a dyn Clock,
}

impl RecheckOriginate<'_> {
    /// `Ok(())` to dial, `Err(refusal)` not to; a store error is the
    /// use case's error (try again later).
    pub async fn run(&self, command: &OriginateCommand) -> UseCaseResult<Result<(), Refusal>> {
        let now = self.clock.now();
        let listed = self
            .blacklist
            .contains_any(std::slice::from_ref(&command.phone_number))
            .await?
            .contains(&command.phone_number);
        let Some(campaign) = self.campaigns.get(&command.campaign_id).await? else {
            return Ok(Err(Refusal::Unknown));
        };
        let Some(contact) = self
            .contacts
            .get(&command.campaign_id, &command.contact_id)
            .await?
        else {
            return Ok(Err(Refusal::Unknown));
        };
        // Listed first: it must end as blacklisted even when also stale.
        if let Err(SkipReason::Blacklisted) = may_place(&campaign, &contact, listed, now) {
            return Ok(Err(Refusal::Skip(SkipReason::Blacklisted)));
        }
        if command.not_after.is_some_and(|t| now > t) {
            return Ok(Err(Refusal::Expired));
        }
        Ok(may_place(&campaign, &contact, listed, now).map_err(Refusal::Skip))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_not_after_time_follows_the_pace_with_a_floor_and_a_cap() {
        let (now, lease) = (now(), Duration::minutes(15));
        // 20 at once at 10 a second: the queue ahead drains in 2 s; the floor holds.
        assert_eq!(
            originate_not_after(now, 20, 10, lease),
            now + Duration::seconds(MIN_QUEUE_WAIT_SECS)
        );
        // 400 at once at 1 a second: 400 s ahead, twice that is 800 s.
        assert_eq!(
            originate_not_after(now, 400, 1, lease),
            now + Duration::seconds(800)
        );
        // 5000 at once at 1 a second: capped at the slot lease; a paused
        // pace (0 a second) counts as 1.
        assert_eq!(originate_not_after(now, 5000, 1, lease), now + lease);
        assert_eq!(originate_not_after(now, 5000, 0, lease), now + lease);
        assert_eq!(
            originate_not_after(now, 5000, 1, Duration::minutes(10)),
            now + Duration::minutes(10)
        );
        // A lease shorter than the floor never makes the wait shorter than it.
        assert_eq!(
            originate_not_after(now, 1, 1, Duration::seconds(30)),
            now + Duration::seconds(MIN_QUEUE_WAIT_SECS)
        );
    }

    #[test]
    fn only_a_listed_number_is_reported_blacklisted() {
        assert_eq!(
            Refusal::Skip(SkipReason::Blacklisted).outcome(),
            CallOutcome::Blacklisted
        );
        for r in [
            Refusal::Expired,
            Refusal::Unknown,
            Refusal::Skip(SkipReason::CampaignPaused),
            Refusal::Skip(SkipReason::CampaignNotActive),
            Refusal::Skip(SkipReason::CampaignEnded),
            Refusal::Skip(SkipReason::OutsideWindow),
        ] {
            assert_eq!(r.outcome(), CallOutcome::NotPlaced, "{r}");
        }
    }
}
