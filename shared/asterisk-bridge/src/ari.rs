//! The ARI client: the few REST operations the bridge uses (as named in the
//! Swagger files of `reference/asterisk-ari/`), over plain HTTP/1.1 to
//! Asterisk on the loopback interface, with HTTP basic authentication.
//!
//! | operation (nickname) | request |
//! |---|---|
//! | channels `originateWithId` | `POST /channels/{channelId}?endpoint&app&appArgs&callerId&timeout` (or `context&extension&priority` for the AMD dialplan), body `{"variables": {...}}` |
//! | channels `get` | `GET /channels/{channelId}` |
//! | channels `hangup` | `DELETE /channels/{channelId}?reason=normal` |
//! | channels `playWithId` | `POST /channels/{channelId}/play/{playbackId}?media` |
//! | playbacks `get` / `stop` | `GET` / `DELETE /playbacks/{playbackId}` |
//! | applications `subscribe` | `POST /applications/{app}/subscription?eventSource=channel:{id}` |
//! | asterisk `ping` | `GET /asterisk/ping` |

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Why an ARI request failed.
#[derive(Debug, thiserror::Error)]
pub enum AriError {
    /// 404: the channel or playback does not exist (any more).
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: e.g. a channel with this id exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 400 / 422 / other 4xx: the request itself is wrong.
    #[error("rejected ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// No connection, or a 5xx: Asterisk is down or busy, and the request
    /// was certainly not carried out.
    #[error("ARI unavailable: {0}")]
    Unavailable(String),
    /// The request was sent but no answer came (timed out, or the
    /// connection broke): Asterisk may or may not have carried it out.
    #[error("ARI result unknown: {0}")]
    Indeterminate(String),
}

/// Where ARI is and how to log in.
#[derive(Clone)]
pub struct AriEndpoint {
    /// e.g. `http://127.0.0.1:8088/ari` (no trailing slash).
    pub base_url: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for AriEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AriEndpoint")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl AriEndpoint {
    pub fn authorization(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// The websocket URL of the event stream for `app`.
    pub fn events_url(&self, app: &str) -> String {
        let base = self
            .base_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}/events?app={}", encode(app))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where an originated channel goes once answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Straight into the Stasis app with these arguments.
    App { app: String, args: String },
    /// Into a dialplan context (which runs `AMD()` and then `Stasis()`).
    Dialplan { context: String, extension: String },
}

/// One originate request.
#[derive(Debug, Clone, PartialEq)]
pub struct Originate {
    pub channel_id: String,
    pub endpoint: String,
    pub destination: Destination,
    pub caller_id: Option<String>,
    pub timeout_secs: u32,
    pub variables: serde_json::Map<String, Value>,
}

/// The ARI REST client (cheap to clone).
#[derive(Clone)]
pub struct AriClient {
    endpoint: AriEndpoint,
    auth: String,
    http: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for AriClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AriClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl AriClient {
    pub fn new(endpoint: AriEndpoint) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Self {
            auth: endpoint.authorization(),
            endpoint,
            http,
            timeout: Duration::from_secs(5),
        }
    }

    /// The same client with another time limit per request (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn endpoint(&self) -> &AriEndpoint {
        &self.endpoint
    }

    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Value>,
    ) -> Result<Value, AriError> {
        let uri: Uri = format!("{}{}", self.endpoint.base_url, path_and_query)
            .parse()
            .map_err(|e| AriError::Rejected {
                status: 0,
                message: format!("bad URI {path_and_query}: {e}"),
            })?;
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::AUTHORIZATION, &self.auth);
        let bytes = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(bytes)).map_err(|e| AriError::Rejected {
            status: 0,
            message: e.to_string(),
        })?;
        let what = format!("{method} {path_and_query}");
        // Only a failed connection proves the request never reached
        // Asterisk; a time-out or a broken connection leaves it unknown.
        let res = tokio::time::timeout(self.timeout, self.http.request(req))
            .await
            .map_err(|_| AriError::Indeterminate(format!("{what}: timed out")))?
            .map_err(|e| {
                if e.is_connect() {
                    AriError::Unavailable(format!("{what}: {e}"))
                } else {
                    AriError::Indeterminate(format!("{what}: {e}"))
                }
            })?;
        let status = res.status();
        let body = tokio::time::timeout(self.timeout, res.into_body().collect())
            .await
            .map_err(|_| AriError::Indeterminate(format!("{what}: body timed out")))?
            .map_err(|e| AriError::Indeterminate(format!("{what}: {e}")))?
            .to_bytes();
        let text = String::from_utf8_lossy(&body).into_owned();
        match status {
            s if s.is_success() => Ok(if body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&body).unwrap_or(Value::String(text))
            }),
            StatusCode::NOT_FOUND => Err(AriError::NotFound(format!("{what}: {text}"))),
            StatusCode::CONFLICT => Err(AriError::Conflict(format!("{what}: {text}"))),
            s if s.is_server_error() => Err(AriError::Unavailable(format!("{what}: {s} {text}"))),
            s => Err(AriError::Rejected {
                status: s.as_u16(),
                message: format!("{what}: {text}"),
            }),
        }
    }

    /// `originateWithId`: the channel id is chosen by the caller, so a
    /// repeat of the same id is refused by Asterisk (409) instead of dialling.
    pub async fn originate(&self, o: &Originate) -> Result<Value, AriError> {
        let mut q = format!("?endpoint={}", encode(&o.endpoint));
        match &o.destination {
            Destination::App { app, args } => {
                q.push_str(&format!("&app={}&appArgs={}", encode(app), encode(args)));
            }
            Destination::Dialplan { context, extension } => {
                q.push_str(&format!(
                    "&context={}&extension={}&priority=1",
                    encode(context),
                    encode(extension)
                ));
            }
        }
        if let Some(cid) = &o.caller_id {
            q.push_str(&format!("&callerId={}", encode(cid)));
        }
        q.push_str(&format!("&timeout={}", o.timeout_secs.max(1)));
        let body = serde_json::json!({ "variables": o.variables });
        self.call(
            Method::POST,
            &format!("/channels/{}{q}", encode(&o.channel_id)),
            Some(body),
        )
        .await
    }

    pub async fn get_channel(&self, channel_id: &str) -> Result<Value, AriError> {
        self.call(
            Method::GET,
            &format!("/channels/{}", encode(channel_id)),
            None,
        )
        .await
    }

    /// Hangs up with `normal` clearing; a channel already gone is not an error.
    pub async fn hang_up(&self, channel_id: &str) -> Result<(), AriError> {
        match self
            .call(
                Method::DELETE,
                &format!("/channels/{}?reason=normal", encode(channel_id)),
                None,
            )
            .await
        {
            Ok(_) | Err(AriError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn play(
        &self,
        channel_id: &str,
        playback_id: &str,
        media: &str,
    ) -> Result<(), AriError> {
        self.call(
            Method::POST,
            &format!(
                "/channels/{}/play/{}?media={}",
                encode(channel_id),
                encode(playback_id),
                encode(media)
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn get_playback(&self, playback_id: &str) -> Result<Value, AriError> {
        self.call(
            Method::GET,
            &format!("/playbacks/{}", encode(playback_id)),
            None,
        )
        .await
    }

    /// Stops a playback; one already finished is not an error.
    pub async fn stop_playback(&self, playback_id: &str) -> Result<(), AriError> {
        match self
            .call(
                Method::DELETE,
                &format!("/playbacks/{}", encode(playback_id)),
                None,
            )
            .await
        {
            Ok(_) | Err(AriError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Subscribes `app` to a channel's events (needed when the channel was
    /// originated into the dialplan rather than into the app).
    pub async fn subscribe_channel(&self, app: &str, channel_id: &str) -> Result<(), AriError> {
        self.call(
            Method::POST,
            &format!(
                "/applications/{}/subscription?eventSource={}",
                encode(app),
                encode(&format!("channel:{channel_id}"))
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn ping(&self) -> Result<(), AriError> {
        self.call(Method::GET, "/asterisk/ping", None)
            .await
            .map(|_| ())
    }
}
