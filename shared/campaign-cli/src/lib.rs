//! The `campaign` command line: the local face of the platform.
//!
//! - [`contacts`]: `campaign contacts check FILE` — the import summary of a CSV/XLSX file.
//! - [`demo`]: `campaign demo` — a whole campaign end to end in virtual time.
//! - [`simulate`]: `campaign simulate` — a large campaign, faults, cost; and
//!   `campaign prices` (idle monthly cost); [`charts`] draws its PNGs.
//! - [`bench`]: `campaign bench …` — the in-process parts of `bench/run`.
//! - [`serve`]: `campaign serve` — the HTTP API on 127.0.0.1 with the pipeline running.
//! - [`console`]: what `serve` adds for the operator console (static app, `/config.json`, dev sign-in).
//! - [`token`]: `campaign token --role ROLE` — a development JWT for `serve`.

pub mod bench;
pub mod charts;
pub mod console;
pub mod contacts;
pub mod demo;
pub mod serve;
pub mod simulate;
pub mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "campaign",
    version,
    about = "Voice campaigns: local tools, demo and simulator"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Contact files.
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// Run the bundled sample campaign end to end (virtual time, no cloud).
    Demo {
        /// A contact file (CSV or XLSX) instead of the bundled sample.
        #[arg(long)]
        contacts: Option<PathBuf>,
        /// Seed of the simulated carrier (same seed, same run).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Where the report and summary are written.
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
    },
    /// Simulate a large campaign in virtual time (500,000 contacts by
    /// default), optionally with faults; invariants, charts and cost.
    Simulate(simulate::SimulateArgs),
    /// The price table's idle monthly cost of the infrastructure.
    Prices {
        /// Another price table (default: the bundled docs/prices.yaml).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Benchmark helpers (used by bench/run).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Serve the HTTP API on 127.0.0.1 with the pipeline running (embedded, simulated carrier).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Seed of the simulated carrier.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Seconds between the workflow's dispatches.
        #[arg(long, default_value_t = 2)]
        dispatch_interval: u32,
        /// The built console to serve at `/` (default: $CAMPAIGN_WEB_DIR,
        /// else the repository's web/dist).
        #[arg(long)]
        web: Option<PathBuf>,
    },
    /// Print a development JWT that `campaign serve` accepts.
    Token {
        #[arg(long, value_enum)]
        role: token::RoleArg,
        /// Hours the token stays valid.
        #[arg(long, default_value_t = 12)]
        hours: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Read a CSV or XLSX contact file and print its import summary.
    Check {
        file: PathBuf,
        /// Region for numbers written without a country code (ISO 3166 code).
        #[arg(long, default_value = "IL")]
        region: String,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// What to keep when a number appears twice.
        #[arg(long, value_enum, default_value_t = DedupArg::KeepFirst)]
        dedup: DedupArg,
        /// With `--dedup merge`: a field whose latest non-empty value wins (repeatable).
        #[arg(long = "priority-field")]
        priority_fields: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DedupArg {
    KeepFirst,
    KeepLast,
    Merge,
}

/// Runs a parsed command line; `Ok` carries the exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Contacts {
            command:
                ContactsCommand::Check {
                    file,
                    region,
                    json,
                    dedup,
                    priority_fields,
                },
        } => contacts::check(&file, &region, json, dedup, priority_fields),
        Command::Demo {
            contacts,
            seed,
            out,
        } => demo::run(contacts, seed, &out),
        Command::Simulate(args) => simulate::run(args),
        Command::Prices { file, json } => simulate::prices(file.as_deref(), json),
        Command::Bench { command } => bench::run(command),
        Command::Serve {
            addr,
            seed,
            dispatch_interval,
            web,
        } => serve::run(addr, seed, dispatch_interval, web),
        Command::Token { role, hours } => token::run(role, hours),
    }
}

/// Logs to stderr; `RUST_LOG` sets the level (warnings by default).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
