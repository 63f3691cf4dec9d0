//! API latency, in process: each main route called many times through the
//! router on the embedded adapters (no network), median and 95th percentile
//! printed. Not a test: numbers vary by machine. Run with
//! `cargo run -p campaign-api --example latency [-- ROUNDS]`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use campaign_api::auth::{Authenticator, DevJwt, Role};
use campaign_api::{ApiConfig, ApiState};
use campaign_core::clock::Clock;
use campaign_core::phone::PhoneParser;
use campaign_embedded::providers::{MapSecrets, MemoryObjects};
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_embedded::testing::monday_morning;
use campaign_embedded::uploads::LocalUploads;
use campaign_embedded::workflows::LocalWorkflows;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// Builds the i-th request of a case: path, body with its type, v1 token or JWT.
type MakeRequest = Box<dyn Fn(usize) -> (String, Option<(String, &'static str)>, bool)>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let local = Arc::new(Local::new(LocalConfig::default(), monday_morning()));
    let clock: Arc<dyn Clock> = local.clock.clone();
    let files = Arc::new(MemoryObjects::new());
    let uploads = Arc::new(LocalUploads::new(
        files.clone(),
        "http://x/u",
        [1; 32],
        clock.clone(),
    ));
    let jwt = DevJwt::new(vec![7u8; 32]);
    let state = Arc::new(ApiState {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        blacklist: local.store.clone(),
        calls: local.store.clone(),
        counters: local.counters.clone(),
        audit: local.store.clone(),
        queue: local.queue.clone(),
        reports: local.objects.clone(),
        uploads: files,
        upload_links: uploads.clone(),
        audio: uploads.clone(),
        audio_files: uploads.clone(),
        report_index: uploads,
        workflows: Arc::new(LocalWorkflows::new()),
        secrets: Arc::new(MapSecrets::new([(
            "call-manager-token",
            campaign_api::routes::v1::token_secret_string("bench-token"),
        )])),
        ids: local.ids.clone(),
        clock,
        auth: Authenticator::Dev(Arc::new(DevJwt::new(vec![7u8; 32]))),
        config: ApiConfig::default(),
        parser: PhoneParser::default(),
    });
    let app = campaign_api::router(state);
    let token = jwt.issue(Role::Administrator, local.now(), chrono::Duration::hours(1));
    let send = |method: &str, path: String, body: Option<(String, &str)>, v1: bool| {
        let mut b = Request::builder().method(method).uri(path);
        if v1 {
            b = b.header("x-auth-token", "bench-token");
        } else {
            b = b.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some((text, ct)) => {
                b = b.header("content-type", ct);
                Body::from(text)
            }
            None => Body::empty(),
        };
        let app = app.clone();
        let req = b.body(body).expect("request");
        async move {
            let r = app.oneshot(req).await.unwrap_or_else(|e| match e {});
            let status = r.status();
            let _ = r.into_body().collect().await;
            status
        }
    };
    let create = json!({"name": "Bench", "kind": "voice", "settings": {"audio": "sound:x", "schedule": {"timezone": "Asia/Jerusalem", "windows": []}}}).to_string();
    let r = send(
        "POST",
        "/api/campaigns".into(),
        Some((create.clone(), "application/json")),
        false,
    )
    .await;
    assert!(r.is_success(), "{r}");
    let id = "cmp-000001";
    let mut csv = String::from("phone\n");
    for i in 0..1000 {
        csv.push_str(&format!("0502{:06}\n", 100_000 + i));
    }
    send(
        "POST",
        format!("/api/campaigns/{id}/contacts"),
        Some((csv, "text/csv")),
        false,
    )
    .await;
    send("POST", format!("/api/campaigns/{id}/start"), None, false).await;

    println!("{rounds} rounds per route, in process (router + embedded adapters), milliseconds");
    println!("{:<48} {:>8} {:>8}", "route", "median", "p95");
    let cases: Vec<(&str, &str, MakeRequest)> = vec![
        (
            "GET /health",
            "GET",
            Box::new(|_| ("/health".into(), None, false)),
        ),
        (
            "GET /api/campaigns",
            "GET",
            Box::new(|_| ("/api/campaigns".into(), None, false)),
        ),
        (
            "GET /api/campaigns/{id}",
            "GET",
            Box::new(move |_| (format!("/api/campaigns/{id}"), None, false)),
        ),
        (
            "POST /api/campaigns",
            "POST",
            Box::new(move |_| {
                (
                    "/api/campaigns".into(),
                    Some((create.clone(), "application/json")),
                    false,
                )
            }),
        ),
        (
            "GET /api/campaigns/{id}/contacts?limit=50",
            "GET",
            Box::new(move |_| {
                (
                    format!("/api/campaigns/{id}/contacts?limit=50"),
                    None,
                    false,
                )
            }),
        ),
        (
            "GET /api/campaigns/{id}/metrics",
            "GET",
            Box::new(move |_| (format!("/api/campaigns/{id}/metrics"), None, false)),
        ),
        (
            "POST /api/v1/initiate-call/",
            "POST",
            Box::new(move |i| {
                ("/api/v1/initiate-call/".into(), Some((json!({"phone_number": format!("+97250{:07}", 2_300_000 + i), "campaign_id": id}).to_string(), "application/json")), true)
            }),
        ),
    ];
    for (name, method, make) in cases {
        let mut times = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let (path, body, v1) = make(i);
            let t = Instant::now();
            let status = send(method, path, body, v1).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(status.is_success(), "{name}: {status}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<48} {:>8.3} {:>8.3}",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
}
