//! From a campaign's audio reference to an ARI `media` URI.
//!
//! - `sound:`, `recording:`, `tone:`, `digits:`, `number:`, `characters:`
//!   are ARI media URIs already and pass unchanged;
//! - `http://` / `https://` pass unchanged (Asterisk fetches and caches the
//!   file itself, `res_http_media_cache`);
//! - `s3://bucket/key` (the synthesized TTS audio) becomes a presigned
//!   HTTPS link when an S3 client is configured ([`S3Media`]);
//! - a bare name (`thanks`) is a sound file: `sound:thanks`.

use std::sync::Arc;

use async_trait::async_trait;
use campaign_core::ports::ObjectStore;

const ARI_SCHEMES: [&str; 6] = [
    "sound:",
    "recording:",
    "tone:",
    "digits:",
    "number:",
    "characters:",
];

#[async_trait]
pub trait MediaResolver: Send + Sync {
    /// The media URI to play, or why it cannot be played.
    async fn media_uri(&self, audio: &str) -> Result<String, String>;
}

/// The URI for everything but `s3://` (which it refuses).
pub fn plain_media_uri(audio: &str) -> Result<String, String> {
    let audio = audio.trim();
    if audio.is_empty() {
        return Err("empty audio reference".into());
    }
    if ARI_SCHEMES.iter().any(|s| audio.starts_with(s))
        || audio.starts_with("https://")
        || audio.starts_with("http://")
    {
        return Ok(audio.to_owned());
    }
    if audio.contains("://") {
        return Err(format!("cannot play {audio}: unsupported scheme"));
    }
    Ok(format!("sound:{audio}"))
}

/// [`plain_media_uri`] only.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainMedia;

#[async_trait]
impl MediaResolver for PlainMedia {
    async fn media_uri(&self, audio: &str) -> Result<String, String> {
        plain_media_uri(audio)
    }
}

/// Gives the object store of a bucket.
pub type StoreForBucket = Arc<dyn Fn(&str) -> Arc<dyn ObjectStore> + Send + Sync>;

/// Presigns `s3://` references (links valid for an hour) through an
/// [`ObjectStore`] per bucket; everything else as [`PlainMedia`].
pub struct S3Media {
    store_for: StoreForBucket,
}

impl S3Media {
    pub fn new(store_for: StoreForBucket) -> Self {
        Self { store_for }
    }
}

#[async_trait]
impl MediaResolver for S3Media {
    async fn media_uri(&self, audio: &str) -> Result<String, String> {
        let Some(rest) = audio.trim().strip_prefix("s3://") else {
            return plain_media_uri(audio);
        };
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| format!("{audio}: no key"))?;
        (self.store_for)(bucket)
            .presign_get(key, chrono::Duration::hours(1))
            .await
            .map_err(|e| format!("{audio}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_audio_references_to_media_uris() {
        assert_eq!(plain_media_uri("sound:hello").unwrap(), "sound:hello");
        assert_eq!(
            plain_media_uri("https://cdn.example.org/a.wav").unwrap(),
            "https://cdn.example.org/a.wav"
        );
        assert_eq!(plain_media_uri("thanks").unwrap(), "sound:thanks");
        assert!(plain_media_uri("s3://bucket/key.wav").is_err());
        assert!(plain_media_uri(" ").is_err());
    }
}
