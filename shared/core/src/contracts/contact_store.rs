//! The [`ContactStore`] contract.

use chrono::Duration;

use crate::contact::{Contact, ContactStatus};
use crate::ids::{CampaignId, ContactId};
use crate::outcome::CallOutcome;
use crate::ports::{ContactStore, PageRequest, PortError, StatusCounts};

use super::{base_time, collect_pages, contact_fixture, ns_phone, ok};

/// Idempotent inserts, compare-and-set status moves, the due listing
/// (pending only, due at `at`, oldest due first then by id, paged, one
/// campaign only), listing by id, status counts and lookup by number.
pub async fn contact_store(store: &dyn ContactStore, namespace: &str) {
    let t0 = base_time();
    let camp = CampaignId::new(format!("{namespace}-cc-a"));
    let other = CampaignId::new(format!("{namespace}-cc-b"));

    // ---- insert_many is idempotent on (campaign, id)
    let mut batch: Vec<Contact> = (0..12)
        .map(|i| {
            contact_fixture(
                &camp,
                &format!("{namespace}-k{i:02}"),
                ns_phone(namespace, i),
            )
        })
        .collect();
    // Due times: some unset (due at once), some past, some future.
    let offsets: [Option<i64>; 12] = [
        None,
        Some(-30),
        Some(10),
        Some(-5),
        None,
        Some(-30),
        Some(60),
        Some(-1),
        Some(0),
        Some(5),
        Some(-10),
        None,
    ];
    for (c, off) in batch.iter_mut().zip(offsets) {
        c.next_attempt_at = off.map(|m| t0 + Duration::minutes(m));
    }
    let inserted = ok("insert_many", store.insert_many(&batch).await);
    assert_eq!(inserted, 12, "insert_many must report every new contact");

    // Same ids again (with changed state): nothing new, nothing reset.
    let mut again = batch.clone();
    for c in &mut again {
        c.attempts = 99;
        c.status = ContactStatus::Completed;
    }
    let inserted = ok("insert_many again", store.insert_many(&again).await);
    assert_eq!(
        inserted, 0,
        "a repeated insert of existing ids must report 0 new contacts"
    );
    for c in &batch {
        assert_eq!(
            ok("get contact", store.get(&camp, &c.id).await).as_ref(),
            Some(c),
            "a repeated insert must leave contact {} as it was",
            c.id
        );
    }
    // A mixed batch counts only the new one.
    let extra = contact_fixture(&camp, &format!("{namespace}-k12"), ns_phone(namespace, 12));
    let mixed = vec![batch[0].clone(), extra.clone()];
    assert_eq!(
        ok("insert_many mixed", store.insert_many(&mixed).await),
        1,
        "a batch with one new contact must report 1"
    );
    batch.push(extra);

    // The other campaign holds a contact with the same number and an
    // overdue time: it must never show up in the first campaign's listings.
    let mut foreign = contact_fixture(&other, &format!("{namespace}-k00"), ns_phone(namespace, 0));
    foreign.next_attempt_at = Some(t0 - Duration::hours(5));
    assert_eq!(
        ok(
            "insert into other campaign",
            store.insert_many(std::slice::from_ref(&foreign)).await
        ),
        1,
        "the same contact id in another campaign is a different contact"
    );

    // ---- get
    assert_eq!(
        ok(
            "get missing contact",
            store
                .get(&camp, &ContactId::new(format!("{namespace}-nobody")))
                .await
        ),
        None,
        "get of a missing contact must be None"
    );
    assert_eq!(
        ok(
            "get across campaigns",
            store.get(&other, &batch[1].id).await
        ),
        None,
        "get must not find a contact of another campaign"
    );

    // ---- update is compare-and-set on status
    let mut claimed = batch[3].clone();
    claimed.status = ContactStatus::InProgress;
    match store.update(&claimed, ContactStatus::InProgress).await {
        Err(PortError::Conflict(_)) => {}
        r => panic!("update with a wrong expected status must fail with Conflict, got {r:?}"),
    }
    assert_eq!(
        ok(
            "get after failed update",
            store.get(&camp, &claimed.id).await
        )
        .as_ref(),
        Some(&batch[3]),
        "a conflicting update must change nothing"
    );
    ok(
        "update pending -> in progress",
        store.update(&claimed, ContactStatus::Pending).await,
    );
    match store.update(&claimed, ContactStatus::Pending).await {
        Err(PortError::Conflict(_)) => {}
        r => panic!("a second claim from Pending must fail with Conflict, got {r:?}"),
    }
    assert_eq!(
        ok("get after update", store.get(&camp, &claimed.id).await).as_ref(),
        Some(&claimed),
        "update must write the whole contact"
    );
    batch[3] = claimed;

    let mut done = batch[7].clone();
    done.status = ContactStatus::Completed;
    done.attempts = 1;
    done.last_outcome = Some(CallOutcome::Answered);
    ok(
        "update to completed",
        store.update(&done, ContactStatus::Pending).await,
    );
    batch[7] = done;

    let mut listed = batch[10].clone();
    listed.status = ContactStatus::Blacklisted;
    ok(
        "update to blacklisted",
        store.update(&listed, ContactStatus::Pending).await,
    );
    batch[10] = listed;

    // A pending contact rescheduled into the future leaves the due set.
    let mut later = batch[1].clone();
    later.next_attempt_at = Some(t0 + Duration::hours(2));
    ok(
        "reschedule",
        store.update(&later, ContactStatus::Pending).await,
    );
    batch[1] = later;

    let ghost = contact_fixture(
        &camp,
        &format!("{namespace}-ghost"),
        ns_phone(namespace, 99),
    );
    match store.update(&ghost, ContactStatus::Pending).await {
        Err(PortError::NotFound(_) | PortError::Conflict(_)) => {}
        r => panic!("update of a missing contact must fail (NotFound or Conflict), got {r:?}"),
    }
    assert_eq!(
        ok(
            "get after update of missing",
            store.get(&camp, &ghost.id).await
        ),
        None,
        "update must never create a contact"
    );

    // ---- due: pending, next_attempt_at unset or <= at, oldest due first then id
    let mut expected: Vec<&Contact> = batch
        .iter()
        .filter(|c| c.status == ContactStatus::Pending)
        .filter(|c| c.next_attempt_at.is_none_or(|t| t <= t0))
        .collect();
    expected.sort_by(|a, b| {
        a.next_attempt_at
            .cmp(&b.next_attempt_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let expected_ids: Vec<&ContactId> = expected.iter().map(|c| &c.id).collect();
    assert!(
        expected_ids.len() >= 6,
        "fixture error: too few due contacts"
    );
    for limit in [1usize, 2, 5, 50] {
        let due = collect_pages("due", limit, |p: PageRequest| store.due(&camp, t0, p)).await;
        let got: Vec<&ContactId> = due.iter().map(|c| &c.id).collect();
        assert_eq!(
            got, expected_ids,
            "due(limit {limit}) must return exactly the pending contacts due at `at` \
             (unset time first, then oldest due, then by id)"
        );
        assert!(
            due.iter().all(|c| c.campaign_id == camp),
            "due must not return contacts of another campaign"
        );
    }
    // Exactly at the due instant counts as due; a second earlier does not.
    let at_edge = collect_pages("due at edge", 50, |p: PageRequest| {
        store.due(&camp, t0 - Duration::seconds(1), p)
    })
    .await;
    assert!(
        !at_edge.iter().any(|c| c.id == batch[8].id),
        "a contact due at t0 must not be due a second before"
    );
    assert!(
        at_edge.iter().any(|c| c.id == batch[0].id),
        "a contact with no time set is always due"
    );
    // Later on, the future ones become due too (but never in-progress or terminal ones).
    let later_due = collect_pages("due later", 4, |p: PageRequest| {
        store.due(&camp, t0 + Duration::days(1), p)
    })
    .await;
    let pending_total = batch
        .iter()
        .filter(|c| c.status == ContactStatus::Pending)
        .count();
    assert_eq!(
        later_due.len(),
        pending_total,
        "a day later every pending contact must be due"
    );
    assert!(
        later_due.iter().all(|c| c.status == ContactStatus::Pending),
        "due must return only pending contacts"
    );
    let none_campaign = CampaignId::new(format!("{namespace}-cc-empty"));
    let empty = ok(
        "due of an empty campaign",
        store.due(&none_campaign, t0, PageRequest::first(10)).await,
    );
    assert!(
        empty.items.is_empty() && empty.next.is_none(),
        "due of a campaign without contacts must be one empty last page"
    );

    // ---- list: every contact of the campaign by id, exactly once
    let mut all_ids: Vec<&ContactId> = batch.iter().map(|c| &c.id).collect();
    all_ids.sort();
    for limit in [1usize, 4, 100] {
        let listed =
            collect_pages("contact list", limit, |p: PageRequest| store.list(&camp, p)).await;
        let got: Vec<&ContactId> = listed.iter().map(|c| &c.id).collect();
        assert_eq!(
            got, all_ids,
            "list(limit {limit}) must return every contact of the campaign once, by id"
        );
    }
    match store.list(&camp, PageRequest::first(0)).await {
        Err(PortError::Invalid(_)) => {}
        r => panic!("a page limit of 0 must be Invalid, got {r:?}"),
    }

    // ---- count_by_status follows every status change
    let mut counts = StatusCounts::default();
    for c in &batch {
        counts.add(c.status, 1);
    }
    assert_eq!(
        ok("count_by_status", store.count_by_status(&camp).await),
        counts,
        "count_by_status must match the stored statuses"
    );
    assert_eq!(
        ok(
            "count_by_status empty",
            store.count_by_status(&none_campaign).await
        ),
        StatusCounts::default(),
        "a campaign without contacts counts zero"
    );
    let mut back = batch[3].clone();
    back.status = ContactStatus::Failed;
    ok(
        "update to failed",
        store.update(&back, ContactStatus::InProgress).await,
    );
    counts.in_progress -= 1;
    counts.failed += 1;
    assert_eq!(
        ok(
            "count_by_status after update",
            store.count_by_status(&camp).await
        ),
        counts,
        "count_by_status must follow a status change"
    );

    // ---- find_by_phone spans campaigns
    let phone = ns_phone(namespace, 0);
    let mut found = ok("find_by_phone", store.find_by_phone(&phone).await);
    found.sort_by(|a, b| a.campaign_id.cmp(&b.campaign_id));
    let found_keys: Vec<(&CampaignId, &ContactId)> =
        found.iter().map(|c| (&c.campaign_id, &c.id)).collect();
    assert_eq!(
        found_keys,
        vec![(&camp, &batch[0].id), (&other, &foreign.id)],
        "find_by_phone must return the number's contact in every campaign"
    );
    assert!(
        ok(
            "find_by_phone unknown",
            store.find_by_phone(&ns_phone(namespace, 500)).await
        )
        .is_empty(),
        "find_by_phone of an unknown number must be empty"
    );
}
