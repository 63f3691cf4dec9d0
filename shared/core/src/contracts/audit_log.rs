//! The [`AuditLog`] contract.

use chrono::Duration;

use crate::ports::{AuditLog, AuditRecord};

use super::{base_time, ok};

/// Appended records come back per target, oldest first; records with the
/// same time are all kept.
pub async fn audit_log(log: &dyn AuditLog, namespace: &str) {
    let t0 = base_time();
    let target = format!("campaign/{namespace}-audit");
    let other = format!("campaign/{namespace}-audit-other");
    let record = |minutes: i64, action: &str, target: &str| AuditRecord {
        at: t0 + Duration::minutes(minutes),
        actor: "admin@example".into(),
        action: action.into(),
        target: target.into(),
        before: None,
        after: Some(serde_json::json!({ "action": action })),
    };

    assert!(
        ok("for_target empty", log.for_target(&target).await).is_empty(),
        "a target without records has an empty log"
    );
    let created = record(0, "campaign.create", &target);
    let started = record(5, "campaign.start", &target);
    let paused = record(5, "campaign.pause", &target);
    let scheduled = record(2, "campaign.schedule", &target);
    let foreign = record(1, "campaign.create", &other);
    for r in [&created, &started, &foreign, &paused, &scheduled] {
        ok("append", log.append(r).await);
    }

    let got = ok("for_target", log.for_target(&target).await);
    assert_eq!(
        got.len(),
        4,
        "for_target must return every record of the target (and only those), got {got:?}"
    );
    assert!(
        got.iter().all(|r| r.target == target),
        "for_target must not return records of another target"
    );
    for w in got.windows(2) {
        assert!(
            w[0].at <= w[1].at,
            "records must come oldest first: {} at {} came before {} at {}",
            w[0].action,
            w[0].at,
            w[1].action,
            w[1].at
        );
    }
    assert_eq!(got[0], created, "the oldest record comes first");
    assert_eq!(
        got[1], scheduled,
        "a record appended late is placed by its time"
    );
    for r in [&started, &paused] {
        assert!(
            got.contains(r),
            "two records with the same time must both be kept ({})",
            r.action
        );
    }
    assert_eq!(
        ok("for_target other", log.for_target(&other).await),
        vec![foreign],
        "each target has its own log"
    );
}
