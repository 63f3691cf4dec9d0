//! Every fixture in `events/enricher/` through the real handler, against
//! embedded adapters seeded for its scenario.

use aws_lambda_events::event::sqs::SqsMessage;
use campaign_core::blacklist::{BlacklistEntry, BlacklistSource};
use campaign_core::campaign::LifecycleAction;
use campaign_core::contact::ContactStatus;
use campaign_core::ids::CampaignId;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::Counters;
use campaign_embedded::runtime::Local;
use enricher::{Config, Deps, handler};
use lambda_kit::FunctionError;
use lambda_kit::pipe::PipeItem;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn deps(local: &Local) -> Deps {
    Deps {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        blacklist: local.store.clone(),
        calls: local.store.clone(),
        counters: local.counters.clone(),
        clock: local.clock.clone(),
    }
}

fn campaign() -> CampaignId {
    CampaignId::new("cmp-000001")
}

async fn contact_status(local: &Local, n: u32) -> ContactStatus {
    let id = campaign_core::usecases::contacts::contact_id_for(
        &CampaignId::new("cmp-000001"),
        &campaign_core::phone::PhoneNumber::from_e164(&format!("+97252345000{n}")).expect("valid"),
    );
    local
        .contacts()
        .get(&campaign(), &id)
        .await
        .expect("get")
        .expect("exists")
        .status
}

async fn counter(local: &Local, name: &str) -> i64 {
    local
        .counters
        .get(&format!("metrics/cmp-000001/{name}"))
        .await
        .expect("counter")
}

async fn given(name: &str, local: &Local) {
    let csv = scenario::contacts_csv(3, false);
    match name {
        "happy.json" | "malformed.json" => {
            scenario::dispatched_campaign(local, "Happy", &csv).await;
        }
        "duplicate-delivery.json" => {
            // The first delivery was dialled already.
            scenario::dialled_campaign(local, "Twice", &csv).await;
        }
        "blacklisted-since-queued.json" => {
            scenario::dispatched_campaign(local, "Listed", &csv).await;
            let phone = PhoneNumber::from_e164("+972523450001").expect("valid");
            let entry =
                BlacklistEntry::new(phone, local.now(), "pressed 9", BlacklistSource::UserOptout);
            local.blacklist().add(&entry).await.expect("listed");
        }
        "paused-campaign.json" => {
            let c = scenario::dispatched_campaign(local, "Paused", &csv).await;
            local
                .lifecycle()
                .perform(&c.id, LifecycleAction::Pause, "tester")
                .await
                .expect("pause");
        }
        "unknown-campaign.json" | "empty-batch.json" => {}
        other => panic!("no scenario for fixture {other}: add one"),
    }
}

fn ids(items: &[PipeItem]) -> Vec<&str> {
    items.iter().map(|i| i.message_id.as_str()).collect()
}

async fn then(name: &str, local: &Local, result: Result<Vec<PipeItem>, FunctionError>) {
    let out = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    match name {
        "happy.json" => {
            assert_eq!(ids(&out), ["m-0", "m-1"]);
            for item in &out {
                let task = item.task.as_ref().expect("a task");
                let settings = task.settings.as_ref().expect("settings attached");
                assert_eq!(settings.calls_per_second, 10);
                assert_eq!(settings.max_concurrent, 20);
                assert!(item.rejected.is_none());
            }
        }
        "duplicate-delivery.json" => {
            assert!(
                out.is_empty(),
                "a delivery of an attempt already placed is dropped"
            );
            assert_eq!(counter(local, "enrich_dropped_duplicate").await, 1);
        }
        "malformed.json" => {
            assert_eq!(ids(&out), ["m-ok", "m-not-json", "m-v2", "m-no-body"]);
            assert!(out[0].task.is_some());
            for item in &out[1..] {
                assert!(item.task.is_none());
                let reason = item.rejected.as_deref().expect("kept as rejected");
                assert!(!reason.is_empty());
            }
            assert!(
                out[2]
                    .rejected
                    .as_deref()
                    .unwrap_or("")
                    .contains("version 2")
            );
        }
        "blacklisted-since-queued.json" => {
            assert_eq!(ids(&out), ["m-0"], "the listed number is left out");
            assert_eq!(contact_status(local, 1).await, ContactStatus::Blacklisted);
            assert_eq!(counter(local, "enrich_dropped_blacklisted").await, 1);
        }
        "paused-campaign.json" => {
            assert!(out.is_empty());
            assert_eq!(counter(local, "enrich_dropped_campaign_paused").await, 2);
            // Pause keeps the contacts: they wait, pending, for the resume.
            assert_eq!(contact_status(local, 0).await, ContactStatus::Pending);
        }
        "unknown-campaign.json" => {
            assert!(out.is_empty());
            let n = local
                .counters
                .get("metrics/cmp-404404/enrich_dropped_unknown")
                .await
                .expect("counter");
            assert_eq!(n, 1);
        }
        "empty-batch.json" => assert!(out.is_empty()),
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "enricher");
    assert!(names.len() >= 6, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        given(&name, &local).await;
        let payload: Vec<SqsMessage> =
            serde_json::from_value(testing::fixture(DIR, "enricher", &name)).expect("SQS records");
        let (guard, logs) = testing::capture_logs();
        let request_id = format!("req-{name}");
        let result = handler(
            &deps(&local),
            &Config::default(),
            testing::lambda_event(payload, &request_id),
        )
        .await;
        drop(guard);
        then(&name, &local, result).await;
        testing::assert_no_clear_phone_numbers(&logs);
        for line in logs.lines() {
            assert_eq!(
                line["spans"][0]["request_id"],
                request_id.as_str(),
                "{name}: {line}"
            );
        }
    }
}

#[tokio::test]
async fn every_drop_is_logged_with_its_reason() {
    let local = scenario::local();
    given("paused-campaign.json", &local).await;
    let payload: Vec<SqsMessage> =
        serde_json::from_value(testing::fixture(DIR, "enricher", "paused-campaign.json"))
            .expect("records");
    let (guard, logs) = testing::capture_logs();
    handler(
        &deps(&local),
        &Config::default(),
        testing::lambda_event(payload, "r"),
    )
    .await
    .expect("ok");
    drop(guard);
    let drops: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "dial task dropped")
        .collect();
    assert_eq!(drops.len(), 2);
    for d in drops {
        assert_eq!(d["reason"], "campaign_paused");
        assert!(d["message_id"].is_string() && d["call_id"].is_string());
    }
}
