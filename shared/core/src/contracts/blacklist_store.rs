//! The [`BlacklistStore`] contract.

use std::collections::HashSet;

use chrono::Duration;

use crate::blacklist::{BlacklistChange, BlacklistEntry, BlacklistSource};
use crate::phone::PhoneNumber;
use crate::ports::{BlacklistStore, PageRequest, PortError};

use super::{base_time, collect_pages, ns_phone, ok};

/// Idempotent adds keeping the first entry, subset lookup, removal with
/// history, and the current entries listed by number.
pub async fn blacklist_store(store: &dyn BlacklistStore, namespace: &str) {
    let t0 = base_time();
    let p1 = ns_phone(namespace, 1);
    let p2 = ns_phone(namespace, 2);
    let p3 = ns_phone(namespace, 3);
    let never = ns_phone(namespace, 4);

    assert_eq!(
        ok("get unlisted", store.get(&p1).await),
        None,
        "get of an unlisted number must be None"
    );

    let first = BlacklistEntry::new(p1.clone(), t0, "pressed 9", BlacklistSource::UserOptout);
    assert!(
        ok("first add", store.add(&first).await),
        "the first add of a number must return true"
    );
    let second = BlacklistEntry::new(
        p1.clone(),
        t0 + Duration::hours(1),
        "admin import",
        BlacklistSource::AdminImport,
    );
    assert!(
        !ok("second add", store.add(&second).await),
        "adding a listed number again must return false"
    );
    assert_eq!(
        ok("get listed", store.get(&p1).await).as_ref(),
        Some(&first),
        "a repeated add must keep the first entry's time, reason and source"
    );

    let e2 = BlacklistEntry::new(
        p2.clone(),
        t0,
        "regulator list",
        BlacklistSource::Compliance,
    );
    let e3 = BlacklistEntry::new(p3.clone(), t0, "admin", BlacklistSource::AdminImport);
    assert!(
        ok("add p2", store.add(&e2).await),
        "new number p2 must be added"
    );
    assert!(
        ok("add p3", store.add(&e3).await),
        "new number p3 must be added"
    );

    // contains_any returns exactly the listed subset.
    let asked = vec![p1.clone(), never.clone(), p2.clone(), p1.clone()];
    let listed = ok("contains_any", store.contains_any(&asked).await);
    let want: HashSet<PhoneNumber> = [p1.clone(), p2.clone()].into_iter().collect();
    assert_eq!(
        listed, want,
        "contains_any must return the listed subset of the numbers asked"
    );
    assert!(
        ok("contains_any empty", store.contains_any(&[]).await).is_empty(),
        "contains_any of no numbers must be empty"
    );

    // Remove: true once, then false; history shows both changes.
    let removed_at = t0 + Duration::hours(2);
    assert!(
        ok(
            "remove listed",
            store.remove(&p1, "admin@example", removed_at).await
        ),
        "removing a listed number must return true"
    );
    assert!(
        !ok(
            "remove again",
            store.remove(&p1, "admin@example", removed_at).await
        ),
        "removing a number that is not listed must return false"
    );
    assert!(
        !ok(
            "remove never listed",
            store.remove(&never, "admin@example", removed_at).await
        ),
        "removing a number never listed must return false"
    );
    assert_eq!(
        ok("get removed", store.get(&p1).await),
        None,
        "a removed number must no longer be listed"
    );
    assert!(
        !ok(
            "contains_any after remove",
            store.contains_any(std::slice::from_ref(&p1)).await
        )
        .contains(&p1),
        "contains_any must not report a removed number"
    );
    let history = ok("history", store.history(&p1).await);
    assert_eq!(
        history,
        vec![
            BlacklistChange::Added {
                entry: first.clone()
            },
            BlacklistChange::Removed {
                phone: p1.clone(),
                at: removed_at,
                by: "admin@example".into()
            },
        ],
        "history must hold the add and the remove, oldest first (no-op adds and removes are not changes)"
    );
    assert!(
        ok("history of never", store.history(&never).await).is_empty(),
        "a number never listed has no history"
    );

    // Re-adding after removal lists it again with the new entry.
    let again = BlacklistEntry::new(
        p1.clone(),
        t0 + Duration::hours(3),
        "pressed 9 again",
        BlacklistSource::UserOptout,
    );
    assert!(
        ok("re-add", store.add(&again).await),
        "adding a removed number must return true"
    );
    assert_eq!(
        ok("get re-added", store.get(&p1).await).as_ref(),
        Some(&again),
        "a re-added number carries its new entry"
    );
    assert_eq!(
        ok("history after re-add", store.history(&p1).await).len(),
        3,
        "history must grow with every change"
    );

    // List: the current entries by number, each once.
    for limit in [1usize, 2, 500] {
        let all = collect_pages("blacklist list", limit, |p: PageRequest| store.list(p)).await;
        let ours: Vec<&BlacklistEntry> = all
            .iter()
            .filter(|e| [&p1, &p2, &p3, &never].contains(&&e.phone))
            .collect();
        assert_eq!(
            ours,
            vec![&again, &e2, &e3],
            "list(limit {limit}) must return each current entry once, ordered by number"
        );
        for w in all.windows(2) {
            assert!(
                w[0].phone < w[1].phone,
                "list must be ordered by number without repeats ({} then {})",
                w[0].phone,
                w[1].phone
            );
        }
    }
    match store.list(PageRequest::first(0)).await {
        Err(PortError::Invalid(_)) => {}
        r => panic!("a page limit of 0 must be Invalid, got {r:?}"),
    }
}
