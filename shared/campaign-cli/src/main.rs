use std::process::ExitCode;

use clap::Parser;

// The simulator allocates and frees millions of small records; glibc's
// allocator took a quarter of its time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    campaign_cli::init_tracing();
    let cli = campaign_cli::Cli::parse();
    match campaign_cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
