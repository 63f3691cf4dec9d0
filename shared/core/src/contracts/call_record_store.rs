//! The [`CallRecordStore`] contract.

use chrono::{DateTime, Duration, Utc};

use crate::ids::{CallId, CampaignId, ContactId};
use crate::messages::CallPurpose;
use crate::outcome::CallOutcome;
use crate::phone::PhoneNumber;
use crate::ports::{AttemptState, CallRecord, CallRecordStore, PageRequest, PortError};

use super::{base_time, collect_pages, ns_phone, ok};

/// A fresh record in `Dialling`, as the dialer creates it.
pub fn call_record_fixture(
    campaign: &CampaignId,
    contact: &ContactId,
    attempt: u32,
    phone: PhoneNumber,
    at: DateTime<Utc>,
) -> CallRecord {
    CallRecord::dialling(
        CallId::for_attempt(contact, attempt),
        campaign.clone(),
        contact.clone(),
        phone,
        attempt,
        CallPurpose::Campaign,
        at,
    )
}

/// The exactly-once gate (`create_if_absent`), compare-and-set on state,
/// follow-up text, and listing a campaign's records by call id.
pub async fn call_record_store(store: &dyn CallRecordStore, namespace: &str) {
    let t0 = base_time();
    let camp = CampaignId::new(format!("{namespace}-cr-a"));
    let other = CampaignId::new(format!("{namespace}-cr-b"));
    let contact = ContactId::new(format!("{namespace}-ct1"));
    let record = call_record_fixture(&camp, &contact, 1, ns_phone(namespace, 1), t0);

    assert_eq!(
        ok("get missing record", store.get(&record.call_id).await),
        None,
        "get of a missing record must be None"
    );
    assert_eq!(
        ok(
            "first create_if_absent",
            store.create_if_absent(&record).await
        ),
        None,
        "the first create_if_absent must create the record and return None"
    );
    let mut dup = record.clone();
    dup.created_at = t0 + Duration::seconds(5);
    dup.state = AttemptState::Answered;
    assert_eq!(
        ok(
            "second create_if_absent",
            store.create_if_absent(&dup).await
        )
        .as_ref(),
        Some(&record),
        "a second create_if_absent must return the existing record"
    );
    assert_eq!(
        ok(
            "get after duplicate create",
            store.get(&record.call_id).await
        )
        .as_ref(),
        Some(&record),
        "a second create_if_absent must not change the stored record"
    );

    // Compare-and-set on state.
    let mut originated = record.clone();
    originated.state = AttemptState::Originated;
    ok(
        "update dialling -> originated",
        store.update(&originated, AttemptState::Dialling).await,
    );
    let mut late = record.clone();
    late.state = AttemptState::Originated;
    late.digits = "late".into();
    match store.update(&late, AttemptState::Dialling).await {
        Err(PortError::Conflict(_)) => {}
        r => panic!("update with a stale expected state must fail with Conflict, got {r:?}"),
    }
    let mut ended = originated.clone();
    ended.state = AttemptState::Ended;
    ended.answered_at = Some(t0 + Duration::seconds(8));
    ended.ended_at = Some(t0 + Duration::seconds(40));
    ended.duration_secs = Some(32);
    ended.outcome = Some(CallOutcome::Converted);
    ended.digits = "1".into();
    ok(
        "update originated -> ended",
        store.update(&ended, AttemptState::Originated).await,
    );
    assert_eq!(
        ok("get ended", store.get(&record.call_id).await).as_ref(),
        Some(&ended),
        "update must write the whole record"
    );
    let ghost = call_record_fixture(&camp, &contact, 9, ns_phone(namespace, 1), t0);
    match store.update(&ghost, AttemptState::Dialling).await {
        Err(PortError::NotFound(_) | PortError::Conflict(_)) => {}
        r => panic!("update of a missing record must fail (NotFound or Conflict), got {r:?}"),
    }
    assert_eq!(
        ok(
            "get after update of missing",
            store.get(&ghost.call_id).await
        ),
        None,
        "update must never create a record"
    );

    // set_follow_up changes only the follow-up text.
    ok(
        "set_follow_up",
        store.set_follow_up(&record.call_id, "SMS Sent").await,
    );
    let mut with_follow_up = ended.clone();
    with_follow_up.follow_up = Some("SMS Sent".into());
    assert_eq!(
        ok("get after set_follow_up", store.get(&record.call_id).await).as_ref(),
        Some(&with_follow_up),
        "set_follow_up must set the text and change nothing else"
    );
    match store.set_follow_up(&ghost.call_id, "SMS Sent").await {
        Err(PortError::NotFound(_)) => {}
        r => panic!("set_follow_up of a missing record must fail with NotFound, got {r:?}"),
    }
    assert_eq!(
        ok(
            "get after set_follow_up of missing",
            store.get(&ghost.call_id).await
        ),
        None,
        "set_follow_up must never create a record"
    );

    // Listing by campaign, by call id, every record once.
    let mut mine = vec![record.call_id.clone()];
    for i in 2..=8u32 {
        let c = ContactId::new(format!("{namespace}-ct{}", 10 - i));
        let r = call_record_fixture(&camp, &c, i % 3 + 1, ns_phone(namespace, i), t0);
        assert_eq!(
            ok("create for listing", store.create_if_absent(&r).await),
            None,
            "a new call id must be created"
        );
        mine.push(r.call_id);
    }
    let foreign = call_record_fixture(&other, &contact, 1, ns_phone(namespace, 1), t0);
    let foreign = CallRecord {
        call_id: CallId::new(format!("{}-other", foreign.call_id)),
        ..foreign
    };
    ok("create foreign", store.create_if_absent(&foreign).await);
    mine.sort();
    for limit in [1usize, 3, 100] {
        let listed = collect_pages("call record list", limit, |p: PageRequest| {
            store.list(&camp, p)
        })
        .await;
        let ids: Vec<CallId> = listed.iter().map(|r| r.call_id.clone()).collect();
        assert_eq!(
            ids, mine,
            "list(limit {limit}) must return the campaign's records once each, by call id"
        );
    }
    match store.list(&camp, PageRequest::first(0)).await {
        Err(PortError::Invalid(_)) => {}
        r => panic!("a page limit of 0 must be Invalid, got {r:?}"),
    }
}
