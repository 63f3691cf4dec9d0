//! The api-handler's own adapters and its whole wiring against the local AWS
//! emulator (moto): presigned uploads and listings on S3, the Step Functions
//! starter, and requests through `build_state` + the router on DynamoDB,
//! SQS, S3 and Secrets Manager. Without `AWS_ENDPOINT_URL` (set by
//! `tests/run` / `tests/emulator start`) each test fails, unless
//! `SKIP_EMULATOR_TESTS=1`.

use std::sync::Arc;

use api_handler::{Config, S3Uploads, SfnWorkflows, build_state};
use axum::body::Body;
use campaign_api::auth::GatewayClaims;
use campaign_aws::dynamodb::schema::create_tables;
use campaign_aws::{AwsConfig, Clients, S3Objects, TableNames};
use campaign_core::ids::CampaignId;
use campaign_core::messages::{MESSAGE_VERSION, WorkflowInput};
use campaign_core::ports::{ObjectStore, PageRequest, UploadStore, WorkflowStarter};
use chrono::Duration;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn emulator(test: &str) -> Option<(Clients, aws_sdk_sfn::Client)> {
    campaign_aws::config::emulator_endpoint(test)?;
    let sdk = AwsConfig::default().sdk_config().await;
    Some((Clients::new(&sdk), aws_sdk_sfn::Client::new(&sdk)))
}

fn unique(tag: &str) -> String {
    format!(
        "t{}-{:06x}-{tag}",
        chrono::Utc::now().timestamp_millis(),
        rand::random::<u32>() & 0xff_ffff
    )
}

async fn bucket(clients: &Clients, name: &str) -> String {
    clients
        .s3
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("bucket");
    name.to_owned()
}

async fn state_machine(sfn: &aws_sdk_sfn::Client, name: &str) -> String {
    let definition = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;
    sfn.create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/campaign-workflow")
        .send()
        .await
        .expect("state machine")
        .state_machine_arn()
        .to_owned()
}

/// A plain HTTP PUT (no HTTP client crate needed); the status code.
fn http_put(url: &str, content_type: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http link");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_presigned_put_stores_the_file_and_listings_page_by_prefix() {
    let Some((clients, _)) = emulator("s3 uploads").await else {
        return;
    };
    let name = bucket(&clients, &unique("uploads")).await;
    let uploads = S3Uploads::new(clients.s3.clone(), &name);
    let url = uploads
        .presign_put("uploads/cmp-1/imp-1.csv", "text/csv", Duration::minutes(5))
        .await
        .expect("link");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert_eq!(http_put(&url, "text/csv", b"phone\n0502345678\n"), 200);
    let objects = S3Objects::new(clients.s3.clone(), &name);
    assert_eq!(
        objects
            .get("uploads/cmp-1/imp-1.csv")
            .await
            .expect("get")
            .as_deref(),
        Some(&b"phone\n0502345678\n"[..])
    );
    for k in ["audio/a.mp3", "audio/b.mp3", "audio/c.mp3"] {
        objects
            .put(k, vec![1, 2, 3], "audio/mpeg")
            .await
            .expect("put");
    }
    let first = uploads
        .list("audio/", PageRequest::first(2))
        .await
        .expect("list");
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].size_bytes, 3);
    let second = uploads
        .list(
            "audio/",
            PageRequest {
                cursor: first.next,
                limit: 2,
            },
        )
        .await
        .expect("list");
    assert_eq!(
        second
            .items
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["audio/c.mp3"]
    );
    assert!(second.next.is_none());
}

#[tokio::test]
async fn starting_a_campaign_workflow_twice_runs_one_execution() {
    let Some((_, sfn)) = emulator("step functions").await else {
        return;
    };
    let arn = state_machine(&sfn, &unique("campaign")).await;
    let workflows = SfnWorkflows::new(sfn.clone(), &arn);
    let input = WorkflowInput {
        version: MESSAGE_VERSION,
        campaign_id: CampaignId::new("cmp-0001"),
        scheduled_start: None,
    };
    workflows.start(&input).await.expect("start");
    workflows
        .start(&input)
        .await
        .expect("a repeated start is not an error");
    let executions = sfn
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("list");
    assert_eq!(executions.executions().len(), 1);
    assert_eq!(executions.executions()[0].name(), "cmp-0001");
}

#[tokio::test]
async fn requests_run_through_the_wiring_on_aws_adapters() {
    let Some((clients, sfn)) = emulator("api-handler wiring").await else {
        return;
    };
    let ns = unique("api");
    let tables = TableNames::with_prefix(&format!("{ns}-"));
    create_tables(&clients.dynamodb, &tables)
        .await
        .expect("tables");
    let queue = clients
        .sqs
        .create_queue()
        .queue_name(format!("{ns}-dial"))
        .send()
        .await
        .expect("queue")
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let secret = format!("{ns}-call-manager-token");
    clients
        .secrets
        .create_secret()
        .name(&secret)
        .secret_string(campaign_api::routes::v1::token_secret_string(
            "emulator-v1-token",
        ))
        .send()
        .await
        .expect("secret");
    let config = Config {
        table_prefix: format!("{ns}-"),
        dial_queue_url: queue,
        reports_bucket: bucket(&clients, &format!("{ns}-reports")).await,
        report_link_ttl_secs: 3600,
        audio_bucket: bucket(&clients, &format!("{ns}-audio")).await,
        uploads_bucket: bucket(&clients, &format!("{ns}-uploads")).await,
        call_manager_token_secret_id: secret,
        state_machine_arn: state_machine(&sfn, &format!("{ns}-workflow")).await,
    };
    let router = campaign_api::router(Arc::new(build_state(&config).await.expect("state")));
    let claims = GatewayClaims(
        [
            ("sub", "u-1"),
            ("username", "dana"),
            ("cognito:groups", "[administrator]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    );
    let call = |method: &str, path: &str, body: serde_json::Value, token: bool| {
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if token {
            req = req.header("x-auth-token", "emulator-v1-token");
        }
        let mut req = req.body(Body::from(body.to_string())).expect("request");
        if !token {
            req.extensions_mut().insert(claims.clone());
        }
        let router = router.clone();
        async move {
            let r = router.oneshot(req).await.unwrap_or_else(|e| match e {});
            let status = r.status().as_u16();
            let bytes = r
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    let campaign = serde_json::json!({"name": "On AWS", "kind": "voice", "settings": {
        "audio": "sound:x", "schedule": {"timezone": "Asia/Jerusalem", "windows": []}}});
    let (status, body) = call("POST", "/api/campaigns", campaign, false).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("cmp-"), "{id}");
    let (status, body) = call(
        "POST",
        &format!("/api/campaigns/{id}/start"),
        serde_json::json!({}),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let executions = sfn
        .list_executions()
        .state_machine_arn(&config.state_machine_arn)
        .send()
        .await
        .expect("executions");
    assert_eq!(executions.executions().len(), 1, "the workflow started");
    let v1 = serde_json::json!({"phone_number": "+972502345678", "campaign_id": id});
    let (status, body) = call("POST", "/api/v1/initiate-call/", v1.clone(), true).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = call("POST", "/api/v1/initiate-call/", v1, true).await;
    assert_eq!(status, 429);
    let (status, body) = call(
        "GET",
        &format!("/api/campaigns/{id}/metrics"),
        serde_json::json!({}),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["live"]["queue_depth"], 1,
        "the initiated call waits in SQS"
    );
}
