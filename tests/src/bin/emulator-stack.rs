//! `emulator-stack`: creates a stack's resources on the local AWS emulator
//! and writes the functions' environment for `cargo lambda watch`.
//!
//! ```text
//! cargo run -p campaign-tests --bin emulator-stack -- [--prefix local] [--env-file .lambda-local.env] [--no-seed]
//! ```
//!
//! It refuses to run without `AWS_ENDPOINT_URL` (it must never create
//! anything in a real account). Unless `--no-seed`, it also creates the
//! campaign the fixtures name (`cmp-000001`: a started voice campaign with
//! three contacts whose calling window is open all day in Jerusalem), so a
//! fixture such as `events/dispatcher/dispatch-running.json` has something
//! to work on. Running it again reuses what exists.

use std::io::Write;
use std::sync::Arc;

use campaign_aws::provision::provision;
use campaign_aws::{AwsConfig, AwsPorts};
use campaign_core::campaign::CampaignKind;
use campaign_core::clock::SystemClock;
use campaign_core::ids::CampaignId;
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::ports::CampaignStore;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::{Lifecycle, NewCampaign};
use campaign_embedded::providers::SequentialIds;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut prefix = "local".to_owned();
    let mut env_file = ".lambda-local.env".to_owned();
    let mut seed = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--prefix" => prefix = args.next().ok_or("--prefix needs a value")?,
            "--env-file" => env_file = args.next().ok_or("--env-file needs a value")?,
            "--no-seed" => seed = false,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if endpoint.is_empty() {
        return Err(
            "AWS_ENDPOINT_URL is not set: start the emulator first (tests/emulator start)".into(),
        );
    }
    let clients = AwsConfig::default().clients().await;
    let stack = match provision(&clients, &prefix).await {
        Ok(stack) => stack,
        Err(e) => {
            return Err(format!(
                "could not create the stack (already there? use another --prefix, or restart the emulator): {e}"
            )
            .into());
        }
    };
    let mut out = std::fs::File::create(&env_file)?;
    writeln!(out, "AWS_ENDPOINT_URL={endpoint}")?;
    for (name, value) in stack.env() {
        writeln!(out, "{name}={value}")?;
    }
    eprintln!(
        "emulator-stack: tables, queues, topics and buckets `{prefix}-*` created on {endpoint}"
    );
    eprintln!("emulator-stack: the functions' environment is in {env_file}");
    if seed {
        let id = seed_campaign(&clients, &prefix).await?;
        eprintln!("emulator-stack: campaign {id} started with 3 contacts");
    }
    Ok(())
}

async fn seed_campaign(
    clients: &campaign_aws::Clients,
    prefix: &str,
) -> Result<CampaignId, Box<dyn std::error::Error>> {
    let aws = AwsPorts::new(
        clients.clone(),
        &format!("{prefix}-"),
        Arc::new(SystemClock),
    );
    let (campaigns, audit, contacts, blacklist) = (
        aws.campaigns(),
        aws.audit(),
        aws.contacts(),
        aws.blacklist(),
    );
    let ids = SequentialIds::new();
    let lifecycle = Lifecycle {
        campaigns: &*campaigns,
        audit: &*audit,
        ids: &ids,
        clock: &*aws.clock,
    };
    let mut settings = campaign_embedded::testing::settings();
    // Open all day, so the fixtures work whenever a tester runs them.
    if let Some(w) = settings.schedule.windows.first_mut() {
        w.start = chrono::NaiveTime::MIN;
        w.end = chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(chrono::NaiveTime::MIN);
    }
    let campaign = lifecycle
        .create(
            NewCampaign {
                name: "Fixture campaign".into(),
                kind: CampaignKind::Voice,
                settings,
            },
            "emulator-stack",
        )
        .await?;
    ImportContacts {
        campaigns: &*campaigns,
        contacts: &*contacts,
        blacklist: &*blacklist,
    }
    .run(
        &campaign.id,
        b"phone,first_name\n0523450000,Dana\n0523450001,Avi\n02-6234567,Office\n",
        FileFormat::Csv,
        &ImportOptions::default(),
    )
    .await?;
    lifecycle.start(&campaign.id, "emulator-stack").await?;
    debug_assert!(campaigns.get(&campaign.id).await?.is_some());
    Ok(campaign.id)
}
