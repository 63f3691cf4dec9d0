//! Contacts: a CSV/XLSX file sent directly (small files) or through a
//! presigned upload (large ones), each import with a summary kept under an
//! import id (`imports/<campaign>/<import id>.json` in the uploads store);
//! listing and reading contacts.
//!
//! The presigned path: `POST .../contact-uploads` answers an upload link and
//! an import id (status `awaiting_upload`); the client PUTs the file there,
//! then `POST .../imports/{import_id}/run` imports it and
//! `GET .../imports/{import_id}` shows the result.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::import::{DedupRule, FileFormat, ImportOptions, ImportSummary, InvalidRow};
use campaign_core::phone::PhoneParser;
use campaign_core::ports::PageRequest;
use campaign_core::usecases::load_campaign;

use super::{ListResponse, Paging, audit};
use crate::auth::{Allowed, Managers, Principal};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, FileBody};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Most row errors kept in an import's record (the summary counts them all).
pub const MAX_ERRORS_KEPT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    AwaitingUpload,
    Completed,
    Failed,
}

/// An import and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub import_id: String,
    pub campaign_id: CampaignId,
    pub status: ImportStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub finished_at: Option<DateTime<Utc>>,
    /// Where a presigned upload puts the file.
    pub file_key: Option<String>,
    pub content_type: Option<String>,
    pub summary: Option<ImportSummary>,
    /// Contacts new to the campaign.
    pub stored: Option<usize>,
    /// Imported numbers already on the do-not-call list.
    pub blacklisted: Option<usize>,
    /// Rejected rows with their row numbers (the header is row 1).
    pub errors: Vec<InvalidRow>,
    pub errors_truncated: bool,
    /// Why the whole file failed, in the API's error shape.
    pub failure: Option<serde_json::Value>,
}

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

pub fn import_options(state: &ApiState, q: &ImportQuery) -> Result<ImportOptions, ApiError> {
    let region = q.region.as_deref().unwrap_or(&state.config.phone_region);
    let parser =
        PhoneParser::new(region).map_err(|e| ApiError::validation(&[format!("region: {e}")]))?;
    let dedup = match q.dedup.unwrap_or_default() {
        DedupParam::KeepFirst => DedupRule::KeepFirst,
        DedupParam::KeepLast => DedupRule::KeepLast,
        DedupParam::Merge => DedupRule::Merge {
            priority_fields: q
                .priority_fields
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        },
    };
    Ok(ImportOptions { parser, dedup })
}

/// CSV or XLSX from the media type (or, for a generic one, the file name
/// and content); 415 for anything else.
pub fn file_format(
    media_type: Option<&str>,
    file_name: Option<&str>,
    bytes: &[u8],
) -> Result<FileFormat, ApiError> {
    match media_type {
        Some("text/csv" | "application/csv" | "text/plain" | "text/tab-separated-values") => {
            Ok(FileFormat::Csv)
        }
        Some(XLSX_TYPE) => Ok(FileFormat::Xlsx),
        Some("application/octet-stream") | None => FileFormat::detect(file_name, bytes)
            .ok_or_else(|| ApiError::unsupported_media("the file is neither CSV nor XLSX")),
        Some(other) => Err(ApiError::unsupported_media(format!(
            "expected text/csv or {XLSX_TYPE}, got {other}"
        ))),
    }
}

fn record_key(campaign: &CampaignId, import_id: &str) -> String {
    format!("imports/{campaign}/{import_id}.json")
}

async fn save(state: &ApiState, record: &ImportRecord) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(record).map_err(ApiError::internal)?;
    state
        .uploads
        .put(
            &record_key(&record.campaign_id, &record.import_id),
            bytes,
            "application/json",
        )
        .await?;
    Ok(())
}

async fn load(
    state: &ApiState,
    campaign: &CampaignId,
    import_id: &str,
) -> Result<ImportRecord, ApiError> {
    if !valid_id(import_id) {
        return Err(ApiError::not_found(format!("import {import_id} not found")));
    }
    let bytes = state
        .uploads
        .get(&record_key(campaign, import_id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("import {import_id} not found")))?;
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}

/// Ids we issue are `imp-…` of letters, digits and dashes.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Runs an import into `record` (completed or failed, saved either way).
/// A file that cannot be imported as a whole is answered as its error, with
/// the import id in the details.
async fn run_import(
    state: &ApiState,
    who: &Principal,
    record: &mut ImportRecord,
    bytes: &[u8],
    format: FileFormat,
    options: &ImportOptions,
) -> Result<(), ApiError> {
    let result = state
        .import_contacts()
        .run(&record.campaign_id, bytes, format, options)
        .await;
    record.finished_at = Some(state.clock.now());
    match result {
        Ok(out) => {
            record.status = ImportStatus::Completed;
            record.summary = Some(out.report.summary);
            record.stored = Some(out.stored);
            record.blacklisted = Some(out.blacklisted);
            record.errors_truncated = out.report.errors.len() > MAX_ERRORS_KEPT;
            record.errors = out
                .report
                .errors
                .into_iter()
                .take(MAX_ERRORS_KEPT)
                .collect();
        }
        Err(campaign_core::usecases::UseCaseError::Import(e)) => {
            let err = ApiError::from(e);
            record.status = ImportStatus::Failed;
            record.failure = Some(serde_json::json!({
                "code": err.code, "message": err.message, "details": err.details,
            }));
        }
        Err(e) => return Err(e.into()),
    }
    save(state, record).await?;
    audit(
        state,
        who,
        "contacts.import",
        format!("campaign/{}", record.campaign_id),
        record,
    )
    .await?;
    match &record.failure {
        None => Ok(()),
        Some(f) => {
            let mut details = f.get("details").cloned().unwrap_or(serde_json::json!({}));
            if let Some(map) = details.as_object_mut() {
                map.insert("import_id".into(), record.import_id.clone().into());
            } else {
                details = serde_json::json!({ "import_id": record.import_id });
            }
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_failed",
                f.get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("import failed"),
            )
            .with_details(details))
        }
    }
}

fn new_record(state: &ApiState, who: &Principal, campaign: &CampaignId) -> ImportRecord {
    ImportRecord {
        import_id: state.ids.next_id("imp"),
        campaign_id: campaign.clone(),
        status: ImportStatus::AwaitingUpload,
        created_at: state.clock.now(),
        created_by: who.actor(),
        finished_at: None,
        file_key: None,
        content_type: None,
        summary: None,
        stored: None,
        blacklisted: None,
        errors: Vec::new(),
        errors_truncated: false,
        failure: None,
    }
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
    load_campaign(&*state.campaigns, &campaign).await?;
    let mut record = new_record(&state, &who, &campaign);
    record.content_type = body.media_type.clone();
    run_import(&state, &who, &mut record, &body.bytes, format, &options).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub file_name: String,
    pub content_type: String,
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
    let c = load_campaign(&*state.campaigns, &campaign).await?;
    if c.status.is_finished() {
        return Err(ApiError::conflict(
            "campaign_finished",
            format!(
                "contacts cannot be added to a campaign that is {}",
                c.status
            ),
        ));
    }
    let mut record = new_record(&state, &who, &campaign);
    let key = format!("uploads/{campaign}/{}.{ext}", record.import_id);
    let ttl = state.config.upload_link_ttl;
    let url = state.upload_links.presign_put(&key, &ct, ttl).await?;
    record.file_key = Some(key);
    record.content_type = Some(ct.clone());
    save(&state, &record).await?;
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

/// `POST /api/campaigns/{id}/imports/{import_id}/run`.
pub async fn run_uploaded(
    State(state): AppState,
    Allowed(who): Managers,
    ApiPath((id, import_id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
) -> Result<Json<ImportRecord>, ApiError> {
    let campaign = CampaignId::new(id);
    let mut record = load(&state, &campaign, &import_id).await?;
    if record.status != ImportStatus::AwaitingUpload {
        return Err(ApiError::conflict(
            "import_already_run",
            format!("import {import_id} has already run"),
        ));
    }
    let key = record
        .file_key
        .clone()
        .ok_or_else(|| ApiError::conflict("import_not_uploaded", "this import has no upload"))?;
    let bytes = state.uploads.get(&key).await?.ok_or_else(|| {
        ApiError::conflict(
            "upload_missing",
            format!("nothing was uploaded for import {import_id} yet"),
        )
    })?;
    let format = file_format(record.content_type.as_deref(), Some(&key), &bytes)?;
    let options = import_options(&state, &q)?;
    run_import(&state, &who, &mut record, &bytes, format, &options).await?;
    Ok(Json(record))
}

/// `GET /api/campaigns/{id}/imports/{import_id}`.
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
