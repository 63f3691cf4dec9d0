//! The do-not-call list: add numbers (managers and administrators), remove,
//! import a file, export CSV, look up a number with its history
//! (administrators). Adds take effect in every running campaign at once.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use campaign_core::blacklist::BlacklistSource;
use campaign_core::phone::PhoneNumber;
use campaign_core::usecases::blacklist_admin::BlacklistLookup;

use super::contacts::{ImportQuery, file_format};
use crate::auth::{AdminOnly, Allowed, Managers};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, FileBody};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

/// Most numbers one add request may carry (bigger lists: import a file).
pub const MAX_NUMBERS_PER_ADD: usize = 1000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddRequest {
    pub phone_numbers: Vec<String>,
    pub reason: Option<String>,
    /// `admin_import` (default) or `compliance`.
    pub source: Option<BlacklistSource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddedNumber {
    pub phone_number: PhoneNumber,
    pub newly_listed: bool,
    pub contacts_blocked: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddResponse {
    pub added: Vec<AddedNumber>,
}

/// `POST /api/blacklist`: every number is checked first; one bad number
/// fails the request and lists nothing (no partial writes).
pub async fn add(
    State(state): AppState,
    Allowed(who): Managers,
    ApiJson(req): ApiJson<AddRequest>,
) -> Result<(StatusCode, Json<AddResponse>), ApiError> {
    if req.phone_numbers.is_empty() {
        return Err(ApiError::validation(&[
            "phone_numbers: give at least one number".into(),
        ]));
    }
    if req.phone_numbers.len() > MAX_NUMBERS_PER_ADD {
        return Err(ApiError::validation(&[format!(
            "phone_numbers: at most {MAX_NUMBERS_PER_ADD} per request; import a file for more"
        )]));
    }
    let source = req.source.unwrap_or(BlacklistSource::AdminImport);
    if source == BlacklistSource::UserOptout {
        return Err(ApiError::validation(&[
            "source: user_optout is recorded by the IVR, not added by hand".into(),
        ]));
    }
    let mut phones = Vec::with_capacity(req.phone_numbers.len());
    let mut problems = Vec::new();
    for (i, raw) in req.phone_numbers.iter().enumerate() {
        match state.parser.parse(raw) {
            Ok(p) => phones.push(p.number),
            Err(e) => problems.push(format!("phone_numbers[{i}]: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let reason = req.reason.unwrap_or_else(|| "added by hand".into());
    let mut added = Vec::with_capacity(phones.len());
    for phone in phones {
        let out = state
            .blacklisting()
            .add(phone.clone(), &reason, source, &who.actor())
            .await?;
        added.push(AddedNumber {
            phone_number: phone,
            newly_listed: out.newly_listed,
            contacts_blocked: out.contacts_blocked,
        });
    }
    Ok((StatusCode::CREATED, Json(AddResponse { added })))
}

fn parse_phone(state: &ApiState, raw: &str) -> Result<PhoneNumber, ApiError> {
    state
        .parser
        .parse(raw)
        .map(|p| p.number)
        .map_err(|e| ApiError::validation(&[format!("phone: {e}")]))
}

/// `DELETE /api/blacklist/{phone}`: 204, or 404 when it was not listed.
pub async fn remove(
    State(state): AppState,
    Allowed(who): AdminOnly,
    ApiPath(phone): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let phone = parse_phone(&state, &phone)?;
    if state.blacklisting().remove(&phone, &who.actor()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "the number is not on the do-not-call list",
        ))
    }
}

/// `GET /api/blacklist/{phone}`: listed or not, with the history.
pub async fn lookup(
    State(state): AppState,
    _who: AdminOnly,
    ApiPath(phone): ApiPath<String>,
) -> Result<Json<BlacklistLookup>, ApiError> {
    let phone = parse_phone(&state, &phone)?;
    Ok(Json(state.blacklist_admin().lookup(&phone).await?))
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BlacklistImportQuery {
    pub region: Option<String>,
    pub reason: Option<String>,
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BlacklistImportResponse {
    pub summary: campaign_core::import::ImportSummary,
    pub errors: Vec<campaign_core::import::InvalidRow>,
    pub newly_listed: usize,
    pub contacts_blocked: u32,
}

/// `POST /api/blacklist/imports`: a CSV/XLSX file of numbers as the body.
pub async fn import(
    State(state): AppState,
    Allowed(who): AdminOnly,
    ApiQuery(q): ApiQuery<BlacklistImportQuery>,
    body: FileBody,
) -> Result<(StatusCode, Json<BlacklistImportResponse>), ApiError> {
    if body.bytes.is_empty() {
        return Err(ApiError::validation(&["body: the file is empty".into()]));
    }
    let format = file_format(
        body.media_type.as_deref(),
        q.file_name.as_deref(),
        &body.bytes,
    )?;
    let options = super::contacts::import_options(
        &state,
        &ImportQuery {
            region: q.region.clone(),
            ..ImportQuery::default()
        },
    )?;
    let reason = q.reason.unwrap_or_else(|| "imported list".into());
    let out = state
        .blacklisting()
        .import(&body.bytes, format, &options, &reason, &who.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(BlacklistImportResponse {
            summary: out.report.summary,
            errors: out.report.errors,
            newly_listed: out.newly_listed,
            contacts_blocked: out.contacts_blocked,
        }),
    ))
}

/// `GET /api/blacklist/export`: the current list as CSV.
pub async fn export(State(state): AppState, _who: AdminOnly) -> Result<Response, ApiError> {
    let (csv, rows) = state.blacklist_admin().export_csv().await?;
    let mut response = (StatusCode::OK, csv).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"blacklist.csv\""),
    );
    if let Ok(v) = HeaderValue::from_str(&rows.to_string()) {
        h.insert("x-row-count", v);
    }
    Ok(response)
}
