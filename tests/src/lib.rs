//! Helpers for the workspace-level tests: fixed instants, campaign settings
//! and a runtime with a campaign already loaded.

use chrono::{DateTime, NaiveTime, TimeZone, Utc, Weekday};

use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings, Carrier};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::pacing::PaceLimits;
use campaign_core::retry::RetryPolicy;
use campaign_core::schedule::{CallingWindow, Schedule};
use campaign_core::usecases::lifecycle::NewCampaign;
use campaign_embedded::runtime::Local;

/// A UTC instant.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid instant")
}

/// Monday 2 March 2026, 08:00 UTC (10:00 in Israel): inside working hours.
pub fn monday_morning() -> DateTime<Utc> {
    utc(2026, 3, 2, 8, 0)
}

/// Voice campaign settings: every day 08:00–22:00 Israel time, 10 calls a
/// second, 20 at once, three attempts an hour apart.
pub fn settings() -> CampaignSettings {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid time");
    CampaignSettings {
        audio: Some("sound:test-message".into()),
        ivr: None,
        sms_template: Some("Thanks {{first_name}}: https://give.example.org/x".into()),
        tts_template: None,
        schedule: Schedule {
            start: None,
            end: None,
            timezone: chrono_tz::Asia::Jerusalem,
            windows: vec![CallingWindow {
                days: vec![
                    Weekday::Sun,
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                    Weekday::Sat,
                ],
                start: t(8),
                end: t(22),
            }],
        },
        pace: PaceLimits {
            calls_per_second: 10,
            max_concurrent: 20,
        },
        retry: RetryPolicy::default(),
        carrier: Carrier::Asterisk,
        caller_id: None,
        ring_timeout_secs: 30,
    }
}

/// Creates, loads (CSV text) and starts a campaign.
pub async fn started_campaign(
    local: &Local,
    name: &str,
    csv: &str,
    settings: CampaignSettings,
) -> Campaign {
    let campaign = local
        .lifecycle()
        .create(
            NewCampaign {
                name: name.into(),
                kind: CampaignKind::Voice,
                settings,
            },
            "tester",
        )
        .await
        .expect("create");
    local
        .import_contacts()
        .run(
            &campaign.id,
            csv.as_bytes(),
            FileFormat::Csv,
            &ImportOptions::default(),
        )
        .await
        .expect("import");
    local
        .lifecycle()
        .start(&campaign.id, "tester")
        .await
        .expect("start")
}

/// Runs a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}
