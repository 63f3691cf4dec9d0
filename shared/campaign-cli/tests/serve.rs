//! `campaign serve` end to end over real HTTP on a loopback port: a
//! development token is accepted, a campaign created and started with plain
//! requests starts dialling in real time, and the v1 API takes its token.

use std::time::{Duration, Instant};

use campaign_api::auth::{DevJwt, Role};
use campaign_cli::serve::{ServeOptions, build};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request on a fresh connection; (status, body).
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_driven_over_http_starts_dialling_in_real_time() {
    let key = vec![4u8; 32];
    let server = build(ServeOptions {
        addr: "127.0.0.1:0".into(),
        seed: 7,
        dispatch_interval_secs: 1,
        call_manager_token: Some("serve-test-token".into()),
        jwt_key: key.clone(),
        web_dir: "/nonexistent/web/dist".into(),
    })
    .await
    .expect("server");
    let addr = server.addr;
    tokio::spawn(server.run());

    let (status, body) = http(addr, "GET", "/health", &[], "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, _) = http(addr, "GET", "/api/campaigns", &[], "").await;
    assert_eq!(status, 401);

    let token = DevJwt::new(key).issue(
        Role::CampaignManager,
        chrono::Utc::now(),
        chrono::Duration::hours(1),
    );
    let bearer = format!("Bearer {token}");
    let auth = ("Authorization", bearer.as_str());
    let json_ct = ("Content-Type", "application/json");
    let campaign = json!({"name": "Serve test", "kind": "voice", "settings": {
        "audio": "sound:x", "schedule": {"timezone": "Asia/Jerusalem", "windows": []},
        "pace": {"calls_per_second": 5, "max_concurrent": 5}}});
    let (status, body) = http(
        addr,
        "POST",
        "/api/campaigns",
        &[auth, json_ct],
        &campaign.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).expect("json")["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let csv = "phone\n0502345671\n0502345672\n0502345673\n";
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/campaigns/{id}/contacts"),
        &[auth, ("Content-Type", "text/csv")],
        csv,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/campaigns/{id}/start"),
        &[auth],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = http(
            addr,
            "GET",
            &format!("/api/campaigns/{id}/metrics"),
            &[auth],
            "",
        )
        .await;
        let m: Value = serde_json::from_str(&body).expect("metrics");
        if m["contacts"]["pending"] == 0 && m["live"]["active_calls"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "nothing dialled: {m}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let v1 = json!({"phone_number": "+972502345678", "campaign_id": id}).to_string();
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/initiate-call/",
        &[("X-Auth-Token", "serve-test-token"), json_ct],
        &v1,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/initiate-call/",
        &[("X-Auth-Token", "nope"), json_ct],
        &v1,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_put_to_a_presigned_link_is_imported_without_calling_run() {
    let key = vec![5u8; 32];
    let server = build(ServeOptions {
        addr: "127.0.0.1:0".into(),
        seed: 7,
        dispatch_interval_secs: 1,
        call_manager_token: None,
        jwt_key: key.clone(),
        web_dir: "/nonexistent/web/dist".into(),
    })
    .await
    .expect("server");
    let addr = server.addr;
    tokio::spawn(server.run());
    let token = DevJwt::new(key).issue(
        Role::CampaignManager,
        chrono::Utc::now(),
        chrono::Duration::hours(1),
    );
    let bearer = format!("Bearer {token}");
    let auth = ("Authorization", bearer.as_str());
    let json_ct = ("Content-Type", "application/json");
    let campaign = json!({"name": "Big list", "kind": "voice", "settings": {
        "audio": "sound:x", "schedule": {"timezone": "Asia/Jerusalem", "windows": []},
        "pace": {"calls_per_second": 5, "max_concurrent": 5}}});
    let (status, body) = http(
        addr,
        "POST",
        "/api/campaigns",
        &[auth, json_ct],
        &campaign.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).expect("json")["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // GIVEN an upload link
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/campaigns/{id}/contact-uploads"),
        &[auth, json_ct],
        &json!({"file_name": "big.csv", "content_type": "text/csv"}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let link: Value = serde_json::from_str(&body).expect("json");
    let import_id = link["import_id"].as_str().unwrap_or_default().to_owned();
    let url = link["upload_url"].as_str().unwrap_or_default();
    let path = url
        .strip_prefix(&format!("http://{addr}"))
        .expect("a link to this server");
    // WHEN a file of 5,000 rows (one bad, row 3) is PUT there
    let mut csv = String::from("phone,first_name\n0502000000,A\nnot-a-phone,B\n");
    for i in 1..5000 {
        csv.push_str(&format!("0502{i:06},Friend\n"));
    }
    let (status, body) = http(addr, "PUT", path, &[("Content-Type", "text/csv")], &csv).await;
    assert_eq!(status, 200, "{body}");
    // THEN polling the import sees it completed, with nobody calling run
    let deadline = Instant::now() + Duration::from_secs(20);
    let record = loop {
        let (status, body) = http(
            addr,
            "GET",
            &format!("/api/campaigns/{id}/imports/{import_id}"),
            &[auth],
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let r: Value = serde_json::from_str(&body).expect("record");
        if r["status"] == "completed" || r["status"] == "failed" {
            break r;
        }
        assert!(
            r["status"] == "awaiting_upload" || r["status"] == "importing",
            "{r}"
        );
        assert!(Instant::now() < deadline, "never finished: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["stored"], 5000);
    assert_eq!(record["errors"][0]["row"], 3);
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/campaigns/{id}/imports/{import_id}/run"),
        &[auth],
        "",
    )
    .await;
    assert_eq!(status, 409, "{body}");
}
