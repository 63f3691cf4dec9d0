//! The router and every route. [`ROUTES`] lists them with the roles each
//! admits; the router is built from the same table's paths, and the tests
//! check that each is served, documented in the OpenAPI file and guarded.

pub mod audio;
pub mod blacklist;
pub mod campaigns;
pub mod contacts;
pub mod me;
pub mod metrics;
pub mod reports;
pub mod v1;
pub mod validate;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};

use campaign_core::ports::AuditRecord;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::ApiState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (health, the OpenAPI document).
    Public,
    /// The call-manager token (`X-Auth-Token`).
    CallManagerToken,
    /// A JWT whose role is among these.
    Roles(&'static [crate::auth::Role]),
}

use crate::auth::Role::{Administrator as A, Analyst as N, CampaignManager as M};

const ADMIN: Access = Access::Roles(&[A]);
const MANAGERS: Access = Access::Roles(&[A, M]);
const READERS: Access = Access::Roles(&[A, M, N]);

/// Every route: method, path (axum syntax), access.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/health", Access::Public),
    ("GET", "/openapi.json", Access::Public),
    ("GET", "/api/me", READERS),
    ("POST", "/api/campaigns", MANAGERS),
    ("GET", "/api/campaigns", MANAGERS),
    ("GET", "/api/campaigns/{id}", MANAGERS),
    ("PATCH", "/api/campaigns/{id}", MANAGERS),
    ("POST", "/api/campaigns/{id}/schedule", MANAGERS),
    ("POST", "/api/campaigns/{id}/start", MANAGERS),
    ("POST", "/api/campaigns/{id}/pause", MANAGERS),
    ("POST", "/api/campaigns/{id}/resume", MANAGERS),
    ("POST", "/api/campaigns/{id}/cancel", MANAGERS),
    ("POST", "/api/campaigns/{id}/archive", MANAGERS),
    ("POST", "/api/campaigns/{id}/clone", MANAGERS),
    ("POST", "/api/campaigns/{id}/contacts", MANAGERS),
    ("GET", "/api/campaigns/{id}/contacts", MANAGERS),
    ("GET", "/api/campaigns/{id}/contacts/{contact_id}", MANAGERS),
    ("POST", "/api/campaigns/{id}/contact-uploads", MANAGERS),
    ("GET", "/api/campaigns/{id}/imports/{import_id}", MANAGERS),
    (
        "POST",
        "/api/campaigns/{id}/imports/{import_id}/run",
        MANAGERS,
    ),
    ("GET", "/api/campaigns/{id}/metrics", READERS),
    ("GET", "/api/campaigns/{id}/metrics/history", READERS),
    ("GET", "/api/campaigns/{id}/metrics/stream", READERS),
    ("POST", "/api/campaigns/{id}/reports", READERS),
    ("GET", "/api/campaigns/{id}/reports", READERS),
    ("GET", "/api/campaigns/{id}/reports/{report_id}", READERS),
    (
        "GET",
        "/api/campaigns/{id}/reports/{report_id}/download",
        READERS,
    ),
    ("GET", "/api/metrics", READERS),
    ("GET", "/api/metrics/compare", READERS),
    ("GET", "/api/metrics/stream", READERS),
    ("POST", "/api/ivr-flows/validate", MANAGERS),
    ("POST", "/api/retry-rules/validate", MANAGERS),
    ("POST", "/api/blacklist", MANAGERS),
    ("POST", "/api/blacklist/imports", ADMIN),
    ("GET", "/api/blacklist/export", ADMIN),
    ("GET", "/api/blacklist/{phone}", ADMIN),
    ("DELETE", "/api/blacklist/{phone}", ADMIN),
    ("POST", "/api/audio/uploads", MANAGERS),
    ("GET", "/api/audio", MANAGERS),
    ("POST", "/api/v1/initiate-call/", Access::CallManagerToken),
    ("PUT", "/api/v1/callback/", Access::CallManagerToken),
];

/// The OpenAPI 3 document, checked in beside the crate.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// A page of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Checked `limit` and `cursor` query parameters.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: usize,
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

impl Paging {
    pub fn new(limit: Option<usize>, cursor: Option<String>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::validation(&[format!(
                "limit: between 1 and {MAX_PAGE}"
            )]));
        }
        Ok(Self {
            limit,
            cursor: cursor.filter(|c| !c.is_empty()),
        })
    }
}

/// Appends an audit record of a change the core does not audit itself.
pub async fn audit<T: Serialize>(
    state: &ApiState,
    who: &Principal,
    action: &str,
    target: String,
    after: &T,
) -> Result<(), ApiError> {
    let record = AuditRecord::change(
        state.clock.now(),
        &who.actor(),
        action,
        target,
        None,
        Some(after),
    );
    state.audit.append(&record).await?;
    Ok(())
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn openapi() -> Response {
    let mut r = (StatusCode::OK, OPENAPI_JSON).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// One log line per request: method, route pattern (never the raw path,
/// which may carry a phone number), status and time taken.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(no route)".into());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, route, status, elapsed_ms, "request");
    } else {
        tracing::info!(%method, route, status, elapsed_ms, "request");
    }
    response
}

/// The API on `state`.
pub fn router(state: Arc<ApiState>) -> Router {
    let json_limit = DefaultBodyLimit::max(state.config.max_json_bytes);
    let file_limit = DefaultBodyLimit::max(state.config.max_upload_bytes);
    let files = Router::new()
        .route(
            "/api/campaigns/{id}/contacts",
            post(contacts::upload).get(contacts::list),
        )
        .route("/api/blacklist/imports", post(blacklist::import))
        .layer(file_limit);
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/api/me", get(me::me))
        .route(
            "/api/campaigns",
            post(campaigns::create).get(campaigns::list),
        )
        .route(
            "/api/campaigns/{id}",
            get(campaigns::get).patch(campaigns::update),
        )
        .route("/api/campaigns/{id}/schedule", post(campaigns::schedule))
        .route("/api/campaigns/{id}/start", post(campaigns::start))
        .route("/api/campaigns/{id}/pause", post(campaigns::pause))
        .route("/api/campaigns/{id}/resume", post(campaigns::resume))
        .route("/api/campaigns/{id}/cancel", post(campaigns::cancel))
        .route("/api/campaigns/{id}/archive", post(campaigns::archive))
        .route("/api/campaigns/{id}/clone", post(campaigns::clone))
        .route(
            "/api/campaigns/{id}/contacts/{contact_id}",
            get(contacts::get),
        )
        .route(
            "/api/campaigns/{id}/contact-uploads",
            post(contacts::upload_link),
        )
        .route(
            "/api/campaigns/{id}/imports/{import_id}",
            get(contacts::get_import),
        )
        .route(
            "/api/campaigns/{id}/imports/{import_id}/run",
            post(contacts::run_uploaded),
        )
        .route("/api/campaigns/{id}/metrics", get(metrics::live))
        .route("/api/campaigns/{id}/metrics/history", get(metrics::history))
        .route(
            "/api/campaigns/{id}/metrics/stream",
            get(metrics::live_stream),
        )
        .route(
            "/api/campaigns/{id}/reports",
            post(reports::create).get(reports::list),
        )
        .route("/api/campaigns/{id}/reports/{report_id}", get(reports::get))
        .route(
            "/api/campaigns/{id}/reports/{report_id}/download",
            get(reports::download),
        )
        .route("/api/metrics", get(metrics::aggregate))
        .route("/api/metrics/compare", get(metrics::compare))
        .route("/api/metrics/stream", get(metrics::aggregate_stream))
        .route("/api/ivr-flows/validate", post(validate::ivr_flow))
        .route("/api/retry-rules/validate", post(validate::retry_rules))
        .route("/api/blacklist", post(blacklist::add))
        .route("/api/blacklist/export", get(blacklist::export))
        .route(
            "/api/blacklist/{phone}",
            get(blacklist::lookup).delete(blacklist::remove),
        )
        .route("/api/audio/uploads", post(audio::upload_link))
        .route("/api/audio", get(audio::list))
        .route("/api/v1/initiate-call/", post(v1::initiate))
        .route("/api/v1/callback/", put(v1::callback))
        // The same without the trailing slash (Django would redirect).
        .route("/api/v1/initiate-call", post(v1::initiate))
        .route("/api/v1/callback", put(v1::callback))
        .layer(json_limit);
    api.merge(files)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}
