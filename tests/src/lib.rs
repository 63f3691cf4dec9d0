//! Helpers for the workspace-level tests: fixed instants, campaign settings
//! and a runtime with a campaign already loaded.

use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::usecases::lifecycle::NewCampaign;
use campaign_embedded::runtime::Local;

pub use campaign_embedded::testing::{monday_morning, settings, utc};

/// Creates, loads (CSV text) and starts a campaign.
pub async fn started_campaign(
    local: &Local,
    name: &str,
    csv: &str,
    settings: CampaignSettings,
) -> Campaign {
    let campaign = local
        .lifecycle()
        .create(
            NewCampaign {
                name: name.into(),
                kind: CampaignKind::Voice,
                settings,
            },
            "tester",
        )
        .await
        .expect("create");
    local
        .import_contacts()
        .run(
            &campaign.id,
            csv.as_bytes(),
            FileFormat::Csv,
            &ImportOptions::default(),
        )
        .await
        .expect("import");
    local
        .lifecycle()
        .start(&campaign.id, "tester")
        .await
        .expect("start")
}

/// Runs a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}
