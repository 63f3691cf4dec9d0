//! The [`ObjectStore`] contract.

use chrono::Duration;

use crate::ports::ObjectStore;

use super::ok;

/// Put then get returns the bytes; a missing key is `None`; a put replaces;
/// a presigned link names the key.
pub async fn object_store(store: &dyn ObjectStore, namespace: &str) {
    let key = format!("contract/{namespace}/reports/report.csv");
    let missing = format!("contract/{namespace}/missing.csv");
    assert_eq!(
        ok("get missing", store.get(&missing).await),
        None,
        "a missing key reads None"
    );

    let first = b"metric,value\nanswered,3\n".to_vec();
    ok("put", store.put(&key, first.clone(), "text/csv").await);
    assert_eq!(
        ok("get", store.get(&key).await),
        Some(first),
        "get must return the bytes put"
    );
    let second = vec![0u8, 159, 146, 150, 255];
    ok(
        "put again",
        store
            .put(&key, second.clone(), "application/octet-stream")
            .await,
    );
    assert_eq!(
        ok("get replaced", store.get(&key).await),
        Some(second),
        "a second put must replace the object (binary-safe)"
    );
    let empty_key = format!("contract/{namespace}/empty.bin");
    ok(
        "put empty",
        store
            .put(&empty_key, Vec::new(), "application/octet-stream")
            .await,
    );
    assert_eq!(
        ok("get empty", store.get(&empty_key).await),
        Some(Vec::new()),
        "an empty object exists and reads empty"
    );

    let url = ok("presign", store.presign_get(&key, Duration::hours(1)).await);
    assert!(!url.is_empty(), "a presigned link must not be empty");
    assert!(
        url.contains(&key),
        "a presigned link must name the object's key, got {url}"
    );
}
