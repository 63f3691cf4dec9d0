//! Every fixture in `events/contact-importer/` through the real handler,
//! against embedded adapters (a started campaign `cmp-000001` with two
//! presigned imports whose files have landed), then the delivery cases the
//! fixtures cannot show: a crashed run taken over after its lease, two
//! deliveries at once, a campaign that stopped taking contacts, a file that
//! cannot be read.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::campaign::LifecycleAction;
use campaign_core::clock::Clock;
use campaign_core::ids::CampaignId;
use campaign_core::ports::{AuditLog, Counters, ObjectStore};
use campaign_core::usecases::uploaded_import::{
    ImportRecord, ImportStatus, UploadedImports, upload_key,
};
use campaign_embedded::providers::MemoryObjects;
use campaign_embedded::runtime::Local;
use chrono::Duration;
use contact_importer::{Config, Deps, handler};
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Two new numbers and a bad row (row 4).
const FILE: &[u8] = b"phone,first_name\n0523459001,Rina\n0523459002,Omer\nnot-a-phone,Bad\n";

fn config() -> Config {
    Config {
        table_prefix: "campaign-".into(),
        uploads_bucket: "campaign-uploads".into(),
        lease_secs: 900,
    }
}

struct World {
    local: Local,
    uploads: Arc<MemoryObjects>,
    campaign: CampaignId,
}

impl World {
    async fn new() -> Self {
        let world = Self::bare().await;
        world.presigned("imp-fixture-1", Some(FILE)).await;
        world.presigned("imp-fixture-2", Some(FILE)).await;
        world
    }

    /// The campaign, no imports yet.
    async fn bare() -> Self {
        let local = scenario::local();
        let campaign =
            scenario::started_campaign(&local, "Imports", &scenario::contacts_csv(3, false))
                .await
                .id;
        Self {
            local,
            uploads: Arc::new(MemoryObjects::new()),
            campaign,
        }
    }

    fn deps(&self) -> Deps {
        Deps {
            campaigns: self.local.store.clone(),
            contacts: self.local.store.clone(),
            blacklist: self.local.store.clone(),
            uploads: self.uploads.clone(),
            counters: self.local.counters.clone(),
            audit: self.local.store.clone(),
            clock: self.local.clock.clone(),
        }
    }

    fn imports(&self) -> UploadedImports<'_> {
        UploadedImports {
            campaigns: &*self.local.store,
            contacts: &*self.local.store,
            blacklist: &*self.local.store,
            uploads: &*self.uploads,
            counters: &*self.local.counters,
            audit: &*self.local.store,
            clock: &*self.local.clock,
            lease: Duration::seconds(900),
        }
    }

    /// What `POST .../contact-uploads` and the client's PUT leave behind.
    async fn presigned(&self, import_id: &str, file: Option<&[u8]>) -> ImportRecord {
        let mut record = ImportRecord::new(
            import_id.into(),
            self.campaign.clone(),
            "tester".into(),
            self.local.clock.now(),
        );
        let key = upload_key(&self.campaign, import_id, "csv");
        record.file_key = Some(key.clone());
        record.content_type = Some("text/csv".into());
        self.imports().save(&record).await.expect("save");
        if let Some(bytes) = file {
            self.uploads
                .put(&key, bytes.to_vec(), "text/csv")
                .await
                .expect("put");
        }
        record
    }

    async fn record(&self, import_id: &str) -> ImportRecord {
        self.imports()
            .load(&self.campaign, import_id)
            .await
            .expect("load")
            .expect("exists")
    }

    async fn contacts(&self) -> u64 {
        self.local
            .contacts()
            .count_by_status(&self.campaign)
            .await
            .expect("count")
            .total()
    }

    async fn imports_audited(&self) -> usize {
        self.local
            .store
            .for_target(&format!("campaign/{}", self.campaign))
            .await
            .expect("audit")
            .iter()
            .filter(|r| r.action == "contacts.import")
            .count()
    }

    async fn deliver(&self, fixture: &str) -> Result<SqsBatchResponse, FunctionError> {
        let payload: SqsEvent =
            serde_json::from_value(testing::fixture(DIR, "contact-importer", fixture))
                .expect("an SQS event");
        handler(
            &self.deps(),
            &config(),
            testing::lambda_event(payload, &format!("req-{fixture}")),
        )
        .await
    }
}

fn failed(r: &SqsBatchResponse) -> Vec<&str> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

async fn then(name: &str, w: &World, result: Result<SqsBatchResponse, FunctionError>) {
    let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    match name {
        "happy.json" => {
            assert!(failed(&r).is_empty());
            let rec = w.record("imp-fixture-1").await;
            assert_eq!(rec.status, ImportStatus::Completed);
            assert_eq!(rec.stored, Some(2));
            assert_eq!(rec.errors.len(), 1);
            assert_eq!(rec.errors[0].row, 4, "row numbers kept");
            assert_eq!(w.contacts().await, 5);
            assert_eq!(w.imports_audited().await, 1);
        }
        "test-event.json" => {
            assert!(failed(&r).is_empty(), "acknowledged");
            assert_eq!(
                w.record("imp-fixture-1").await.status,
                ImportStatus::AwaitingUpload
            );
            assert_eq!(w.contacts().await, 3);
        }
        "duplicate.json" => {
            assert!(failed(&r).is_empty());
            let rec = w.record("imp-fixture-2").await;
            assert_eq!(rec.status, ImportStatus::Completed);
            assert_eq!(rec.attempts, 1, "imported once");
            assert_eq!(w.imports_audited().await, 1);
        }
        "malformed.json" => {
            assert_eq!(failed(&r), ["i-not-json", "i-no-s3", "i-bad-key"]);
            assert_eq!(w.contacts().await, 3);
        }
        "unknown-import.json" => {
            assert!(failed(&r).is_empty(), "nothing to retry");
            assert_eq!(
                w.record("imp-fixture-1").await.status,
                ImportStatus::AwaitingUpload
            );
            assert_eq!(w.contacts().await, 3);
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "contact-importer");
    assert!(names.len() >= 5, "fixtures found: {names:?}");
    for name in names {
        let world = World::new().await;
        let (guard, logs) = testing::capture_logs();
        let result = world.deliver(&name).await;
        drop(guard);
        then(&name, &world, result).await;
        testing::assert_no_clear_phone_numbers(&logs);
    }
}

#[tokio::test]
async fn a_crashed_run_is_taken_over_only_after_its_lease() {
    // GIVEN a run that claimed the import and died (the record says importing)
    let w = World::new().await;
    let mut rec = w.record("imp-fixture-1").await;
    let now = w.local.clock.now();
    assert!(
        w.local
            .counters
            .mark_seen(
                "import-claim/cmp-000001/imp-fixture-1/0",
                now,
                Duration::days(30)
            )
            .await
            .expect("claim")
    );
    rec.status = ImportStatus::Importing;
    rec.attempts = 1;
    rec.lease_until = Some(w.local.clock.now() + Duration::seconds(900));
    w.imports().save(&rec).await.expect("save");
    // WHEN the event comes back inside the lease THEN it waits
    let r = w.deliver("happy.json").await.expect("handled");
    assert_eq!(failed(&r), ["i-happy"]);
    assert_eq!(
        w.record("imp-fixture-1").await.status,
        ImportStatus::Importing
    );
    // WHEN it comes back after the lease THEN it takes over and imports
    w.local.clock.advance(Duration::seconds(901));
    let r = w.deliver("happy.json").await.expect("handled");
    assert!(failed(&r).is_empty());
    let rec = w.record("imp-fixture-1").await;
    assert_eq!(rec.status, ImportStatus::Completed);
    assert_eq!(rec.attempts, 2);
    assert_eq!(w.contacts().await, 5);
}

#[tokio::test]
async fn two_deliveries_at_once_import_once() {
    let w = World::new().await;
    let (a, b) = tokio::join!(w.deliver("happy.json"), w.deliver("happy.json"));
    let failures = failed(&a.expect("a")).len() + failed(&b.expect("b")).len();
    assert!(failures <= 1, "at most the loser waits");
    let rec = w.record("imp-fixture-1").await;
    assert_eq!(rec.status, ImportStatus::Completed);
    assert_eq!(rec.attempts, 1);
    assert_eq!(w.imports_audited().await, 1);
    assert_eq!(w.contacts().await, 5);
}

#[tokio::test]
async fn a_campaign_that_stopped_taking_contacts_fails_the_import_with_a_code() {
    let w = World::new().await;
    w.local
        .lifecycle()
        .perform(&w.campaign, LifecycleAction::Cancel, "tester")
        .await
        .expect("cancel");
    let r = w.deliver("happy.json").await.expect("handled");
    assert!(failed(&r).is_empty(), "retrying cannot help");
    let rec = w.record("imp-fixture-1").await;
    assert_eq!(rec.status, ImportStatus::Failed);
    let failure = rec.failure.expect("failure");
    assert_eq!(failure.code, "campaign_finished");
    assert!(failure.message.contains("cancelled"), "{}", failure.message);
    // A duplicate of the event leaves the failed import alone.
    let r = w.deliver("happy.json").await.expect("handled");
    assert!(failed(&r).is_empty());
    assert_eq!(w.record("imp-fixture-1").await.attempts, 1);
}

#[tokio::test]
async fn an_unreadable_file_fails_the_import_with_its_reason() {
    let w = World::new().await;
    w.uploads
        .put(
            &upload_key(&w.campaign, "imp-fixture-1", "csv"),
            b"name,city\nDana,Haifa\n".to_vec(),
            "text/csv",
        )
        .await
        .expect("put");
    let r = w.deliver("happy.json").await.expect("handled");
    assert!(failed(&r).is_empty());
    let rec = w.record("imp-fixture-1").await;
    assert_eq!(rec.status, ImportStatus::Failed);
    let failure = rec.failure.expect("failure");
    assert_eq!(failure.code, "unreadable_file");
    assert_eq!(
        failure.details.expect("details")["headers"],
        serde_json::json!(["name", "city"])
    );
}

#[tokio::test]
async fn an_event_before_the_file_is_readable_comes_back_later() {
    let w = World::bare().await;
    w.presigned("imp-fixture-1", None).await;
    let r = w.deliver("happy.json").await.expect("handled");
    assert_eq!(failed(&r), ["i-happy"]);
    assert_eq!(
        w.record("imp-fixture-1").await.status,
        ImportStatus::AwaitingUpload
    );
}
