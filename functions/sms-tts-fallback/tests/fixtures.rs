//! Every fixture in `events/sms-tts-fallback/` through the real handler,
//! against embedded adapters: a campaign whose calls were placed, three
//! mobiles and a landline.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::blacklist::BlacklistSource;
use campaign_core::ids::CallId;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::CallRecord;
use campaign_embedded::providers::ConsoleSms;
use campaign_embedded::runtime::Local;
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};
use sms_tts_fallback::{Config, Deps, handler};

const DIR: &str = env!("CARGO_MANIFEST_DIR");
const LANDLINE: &str = "cmp-000001-0b3e1ce60095fbd3";

/// Every number SMS-capable (the runtime's own gateway refuses a few at random).
fn deps(local: &Local, sms: Arc<ConsoleSms>) -> Deps {
    Deps {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        calls: local.store.clone(),
        blacklist: local.store.clone(),
        sms,
        tts: local.tts.clone(),
        telephony: local.carrier.clone(),
        counters: local.counters.clone(),
        clock: local.clock.clone(),
    }
}

async fn record(local: &Local, call: &str) -> Option<CallRecord> {
    local.calls().get(&CallId::new(call)).await.expect("get")
}

fn failed(r: &SqsBatchResponse) -> Vec<&str> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

async fn given(name: &str, local: &Local) {
    scenario::dialled_campaign(local, "Follow-up", &scenario::contacts_csv(3, true)).await;
    if name == "blacklisted-since-call.json" {
        let phone = PhoneNumber::from_e164("+972523450001").expect("valid");
        local
            .blacklisting()
            .add(
                phone,
                "pressed 9 later",
                BlacklistSource::UserOptout,
                "tester",
            )
            .await
            .expect("listed");
    }
}

async fn then(
    name: &str,
    local: &Local,
    sms: &ConsoleSms,
    result: Result<SqsBatchResponse, FunctionError>,
) {
    let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    let call0 = "cmp-000001-ad1e29a40604988f-a1";
    match name {
        "happy-sms.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(sms.sent_count(), 1);
            assert_eq!(
                sms.sent()[0].text,
                "Thanks Friend0: https://give.example.org/x"
            );
            let rec = record(local, call0).await.expect("record");
            assert_eq!(rec.follow_up.as_deref(), Some("SMS Sent"));
        }
        "landline-tts.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(sms.sent_count(), 0, "a landline gets no SMS");
            assert!(
                record(local, &format!("{LANDLINE}-a1-tts")).await.is_some(),
                "a TTS call is placed"
            );
        }
        "duplicate-delivery.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(sms.sent_count(), 1, "one SMS for two deliveries");
        }
        "blacklisted-since-call.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(sms.sent_count(), 0, "a listed number gets nothing");
        }
        "malformed.json" => {
            assert_eq!(failed(&r), ["d-bad", "d-no-call"]);
            assert_eq!(sms.sent_count(), 1);
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "sms-tts-fallback");
    assert!(names.len() >= 5, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        given(&name, &local).await;
        let sms = Arc::new(ConsoleSms::new());
        let payload: SqsEvent =
            serde_json::from_value(testing::fixture(DIR, "sms-tts-fallback", &name))
                .expect("an SQS event");
        let (guard, logs) = testing::capture_logs();
        let request_id = format!("req-{name}");
        let config = Config {
            voice: "Joanna".into(),
        };
        let result = handler(
            &deps(&local, sms.clone()),
            &config,
            testing::lambda_event(payload, &request_id),
        )
        .await;
        drop(guard);
        then(&name, &local, &sms, result).await;
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

#[test]
fn voice_defaults_and_reads_the_environment() {
    assert_eq!(
        Config::from_lookup(&|_| None).expect("default").voice,
        "Joanna"
    );
    let lookup = |k: &str| (k == "TTS_VOICE").then(|| "Ruth".to_owned());
    assert_eq!(Config::from_lookup(&lookup).expect("set").voice, "Ruth");
}
