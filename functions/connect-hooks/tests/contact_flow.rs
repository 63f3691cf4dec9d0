//! The sample contact flow in `infra/connect/` fits the hooks: every
//! transition leads to an action of the flow, every Lambda call names an
//! action the hooks implement, and every answer the flow compares is one
//! the hooks give.

use std::collections::HashSet;

use serde_json::Value;

fn flow() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/connect/campaign-flow.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the flow is JSON")
}

#[test]
fn the_sample_flow_is_connected_and_uses_only_known_hooks() {
    let flow = flow();
    assert_eq!(flow["Version"], "2019-10-30");
    let actions = flow["Actions"].as_array().expect("Actions");
    let ids: HashSet<&str> = actions
        .iter()
        .map(|a| a["Identifier"].as_str().expect("Identifier"))
        .collect();
    assert_eq!(ids.len(), actions.len(), "identifiers are unique");
    assert!(ids.contains(flow["StartAction"].as_str().expect("StartAction")));

    let mut targets = Vec::new();
    for a in actions {
        let t = &a["Transitions"];
        targets.extend(t["NextAction"].as_str());
        for list in ["Conditions", "Errors"] {
            for c in t[list].as_array().into_iter().flatten() {
                targets.extend(c["NextAction"].as_str());
            }
        }
    }
    for t in &targets {
        assert!(
            ids.contains(t),
            "a transition leads to {t}, which is not in the flow"
        );
    }

    let known = ["check_blacklist", "lookup", "key_press", "record_outcome"];
    let answered = [
        "status",
        "blacklisted",
        "campaign_found",
        "campaign_status",
        "campaign_dialling",
        "contact_found",
        "contact_status",
        "next",
        "recorded",
    ];
    let mut used = HashSet::new();
    for a in actions {
        match a["Type"].as_str() {
            Some("InvokeLambdaFunction") => {
                let p = &a["Parameters"];
                assert_eq!(p["ResponseValidation"]["ResponseType"], "STRING_MAP");
                assert!(
                    p["InvocationTimeLimitSeconds"]
                        .as_str()
                        .unwrap()
                        .parse::<u32>()
                        .unwrap()
                        <= 8
                );
                let action = p["LambdaInvocationAttributes"]["action"]
                    .as_str()
                    .expect("action");
                assert!(known.contains(&action), "unknown hook action {action}");
                used.insert(action);
            }
            Some("Compare") => {
                let v = a["Parameters"]["ComparisonValue"].as_str().unwrap();
                let key = v
                    .strip_prefix("$.External.")
                    .expect("compares a hook answer");
                assert!(answered.contains(&key), "the hooks never answer {key}");
            }
            _ => {}
        }
    }
    assert_eq!(
        used.len(),
        known.len(),
        "the flow uses every hook: {used:?}"
    );
}
