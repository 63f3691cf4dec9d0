//! The call-manager API of `004_*`, field by field and code by code:
//!
//! - `POST /api/v1/initiate-call/` `{"phone_number", "campaign_id"}` →
//!   201 `{"call_id", "status": "INITIATED", "campaign_id", "phone_number",
//!   "created_at"}`; 429 for the same number and campaign within 5 minutes.
//! - `PUT /api/v1/callback/` `{"call_id", "status", "call_duration"}` with
//!   status `PICKED` / `DISCONNECTED` / `RNR` / `FAILED` → 200
//!   `{"message": "Callback processed", "retry_scheduled", "next_retry_at"}`.
//!
//! Both take `X-Auth-Token` (401 when missing or wrong); a bad body is 400,
//! an unknown campaign or call 404, a server failure 500 (503 when a
//! dependency is briefly down). `campaign_id` is answered as it was sent (a
//! number stays a number). Calls beyond the concurrency limit are queued,
//! never refused.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use campaign_core::ids::{CallId, CampaignId};
use campaign_core::outcome::CallManagerStatus;
use campaign_core::ports::{PortError, SecretVersion};

use crate::auth::token_matches;
use crate::error::ApiError;
use crate::extract::FileBody;
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

/// The header carrying the call-manager token.
pub const TOKEN_HEADER: &str = "x-auth-token";

/// The field of the token secret's JSON value that holds the token. The
/// secret is `{"token": "…"}` (other fields are kept and ignored), the one
/// format the rotation function (`infra/modules/secrets/rotation/
/// rotate_token.py`, `TOKEN_FIELD`) writes and this API reads.
pub const TOKEN_FIELD: &str = "token";

/// The secret's value for `token`, in the one format (see [`TOKEN_FIELD`]).
pub fn token_secret_string(token: &str) -> String {
    serde_json::json!({ TOKEN_FIELD: token }).to_string()
}

/// The token inside a secret value, or why the value is not one.
pub fn token_from_secret(value: &str) -> Result<String, &'static str> {
    let fields: serde_json::Map<String, Value> = serde_json::from_str(value.trim())
        .map_err(|_| "the token secret is not a JSON object {\"token\": \"…\"}")?;
    match fields.get(TOKEN_FIELD) {
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err("the token secret has no non-empty \"token\" field"),
    }
}

fn not_configured(why: &str) -> ApiError {
    tracing::error!(why, "call-manager token secret unusable");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "call_manager_token_not_configured",
        "the call-manager API has no token configured",
    )
}

/// A request that showed the call-manager token.
#[derive(Debug, Clone, Copy)]
pub struct CallManagerToken;

impl FromRequestParts<Arc<ApiState>> for CallManagerToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(given) = parts
            .headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
        else {
            return Err(ApiError::unauthorized("missing X-Auth-Token header"));
        };
        // During a rotation the previous token stays valid: callers pick up
        // the new one within the secrets cache's TTL.
        let secret = &state.config.call_manager_token_secret;
        let current = match state
            .secrets
            .get_version(secret, SecretVersion::Current)
            .await
        {
            Ok(Some(value)) => token_from_secret(&value).map_err(not_configured)?,
            Ok(None) | Err(PortError::NotFound(_)) => {
                return Err(not_configured("no current version"));
            }
            Err(e) => return Err(e.into()),
        };
        // Each comparison is constant-time; the previous version is fetched
        // only when the current one did not match.
        if token_matches(given, &current) {
            return Ok(CallManagerToken);
        }
        let previous = match state
            .secrets
            .get_version(secret, SecretVersion::Previous)
            .await
        {
            // A previous version in an older format simply matches nothing.
            Ok(p) => p.and_then(|v| token_from_secret(&v).ok()),
            Err(PortError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        match previous {
            Some(p) if token_matches(given, &p) => {}
            _ => return Err(ApiError::unauthorized("invalid X-Auth-Token")),
        }
        Ok(CallManagerToken)
    }
}

/// 004 answers a bad request with 400 (never 415 or 422).
fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn as_400(e: ApiError) -> ApiError {
    if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            ..e
        }
    } else {
        e
    }
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &FileBody) -> Result<T, ApiError> {
    if body.bytes.is_empty() {
        return Err(bad("the request body is empty; send a JSON object"));
    }
    crate::extract::decode_json(&body.bytes).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_request",
        ..e
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Fields are read as JSON values so each problem gets 004's 400 with a
/// message naming the field (a missing field reads as null).
#[derive(Debug, Clone, Deserialize)]
pub struct InitiateRequest {
    #[serde(default)]
    pub phone_number: Value,
    #[serde(default)]
    pub campaign_id: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitiateResponse {
    pub call_id: String,
    pub status: String,
    pub campaign_id: Value,
    pub phone_number: String,
    pub created_at: String,
}

/// The campaign id as sent: a positive integer or a non-empty string.
fn campaign_id_of(v: &Value) -> Result<CampaignId, ApiError> {
    match v {
        Value::Number(n) if n.as_u64().is_some() => Ok(CampaignId::new(n.to_string())),
        Value::String(s) if !s.trim().is_empty() && s.len() <= 128 => Ok(CampaignId::new(s.trim())),
        Value::Null => Err(bad("campaign_id: required")),
        _ => Err(bad(
            "campaign_id: expected a campaign id (integer or string)",
        )),
    }
}

/// `POST /api/v1/initiate-call/`.
pub async fn initiate(
    State(state): AppState,
    _token: CallManagerToken,
    body: FileBody,
) -> Result<(StatusCode, Json<InitiateResponse>), ApiError> {
    let req: InitiateRequest = json_body(&body)?;
    let phone = match &req.phone_number {
        Value::String(s) if !s.trim().is_empty() => s.clone(),
        Value::Null => return Err(bad("phone_number: required")),
        _ => {
            return Err(bad(
                "phone_number: expected a string such as \"+972501234567\"",
            ));
        }
    };
    let campaign_id = campaign_id_of(&req.campaign_id)?;
    let call = state
        .call_manager()
        .initiate(&campaign_id, &phone)
        .await
        .map_err(|e| as_400(e.into()))?;
    tracing::info!(
        call_id = %call.call_id,
        campaign_id = %call.campaign_id,
        phone = %call.phone_number.masked(),
        waiting = call.waiting,
        "call initiated"
    );
    Ok((
        StatusCode::CREATED,
        Json(InitiateResponse {
            call_id: call.call_id.to_string(),
            status: "INITIATED".into(),
            campaign_id: req.campaign_id,
            phone_number: call.phone_number.to_string(),
            created_at: time(call.created_at),
        }),
    ))
}

#[derive(Debug, Clone, Deserialize)]
pub struct CallbackRequest {
    #[serde(default)]
    pub call_id: Value,
    #[serde(default)]
    pub status: Value,
    #[serde(default)]
    pub call_duration: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackResponse {
    pub message: String,
    pub retry_scheduled: bool,
    pub next_retry_at: Option<String>,
}

/// `PUT /api/v1/callback/`.
pub async fn callback(
    State(state): AppState,
    _token: CallManagerToken,
    body: FileBody,
) -> Result<Json<CallbackResponse>, ApiError> {
    let req: CallbackRequest = json_body(&body)?;
    let call_id = match &req.call_id {
        Value::String(s) if !s.trim().is_empty() && s.len() <= 256 => CallId::new(s.trim()),
        Value::Null => return Err(bad("call_id: required")),
        _ => return Err(bad("call_id: expected the call_id initiate-call answered")),
    };
    let status: CallManagerStatus = match &req.status {
        Value::Null => return Err(bad("status: required")),
        v => serde_json::from_value(v.clone())
            .map_err(|_| bad("status: expected one of PICKED, DISCONNECTED, RNR, FAILED"))?,
    };
    let duration = match &req.call_duration {
        Value::Null => 0,
        Value::Number(n) => n
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| bad("call_duration: expected a whole number of seconds, 0 or more"))?,
        _ => return Err(bad("call_duration: expected a whole number of seconds")),
    };
    let result = state
        .call_manager()
        .callback(&call_id, status, duration)
        .await
        .map_err(|e| as_400(e.into()))?;
    Ok(Json(CallbackResponse {
        message: "Callback processed".into(),
        retry_scheduled: result.retry_scheduled,
        next_retry_at: result.next_retry_at.map(time),
    }))
}
