//! `campaign serve` as the operator console's server, over real HTTP on a
//! loopback port: the built app from a directory (files with their types,
//! client routes → index.html, the API's 404s left alone), `/config.json`,
//! the development sign-in, audio playback links, and the page shown when
//! the console is not built.

use std::net::SocketAddr;
use std::path::Path;

use campaign_cli::serve::{ServeOptions, build};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request on a fresh connection; `Host` is the server's
/// address unless `headers` name another.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut body = out[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply { status, head, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
    out
}

const INDEX: &str = "<!doctype html><html><head><title>Console</title><script type=\"module\" src=\"/assets/index-abc123.js\"></script></head><body><div id=\"root\"></div></body></html>";
const SCRIPT: &str = "console.log('console');";

async fn serve(web_dir: &Path) -> SocketAddr {
    let server = build(ServeOptions {
        addr: "127.0.0.1:0".into(),
        seed: 7,
        dispatch_interval_secs: 1,
        call_manager_token: None,
        jwt_key: vec![6u8; 32],
        web_dir: web_dir.to_path_buf(),
    })
    .await
    .expect("server");
    let addr = server.addr;
    tokio::spawn(server.run());
    addr
}

fn built_console() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("index.html"), INDEX).expect("index");
    std::fs::create_dir(dir.path().join("assets")).expect("assets");
    std::fs::write(dir.path().join("assets/index-abc123.js"), SCRIPT).expect("script");
    std::fs::write(dir.path().join("favicon.svg"), "<svg/>").expect("icon");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_console_is_served_with_its_routes_falling_back_to_index_html() {
    // GIVEN a built console
    let dir = built_console();
    let addr = serve(dir.path()).await;

    // THEN its files come with their types
    let r = http(addr, "GET", "/assets/index-abc123.js", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(r.text(), SCRIPT);
    assert!(
        r.header("cache-control")
            .unwrap_or_default()
            .contains("immutable")
    );
    let r = http(addr, "GET", "/favicon.svg", &[], b"").await;
    assert_eq!(r.header("content-type").as_deref(), Some("image/svg+xml"));
    // and / and any client route are the app
    for path in ["/", "/campaigns/cmp-000001", "/reports?from=2026-03-01"] {
        let r = http(addr, "GET", path, &[], b"").await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(r.text(), INDEX, "{path}");
        assert_eq!(r.header("cache-control").as_deref(), Some("no-cache"));
    }
    // but a missing asset is no page, and the API's paths stay the API's
    let r = http(addr, "GET", "/assets/gone-0000.js", &[], b"").await;
    assert_eq!(r.status, 404);
    let r = http(addr, "GET", "/api/unknown", &[], b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let r = http(addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.json(), json!({"status": "ok"}));
    // nothing outside the directory is reachable
    let r = http(addr, "GET", "/..%2f..%2fetc%2fpasswd", &[], b"").await;
    assert_ne!(
        r.text(),
        std::fs::read_to_string("/etc/passwd").unwrap_or_default()
    );
    assert!(r.status == 404 || r.text() == INDEX, "{}", r.status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_json_and_the_development_sign_in_give_a_working_token() {
    let dir = built_console();
    let addr = serve(dir.path()).await;
    let r = http(addr, "GET", "/config.json", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"auth": {"mode": "dev"}}));

    let ct = ("Content-Type", "application/json");
    // WHEN the console signs in as an analyst
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[ct],
        br#"{"role": "analyst"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().unwrap_or_default().to_owned();
    assert!(r.json()["expires_at"].is_string());
    // THEN the token works on a protected route, with the analyst's rights
    let bearer = format!("Bearer {token}");
    let auth = ("Authorization", bearer.as_str());
    let r = http(addr, "GET", "/api/me", &[auth], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["role"], "analyst");
    assert_eq!(r.json()["can"]["manage_campaigns"], false);
    let r = http(addr, "GET", "/api/metrics", &[auth], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = http(addr, "GET", "/api/campaigns", &[auth], b"").await;
    assert_eq!(r.status, 403);

    // A manager's token manages campaigns.
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[ct],
        br#"{"role": "campaign-manager"}"#,
    )
    .await;
    let bearer = format!("Bearer {}", r.json()["token"].as_str().unwrap_or_default());
    let r = http(
        addr,
        "GET",
        "/api/campaigns",
        &[("Authorization", bearer.as_str())],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // An unknown role is 422; a foreign Host (DNS rebinding) is 403.
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[ct],
        br#"{"role": "owner"}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[ct, ("Host", "console.evil.example:8080")],
        br#"{"role": "administrator"}"#,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "forbidden");
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[("Content-Type", "text/plain")],
        br#"{"role": "analyst"}"#,
    )
    .await;
    assert_eq!(r.status, 415, "a cross-site form cannot sign in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_audio_file_plays_from_its_play_url() {
    let dir = built_console();
    let addr = serve(dir.path()).await;
    let ct = ("Content-Type", "application/json");
    let r = http(
        addr,
        "POST",
        "/local/sign-in",
        &[ct],
        br#"{"role": "campaign-manager"}"#,
    )
    .await;
    let bearer = format!("Bearer {}", r.json()["token"].as_str().unwrap_or_default());
    let auth = ("Authorization", bearer.as_str());
    // GIVEN an audio file uploaded through its presigned link
    let sound = vec![0xffu8, 0xfb, 0x90, 0x44, 0x00];
    let r = http(
        addr,
        "POST",
        "/api/audio/uploads",
        &[auth, ct],
        json!({"file_name": "hello.mp3", "content_type": "audio/mpeg", "size_bytes": sound.len()})
            .to_string()
            .as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let upload = r.json()["upload_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = upload
        .split_once(&addr.to_string())
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();
    let r = http(
        addr,
        "PUT",
        &path,
        &[("Content-Type", "audio/mpeg")],
        &sound,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // WHEN the files are listed
    let r = http(addr, "GET", "/api/audio", &[auth], b"").await;
    let play = r.json()["items"][0]["play_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // THEN the play_url serves the bytes with their type, without a token
    let path = play
        .split_once(&addr.to_string())
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();
    let r = http(addr, "GET", &path, &[], b"").await;
    assert_eq!(r.status, 200, "{play}");
    assert_eq!(r.header("content-type").as_deref(), Some("audio/mpeg"));
    assert_eq!(r.body, sound);
    // and a tampered link does not
    let r = http(
        addr,
        "GET",
        &path.replace("signature=", "signature=0"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_build_the_root_says_how_to_make_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = serve(dir.path()).await;
    let r = http(addr, "GET", "/", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(
        r.text()
            .contains("npm --prefix web ci &amp;&amp; npm --prefix web run build")
            || r.text()
                .contains("npm --prefix web ci && npm --prefix web run build"),
        "{}",
        r.text()
    );
    let r = http(addr, "GET", "/api/me", &[], b"").await;
    assert_eq!(r.status, 401, "the API is there all the same");
}
