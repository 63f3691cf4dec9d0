//! The one error shape every route answers with:
//! `{"error": {"code": "...", "message": "...", "details": ...}}`.
//!
//! `code` is stable and machine-readable; `message` is for people;
//! `details` (optional) carries field errors with their paths, CSV row
//! numbers, or the lifecycle move that was refused. Server-side failures
//! (5xx) are logged in full and answered with a short message: nothing from
//! a Rust `Debug` dump or an adapter's error text reaches a client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use campaign_core::import::ImportError;
use campaign_core::ports::PortError;
use campaign_core::usecases::UseCaseError;
use campaign_core::usecases::call_manager::CallManagerError;
use campaign_core::usecases::campaign_edit::EditError;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }
    /// 422 with one `{field, message}` per problem.
    pub fn validation(problems: &[String]) -> Self {
        let details: Vec<Value> = problems.iter().map(|p| field_error(p)).collect();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            problems.join("; "),
        )
        .with_details(json!({ "fields": details }))
    }
    /// 500; `internal` is logged, never sent.
    pub fn internal(internal: impl std::fmt::Display) -> Self {
        tracing::error!(error = %internal, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; the server log has the details",
        )
    }
    /// 503: a dependency is throttling or down; the client may retry.
    pub fn unavailable(internal: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %internal, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "a dependency is temporarily unavailable; retry shortly",
        )
    }
}

/// `"pace: calls_per_second must be at least 1"` → `{field: "pace", message: "..."}`
/// (the core writes its problems as `field: message`).
fn field_error(problem: &str) -> Value {
    match problem.split_once(": ") {
        Some((field, message)) if !field.contains(' ') => {
            json!({ "field": field, "message": message })
        }
        _ => json!({ "field": null, "message": problem }),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                details: self.details.as_ref(),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<PortError> for ApiError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::NotFound(m) => ApiError::not_found(m),
            PortError::Conflict(m) => ApiError::conflict("conflict", m),
            PortError::Invalid(m) => ApiError::bad_request("bad_request", m),
            PortError::Unavailable(m) => ApiError::unavailable(m),
            PortError::Other(m) => ApiError::internal(m),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        let err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_failed",
            e.to_string(),
        );
        match e {
            ImportError::Csv { line, .. } => err.with_details(json!({ "line": line })),
            ImportError::NoPhoneColumn { headers } => {
                err.with_details(json!({ "headers": headers }))
            }
            _ => err,
        }
    }
}

impl From<UseCaseError> for ApiError {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::NotFound { what, id } => {
                ApiError::not_found(format!("{what} {id} not found"))
            }
            UseCaseError::Lifecycle(l) => {
                ApiError::conflict("illegal_lifecycle_move", l.to_string())
                    .with_details(json!({ "from": l.from, "action": l.action }))
            }
            UseCaseError::Invalid(problems) => ApiError::validation(&problems),
            UseCaseError::Import(i) => i.into(),
            UseCaseError::Port(p) => p.into(),
        }
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Locked { status, ref fields } => {
                let fields = fields.clone();
                ApiError::conflict("field_locked", e.to_string())
                    .with_details(json!({ "status": status, "fields": fields }))
            }
            EditError::VersionMismatch {
                expected, found, ..
            } => ApiError::conflict("version_mismatch", e.to_string())
                .with_details(json!({ "expected": expected, "found": found })),
            EditError::UseCase(u) => u.into(),
        }
    }
}

impl From<CallManagerError> for ApiError {
    fn from(e: CallManagerError) -> Self {
        match e {
            CallManagerError::Invalid { code, message } => ApiError::bad_request(code, message),
            CallManagerError::NotFound { what, id } => {
                ApiError::not_found(format!("{what} {id} not found"))
            }
            CallManagerError::Duplicate(m) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "duplicate_call", m)
            }
            CallManagerError::Port(p) => p.into(),
            CallManagerError::UseCase(u) => u.into(),
        }
    }
}
