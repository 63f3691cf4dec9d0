//! Campaign routes: create, list, get, update (impact rules), lifecycle,
//! clone — happy paths, validation and conflicts, audit records.

mod common;

use axum::http::StatusCode;
use campaign_api::auth::Role;
use common::Harness;
use serde_json::json;

#[tokio::test]
async fn create_answers_201_with_a_draft_and_audits_it() {
    let h = Harness::new();
    let r = h
        .as_admin(
            "POST",
            "/api/campaigns",
            Some(Harness::campaign_body("Spring appeal")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["kind"], "voice");
    assert_eq!(c["settings"]["retry"]["max_attempts"], 3, "default retry");
    let id = c["id"].as_str().unwrap_or_default();
    assert_eq!(
        h.audit_actions(&format!("campaign/{id}")).await,
        ["campaign.create"]
    );
    let manager = h.token(Role::CampaignManager);
    let r = h
        .call(
            "POST",
            "/api/campaigns",
            Some(&manager),
            Some(Harness::campaign_body("By a manager")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(
        r.json()["created_by"]
            .as_str()
            .unwrap_or_default()
            .contains("campaign-manager")
    );
}

#[tokio::test]
async fn create_with_invalid_settings_is_422_with_field_errors() {
    let h = Harness::new();
    let mut body = Harness::campaign_body("Bad");
    body["kind"] = json!("sms");
    body["settings"]["sms_template"] = json!(null);
    body["settings"]["pace"] = json!({"calls_per_second": 0, "max_concurrent": 5});
    let r = h.as_admin("POST", "/api/campaigns", Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.code(), "validation_failed");
    let fields: Vec<String> = r.json()["error"]["details"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(fields.contains(&"pace".to_owned()), "{fields:?}");
    assert!(fields.contains(&"sms_template".to_owned()), "{fields:?}");
}

#[tokio::test]
async fn a_wrongly_shaped_body_names_the_field_path() {
    let h = Harness::new();
    let mut body = Harness::campaign_body("Bad");
    body["settings"]["pace"]["max_concurrent"] = json!("many");
    let r = h.as_admin("POST", "/api/campaigns", Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"]["fields"][0]["field"],
        "settings.pace.max_concurrent"
    );
    let mut body = Harness::campaign_body("Bad");
    body["colour"] = json!("red");
    let r = h.as_admin("POST", "/api/campaigns", Some(body)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
}

#[tokio::test]
async fn malformed_json_is_400_a_wrong_type_415_and_a_huge_body_413() {
    let h = Harness::new();
    let t = h.admin();
    let r = h
        .upload(
            "POST",
            "/api/campaigns",
            Some(&t),
            "application/json",
            b"{\"name\":".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "malformed_json");
    let r = h
        .upload(
            "POST",
            "/api/campaigns",
            Some(&t),
            "text/plain",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = h
        .upload(
            "POST",
            "/api/campaigns",
            Some(&t),
            "application/json",
            huge.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
}

#[tokio::test]
async fn get_answers_the_campaign_or_404() {
    let h = Harness::new();
    let id = h.create_campaign("One").await;
    let r = h
        .as_admin("GET", &format!("/api/campaigns/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["name"], "One");
    let r = h.as_admin("GET", "/api/campaigns/cmp-missing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
}

#[tokio::test]
async fn list_filters_sorts_and_pages_with_a_cursor() {
    let h = Harness::new();
    for name in ["Charlie", "Alpha", "Bravo"] {
        h.create_campaign(name).await;
    }
    let first = h.create_campaign("Delta").await;
    h.as_admin("POST", &format!("/api/campaigns/{first}/cancel"), None)
        .await;

    let r = h
        .as_admin("GET", "/api/campaigns?sort=name&limit=2", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.json();
    let names: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Alpha", "Bravo"]);
    let cursor = page["next_cursor"].as_str().unwrap_or_default().to_owned();
    let r = h
        .as_admin(
            "GET",
            &format!("/api/campaigns?sort=name&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    let names: Vec<String> = r.json()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["Charlie", "Delta"]);
    assert!(r.json()["next_cursor"].is_null());

    let r = h
        .as_admin("GET", "/api/campaigns?status=cancelled", None)
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));
    let r = h
        .as_admin("GET", "/api/campaigns?sort=-name&limit=1", None)
        .await;
    assert_eq!(r.json()["items"][0]["name"], "Delta");

    for bad in [
        "/api/campaigns?status=sleeping",
        "/api/campaigns?sort=colour",
        "/api/campaigns?limit=abc",
    ] {
        let r = h.as_admin("GET", bad, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.code(), "invalid_query");
    }
    let r = h.as_admin("GET", "/api/campaigns?limit=0", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_draft_may_change_anything_and_the_change_is_audited() {
    let h = Harness::new();
    let id = h.create_campaign("Draft").await;
    let r = h
        .as_admin(
            "PATCH",
            &format!("/api/campaigns/{id}"),
            Some(json!({"audio": "sound:new", "name": "Renamed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["campaign"]["settings"]["audio"], "sound:new");
    assert_eq!(r.json()["campaign"]["version"], 2);
    let actions = h.audit_actions(&format!("campaign/{id}")).await;
    assert_eq!(actions, ["campaign.create", "campaign.update"]);
}

#[tokio::test]
async fn a_running_campaign_locks_audio_but_takes_pace_with_its_impact() {
    let h = Harness::new();
    let id = h.running_campaign(&common::contacts_csv(3)).await;
    let r = h
        .as_admin(
            "PATCH",
            &format!("/api/campaigns/{id}"),
            Some(json!({"audio": "sound:other"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.code(), "field_locked");
    assert_eq!(r.json()["error"]["details"]["fields"], json!(["audio"]));
    let r = h
        .as_admin(
            "PATCH",
            &format!("/api/campaigns/{id}"),
            Some(json!({"pace": {"calls_per_second": 2, "max_concurrent": 4}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let impact = r.json()["impact"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        impact.starts_with("pace: from the next dispatch"),
        "{impact}"
    );
}

#[tokio::test]
async fn an_update_with_a_stale_version_or_nothing_to_change_is_refused() {
    let h = Harness::new();
    let id = h.create_campaign("V").await;
    let r = h
        .as_admin(
            "PATCH",
            &format!("/api/campaigns/{id}"),
            Some(json!({"version": 7, "name": "X"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "version_mismatch");
    let r = h
        .as_admin("PATCH", &format!("/api/campaigns/{id}"), Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .as_admin(
            "PATCH",
            &format!("/api/campaigns/{id}"),
            Some(json!({"pace": {"calls_per_second": 0, "max_concurrent": 1}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .as_admin(
            "PATCH",
            "/api/campaigns/cmp-missing",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_lifecycle_moves_start_the_workflow_and_refuse_illegal_moves_with_409() {
    let h = Harness::new();
    let id = h.create_campaign("Life").await;
    let path = |a: &str| format!("/api/campaigns/{id}/{a}");
    let r = h.as_admin("POST", &path("pause"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "illegal_lifecycle_move");
    assert_eq!(
        r.json()["error"]["details"],
        json!({"from": "draft", "action": "pause"})
    );

    for (action, status) in [
        ("start", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("cancel", "cancelled"),
        ("archive", "archived"),
    ] {
        let r = h.as_admin("POST", &path(action), None).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
        assert_eq!(r.json()["status"], status, "{action}");
    }
    let started = h.workflows.started();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].campaign_id.as_str(), id);
    let actions = h.audit_actions(&format!("campaign/{id}")).await;
    assert_eq!(
        actions,
        [
            "campaign.create",
            "campaign.start",
            "campaign.pause",
            "campaign.resume",
            "campaign.cancel",
            "campaign.archive"
        ]
    );
    let r = h.as_admin("POST", &path("start"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = h
        .as_admin("POST", "/api/campaigns/cmp-missing/start", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn schedule_needs_a_future_time_and_starts_the_workflow_with_it() {
    let h = Harness::new();
    let id = h.create_campaign("Later").await;
    let past = (h.local.now() - chrono::Duration::hours(1)).to_rfc3339();
    let r = h
        .as_admin(
            "POST",
            &format!("/api/campaigns/{id}/schedule"),
            Some(json!({"start_at": past})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .as_admin(
            "POST",
            &format!("/api/campaigns/{id}/schedule"),
            Some(json!({"start_at": "tomorrow"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = h.local.now() + chrono::Duration::hours(3);
    let r = h
        .as_admin(
            "POST",
            &format!("/api/campaigns/{id}/schedule"),
            Some(json!({"start_at": future.to_rfc3339()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "scheduled");
    assert_eq!(h.workflows.started()[0].scheduled_start, Some(future));
}

#[tokio::test]
async fn clone_copies_the_settings_into_a_new_draft() {
    let h = Harness::new();
    let id = h.create_campaign("Original").await;
    h.as_admin("POST", &format!("/api/campaigns/{id}/start"), None)
        .await;
    let r = h
        .as_admin("POST", &format!("/api/campaigns/{id}/clone"), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let copy = r.json();
    assert_eq!(copy["name"], "Original (copy)");
    assert_eq!(copy["status"], "draft");
    assert_ne!(copy["id"], json!(id));
    let r = h
        .as_admin(
            "POST",
            &format!("/api/campaigns/{id}/clone"),
            Some(json!({"name": "Second run"})),
        )
        .await;
    assert_eq!(r.json()["name"], "Second run");
    let copy_id = copy["id"].as_str().unwrap_or_default();
    assert_eq!(
        h.audit_actions(&format!("campaign/{copy_id}")).await,
        ["campaign.create", "campaign.clone"]
    );
    let r = h
        .as_admin(
            "POST",
            &format!("/api/campaigns/{id}/clone"),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h.as_admin("POST", "/api/campaigns/nope/clone", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
