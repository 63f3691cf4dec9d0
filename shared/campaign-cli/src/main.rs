use std::process::ExitCode;

use clap::Parser;

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
