//! Every route is authenticated and authorised: 401 without a token (or
//! with a bad one), 403 with a role the route does not admit, and never
//! 404 (so the route table and the router agree).

mod common;

use axum::http::StatusCode;
use campaign_api::auth::Role;
use campaign_api::routes::{Access, ROUTES};
use common::{Harness, V1_TOKEN};
use serde_json::json;

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{id}", "cmp-000001")
        .replace("{contact_id}", "c-1")
        .replace("{import_id}", "imp-1")
        .replace("{report_id}", "20260302T080000Z.csv")
        .replace("{phone}", "%2B972502345678")
}

#[tokio::test]
async fn every_protected_route_answers_401_without_a_token() {
    let h = Harness::new();
    for (method, path, access) in ROUTES {
        if *access == Access::Public {
            continue;
        }
        let r = h.call(method, &concrete(path), None, Some(json!({}))).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            r.text()
        );
        assert_eq!(r.code(), "unauthorized", "{method} {path}");
    }
}

#[tokio::test]
async fn a_forged_expired_or_foreign_token_is_401() {
    let h = Harness::new();
    let foreign = campaign_api::auth::DevJwt::new(vec![9u8; 32]).issue(
        Role::Administrator,
        h.local.now(),
        chrono::Duration::hours(1),
    );
    let expired = h.jwt.issue(
        Role::Administrator,
        h.local.now() - chrono::Duration::hours(2),
        chrono::Duration::hours(1),
    );
    for token in [foreign.as_str(), expired.as_str(), "not.a.jwt", "garbage"] {
        let r = h.call("GET", "/api/campaigns", Some(token), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token}");
    }
}

#[tokio::test]
async fn every_route_refuses_the_roles_it_does_not_admit_with_403() {
    let h = Harness::new();
    let mut checked = 0;
    for (method, path, access) in ROUTES {
        let Access::Roles(allowed) = access else {
            continue;
        };
        for role in Role::ALL {
            if allowed.contains(&role) {
                continue;
            }
            let t = h.token(role);
            let r = h
                .call(method, &concrete(path), Some(&t), Some(json!({})))
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path} as {role:?}: {}",
                r.text()
            );
            assert_eq!(r.code(), "forbidden");
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} checks");
}

#[tokio::test]
async fn every_route_admits_its_roles_past_authorisation() {
    let h = Harness::new();
    for (method, path, access) in ROUTES {
        let Access::Roles(allowed) = access else {
            continue;
        };
        for role in *allowed {
            let t = h.token(*role);
            let r = h
                .call(method, &concrete(path), Some(&t), Some(json!({})))
                .await;
            assert!(
                r.status != StatusCode::UNAUTHORIZED
                    && r.status != StatusCode::FORBIDDEN
                    && r.code() != "method_not_allowed"
                    && !(r.status == StatusCode::NOT_FOUND
                        && r.code() == "not_found"
                        && r.text().contains("no such route")),
                "{method} {path} as {role:?}: {} {}",
                r.status,
                r.text()
            );
        }
    }
}

#[tokio::test]
async fn the_v1_routes_need_the_call_manager_token_not_a_jwt() {
    let h = Harness::new();
    let admin = h.admin();
    for (method, path, access) in ROUTES {
        if *access != Access::CallManagerToken {
            continue;
        }
        let r = h.call(method, path, Some(&admin), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} with a JWT");
        let r = h.v1(method, path, Some("wrong-token"), json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{path} with a wrong token"
        );
        let r = h.v1(method, path, Some(V1_TOKEN), json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{path} with the token: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn public_routes_need_no_token() {
    let h = Harness::new();
    let r = h.call("GET", "/health", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"status": "ok"}));
    let r = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json()["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let h = Harness::new();
    let r = h.as_admin("GET", "/api/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = h.as_admin("DELETE", "/api/campaigns", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
}
