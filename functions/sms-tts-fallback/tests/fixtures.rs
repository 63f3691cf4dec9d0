//! Every fixture in `events/sms-tts-fallback/` through the real handler,
//! against embedded adapters: a campaign whose calls were placed, three
//! mobiles and a landline.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::blacklist::BlacklistSource;
use campaign_core::ids::CallId;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::CallRecord;
use campaign_embedded::providers::ConsoleSms;
use campaign_embedded::runtime::Local;
use lambda_kit::FunctionError;
use lambda_kit::config::{TelephonyConfig, names_read};
use lambda_kit::testing::{self, scenario};
use sms_tts_fallback::{Config, Deps, ENV_VARS, SmsProvider, handler};

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
        follow_ups: local.follow_ups.clone(),
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
        let config = config();
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

fn config() -> Config {
    Config {
        table_prefix: "campaign-".into(),
        sms: SmsProvider::Sns { sender_id: None },
        voice: "Joanna".into(),
        engine: "neural".into(),
        tts_cache_bucket: "tts-cache".into(),
        telephony: TelephonyConfig::Asterisk {
            originate_queue_url: "https://sqs/originate".into(),
        },
        connect: None,
        follow_up_queue_url: "https://sqs/follow-up".into(),
        slot_lease_secs: 900,
    }
}

const MINIMAL: [(&str, &str); 3] = [
    ("TTS_CACHE_BUCKET", "tts-cache"),
    ("ORIGINATE_QUEUE_URL", "https://sqs/originate"),
    ("FOLLOW_UP_QUEUE_URL", "https://sqs/follow-up"),
];

#[test]
fn config_defaults_and_reads_the_environment() {
    let (c, asked) = names_read(&MINIMAL, |l| Config::from_lookup(l));
    assert_eq!(c.expect("defaults"), config());
    let mut all = asked;
    let values = [
        ("TTS_CACHE_BUCKET", "tts-cache"),
        ("FOLLOW_UP_QUEUE_URL", "https://sqs/follow-up"),
        ("SLOT_LEASE_SECS", "600"),
        ("POLLY_VOICE_ID", "Ruth"),
        ("POLLY_ENGINE", "Standard"),
        ("SMS_PROVIDER", "http"),
        ("SMS_PROVIDER_SECRET_ID", "sms/provider"),
        ("TELEPHONY_PROVIDER", "connect"),
        ("CONNECT_INSTANCE_ID", "i-1"),
        ("CONNECT_CONTACT_FLOW_ID", "f-1"),
        ("CONNECT_SOURCE_PHONE_NUMBER", "+15550100"),
    ];
    let (c, asked) = names_read(&values, |l| Config::from_lookup(l));
    let c = c.expect("all set");
    assert_eq!(c.voice, "Ruth");
    assert_eq!(c.slot_lease_secs, 600);
    assert_eq!(c.engine, "standard");
    assert_eq!(
        c.sms,
        SmsProvider::Http {
            secret_id: "sms/provider".into()
        }
    );
    all.extend(asked);
    let (sender, asked) = names_read(
        &[
            MINIMAL[0],
            MINIMAL[1],
            MINIMAL[2],
            ("SMS_SENDER_ID", "Charity"),
        ],
        |l| Config::from_lookup(l),
    );
    assert_eq!(
        sender.expect("sender").sms,
        SmsProvider::Sns {
            sender_id: Some("Charity".into())
        }
    );
    all.extend(asked);
    // Across its settings it reads exactly what the deployment sets.
    let declared: BTreeSet<String> = ENV_VARS.iter().map(|v| v.to_string()).collect();
    assert_eq!(all, declared);
    for bad in [
        ("SMS_PROVIDER", "pigeon"),
        ("POLLY_ENGINE", "loud"),
        ("TELEPHONY_PROVIDER", "pstn"),
        ("SLOT_LEASE_SECS", "10"),
    ] {
        let (c, _) = names_read(&[MINIMAL[0], MINIMAL[1], MINIMAL[2], bad], |l| {
            Config::from_lookup(l)
        });
        assert_eq!(c.expect_err("bad").error_type(), "ConfigError", "{bad:?}");
    }
    let (c, _) = names_read(
        &[("SMS_PROVIDER", "http"), MINIMAL[0], MINIMAL[1], MINIMAL[2]],
        |l| Config::from_lookup(l),
    );
    assert_eq!(c.expect_err("no secret").error_type(), "ConfigError");
    let (c, _) = names_read(&[MINIMAL[0], MINIMAL[1]], |l| Config::from_lookup(l));
    assert_eq!(
        c.expect_err("no follow-up queue").error_type(),
        "ConfigError"
    );
}
