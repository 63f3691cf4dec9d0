//! The routes the operator console needs: who am I, the metrics streams,
//! the IVR-flow and retry-rule checks, a campaign's reports, and audio
//! playback links.

mod common;

use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use campaign_api::ApiConfig;
use campaign_api::auth::Role;
use campaign_core::ivr::IvrFlow;
use campaign_core::ports::ObjectStore;
use common::{Harness, contacts_csv};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

// ---------------------------------------------------------------- /api/me

#[tokio::test]
async fn me_names_the_caller_and_what_each_role_may_do() {
    let h = Harness::new();
    for (role, manage, blacklist) in [
        (Role::Administrator, true, true),
        (Role::CampaignManager, true, false),
        (Role::Analyst, false, false),
    ] {
        // GIVEN a token of the role WHEN it asks who it is
        let r = h.call("GET", "/api/me", Some(&h.token(role)), None).await;
        // THEN it gets its subject, role and capabilities
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({
                "subject": format!("dev-{}", role.as_str()),
                "role": role.as_str(),
                "can": {"manage_campaigns": manage, "administer_blacklist": blacklist},
            })
        );
    }
    let r = h.call("GET", "/api/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------- validation routes

#[tokio::test]
async fn a_valid_ivr_flow_passes_and_a_broken_one_lists_every_problem() {
    let h = Harness::new();
    let manager = h.token(Role::CampaignManager);
    // GIVEN the standard flow
    let flow = serde_json::to_value(IvrFlow::standard("sound:hello")).expect("flow json");
    let r = h
        .call(
            "POST",
            "/api/ivr-flows/validate",
            Some(&manager),
            Some(flow),
        )
        .await;
    // THEN it is valid
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({"valid": true}));

    // GIVEN a flow whose start is a message leading nowhere, with no opt-out
    let broken = json!({
        "startNodeId": "message",
        "nodes": [
            {"id": "message", "type": "play_audio", "audioUrl": "sound:x", "nextNodeId": "missing"},
            {"id": "orphan", "type": "play_audio", "audioUrl": "sound:y"}
        ]
    });
    let r = h
        .call(
            "POST",
            "/api/ivr-flows/validate",
            Some(&manager),
            Some(broken),
        )
        .await;
    // THEN 422 with each problem, by node
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.code(), "validation_failed");
    let fields = r.json()["error"]["details"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let nodes: Vec<&str> = fields.iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(nodes.contains(&"message"), "dangling next: {fields:?}");
    assert!(nodes.contains(&"orphan"), "unreachable node: {fields:?}");
    assert!(nodes.contains(&"flow"), "no opt-out: {fields:?}");
    assert!(fields.len() >= 3);

    // A body that is not a flow fails with the JSON path.
    let r = h
        .call(
            "POST",
            "/api/ivr-flows/validate",
            Some(&manager),
            Some(json!({"startNodeId": 3, "nodes": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"]["fields"][0]["field"],
        "startNodeId"
    );
}

#[tokio::test]
async fn retry_rules_parse_or_name_each_bad_rule() {
    let h = Harness::new();
    let manager = h.token(Role::CampaignManager);
    let good = "# Saturday mornings\n- day_of_week: \"saturday\"\n  start_time: \"10:00:00\"\n  end_time: \"12:00:00\"\n  retry_interval_minutes: 60\n";
    let r = h
        .call(
            "POST",
            "/api/retry-rules/validate",
            Some(&manager),
            Some(json!({"yaml": good})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"rules": [{"day_of_week": "saturday", "start_time": "10:00:00", "end_time": "12:00:00", "retry_interval_minutes": 60}]})
    );

    // GIVEN rules 1 and 2 wrong (a made-up day, an empty window)
    let bad = format!(
        "{good}- {{day_of_week: funday, start_time: '10:00', end_time: '11:00', retry_interval_minutes: 5}}\n- {{day_of_week: sun, start_time: '11:00', end_time: '10:00', retry_interval_minutes: 5}}\n"
    );
    let r = h
        .call(
            "POST",
            "/api/retry-rules/validate",
            Some(&manager),
            Some(json!({"yaml": bad})),
        )
        .await;
    // THEN 422 names both, by index
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.code(), "validation_failed");
    let fields = r.json()["error"]["details"]["fields"].clone();
    assert_eq!(fields[0]["rule"], 1);
    assert_eq!(fields[1]["rule"], 2);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("rule 1:") && message.contains("rule 2:"),
        "{message}"
    );

    // Not YAML at all: one problem without an index.
    let r = h
        .call(
            "POST",
            "/api/retry-rules/validate",
            Some(&manager),
            Some(json!({"yaml": "- [1, 2"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"]["fields"][0]["rule"],
        Value::Null
    );
}

#[tokio::test]
async fn analysts_may_not_use_the_validation_routes() {
    let h = Harness::new();
    let analyst = h.token(Role::Analyst);
    for path in ["/api/ivr-flows/validate", "/api/retry-rules/validate"] {
        let r = h
            .call("POST", path, Some(&analyst), Some(json!({"yaml": ""})))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.code(), "forbidden");
    }
}

// ---------------------------------------------------------------- reports list

#[tokio::test]
async fn a_campaigns_reports_are_listed_newest_first_with_their_counts() {
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(3)).await;
    h.run_for(600).await;
    let t = h.token(Role::Analyst);
    // GIVEN a CSV report, then a PDF one a minute later
    let mut made = Vec::new();
    for format in ["csv", "pdf"] {
        let r = h
            .call(
                "POST",
                &format!("/api/campaigns/{id}/reports"),
                Some(&t),
                Some(json!({"format": format})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        made.push(
            r.json()["report_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        h.local.clock.advance(chrono::Duration::minutes(1));
    }
    // and one written by the scheduled report generator (no audit record)
    h.local
        .objects
        .put(
            &format!("reports/{id}/20260101T000000Z.xlsx"),
            b"PK".to_vec(),
            "application/octet-stream",
        )
        .await
        .expect("put");
    // WHEN the reports are listed
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/reports"),
            Some(&t),
            None,
        )
        .await;
    // THEN newest first, with links and (for API-made ones) counts
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let items = r.json()["items"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|i| i["report_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![made[1].as_str(), made[0].as_str(), "20260101T000000Z.xlsx"]
    );
    assert_eq!(items[0]["format"], "pdf");
    assert_eq!(items[0]["status"], "ready");
    assert!(
        items[0]["counts"]["attempts"].as_u64().unwrap_or(0) >= 3,
        "{}",
        items[0]
    );
    assert!(items[2].get("counts").is_none());
    assert_eq!(items[2]["created_at"], "2026-01-01T00:00:00Z");
    let download = items[0]["download_path"].as_str().unwrap_or_default();
    let file = h.call("GET", download, Some(&t), None).await;
    assert!(file.bytes.starts_with(b"%PDF"));

    // A date range keeps only the reports made within it.
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/reports?from=2026-01-01&to=2026-01-01"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/reports?from=2026-03-03&to=2026-03-01"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .call("GET", "/api/campaigns/cmp-missing/reports", Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------- audio playback

#[tokio::test]
async fn every_audio_file_has_a_link_to_play_it() {
    let h = Harness::new();
    // GIVEN an uploaded audio file
    h.files
        .put(
            "audio/aud-1-hello.mp3",
            vec![0xff, 0xfb, 0x90],
            "audio/mpeg",
        )
        .await
        .expect("put");
    // WHEN the files are listed
    let t = h.token(Role::CampaignManager);
    let r = h.call("GET", "/api/audio", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let item = r.json()["items"][0].clone();
    // THEN its play_url is a signed read link for that key
    let url = item["play_url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.starts_with("http://test/local-uploads/audio/aud-1-hello.mp3?expires="),
        "{url}"
    );
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let field = |name: &str| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    };
    let expires: i64 = field("expires").parse().unwrap_or(0);
    assert!(
        h.uploads
            .verify_get("audio/aud-1-hello.mp3", expires, &field("signature"))
    );
}

// ---------------------------------------------------------------- streams

/// The harness with a fast stream.
fn streaming_harness() -> Harness {
    Harness::with_config(ApiConfig {
        stream_interval: StdDuration::from_millis(50),
        ..ApiConfig::default()
    })
}

/// Reads a body's events (`event:` name, `data:` text) until `want` have
/// arrived (each within 5 s).
struct Events {
    body: Body,
    buffer: String,
}

impl Events {
    async fn open(h: &Harness, path: &str, token: &str) -> (StatusCode, String, Events) {
        let request = Request::builder()
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap_or_default();
        let response = h
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let ct = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            response.status(),
            ct,
            Events {
                body: response.into_body(),
                buffer: String::new(),
            },
        )
    }

    /// The next `event: NAME` with its data.
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some((block, rest)) = self.buffer.split_once("\n\n") {
                let block = block.to_owned();
                self.buffer = rest.to_owned();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if !name.is_empty() {
                    return (name, data);
                }
                continue;
            }
            let frame = tokio::time::timeout(StdDuration::from_secs(5), self.body.frame())
                .await
                .expect("an event within 5 s")
                .expect("the stream is open")
                .expect("a frame");
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}

#[tokio::test]
async fn a_campaign_stream_starts_with_the_metrics_json_and_pushes_changes() {
    let h = streaming_harness();
    let id = h.running_campaign(&contacts_csv(6)).await;
    let analyst = h.token(Role::Analyst);
    let plain = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics"),
            Some(&analyst),
            None,
        )
        .await;
    // WHEN an analyst opens the stream
    let (status, ct, mut events) =
        Events::open(&h, &format!("/api/campaigns/{id}/metrics/stream"), &analyst).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/event-stream");
    // THEN the first event is exactly the plain route's JSON
    let (name, data) = events.next().await;
    assert_eq!(name, "metrics");
    assert_eq!(
        data.as_bytes(),
        &plain.bytes[..],
        "the same bytes as GET .../metrics"
    );
    let first: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(first["live"]["counts"]["attempts"], 0);
    assert!(first["alerts"].is_array());
    // WHEN the pipeline places calls
    h.run_for(600).await;
    // THEN a later event carries the new counts
    let mut pushed = false;
    for _ in 0..20 {
        let (name, data) = events.next().await;
        assert_eq!(name, "metrics");
        let v: Value = serde_json::from_str(&data).expect("json");
        if v["live"]["counts"]["attempts"].as_u64().unwrap_or(0) >= 6 {
            pushed = true;
            break;
        }
    }
    assert!(pushed, "the stream never showed the calls");
}

#[tokio::test]
async fn the_aggregate_stream_starts_with_the_aggregate_json() {
    let h = streaming_harness();
    let a = h.running_campaign(&contacts_csv(2)).await;
    let t = h.token(Role::CampaignManager);
    let path = format!("/api/metrics?campaign_ids={a}");
    let plain = h.call("GET", &path, Some(&t), None).await;
    assert_eq!(plain.status, StatusCode::OK);
    let (status, _, mut events) =
        Events::open(&h, &format!("/api/metrics/stream?campaign_ids={a}"), &t).await;
    assert_eq!(status, StatusCode::OK);
    let (name, data) = events.next().await;
    assert_eq!(name, "metrics");
    assert_eq!(data.as_bytes(), &plain.bytes[..]);
    // and keeps sending
    let (name, _) = events.next().await;
    assert_eq!(name, "metrics");
}

#[tokio::test]
async fn a_stream_of_an_unknown_campaign_is_a_plain_404() {
    let h = streaming_harness();
    let t = h.token(Role::Analyst);
    let r = h
        .call(
            "GET",
            "/api/campaigns/cmp-missing/metrics/stream",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = h
        .call(
            "GET",
            "/api/metrics/stream?campaign_ids=cmp-missing",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_streaming_the_stream_routes_answer_501_after_authentication() {
    // GIVEN a deployment that cannot stream (Lambda behind API Gateway)
    let h = Harness::with_config(ApiConfig {
        streaming: false,
        ..ApiConfig::default()
    });
    let id = h.create_campaign("No stream").await;
    let t = h.token(Role::Analyst);
    for path in [
        format!("/api/campaigns/{id}/metrics/stream"),
        "/api/metrics/stream".to_owned(),
    ] {
        // WHEN a reader opens a stream THEN 501 streaming_unavailable
        let r = h.call("GET", &path, Some(&t), None).await;
        assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED, "{path}");
        assert_eq!(r.code(), "streaming_unavailable");
        // and without a token it is still 401 first
        let r = h.call("GET", &path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The plain route still answers.
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}
