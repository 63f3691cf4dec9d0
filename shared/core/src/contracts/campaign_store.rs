//! The [`CampaignStore`] contract.

use chrono::Duration;

use crate::campaign::CampaignStatus;
use crate::ids::CampaignId;
use crate::ports::{CampaignStore, PageRequest, PortError};

use super::{base_time, campaign_fixture, collect_pages, ok};

/// Create conflicts on an existing id, get of a missing id is `None`,
/// updates are compare-and-set on the version, listing is oldest first and
/// pages cover every campaign exactly once.
pub async fn campaign_store(store: &dyn CampaignStore, namespace: &str) {
    let t0 = base_time();
    let id = CampaignId::new(format!("{namespace}-cmp-main"));
    let campaign = campaign_fixture(&id, t0);

    // Missing id reads as None, not as an error.
    let missing = CampaignId::new(format!("{namespace}-cmp-missing"));
    assert_eq!(
        ok("get missing campaign", store.get(&missing).await),
        None,
        "get of a campaign that was never created must be None"
    );

    ok("create campaign", store.create(&campaign).await);
    assert_eq!(
        ok("get created campaign", store.get(&id).await).as_ref(),
        Some(&campaign),
        "get must return the campaign exactly as created"
    );

    // A second create with the same id conflicts and changes nothing.
    let mut other = campaign.clone();
    other.name = "overwritten".into();
    match store.create(&other).await {
        Err(PortError::Conflict(_)) => {}
        r => panic!("create of an existing id must fail with Conflict, got {r:?}"),
    }
    assert_eq!(
        ok("get after create conflict", store.get(&id).await).as_ref(),
        Some(&campaign),
        "a conflicting create must not change the stored campaign"
    );

    // Optimistic update: the stored version must be the expected one.
    let mut v2 = campaign.clone();
    v2.status = CampaignStatus::Scheduled;
    v2.version = 2;
    v2.updated_at = t0 + Duration::minutes(1);
    ok("update from version 1", store.update(&v2, 1).await);
    assert_eq!(
        ok("get after update", store.get(&id).await).as_ref(),
        Some(&v2),
        "update must write the whole campaign"
    );

    let mut stale = campaign.clone();
    stale.status = CampaignStatus::Cancelled;
    stale.version = 2;
    match store.update(&stale, 1).await {
        Err(PortError::Conflict(_)) => {}
        r => panic!("update with a stale expected version must fail with Conflict, got {r:?}"),
    }
    assert_eq!(
        ok("get after stale update", store.get(&id).await).as_ref(),
        Some(&v2),
        "a stale update must leave the newer campaign in place"
    );

    // Updating a campaign that does not exist must not create it.
    let ghost = campaign_fixture(&missing, t0);
    match store.update(&ghost, 1).await {
        Err(PortError::NotFound(_) | PortError::Conflict(_)) => {}
        r => panic!("update of a missing campaign must fail (NotFound or Conflict), got {r:?}"),
    }
    assert_eq!(
        ok("get after update of missing", store.get(&missing).await),
        None,
        "update must never create a campaign"
    );

    // Listing: create more campaigns with distinct creation times, in an
    // order that differs from their age, then page through everything.
    let mut mine = vec![id.clone()];
    for (i, minutes) in [5i64, 2, 9, 1, 7, 3, 8].into_iter().enumerate() {
        let cid = CampaignId::new(format!("{namespace}-cmp-list-{i}"));
        let c = campaign_fixture(&cid, t0 + Duration::minutes(minutes));
        ok("create campaign for listing", store.create(&c).await);
        mine.push(cid);
    }
    for limit in [1usize, 3, 100] {
        let all = collect_pages("campaign list", limit, |p: PageRequest| store.list(p)).await;
        let ours: Vec<_> = all
            .iter()
            .filter(|c| c.id.as_str().starts_with(namespace))
            .collect();
        for cid in &mine {
            let n = ours.iter().filter(|c| &c.id == cid).count();
            assert_eq!(
                n, 1,
                "listing with limit {limit} must return campaign {cid} exactly once, got {n}"
            );
        }
        assert_eq!(
            ours.len(),
            mine.len(),
            "listing returned campaigns of this namespace that were never created"
        );
        for w in ours.windows(2) {
            assert!(
                w[0].created_at <= w[1].created_at,
                "campaigns must be listed oldest first: {} ({}) came before {} ({})",
                w[0].id,
                w[0].created_at,
                w[1].id,
                w[1].created_at
            );
        }
    }

    match store.list(PageRequest::first(0)).await {
        Err(PortError::Invalid(_)) => {}
        r => panic!("a page limit of 0 must be Invalid, got {r:?}"),
    }
}
