//! `campaign bench …`: the in-process measurements `bench/run` drives.
//!
//! - `gen-contacts`: a large contact CSV, deterministic from a seed (the
//!   same generator as the simulator), for the import benchmark;
//! - `dispatch`: dial tasks queued per second by the dispatch use case over
//!   the embedded adapters (median of several runs);
//! - `hello`: a minimal HTTP server (one fixed response, keep-alive) on the
//!   same runtime, the baseline the API's latency is compared with.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{TimeZone, Utc};
use clap::Subcommand;
use serde::Serialize;

use campaign_core::campaign::CampaignKind;
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::pacing::PaceLimits;
use campaign_core::usecases::lifecycle::NewCampaign;
use campaign_embedded::runtime::demo::demo_settings;
use campaign_embedded::runtime::sample;
use campaign_embedded::runtime::{Local, LocalConfig};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Write a generated contact CSV.
    GenContacts {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Dial tasks queued per second by the dispatcher, in process.
    Dispatch {
        #[arg(long, default_value_t = 200_000)]
        contacts: usize,
        /// Runs (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
    /// A minimal HTTP server: `200 hello` to every request, keep-alive.
    Hello {
        #[arg(long, default_value = "127.0.0.1:18081")]
        addr: String,
    },
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::GenContacts { rows, seed, out } => {
            let files = sample::generate(rows, seed);
            std::fs::write(&out, files.contacts_csv)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Dispatch {
            contacts,
            runs,
            json,
        } => dispatch(contacts, runs.max(1), json),
        BenchCommand::Hello { addr } => hello(&addr),
    }
}

#[derive(Debug, Serialize)]
struct DispatchBench {
    contacts: usize,
    runs: Vec<f64>,
    median_tasks_per_second: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn dispatch(contacts: usize, runs: usize, json: bool) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let csv = sample::generate(contacts, 11).contacts_csv;
    let mut rates = Vec::new();
    for _ in 0..runs {
        let rate = rt.block_on(async {
            // Sunday 10:00 in Israel: inside the calling window.
            let start = Utc
                .with_ymd_and_hms(2026, 3, 22, 8, 0, 0)
                .single()
                .unwrap_or_default();
            let local = Local::new(LocalConfig::default(), start);
            let mut settings = demo_settings()?;
            settings.pace = PaceLimits {
                calls_per_second: 1000,
                max_concurrent: 10_000,
            };
            let c = local
                .lifecycle()
                .create(
                    NewCampaign {
                        name: "dispatch bench".into(),
                        kind: CampaignKind::Voice,
                        settings,
                    },
                    "bench",
                )
                .await?;
            local
                .import_contacts()
                .run(
                    &c.id,
                    csv.as_bytes(),
                    FileFormat::Csv,
                    &ImportOptions::default(),
                )
                .await?;
            local.lifecycle().start(&c.id, "bench").await?;
            let t = Instant::now();
            let mut queued = 0u64;
            loop {
                let out = local.dispatch().run(&c.id, 10_000).await?;
                if out.queued == 0 {
                    break;
                }
                queued += u64::from(out.queued);
            }
            let secs = t.elapsed().as_secs_f64();
            anyhow::Ok(queued as f64 / secs.max(1e-9))
        })?;
        rates.push(rate);
    }
    let result = DispatchBench {
        contacts,
        median_tasks_per_second: median(rates.clone()),
        runs: rates,
    };
    if json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "dispatch: {:.0} dial tasks per second (median of {} runs over {} contacts)",
            result.median_tasks_per_second,
            result.runs.len(),
            contacts
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Blocking threads, one per connection: the simplest server that answers
/// HTTP/1.1 with keep-alive.
fn hello(addr: &str) -> anyhow::Result<ExitCode> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!("hello server on http://{addr}");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || serve_hello(stream));
    }
    Ok(ExitCode::SUCCESS)
}

fn serve_hello(mut stream: std::net::TcpStream) {
    use std::io::Read;
    let _ = stream.set_nodelay(true);
    let body = b"{\"status\":\"ok\"}";
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        // Answer every complete request (headers, then a body of
        // content-length bytes).
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() < end + 4 + len {
                break;
            }
            pending.drain(..end + 4 + len);
            if stream.write_all(response.as_bytes()).is_err() || stream.write_all(body).is_err() {
                return;
            }
        }
    }
}
