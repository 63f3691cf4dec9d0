//! Audio routes: presigned upload links (type and size checked), listing.

mod common;

use axum::http::StatusCode;
use campaign_core::ports::ObjectStore;
use common::Harness;
use serde_json::json;

#[tokio::test]
async fn an_mp3_or_wav_gets_a_link_and_shows_in_the_list_once_uploaded() {
    let h = Harness::new();
    let r = h
        .as_admin("POST", "/api/audio/uploads", Some(json!({"file_name": "Spring appeal.mp3", "content_type": "audio/mpeg", "size_bytes": 123_456})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let link = r.json();
    let key = link["key"].as_str().unwrap_or_default().to_owned();
    assert!(
        key.starts_with("audio/") && key.ends_with("-Spring-appeal.mp3"),
        "{key}"
    );
    assert_eq!(link["audio"], format!("audio://{key}"));
    assert!(
        link["upload_url"]
            .as_str()
            .unwrap_or_default()
            .contains("signature=")
    );
    h.files
        .put(&key, vec![0; 10], "audio/mpeg")
        .await
        .expect("put");
    let r = h.as_admin("GET", "/api/audio", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["items"][0]["key"], key);
    assert_eq!(r.json()["items"][0]["size_bytes"], 10);
    let r = h
        .as_admin(
            "POST",
            "/api/audio/uploads",
            Some(
                json!({"file_name": "greeting.wav", "content_type": "audio/wav", "size_bytes": 1}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn other_types_are_415_and_files_over_10_mb_413() {
    let h = Harness::new();
    let cases = [
        (
            json!({"file_name": "a.ogg", "content_type": "audio/ogg", "size_bytes": 10}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            json!({"file_name": "a.wav", "content_type": "audio/mpeg", "size_bytes": 10}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            json!({"file_name": "a.mp3", "content_type": "audio/mpeg", "size_bytes": 10 * 1024 * 1024 + 1}),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            json!({"file_name": "a.mp3", "content_type": "audio/mpeg", "size_bytes": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"file_name": "a.mp3", "content_type": "audio/mpeg"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, status) in cases {
        let r = h
            .as_admin("POST", "/api/audio/uploads", Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
    }
    let r = h.as_admin("GET", "/api/audio?limit=9999", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
