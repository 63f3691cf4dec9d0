//! Every fixture in `events/call-events/` through the real handler, against
//! embedded adapters seeded for its scenario (a campaign whose calls were
//! placed and whose events have not come yet).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use call_events::{Config, Deps, handler};
use campaign_core::contact::ContactStatus;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::messages::DonationEvent;
use campaign_core::outcome::CallOutcome;
use campaign_core::ports::{AttemptState, CallRecord, Counters};
use campaign_embedded::runtime::Local;
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");
const LANDLINE: &str = "cmp-000001-0b3e1ce60095fbd3";

fn deps(local: &Local) -> Deps {
    Deps {
        calls: local.store.clone(),
        contacts: local.store.clone(),
        campaigns: local.store.clone(),
        counters: local.counters.clone(),
        clock: local.clock.clone(),
    }
}

fn contact(n: &str) -> ContactId {
    campaign_core::usecases::contacts::contact_id_for(
        &CampaignId::new("cmp-000001"),
        &campaign_core::phone::PhoneNumber::from_e164(&format!("+97252345000{n}")).expect("valid"),
    )
}

async fn record(local: &Local, call: &str) -> CallRecord {
    local
        .calls()
        .get(&CallId::new(call))
        .await
        .expect("get")
        .unwrap_or_else(|| panic!("no record {call}"))
}

async fn given(name: &str, local: &Local) {
    scenario::dialled_campaign(local, "Calls", &scenario::contacts_csv(3, true)).await;
    if name == "landline-tts-delivered.json" {
        // The landline pressed 1: its follow-up is a TTS call.
        let event = DonationEvent {
            version: 1,
            event_id: format!("{LANDLINE}-a1-donation"),
            call_id: CallId::new(format!("{LANDLINE}-a1")),
            campaign_id: CampaignId::new("cmp-000001"),
            contact_id: ContactId::new(LANDLINE),
            phone_number: campaign_core::phone::PhoneNumber::from_e164("+97226234567")
                .expect("valid"),
            at: local.now(),
        };
        local
            .follow_up()
            .run(&event, "delivery-1")
            .await
            .expect("tts call placed");
    }
}

fn failed(r: &SqsBatchResponse) -> Vec<&str> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

async fn then(name: &str, local: &Local, result: Result<SqsBatchResponse, FunctionError>) {
    let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    let call0 = "cmp-000001-ad1e29a40604988f-a1";
    match name {
        "happy-converted.json" => {
            assert!(failed(&r).is_empty());
            let rec = record(local, call0).await;
            assert_eq!(rec.state, AttemptState::Ended);
            assert_eq!(rec.outcome, Some(CallOutcome::Converted));
            assert_eq!(rec.digits, "1");
            assert!(rec.answered_at.is_some());
            let c = local
                .contacts()
                .get(&CampaignId::new("cmp-000001"), &contact("0"))
                .await
                .expect("get")
                .expect("exists");
            assert_eq!(c.status, ContactStatus::Completed);
        }
        "busy-is-retried.json" => {
            assert!(failed(&r).is_empty());
            let c = local
                .contacts()
                .get(&CampaignId::new("cmp-000001"), &contact("1"))
                .await
                .expect("get")
                .expect("exists");
            assert_eq!(c.status, ContactStatus::Pending, "busy is retried");
            assert!(c.next_attempt_at.is_some_and(|t| t > local.now()));
        }
        "duplicate-delivery.json" => {
            assert!(failed(&r).is_empty(), "a repeat is done, not retried");
            let attempts = local
                .counters
                .get("metrics/cmp-000001/attempts")
                .await
                .expect("counter");
            assert_eq!(attempts, 1, "counted once");
        }
        "malformed.json" => {
            assert_eq!(failed(&r), ["ce-not-json", "ce-unknown-type", "ce-v9"]);
            assert_eq!(record(local, call0).await.state, AttemptState::Answered);
        }
        "unknown-call.json" => assert!(
            failed(&r).is_empty(),
            "nothing to retry for an unknown call"
        ),
        "sns-envelope-not-raw.json" => {
            assert!(failed(&r).is_empty());
            assert_eq!(record(local, call0).await.state, AttemptState::Answered);
        }
        "landline-tts-delivered.json" => {
            assert!(failed(&r).is_empty());
            let original = record(local, &format!("{LANDLINE}-a1")).await;
            assert_eq!(
                original.follow_up.as_deref(),
                Some("TTS Fallback Delivered")
            );
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "call-events");
    assert!(names.len() >= 6, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        given(&name, &local).await;
        let payload: SqsEvent = serde_json::from_value(testing::fixture(DIR, "call-events", &name))
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
        if name == "happy-converted.json" {
            // The answer-rate metric filter reads `event` on this line.
            assert!(
                logs.lines()
                    .iter()
                    .any(|l| l["message"] == "call event" && l["event"] == "answered"),
                "{}",
                logs.text()
            );
        }
        for line in logs.lines() {
            assert_eq!(
                line["spans"][0]["request_id"],
                request_id.as_str(),
                "{name}: {line}"
            );
        }
    }
}
