//! `campaign simulate`: a large generated campaign in virtual time through
//! the real core, with a progress bar, the invariants (and, with
//! `--faults`, the faults injected next to them), the cost of the same
//! campaign on AWS, and files: `summary.json`, `timeline.csv`, the report
//! and three PNG charts. `campaign prices` prints the price table's idle
//! monthly cost.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

use campaign_embedded::carrier::CarrierProfile;
use campaign_embedded::cost::{CostLine, PriceTable};
use campaign_embedded::faults::{FaultKind, FaultPlan};
use campaign_embedded::providers::DirObjects;
use campaign_embedded::runtime::sim::{
    SimOptions, SimPhase, SimResult, run_simulation, timeline_csv,
};

use crate::charts;

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Contact rows to generate (deterministic from the seed; about 2 %
    /// invalid, 3 % duplicates, 10 % landlines, 2 % in New York, 1 % on the
    /// do-not-call list).
    #[arg(long, default_value_t = 500_000)]
    pub contacts: usize,
    /// Most calls in progress at once.
    #[arg(long, default_value_t = 1000)]
    pub max_concurrent: u32,
    /// Most calls started per second.
    #[arg(long, default_value_t = 50)]
    pub calls_per_second: u32,
    /// Attempts per contact (retries by the day-and-time rules).
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// Share of calls answered.
    #[arg(long, default_value_t = 0.55)]
    pub answer: f64,
    /// Share of calls busy.
    #[arg(long, default_value_t = 0.12)]
    pub busy: f64,
    /// Share of calls not answered (the rest fail).
    #[arg(long, default_value_t = 0.23)]
    pub no_answer: f64,
    /// Seconds of ringing before an answer, MIN-MAX (uniform).
    #[arg(long, default_value = "3-20")]
    pub ring_secs: String,
    /// Seconds each prompt plays, MIN-MAX (uniform): the answered calls'
    /// length.
    #[arg(long, default_value = "8-25")]
    pub prompt_secs: String,
    /// Give up after this many virtual days.
    #[arg(long, default_value_t = 3)]
    pub days: i64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Inject faults: no value (or `standard`) for every kind at its
    /// standard rate, or `kind=rate,...` (kinds: store_error, queue_error,
    /// bus_error, duplicate_delivery, crash_before_originate,
    /// lost_call_event — per call; host_restart — per virtual day).
    #[arg(long, num_args = 0..=1, default_missing_value = "standard")]
    pub faults: Option<String>,
    /// Price table (default: the bundled docs/prices.yaml).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Where summary.json, timeline.csv, the report and the charts go.
    #[arg(long, default_value = "out/simulate")]
    pub out: PathBuf,
    /// Skip drawing the PNG charts.
    #[arg(long)]
    pub no_charts: bool,
}

fn range(s: &str, what: &str) -> anyhow::Result<(u32, u32)> {
    let (a, b) = s
        .split_once('-')
        .with_context(|| format!("{what}: expected MIN-MAX, got {s:?}"))?;
    let (a, b): (u32, u32) = (
        a.trim()
            .parse()
            .with_context(|| format!("{what}: {a:?} is not a number"))?,
        b.trim()
            .parse()
            .with_context(|| format!("{what}: {b:?} is not a number"))?,
    );
    if a > b {
        bail!("{what}: {a} is more than {b}");
    }
    Ok((a, b))
}

pub fn load_prices(path: Option<&Path>) -> anyhow::Result<PriceTable> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Ok(PriceTable::from_yaml(&text)?)
        }
        None => Ok(PriceTable::bundled()?),
    }
}

fn options(args: &SimulateArgs) -> anyhow::Result<SimOptions> {
    for (name, v) in [
        ("--answer", args.answer),
        ("--busy", args.busy),
        ("--no-answer", args.no_answer),
    ] {
        if !(0.0..=1.0).contains(&v) {
            bail!("{name} must be between 0 and 1, got {v}");
        }
    }
    if args.answer + args.busy + args.no_answer > 1.0 + 1e-9 {
        bail!("--answer + --busy + --no-answer must not exceed 1");
    }
    if args.contacts == 0 || args.max_concurrent == 0 || args.calls_per_second == 0 {
        bail!("--contacts, --max-concurrent and --calls-per-second must be at least 1");
    }
    if args.days < 1 {
        bail!("--days must be at least 1");
    }
    let mut opts = SimOptions::new(load_prices(args.prices.as_deref())?);
    opts.contacts = args.contacts;
    opts.seed = args.seed;
    opts.max_concurrent = args.max_concurrent;
    opts.calls_per_second = args.calls_per_second;
    opts.max_attempts = args.max_attempts.max(1);
    opts.days = args.days;
    opts.carrier = CarrierProfile {
        answer: args.answer,
        busy: args.busy,
        no_answer: args.no_answer,
        ring_secs: range(&args.ring_secs, "--ring-secs")?,
        prompt_secs: range(&args.prompt_secs, "--prompt-secs")?,
        ..CarrierProfile::default()
    };
    opts.faults = match &args.faults {
        Some(spec) => FaultPlan::parse(spec).map_err(|e| anyhow::anyhow!("--faults: {e}"))?,
        None => FaultPlan::none(),
    };
    Ok(opts)
}

struct Bar {
    started: Instant,
    tty: bool,
}

impl Bar {
    fn phase(&self, text: &str) {
        if self.tty {
            eprint!("\r\x1b[2K{text}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{text}");
        }
    }

    fn running(&self, p: &campaign_embedded::runtime::ProgressSnapshot) {
        let done = p.total - p.unfinished;
        let frac = if p.total == 0 {
            0.0
        } else {
            done as f64 / p.total as f64
        };
        let width = 30;
        let filled = (frac * width as f64).round() as usize;
        let bar: String = "#".repeat(filled) + &"-".repeat(width - filled.min(width));
        let at = p
            .now
            .with_timezone(&chrono_tz::Asia::Jerusalem)
            .format("%a %H:%M");
        let line = format!(
            "running   [{bar}] {:>3.0}%  {at} Israel  calls {:>9}  contacts done {:>9}/{}  ({:.1} s)",
            frac * 100.0,
            p.stats.placed,
            done,
            p.total,
            self.started.elapsed().as_secs_f64()
        );
        // Not a terminal (a log): one line per virtual hour is enough.
        if self.tty {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let opts = options(&args)?;
    let out = args.out.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let objects = Arc::new(DirObjects::new(&out));
    let bar = Bar {
        started: Instant::now(),
        tty: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    eprintln!(
        "campaign simulate: {} contacts, {} at once, {}/s, virtual time, simulated carrier{}",
        opts.contacts,
        opts.max_concurrent,
        opts.calls_per_second,
        if opts.faults.is_empty() {
            String::new()
        } else {
            ", faults injected".into()
        }
    );
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let start = opts.start;
    let (max_concurrent, cps) = (opts.max_concurrent, opts.calls_per_second);
    let result = rt.block_on(run_simulation(opts, objects, |phase| match phase {
        SimPhase::Generating => bar.phase("generating contacts…"),
        SimPhase::Importing => bar.phase("importing contacts and the do-not-call list…"),
        SimPhase::Running(p) => bar.running(&p),
        SimPhase::Checking => bar.phase("checking invariants…"),
        SimPhase::Reporting => bar.phase("writing the report…"),
    }))?;
    let done = format!("done in {:.1} s", bar.started.elapsed().as_secs_f64());
    bar.phase(&done);
    if bar.tty {
        eprintln!();
    }

    let t = Instant::now();
    let summary = out.join("summary.json");
    std::fs::write(&summary, serde_json::to_vec_pretty(&result)?)
        .with_context(|| format!("cannot write {}", summary.display()))?;
    let timeline = out.join("timeline.csv");
    std::fs::write(&timeline, timeline_csv(&result.timeline, start))
        .with_context(|| format!("cannot write {}", timeline.display()))?;
    let charts = if args.no_charts {
        Vec::new()
    } else {
        let title = format!(
            "{} contacts, {max_concurrent} at once, {cps}/s",
            result.contacts_generated
        );
        charts::draw_all(&out, &result.timeline, start, max_concurrent, cps, &title)?
    };
    print_result(&result);
    println!("\nfiles:");
    println!("  {}", summary.display());
    println!("  {}", timeline.display());
    println!("  {}", out.join(&result.report_key).display());
    for c in &charts {
        println!("  {}", c.display());
    }
    println!(
        "\nwall time: {:.1} s total (generate {:.1}, import {:.1}, run {:.1}, checks {:.1}, report {:.1}, files and charts {:.1})",
        result.wall.total_s + t.elapsed().as_secs_f64(),
        result.wall.generate_s,
        result.wall.import_s,
        result.wall.run_s,
        result.wall.checks_s,
        result.wall.report_s,
        t.elapsed().as_secs_f64()
    );
    println!(
        "simulator speed: {:.0} calls per wall second (run phase)",
        result.calls_per_wall_second
    );
    let ok = result.completed && result.checks.iter().all(|c| c.passed);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_result(r: &SimResult) {
    let c = &r.counts;
    println!(
        "\nCampaign {} ({}), {} rows: {} imported, {} duplicates, {} invalid, {} already on the do-not-call list",
        r.campaign_id,
        r.campaign_status,
        thousands(r.import.rows),
        thousands(r.import.imported),
        thousands(r.import.duplicates),
        thousands(r.import.invalid),
        thousands(r.import.already_blacklisted)
    );
    println!(
        "virtual time: {} → {} ({:.1} h, {})",
        r.started_at.format("%a %Y-%m-%d %H:%M UTC"),
        r.finished_at.format("%a %Y-%m-%d %H:%M UTC"),
        r.virtual_hours,
        if r.completed {
            "completed"
        } else {
            "NOT completed before the deadline"
        }
    );
    let rows: [(&str, u64); 13] = [
        ("campaign calls placed", r.campaign_calls),
        ("TTS fallback calls", r.tts_calls),
        ("attempts settled", c.attempts),
        ("answered", c.answered_total()),
        ("  converted (pressed 1)", c.converted),
        ("  opted out (pressed 9)", c.opted_out),
        ("busy", c.busy),
        ("no answer", c.no_answer),
        ("failed / dropped", c.failed + c.disconnected),
        ("SMS sent", c.sms_sent),
        ("TTS delivered", c.tts_delivered),
        ("contacts finished", r.contacts.terminal()),
        ("  of which blacklisted", r.contacts.blacklisted),
    ];
    println!("\n  {:<26} {:>10}", "outcome", "count");
    for (k, v) in rows {
        println!("  {k:<26} {:>10}", thousands(v));
    }
    println!(
        "  answer rate {:.1}%   conversion {:.1}%   opt-out {:.1}%   peak {} at once, {}/s",
        r.rates.answer_rate * 100.0,
        r.rates.conversion_rate * 100.0,
        r.rates.opt_out_rate * 100.0,
        r.peak_concurrency,
        r.peak_calls_per_second
    );
    match (
        r.pace_changes.first(),
        r.pace_changes.iter().map(|c| c.to_cps).min(),
    ) {
        (Some(first), Some(lowest)) => println!(
            "  adaptive pace: {} changes, the first at {} ({:?}), lowest {lowest}/s",
            r.pace_changes.len(),
            first.at.format("%a %H:%M:%S"),
            first.reason
        ),
        _ => println!("  adaptive pace: held at the configured pace (no trouble seen)"),
    }

    println!("\ninvariants (from the carrier's own log):");
    for check in &r.checks {
        println!(
            "  {} {:<36} {}",
            if check.passed { "✓" } else { "✗" },
            check.name,
            check.detail
        );
    }
    if !r.faults.plan.is_empty() {
        println!("\nfaults injected (seeded):");
        for kind in FaultKind::ALL {
            let rate = r.faults.plan.rate(kind);
            if rate <= 0.0 {
                continue;
            }
            println!(
                "  {:<24} {:>8}   (rate {rate} per {})",
                kind.as_str(),
                thousands(r.faults.injected.get(kind)),
                kind.unit()
            );
        }
        println!(
            "  absorbed: {} handler runs retried, {} lost calls closed by the lease watchdog, {} calls cut by host restarts, {} duplicate or stale tasks dropped",
            thousands(r.faults.handler_failures_retried),
            thousands(r.faults.lost_calls_closed_by_watchdog),
            thousands(r.faults.calls_cut_by_restarts),
            thousands(r.faults.duplicate_tasks_dropped_or_absorbed)
        );
    }
    let cost = &r.cost;
    println!(
        "\ncost on AWS ({}, prices of {}): ${:.2} for this campaign, ${:.2} per million calls",
        cost.region, cost.prices_as_of, cost.total_usd, cost.per_million_calls_usd
    );
    print_lines(&cost.lines);
    println!("  not included: {}", cost.not_included.join("; "));
    println!(
        "idle monthly: ${:.2} serverless, ${:.2} with the Asterisk host (`campaign prices`)",
        r.idle_monthly.serverless_usd, r.idle_monthly.with_telephony_host_usd
    );
}

fn print_lines(lines: &[CostLine]) {
    for l in lines {
        println!(
            "  {:<48} {:>16} {:<20} ${:>9.4}",
            l.item,
            if l.quantity >= 1000.0 {
                thousands(l.quantity.round() as u64)
            } else {
                format!("{:.2}", l.quantity)
            },
            l.unit,
            l.usd
        );
    }
}

/// `campaign prices`: the table's date and the idle monthly cost.
pub fn prices(path: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let table = load_prices(path)?;
    let idle = table.idle_monthly();
    if json {
        println!("{}", serde_json::to_string_pretty(&idle)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Idle monthly cost ({}, on-demand prices of {}):",
        table.region, table.as_of
    );
    print_lines(&idle.lines);
    println!(
        "  total: ${:.2} serverless; ${:.2} with the Asterisk host running all month",
        idle.serverless_usd, idle.with_telephony_host_usd
    );
    Ok(ExitCode::SUCCESS)
}
