//! Port contract suites: the behaviour every adapter of a port must show,
//! written once and run by each adapter crate (embedded and AWS) against its
//! own implementation.
//!
//! Each suite is an `async fn` that panics (with a message naming the rule)
//! on the first broken rule. Suites take a `namespace` that prefixes every id,
//! key and phone number they create, so the same suite can run repeatedly
//! against one shared emulator (DynamoDB, SQS, S3) without collisions; use a
//! fresh namespace per run (e.g. a timestamp or random suffix).
//!
//! Rules common to every paged listing: a page holds at most `limit` items,
//! `next == None` only on the last page (a page may be shorter than `limit`,
//! even empty, while `next` is set), and following `next` from the first page
//! visits every item exactly once. A page limit of 0 is invalid.
//!
//! Suites:
//! - stores: [`campaign_store`], [`contact_store`], [`blacklist_store`],
//!   [`call_record_store`], [`audit_log`];
//! - [`counters`] (slots with leases, rate buckets, counters, seen marks);
//! - messaging: [`dial_queue`] (needs an empty queue and a [`Timeline`]),
//!   [`event_bus`] (needs a [`BusObserver`]);
//! - providers: [`object_store`], [`secrets`], [`secret_versions`], [`id_generator`],
//!   [`sms_gateway`], [`speech_synthesizer`].

mod audit_log;
mod blacklist_store;
mod call_record_store;
mod campaign_store;
mod contact_store;
mod counters;
mod dial_queue;
mod event_bus;
mod id_generator;
mod object_store;
mod secrets;
mod sms_gateway;
mod speech_synthesizer;

pub use audit_log::audit_log;
pub use blacklist_store::blacklist_store;
pub use call_record_store::{call_record_fixture, call_record_store};
pub use campaign_store::campaign_store;
pub use contact_store::contact_store;
pub use counters::counters;
pub use dial_queue::dial_queue;
pub use event_bus::{BusObserver, event_bus};
pub use id_generator::id_generator;
pub use object_store::object_store;
pub use secrets::{secret_versions, secrets};
pub use sms_gateway::sms_gateway;
pub use speech_synthesizer::speech_synthesizer;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::campaign::{Campaign, CampaignKind, CampaignSettings, CampaignStatus, Carrier};
use crate::contact::{Contact, ContactStatus};
use crate::ids::{CampaignId, ContactId};
use crate::pacing::PaceLimits;
use crate::phone::{Delivery, LineType, PhoneNumber};
use crate::ports::{Page, PageRequest, PortResult};
use crate::retry::RetryPolicy;
use crate::schedule::Schedule;

/// Time as the queue suite sees it: `now` for the port calls and `wait` to
/// let time pass. Embedded adapters run in virtual time ([`VirtualTime`]);
/// an adapter over a real service (SQS) implements `wait` as a real sleep
/// and `now` as the wall clock.
#[async_trait]
pub trait Timeline: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    async fn wait(&self, d: Duration);
}

/// A timeline that moves only when waited on (instantly).
#[derive(Debug)]
pub struct VirtualTime {
    now: Mutex<DateTime<Utc>>,
}

impl VirtualTime {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }
}

impl Default for VirtualTime {
    fn default() -> Self {
        Self::new(base_time())
    }
}

#[async_trait]
impl Timeline for VirtualTime {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
    async fn wait(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += d;
    }
}

/// The instant the suites' fixtures are built around (a fixed date keeps
/// failures reproducible).
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A stable 64-bit FNV-1a hash (used to derive per-namespace numbers).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A phone number unique to `namespace` and `i` (`i < 1000`), in the
/// unassigned `+999` country code so no real number is ever used.
pub fn ns_phone(namespace: &str, i: u32) -> PhoneNumber {
    let block = fnv1a(namespace.as_bytes()) % 100_000_000;
    let s = format!("+999{block:08}{:03}", i % 1000);
    match PhoneNumber::from_e164(&s) {
        Ok(p) => p,
        Err(e) => panic!("fixture number {s} is not E.164: {e}"),
    }
}

/// A draft campaign with plain settings (no IVR flow, no windows).
pub fn campaign_fixture(id: &CampaignId, created_at: DateTime<Utc>) -> Campaign {
    Campaign {
        id: id.clone(),
        name: format!("contract {id}"),
        kind: CampaignKind::Voice,
        status: CampaignStatus::Draft,
        settings: CampaignSettings {
            audio: Some("sound:contract-test".into()),
            ivr: None,
            sms_template: Some("Thank you {{name}}".into()),
            tts_template: None,
            schedule: Schedule {
                start: None,
                end: None,
                timezone: chrono_tz::UTC,
                windows: Vec::new(),
            },
            pace: PaceLimits::default(),
            retry: RetryPolicy::default(),
            carrier: Carrier::Asterisk,
            caller_id: None,
            ring_timeout_secs: 30,
        },
        created_at,
        updated_at: created_at,
        created_by: "contract-suite".into(),
        version: 1,
    }
}

/// A pending contact, due now (no next-attempt time).
pub fn contact_fixture(campaign: &CampaignId, id: &str, phone: PhoneNumber) -> Contact {
    let mut metadata = BTreeMap::new();
    metadata.insert("name".to_owned(), format!("Contact {id}"));
    Contact {
        id: ContactId::new(id),
        campaign_id: campaign.clone(),
        phone,
        line_type: LineType::Mobile,
        delivery: Delivery::Sms,
        timezone: None,
        metadata: std::sync::Arc::new(metadata),
        status: ContactStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        last_attempt_at: None,
        last_outcome: None,
        settled_attempts: 0,
        history: Vec::new(),
    }
}

/// Follows `next` from the first page to the end, checking the paging
/// rules on the way, and returns every item in order.
pub async fn collect_pages<T, F, Fut>(what: &str, limit: usize, mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = PortResult<Page<T>>>,
{
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit);
    // A generous bound so a cursor that never ends fails the suite instead
    // of hanging it.
    for _ in 0..100_000 {
        let page = match fetch(request.clone()).await {
            Ok(p) => p,
            Err(e) => panic!("{what}: listing a page failed: {e}"),
        };
        assert!(
            page.items.len() <= limit,
            "{what}: a page holds {} items, more than the limit {limit}",
            page.items.len()
        );
        all.extend(page.items);
        match page.next {
            Some(next) => {
                assert!(
                    request.cursor.as_deref() != Some(next.as_str()),
                    "{what}: the cursor did not move"
                );
                request.cursor = Some(next);
            }
            None => return all,
        }
    }
    panic!("{what}: paging did not end");
}

/// Unwraps a port result with a message naming the step.
pub(crate) fn ok<T>(what: &str, r: PortResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_numbers_are_valid_and_distinct() {
        let a = ns_phone("ns-a", 1);
        let b = ns_phone("ns-b", 1);
        let a2 = ns_phone("ns-a", 2);
        assert_ne!(a, b);
        assert_ne!(a, a2);
        assert_eq!(a, ns_phone("ns-a", 1));
    }
}
