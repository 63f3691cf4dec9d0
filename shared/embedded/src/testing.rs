//! Test support shared by the workspace's test crates and the functions'
//! tests: fixed instants and a campaign configuration that dials all day.

use chrono::{DateTime, NaiveTime, TimeZone, Utc, Weekday};

use campaign_core::campaign::{CampaignSettings, Carrier};
use campaign_core::pacing::PaceLimits;
use campaign_core::retry::RetryPolicy;
use campaign_core::schedule::{CallingWindow, Schedule};

/// A UTC instant.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_default()
}

/// Monday 2 March 2026, 08:00 UTC (10:00 in Israel): inside working hours.
pub fn monday_morning() -> DateTime<Utc> {
    utc(2026, 3, 2, 8, 0)
}

/// Voice campaign settings: every day 08:00–22:00 Israel time, 10 calls a
/// second, 20 at once, three attempts an hour apart.
pub fn settings() -> CampaignSettings {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
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
