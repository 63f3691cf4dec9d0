//! What `campaign serve` adds for the operator console (`web/`): the built
//! app itself from a directory (`web/dist`), `GET /config.json` (development
//! sign-in), `POST /local/sign-in` (a development token for a role, from the
//! loopback only) and the help page shown when the console is not built.
//!
//! Paths: `/api/…`, `/local…`, `/health`, `/openapi.json` and `/config.json`
//! belong to the server; any other `GET` is a file of the app when one
//! exists, else `index.html` (the app routes in the browser). A missing
//! `/assets/…` file is a 404: the browser asked for a script or a style
//! sheet, and HTML in its place would only hide the mistake.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use campaign_api::ApiError;
use campaign_api::auth::{DevJwt, Role};
use campaign_api::extract::ApiJson;
use campaign_core::clock::Clock;

/// The environment variable naming the console's directory.
pub const WEB_DIR_ENV: &str = "CAMPAIGN_WEB_DIR";

/// How the console is built (shown when it is not).
pub const BUILD_HINT: &str = "npm --prefix web ci && npm --prefix web run build";

/// How long a `/local/sign-in` token lasts.
pub const SIGN_IN_TTL_HOURS: i64 = 12;

/// The console's directory: `--web DIR`, else `CAMPAIGN_WEB_DIR`, else the
/// repository's `web/dist` (from this crate's source directory at compile
/// time, when it exists), else `web/dist` under the current directory.
pub fn web_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = flag {
        return dir;
    }
    if let Some(dir) = std::env::var_os(WEB_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if repo.is_dir() {
        return repo;
    }
    PathBuf::from("web/dist")
}

/// Whether a path belongs to the server rather than the console.
pub fn is_server_path(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/local")
        || path == "/health"
        || path == "/openapi.json"
        || path == "/config.json"
}

/// The content type of a file by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

/// `%XX` escapes decoded; None when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `root` a URL path names, refusing anything that would
/// leave it (`..`, absolute parts, NUL).
pub fn file_under(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let relative = Path::new(decoded.trim_start_matches('/'));
    let mut out = root.to_path_buf();
    for part in relative.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn with_type(
    status: StatusCode,
    content_type: &'static str,
    cache: &'static str,
    body: Vec<u8>,
) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The page `/` shows when the console is not built.
pub fn not_built_page(dir: &Path) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Console not built</title></head>\n\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">\n\
         <h1>The console is not built</h1>\n\
         <p>This server runs the API (<a href=\"/openapi.json\">/openapi.json</a>, \
         <a href=\"/health\">/health</a>), but found no <code>index.html</code> in <code>{}</code>.</p>\n\
         <p>Build the console from the repository root, then reload this page:</p>\n\
         <pre>{BUILD_HINT}</pre>\n\
         <p>or point the server at a built copy: <code>campaign serve --web DIR</code> \
         (or <code>{WEB_DIR_ENV}=DIR</code>).</p>\n</body></html>\n",
        html_escape(&dir.display().to_string())
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Serves the console's files in front of the API: a layer that answers
/// console paths itself and passes server paths on.
pub async fn static_files(
    State(root): State<Arc<PathBuf>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    if is_server_path(&path) || (method != Method::GET && method != Method::HEAD) {
        return next.run(request).await;
    }
    serve_path(&root, &path).await
}

async fn serve_path(root: &Path, path: &str) -> Response {
    let Some(file) = file_under(root, path) else {
        return with_type(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no-cache",
            b"not found\n".to_vec(),
        );
    };
    if path != "/"
        && let Ok(bytes) = tokio::fs::read(&file).await
    {
        // Vite names assets by their content hash: they never change.
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return with_type(StatusCode::OK, content_type(&file), cache, bytes);
    }
    if path.starts_with("/assets/") {
        return with_type(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no-cache",
            b"no such asset\n".to_vec(),
        );
    }
    match tokio::fs::read(root.join("index.html")).await {
        Ok(bytes) => with_type(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "no-cache",
            bytes,
        ),
        Err(_) => with_type(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "no-cache",
            not_built_page(root).into_bytes(),
        ),
    }
}

/// `GET /config.json`: the console signs in with development tokens here.
pub async fn config_json() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "auth": { "mode": "dev" } }))
}

/// What `/local/sign-in` needs: the signing key and the clock.
#[derive(Clone)]
pub struct SignIn {
    pub jwt: Arc<DevJwt>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// `administrator`, `campaign-manager` or `analyst`.
    pub role: String,
}

#[derive(Debug, Serialize)]
pub struct SignInResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Whether a `Host` header names the loopback (`localhost`, `127.0.0.1`,
/// `[::1]`, with any port): a page on another site whose name was pointed
/// at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
pub fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `POST /local/sign-in` `{"role": "analyst"}`: the token `campaign token
/// --role analyst` would print. Development only: from a loopback peer
/// with a loopback `Host`, else 403.
pub async fn sign_in(
    State(s): State<SignIn>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SignInResponse>, ApiError> {
    let from_loopback = peer.is_some_and(|Extension(ConnectInfo(a))| a.ip().is_loopback());
    if !from_loopback || !loopback_host(&headers) {
        return Err(ApiError::forbidden(
            "development sign-in is offered on the loopback address only",
        ));
    }
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::validation(&[format!(
            "role: one of administrator, campaign-manager, analyst (not {:?})",
            req.role
        )])
    })?;
    let now = s.clock.now();
    let ttl = Duration::hours(SIGN_IN_TTL_HOURS);
    Ok(Json(SignInResponse {
        token: s.jwt.issue(role, now, ttl),
        expires_at: now + ttl,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_root_are_refused() {
        let root = Path::new("/srv/web");
        assert_eq!(
            file_under(root, "/assets/a.js"),
            Some(root.join("assets/a.js"))
        );
        assert_eq!(file_under(root, "/a%20b.css"), Some(root.join("a b.css")));
        for bad in [
            "/../etc/passwd",
            "/assets/%2e%2e/%2e%2e/x",
            "/a%00b",
            "/a\\..\\b",
        ] {
            assert_eq!(file_under(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn server_paths_are_left_to_the_api() {
        for p in [
            "/api",
            "/api/unknown",
            "/local/sign-in",
            "/local-uploads/x",
            "/health",
            "/openapi.json",
            "/config.json",
        ] {
            assert!(is_server_path(p), "{p}");
        }
        for p in [
            "/",
            "/campaigns/cmp-1",
            "/assets/index.js",
            "/apis",
            "/healthz",
        ] {
            assert!(!is_server_path(p), "{p}");
        }
    }

    #[test]
    fn only_loopback_host_names_pass() {
        let host = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).expect("header"));
            loopback_host(&m)
        };
        assert!(host("127.0.0.1:8080"));
        assert!(host("localhost:5173"));
        assert!(host("[::1]:8080"));
        assert!(!host("evil.example:8080"));
        assert!(!host("127.0.0.1.evil.example"));
        assert!(!loopback_host(&HeaderMap::new()));
    }
}
