//! [`LocalUploads`]: presigned uploads and listings over an in-memory
//! object store, for `campaign serve`. A link is
//! `<base>/<key>?content_type=…&expires=<unix seconds>&signature=<hex>`,
//! signed with a per-process key; the server that owns the store checks the
//! signature and the time with [`LocalUploads::verify`] before it stores the
//! body (the same contract as an S3 presigned PUT). Read links
//! ([`ObjectStore::presign_get`], the console's audio playback) are
//! `<base>/<key>?expires=…&signature=…`, checked with
//! [`LocalUploads::verify_get`].

use std::sync::Arc;

use async_trait::async_trait;
use campaign_core::clock::Clock;
use campaign_core::ports::{
    ObjectInfo, ObjectStore, Page, PageRequest, PortError, PortResult, UploadStore,
};
use chrono::Duration;

use crate::providers::MemoryObjects;

pub struct LocalUploads {
    objects: Arc<MemoryObjects>,
    base_url: String,
    key: [u8; 32],
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LocalUploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalUploads")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// A keyed 64-bit digest (FNV-1a over key and message, then mixed): enough
/// to stop a local client from forging links; this is not a public service.
fn digest(key: &[u8], parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(key);
    for p in parts {
        eat(p.as_bytes());
        eat(&[0]);
    }
    eat(key);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    format!("{h:016x}")
}

impl LocalUploads {
    /// Links point at `base_url` (e.g. `http://127.0.0.1:8080/local-uploads`).
    pub fn new(
        objects: Arc<MemoryObjects>,
        base_url: impl Into<String>,
        key: [u8; 32],
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            objects,
            base_url: base_url.into(),
            key,
            clock,
        }
    }

    pub fn objects(&self) -> &Arc<MemoryObjects> {
        &self.objects
    }

    /// Whether a link's `signature` is ours for this key, content type and
    /// expiry, and the expiry has not passed.
    pub fn verify(&self, key: &str, content_type: &str, expires: i64, signature: &str) -> bool {
        let expected = digest(&self.key, &[key, content_type, &expires.to_string()]);
        expected == signature && self.clock.now().timestamp() <= expires
    }
}

impl LocalUploads {
    /// Whether a read link's `signature` is ours for this key and expiry,
    /// and the expiry has not passed. Read and upload links are signed over
    /// different fields, so neither passes for the other.
    pub fn verify_get(&self, key: &str, expires: i64, signature: &str) -> bool {
        let expected = digest(&self.key, &["GET", key, &expires.to_string()]);
        expected == signature && self.clock.now().timestamp() <= expires
    }
}

/// The store behind the links: reads and writes go to the objects; a
/// presigned GET is a signed link back to the server that owns them.
#[async_trait]
impl ObjectStore for LocalUploads {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.objects.put(key, bytes, content_type).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.objects.get(key).await
    }

    async fn presign_get(&self, key: &str, expires_in: Duration) -> PortResult<String> {
        if key.is_empty() || key.contains("..") {
            return Err(PortError::Invalid(format!("object key {key:?}")));
        }
        let expires = (self.clock.now() + expires_in).timestamp();
        let signature = digest(&self.key, &["GET", key, &expires.to_string()]);
        Ok(format!(
            "{}/{key}?expires={expires}&signature={signature}",
            self.base_url
        ))
    }
}

#[async_trait]
impl UploadStore for LocalUploads {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> PortResult<String> {
        if key.is_empty() || key.contains("..") {
            return Err(PortError::Invalid(format!("object key {key:?}")));
        }
        let expires = (self.clock.now() + expires_in).timestamp();
        let signature = digest(&self.key, &[key, content_type, &expires.to_string()]);
        let ct: String = content_type
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Ok(format!(
            "{}/{key}?content_type={ct}&expires={expires}&signature={signature}",
            self.base_url
        ))
    }

    async fn list(&self, prefix: &str, page: PageRequest) -> PortResult<Page<ObjectInfo>> {
        if page.limit == 0 {
            return Err(PortError::Invalid("page limit must be at least 1".into()));
        }
        let keys: Vec<String> = self
            .objects
            .keys()
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .filter(|k| page.cursor.as_ref().is_none_or(|c| k > c))
            .collect();
        let mut items = Vec::new();
        for key in keys.iter().take(page.limit) {
            let size = self.objects.get(key).await?.map_or(0, |b| b.len() as u64);
            items.push(ObjectInfo {
                key: key.clone(),
                size_bytes: size,
                last_modified: None,
            });
        }
        let next = (keys.len() > page.limit)
            .then(|| items.last().map(|i| i.key.clone()))
            .flatten();
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campaign_core::clock::ManualClock;

    #[tokio::test]
    async fn a_link_verifies_until_it_expires_and_only_for_its_key() {
        let clock = Arc::new(ManualClock::new(crate::testing::monday_morning()));
        let objects = Arc::new(MemoryObjects::new());
        let up = LocalUploads::new(objects, "http://h/u", [7; 32], clock.clone());
        let url = up
            .presign_put("audio/a.wav", "audio/wav", Duration::minutes(5))
            .await
            .expect("link");
        let q = url.split_once('?').expect("query").1;
        let field = |name: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .expect("field")
                .to_owned()
        };
        let expires: i64 = field("expires").parse().expect("n");
        let sig = field("signature");
        assert!(up.verify("audio/a.wav", "audio/wav", expires, &sig));
        assert!(!up.verify("audio/b.wav", "audio/wav", expires, &sig));
        assert!(!up.verify("audio/a.wav", "audio/mpeg", expires, &sig));
        clock.advance(Duration::minutes(6));
        assert!(!up.verify("audio/a.wav", "audio/wav", expires, &sig));
    }

    #[tokio::test]
    async fn a_read_link_verifies_until_it_expires_and_is_no_upload_link() {
        // GIVEN a read link for one key
        let clock = Arc::new(ManualClock::new(crate::testing::monday_morning()));
        let up = LocalUploads::new(
            Arc::new(MemoryObjects::new()),
            "http://h/u",
            [7; 32],
            clock.clone(),
        );
        let url = up
            .presign_get("audio/a.wav", Duration::minutes(5))
            .await
            .expect("link");
        assert!(url.starts_with("http://h/u/audio/a.wav?"), "{url}");
        let q = url.split_once('?').expect("query").1;
        let field = |name: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .expect("field")
                .to_owned()
        };
        let expires: i64 = field("expires").parse().expect("n");
        let sig = field("signature");
        // THEN it reads that key only, never uploads, and expires
        assert!(up.verify_get("audio/a.wav", expires, &sig));
        assert!(!up.verify_get("audio/b.wav", expires, &sig));
        assert!(!up.verify("audio/a.wav", "GET", expires, &sig));
        clock.advance(Duration::minutes(6));
        assert!(!up.verify_get("audio/a.wav", expires, &sig));
    }

    #[tokio::test]
    async fn lists_by_prefix_with_sizes_in_pages() {
        let objects = Arc::new(MemoryObjects::new());
        for k in ["audio/a.wav", "audio/b.wav", "audio/c.wav", "uploads/x.csv"] {
            objects.put(k, vec![0; 3], "x").await.expect("put");
        }
        let clock = Arc::new(ManualClock::new(crate::testing::monday_morning()));
        let up = LocalUploads::new(objects, "http://h/u", [7; 32], clock);
        let first = up
            .list("audio/", PageRequest::first(2))
            .await
            .expect("list");
        assert_eq!(first.items.len(), 2);
        assert_eq!(first.items[0].size_bytes, 3);
        let second = up
            .list(
                "audio/",
                PageRequest {
                    cursor: first.next,
                    limit: 2,
                },
            )
            .await
            .expect("list");
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.items[0].key, "audio/c.wav");
        assert!(second.next.is_none());
    }
}
