//! The adaptive pace kept in the counters port (`PaceControl`), on the
//! in-memory counters: decisions per window, reasons, recovery, edits.

use campaign_core::host_health::{self, WINDOW_SECS};
use campaign_core::ids::CampaignId;
use campaign_core::outcome::CallOutcome;
use campaign_core::pacing::{AdaptiveConfig, HostLoad, PaceReason};
use campaign_core::ports::Counters;
use campaign_core::usecases::call_events::PICKED_UP;
use campaign_core::usecases::keys;
use campaign_core::usecases::pace_control::{PaceControl, PaceDecision};
use campaign_embedded::counters::MemoryCounters;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + Duration::seconds(secs)
}

/// `answered` calls answered and `other` ended unanswered (no answer).
async fn ended(counters: &MemoryCounters, c: &CampaignId, answered: i64, other: i64) {
    counters
        .add(&keys::metric(c, PICKED_UP), answered)
        .await
        .unwrap();
    counters
        .add(&keys::metric(c, CallOutcome::NoAnswer.as_str()), other)
        .await
        .unwrap();
}

#[tokio::test]
async fn low_answer_rate_halves_the_pace_once_per_window_then_it_recovers() {
    // GIVEN a campaign at 40 cps whose calls go unanswered
    let counters = MemoryCounters::new();
    let config = AdaptiveConfig::default();
    let control = PaceControl {
        counters: &counters,
        config: &config,
    };
    let c = CampaignId::new("c-1");
    assert_eq!(control.pace(&c, 40, at(0)).await.unwrap().cps, 40);
    ended(&counters, &c, 5, 95).await;

    // WHEN the next window begins
    let first = control.pace(&c, 40, at(WINDOW_SECS)).await.unwrap();
    let second = control.pace(&c, 40, at(WINDOW_SECS + 1)).await.unwrap();

    // THEN the first task of the window halves the pace, with the reason,
    // and the other tasks of that window only read it
    assert_eq!(first.cps, 20);
    let change = first.change.expect("a change");
    assert_eq!(
        (change.from_cps, change.to_cps, change.reason),
        (40, 20, PaceReason::LowAnswerRate)
    );
    assert_eq!(
        second,
        PaceDecision {
            cps: 20,
            change: None
        }
    );

    // AND when answers come back, it climbs one step per window
    ended(&counters, &c, 60, 40).await;
    let next = control.pace(&c, 40, at(2 * WINDOW_SECS)).await.unwrap();
    assert_eq!(next.cps, 21);
    assert_eq!(next.change.unwrap().reason, PaceReason::Recovered);
}

#[tokio::test]
async fn a_hot_telephony_fleet_cuts_the_pace_and_a_lower_target_applies_at_once() {
    let counters = MemoryCounters::new();
    let config = AdaptiveConfig::default();
    let control = PaceControl {
        counters: &counters,
        config: &config,
    };
    let c = CampaignId::new("c-2");
    let hot = HostLoad {
        cpu: 0.95,
        memory: 0.4,
        active_channels: 300,
    };
    host_health::report(&counters, "host-a", &hot, at(0))
        .await
        .unwrap();
    let d = control.pace(&c, 30, at(WINDOW_SECS)).await.unwrap();
    assert_eq!(d.cps, 15);
    assert_eq!(d.change.unwrap().reason, PaceReason::HighCpu);
    // The manager lowers the campaign's pace below the adaptive one: it
    // applies at once; raised again, the adaptive cut still holds.
    assert_eq!(
        control.pace(&c, 10, at(WINDOW_SECS + 2)).await.unwrap().cps,
        10
    );
    assert_eq!(
        control.pace(&c, 30, at(WINDOW_SECS + 3)).await.unwrap().cps,
        15
    );
}

#[tokio::test]
async fn too_few_samples_never_cut_the_pace() {
    let counters = MemoryCounters::new();
    let config = AdaptiveConfig::default();
    let control = PaceControl {
        counters: &counters,
        config: &config,
    };
    let c = CampaignId::new("c-3");
    ended(&counters, &c, 0, config.min_answer_samples as i64 - 1).await;
    let d = control.pace(&c, 50, at(WINDOW_SECS)).await.unwrap();
    assert_eq!(
        d,
        PaceDecision {
            cps: 50,
            change: None
        }
    );
}

#[tokio::test]
async fn back_at_the_configured_pace_the_stored_value_is_cleared() {
    let counters = MemoryCounters::new();
    let config = AdaptiveConfig {
        recovery_step_cps: 10,
        ..AdaptiveConfig::default()
    };
    let control = PaceControl {
        counters: &counters,
        config: &config,
    };
    let c = CampaignId::new("c-4");
    ended(&counters, &c, 0, 100).await;
    assert_eq!(control.pace(&c, 20, at(WINDOW_SECS)).await.unwrap().cps, 10);
    ended(&counters, &c, 100, 0).await;
    assert_eq!(
        control.pace(&c, 20, at(2 * WINDOW_SECS)).await.unwrap().cps,
        20
    );
    assert_eq!(counters.get("pace/c-4/cps").await.unwrap(), 0);
    // A raised configured pace is then in force at once.
    assert_eq!(
        control
            .pace(&c, 35, at(2 * WINDOW_SECS + 1))
            .await
            .unwrap()
            .cps,
        35
    );
}
