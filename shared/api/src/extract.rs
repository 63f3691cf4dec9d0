//! Request extractors that fail with [`ApiError`]s in the API's shape:
//! - [`ApiJson`]: `application/json` bodies (415 otherwise, 413 over the
//!   route's limit, 400 for malformed JSON, 422 with the failing field's
//!   path for a well-formed body of the wrong shape);
//! - [`ApiQuery`], [`ApiPath`]: 400 with the parameter's message;
//! - [`FileBody`]: a raw file upload with its content type.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;

fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("the request body is larger than this route accepts")
    } else {
        ApiError::bad_request("unreadable_body", "the request body could not be read")
    }
}

/// The media type of a request, lower case, without parameters.
pub fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// Decodes JSON, naming the path of the field that failed.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::bad_request("malformed_json", format!("malformed JSON: {inner}"))
            }
            _ => {
                let field = if path == "." { None } else { Some(path) };
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    match &field {
                        Some(f) => format!("{f}: {inner}"),
                        None => inner.to_string(),
                    },
                )
                .with_details(
                    json!({ "fields": [{ "field": field, "message": inner.to_string() }] }),
                )
            }
        }
    })
}

/// A JSON request body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match media_type(req.headers()).as_deref() {
            Some("application/json") => {}
            Some(other) => {
                return Err(ApiError::unsupported_media(format!(
                    "expected application/json, got {other}"
                )));
            }
            None => {
                return Err(ApiError::unsupported_media(
                    "expected a Content-Type: application/json body",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// Query parameters.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Path parameters.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// A file sent as the raw request body.
#[derive(Debug, Clone)]
pub struct FileBody {
    pub media_type: Option<String>,
    pub bytes: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for FileBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media_type = media_type(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        Ok(FileBody { media_type, bytes })
    }
}
