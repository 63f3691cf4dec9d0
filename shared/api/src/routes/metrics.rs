//! Metrics: one campaign live, the aggregate over campaigns, a side-by-side
//! comparison, and a campaign's history by day.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
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
