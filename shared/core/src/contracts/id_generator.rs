//! The [`IdGenerator`] contract.

use std::collections::HashSet;

use crate::ports::IdGenerator;

/// Ids start with their prefix and never repeat, also when generated from
/// several threads at once.
pub fn id_generator(ids: &dyn IdGenerator, namespace: &str) {
    let prefix = format!("{namespace}-id");
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let id = ids.next_id(&prefix);
        assert!(
            id.starts_with(&prefix),
            "id {id} must start with its prefix {prefix}"
        );
        assert!(
            id.len() > prefix.len(),
            "id {id} must add something to its prefix"
        );
        assert!(seen.insert(id.clone()), "id {id} was issued twice");
    }
    let other = ids.next_id("cmp");
    assert!(
        other.starts_with("cmp"),
        "id {other} must start with its prefix cmp"
    );
    let from_threads: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| (0..500).map(|_| ids.next_id(&prefix)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("an id thread panicked")))
            .collect()
    });
    for id in from_threads.into_iter().flatten() {
        assert!(
            seen.insert(id.clone()),
            "id {id} was issued twice across threads"
        );
    }
    assert_eq!(seen.len(), 3000, "every id must be distinct");
}
