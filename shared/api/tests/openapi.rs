//! The checked-in OpenAPI document: valid OpenAPI 3, every route in it (and
//! nothing else), each with the security and roles the router enforces, and
//! served as it is at `/openapi.json`.

mod common;

use std::collections::BTreeSet;

use campaign_api::OPENAPI_JSON;
use campaign_api::routes::{Access, ROUTES};
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

#[test]
fn the_document_is_valid_openapi_3() {
    let parsed: openapiv3::OpenAPI =
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses as an OpenAPI 3 document");
    assert!(parsed.openapi.starts_with("3.0"), "{}", parsed.openapi);
    for (path, item) in parsed.paths.iter() {
        let openapiv3::ReferenceOr::Item(item) = item else {
            panic!("{path}: path items are inline");
        };
        for (method, op) in item.iter() {
            let ok = op.responses.responses.keys().any(
                |code| matches!(code, openapiv3::StatusCode::Code(c) if (200..300).contains(c)),
            );
            assert!(ok, "{method} {path} has no 2xx response");
            // Every path parameter in the template is declared.
            for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                let declared = op.parameters.iter().chain(item.parameters.iter()).any(|p| {
                    matches!(p, openapiv3::ReferenceOr::Item(p) if p.parameter_data_ref().name == name)
                });
                assert!(
                    declared,
                    "{method} {path}: path parameter {name} not declared"
                );
            }
        }
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(s) = v.as_str() {
                        out.push(s.to_owned());
                    }
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let d = doc();
    let mut refs = Vec::new();
    collect_refs(&d, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(d.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_router() {
    let d = doc();
    let documented: BTreeSet<(String, String)> = d["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(m, _)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |(m, _)| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

#[test]
fn each_operation_declares_the_security_and_roles_the_router_enforces() {
    let d = doc();
    for (method, path, access) in ROUTES {
        let op = &d["paths"][*path][method.to_lowercase()];
        let security = op["security"].as_array().cloned().unwrap_or_default();
        match access {
            Access::Public => assert!(security.is_empty(), "{method} {path} is public"),
            Access::CallManagerToken => {
                assert!(
                    security[0].get("callManagerToken").is_some(),
                    "{method} {path}"
                )
            }
            Access::Roles(roles) => {
                assert!(security[0].get("bearerAuth").is_some(), "{method} {path}");
                let documented: BTreeSet<&str> = op["x-roles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let enforced: BTreeSet<&str> = roles.iter().map(|r| r.as_str()).collect();
                assert_eq!(documented, enforced, "{method} {path}");
                assert!(
                    op["responses"].get("401").is_some() && op["responses"].get("403").is_some(),
                    "{method} {path} documents 401 and 403"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_checked_in_one() {
    let h = common::Harness::new();
    let r = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(r.json(), doc());
}
