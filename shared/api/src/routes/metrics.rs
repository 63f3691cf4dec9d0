//! Metrics: one campaign live, the aggregate over campaigns, a side-by-side
//! comparison, a campaign's history by day, and the live snapshots as
//! Server-Sent Events streams (`.../metrics/stream`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use campaign_core::ids::CampaignId;
use campaign_core::usecases::metrics_query::{AggregateMetrics, CampaignMetrics, DayMetrics};

use crate::auth::Readers;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

/// Most campaigns one comparison or aggregate names.
pub const MAX_CAMPAIGNS: usize = 20;

/// `GET /api/campaigns/{id}/metrics`.
pub async fn live(
    State(state): AppState,
    _who: Readers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CampaignMetrics>, ApiError> {
    Ok(Json(state.metrics().live(&CampaignId::new(id)).await?))
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IdsQuery {
    /// Comma-separated campaign ids.
    pub campaign_ids: Option<String>,
}

fn ids(q: &IdsQuery) -> Result<Vec<CampaignId>, ApiError> {
    let ids: Vec<CampaignId> = q
        .campaign_ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(CampaignId::new)
        .collect();
    if ids.len() > MAX_CAMPAIGNS {
        return Err(ApiError::validation(&[format!(
            "campaign_ids: at most {MAX_CAMPAIGNS}"
        )]));
    }
    Ok(ids)
}

/// `GET /api/metrics[?campaign_ids=a,b]`: every campaign when none are named.
pub async fn aggregate(
    State(state): AppState,
    _who: Readers,
    ApiQuery(q): ApiQuery<IdsQuery>,
) -> Result<Json<AggregateMetrics>, ApiError> {
    let ids = ids(&q)?;
    Ok(Json(state.metrics().aggregate(&ids).await?))
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub campaigns: Vec<CampaignMetrics>,
}

/// `GET /api/metrics/compare?campaign_ids=a,b`.
pub async fn compare(
    State(state): AppState,
    _who: Readers,
    ApiQuery(q): ApiQuery<IdsQuery>,
) -> Result<Json<Comparison>, ApiError> {
    let ids = ids(&q)?;
    if ids.len() < 2 {
        return Err(ApiError::validation(&[
            "campaign_ids: name at least two campaigns to compare".into(),
        ]));
    }
    Ok(Json(Comparison {
        campaigns: state.metrics().compare(&ids).await?,
    }))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub from: NaiveDate,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub campaign_id: CampaignId,
    pub days: Vec<DayMetrics>,
}

/// `GET /api/campaigns/{id}/metrics/history?from=&to=`.
pub async fn history(
    State(state): AppState,
    _who: Readers,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<History>, ApiError> {
    let id = CampaignId::new(id);
    let days = state.metrics().history(&id, q.from, q.to).await?;
    Ok(Json(History {
        campaign_id: id,
        days,
    }))
}

// ---------------------------------------------------------------- streams

/// How often a stream sends `: keep-alive` when no event went out (a
/// snapshot slower than this), so proxies keep the connection open.
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// 501 where responses cannot stream (Lambda behind API Gateway).
fn streaming_available(state: &ApiState) -> Result<(), ApiError> {
    if state.config.streaming {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "streaming_unavailable",
            "this deployment cannot stream responses; poll the plain metrics route every second instead",
        ))
    }
}

type Snapshot = Pin<Box<dyn Future<Output = Result<String, ApiError>> + Send>>;

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

/// An `event: metrics` whose data is exactly the plain route's JSON.
fn metrics_event(json: String) -> Event {
    Event::default().event("metrics").data(json)
}

/// An `event: error` in the API's error shape; the stream goes on (the
/// next snapshot may succeed: a throttled store recovers).
fn error_event(e: &ApiError) -> Event {
    let body = serde_json::json!({
        "error": { "code": e.code, "message": e.message, "details": e.details }
    });
    Event::default().event("error").data(body.to_string())
}

/// The stream: `first` at once, then a fresh snapshot every
/// `stream_interval`, until the client goes away (the stream is dropped).
fn metrics_stream(
    state: Arc<ApiState>,
    first: String,
    next: impl Fn(Arc<ApiState>) -> Snapshot + Send + Sync + 'static,
) -> Response {
    let interval = state.config.stream_interval;
    let stream = futures::stream::unfold(
        (Some(first), state, next),
        move |(first, state, next)| async move {
            let event = match first {
                Some(json) => metrics_event(json),
                None => {
                    tokio::time::sleep(interval).await;
                    match next(state.clone()).await {
                        Ok(json) => metrics_event(json),
                        Err(e) => error_event(&e),
                    }
                }
            };
            Some((Ok::<Event, Infallible>(event), (None, state, next)))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response();
    // Tells reverse proxies (nginx) not to buffer the events.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// `GET /api/campaigns/{id}/metrics/stream`: the live snapshot of
/// `GET /api/campaigns/{id}/metrics` as Server-Sent Events. An unknown
/// campaign is a plain 404 (the first snapshot is taken before streaming).
pub async fn live_stream(
    State(state): AppState,
    _who: Readers,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    streaming_available(&state)?;
    let id = CampaignId::new(id);
    let first = to_json(&state.metrics().live(&id).await?)?;
    Ok(metrics_stream(state, first, move |state| -> Snapshot {
        let id = id.clone();
        Box::pin(async move { to_json(&state.metrics().live(&id).await?) })
    }))
}

/// `GET /api/metrics/stream[?campaign_ids=a,b]`: `GET /api/metrics` as
/// Server-Sent Events.
pub async fn aggregate_stream(
    State(state): AppState,
    _who: Readers,
    ApiQuery(q): ApiQuery<IdsQuery>,
) -> Result<Response, ApiError> {
    streaming_available(&state)?;
    let ids = ids(&q)?;
    let first = to_json(&state.metrics().aggregate(&ids).await?)?;
    Ok(metrics_stream(state, first, move |state| -> Snapshot {
        let ids = ids.clone();
        Box::pin(async move { to_json(&state.metrics().aggregate(&ids).await?) })
    }))
}
