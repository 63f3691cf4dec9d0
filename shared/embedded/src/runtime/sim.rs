//! `campaign simulate`: a large generated campaign run in virtual time
//! through the real core (the same runtime as the demo), optionally with
//! faults injected, then the invariants, a per-minute timeline (for the
//! charts), the report, and the cost of the AWS requests the same campaign
//! would have made.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use serde::Serialize;

use campaign_core::campaign::{Campaign, CampaignKind};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::messages::CallPurpose;
use campaign_core::metrics::{OutcomeCounts, Rates};
use campaign_core::outcome::CallOutcome;
use campaign_core::pacing::{PaceChange, PaceLimits};
use campaign_core::phone::PhoneParser;
use campaign_core::ports::{ObjectStore, PageRequest, StatusCounts};
use campaign_core::usecases::UseCaseResult;
use campaign_core::usecases::contacts::ContactImportResult;
use campaign_core::usecases::lifecycle::NewCampaign;
use campaign_core::usecases::optout::BlacklistImportResult;

use crate::carrier::{CarrierProfile, peak_concurrency_of, peak_rate_of};
use crate::cost::{CostEstimate, IdleCost, PriceTable, Table, UsageSnapshot};
use crate::faults::{FaultCounts, FaultPlan};

use super::checks::{Check, check_run};
use super::demo::demo_settings;
use super::sample;
use super::{Local, LocalConfig, PipelineStats, ProgressSnapshot};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Rows generated (with duplicates, invalid numbers, landlines, foreign
    /// zones; some numbers already on the do-not-call list).
    pub contacts: usize,
    pub seed: u64,
    pub max_concurrent: u32,
    pub calls_per_second: u32,
    pub max_attempts: u32,
    pub carrier: CarrierProfile,
    /// Give up after this many virtual days.
    pub days: i64,
    /// Virtual start (default: Sunday 22 March 2026, 08:30 in Israel).
    pub start: DateTime<Utc>,
    pub faults: FaultPlan,
    pub prices: PriceTable,
}

impl SimOptions {
    pub fn new(prices: PriceTable) -> Self {
        Self {
            contacts: 500_000,
            seed: 7,
            max_concurrent: 1000,
            calls_per_second: 50,
            max_attempts: 3,
            carrier: CarrierProfile::default(),
            days: 3,
            start: Utc
                .with_ymd_and_hms(2026, 3, 22, 6, 30, 0)
                .single()
                .unwrap_or_default(),
            faults: FaultPlan::none(),
            prices,
        }
    }
}

/// One virtual minute of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MinutePoint {
    /// Minutes since the start.
    pub minute: u32,
    /// Most campaign calls in progress at once during the minute (carrier's view).
    pub peak_active: u32,
    /// Campaign calls placed in the minute.
    pub dials: u32,
    /// Most campaign calls placed in one second of the minute.
    pub peak_dials_per_second: u32,
    /// Cumulative campaign-call outcomes ended by the end of the minute.
    pub answered: u64,
    pub converted: u64,
    pub opted_out: u64,
    pub busy: u64,
    pub no_answer: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct WallTimes {
    pub generate_s: f64,
    pub import_s: f64,
    pub run_s: f64,
    pub checks_s: f64,
    pub report_s: f64,
    pub total_s: f64,
}

#[derive(Debug, Serialize)]
pub struct SimResult {
    pub contacts_generated: usize,
    pub seed: u64,
    pub pace: PaceLimits,
    pub max_attempts: u32,
    pub campaign_id: String,
    pub campaign_status: String,
    pub blacklist_import: BlacklistImportResult,
    pub import: ContactImportSummary,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub virtual_hours: f64,
    pub completed: bool,
    pub counts: OutcomeCounts,
    pub rates: Rates,
    pub contacts: StatusCounts,
    /// Calls the carrier placed: campaign attempts and TTS fallback calls.
    pub campaign_calls: u64,
    pub tts_calls: u64,
    pub peak_concurrency: u32,
    pub peak_calls_per_second: u32,
    /// Every change of the adaptive pace, in order (none while the answer
    /// rate and the telephony host stay healthy).
    pub pace_changes: Vec<PaceChange>,
    pub checks: Vec<Check>,
    pub faults: FaultReport,
    pub pipeline: PipelineCounts,
    pub report_key: String,
    pub usage: UsageSnapshot,
    pub cost: CostEstimate,
    pub idle_monthly: IdleCost,
    pub wall: WallTimes,
    /// Campaign and TTS calls simulated per wall-clock second of the run.
    pub calls_per_wall_second: f64,
    #[serde(skip)]
    pub timeline: Vec<MinutePoint>,
}

#[derive(Debug, Serialize)]
pub struct ContactImportSummary {
    pub rows: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub invalid: u64,
    pub already_blacklisted: u64,
}

#[derive(Debug, Serialize)]
pub struct FaultReport {
    pub plan: FaultPlan,
    pub injected: FaultCounts,
    /// How the system absorbed them.
    pub handler_failures_retried: u64,
    pub lost_calls_closed_by_watchdog: u64,
    pub calls_cut_by_restarts: u64,
    pub duplicate_tasks_dropped_or_absorbed: u64,
}

#[derive(Debug, Serialize)]
pub struct PipelineCounts {
    pub dispatched: u64,
    pub placed: u64,
    pub duplicates: u64,
    pub waits: u64,
    pub dropped: u64,
    pub events: u64,
    pub follow_ups: u64,
    pub opt_outs: u64,
}

impl From<PipelineStats> for PipelineCounts {
    fn from(s: PipelineStats) -> Self {
        Self {
            dispatched: s.dispatched,
            placed: s.placed,
            duplicates: s.duplicates,
            waits: s.waits,
            dropped: s.dropped,
            events: s.events,
            follow_ups: s.follow_ups,
            opt_outs: s.opt_outs,
        }
    }
}

/// What the progress callback hears about.
#[derive(Debug, Clone, Copy)]
pub enum SimPhase {
    Generating,
    Importing,
    Running(ProgressSnapshot),
    Checking,
    Reporting,
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Runs the simulation; the report goes to `objects`.
pub async fn run_simulation(
    options: SimOptions,
    objects: Arc<dyn ObjectStore>,
    mut on_progress: impl FnMut(SimPhase),
) -> UseCaseResult<SimResult> {
    let all = Instant::now();
    on_progress(SimPhase::Generating);
    let t = Instant::now();
    let files = sample::generate(options.contacts, options.seed);
    let generate_s = secs(t);

    let config = LocalConfig {
        seed: options.seed,
        carrier: options.carrier,
        faults: options.faults.clone(),
        ..LocalConfig::default()
    };
    let local = Local::with_objects(config, options.start, objects);
    // Faults strike the running campaign, not its setup.
    if let Some(f) = &local.faults {
        f.set_armed(false);
    }
    on_progress(SimPhase::Importing);
    let t = Instant::now();
    let import_options = ImportOptions {
        parser: PhoneParser::default(),
        ..ImportOptions::default()
    };
    let blacklist_import = local
        .blacklisting()
        .import(
            files.blacklist_csv.as_bytes(),
            FileFormat::Csv,
            &import_options,
            "do-not-call list",
            "admin@sim",
        )
        .await?;
    let mut settings = demo_settings()?;
    settings.pace = PaceLimits {
        calls_per_second: options.calls_per_second,
        max_concurrent: options.max_concurrent,
    };
    settings.retry.max_attempts = options.max_attempts;
    let campaign = local
        .lifecycle()
        .create(
            NewCampaign {
                name: format!("Simulated campaign ({} contacts)", options.contacts),
                kind: CampaignKind::Voice,
                settings,
            },
            "manager@sim",
        )
        .await?;
    let import: ContactImportResult = local
        .import_contacts()
        .run(
            &campaign.id,
            files.contacts_csv.as_bytes(),
            FileFormat::Csv,
            &import_options,
        )
        .await?;
    drop(files);
    let campaign = local.lifecycle().start(&campaign.id, "manager@sim").await?;
    let import_s = secs(t);
    if let Some(f) = &local.faults {
        f.set_armed(true);
    }

    let t = Instant::now();
    let started_at = local.now();
    let deadline = started_at + Duration::days(options.days);
    let completed = local
        .run_until_finished(std::slice::from_ref(&campaign.id), deadline, |p| {
            on_progress(SimPhase::Running(p))
        })
        .await?;
    let finished_at = local.now();
    let run_s = secs(t);
    if let Some(f) = &local.faults {
        f.set_armed(false);
    }

    on_progress(SimPhase::Checking);
    let t = Instant::now();
    let campaign = local.lifecycle().get(&campaign.id).await?;
    let checks = check_run(&local, std::slice::from_ref(&campaign)).await?;
    let timeline = timeline(&local, &campaign, started_at, finished_at).await?;
    let checks_s = secs(t);

    on_progress(SimPhase::Reporting);
    let t = Instant::now();
    let (r0, rq) = (Instant::now(), local.usage.aws_requests());
    let link = local
        .report()
        .run(&campaign.id, Duration::hours(24))
        .await?;
    local.usage.lambda(
        crate::cost::Function::ReportGenerator,
        1,
        1,
        r0.elapsed(),
        local.usage.aws_requests() - rq,
    );
    let report_s = secs(t);

    measure_item_sizes(&local, &campaign).await?;
    let usage = local.usage.snapshot();
    let cost = options.prices.estimate(&usage);
    let contacts = local.contacts().count_by_status(&campaign.id).await?;
    let stats = local.stats();
    let (campaign_calls, tts_calls, peak, peak_cps) = local.carrier.with_log(|log, _| {
        let mine = || log.iter().filter(|o| o.campaign == campaign.id);
        let campaign_calls = mine()
            .filter(|o| o.purpose == CallPurpose::Campaign)
            .count() as u64;
        let tts_calls = mine().count() as u64 - campaign_calls;
        let peak = peak_concurrency_of(mine())
            .get(campaign.id.as_str())
            .copied()
            .unwrap_or(0);
        let peak_cps = peak_rate_of(mine())
            .get(campaign.id.as_str())
            .copied()
            .unwrap_or(0);
        (campaign_calls, tts_calls, peak, peak_cps)
    });
    let summary = &import.report.summary;
    let injected = local
        .faults
        .as_ref()
        .map(|f| f.counts())
        .unwrap_or_default();
    Ok(SimResult {
        contacts_generated: options.contacts,
        seed: options.seed,
        pace: campaign.settings.pace,
        max_attempts: options.max_attempts,
        campaign_id: campaign.id.to_string(),
        campaign_status: campaign.status.to_string(),
        blacklist_import,
        import: ContactImportSummary {
            rows: summary.total_rows as u64,
            imported: summary.imported as u64,
            duplicates: summary.duplicates as u64,
            invalid: summary.invalid as u64,
            already_blacklisted: import.blacklisted as u64,
        },
        started_at,
        finished_at,
        virtual_hours: (finished_at - started_at).num_seconds() as f64 / 3600.0,
        completed,
        counts: link.counts,
        rates: link.rates,
        contacts,
        campaign_calls,
        tts_calls,
        peak_concurrency: peak,
        peak_calls_per_second: peak_cps,
        pace_changes: local
            .pace_changes()
            .into_iter()
            .filter(|(id, _)| id == &campaign.id)
            .map(|(_, change)| change)
            .collect(),
        checks,
        faults: FaultReport {
            plan: options.faults.clone(),
            injected,
            handler_failures_retried: stats.handler_failures,
            lost_calls_closed_by_watchdog: stats.lost_calls_closed,
            calls_cut_by_restarts: stats.calls_cut_by_restart,
            duplicate_tasks_dropped_or_absorbed: stats.duplicates + stats.dropped,
        },
        pipeline: stats.into(),
        report_key: link.key,
        usage,
        cost,
        idle_monthly: options.prices.idle_monthly(),
        wall: WallTimes {
            generate_s,
            import_s,
            run_s,
            checks_s,
            report_s,
            total_s: secs(all),
        },
        calls_per_wall_second: if run_s > 0.0 {
            (campaign_calls + tts_calls) as f64 / run_s
        } else {
            0.0
        },
        timeline,
    })
}

/// Average stored item sizes (JSON as a stand-in for DynamoDB's item
/// encoding), from a sample of the run's own items.
async fn measure_item_sizes(local: &Local, campaign: &Campaign) -> UseCaseResult<()> {
    let avg = |sizes: Vec<usize>| -> u64 {
        if sizes.is_empty() {
            0
        } else {
            (sizes.iter().sum::<usize>() / sizes.len()) as u64
        }
    };
    let contacts = local
        .contacts()
        .list(&campaign.id, PageRequest::first(500))
        .await?;
    let sizes = contacts
        .items
        .iter()
        .map(|c| serde_json::to_vec(c).map_or(0, |v| v.len()))
        .collect();
    local.usage.set_item_bytes(Table::Contacts, avg(sizes));
    let calls = local
        .calls()
        .list(&campaign.id, PageRequest::first(500))
        .await?;
    let sizes = calls
        .items
        .iter()
        .map(|c| serde_json::to_vec(c).map_or(0, |v| v.len()))
        .collect();
    local.usage.set_item_bytes(Table::CallRecords, avg(sizes));
    let campaign_bytes = serde_json::to_vec(campaign).map_or(0, |v| v.len()) as u64;
    local.usage.set_item_bytes(Table::Campaigns, campaign_bytes);
    // Counter items (slot, rate bucket, metric, seen mark) and blacklist
    // entries are small: key, a number or time, a TTL.
    local.usage.set_item_bytes(Table::Counters, 100);
    local.usage.set_item_bytes(Table::Blacklist, 200);
    local.usage.set_item_bytes(Table::AuditLog, 1500);
    Ok(())
}

/// The per-minute timeline of the run, from the carrier's log (calls) and
/// the call records (outcomes).
async fn timeline(
    local: &Local,
    campaign: &Campaign,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> UseCaseResult<Vec<MinutePoint>> {
    let minutes = ((end - start).num_seconds().max(0) / 60 + 1) as usize;
    let mut points: Vec<MinutePoint> = (0..minutes)
        .map(|m| MinutePoint {
            minute: m as u32,
            ..MinutePoint::default()
        })
        .collect();
    let minute_of = |t: DateTime<Utc>| -> usize {
        (((t - start).num_seconds().max(0) / 60) as usize).min(minutes - 1)
    };
    let mut edges: Vec<(DateTime<Utc>, i32)> = Vec::new();
    let mut per_second: BTreeMap<i64, u32> = BTreeMap::new();
    local.carrier.with_log(|log, _| {
        for o in log
            .iter()
            .filter(|o| o.purpose == CallPurpose::Campaign && o.campaign == campaign.id)
        {
            edges.push((o.at, 1));
            edges.push((o.ends_at, -1));
            points[minute_of(o.at)].dials += 1;
            *per_second.entry(o.at.timestamp()).or_default() += 1;
        }
    });
    for (second, n) in per_second {
        let at = Utc.timestamp_opt(second, 0).single().unwrap_or(start);
        let p = &mut points[minute_of(at)];
        p.peak_dials_per_second = p.peak_dials_per_second.max(n);
    }
    // Ends sort before starts at the same instant (as in the checks).
    edges.sort_unstable();
    let mut active = 0i32;
    let mut last_minute = 0usize;
    for (at, d) in edges {
        let m = minute_of(at);
        // Calls live across minutes without an edge keep those minutes busy.
        for p in points.iter_mut().take(m).skip(last_minute + 1) {
            p.peak_active = p.peak_active.max(active.max(0) as u32);
        }
        if m > last_minute {
            points[m].peak_active = points[m].peak_active.max(active.max(0) as u32);
        }
        active += d;
        let p = &mut points[m];
        p.peak_active = p.peak_active.max(active.max(0) as u32);
        last_minute = m;
    }
    // Outcomes by the minute their call ended.
    let mut ended: Vec<(usize, CallOutcome)> = Vec::new();
    let mut page = PageRequest::first(5000);
    loop {
        let p = local.calls().list(&campaign.id, page.clone()).await?;
        for r in p.items {
            if r.purpose == CallPurpose::Campaign
                && let (Some(at), Some(o)) = (r.ended_at, r.outcome)
            {
                ended.push((minute_of(at), o));
            }
        }
        match p.next {
            Some(n) => page.cursor = Some(n),
            None => break,
        }
    }
    let mut per_minute: Vec<[u64; 6]> = vec![[0; 6]; minutes];
    for (m, o) in ended {
        let i = match o {
            CallOutcome::Converted => 1,
            CallOutcome::OptedOut => 2,
            CallOutcome::Busy => 3,
            CallOutcome::NoAnswer => 4,
            CallOutcome::Failed | CallOutcome::Disconnected => 5,
            _ if o.is_answered() => 0,
            _ => 5,
        };
        per_minute[m][i] += 1;
    }
    let mut acc = [0u64; 6];
    for (p, add) in points.iter_mut().zip(per_minute) {
        for i in 0..6 {
            acc[i] += add[i];
        }
        p.answered = acc[0];
        p.converted = acc[1];
        p.opted_out = acc[2];
        p.busy = acc[3];
        p.no_answer = acc[4];
        p.failed = acc[5];
    }
    Ok(points)
}

/// The timeline as CSV (one row per virtual minute).
pub fn timeline_csv(points: &[MinutePoint], start: DateTime<Utc>) -> String {
    let mut out = String::from(
        "minute,utc,peak_active,dials,peak_dials_per_second,answered,converted,opted_out,busy,no_answer,failed\n",
    );
    for p in points {
        let at = start + Duration::minutes(i64::from(p.minute));
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            p.minute,
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            p.peak_active,
            p.dials,
            p.peak_dials_per_second,
            p.answered,
            p.converted,
            p.opted_out,
            p.busy,
            p.no_answer,
            p.failed
        ));
    }
    out
}

/// Whole hours since `start` in Israel time, for chart labels.
pub fn israel_hour(start: DateTime<Utc>, minute: u32) -> u32 {
    (start + Duration::minutes(i64::from(minute)))
        .with_timezone(&chrono_tz::Asia::Jerusalem)
        .hour()
}
