//! Every fixture in `events/api-handler/` through the real entry point
//! (`handle`: claims from the API Gateway v2 payload into the router), on
//! embedded adapters, each against a fresh store holding an active campaign
//! `cmp-000001` with contacts and a draft `cmp-000002`.

use std::path::PathBuf;
use std::sync::Arc;

use api_handler::handle;
use campaign_api::auth::Authenticator;
use campaign_api::{ApiConfig, ApiState};
use campaign_core::campaign::CampaignKind;
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::phone::PhoneParser;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::{Lifecycle, NewCampaign};
use campaign_embedded::counters::MemoryCounters;
use campaign_embedded::providers::{MapSecrets, MemoryObjects, SequentialIds};
use campaign_embedded::queue::MemoryQueue;
use campaign_embedded::store::MemoryStore;
use campaign_embedded::testing::{monday_morning, settings};
use campaign_embedded::uploads::LocalUploads;
use campaign_embedded::workflows::LocalWorkflows;
use http_body_util::BodyExt;

const EXPECTED: &[(&str, u16)] = &[
    ("aggregate-metrics", 200),
    ("audio-upload-link", 201),
    ("blacklist-add", 201),
    ("blacklist-export-as-manager", 403),
    ("campaign-metrics", 200),
    // API Gateway's HTTP API cannot stream: the console polls instead.
    ("campaign-metrics-stream", 501),
    ("create-campaign", 201),
    ("create-campaign-as-analyst", 403),
    ("create-campaign-invalid", 422),
    ("create-campaign-malformed-json", 400),
    ("create-report-pdf", 201),
    ("get-campaign", 200),
    ("get-campaign-unknown", 404),
    ("health", 200),
    ("list-campaigns", 200),
    ("list-campaigns-no-token", 401),
    ("me", 200),
    ("pause-draft-campaign", 409),
    ("start-campaign", 200),
    ("upload-contacts-csv", 201),
    ("v1-callback-bad-status", 400),
    ("v1-callback-unknown-call", 404),
    ("v1-initiate-call", 201),
    ("v1-initiate-call-no-token", 401),
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/api-handler")
}

/// `api_handler::Config::api_config` for fixture environment values.
fn lambda_config() -> ApiConfig {
    let vars = [
        ("CAMPAIGN_TABLE_PREFIX", "campaign-dev-"),
        ("DIAL_QUEUE_URL", "https://sqs.example/dial"),
        ("REPORTS_BUCKET", "reports"),
        ("AUDIO_BUCKET", "audio"),
        ("UPLOADS_BUCKET", "uploads"),
        ("CALL_MANAGER_TOKEN_SECRET_ID", "call-manager-token"),
        (
            "STATE_MACHINE_ARN",
            "arn:aws:states:eu-west-1:1:stateMachine:campaign",
        ),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    api_handler::Config::from_lookup(&lookup)
        .expect("fixture config")
        .api_config()
}

async fn router() -> axum::Router {
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let store = Arc::new(MemoryStore::new());
    let ids = Arc::new(SequentialIds::new());
    let lifecycle = Lifecycle {
        campaigns: &*store,
        audit: &*store,
        ids: &*ids,
        clock: &*clock,
    };
    let new = |name: &str| NewCampaign {
        name: name.into(),
        kind: CampaignKind::Voice,
        settings: settings(),
    };
    let active = lifecycle
        .create(new("Active"), "fixture")
        .await
        .expect("create");
    lifecycle.start(&active.id, "fixture").await.expect("start");
    lifecycle
        .create(new("Draft"), "fixture")
        .await
        .expect("create");
    ImportContacts {
        campaigns: &*store,
        contacts: &*store,
        blacklist: &*store,
    }
    .run(
        &active.id,
        b"phone\n0502345671\n0502345672\n",
        FileFormat::Csv,
        &ImportOptions::default(),
    )
    .await
    .expect("contacts");
    let files = Arc::new(MemoryObjects::new());
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let uploads = Arc::new(LocalUploads::new(
        files.clone(),
        "http://local/u",
        [1; 32],
        dyn_clock.clone(),
    ));
    let state = ApiState {
        campaigns: store.clone(),
        contacts: store.clone(),
        blacklist: store.clone(),
        calls: store.clone(),
        counters: Arc::new(MemoryCounters::new()),
        audit: store.clone(),
        queue: Arc::new(MemoryQueue::new()),
        reports: Arc::new(MemoryObjects::new()),
        uploads: files,
        upload_links: uploads.clone(),
        audio: uploads.clone(),
        audio_files: uploads.clone(),
        report_index: uploads,
        workflows: Arc::new(LocalWorkflows::new()),
        // The secret's one format, `{"token": …}` (what the rotation writes).
        secrets: Arc::new(MapSecrets::new([(
            "call-manager-token",
            campaign_api::routes::v1::token_secret_string("fixture-call-manager-token"),
        )])),
        ids,
        clock: dyn_clock,
        auth: Authenticator::Gateway,
        // The settings api-handler runs with (streaming off among them).
        config: lambda_config(),
        parser: PhoneParser::default(),
    };
    campaign_api::router(Arc::new(state))
}

#[tokio::test]
async fn every_fixture_runs_through_the_handler_with_its_expected_status() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("events/api-handler")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, listed,
        "every fixture has an expected status, and every expected fixture exists"
    );
    for (name, status) in EXPECTED {
        let text =
            std::fs::read_to_string(fixtures_dir().join(format!("{name}.json"))).expect("read");
        let event: lambda_http::request::LambdaRequest = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: not an API Gateway v2 event: {e}"));
        let request = lambda_http::Request::from(event);
        let response = handle(router().await, request)
            .await
            .unwrap_or_else(|e| match e {});
        let got = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        assert_eq!(got, *status, "{name}: {text}");
        if got >= 400 {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            assert!(
                v["error"]["code"].is_string(),
                "{name}: error shape: {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_claims_of_a_fixture_name_its_user_in_the_audit_log() {
    let text = std::fs::read_to_string(fixtures_dir().join("create-campaign.json")).expect("read");
    let event: lambda_http::request::LambdaRequest = serde_json::from_str(&text).expect("event");
    let response = handle(router().await, lambda_http::Request::from(event))
        .await
        .unwrap_or_else(|e| match e {});
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["created_by"], "noa.manager (campaign-manager)");
}
