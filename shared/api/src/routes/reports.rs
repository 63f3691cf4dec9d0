//! Reports: build a campaign's report (CSV, XLSX or PDF) from its stored
//! rows, store it in the reports bucket, answer a time-limited link; read a
//! report's link again, or its bytes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::ids::CampaignId;
use campaign_core::metrics::{OutcomeCounts, Rates};
use campaign_core::usecases::load_campaign;

use super::audit;
use crate::auth::{Allowed, Readers};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
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
