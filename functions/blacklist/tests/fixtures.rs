//! Every fixture in `events/blacklist/` through the real handler, against
//! embedded adapters: two running campaigns share the same numbers.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use blacklist::{Config, Deps, handler};
use campaign_core::blacklist::BlacklistSource;
use campaign_core::contact::ContactStatus;
use campaign_core::ids::CampaignId;
use campaign_core::phone::PhoneNumber;
use campaign_core::usecases::contacts::contact_id_for;
use campaign_embedded::runtime::Local;
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn deps(local: &Local) -> Deps {
    Deps {
        blacklist: local.store.clone(),
        contacts: local.store.clone(),
        audit: local.store.clone(),
        clock: local.clock.clone(),
    }
}

fn phone(n: u32) -> PhoneNumber {
    PhoneNumber::from_e164(&format!("+97252345000{n}")).expect("valid")
}

async fn status(local: &Local, campaign: &str, n: u32) -> ContactStatus {
    let id = contact_id_for(&CampaignId::new(campaign), &phone(n));
    local
        .contacts()
        .get(&CampaignId::new(campaign), &id)
        .await
        .expect("get")
        .expect("exists")
        .status
}

fn failed(r: &SqsBatchResponse) -> Vec<&str> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

async fn then(name: &str, local: &Local, result: Result<SqsBatchResponse, FunctionError>) {
    let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    match name {
        "opt-out-key-9.json" => {
            assert!(failed(&r).is_empty());
            // At once, in every campaign with that number.
            assert_eq!(
                status(local, "cmp-000001", 0).await,
                ContactStatus::Blacklisted
            );
            assert_eq!(
                status(local, "cmp-000002", 0).await,
                ContactStatus::Blacklisted
            );
            assert_eq!(status(local, "cmp-000001", 1).await, ContactStatus::Pending);
            let entry = local
                .blacklist()
                .get(&phone(0))
                .await
                .expect("get")
                .expect("listed");
            assert_eq!(entry.source, BlacklistSource::UserOptout);
        }
        "duplicate-delivery.json" => {
            assert!(failed(&r).is_empty());
            let history = local.blacklist().history(&phone(0)).await.expect("history");
            assert_eq!(history.len(), 1, "listed once");
        }
        "compliance-add.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(
                status(local, "cmp-000002", 1).await,
                ContactStatus::Blacklisted
            );
            let entry = local
                .blacklist()
                .get(&phone(1))
                .await
                .expect("get")
                .expect("listed");
            assert_eq!(entry.source, BlacklistSource::Compliance);
        }
        "malformed.json" => {
            assert_eq!(failed(&r), ["o-bad-source", "o-bad-phone"]);
            assert!(
                local
                    .blacklist()
                    .get(&phone(0))
                    .await
                    .expect("get")
                    .is_some()
            );
            assert!(
                local
                    .blacklist()
                    .get(&phone(1))
                    .await
                    .expect("get")
                    .is_none()
            );
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "blacklist");
    assert!(names.len() >= 4, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        let csv = scenario::contacts_csv(3, false);
        scenario::started_campaign(&local, "First", &csv).await;
        scenario::started_campaign(&local, "Second", &csv).await;
        let payload: SqsEvent = serde_json::from_value(testing::fixture(DIR, "blacklist", &name))
            .expect("an SQS event");
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
