//! Reports: build a campaign's report (CSV, XLSX or PDF) from its stored
//! rows, store it in the reports bucket, answer a time-limited link; read a
//! report's link again, or its bytes; list a campaign's reports (those made
//! through the API and by `report-generator`), newest first.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::ids::CampaignId;
use campaign_core::metrics::{OutcomeCounts, Rates};
use campaign_core::ports::PageRequest;
use campaign_core::usecases::load_campaign;

use super::audit;
use crate::auth::{Allowed, Readers};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl ReportFormat {
    pub fn ext(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => super::contacts::XLSX_TYPE,
            ReportFormat::Pdf => "application/pdf",
        }
    }

    fn from_ext(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(ReportFormat::Csv),
            "xlsx" => Some(ReportFormat::Xlsx),
            "pdf" => Some(ReportFormat::Pdf),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportLink {
    pub report_id: String,
    pub campaign_id: CampaignId,
    pub format: ReportFormat,
    pub status: &'static str,
    pub url: String,
    pub expires_at: DateTime<Utc>,
    /// `GET` this path (with the same token) for the file itself.
    pub download_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<OutcomeCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
}

fn key_of(campaign: &CampaignId, report_id: &str) -> String {
    format!("reports/{campaign}/{report_id}")
}

/// `20260302T080000Z.csv`: a time stamp and a known extension.
fn parse_report_id(id: &str) -> Option<ReportFormat> {
    let (stamp, ext) = id.rsplit_once('.')?;
    let ok = stamp.len() == 16
        && stamp
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'T' || b == b'Z');
    if ok {
        ReportFormat::from_ext(ext)
    } else {
        None
    }
}

/// `POST /api/campaigns/{id}/reports`.
pub async fn create(
    State(state): AppState,
    Allowed(who): Readers,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportLink>), ApiError> {
    let id = CampaignId::new(id);
    let report = state.report().collect(&id).await?;
    let bytes = match req.format {
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Xlsx => campaign_reports::to_xlsx(&report).map_err(ApiError::internal)?,
        ReportFormat::Pdf => campaign_reports::to_pdf(&report),
    };
    let report_id = format!(
        "{}.{}",
        report.generated_at.format("%Y%m%dT%H%M%SZ"),
        req.format.ext()
    );
    let key = key_of(&id, &report_id);
    let size = bytes.len();
    state
        .reports
        .put(&key, bytes, req.format.content_type())
        .await?;
    let ttl = state.config.report_link_ttl;
    let url = state.reports.presign_get(&key, ttl).await?;
    audit(
        &state,
        &who,
        "report.create",
        format!("campaign/{id}"),
        &serde_json::json!({
            "key": key, "format": req.format, "size_bytes": size,
            "counts": report.counts,
        }),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReportLink {
            download_path: format!("/api/campaigns/{id}/reports/{report_id}/download"),
            report_id,
            campaign_id: id,
            format: req.format,
            status: "ready",
            url,
            expires_at: report.generated_at + ttl,
            counts: Some(report.counts),
            rates: Some(report.rates),
        }),
    ))
}

async fn stored(
    state: &ApiState,
    id: &CampaignId,
    report_id: &str,
) -> Result<(ReportFormat, Vec<u8>), ApiError> {
    let not_found = || ApiError::not_found(format!("report {report_id} not found"));
    let format = parse_report_id(report_id).ok_or_else(not_found)?;
    load_campaign(&*state.campaigns, id).await?;
    let bytes = state
        .reports
        .get(&key_of(id, report_id))
        .await?
        .ok_or_else(not_found)?;
    Ok((format, bytes))
}

/// `GET /api/campaigns/{id}/reports/{report_id}`: a fresh link.
pub async fn get(
    State(state): AppState,
    _who: Readers,
    ApiPath((id, report_id)): ApiPath<(String, String)>,
) -> Result<Json<ReportLink>, ApiError> {
    let id = CampaignId::new(id);
    let (format, _) = stored(&state, &id, &report_id).await?;
    let ttl = state.config.report_link_ttl;
    let url = state
        .reports
        .presign_get(&key_of(&id, &report_id), ttl)
        .await?;
    Ok(Json(ReportLink {
        download_path: format!("/api/campaigns/{id}/reports/{report_id}/download"),
        report_id,
        campaign_id: id,
        format,
        status: "ready",
        url,
        expires_at: state.clock.now() + ttl,
        counts: None,
        rates: None,
    }))
}

/// `GET /api/campaigns/{id}/reports/{report_id}/download`: the file.
pub async fn download(
    State(state): AppState,
    _who: Readers,
    ApiPath((id, report_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let id = CampaignId::new(id);
    let (format, bytes) = stored(&state, &id, &report_id).await?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}-{report_id}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// When a report was made, from its id's time stamp.
fn created_at(report_id: &str) -> Option<DateTime<Utc>> {
    let stamp = report_id.split('.').next()?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// `YYYY-MM-DD` (UTC), inclusive: reports made on or after this day.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<NaiveDate>,
}

/// One report of a campaign's list.
#[derive(Debug, Clone, Serialize)]
pub struct ReportItem {
    pub report_id: String,
    pub campaign_id: CampaignId,
    pub format: ReportFormat,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub size_bytes: u64,
    /// `GET` this path (with the same token) for the file itself.
    pub download_path: String,
    /// The counts the report was built from (known for reports made
    /// through this API; absent for scheduled ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<OutcomeCounts>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportList {
    pub items: Vec<ReportItem>,
}

/// Most stored objects one listing reads (a campaign's reports are few;
/// this only bounds a runaway prefix).
const MAX_LISTED: usize = 5_000;

/// `GET /api/campaigns/{id}/reports[?from=&to=]`: newest first.
pub async fn list(
    State(state): AppState,
    _who: Readers,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReportsQuery>,
) -> Result<Json<ReportList>, ApiError> {
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to < from
    {
        return Err(ApiError::validation(
            &["to: must not be before from".into()],
        ));
    }
    let id = CampaignId::new(id);
    load_campaign(&*state.campaigns, &id).await?;
    let prefix = format!("reports/{id}/");
    let mut objects = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let p = state.report_index.list(&prefix, page.clone()).await?;
        objects.extend(p.items);
        match p.next {
            Some(next) if objects.len() < MAX_LISTED => page.cursor = Some(next),
            _ => break,
        }
    }
    // The counts of reports made here are in their audit records.
    let audit = state.audit.for_target(&format!("campaign/{id}")).await?;
    let counts_of = |key: &str| {
        audit
            .iter()
            .rev()
            .filter(|r| r.action == "report.create")
            .filter_map(|r| r.after.as_ref())
            .find(|after| after.get("key").and_then(|k| k.as_str()) == Some(key))
            .and_then(|after| after.get("counts"))
            .and_then(|c| serde_json::from_value::<OutcomeCounts>(c.clone()).ok())
    };
    let mut items: Vec<ReportItem> = objects
        .into_iter()
        .filter_map(|o| {
            let report_id = o.key.strip_prefix(&prefix)?.to_owned();
            let format = parse_report_id(&report_id)?;
            let created_at = created_at(&report_id)?;
            let day = created_at.date_naive();
            if q.from.is_some_and(|f| day < f) || q.to.is_some_and(|t| day > t) {
                return None;
            }
            Some(ReportItem {
                download_path: format!("/api/campaigns/{id}/reports/{report_id}/download"),
                counts: counts_of(&o.key),
                campaign_id: id.clone(),
                report_id,
                format,
                status: "ready",
                created_at,
                size_bytes: o.size_bytes,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.report_id.cmp(&a.report_id))
    });
    Ok(Json(ReportList { items }))
}
