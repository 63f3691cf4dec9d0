//! The [`Counters`] contract.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use chrono::Duration;

use crate::ids::{CallId, CampaignId};
use crate::ports::Counters;
use crate::usecases::dial::{Admission, DialGate, GateRequest};
use crate::usecases::keys;

use super::{base_time, ok};

/// Runs two futures at once (their requests interleave on a real store).
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    match (ra, rb) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable!("both futures are ready"),
    }
}

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

    // ---- claims: one owner at a time, released only by their owner
    let claim = format!("{namespace}/claim/call-1");
    let at = |s: i64| t0 + Duration::seconds(s);
    assert!(
        ok("claim free", c.claim(&claim, "a", t0, at(60)).await),
        "a claim nobody holds is taken"
    );
    assert!(
        !ok("claim held", c.claim(&claim, "b", at(1), at(61)).await),
        "another owner is refused while the claim is held"
    );
    assert!(
        ok("claim renew", c.claim(&claim, "a", at(2), at(62)).await),
        "its owner renews it"
    );
    assert!(
        !ok("release by other", c.release_claim(&claim, "b").await),
        "another owner cannot release it"
    );
    assert!(
        !ok(
            "claim after old end",
            c.claim(&claim, "b", at(61), at(121)).await
        ),
        "the renewal moved the lease end: still held at the old end"
    );
    assert!(
        ok("claim expired", c.claim(&claim, "b", at(62), at(122)).await),
        "an expired claim may be taken by another owner"
    );
    assert!(
        !ok(
            "release by former owner",
            c.release_claim(&claim, "a").await
        ),
        "the former owner cannot release the new owner's claim"
    );
    assert!(
        ok("release by owner", c.release_claim(&claim, "b").await),
        "its owner releases it"
    );
    assert!(
        !ok("release twice", c.release_claim(&claim, "b").await),
        "a released claim cannot be released again"
    );
    assert!(
        ok(
            "claim released",
            c.claim(&claim, "c", at(63), at(123)).await
        ),
        "a released claim is free at once"
    );
    // Concurrent claimants: exactly one wins.
    let contested = format!("{namespace}/claim/contested");
    let (x, y) = both(
        c.claim(&contested, "x", t0, at(60)),
        c.claim(&contested, "y", t0, at(60)),
    )
    .await;
    assert!(
        ok("claim x", x) ^ ok("claim y", y),
        "of two concurrent claimants exactly one holds the claim"
    );

    one_slot_holder_per_delivery(c, namespace).await;

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

/// The dial gate on these counters: two deliveries of one call at once.
/// The slot is held under the call id, so a duplicate that renewed it and
/// then released it on its way out would free a live call's slot; with one
/// claim per delivery the duplicate never reaches the slot.
async fn one_slot_holder_per_delivery(c: &dyn Counters, namespace: &str) {
    let t0 = base_time();
    let gate = DialGate {
        counters: c,
        slot_lease: Duration::minutes(15),
        adaptive: None,
        pace_changes: None,
    };
    let campaign = CampaignId::new(format!("{namespace}-gate"));
    let call = CallId::new(format!("{namespace}-gate-c1-a1"));
    let request = |delivery| GateRequest {
        campaign_id: &campaign,
        call_id: &call,
        delivery,
        max_concurrent: 5,
        calls_per_second: 1,
    };
    let (a, b) = (request("delivery-a"), request("delivery-b"));
    // WHEN two deliveries of the call ask at once
    let (claimed_a, claimed_b) = both(gate.claim(&a, t0), gate.claim(&b, t0)).await;
    let (claimed_a, claimed_b) = (ok("claim a", claimed_a), ok("claim b", claimed_b));
    assert!(
        claimed_a ^ claimed_b,
        "exactly one delivery of a call holds its claim"
    );
    let (winner, loser) = if claimed_a { (a, b) } else { (b, a) };
    // THEN the winner takes the slot and the token
    assert!(matches!(
        ok("admit winner", gate.admit(&winner, t0).await),
        Admission::Admitted { .. }
    ));
    let slots = keys::slots(&campaign);
    assert_eq!(ok("slots", c.active_slots(&slots, t0).await), 1);
    // AND the loser, asking again while the winner's call is live, is refused
    // without touching the slot, and cannot end the winner's claim
    assert!(
        !ok("loser claims", gate.claim(&loser, t0).await),
        "a duplicate delivery is refused while the call is being placed"
    );
    assert!(
        !ok("loser releases", gate.release_claim(&loser).await),
        "a duplicate delivery cannot release the live delivery's claim"
    );
    assert_eq!(
        ok("slots after duplicate", c.active_slots(&slots, t0).await),
        1,
        "the live call keeps its slot"
    );
    // AND a second call that finds no rate token this second leaves nothing held
    let other = CallId::new(format!("{namespace}-gate-c2-a1"));
    let second = GateRequest {
        call_id: &other,
        ..request("delivery-c")
    };
    assert!(ok("claim second", gate.claim(&second, t0).await));
    assert_eq!(
        ok("admit second", gate.admit(&second, t0).await),
        Admission::WaitForRate
    );
    assert_eq!(
        ok("slots after wait", c.active_slots(&slots, t0).await),
        1,
        "a call that waits holds no slot"
    );
    let next = GateRequest {
        call_id: &other,
        ..request("delivery-d")
    };
    assert!(
        ok("claim after wait", gate.claim(&next, t0).await),
        "a delivery that waits leaves the call's claim free for the next one"
    );
}
