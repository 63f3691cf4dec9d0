//! Every port contract suite of `campaign-core` run against the embedded
//! adapters, plus tests of what only the embedded adapters promise
//! (persistence, the due index at scale, FIFO order, helpers).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use campaign_core::blacklist::{BlacklistEntry, BlacklistSource};
use campaign_core::clock::ManualClock;
use campaign_core::contact::ContactStatus;
use campaign_core::contracts::{self, BusObserver, VirtualTime, base_time, ns_phone};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::messages::{DialTask, MESSAGE_VERSION};
use campaign_core::ports::{
    AuditLog, AuditRecord, BlacklistStore, BusEvent, CampaignStore, ContactStore, Counters,
    DialQueue, DialQueueConsumer, EventBus, IdGenerator, ObjectStore, PageRequest, PortError,
    Secrets, SmsError, SmsGateway, SpeechSynthesizer, TtsError,
};
use campaign_embedded::bus::MemoryBus;
use campaign_embedded::counters::MemoryCounters;
use campaign_embedded::providers::{
    ConsoleSms, DirObjects, EnvSecrets, LocalSynthesizer, MapSecrets, MemoryObjects, SequentialIds,
    TTS_MAX_CHARS,
};
use campaign_embedded::queue::MemoryQueue;
use campaign_embedded::store::{MemoryStore, StoreFileError};
use chrono::Duration;

const NS: &str = "emb";

// ---------------------------------------------------------------- suites

#[tokio::test]
async fn campaign_store_contract() {
    contracts::campaign_store(&MemoryStore::new(), NS).await;
}

#[tokio::test]
async fn contact_store_contract() {
    contracts::contact_store(&MemoryStore::new(), NS).await;
}

#[tokio::test]
async fn blacklist_store_contract() {
    contracts::blacklist_store(&MemoryStore::new(), NS).await;
}

#[tokio::test]
async fn call_record_store_contract() {
    contracts::call_record_store(&MemoryStore::new(), NS).await;
}

#[tokio::test]
async fn audit_log_contract() {
    contracts::audit_log(&MemoryStore::new(), NS).await;
}

#[tokio::test]
async fn every_store_suite_shares_one_store_without_collisions() {
    // As they would against one shared emulator: two namespaces, one store.
    let store = MemoryStore::new();
    for ns in ["run-1", "run-2"] {
        contracts::campaign_store(&store, ns).await;
        contracts::contact_store(&store, ns).await;
        contracts::blacklist_store(&store, ns).await;
        contracts::call_record_store(&store, ns).await;
        contracts::audit_log(&store, ns).await;
    }
}

#[tokio::test]
async fn counters_contract() {
    let counters = MemoryCounters::new();
    contracts::counters(&counters, "run-1").await;
    contracts::counters(&counters, "run-2").await;
}

#[tokio::test]
async fn dial_queue_contract() {
    let queue = MemoryQueue::new();
    let time = VirtualTime::default();
    contracts::dial_queue(&queue, &queue, &time, NS).await;
    // The suite leaves the queue empty, so it can run again.
    contracts::dial_queue(&queue, &queue, &time, "again").await;
}

struct Drain<'a>(&'a MemoryBus);

#[async_trait]
impl BusObserver for Drain<'_> {
    async fn delivered(&self, topic: &str) -> Vec<BusEvent> {
        self.0.drain(topic)
    }
}

#[tokio::test]
async fn event_bus_contract() {
    let bus = MemoryBus::new();
    contracts::event_bus(&bus, &Drain(&bus), NS).await;
}

#[tokio::test]
async fn object_store_contract_in_memory() {
    contracts::object_store(&MemoryObjects::new(), NS).await;
}

#[tokio::test]
async fn object_store_contract_in_a_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    contracts::object_store(&DirObjects::new(dir.path()), NS).await;
}

#[tokio::test]
async fn secrets_contract() {
    let map = MapSecrets::new([("sms/api-key", "s3cret")]);
    contracts::secrets(&map, ("sms/api-key", "s3cret"), NS).await;
    // PATH is set in any test environment; reading it needs no set_var.
    let path = std::env::var("PATH").expect("PATH is set");
    contracts::secrets(&EnvSecrets::new(""), ("PATH", &path), NS).await;
}

#[tokio::test]
async fn secret_versions_contract() {
    let map = MapSecrets::new([("token", "first"), ("fresh", "only")]);
    map.rotate("token", "second");
    contracts::secret_versions(&map, ("token", "second", "first"), ("fresh", "only")).await;
}

#[test]
fn id_generator_contract() {
    contracts::id_generator(&SequentialIds::new(), NS);
}

#[tokio::test]
async fn sms_gateway_contract() {
    contracts::sms_gateway(&ConsoleSms::new(), NS).await;
}

#[tokio::test]
async fn speech_synthesizer_contract() {
    let tts = LocalSynthesizer::new(Arc::new(MemoryObjects::new()));
    contracts::speech_synthesizer(&tts, "he-IL-standard", NS).await;
}

// ---------------------------------------------------------------- store

#[tokio::test]
async fn store_survives_a_save_and_load_round_trip() {
    let store = MemoryStore::new();
    contracts::campaign_store(&store, "p").await;
    contracts::contact_store(&store, "p").await;
    contracts::blacklist_store(&store, "p").await;
    contracts::call_record_store(&store, "p").await;
    contracts::audit_log(&store, "p").await;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.json");
    store.save_to(&path).expect("save");
    let loaded = MemoryStore::load_from(&path).expect("load");
    assert_eq!(
        loaded.snapshot(),
        store.snapshot(),
        "a reload must hold the same data"
    );

    // The indexes are rebuilt, not just the rows.
    let camp = CampaignId::new("p-cc-a");
    let at = base_time() + Duration::days(1);
    let due_before = store.due(&camp, at, PageRequest::first(100)).await.unwrap();
    let due_after = loaded
        .due(&camp, at, PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(due_after, due_before);
    assert!(!due_after.items.is_empty());
    assert_eq!(
        loaded.count_by_status(&camp).await.unwrap(),
        store.count_by_status(&camp).await.unwrap()
    );
    let phone = ns_phone("p", 0);
    assert_eq!(
        loaded.find_by_phone(&phone).await.unwrap().len(),
        store.find_by_phone(&phone).await.unwrap().len()
    );
    // Version checks keep working on loaded campaigns.
    let c = CampaignStore::get(&loaded, &CampaignId::new("p-cmp-main"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        CampaignStore::update(&loaded, &c, c.version + 1).await,
        Err(PortError::Conflict(_))
    ));
    // A loaded store can carry on and be saved again.
    contracts::campaign_store(&loaded, "p2").await;
    loaded.save_to(&path).expect("save again");
    let reloaded = MemoryStore::open_or_new(&path).expect("reopen");
    assert_eq!(reloaded.snapshot(), loaded.snapshot());
}

#[test]
fn loading_a_missing_or_broken_file_fails_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("none.json");
    assert!(matches!(
        MemoryStore::load_from(&missing),
        Err(StoreFileError::Io { .. })
    ));
    assert!(
        MemoryStore::open_or_new(&missing).is_ok(),
        "no file: start empty"
    );
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, b"{ not json").unwrap();
    let err = MemoryStore::load_from(&broken).unwrap_err();
    assert!(matches!(err, StoreFileError::Format { .. }));
    assert!(err.to_string().contains("broken.json"), "{err}");
    let future = dir.path().join("future.json");
    std::fs::write(
        &future,
        br#"{"format":99,"campaigns":[],"contacts":[],"blacklist":[],"blacklist_history":[],"calls":[],"audit":[]}"#,
    )
    .unwrap();
    assert!(matches!(
        MemoryStore::load_from(&future),
        Err(StoreFileError::UnsupportedFormat { found: 99, .. })
    ));
}

#[tokio::test]
async fn due_index_pages_through_50_000_contacts_in_order_quickly() {
    let store = MemoryStore::new();
    let camp = CampaignId::new("big");
    let t0 = base_time();
    let n = 50_000u32;
    let contacts: Vec<_> = (0..n)
        .map(|i| {
            let phone = campaign_core::phone::PhoneNumber::from_e164(&format!("+99950{i:07}"))
                .expect("valid number");
            let mut c = contracts::contact_fixture(&camp, &format!("c{i:06}"), phone);
            // A spread of due times, a fifth unset, a tenth in the future.
            c.next_attempt_at = match i % 10 {
                0 | 5 => None,
                9 => Some(t0 + Duration::hours(1)),
                k => Some(t0 - Duration::minutes(i64::from((i * 7 + k) % 600))),
            };
            c
        })
        .collect();
    let started = Instant::now();
    assert_eq!(store.insert_many(&contacts).await.unwrap(), n as usize);
    // Take a few hundred out of the due set, as a dispatcher would.
    for c in contacts.iter().step_by(97) {
        let mut claimed = c.clone();
        claimed.status = ContactStatus::InProgress;
        ContactStore::update(&store, &claimed, ContactStatus::Pending)
            .await
            .unwrap();
    }
    let mut seen = 0usize;
    let mut last: Option<(Option<chrono::DateTime<chrono::Utc>>, ContactId)> = None;
    let mut page = PageRequest::first(1000);
    loop {
        let p = store.due(&camp, t0, page.clone()).await.unwrap();
        for c in &p.items {
            assert_eq!(c.status, ContactStatus::Pending);
            assert!(c.next_attempt_at.is_none_or(|t| t <= t0));
            let key = (c.next_attempt_at, c.id.clone());
            if let Some(prev) = &last {
                assert!(prev < &key, "due order broken: {prev:?} then {key:?}");
            }
            last = Some(key);
        }
        seen += p.items.len();
        match p.next {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    let expected = contacts
        .iter()
        .enumerate()
        .filter(|(i, c)| i % 97 != 0 && c.next_attempt_at.is_none_or(|t| t <= t0))
        .count();
    assert_eq!(seen, expected, "every due contact exactly once");
    let counts = store.count_by_status(&camp).await.unwrap();
    assert_eq!(counts.total(), u64::from(n));
    assert_eq!(
        counts.in_progress,
        contacts.iter().step_by(97).count() as u64
    );
    let elapsed = started.elapsed();
    eprintln!("50,000 contacts inserted, claimed and paged through due() in {elapsed:?}");
    assert!(
        elapsed.as_secs() < 30,
        "the due index is too slow: {elapsed:?}"
    );
}

#[tokio::test]
async fn an_update_that_changes_the_number_moves_the_phone_index() {
    let store = MemoryStore::new();
    let camp = CampaignId::new("ph");
    let c = contracts::contact_fixture(&camp, "c1", ns_phone("ph", 1));
    store.insert_many(std::slice::from_ref(&c)).await.unwrap();
    let mut moved = c.clone();
    moved.phone = ns_phone("ph", 2);
    ContactStore::update(&store, &moved, ContactStatus::Pending)
        .await
        .unwrap();
    assert!(
        store
            .find_by_phone(&ns_phone("ph", 1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.find_by_phone(&ns_phone("ph", 2)).await.unwrap(),
        vec![moved]
    );
}

#[tokio::test]
async fn malformed_cursors_are_invalid() {
    let store = MemoryStore::new();
    let bad = PageRequest {
        cursor: Some("not a cursor".into()),
        limit: 10,
    };
    let camp = CampaignId::new("x");
    assert!(matches!(
        store.due(&camp, base_time(), bad.clone()).await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        CampaignStore::list(&store, bad.clone()).await,
        Err(PortError::Invalid(_))
    ));
    assert!(matches!(
        BlacklistStore::list(&store, bad).await,
        Err(PortError::Invalid(_))
    ));
}

#[tokio::test]
async fn store_helpers_report_pending_and_next_due() {
    let store = MemoryStore::new();
    let camp = CampaignId::new("h");
    let t0 = base_time();
    let mut a = contracts::contact_fixture(&camp, "a", ns_phone("h", 1));
    a.next_attempt_at = Some(t0 + Duration::minutes(5));
    let mut b = contracts::contact_fixture(&camp, "b", ns_phone("h", 2));
    b.next_attempt_at = Some(t0 + Duration::minutes(2));
    store.insert_many(&[a, b.clone()]).await.unwrap();
    assert_eq!(store.contact_count(&camp), 2);
    assert_eq!(store.pending_count(&camp), 2);
    assert_eq!(store.next_due(&camp), Some(Some(t0 + Duration::minutes(2))));
    b.status = ContactStatus::Completed;
    ContactStore::update(&store, &b, ContactStatus::Pending)
        .await
        .unwrap();
    assert_eq!(store.pending_count(&camp), 1);
    assert_eq!(store.next_due(&camp), Some(Some(t0 + Duration::minutes(5))));
    assert_eq!(store.next_due(&CampaignId::new("none")), None);
}

#[tokio::test]
async fn audit_records_with_equal_times_keep_append_order() {
    let store = MemoryStore::new();
    let at = base_time();
    for action in ["first", "second", "third"] {
        store
            .append(&AuditRecord {
                at,
                actor: "a".into(),
                action: action.into(),
                target: "t".into(),
                before: None,
                after: None,
            })
            .await
            .unwrap();
    }
    let actions: Vec<String> = store
        .for_target("t")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["first", "second", "third"]);
}

// ---------------------------------------------------------------- counters

#[tokio::test]
async fn counters_helpers_expose_metrics_holders_and_rates() {
    let c = MemoryCounters::new();
    let t0 = base_time();
    c.add("metrics/c1/answered", 2).await.unwrap();
    c.add("metrics/c1/busy", 1).await.unwrap();
    c.add("metrics/c2/answered", 5).await.unwrap();
    let m = c.snapshot_metrics("metrics/c1/");
    assert_eq!(m.len(), 2);
    assert_eq!(m.get("answered"), Some(&2));
    assert_eq!(m.get("busy"), Some(&1));

    c.acquire_slot("s", "b", 5, t0, t0 + Duration::seconds(30))
        .await
        .unwrap();
    c.acquire_slot("s", "a", 5, t0, t0 + Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(c.holders("s", t0), ["a", "b"]);
    assert_eq!(c.holders("s", t0 + Duration::seconds(5)), ["b"]);

    assert!(c.take_rate("r", t0, 2).await.unwrap());
    assert_eq!(c.rate_in_second("r", t0), 1);
    // Far later: the old bucket is purged and the new second is fresh.
    assert!(c.take_rate("r", t0 + Duration::hours(1), 2).await.unwrap());
    assert_eq!(c.rate_in_second("r", t0), 0);
}

#[tokio::test]
async fn reacquiring_renews_the_lease() {
    let c = MemoryCounters::new();
    let t0 = base_time();
    assert!(
        c.acquire_slot("s", "h", 1, t0, t0 + Duration::seconds(10))
            .await
            .unwrap()
    );
    assert!(
        c.acquire_slot(
            "s",
            "h",
            1,
            t0 + Duration::seconds(5),
            t0 + Duration::seconds(60)
        )
        .await
        .unwrap()
    );
    assert_eq!(
        c.active_slots("s", t0 + Duration::seconds(30))
            .await
            .unwrap(),
        1
    );
}

// ---------------------------------------------------------------- queue

fn task(id: &str) -> DialTask {
    let contact = ContactId::new(id);
    DialTask {
        version: MESSAGE_VERSION,
        campaign_id: CampaignId::new("q"),
        call_id: campaign_core::ids::CallId::for_attempt(&contact, 1),
        contact_id: contact,
        attempt: 1,
        phone_number: ns_phone("q", 1),
        queued_at: base_time(),
        settings: None,
    }
}

fn names(r: &[campaign_core::ports::Received<DialTask>]) -> Vec<String> {
    r.iter().map(|r| r.message.contact_id.to_string()).collect()
}

#[tokio::test]
async fn queue_is_fifo_by_visible_time_then_send_order() {
    let q = MemoryQueue::new();
    let t0 = base_time();
    let vis = Duration::seconds(10);
    q.send(&[task("A"), task("B"), task("C")]).await.unwrap();
    assert_eq!(names(&q.receive(1, t0, vis).await.unwrap()), ["A"]);
    assert_eq!(
        names(&q.receive(1, t0 + Duration::seconds(5), vis).await.unwrap()),
        ["B"]
    );
    // Sent after the queue saw t0+5: visible from then.
    q.send(&[task("D")]).await.unwrap();
    let all = q
        .receive(10, t0 + Duration::seconds(20), vis)
        .await
        .unwrap();
    // C (never received) first, then D (t0+5), A (t0+10), B (t0+15).
    assert_eq!(names(&all), ["C", "D", "A", "B"]);
    assert_eq!(
        all.iter().map(|r| r.receive_count).collect::<Vec<_>>(),
        [1, 1, 2, 2]
    );
}

#[tokio::test]
async fn queue_helpers_and_stale_receipts() {
    let q = MemoryQueue::new();
    let t0 = base_time();
    let vis = Duration::seconds(10);
    q.send(&[task("A"), task("B")]).await.unwrap();
    assert_eq!((q.len(), q.visible(t0), q.in_flight(t0)), (2, 2, 0));
    let first = q.receive(1, t0, vis).await.unwrap();
    assert_eq!((q.len(), q.visible(t0), q.in_flight(t0)), (2, 1, 1));
    assert_eq!(q.next_visible_at(t0), Some(t0 + vis));
    // Redelivered: the first receipt is stale.
    let t1 = t0 + Duration::seconds(11);
    let second = q.receive(2, t1, vis).await.unwrap();
    assert_eq!(second.len(), 2);
    assert!(matches!(
        q.retry_later(&first[0].receipt, t1, vis).await,
        Err(PortError::NotFound(_))
    ));
    q.ack(&first[0].receipt).await.unwrap();
    assert_eq!(
        q.len(),
        2,
        "a stale receipt must not delete the redelivered message"
    );
    for r in &second {
        q.ack(&r.receipt).await.unwrap();
    }
    assert!(q.is_empty());
    assert_eq!(q.totals(), (2, 3, 2));
}

// ---------------------------------------------------------------- bus

fn opt_out(id: &str) -> BusEvent {
    BusEvent::OptOut(campaign_core::messages::OptOutEvent {
        version: MESSAGE_VERSION,
        event_id: id.into(),
        phone_number: ns_phone("bus", 1),
        source: BlacklistSource::AdminImport,
        reason: "test".into(),
        call_id: None,
        campaign_id: None,
        contact_id: None,
        at: base_time(),
    })
}

#[tokio::test]
async fn bus_keeps_one_fifo_per_topic() {
    let bus = MemoryBus::new();
    contracts::event_bus(&bus, &Drain(&bus), "x").await;
    assert_eq!(bus.published_count("call-events"), 1);
    assert_eq!(bus.total_pending(), 0);
    for id in ["o1", "o2"] {
        bus.publish(&opt_out(id)).await.unwrap();
    }
    assert_eq!(bus.pending("optout-events"), 2);
    assert_eq!(bus.pending("call-events"), 0);
    assert_eq!(bus.published_count("optout-events"), 3);
    assert_eq!(bus.pop("optout-events"), Some(opt_out("o1")));
    assert_eq!(bus.drain("optout-events"), vec![opt_out("o2")]);
    assert_eq!(bus.pop("optout-events"), None);
    assert_eq!(bus.pending("nonexistent"), 0);
}

// ---------------------------------------------------------------- providers

#[tokio::test]
async fn memory_links_carry_the_expiry_from_the_clock() {
    let clock = Arc::new(ManualClock::new(base_time()));
    let objects = MemoryObjects::with_clock(clock);
    objects
        .put("reports/a.csv", b"x".to_vec(), "text/csv")
        .await
        .unwrap();
    let url = objects
        .presign_get("reports/a.csv", Duration::hours(1))
        .await
        .unwrap();
    let expires = (base_time() + Duration::hours(1)).timestamp();
    assert_eq!(url, format!("memory://reports/a.csv?expires={expires}"));
    assert_eq!(
        objects.content_type("reports/a.csv").as_deref(),
        Some("text/csv")
    );
    assert_eq!(objects.keys(), ["reports/a.csv"]);
}

#[tokio::test]
async fn folder_objects_are_files_and_keys_cannot_escape() {
    let dir = tempfile::tempdir().expect("temp dir");
    let objects = DirObjects::new(dir.path().join("objects"));
    objects
        .put("reports/c1/r.csv", b"a,b\n".to_vec(), "text/csv")
        .await
        .unwrap();
    let file = dir.path().join("objects/reports/c1/r.csv");
    assert_eq!(std::fs::read(&file).unwrap(), b"a,b\n");
    let url = objects
        .presign_get("reports/c1/r.csv", Duration::hours(1))
        .await
        .unwrap();
    assert!(url.starts_with("file:///"), "{url}");
    assert!(url.ends_with("objects/reports/c1/r.csv"), "{url}");
    for bad in ["../x", "/etc/passwd", "a/../../x", "", "a/./b", "a\\b"] {
        assert!(
            matches!(
                objects.put(bad, vec![1], "x").await,
                Err(PortError::Invalid(_))
            ),
            "key {bad:?} must be refused"
        );
    }
}

#[tokio::test]
async fn env_secret_names_map_to_variables() {
    let s = EnvSecrets::new("CAMPAIGN_SECRET_");
    assert_eq!(s.var_name("sms/api-key"), "CAMPAIGN_SECRET_SMS_API_KEY");
    assert!(matches!(
        s.get("surely/not-set-anywhere-42").await,
        Err(PortError::NotFound(_))
    ));
    let m = MapSecrets::default();
    m.insert("a", "b");
    assert_eq!(Secrets::get(&m, "a").await.unwrap(), "b");
}

#[test]
fn sequential_ids_are_reproducible() {
    let ids = SequentialIds::new();
    assert_eq!(ids.next_id("cmp"), "cmp-000001");
    assert_eq!(ids.next_id("evt"), "evt-000002");
    assert_eq!(ids.issued(), 2);
    let again = SequentialIds::new();
    assert_eq!(again.next_id("cmp"), "cmp-000001");
    assert_eq!(SequentialIds::starting_at(42).next_id("x"), "x-000042");
}

#[tokio::test]
async fn console_sms_records_once_per_key_and_never_sends() {
    let sms = ConsoleSms::new();
    let to = ns_phone("sms", 1);
    let r1 = sms.send(&to, "hello", "k1").await.unwrap();
    let r2 = sms.send(&to, "hello again", "k1").await.unwrap();
    assert_eq!(r1, r2, "a repeated key returns the first receipt");
    assert_eq!(sms.sent_count(), 1, "a repeated key is not recorded twice");
    sms.send(&to, "other", "k2").await.unwrap();
    let sent = sms.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text, "hello");
    assert_eq!(sent[1].idempotency_key, "k2");
    assert_eq!(sent[0].to, to);
}

#[tokio::test]
async fn console_sms_failures_are_deterministic_and_near_the_rate() {
    let a = ConsoleSms::with_not_capable_rate(0.3, 7);
    let b = ConsoleSms::with_not_capable_rate(0.3, 7);
    let c = ConsoleSms::with_not_capable_rate(0.3, 8);
    let numbers: Vec<_> = (0..2000u32)
        .map(|i| campaign_core::phone::PhoneNumber::from_e164(&format!("+97250{i:07}")).unwrap())
        .collect();
    let failing_a: Vec<bool> = numbers.iter().map(|n| !a.is_sms_capable(n)).collect();
    let failing_b: Vec<bool> = numbers.iter().map(|n| !b.is_sms_capable(n)).collect();
    let failing_c: Vec<bool> = numbers.iter().map(|n| !c.is_sms_capable(n)).collect();
    assert_eq!(failing_a, failing_b, "same seed, same numbers fail");
    assert_ne!(failing_a, failing_c, "another seed picks other numbers");
    let share = failing_a.iter().filter(|f| **f).count() as f64 / numbers.len() as f64;
    assert!((0.25..0.35).contains(&share), "failure share {share}");
    let bad = numbers
        .iter()
        .zip(&failing_a)
        .find(|(_, f)| **f)
        .map(|(n, _)| n.clone())
        .unwrap();
    assert_eq!(a.send(&bad, "x", "k").await, Err(SmsError::NotSmsCapable));
    assert_eq!(a.sent_count(), 0);
    let all_fail = ConsoleSms::with_not_capable_rate(1.0, 1);
    assert!(numbers.iter().all(|n| !all_fail.is_sms_capable(n)));
}

#[tokio::test]
async fn local_speech_is_a_real_wav_stored_under_its_hash() {
    let objects = Arc::new(MemoryObjects::new());
    let tts = LocalSynthesizer::new(objects.clone());
    let text = "Thank you";
    let audio = tts.synthesize(text, "v1").await.unwrap();
    assert_eq!(audio.location, LocalSynthesizer::key_for(text, "v1"));
    assert!(audio.location.starts_with("tts/") && audio.location.ends_with(".wav"));
    let wav = objects.get(&audio.location).await.unwrap().expect("stored");
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
    assert_eq!(
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
        8000
    );
    assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16, "16-bit");
    // 60 ms per character at 8 kHz, 2 bytes a sample.
    let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
    assert_eq!(data_len, text.chars().count() * 480 * 2);
    assert_eq!(wav.len(), 44 + data_len);
    assert_eq!(
        objects.content_type(&audio.location).as_deref(),
        Some("audio/wav")
    );
    let quiet = wav[44..]
        .chunks(2)
        .map(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs())
        .max()
        .unwrap();
    assert!(quiet > 0 && quiet < 4000, "a quiet tone, peak {quiet}");

    let other_voice = tts.synthesize(text, "v2").await.unwrap();
    assert_ne!(other_voice.location, audio.location);
    assert!(!other_voice.cached);
    assert!(matches!(
        tts.synthesize("   ", "v1").await,
        Err(TtsError::Rejected(_))
    ));
    let long = "a".repeat(TTS_MAX_CHARS + 1);
    assert!(matches!(
        tts.synthesize(&long, "v1").await,
        Err(TtsError::Rejected(_))
    ));
}

#[tokio::test]
async fn speech_cache_survives_a_restart_with_a_folder_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = LocalSynthesizer::new(Arc::new(DirObjects::new(dir.path())));
    assert!(!first.synthesize("hello", "v").await.unwrap().cached);
    let second = LocalSynthesizer::new(Arc::new(DirObjects::new(dir.path())));
    assert!(second.synthesize("hello", "v").await.unwrap().cached);
}

#[tokio::test]
async fn blacklist_add_is_audited_by_history_not_by_repeats() {
    let store = MemoryStore::new();
    let phone = ns_phone("bl", 1);
    let e = BlacklistEntry::new(phone.clone(), base_time(), "r", BlacklistSource::Compliance);
    for _ in 0..3 {
        store.add(&e).await.unwrap();
    }
    assert_eq!(store.history(&phone).await.unwrap().len(), 1);
}

// ---------------------------------------------------------------- races

#[test]
fn racing_claims_of_one_contact_let_exactly_one_win() {
    let store = MemoryStore::new();
    let camp = CampaignId::new("race");
    let c = contracts::contact_fixture(&camp, "c1", ns_phone("race", 1));
    futures::executor::block_on(store.insert_many(std::slice::from_ref(&c))).unwrap();
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut claimed = c.clone();
                    claimed.status = ContactStatus::InProgress;
                    futures::executor::block_on(ContactStore::update(
                        &store,
                        &claimed,
                        ContactStatus::Pending,
                    ))
                    .is_ok() as usize
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(wins, 1, "compare-and-set must let exactly one worker claim");
    let counts = futures::executor::block_on(store.count_by_status(&camp)).unwrap();
    assert_eq!((counts.pending, counts.in_progress), (0, 1));
}

#[test]
fn racing_slot_requests_never_exceed_the_limit() {
    let counters = MemoryCounters::new();
    let t0 = base_time();
    let granted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let counters = &counters;
                s.spawn(move || {
                    futures::executor::block_on(counters.acquire_slot(
                        "s",
                        &format!("h{i}"),
                        5,
                        t0,
                        t0 + Duration::minutes(1),
                    ))
                    .unwrap() as usize
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(granted, 5);
    assert_eq!(
        futures::executor::block_on(counters.active_slots("s", t0)).unwrap(),
        5
    );
}
