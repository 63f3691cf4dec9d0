//! Campaigns: create, list (filters, sorting, cursor), get, update (impact
//! rules while running), the lifecycle moves and clone.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::campaign::{
    Campaign, CampaignKind, CampaignSettings, CampaignStatus, Carrier, LifecycleAction,
};
use campaign_core::ids::CampaignId;
use campaign_core::ivr::IvrFlow;
use campaign_core::messages::{MESSAGE_VERSION, WorkflowInput};
use campaign_core::pacing::PaceLimits;
use campaign_core::ports::PageRequest;
use campaign_core::retry::RetryPolicy;
use campaign_core::schedule::Schedule;
use campaign_core::usecases::campaign_edit::{CampaignPatch, EditOutcome};
use campaign_core::usecases::lifecycle::NewCampaign;

use super::{ListResponse, Paging};
use crate::auth::{Allowed, Managers};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, FileBody, decode_json};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

/// A campaign's settings as sent on create; pace, retry, carrier and ring
/// time have defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub audio: Option<String>,
    pub ivr: Option<IvrFlow>,
    pub sms_template: Option<String>,
    pub tts_template: Option<String>,
    pub schedule: Schedule,
    #[serde(default)]
    pub pace: PaceLimits,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub carrier: Carrier,
    pub caller_id: Option<String>,
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_secs: u32,
}

fn default_ring_timeout() -> u32 {
    30
}

impl From<SettingsInput> for CampaignSettings {
    fn from(s: SettingsInput) -> Self {
        CampaignSettings {
            audio: s.audio,
            ivr: s.ivr,
            sms_template: s.sms_template,
            tts_template: s.tts_template,
            schedule: s.schedule,
            pace: s.pace,
            retry: s.retry,
            carrier: s.carrier,
            caller_id: s.caller_id,
            ring_timeout_secs: s.ring_timeout_secs,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    pub name: String,
    pub kind: CampaignKind,
    pub settings: SettingsInput,
}

pub async fn create(
    State(state): AppState,
    Allowed(who): Managers,
    ApiJson(body): ApiJson<CreateCampaign>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let campaign = state
        .lifecycle()
        .create(
            NewCampaign {
                name: body.name,
                kind: body.kind,
                settings: body.settings.into(),
            },
            &who.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum SortKey {
    #[serde(rename = "created_at")]
    CreatedAsc,
    #[serde(rename = "-created_at")]
    CreatedDesc,
    #[serde(rename = "updated_at")]
    UpdatedAsc,
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
    #[serde(rename = "name")]
    NameAsc,
    #[serde(rename = "-name")]
    NameDesc,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<CampaignStatus>,
    pub kind: Option<CampaignKind>,
    pub sort: Option<SortKey>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Campaigns are few (hundreds): the whole list is read, filtered and
/// sorted here; the cursor is the offset of the next page.
pub async fn list(
    State(state): AppState,
    _who: Managers,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListResponse<Campaign>>, ApiError> {
    let paging = Paging::new(q.limit, q.cursor.clone())?;
    let offset: usize = match &paging.cursor {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            ApiError::bad_request("invalid_cursor", "cursor: not one this API gave")
        })?,
    };
    let mut all = Vec::new();
    let mut page = PageRequest::first(200);
    loop {
        let p = state.campaigns.list(page.clone()).await?;
        all.extend(p.items);
        match p.next {
            Some(n) => page.cursor = Some(n),
            None => break,
        }
    }
    all.retain(|c| q.status.is_none_or(|s| c.status == s) && q.kind.is_none_or(|k| c.kind == k));
    match q.sort.unwrap_or(SortKey::CreatedAsc) {
        SortKey::CreatedAsc => {
            all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
        }
        SortKey::CreatedDesc => {
            all.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)))
        }
        SortKey::UpdatedAsc => {
            all.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)))
        }
        SortKey::UpdatedDesc => {
            all.sort_by(|a, b| (b.updated_at, &b.id).cmp(&(a.updated_at, &a.id)))
        }
        SortKey::NameAsc => all.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id))),
        SortKey::NameDesc => all.sort_by(|a, b| (&b.name, &b.id).cmp(&(&a.name, &a.id))),
    }
    let total = all.len();
    let items: Vec<Campaign> = all.into_iter().skip(offset).take(paging.limit).collect();
    let next = offset + items.len();
    Ok(Json(ListResponse {
        items,
        next_cursor: (next < total).then(|| next.to_string()),
    }))
}

pub async fn get(
    State(state): AppState,
    _who: Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(state.lifecycle().get(&CampaignId::new(id)).await?))
}

pub async fn update(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<CampaignPatch>,
) -> Result<Json<EditOutcome>, ApiError> {
    let out = state
        .edit()
        .update(&CampaignId::new(id), &patch, &who.actor())
        .await?;
    Ok(Json(out))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub start_at: DateTime<Utc>,
}

async fn start_workflow(state: &ApiState, campaign: &Campaign) -> Result<(), ApiError> {
    state
        .workflows
        .start(&WorkflowInput {
            version: MESSAGE_VERSION,
            campaign_id: campaign.id.clone(),
            scheduled_start: campaign.settings.schedule.start,
        })
        .await
        .map_err(|e| {
            tracing::error!(campaign_id = %campaign.id, error = %e, "workflow start failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "workflow_start_failed",
                format!(
                    "campaign {} is {} but its workflow did not start; pause and resume it to retry",
                    campaign.id, campaign.status
                ),
            )
        })
}

pub async fn schedule(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<Campaign>, ApiError> {
    if body.start_at <= state.clock.now() {
        return Err(ApiError::validation(&[
            "start_at: must be in the future (use start to begin now)".into(),
        ]));
    }
    let campaign = state
        .lifecycle()
        .schedule(&CampaignId::new(id), body.start_at, &who.actor())
        .await?;
    start_workflow(&state, &campaign).await?;
    Ok(Json(campaign))
}

async fn apply(
    state: &ApiState,
    who: &crate::auth::Principal,
    id: String,
    action: LifecycleAction,
) -> Result<Json<Campaign>, ApiError> {
    let campaign = state
        .lifecycle()
        .perform(&CampaignId::new(id), action, &who.actor())
        .await?;
    // The workflow runs while the campaign is active or paused; starting it
    // again is harmless (one execution per campaign), and lets a resume
    // repair a start whose workflow did not come up.
    if matches!(action, LifecycleAction::Start | LifecycleAction::Resume) {
        start_workflow(state, &campaign).await?;
    }
    Ok(Json(campaign))
}

pub async fn start(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    apply(&state, &who, id, LifecycleAction::Start).await
}

pub async fn pause(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    apply(&state, &who, id, LifecycleAction::Pause).await
}

pub async fn resume(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    apply(&state, &who, id, LifecycleAction::Resume).await
}

pub async fn cancel(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    apply(&state, &who, id, LifecycleAction::Cancel).await
}

pub async fn archive(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Campaign>, ApiError> {
    apply(&state, &who, id, LifecycleAction::Archive).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CloneBody {
    pub name: Option<String>,
}

pub async fn clone(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
    body: FileBody,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    // The body is optional: empty, or `{"name": "..."}`.
    let name = if body.bytes.is_empty() {
        None
    } else {
        decode_json::<CloneBody>(&body.bytes)?.name
    };
    let copy = state
        .edit()
        .clone_campaign(&CampaignId::new(id), name, &who.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(copy)))
}
