//! `campaign demo`: the bundled sample campaign, run end to end in virtual
//! time through the same use cases the Lambda functions call — import with
//! a do-not-call list already in place, windows in each contact's zone,
//! pacing, retries by the day-and-time rules, the IVR, SMS with TTS
//! fallback, opt-outs — then the invariants and the report.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde::Serialize;

use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings, Carrier};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::pacing::PaceLimits;
use campaign_core::phone::PhoneParser;
use campaign_core::ports::ObjectStore;
use campaign_core::retry::RetryPolicy;
use campaign_core::schedule::{CallingWindow, Schedule};
use campaign_core::usecases::contacts::ContactImportResult;
use campaign_core::usecases::lifecycle::NewCampaign;
use campaign_core::usecases::optout::BlacklistImportResult;
use campaign_core::usecases::report::{CampaignReport, ReportLink};
use campaign_core::usecases::{UseCaseError, UseCaseResult};

use super::checks::{Check, check_run};
use super::{Local, LocalConfig, PipelineStats, ProgressSnapshot};

pub const SAMPLE_CONTACTS: &[u8] = include_bytes!("../../data/sample-contacts.csv");
pub const SAMPLE_BLACKLIST: &[u8] = include_bytes!("../../data/sample-blacklist.csv");
pub const DEMO_RETRY_YAML: &str = include_str!("../../data/demo-retry.yaml");

/// A contact file given on the command line.
pub struct ContactFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub struct DemoOptions {
    /// The bundled sample when None.
    pub contacts: Option<ContactFile>,
    pub seed: u64,
    /// Virtual start: Thursday 26 March 2026, 08:30 in Israel — the run
    /// crosses Israel's change to summer time that Friday night.
    pub start: DateTime<Utc>,
    /// Give up after this much virtual time.
    pub max_days: i64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            contacts: None,
            seed: 7,
            start: Utc
                .with_ymd_and_hms(2026, 3, 26, 6, 30, 0)
                .single()
                .unwrap_or_default(),
            max_days: 21,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DemoResult {
    pub campaign: Campaign,
    pub blacklist_import: BlacklistImportResult,
    pub import: ContactImportResult,
    pub report: CampaignReport,
    pub link: ReportLink,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub stats: PipelineStats,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub completed: bool,
}

/// The demo campaign's settings: Israeli calling hours (Sunday–Thursday
/// 09:00–20:00, Friday 09:00–13:00), 5 calls a second, 30 at once.
pub fn demo_settings() -> UseCaseResult<CampaignSettings> {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
    let rules = RetryPolicy::rules_from_yaml(DEMO_RETRY_YAML)
        .map_err(|e| UseCaseError::Invalid(vec![e.to_string()]))?;
    Ok(CampaignSettings {
        audio: Some("sound:demo-fundraiser-message".into()),
        ivr: None,
        sms_template: Some("Thank you, {{first_name}}! Complete your gift here: https://give.example.org/spring".into()),
        tts_template: Some(
            "Hello {{first_name}}. Thank you for your support. To complete your gift, visit give dot example dot org slash spring."
                .into(),
        ),
        schedule: Schedule {
            start: None,
            end: None,
            timezone: chrono_tz::Asia::Jerusalem,
            windows: vec![
                CallingWindow {
                    days: vec![Weekday::Sun, Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu],
                    start: t(9),
                    end: t(20),
                },
                CallingWindow { days: vec![Weekday::Fri], start: t(9), end: t(13) },
            ],
        },
        pace: PaceLimits { calls_per_second: 5, max_concurrent: 30 },
        retry: RetryPolicy { rules, ..RetryPolicy::default() },
        carrier: Carrier::Asterisk,
        caller_id: Some("+97235550100".into()),
        ring_timeout_secs: 30,
    })
}

/// Runs the demo; `objects` receives the report.
pub async fn run_demo(
    options: DemoOptions,
    objects: Arc<dyn ObjectStore>,
    on_progress: impl FnMut(ProgressSnapshot),
) -> UseCaseResult<DemoResult> {
    let config = LocalConfig {
        seed: options.seed,
        ..LocalConfig::default()
    };
    let local = Local::with_objects(config, options.start, objects);
    let import_options = ImportOptions {
        parser: PhoneParser::default(),
        ..ImportOptions::default()
    };

    let blacklist_import = local
        .blacklisting()
        .import(
            SAMPLE_BLACKLIST,
            FileFormat::Csv,
            &import_options,
            "do-not-call list",
            "admin@demo",
        )
        .await?;
    let campaign = local
        .lifecycle()
        .create(
            NewCampaign {
                name: "Spring fundraiser (demo)".into(),
                kind: CampaignKind::Voice,
                settings: demo_settings()?,
            },
            "manager@demo",
        )
        .await?;
    let (bytes, format) = match &options.contacts {
        Some(f) => {
            let format = FileFormat::detect(Some(&f.name), &f.bytes).ok_or_else(|| {
                UseCaseError::Invalid(vec![format!("{}: not a CSV or XLSX file", f.name)])
            })?;
            (f.bytes.as_slice(), format)
        }
        None => (SAMPLE_CONTACTS, FileFormat::Csv),
    };
    let import = local
        .import_contacts()
        .run(&campaign.id, bytes, format, &import_options)
        .await?;
    let campaign = local
        .lifecycle()
        .start(&campaign.id, "manager@demo")
        .await?;

    let started_at = local.now();
    let deadline = started_at + Duration::days(options.max_days);
    let completed = local
        .run_until_finished(std::slice::from_ref(&campaign.id), deadline, on_progress)
        .await?;
    let finished_at = local.now();

    let campaign = local.lifecycle().get(&campaign.id).await?;
    let checks = check_run(&local, std::slice::from_ref(&campaign)).await?;
    let report = local.report().collect(&campaign.id).await?;
    let link = local
        .report()
        .run(&campaign.id, Duration::hours(24))
        .await?;
    Ok(DemoResult {
        campaign,
        blacklist_import,
        import,
        report,
        link,
        checks,
        stats: local.stats(),
        started_at,
        finished_at,
        completed,
    })
}
