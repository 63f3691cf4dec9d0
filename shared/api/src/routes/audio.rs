//! Audio messages: a presigned upload link (MP3 or WAV, at most 10 MB, the
//! type checked before a link is given) and the list of uploaded files, each
//! with a link to play it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use campaign_core::ports::{ObjectInfo, PageRequest};

use super::{ListResponse, Paging, audit};
use crate::auth::{Allowed, Managers};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::ApiState;

type AppState = State<Arc<ApiState>>;

/// The largest audio file accepted.
pub const MAX_AUDIO_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioUploadRequest {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AudioUploadLink {
    pub key: String,
    pub upload_url: String,
    pub method: &'static str,
    pub content_type: String,
    pub expires_at: DateTime<Utc>,
    /// What to put in a campaign's `settings.audio`.
    pub audio: String,
}

/// The extension for an accepted type, checked against the file name's.
fn audio_ext(content_type: &str, file_name: &str) -> Result<&'static str, ApiError> {
    let ext = match content_type {
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        other => {
            return Err(ApiError::unsupported_media(format!(
                "content_type: expected audio/mpeg (MP3) or audio/wav (WAV), got {other}"
            )));
        }
    };
    let named = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match named.as_deref() {
        Some(e) if e == ext || (ext == "wav" && e == "wave") => Ok(ext),
        _ => Err(ApiError::unsupported_media(format!(
            "file_name: a {content_type} file should end in .{ext}"
        ))),
    }
}

/// Letters, digits, `-`, `_` and `.` from the file's stem, for the key.
fn safe_stem(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    if s.trim_matches('-').is_empty() {
        "audio".into()
    } else {
        s
    }
}

/// `POST /api/audio/uploads`.
pub async fn upload_link(
    State(state): AppState,
    Allowed(who): Managers,
    ApiJson(req): ApiJson<AudioUploadRequest>,
) -> Result<(StatusCode, Json<AudioUploadLink>), ApiError> {
    let ct = req.content_type.trim().to_ascii_lowercase();
    let ext = audio_ext(&ct, req.file_name.trim())?;
    if req.size_bytes == 0 {
        return Err(ApiError::validation(&[
            "size_bytes: the file is empty".into()
        ]));
    }
    if req.size_bytes > MAX_AUDIO_BYTES {
        return Err(ApiError::too_large(format!(
            "size_bytes: audio files may be at most {MAX_AUDIO_BYTES} bytes (10 MB)"
        )));
    }
    let id = state.ids.next_id("aud");
    let key = format!("audio/{id}-{}.{ext}", safe_stem(req.file_name.trim()));
    let ttl = state.config.upload_link_ttl;
    let url = state.audio.presign_put(&key, &ct, ttl).await?;
    let link = AudioUploadLink {
        audio: format!("{}{key}", state.config.audio_location_prefix),
        key,
        upload_url: url,
        method: "PUT",
        content_type: ct,
        expires_at: state.clock.now() + ttl,
    };
    audit(
        &state,
        &who,
        "audio.upload_link",
        format!("audio/{}", link.key),
        &serde_json::json!({
            "key": link.key, "content_type": link.content_type, "size_bytes": req.size_bytes,
        }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioQuery {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AudioFile {
    #[serde(flatten)]
    pub object: ObjectInfo,
    pub audio: String,
    /// A link a browser can GET to play the file (presigned on AWS), valid
    /// for `audio_play_ttl`.
    pub play_url: String,
}

/// `GET /api/audio`.
pub async fn list(
    State(state): AppState,
    _who: Managers,
    ApiQuery(q): ApiQuery<AudioQuery>,
) -> Result<Json<ListResponse<AudioFile>>, ApiError> {
    let paging = Paging::new(q.limit, q.cursor)?;
    let page = state
        .audio
        .list(
            "audio/",
            PageRequest {
                cursor: paging.cursor,
                limit: paging.limit,
            },
        )
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for o in page.items {
        items.push(AudioFile {
            audio: format!("{}{}", state.config.audio_location_prefix, o.key),
            play_url: state
                .audio_files
                .presign_get(&o.key, state.config.audio_play_ttl)
                .await?,
            object: o,
        });
    }
    Ok(Json(ListResponse {
        items,
        next_cursor: page.next,
    }))
}
