//! Blacklist routes: add (and its effect on running campaigns), lookup with
//! history, remove, import, export.

mod common;

use axum::http::StatusCode;
use campaign_api::auth::Role;
use common::{Harness, contacts_csv};
use serde_json::json;

#[tokio::test]
async fn adding_a_number_lists_it_and_blocks_its_contacts_at_once() {
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(2)).await;
    let manager = h.token(Role::CampaignManager);
    let r = h
        .call(
            "POST",
            "/api/blacklist",
            Some(&manager),
            Some(json!({"phone_numbers": ["050-234-5678"], "reason": "asked by phone"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["added"][0]["phone_number"], "+972502345678");
    assert_eq!(r.json()["added"][0]["newly_listed"], true);
    assert_eq!(r.json()["added"][0]["contacts_blocked"], 1);
    let r = h
        .as_admin(
            "GET",
            &format!("/api/campaigns/{id}/contacts?status=blacklisted"),
            None,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));
    // Idempotent.
    let r = h
        .call(
            "POST",
            "/api/blacklist",
            Some(&manager),
            Some(json!({"phone_numbers": ["+972502345678"]})),
        )
        .await;
    assert_eq!(r.json()["added"][0]["newly_listed"], false);
    assert_eq!(
        h.audit_actions("blacklist/+972502345678").await,
        ["blacklist.add"]
    );
}

#[tokio::test]
async fn one_bad_number_fails_the_whole_add_and_lists_nothing() {
    let h = Harness::new();
    let r = h
        .as_admin(
            "POST",
            "/api/blacklist",
            Some(json!({"phone_numbers": ["+972502345678", "12ab"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"]["fields"][0]["field"],
        "phone_numbers[1]"
    );
    let r = h
        .as_admin("GET", "/api/blacklist/%2B972502345678", None)
        .await;
    assert_eq!(r.json()["listed"], false);
    for body in [
        json!({"phone_numbers": []}),
        json!({"phone_numbers": ["+972502345678"], "source": "user_optout"}),
        json!({}),
    ] {
        let r = h
            .as_admin("POST", "/api/blacklist", Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
}

#[tokio::test]
async fn lookup_shows_the_history_and_remove_answers_204_then_404() {
    let h = Harness::new();
    h.as_admin(
        "POST",
        "/api/blacklist",
        Some(json!({"phone_numbers": ["+972502345678"]})),
    )
    .await;
    let r = h
        .as_admin("DELETE", "/api/blacklist/%2B972502345678", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = h
        .as_admin("DELETE", "/api/blacklist/%2B972502345678", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.as_admin("GET", "/api/blacklist/0502345678", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["listed"], false);
    let changes: Vec<&str> = v["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["change"].as_str())
        .collect();
    assert_eq!(changes, ["added", "removed"]);
    let r = h.as_admin("GET", "/api/blacklist/not-a-number", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        h.audit_actions("blacklist/+972502345678").await,
        ["blacklist.add", "blacklist.remove"]
    );
}

#[tokio::test]
async fn import_lists_every_valid_number_and_export_writes_them_back() {
    let h = Harness::new();
    let t = h.admin();
    let r = h
        .upload(
            "POST",
            "/api/blacklist/imports?reason=regulator",
            Some(&t),
            "text/csv",
            contacts_csv(3).into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["newly_listed"], 3);
    assert_eq!(r.json()["errors"][0]["row"], 5);
    let r = h.call("GET", "/api/blacklist/export", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let text = r.text();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.starts_with("phone_number,added_at,reason,source"));
    assert!(text.contains("+972502345678") && text.contains("regulator"));
    let r = h
        .upload(
            "POST",
            "/api/blacklist/imports",
            Some(&t),
            "image/png",
            vec![1, 2, 3],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h
        .upload(
            "POST",
            "/api/blacklist/imports",
            Some(&t),
            "text/csv",
            b"city\nHaifa\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
