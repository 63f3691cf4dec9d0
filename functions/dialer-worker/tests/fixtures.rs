//! Every fixture in `events/dialer-worker/` through the real handler, against
//! embedded adapters (the simulated carrier as the telephony port) seeded
//! for its scenario.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use campaign_core::ids::CallId;
use campaign_core::ports::AttemptState;
use campaign_embedded::runtime::Local;
use dialer_worker::{Config, Deps, handler};
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn deps(local: &Local) -> Deps {
    Deps {
        calls: local.store.clone(),
        contacts: local.store.clone(),
        counters: local.counters.clone(),
        telephony: local.carrier.clone(),
        events: local.bus.clone(),
        clock: local.clock.clone(),
    }
}

fn config() -> Config {
    let (c, _) = lambda_kit::config::names_read(&VALUES, |l| Config::from_lookup(l));
    c.expect("config")
}

const VALUES: [(&str, &str); 4] = [
    (
        "CALL_EVENTS_TOPIC_ARN",
        "arn:aws:sns:us-east-1:000000000000:call-events",
    ),
    (
        "DONATION_EVENTS_TOPIC_ARN",
        "arn:aws:sns:us-east-1:000000000000:donation-events",
    ),
    (
        "OPTOUT_EVENTS_TOPIC_ARN",
        "arn:aws:sns:us-east-1:000000000000:optout-events",
    ),
    ("ORIGINATE_QUEUE_URL", "https://sqs/originate"),
];

async fn given(name: &str, local: &Local) {
    let csv = scenario::contacts_csv(3, false);
    match name {
        "duplicate-delivery.json" => {
            scenario::dialled_campaign(local, "Twice", &csv).await;
        }
        "happy.json"
        | "over-pace-limit.json"
        | "over-concurrency-limit.json"
        | "malformed.json" => {
            scenario::dispatched_campaign(local, "Dial", &csv).await;
        }
        other => panic!("no scenario for fixture {other}: add one"),
    }
}

fn failed(r: &SqsBatchResponse) -> Vec<&str> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

async fn state(local: &Local, n: u32) -> Option<AttemptState> {
    let id = CallId::for_attempt(
        &campaign_core::usecases::contacts::contact_id_for(
            &campaign_core::ids::CampaignId::new("cmp-000001"),
            &campaign_core::phone::PhoneNumber::from_e164(&format!("+97252345000{n}"))
                .expect("valid"),
        ),
        1,
    );
    local.calls().get(&id).await.expect("get").map(|r| r.state)
}

async fn then(
    name: &str,
    local: &Local,
    before: usize,
    result: Result<SqsBatchResponse, FunctionError>,
) {
    let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    let placed = local.carrier.originations().len() - before;
    match name {
        "happy.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(placed, 2);
            assert_eq!(state(local, 0).await, Some(AttemptState::Originated));
            assert_eq!(state(local, 1).await, Some(AttemptState::Originated));
        }
        "duplicate-delivery.json" => {
            assert!(failed(&r).is_empty(), "a duplicate is done, not retried");
            assert_eq!(placed, 0, "nothing is dialled twice");
        }
        "over-pace-limit.json" => {
            // One call a second: the first goes, the rest wait in order.
            assert_eq!(failed(&r), ["m-1", "m-2"]);
            assert_eq!(placed, 1);
            assert_eq!(
                state(local, 1).await,
                None,
                "a waiting task leaves no record"
            );
        }
        "over-concurrency-limit.json" => {
            assert_eq!(failed(&r), ["m-1"]);
            assert_eq!(placed, 1);
        }
        "malformed.json" => {
            assert_eq!(failed(&r), ["m-not-json", "m-not-enriched", "m-garbage"]);
            assert_eq!(placed, 1, "the good task is dialled");
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "dialer-worker");
    assert!(names.len() >= 5, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        given(&name, &local).await;
        let before = local.carrier.originations().len();
        let payload: Vec<serde_json::Value> =
            serde_json::from_value(testing::fixture(DIR, "dialer-worker", &name))
                .expect("an array");
        let (guard, logs) = testing::capture_logs();
        let request_id = format!("req-{name}");
        let result = handler(
            &deps(&local),
            &config(),
            testing::lambda_event(payload, &request_id),
        )
        .await;
        drop(guard);
        then(&name, &local, before, result).await;
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
async fn an_item_without_message_id_fails_the_batch() {
    let local = scenario::local();
    let payload = vec![serde_json::json!({"task": null})];
    let r = handler(
        &deps(&local),
        &config(),
        testing::lambda_event(payload, "r"),
    )
    .await;
    assert_eq!(r.expect_err("no id").error_type(), "InvalidInput");
}

#[test]
fn config_reads_its_names_and_has_a_sane_lease() {
    let (c, mut asked) = lambda_kit::config::names_read(&VALUES, |l| Config::from_lookup(l));
    let c = c.expect("defaults");
    assert_eq!(c.slot_lease_secs, 900);
    assert_eq!(c.table_prefix, "campaign-");
    let connect = [
        ("TELEPHONY_PROVIDER", "connect"),
        ("CONNECT_INSTANCE_ID", "i-1"),
        ("CONNECT_CONTACT_FLOW_ID", "f-1"),
        ("CONNECT_SOURCE_PHONE_NUMBER", "+15550100"),
    ];
    let values: Vec<_> = VALUES[..3].iter().chain(&connect).copied().collect();
    let (c, more) = lambda_kit::config::names_read(&values, |l| Config::from_lookup(l));
    assert!(matches!(
        c.expect("connect").telephony,
        lambda_kit::config::TelephonyConfig::Connect { .. }
    ));
    asked.extend(more);
    assert_eq!(
        asked,
        dialer_worker::ENV_VARS
            .iter()
            .map(|v| v.to_string())
            .collect()
    );
    let mut short = VALUES.to_vec();
    short.push(("SLOT_LEASE_SECS", "5"));
    let (c, _) = lambda_kit::config::names_read(&short, |l| Config::from_lookup(l));
    assert_eq!(c.expect_err("short lease").error_type(), "ConfigError");
    let (c, _) = lambda_kit::config::names_read(&VALUES[1..], |l| Config::from_lookup(l));
    assert_eq!(c.expect_err("no call topic").error_type(), "ConfigError");
}
