//! The [`Counters`] contract.

use chrono::Duration;

use crate::ports::Counters;

use super::{base_time, ok};

/// Concurrency slots with leases, one-second rate buckets, named counters
/// and seen marks with expiry. All times are the ones passed in.
pub async fn counters(c: &dyn Counters, namespace: &str) {
    let t0 = base_time();
    let lease = t0 + Duration::minutes(15);

    // ---- slots: up to the limit, idempotent per holder, release frees
    let scope = format!("{namespace}/slots/a");
    assert_eq!(
        ok("active_slots empty", c.active_slots(&scope, t0).await),
        0,
        "a new scope has no slots held"
    );
    for holder in ["h1", "h2", "h3"] {
        assert!(
            ok(
                "acquire under limit",
                c.acquire_slot(&scope, holder, 3, t0, lease).await
            ),
            "{holder} must get one of 3 free slots"
        );
    }
    assert!(
        !ok(
            "acquire at limit",
            c.acquire_slot(&scope, "h4", 3, t0, lease).await
        ),
        "a fourth holder must be refused when all 3 slots are held"
    );
    assert!(
        ok(
            "acquire again",
            c.acquire_slot(&scope, "h2", 3, t0, lease).await
        ),
        "acquire is idempotent: a holder that holds a slot gets true again"
    );
    assert_eq!(
        ok("active_slots full", c.active_slots(&scope, t0).await),
        3,
        "a repeated acquire must not take a second slot"
    );
    assert!(
        ok("release held", c.release_slot(&scope, "h1").await),
        "releasing a held slot must return true"
    );
    assert!(
        !ok("release again", c.release_slot(&scope, "h1").await),
        "releasing a slot twice must return false the second time"
    );
    assert!(
        !ok("release never held", c.release_slot(&scope, "nobody").await),
        "releasing a slot never held must return false"
    );
    assert_eq!(
        ok(
            "active_slots after release",
            c.active_slots(&scope, t0).await
        ),
        2,
        "a released slot is free"
    );
    assert!(
        ok(
            "acquire freed slot",
            c.acquire_slot(&scope, "h4", 3, t0, lease).await
        ),
        "a released slot can be taken by another holder"
    );
    // Scopes are independent.
    let scope_b = format!("{namespace}/slots/b");
    assert!(
        ok(
            "acquire other scope",
            c.acquire_slot(&scope_b, "h1", 1, t0, lease).await
        ),
        "slots of another scope are independent"
    );

    // ---- leases expire on their own
    let scope_l = format!("{namespace}/slots/lease");
    let short = t0 + Duration::seconds(10);
    assert!(
        ok(
            "acquire with short lease",
            c.acquire_slot(&scope_l, "crashed", 1, t0, short).await
        ),
        "the only slot must be free"
    );
    assert!(
        !ok(
            "acquire while leased",
            c.acquire_slot(&scope_l, "next", 1, t0 + Duration::seconds(9), lease)
                .await
        ),
        "the slot is held until its lease ends"
    );
    assert_eq!(
        ok(
            "active_slots before expiry",
            c.active_slots(&scope_l, t0 + Duration::seconds(9)).await
        ),
        1,
        "a lease not yet ended holds its slot"
    );
    assert_eq!(
        ok(
            "active_slots at expiry",
            c.active_slots(&scope_l, short).await
        ),
        0,
        "a lease ends at `lease_until`: the slot is free from then on"
    );
    let later = t0 + Duration::seconds(11);
    assert!(
        ok(
            "acquire after expiry",
            c.acquire_slot(&scope_l, "next", 1, later, later + Duration::minutes(15))
                .await
        ),
        "an expired lease frees its slot for another holder"
    );
    // Releasing an expired lease never frees another holder's slot.
    ok("release expired", c.release_slot(&scope_l, "crashed").await);
    assert_eq!(
        ok(
            "active_slots after release of expired",
            c.active_slots(&scope_l, later).await
        ),
        1,
        "releasing an expired lease must not free the new holder's slot"
    );

    // ---- rate: at most `limit` per one-second bucket
    let rate = format!("{namespace}/rate");
    let s0 = t0 + Duration::milliseconds(100);
    for i in 0..3 {
        assert!(
            ok(
                "take_rate under limit",
                c.take_rate(&rate, s0 + Duration::milliseconds(i * 200), 3)
                    .await
            ),
            "start {} of 3 in one second must be allowed",
            i + 1
        );
    }
    assert!(
        !ok(
            "take_rate at limit",
            c.take_rate(&rate, s0 + Duration::milliseconds(850), 3)
                .await
        ),
        "a fourth start in the same second must be refused"
    );
    assert!(
        ok(
            "take_rate next second",
            c.take_rate(&rate, t0 + Duration::seconds(1), 3).await
        ),
        "the next second has a fresh budget"
    );
    let counted = ok(
        "starts_between",
        c.starts_between(&rate, t0.timestamp(), t0.timestamp() + 2)
            .await,
    );
    assert_eq!(counted, 4, "3 starts in the first second and 1 in the next");
    assert_eq!(
        ok(
            "starts_between first second",
            c.starts_between(&rate, t0.timestamp(), t0.timestamp() + 1)
                .await
        ),
        3,
        "refused starts are not counted"
    );
    assert_eq!(
        ok(
            "starts_between empty",
            c.starts_between(&rate, t0.timestamp() + 2, t0.timestamp() + 10)
                .await
        ),
        0
    );
    assert!(
        !ok(
            "take_rate limit 0",
            c.take_rate(&format!("{namespace}/rate0"), t0, 0).await
        ),
        "a limit of 0 allows nothing"
    );

    // ---- named counters
    let key = format!("{namespace}/metrics/answered");
    assert_eq!(
        ok("get missing counter", c.get(&key).await),
        0,
        "a new counter reads 0"
    );
    assert_eq!(
        ok("add 1", c.add(&key, 1).await),
        1,
        "add returns the new value"
    );
    assert_eq!(
        ok("add 4", c.add(&key, 4).await),
        5,
        "add returns the new value"
    );
    assert_eq!(
        ok("add -2", c.add(&key, -2).await),
        3,
        "negative deltas subtract"
    );
    assert_eq!(
        ok("get counter", c.get(&key).await),
        3,
        "get reads the current value"
    );
    assert_eq!(
        ok(
            "get other counter",
            c.get(&format!("{namespace}/metrics/other")).await
        ),
        0,
        "counters are independent"
    );
    // Many at once: in the order asked, repeats and unknown ones included,
    // past one batch (DynamoDB reads 100 keys a request).
    let mut many: Vec<String> = (0..150)
        .map(|i| format!("{namespace}/metrics/many-{i}"))
        .collect();
    ok("add many-149", c.add(&many[149], 7).await);
    many.push(key.clone());
    many.push(many[149].clone());
    let values = ok("get_many", c.get_many(&many).await);
    assert_eq!(values.len(), many.len(), "one value per key asked");
    assert_eq!(values[149], 7);
    assert_eq!(values[150], 3);
    assert_eq!(values[151], 7, "a repeated key reads its value again");
    assert_eq!(
        values.iter().sum::<i64>(),
        17,
        "the never-added ones read 0"
    );

    // ---- seen marks with expiry
    let mark = format!("{namespace}/seen/evt-1");
    let ttl = Duration::days(7);
    assert!(
        !ok("seen before mark", c.seen(&mark, t0).await),
        "nothing is seen before it is marked"
    );
    assert!(
        ok("first mark", c.mark_seen(&mark, t0, ttl).await),
        "the first mark returns true"
    );
    assert!(
        !ok(
            "second mark",
            c.mark_seen(&mark, t0 + Duration::minutes(1), ttl).await
        ),
        "marking a remembered key returns false"
    );
    assert!(
        ok(
            "seen after mark",
            c.seen(&mark, t0 + Duration::days(6)).await
        ),
        "a mark is remembered within its ttl"
    );
    assert!(
        !ok("seen after ttl", c.seen(&mark, t0 + ttl).await),
        "a mark is forgotten once its ttl has passed"
    );
    assert!(
        ok(
            "mark after ttl",
            c.mark_seen(&mark, t0 + ttl + Duration::seconds(1), ttl)
                .await
        ),
        "a forgotten key can be marked again"
    );
    assert!(
        !ok(
            "seen other key",
            c.seen(&format!("{namespace}/seen/evt-2"), t0).await
        ),
        "marks are per key"
    );
}
