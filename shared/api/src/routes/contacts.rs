//! Contacts: a CSV/XLSX file sent directly (small files) or through a
//! presigned upload (large ones), each import with a record kept under an
//! import id (`imports/<campaign>/<import id>.json` in the uploads store,
//! see `campaign_core::usecases::uploaded_import`); listing and reading
//! contacts.
//!
//! The presigned path: `POST .../contact-uploads` answers an upload link and
//! an import id (status `awaiting_upload`); the client PUTs the file there
//! and the upload's storage event runs the import by itself (the S3
//! notification → SQS → `contact-importer` on AWS, the local server's PUT
//! handler with `campaign serve`): `importing`, then `completed` or
//! `failed`. `GET .../imports/{import_id}` is the poll. `POST
//! .../imports/{import_id}/run` is the manual re-trigger (a lost event, or a
//! failed import to retry): it runs the import within the request, under the
//! same claim as the event, so the two never both import.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::import::{DedupRule, FileFormat, ImportOptions};
use campaign_core::phone::PhoneParser;
use campaign_core::ports::PageRequest;
use campaign_core::usecases::load_campaign;
use campaign_core::usecases::uploaded_import::{
    self, FormatError, ImportRecord, ImportSettings, RunOutcome, Trigger, upload_key,
};

pub use campaign_core::usecases::uploaded_import::{MAX_ERRORS_KEPT, XLSX_TYPE};

use super::{ListResponse, Paging, audit};
use crate::auth::{Allowed, Managers, Principal};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, FileBody};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DedupParam {
    #[default]
    KeepFirst,
    KeepLast,
    Merge,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Region for numbers without a country code (ISO 3166), default the API's.
    pub region: Option<String>,
    pub dedup: Option<DedupParam>,
    /// With `dedup=merge`: fields whose latest non-empty value wins, comma-separated.
    pub priority_fields: Option<String>,
    /// The file's name, to tell CSV from XLSX when the type is generic.
    pub file_name: Option<String>,
}

impl ImportQuery {
    fn sets_options(&self) -> bool {
        self.region.is_some() || self.dedup.is_some() || self.priority_fields.is_some()
    }
}

fn settings(
    state: &ApiState,
    region: Option<&str>,
    dedup: Option<DedupParam>,
    priority_fields: Option<&str>,
) -> Result<ImportSettings, ApiError> {
    let region = region.unwrap_or(&state.config.phone_region).to_owned();
    PhoneParser::new(&region).map_err(|e| ApiError::validation(&[format!("region: {e}")]))?;
    let dedup = match dedup.unwrap_or_default() {
        DedupParam::KeepFirst => DedupRule::KeepFirst,
        DedupParam::KeepLast => DedupRule::KeepLast,
        DedupParam::Merge => DedupRule::Merge {
            priority_fields: priority_fields
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        },
    };
    Ok(ImportSettings { region, dedup })
}

pub fn import_options(state: &ApiState, q: &ImportQuery) -> Result<ImportOptions, ApiError> {
    settings(
        state,
        q.region.as_deref(),
        q.dedup,
        q.priority_fields.as_deref(),
    )?
    .options()
    .map_err(|e| ApiError::validation(&[e]))
}

/// CSV or XLSX from the media type (or, for a generic one, the file name
/// and content); 415 for anything else.
pub fn file_format(
    media_type: Option<&str>,
    file_name: Option<&str>,
    bytes: &[u8],
) -> Result<FileFormat, ApiError> {
    uploaded_import::file_format(media_type, file_name, bytes)
        .map_err(|e: FormatError| ApiError::unsupported_media(e.to_string()))
}

async fn load(
    state: &ApiState,
    campaign: &CampaignId,
    import_id: &str,
) -> Result<ImportRecord, ApiError> {
    state
        .uploaded_imports()
        .load(campaign, import_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("import {import_id} not found")))
}

/// A finished import answered as the request's result: a file that could
/// not be imported as a whole is its error, with the import id in the details.
fn answer(record: ImportRecord) -> Result<ImportRecord, ApiError> {
    match &record.failure {
        None => Ok(record),
        Some(f) => {
            let mut details = f.details.clone().unwrap_or(serde_json::json!({}));
            if let Some(map) = details.as_object_mut() {
                map.insert("import_id".into(), record.import_id.clone().into());
                map.insert("reason".into(), f.code.clone().into());
            } else {
                details = serde_json::json!({ "import_id": record.import_id, "reason": f.code });
            }
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_failed",
                &f.message,
            )
            .with_details(details))
        }
    }
}

fn new_record(state: &ApiState, who: &Principal, campaign: &CampaignId) -> ImportRecord {
    ImportRecord::new(
        state.ids.next_id("imp"),
        campaign.clone(),
        who.actor(),
        state.clock.now(),
    )
}

async fn accepting_campaign(state: &ApiState, campaign: &CampaignId) -> Result<(), ApiError> {
    let c = load_campaign(&*state.campaigns, campaign).await?;
    if c.status.is_finished() {
        return Err(ApiError::conflict(
            "campaign_finished",
            format!(
                "contacts cannot be added to a campaign that is {}",
                c.status
            ),
        ));
    }
    Ok(())
}

/// `POST /api/campaigns/{id}/contacts`: the file is the body.
pub async fn upload(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: FileBody,
) -> Result<(StatusCode, Json<ImportRecord>), ApiError> {
    let campaign = CampaignId::new(id);
    if body.bytes.is_empty() {
        return Err(ApiError::validation(&["body: the file is empty".into()]));
    }
    let format = file_format(
        body.media_type.as_deref(),
        q.file_name.as_deref(),
        &body.bytes,
    )?;
    let options = import_options(&state, &q)?;
    accepting_campaign(&state, &campaign).await?;
    let mut record = new_record(&state, &who, &campaign);
    record.content_type = body.media_type.clone();
    state
        .uploaded_imports()
        .import_direct(&mut record, &body.bytes, format, &options, &who.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(answer(record)?)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub file_name: String,
    pub content_type: String,
    /// How the file will be read (the import runs without a request):
    /// region for numbers without a country code, default the API's.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub dedup: Option<DedupParam>,
    /// With `dedup: "merge"`: fields whose latest non-empty value wins.
    #[serde(default)]
    pub priority_fields: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadLink {
    pub import_id: String,
    pub upload_url: String,
    pub method: &'static str,
    /// Send the file with exactly this `Content-Type`.
    pub content_type: String,
    pub expires_at: DateTime<Utc>,
    pub import: ImportRecord,
}

/// `POST /api/campaigns/{id}/contact-uploads`.
pub async fn upload_link(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UploadRequest>,
) -> Result<(StatusCode, Json<UploadLink>), ApiError> {
    let campaign = CampaignId::new(id);
    let ct = req.content_type.trim().to_ascii_lowercase();
    let ext = match ct.as_str() {
        "text/csv" | "application/csv" => "csv",
        XLSX_TYPE => "xlsx",
        other => {
            return Err(ApiError::unsupported_media(format!(
                "content_type: expected text/csv or {XLSX_TYPE}, got {other}"
            )));
        }
    };
    if req.file_name.trim().is_empty() {
        return Err(ApiError::validation(&[
            "file_name: must not be empty".into()
        ]));
    }
    let priority = req.priority_fields.as_ref().map(|f| f.join(","));
    let settings = settings(
        &state,
        req.region.as_deref(),
        req.dedup,
        priority.as_deref(),
    )?;
    accepting_campaign(&state, &campaign).await?;
    let mut record = new_record(&state, &who, &campaign);
    let key = upload_key(&campaign, &record.import_id, ext);
    let ttl = state.config.upload_link_ttl;
    let url = state.upload_links.presign_put(&key, &ct, ttl).await?;
    record.file_key = Some(key);
    record.content_type = Some(ct.clone());
    record.settings = Some(settings);
    state.uploaded_imports().save(&record).await?;
    audit(
        &state,
        &who,
        "contacts.upload_link",
        format!("campaign/{campaign}"),
        &record,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadLink {
            import_id: record.import_id.clone(),
            upload_url: url,
            method: "PUT",
            content_type: ct,
            expires_at: state.clock.now() + ttl,
            import: record,
        }),
    ))
}

/// `POST /api/campaigns/{id}/imports/{import_id}/run`: the manual
/// re-trigger. Runs an import awaiting its run (a lost event) or a failed
/// one (after a fix, e.g. a new file PUT to the same link) within the
/// request; 409 when it already completed, is running, or has no file yet.
/// Query options (region, dedup) override the ones chosen with the link.
pub async fn run_uploaded(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath((id, import_id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
) -> Result<Json<ImportRecord>, ApiError> {
    let campaign = CampaignId::new(id);
    let options = if q.sets_options() {
        Some(import_options(&state, &q)?)
    } else {
        None
    };
    let outcome = state
        .uploaded_imports()
        .run(
            &campaign,
            &import_id,
            Trigger::Manual,
            options,
            &who.actor(),
        )
        .await?;
    match outcome {
        RunOutcome::Ran(record) => Ok(Json(answer(record)?)),
        RunOutcome::Unknown => Err(ApiError::not_found(format!("import {import_id} not found"))),
        RunOutcome::AlreadyDone(_) => Err(ApiError::conflict(
            "import_already_run",
            format!("import {import_id} has already run"),
        )),
        RunOutcome::InProgress(record) => Err(ApiError::conflict(
            "import_in_progress",
            format!("import {import_id} is being imported"),
        )
        .with_details(serde_json::json!({ "lease_until": record.lease_until }))),
        RunOutcome::NotUploaded(record) if record.file_key.is_none() => Err(ApiError::conflict(
            "import_not_uploaded",
            "this import has no upload",
        )),
        RunOutcome::NotUploaded(_) => Err(ApiError::conflict(
            "upload_missing",
            format!("nothing was uploaded for import {import_id} yet"),
        )),
    }
}

/// `GET /api/campaigns/{id}/imports/{import_id}`: the poll.
pub async fn get_import(
    State(state): AppState,
    _who: Managers,
    ApiPath((id, import_id)): ApiPath<(String, String)>,
) -> Result<Json<ImportRecord>, ApiError> {
    Ok(Json(load(&state, &CampaignId::new(id), &import_id).await?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    pub status: Option<ContactStatus>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// `GET /api/campaigns/{id}/contacts`: by contact id; `status` filters each
/// page, so a page may hold fewer than `limit` (follow `next_cursor`).
pub async fn list(
    State(state): AppState,
    _who: Managers,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> Result<Json<ListResponse<Contact>>, ApiError> {
    let paging = Paging::new(q.limit, q.cursor)?;
    let campaign = CampaignId::new(id);
    load_campaign(&*state.campaigns, &campaign).await?;
    let page = state
        .contacts
        .list(
            &campaign,
            PageRequest {
                cursor: paging.cursor,
                limit: paging.limit,
            },
        )
        .await?;
    let items = page
        .items
        .into_iter()
        .filter(|c| q.status.is_none_or(|s| c.status == s))
        .collect();
    Ok(Json(ListResponse {
        items,
        next_cursor: page.next,
    }))
}

pub async fn get(
    State(state): AppState,
    _who: Managers,
    ApiPath((id, contact_id)): ApiPath<(String, String)>,
) -> Result<Json<Contact>, ApiError> {
    let campaign = CampaignId::new(id);
    load_campaign(&*state.campaigns, &campaign).await?;
    state
        .contacts
        .get(&campaign, &ContactId::new(contact_id.clone()))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("contact {contact_id} not found")))
}
