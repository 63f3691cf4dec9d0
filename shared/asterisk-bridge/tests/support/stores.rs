//! The stores the bridge's re-check reads, in memory (the embedded
//! adapters), seeded as the dialer leaves them: an active campaign that may
//! dial at any hour (no calling windows) and its contacts in progress.

use std::sync::Arc;

use asterisk_bridge::bridge::RecheckStores;
use campaign_core::campaign::{Campaign, CampaignKind, CampaignStatus};
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::phone::{Delivery, LineType, PhoneNumber};
use campaign_core::ports::{CampaignStore, ContactStore};
use campaign_embedded::store::MemoryStore;

pub async fn seeded_store(campaign: &str, contacts: &[&str]) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let mut settings = campaign_embedded::testing::settings();
    settings.schedule.windows.clear();
    let now = chrono::Utc::now();
    store
        .create(&Campaign {
            id: CampaignId::new(campaign),
            name: "bridge tests".into(),
            kind: CampaignKind::Voice,
            status: CampaignStatus::Active,
            settings,
            created_at: now,
            updated_at: now,
            created_by: "tester".into(),
            version: 1,
        })
        .await
        .expect("campaign");
    let contacts: Vec<Contact> = contacts
        .iter()
        .map(|id| Contact {
            id: ContactId::new(*id),
            campaign_id: CampaignId::new(campaign),
            phone: PhoneNumber::from_e164("+972501234567").expect("e164"),
            line_type: LineType::Mobile,
            delivery: Delivery::Sms,
            timezone: None,
            metadata: Default::default(),
            status: ContactStatus::InProgress,
            attempts: 1,
            next_attempt_at: None,
            last_attempt_at: Some(now),
            last_outcome: None,
            settled_attempts: 0,
            history: Vec::new(),
        })
        .collect();
    store.insert_many(&contacts).await.expect("contacts");
    store
}

pub fn stores(store: &Arc<MemoryStore>) -> RecheckStores {
    RecheckStores {
        campaigns: store.clone(),
        contacts: store.clone(),
        blacklist: store.clone(),
    }
}
