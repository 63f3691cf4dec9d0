//! `campaign demo`: runs the sample campaign and prints what happened.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use campaign_embedded::providers::DirObjects;
use campaign_embedded::runtime::demo::{ContactFile, DemoOptions, DemoResult, run_demo};

fn israel_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Jerusalem)
        .format("%a %d %b %H:%M")
        .to_string()
}

pub fn run(
    contacts: Option<std::path::PathBuf>,
    seed: u64,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let contacts = match contacts {
        Some(path) => Some(ContactFile {
            name: path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("contacts")
                .to_owned(),
            bytes: std::fs::read(&path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        }),
        None => None,
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let objects = Arc::new(DirObjects::new(out));
    let options = DemoOptions {
        contacts,
        seed,
        ..DemoOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let started = std::time::Instant::now();
    eprintln!(
        "campaign demo: virtual time, embedded adapters, simulated carrier (no call is placed)"
    );
    let result = runtime.block_on(run_demo(options, objects, |p| {
        eprintln!(
            "  {} (Israel)  calls placed {:>6}  contacts finished {:>6} / {}",
            israel_time(p.now),
            p.stats.placed,
            p.total - p.unfinished,
            p.total
        );
    }))?;
    print_result(&result, out);
    let summary_path = out.join("summary.json");
    std::fs::write(&summary_path, serde_json::to_vec_pretty(&result)?)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    println!("\nsummary: {}", summary_path.display());
    println!("wall time: {:.1} s", started.elapsed().as_secs_f64());
    let ok = result.completed && result.checks.iter().all(|c| c.passed);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_result(r: &DemoResult, out: &Path) {
    let c = &r.report.counts;
    let imp = &r.import.report.summary;
    println!(
        "\nCampaign {} — {} ({})",
        r.campaign.id, r.campaign.name, r.campaign.status
    );
    println!(
        "contacts: {} rows, {} imported, {} duplicates, {} invalid, {} already on the do-not-call list",
        imp.total_rows, imp.imported, imp.duplicates, imp.invalid, r.import.blacklisted
    );
    let contacts_dialled = r
        .report
        .calls
        .iter()
        .filter(|k| k.purpose == campaign_core::messages::CallPurpose::Campaign)
        .map(|k| k.contact_id.clone())
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    let tts = c.tts_delivered + c.tts_failed;
    let rows: [(&str, u64); 12] = [
        ("attempts", c.attempts),
        ("answered", c.answered_total()),
        ("busy", c.busy),
        ("no answer", c.no_answer),
        ("failed", c.failed),
        ("converted (pressed 1)", c.converted),
        ("opted out (pressed 9)", c.opted_out),
        ("SMS sent", c.sms_sent),
        ("TTS fallbacks", tts),
        ("  of which delivered", c.tts_delivered),
        ("retries", c.attempts.saturating_sub(contacts_dialled)),
        ("contacts finished", r.report.contacts.terminal()),
    ];
    println!("\n  {:<24} {:>8}", "outcome", "count");
    for (k, v) in rows {
        println!("  {k:<24} {v:>8}");
    }
    let rates = &r.report.rates;
    println!(
        "  answer rate {:.1}%   conversion {:.1}%   opt-out {:.1}%",
        rates.answer_rate * 100.0,
        rates.conversion_rate * 100.0,
        rates.opt_out_rate * 100.0
    );
    println!(
        "\nvirtual time: {} → {} ({})",
        r.started_at.format("%Y-%m-%d %H:%M UTC"),
        r.finished_at.format("%Y-%m-%d %H:%M UTC"),
        if r.completed {
            "completed"
        } else {
            "NOT completed before the deadline"
        }
    );
    println!("\nchecks:");
    for check in &r.checks {
        println!(
            "  {} {:<36} {}",
            if check.passed { "✓" } else { "✗" },
            check.name,
            check.detail
        );
    }
    println!("\nreport: {}", out.join(&r.link.key).display());
}
