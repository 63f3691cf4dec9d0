//! `campaign serve`: the HTTP API (the `campaign-api` router) on 127.0.0.1
//! with the embedded adapters, and the whole pipeline running behind it in
//! real time — workflow starts, dispatch, the dial queue, the simulated
//! carrier (no call is placed), call events, follow-ups, opt-outs — so a
//! campaign driven with curl progresses like a deployed one.
//!
//! Development tokens come from `campaign token` (same signing key, see
//! [`crate::token`]); the v1 token is `CALL_MANAGER_TOKEN`. Presigned
//! upload links point back at this server (`PUT /local-uploads/...`); a
//! contact file PUT there starts its import in the background, as the S3
//! notification starts `contact-importer` on AWS.
//!
//! It also serves the operator console ([`crate::console`]): the built app
//! from `web/dist` (or `--web DIR` / `CAMPAIGN_WEB_DIR`) at `/`,
//! `GET /config.json` and `POST /local/sign-in` (development tokens from the
//! loopback). Audio files play from signed `GET /local-uploads/...` links.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use campaign_api::auth::{Authenticator, DevJwt};
use campaign_api::{ApiConfig, ApiState};
use campaign_core::campaign::CampaignStatus;
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::ids::CampaignId;
use campaign_core::phone::PhoneParser;
use campaign_core::ports::ObjectStore;
use campaign_core::usecases::uploaded_import::{RunOutcome, Trigger, parse_upload_key};
use campaign_embedded::providers::{MapSecrets, MemoryObjects};
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_embedded::uploads::LocalUploads;
use campaign_embedded::workflows::LocalWorkflows;

/// The runtime's clock, brought to the wall clock whenever it is read: the
/// pipeline and the API agree on "now", and it never goes back.
struct WallClock(Arc<ManualClock>);

impl Clock for WallClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.set(Utc::now());
        self.0.now()
    }
}

/// The secret name the v1 token is kept under in the local secrets map.
const TOKEN_SECRET: &str = "call-manager-token";

/// Largest file a local presigned upload takes (audio is 10 MB at most).
const MAX_LOCAL_UPLOAD: usize = 50 * 1024 * 1024;

/// A running local server.
pub struct Server {
    pub addr: SocketAddr,
    pub local: Arc<Local>,
    pub state: Arc<ApiState>,
    pub app: Router,
    pub workflows: Arc<LocalWorkflows>,
    listener: tokio::net::TcpListener,
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: String,
    pub seed: u64,
    /// How often the workflow loop dispatches (Step Functions' wait).
    pub dispatch_interval_secs: u32,
    /// The call-manager v1 token (`CALL_MANAGER_TOKEN`); v1 is refused without one.
    pub call_manager_token: Option<String>,
    pub jwt_key: Vec<u8>,
    /// The built console (`index.html` and its assets); see
    /// [`crate::console::web_dir`].
    pub web_dir: PathBuf,
}

/// Binds the address and wires everything (does not serve yet).
pub async fn build(options: ServeOptions) -> anyhow::Result<Server> {
    let listener = tokio::net::TcpListener::bind(&options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let addr = listener.local_addr()?;
    // Development tokens and a simulated carrier: this server is for the
    // local machine only.
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "campaign serve listens on a loopback address only (127.0.0.1 or ::1), not {addr}"
    );
    let config = LocalConfig {
        seed: options.seed,
        dispatch_interval_secs: options.dispatch_interval_secs,
        ..LocalConfig::default()
    };
    let reports = Arc::new(MemoryObjects::new());
    let objects: Arc<dyn ObjectStore> = reports.clone();
    let local = Arc::new(Local::with_objects(config, Utc::now(), objects.clone()));
    let clock: Arc<dyn Clock> = Arc::new(WallClock(local.clock.clone()));
    let files = Arc::new(MemoryObjects::new());
    let mut link_key = [0u8; 32];
    for (i, b) in options.jwt_key.iter().enumerate() {
        link_key[i % 32] ^= b.rotate_left(3);
    }
    let uploads = Arc::new(LocalUploads::new(
        files.clone(),
        format!("http://{addr}/local-uploads"),
        link_key,
        clock.clone(),
    ));
    // Lists the reports (its upload links are never handed out).
    let report_index = Arc::new(LocalUploads::new(
        reports,
        format!("http://{addr}/local-reports"),
        link_key,
        clock.clone(),
    ));
    let workflows = Arc::new(LocalWorkflows::new());
    let secrets = MapSecrets::default();
    if let Some(token) = &options.call_manager_token {
        secrets.insert(
            TOKEN_SECRET,
            campaign_api::routes::v1::token_secret_string(token),
        );
    }
    let jwt = Arc::new(DevJwt::new(options.jwt_key.clone()));
    let state = Arc::new(ApiState {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        blacklist: local.store.clone(),
        calls: local.store.clone(),
        counters: local.counters.clone(),
        audit: local.store.clone(),
        queue: local.queue.clone(),
        reports: objects,
        uploads: files.clone(),
        upload_links: uploads.clone(),
        audio: uploads.clone(),
        audio_files: uploads.clone(),
        report_index,
        workflows: workflows.clone(),
        secrets: Arc::new(secrets),
        ids: local.ids.clone(),
        clock: clock.clone(),
        auth: Authenticator::Dev(jwt.clone()),
        config: ApiConfig {
            call_manager_token_secret: TOKEN_SECRET.into(),
            audio_location_prefix: "local://".into(),
            ..ApiConfig::default()
        },
        parser: PhoneParser::default(),
    });
    let app = campaign_api::router(state.clone())
        .merge(
            Router::new()
                .route(
                    "/local-uploads/{*key}",
                    put(receive_upload).get(send_upload),
                )
                .layer(DefaultBodyLimit::max(MAX_LOCAL_UPLOAD))
                .with_state(Receiver {
                    uploads,
                    api: state.clone(),
                }),
        )
        .merge(
            Router::new()
                .route("/config.json", get(crate::console::config_json))
                .route("/local/sign-in", post(crate::console::sign_in))
                .with_state(crate::console::SignIn { jwt, clock }),
        )
        // Outermost: console paths never reach the API's routes.
        .layer(middleware::from_fn_with_state(
            Arc::new(options.web_dir.clone()),
            crate::console::static_files,
        ));
    Ok(Server {
        addr,
        local,
        state,
        app,
        workflows,
        listener,
    })
}

#[derive(Debug, Deserialize)]
struct LinkQuery {
    content_type: String,
    expires: i64,
    signature: String,
}

#[derive(Debug, Deserialize)]
struct ReadLinkQuery {
    expires: i64,
    signature: String,
}

/// A signed read link (`play_url` of an audio file): the stored bytes with
/// their content type.
async fn send_upload(
    State(Receiver { uploads, .. }): State<Receiver>,
    Path(key): Path<String>,
    Query(q): Query<ReadLinkQuery>,
) -> Response {
    if !uploads.verify_get(&key, q.expires, &q.signature) {
        return (StatusCode::FORBIDDEN, "invalid or expired link\n").into_response();
    }
    match uploads.objects().get(&key).await {
        Ok(Some(bytes)) => {
            let ct = uploads
                .objects()
                .content_type(&key)
                .and_then(|c| HeaderValue::from_str(&c).ok())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let mut r = (StatusCode::OK, bytes).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, ct);
            r
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not read the file\n",
        )
            .into_response(),
    }
}

/// What the local upload links need: the store, and the API's ports to
/// start imports with.
#[derive(Clone)]
struct Receiver {
    uploads: Arc<LocalUploads>,
    api: Arc<ApiState>,
}

/// The audit log's actor for imports started by a local upload.
const UPLOAD_ACTOR: &str = "campaign serve (upload)";

/// The other end of a local presigned link (what S3 does on AWS). A contact
/// file starts its import in the background; the client polls
/// `GET /api/campaigns/{id}/imports/{import_id}`.
async fn receive_upload(
    State(Receiver { uploads, api }): State<Receiver>,
    Path(key): Path<String>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let sent_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !uploads.verify(&key, &q.content_type, q.expires, &q.signature) {
        return (StatusCode::FORBIDDEN, "invalid or expired upload link\n");
    }
    if !sent_type.eq_ignore_ascii_case(&q.content_type) {
        return (
            StatusCode::FORBIDDEN,
            "Content-Type differs from the signed one\n",
        );
    }
    match uploads.objects().put(&key, body.to_vec(), sent_type).await {
        Ok(()) => {
            if let Some((campaign, import_id)) = parse_upload_key(&key) {
                tokio::spawn(import_upload(api, campaign, import_id));
            }
            (StatusCode::OK, "")
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not store the upload\n",
        ),
    }
}

/// Runs the import an upload belongs to (what `contact-importer` does on
/// AWS); the outcome is in the import's record.
async fn import_upload(api: Arc<ApiState>, campaign: CampaignId, import_id: String) {
    let outcome = api
        .uploaded_imports()
        .run(&campaign, &import_id, Trigger::Upload, None, UPLOAD_ACTOR)
        .await;
    match outcome {
        Ok(RunOutcome::Ran(r)) => {
            tracing::info!(campaign_id = %campaign, %import_id, status = ?r.status, "import ran");
        }
        Ok(other) => {
            tracing::debug!(campaign_id = %campaign, %import_id, outcome = ?other, "upload not imported");
        }
        Err(e) => {
            tracing::error!(campaign_id = %campaign, %import_id, error = %e, "import failed; POST .../run retries it");
        }
    }
}

/// What the Step Functions workflow's first task does, for each workflow
/// started since the last turn: a draft or scheduled campaign becomes active
/// (dialling still waits for its start time and windows).
async fn start_new_workflows(local: &Local, workflows: &LocalWorkflows) {
    for input in workflows.take_new() {
        let id = &input.campaign_id;
        let status = match local.campaigns().get(id).await {
            Ok(Some(c)) => c.status,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(campaign_id = %id, error = %e, "reading a started campaign failed");
                continue;
            }
        };
        if matches!(status, CampaignStatus::Draft | CampaignStatus::Scheduled)
            && let Err(e) = local.lifecycle().start(id, "workflow").await
        {
            tracing::error!(campaign_id = %id, error = %e, "starting the workflow failed");
        }
    }
}

/// The pipeline in real time, every `tick`, until the process ends.
pub async fn drive(local: Arc<Local>, workflows: Arc<LocalWorkflows>, tick: StdDuration) {
    loop {
        local.clock.set(Utc::now());
        start_new_workflows(&local, &workflows).await;
        if let Err(e) = local.step().await {
            tracing::error!(error = %e, "pipeline step failed");
        }
        tokio::time::sleep(tick).await;
    }
}

impl Server {
    /// Serves until Ctrl-C, with the pipeline running beside.
    pub async fn run(self) -> anyhow::Result<()> {
        let pipeline = tokio::spawn(drive(
            self.local.clone(),
            self.workflows.clone(),
            StdDuration::from_millis(200),
        ));
        // The peer address lets `/local/sign-in` check it is the loopback.
        let result = axum::serve(
            self.listener,
            self.app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        pipeline.abort();
        result.context("server failed")
    }
}

pub fn run(
    addr: String,
    seed: u64,
    dispatch_interval_secs: u32,
    web: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let options = ServeOptions {
        web_dir: crate::console::web_dir(web),
        addr,
        seed,
        dispatch_interval_secs,
        call_manager_token: std::env::var("CALL_MANAGER_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
        jwt_key: crate::token::signing_key()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let v1 = options.call_manager_token.is_some();
        let web_dir = options.web_dir.clone();
        let server = build(options).await?;
        let a = server.addr;
        eprintln!("campaign serve: http://{a}  (embedded adapters, simulated carrier: no call is placed)");
        if web_dir.join("index.html").is_file() {
            eprintln!("  console:  http://{a}/  (from {})", web_dir.display());
        } else {
            eprintln!(
                "  console:  not built in {} ({})",
                web_dir.display(),
                crate::console::BUILD_HINT
            );
        }
        eprintln!("  token:    TOKEN=$(campaign token --role administrator)   # or campaign-manager, analyst");
        eprintln!("  try:      curl -H \"Authorization: Bearer $TOKEN\" http://{a}/api/campaigns");
        eprintln!("  API docs: http://{a}/openapi.json");
        if v1 {
            eprintln!("  v1 API:   X-Auth-Token = $CALL_MANAGER_TOKEN");
        } else {
            eprintln!("  v1 API:   off (set CALL_MANAGER_TOKEN to enable /api/v1/...)");
        }
        server.run().await
    })?;
    Ok(ExitCode::SUCCESS)
}
