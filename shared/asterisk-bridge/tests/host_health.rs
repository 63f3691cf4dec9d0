//! Host health through the shared counters (`campaign_core::host_health`),
//! as the bridge writes it and the dialer's adaptive pacing reads it.

use campaign_core::host_health::{WINDOW_SECS, fleet_load, report};
use campaign_core::pacing::HostLoad;
use campaign_embedded::counters::MemoryCounters;
use chrono::{Duration, TimeZone, Utc};

fn load(cpu: f64, memory: f64, active_channels: u32) -> HostLoad {
    HostLoad {
        cpu,
        memory,
        active_channels,
    }
}

#[tokio::test]
async fn the_last_complete_window_gives_mean_load_and_total_channels() {
    let counters = MemoryCounters::new();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
    assert_eq!(
        fleet_load(&counters, t0).await.unwrap(),
        None,
        "no host yet"
    );

    assert!(
        report(&counters, "tel-1", &load(0.5, 0.4, 100), t0)
            .await
            .unwrap()
    );
    assert!(
        report(&counters, "tel-2", &load(0.9, 0.6, 150), t0)
            .await
            .unwrap()
    );
    // A second report in the same window is not counted twice.
    assert!(
        !report(
            &counters,
            "tel-1",
            &load(0.99, 0.99, 999),
            t0 + Duration::seconds(10)
        )
        .await
        .unwrap()
    );

    // While the window is still open, readers see the one before (empty).
    assert_eq!(
        fleet_load(&counters, t0 + Duration::seconds(5))
            .await
            .unwrap(),
        None
    );
    let next = t0 + Duration::seconds(WINDOW_SECS);
    let fleet = fleet_load(&counters, next)
        .await
        .unwrap()
        .expect("two hosts");
    assert!((fleet.cpu - 0.7).abs() < 1e-9, "{fleet:?}");
    assert!((fleet.memory - 0.5).abs() < 1e-9, "{fleet:?}");
    assert_eq!(fleet.active_channels, 250);

    // tel-2 dies: only tel-1 reports in the next window, and that is all
    // the reader sees a window later.
    report(&counters, "tel-1", &load(0.2, 0.3, 10), next)
        .await
        .unwrap();
    let fleet = fleet_load(&counters, next + Duration::seconds(WINDOW_SECS))
        .await
        .unwrap()
        .expect("one host");
    assert_eq!(fleet.active_channels, 10);
    assert!((fleet.cpu - 0.2).abs() < 1e-9);
}
