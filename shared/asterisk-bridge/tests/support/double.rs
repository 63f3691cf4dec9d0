//! `AriDouble`: a test double of Asterisk's ARI (HTTP + websocket) on
//! 127.0.0.1, for the scenarios we cannot run against a real Asterisk here.
//! Every request is checked against the Swagger files ([`Spec`]); one that
//! is not in them is answered 400 and recorded as a violation. Every event
//! it sends is checked against `events.json` the same way. The test plays
//! the far end: it rings, answers, presses keys, finishes playbacks, hangs
//! up with a Q.850 cause, or drops the websocket. Like Asterisk, events
//! emitted while no websocket is connected are lost.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::spec::{Spec, reference_dir};

pub const USER: &str = "bridge";
pub const PASSWORD: &str = "s3cret-for-tests";

/// One request as the double received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The Swagger nickname (`originateWithId`, `playWithId`...), if valid.
    pub operation: Option<String>,
    pub status: u16,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
struct Channel {
    state: String,
    app_args: Vec<String>,
    in_stasis: bool,
    vars: Value,
}

#[derive(Debug, Clone)]
struct Playback {
    channel: String,
    media: String,
}

#[derive(Default)]
struct State {
    channels: HashMap<String, Channel>,
    playbacks: HashMap<String, Playback>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
    sockets: Vec<mpsc::UnboundedSender<Option<String>>>,
    connections: usize,
    dropped_events: Vec<String>,
    /// How long originates are held before the answer (Asterisk busy).
    originate_delay: Option<Duration>,
}

pub struct AriDouble {
    pub url: String,
    pub app: String,
    spec: Arc<Spec>,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

const WAIT: Duration = Duration::from_secs(10);

fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f%z")
        .to_string()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn reply(status: StatusCode, body: Option<Value>) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    let bytes = match body {
        Some(v) => {
            r = r.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    r.body(Full::new(bytes)).expect("response")
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(status, Some(json!({ "message": message })))
}

impl AriDouble {
    pub async fn start(app: &str) -> AriDouble {
        let spec = Arc::new(Spec::load(&reference_dir()));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let double = AriDouble {
            url: format!("http://{addr}/ari"),
            app: app.to_owned(),
            spec,
            state: Arc::new(Mutex::new(State::default())),
            changed: Arc::new(Notify::new()),
        };
        let server = double.handle();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let server = server.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let server = server.clone();
                        async move { Ok::<_, Infallible>(server.serve(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        double
    }

    fn handle(&self) -> Server {
        Server {
            app: self.app.clone(),
            spec: self.spec.clone(),
            state: self.state.clone(),
            changed: self.changed.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// From now on, makes each channel at once but answers the originate
    /// request only after `delay` (a slow Asterisk: the client may time out
    /// although the call is being placed).
    pub fn delay_originates(&self, delay: Duration) {
        self.lock().originate_delay = Some(delay);
    }

    /// Whether the double holds a channel with this id.
    pub fn has_channel(&self, channel: &str) -> bool {
        self.lock().channels.contains_key(channel)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    pub fn dropped_events(&self) -> Vec<String> {
        self.lock().dropped_events.clone()
    }

    /// Requests of one operation (by Swagger nickname).
    pub fn requests_of(&self, operation: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .collect()
    }

    /// Waits until `pred` holds over the state.
    async fn wait_until<T>(&self, what: &str, mut pred: impl FnMut(&State) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.changed.notified();
            if let Some(v) = pred(&self.lock()) {
                return v;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let requests: Vec<String> = self
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} {:?}", r.method, r.path, r.query))
                    .collect();
                panic!(
                    "timed out waiting for {what}; requests so far: {requests:#?}; violations: {:?}",
                    self.violations()
                );
            }
        }
    }

    /// Waits for the `n`-th request (1-based) matching `pred`.
    pub async fn wait_request(
        &self,
        what: &str,
        n: usize,
        pred: impl Fn(&Recorded) -> bool,
    ) -> Recorded {
        self.wait_until(what, |s| {
            s.requests.iter().filter(|r| pred(r)).nth(n - 1).cloned()
        })
        .await
    }

    /// Waits for the originate of `channel`.
    pub async fn wait_originated(&self, channel: &str) -> Recorded {
        let path = format!("/channels/{channel}");
        self.wait_request("originate", 1, |r| {
            r.operation.as_deref() == Some("originateWithId") && r.path == path
        })
        .await
    }

    /// Waits for the `n`-th playback started on `channel`: (playback id, media).
    pub async fn wait_play(&self, channel: &str, n: usize) -> (String, String) {
        let prefix = format!("/channels/{channel}/play/");
        let r = self
            .wait_request(&format!("playback {n} on {channel}"), n, |r| {
                r.operation.as_deref() == Some("playWithId")
                    && r.path.starts_with(&prefix)
                    && r.status < 300
            })
            .await;
        let id = r.path.trim_start_matches(&prefix).to_owned();
        (id, r.param("media").unwrap_or_default().to_owned())
    }

    /// Waits for the bridge to hang `channel` up.
    pub async fn wait_hangup(&self, channel: &str) -> Recorded {
        let path = format!("/channels/{channel}");
        self.wait_request("hang-up", 1, |r| {
            r.operation.as_deref() == Some("hangup") && r.path == path
        })
        .await
    }

    /// Waits until the bridge has opened `n` websockets in all.
    pub async fn wait_connections(&self, n: usize) {
        self.wait_until(&format!("{n} websocket connections"), |s| {
            (s.connections >= n && !s.sockets.is_empty()).then_some(())
        })
        .await
    }

    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Closes every websocket (Asterisk restarting, a network blip).
    pub fn drop_websockets(&self) {
        let mut s = self.lock();
        for tx in s.sockets.drain(..) {
            let _ = tx.send(None);
        }
    }

    fn emit(&self, event: Value) {
        self.handle().emit(event);
    }

    fn channel_json(&self, id: &str) -> Value {
        let s = self.lock();
        let ch = s.channels.get(id).cloned();
        drop(s);
        channel_json(id, ch.as_ref())
    }

    /// The far end rings.
    pub fn ring(&self, channel: &str) {
        if let Some(c) = self.lock().channels.get_mut(channel) {
            c.state = "Ringing".into();
        }
        let ch = self.channel_json(channel);
        self.emit(json!({"type": "ChannelStateChange", "channel": ch}));
    }

    /// The far end answers: the channel is up and enters Stasis with the
    /// originate's `appArgs` (or `amd_args` when the AMD dialplan ran).
    pub fn answer(&self, channel: &str, amd_args: Option<Vec<String>>) {
        let args = {
            let mut s = self.lock();
            let Some(c) = s.channels.get_mut(channel) else {
                panic!("no channel {channel} to answer");
            };
            c.state = "Up".into();
            c.in_stasis = true;
            if let Some(a) = amd_args {
                c.app_args = a;
            }
            c.app_args.clone()
        };
        let ch = self.channel_json(channel);
        self.emit(json!({"type": "ChannelStateChange", "channel": ch}));
        self.emit(json!({"type": "StasisStart", "args": args, "channel": ch}));
    }

    pub fn press(&self, channel: &str, digit: char) {
        let ch = self.channel_json(channel);
        self.emit(json!({
            "type": "ChannelDtmfReceived",
            "digit": digit.to_string(),
            "duration_ms": 120,
            "channel": ch
        }));
    }

    /// The playback ends (its `PlaybackFinished` is lost if no socket is up).
    pub fn finish_playback(&self, playback: &str) {
        let p = self.lock().playbacks.remove(playback);
        if let Some(p) = p {
            self.emit(playback_event("PlaybackFinished", playback, &p, "done"));
        }
    }

    /// The channel ends with a Q.850 cause (busy 17, no answer 19...).
    pub fn destroy(&self, channel: &str, cause: u16) {
        self.handle().destroy(channel, cause);
    }

    /// The callee hangs up.
    pub fn hang_up_remote(&self, channel: &str) {
        let ch = self.channel_json(channel);
        self.emit(json!({"type": "ChannelHangupRequest", "cause": 16, "channel": ch}));
        self.destroy(channel, 16);
    }
}

fn cause_text(cause: u16) -> &'static str {
    match cause {
        1 => "Unallocated (unassigned) number",
        16 => "Normal Clearing",
        17 => "User busy",
        18 => "No user responding",
        19 => "User alerting, no answer",
        21 => "Call Rejected",
        34 => "Circuit/channel congestion",
        _ => "Unknown",
    }
}

fn channel_json(id: &str, ch: Option<&Channel>) -> Value {
    let (state, in_stasis, vars) = ch
        .map(|c| (c.state.clone(), c.in_stasis, c.vars.clone()))
        .unwrap_or_else(|| ("Down".into(), false, json!({})));
    json!({
        "id": id,
        "protocol_id": "",
        "name": format!("PJSIP/trunk-{id}"),
        "state": state,
        "caller": {"name": "", "number": "035551234"},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "campaign",
            "exten": "s",
            "priority": 1,
            "app_name": if in_stasis { "Stasis" } else { "AppDial" },
            "app_data": ""
        },
        "creationtime": timestamp(),
        "language": "en",
        "channelvars": vars
    })
}

fn playback_json(id: &str, p: &Playback, state: &str) -> Value {
    json!({
        "id": id,
        "media_uri": p.media,
        "target_uri": format!("channel:{}", p.channel),
        "language": "en",
        "state": state
    })
}

fn playback_event(kind: &str, id: &str, p: &Playback, state: &str) -> Value {
    json!({"type": kind, "playback": playback_json(id, p, state)})
}

/// The server side, shared with connection tasks.
#[derive(Clone)]
struct Server {
    app: String,
    spec: Arc<Spec>,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl Server {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn violation(&self, v: String) {
        self.lock().violations.push(v);
        self.changed.notify_waiters();
    }

    /// Sends an event to every connected socket, after checking it.
    fn emit(&self, mut event: Value) {
        if let Some(obj) = event.as_object_mut() {
            obj.insert("application".into(), json!(self.app));
            obj.insert("timestamp".into(), json!(timestamp()));
            obj.insert("asterisk_id".into(), json!("02:42:ac:11:00:02"));
        }
        if let Err(e) = self.spec.check_event(&event) {
            self.violation(format!("double emitted an event outside events.json: {e}"));
        }
        let text = event.to_string();
        let mut s = self.lock();
        s.sockets.retain(|tx| !tx.is_closed());
        if s.sockets.is_empty() {
            s.dropped_events.push(text);
        } else {
            for tx in &s.sockets {
                let _ = tx.send(Some(text.clone()));
            }
        }
        drop(s);
        self.changed.notify_waiters();
    }

    fn destroy(&self, channel: &str, cause: u16) {
        let ch = self.lock().channels.remove(channel);
        let Some(ch) = ch else { return };
        let json_ch = channel_json(channel, Some(&ch));
        // Its playbacks end with it.
        let playbacks: Vec<(String, Playback)> = {
            let mut s = self.lock();
            let ids: Vec<String> = s
                .playbacks
                .iter()
                .filter(|(_, p)| p.channel == channel)
                .map(|(id, _)| id.clone())
                .collect();
            ids.into_iter()
                .filter_map(|id| s.playbacks.remove(&id).map(|p| (id, p)))
                .collect()
        };
        for (id, p) in playbacks {
            self.emit(playback_event("PlaybackFinished", &id, &p, "done"));
        }
        if ch.in_stasis {
            self.emit(json!({"type": "StasisEnd", "channel": json_ch}));
        }
        self.emit(json!({
            "type": "ChannelDestroyed",
            "cause": cause,
            "cause_txt": cause_text(cause),
            "channel": json_ch
        }));
    }

    async fn serve(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let response = self.route(req).await;
        self.changed.notify_waiters();
        response
    }

    async fn route(&self, mut req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().as_str().to_owned();
        let full_path = req.uri().path().to_owned();
        let query = parse_query(req.uri().query());
        let auth_ok = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(
                format!(
                    "Basic {}",
                    base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        format!("{USER}:{PASSWORD}")
                    )
                )
                .as_str(),
            );
        let is_ws = req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let body_bytes = if is_ws {
            Bytes::new()
        } else {
            match req.body_mut().collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => Bytes::new(),
            }
        };
        let body: Option<Value> = if body_bytes.is_empty() {
            None
        } else {
            match serde_json::from_slice(&body_bytes) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.violation(format!("{method} {full_path}: body is not JSON: {e}"));
                    return error(StatusCode::BAD_REQUEST, "body is not JSON");
                }
            }
        };
        let mut record = Recorded {
            method: method.clone(),
            path: full_path.trim_start_matches("/ari").to_owned(),
            query: query.clone(),
            body: body.clone(),
            operation: None,
            status: 0,
        };
        let finish = |this: &Self, mut record: Recorded, r: Response<Full<Bytes>>| {
            record.status = r.status().as_u16();
            this.lock().requests.push(record);
            r
        };
        if !full_path.starts_with("/ari/") {
            self.violation(format!("{method} {full_path}: not under /ari"));
            return finish(self, record, error(StatusCode::NOT_FOUND, "not ARI"));
        }
        if !auth_ok {
            self.violation(format!("{method} {full_path}: no or wrong credentials"));
            return finish(
                self,
                record,
                error(StatusCode::UNAUTHORIZED, "authentication required"),
            );
        }
        let (op, vars) = match self
            .spec
            .check_request(&method, &record.path, &query, body.as_ref())
        {
            Ok((op, vars)) => (op.nickname.clone(), vars),
            Err(e) => {
                self.violation(format!("{method} {}: {e}", record.path));
                return finish(self, record, error(StatusCode::BAD_REQUEST, &e));
            }
        };
        record.operation = Some(op.clone());
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let response = match op.as_str() {
            "eventWebsocket" => {
                if param("app").as_deref() != Some(self.app.as_str()) {
                    return finish(self, record, error(StatusCode::BAD_REQUEST, "unknown app"));
                }
                let Some(key) = req
                    .headers()
                    .get("sec-websocket-key")
                    .map(|k| derive_accept_key(k.as_bytes()))
                else {
                    self.violation("websocket without a key".into());
                    return finish(self, record, error(StatusCode::BAD_REQUEST, "no key"));
                };
                let server = self.clone();
                tokio::spawn(async move {
                    match hyper::upgrade::on(&mut req).await {
                        Ok(upgraded) => {
                            let ws = WebSocketStream::from_raw_socket(
                                TokioIo::new(upgraded),
                                Role::Server,
                                None,
                            )
                            .await;
                            server.socket(ws).await;
                        }
                        Err(e) => server.violation(format!("websocket upgrade failed: {e}")),
                    }
                });
                Response::builder()
                    .status(StatusCode::SWITCHING_PROTOCOLS)
                    .header(header::UPGRADE, "websocket")
                    .header(header::CONNECTION, "Upgrade")
                    .header("sec-websocket-accept", key)
                    .body(Full::new(Bytes::new()))
                    .expect("101")
            }
            "originateWithId" => {
                let id = vars["channelId"].clone();
                let args = param("appArgs")
                    .map(|a| a.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                let vars = body
                    .as_ref()
                    .and_then(|b| b.get("variables").cloned())
                    .unwrap_or(json!({}));
                let ch = Channel {
                    state: "Down".into(),
                    app_args: args,
                    in_stasis: false,
                    vars,
                };
                // The lock is not held across the delay (the future is sent).
                let made = {
                    let mut s = self.lock();
                    if s.channels.contains_key(&id) {
                        None
                    } else {
                        s.channels.insert(id.clone(), ch.clone());
                        Some(s.originate_delay)
                    }
                };
                match made {
                    None => error(StatusCode::CONFLICT, "channel with this id exists"),
                    Some(delay) => {
                        if let Some(delay) = delay {
                            self.changed.notify_waiters();
                            tokio::time::sleep(delay).await;
                        }
                        let v = channel_json(&id, Some(&ch));
                        self.check_response("Channel", &v);
                        reply(StatusCode::OK, Some(v))
                    }
                }
            }
            "get" if record.path.starts_with("/channels/") => {
                let ch = self.lock().channels.get(&vars["channelId"]).cloned();
                match ch {
                    Some(c) => {
                        let v = channel_json(&vars["channelId"], Some(&c));
                        self.check_response("Channel", &v);
                        reply(StatusCode::OK, Some(v))
                    }
                    None => error(StatusCode::NOT_FOUND, "Channel not found"),
                }
            }
            "hangup" => {
                let id = vars["channelId"].clone();
                if self.lock().channels.contains_key(&id) {
                    self.destroy(&id, 16);
                    reply(StatusCode::NO_CONTENT, None)
                } else {
                    error(StatusCode::NOT_FOUND, "Channel not found")
                }
            }
            "playWithId" => {
                let channel = vars["channelId"].clone();
                let id = vars["playbackId"].clone();
                let exists = self.lock().channels.contains_key(&channel);
                if !exists {
                    error(StatusCode::NOT_FOUND, "Channel not found")
                } else {
                    let p = Playback {
                        channel,
                        media: param("media").unwrap_or_default(),
                    };
                    self.lock().playbacks.insert(id.clone(), p.clone());
                    let v = playback_json(&id, &p, "playing");
                    self.check_response("Playback", &v);
                    self.emit(playback_event("PlaybackStarted", &id, &p, "playing"));
                    reply(StatusCode::CREATED, Some(v))
                }
            }
            "get" if record.path.starts_with("/playbacks/") => {
                let p = self.lock().playbacks.get(&vars["playbackId"]).cloned();
                match p {
                    Some(p) => reply(
                        StatusCode::OK,
                        Some(playback_json(&vars["playbackId"], &p, "playing")),
                    ),
                    None => error(StatusCode::NOT_FOUND, "Playback not found"),
                }
            }
            "stop" => {
                let id = vars["playbackId"].clone();
                let p = self.lock().playbacks.remove(&id);
                match p {
                    Some(p) => {
                        self.emit(playback_event("PlaybackFinished", &id, &p, "done"));
                        reply(StatusCode::NO_CONTENT, None)
                    }
                    None => error(StatusCode::NOT_FOUND, "Playback not found"),
                }
            }
            "subscribe" => reply(
                StatusCode::OK,
                Some(json!({
                    "name": self.app,
                    "channel_ids": [],
                    "bridge_ids": [],
                    "endpoint_ids": [],
                    "device_names": [],
                    "events_allowed": [],
                    "events_disallowed": []
                })),
            ),
            "ping" => reply(
                StatusCode::OK,
                Some(json!({"asterisk_id": "02:42", "ping": "pong", "timestamp": timestamp()})),
            ),
            other => {
                self.violation(format!("the double does not implement {other}"));
                error(StatusCode::NOT_IMPLEMENTED, "not implemented by the double")
            }
        };
        finish(self, record, response)
    }

    fn check_response(&self, model: &str, v: &Value) {
        if let Err(e) = self.spec.check_model_value(model, v) {
            self.violation(format!("double answered outside the description: {e}"));
        }
    }

    async fn socket(&self, ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Option<String>>();
        {
            let mut s = self.lock();
            s.sockets.push(tx);
            s.connections += 1;
        }
        self.changed.notify_waiters();
        let (mut sink, mut source) = ws.split();
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Some(text)) => {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                    // Dropped by the test: close the TCP connection abruptly.
                    Some(None) | None => break,
                },
                incoming = source.next() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        drop(sink);
        drop(source);
        self.changed.notify_waiters();
    }
}
