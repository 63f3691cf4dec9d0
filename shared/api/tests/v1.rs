//! The call-manager API of `004_*`, field by field and code by code.

mod common;

use axum::http::StatusCode;
use campaign_api::routes::v1::token_secret_string;
use chrono::Duration;
use common::{Harness, V1_TOKEN};
use serde_json::{Value, json};

const INITIATE: &str = "/api/v1/initiate-call/";
const CALLBACK: &str = "/api/v1/callback/";

async fn active_campaign(h: &Harness, max_concurrent: u32) -> String {
    let mut body = Harness::campaign_body("Call manager");
    body["settings"]["pace"]["max_concurrent"] = json!(max_concurrent);
    let r = h.as_admin("POST", "/api/campaigns", Some(body)).await;
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let r = h
        .as_admin("POST", &format!("/api/campaigns/{id}/start"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    id
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test]
async fn initiate_answers_201_with_exactly_the_fields_of_004() {
    let h = Harness::new();
    let id = active_campaign(&h, 20).await;
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345678", "campaign_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(
        keys(&v),
        [
            "call_id",
            "campaign_id",
            "created_at",
            "phone_number",
            "status"
        ]
    );
    assert_eq!(v["status"], "INITIATED");
    assert_eq!(v["campaign_id"], json!(id));
    assert_eq!(v["phone_number"], "+972502345678");
    assert_eq!(v["created_at"], "2026-03-02T08:00:00Z");
    assert!(!v["call_id"].as_str().unwrap_or_default().is_empty());
    // The call is queued and placed by the pipeline.
    h.run_for(2).await;
    assert_eq!(h.local.carrier.originations().len(), 1);
}

#[tokio::test]
async fn a_numeric_campaign_id_is_answered_as_a_number() {
    let h = Harness::new();
    // A campaign whose id is "1", as 004's examples use.
    let mut c = h
        .local
        .lifecycle()
        .get(&campaign_core::ids::CampaignId::new(
            active_campaign(&h, 5).await,
        ))
        .await
        .expect("campaign");
    c.id = campaign_core::ids::CampaignId::new("1");
    campaign_core::ports::CampaignStore::create(&*h.local.store, &c)
        .await
        .expect("create");
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345678", "campaign_id": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["campaign_id"], json!(1));
    // And without the trailing slash.
    let r = h
        .v1(
            "POST",
            "/api/v1/initiate-call",
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345679", "campaign_id": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

#[tokio::test]
async fn the_same_number_and_campaign_within_5_minutes_is_429() {
    let h = Harness::new();
    let id = active_campaign(&h, 20).await;
    let body = json!({"phone_number": "+972502345678", "campaign_id": id});
    assert_eq!(
        h.v1("POST", INITIATE, Some(V1_TOKEN), body.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let r = h.v1("POST", INITIATE, Some(V1_TOKEN), body.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "duplicate_call");
    // Another number, or another campaign, is fine.
    let other = json!({"phone_number": "+972502345679", "campaign_id": id});
    assert_eq!(
        h.v1("POST", INITIATE, Some(V1_TOKEN), other).await.status,
        StatusCode::CREATED
    );
    // After the call ended and five minutes passed, the number may be called again.
    h.run_for(4 * 60).await;
    let r = h.v1("POST", INITIATE, Some(V1_TOKEN), body.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "still within 5 minutes"
    );
    h.run_for(90).await;
    let r = h.v1("POST", INITIATE, Some(V1_TOKEN), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

#[tokio::test]
async fn calls_beyond_the_concurrency_limit_are_queued_not_refused() {
    let h = Harness::new();
    let id = active_campaign(&h, 1).await;
    for i in 0..3 {
        let r = h
            .v1(
                "POST",
                INITIATE,
                Some(V1_TOKEN),
                json!({"phone_number": format!("+97250234567{i}"), "campaign_id": id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.text());
    }
    h.run_for(2).await;
    assert_eq!(h.local.carrier.originations().len(), 1, "one slot");
    h.run_for(15 * 60).await;
    assert_eq!(
        h.local.carrier.originations().len(),
        3,
        "the others followed as the slot freed"
    );
}

#[tokio::test]
async fn initiate_validates_its_body_with_400_and_unknown_campaigns_with_404() {
    let h = Harness::new();
    let id = active_campaign(&h, 5).await;
    let cases = [
        json!({"campaign_id": id}),
        json!({"phone_number": "+972502345678"}),
        json!({"phone_number": "hello", "campaign_id": id}),
        json!({"phone_number": 972502345678u64, "campaign_id": id}),
        json!({"phone_number": "+972502345678", "campaign_id": -1}),
        json!({"phone_number": "+972502345678", "campaign_id": [1]}),
        json!("not an object"),
    ];
    for body in cases {
        let r = h.v1("POST", INITIATE, Some(V1_TOKEN), body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text());
    }
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345678", "campaign_id": "cmp-missing"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let draft = h.create_campaign("Draft").await;
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345678", "campaign_id": draft}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "campaign_not_active");
    h.as_admin(
        "POST",
        "/api/blacklist",
        Some(json!({"phone_numbers": ["+972502345670"]})),
    )
    .await;
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345670", "campaign_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "number_blacklisted");
    let r = h
        .v1(
            "POST",
            INITIATE,
            None,
            json!({"phone_number": "+972502345678", "campaign_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn initiated(h: &Harness) -> String {
    let id = active_campaign(h, 5).await;
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some(V1_TOKEN),
            json!({"phone_number": "+972502345678", "campaign_id": id}),
        )
        .await;
    r.json()["call_id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_picked_callback_schedules_no_retry() {
    let h = Harness::new();
    let call = initiated(&h).await;
    let r = h
        .v1(
            "PUT",
            CALLBACK,
            Some(V1_TOKEN),
            json!({"call_id": call, "status": "PICKED", "call_duration": 45}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"message": "Callback processed", "retry_scheduled": false, "next_retry_at": null})
    );
    // The queued task is dropped: the call is over.
    h.run_for(2).await;
    assert!(h.local.carrier.originations().is_empty());
}

#[tokio::test]
async fn an_rnr_callback_schedules_a_retry_by_the_campaign_rules() {
    let h = Harness::new();
    let call = initiated(&h).await;
    let r = h
        .v1(
            "PUT",
            CALLBACK,
            Some(V1_TOKEN),
            json!({"call_id": call, "status": "RNR", "call_duration": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(keys(&v), ["message", "next_retry_at", "retry_scheduled"]);
    assert_eq!(v["retry_scheduled"], true);
    // Default rules: 60 minutes later.
    let expected =
        (h.local.now() + Duration::minutes(60)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(v["next_retry_at"], json!(expected));
    // A repeat of the same callback changes nothing and answers the same.
    let again = h
        .v1(
            "PUT",
            CALLBACK,
            Some(V1_TOKEN),
            json!({"call_id": call, "status": "RNR", "call_duration": 0}),
        )
        .await;
    assert_eq!(again.json(), v);
}

#[tokio::test]
async fn callback_validates_with_400_and_unknown_calls_with_404() {
    let h = Harness::new();
    let call = initiated(&h).await;
    let cases = [
        json!({"status": "PICKED"}),
        json!({"call_id": call, "status": "ANSWERED"}),
        json!({"call_id": call}),
        json!({"call_id": call, "status": "PICKED", "call_duration": -3}),
        json!({"call_id": call, "status": "PICKED", "call_duration": "long"}),
        json!({"call_id": 5, "status": "PICKED"}),
    ];
    for body in cases {
        let r = h.v1("PUT", CALLBACK, Some(V1_TOKEN), body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text());
    }
    let r = h
        .v1(
            "PUT",
            CALLBACK,
            Some(V1_TOKEN),
            json!({"call_id": "nope", "status": "FAILED", "call_duration": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .v1(
            "PUT",
            CALLBACK,
            Some("bad"),
            json!({"call_id": call, "status": "FAILED"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = h
        .v1(
            "POST",
            CALLBACK,
            Some(V1_TOKEN),
            json!({"call_id": call, "status": "FAILED"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn during_a_rotation_the_previous_token_is_still_accepted_and_others_are_401() {
    // GIVEN a campaign and a token rotated (the old one is now AWSPREVIOUS)
    let h = Harness::new();
    let id = active_campaign(&h, 20).await;
    const NEW_TOKEN: &str = "rotated-call-manager-token-9876543210";
    h.secrets
        .rotate("call-manager-token", token_secret_string(NEW_TOKEN));
    let call = |n: u32| json!({"phone_number": format!("+97252345{n:04}"), "campaign_id": id});
    // WHEN callers use the new token, the old one, or neither
    let new = h.v1("POST", INITIATE, Some(NEW_TOKEN), call(1)).await;
    let old = h.v1("POST", INITIATE, Some(V1_TOKEN), call(2)).await;
    let neither = h
        .v1(
            "POST",
            INITIATE,
            Some("not-any-version-of-the-token"),
            call(3),
        )
        .await;
    // THEN both versions work and anything else is refused
    assert_eq!(new.status, StatusCode::CREATED, "{}", new.text());
    assert_eq!(old.status, StatusCode::CREATED, "{}", old.text());
    assert_eq!(neither.status, StatusCode::UNAUTHORIZED);
    assert_eq!(neither.code(), "unauthorized");
    // AND after the next rotation the first token is no longer accepted
    h.secrets.rotate(
        "call-manager-token",
        token_secret_string("third-call-manager-token-000000000"),
    );
    let first = h.v1("POST", INITIATE, Some(V1_TOKEN), call(4)).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let second = h.v1("POST", INITIATE, Some(NEW_TOKEN), call(5)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text());
}

/// The secret's values as `infra/modules/secrets/rotation/rotate_token.py`
/// writes them (two rotations of an empty secret, run by
/// `tests/offline/rotation_secret.py`): `(current, previous)`.
fn rotation_output() -> (String, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/offline/rotation_secret.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .output()
        .expect("python3 runs the rotation function");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("rotation output is JSON");
    let field = |k: &str| v[k].as_str().expect("a secret string").to_owned();
    (field("current"), field("previous"))
}

#[tokio::test]
async fn the_secret_exactly_as_the_rotation_function_writes_it_is_accepted() {
    // GIVEN the token secret as the rotation function left it after two
    // rotations (AWSCURRENT and AWSPREVIOUS both its output)
    let h = Harness::new();
    let id = active_campaign(&h, 20).await;
    let (current, previous) = rotation_output();
    h.secrets.rotate("call-manager-token", previous.clone());
    h.secrets.rotate("call-manager-token", current.clone());
    let token_in = |s: &str| {
        serde_json::from_str::<Value>(s).expect("JSON")["token"]
            .as_str()
            .expect("token field")
            .to_owned()
    };
    let call = |n: u32| json!({"phone_number": format!("+97252346{n:04}"), "campaign_id": id});
    // WHEN callers send the current token, the previous one, or the whole
    // secret string
    let new = h
        .v1("POST", INITIATE, Some(&token_in(&current)), call(1))
        .await;
    let old = h
        .v1("POST", INITIATE, Some(&token_in(&previous)), call(2))
        .await;
    let whole = h.v1("POST", INITIATE, Some(&current), call(3)).await;
    // THEN the tokens inside work and the JSON text itself is no token
    assert_eq!(new.status, StatusCode::CREATED, "{}", new.text());
    assert_eq!(old.status, StatusCode::CREATED, "{}", old.text());
    assert_eq!(whole.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_secret_that_is_not_the_json_format_is_a_503_not_a_match() {
    // GIVEN a secret holding a bare string (not {"token": ...})
    let h = Harness::new();
    let id = active_campaign(&h, 20).await;
    h.secrets
        .insert("call-manager-token", "bare-token-0123456789012345678901");
    // WHEN a caller sends that bare string
    let r = h
        .v1(
            "POST",
            INITIATE,
            Some("bare-token-0123456789012345678901"),
            json!({"phone_number": "+972523450001", "campaign_id": id}),
        )
        .await;
    // THEN the API says it is not configured rather than accepting it
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.code(), "call_manager_token_not_configured");
}
