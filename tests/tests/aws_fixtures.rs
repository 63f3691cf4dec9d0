//! Every function's fixtures (`events/<function>/*.json`) through its
//! handler twice: on the embedded adapters and on the AWS adapters against
//! the local AWS emulator, each built as the function's `main` builds it.
//! Both worlds start the same (a started campaign `cmp-000001` with three
//! mobiles and a landline, the clock at a Monday morning) and get the same
//! fixtures in the same order, so every answer must be the same: the output
//! (presigned links aside, which differ by nature), the batch item failures,
//! or the error's `error_type`. The functions' own tests (with a world
//! seeded per fixture) assert what each answer should be; this one proves
//! the AWS adapters give the functions the same answers as the embedded
//! ones, fixture by fixture, and that no fixture panics on either.
//!
//! Without `AWS_ENDPOINT_URL` it fails, unless `SKIP_EMULATOR_TESTS=1`.

mod aws_common;

use std::sync::Arc;

use aws_common::{Functions, emulator, functions};
use campaign_aws::AwsPorts;
use campaign_aws::provision::provision;
use campaign_core::campaign::CampaignKind;
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::ids::CampaignId;
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::ports::{
    AuditLog, BlacklistStore, CampaignStore, ContactStore, IdGenerator, ObjectStore,
};
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::{Lifecycle, NewCampaign};
use campaign_core::usecases::uploaded_import::{
    ImportRecord, ImportStatus, record_key, upload_key,
};
use campaign_embedded::providers::SequentialIds;
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_embedded::testing::{monday_morning, settings};
use lambda_kit::FunctionError;
use lambda_kit::testing::{assert_no_clear_phone_numbers, capture_logs, fixture, fixture_names};
use serde_json::{Value, json};

const FUNCTIONS: [&str; 8] = [
    "dispatcher",
    "enricher",
    "dialer-worker",
    "call-events",
    "sms-tts-fallback",
    "blacklist",
    "report-generator",
    "contact-importer",
];

/// `fixture()` resolves `events/` from a package directory two levels down.
fn package_dir(function: &str) -> String {
    format!("{}/../functions/{function}", env!("CARGO_MANIFEST_DIR"))
}

async fn seed(
    campaigns: &dyn CampaignStore,
    audit: &dyn AuditLog,
    contacts: &dyn ContactStore,
    blacklist: &dyn BlacklistStore,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
) {
    let lifecycle = Lifecycle {
        campaigns,
        audit,
        ids,
        clock,
    };
    let campaign = lifecycle
        .create(
            NewCampaign {
                name: "Fixtures".into(),
                kind: CampaignKind::Voice,
                settings: settings(),
            },
            "tester",
        )
        .await
        .expect("create");
    ImportContacts {
        campaigns,
        contacts,
        blacklist,
    }
    .run(
        &campaign.id,
        b"phone,first_name\n0523450000,Dana\n0523450001,Avi\n0523450002,Noa\n02-6234567,Office\n",
        FileFormat::Csv,
        &ImportOptions::default(),
    )
    .await
    .expect("import");
    lifecycle
        .start(&campaign.id, "tester")
        .await
        .expect("start");
}

/// What `POST .../contact-uploads` and the client's PUT leave for the
/// contact-importer fixtures: imports `imp-fixture-1` and `imp-fixture-2`
/// of `cmp-000001`, their files landed.
async fn seed_uploads(uploads: &dyn ObjectStore, clock: &dyn Clock) {
    let campaign = CampaignId::new("cmp-000001");
    for id in ["imp-fixture-1", "imp-fixture-2"] {
        let key = upload_key(&campaign, id, "csv");
        let mut record =
            ImportRecord::new(id.into(), campaign.clone(), "tester".into(), clock.now());
        record.file_key = Some(key.clone());
        record.content_type = Some("text/csv".into());
        uploads
            .put(
                &record_key(&campaign, id),
                serde_json::to_vec(&record).expect("encode"),
                "application/json",
            )
            .await
            .expect("record");
        uploads
            .put(
                &key,
                b"phone,first_name\n0523459001,Rina\n0523459002,Omer\nnot-a-phone,Bad\n".to_vec(),
                "text/csv",
            )
            .await
            .expect("file");
    }
}

/// The functions on the embedded adapters, with the AWS world's configs.
fn embedded(local: &Local, aws: &Functions) -> Functions {
    Functions {
        dispatcher: (
            dispatcher::Deps {
                campaigns: local.store.clone(),
                contacts: local.store.clone(),
                blacklist: local.store.clone(),
                queue: local.queue.clone(),
                counters: local.counters.clone(),
                audit: local.store.clone(),
                ids: local.ids.clone(),
                clock: local.clock.clone(),
                model: local.model.clone(),
            },
            aws.dispatcher.1.clone(),
        ),
        enricher: (
            enricher::Deps {
                campaigns: local.store.clone(),
                contacts: local.store.clone(),
                blacklist: local.store.clone(),
                calls: local.store.clone(),
                counters: local.counters.clone(),
                clock: local.clock.clone(),
            },
            aws.enricher.1.clone(),
        ),
        dialer: (
            dialer_worker::Deps {
                calls: local.store.clone(),
                contacts: local.store.clone(),
                counters: local.counters.clone(),
                telephony: local.carrier.clone(),
                events: local.bus.clone(),
                clock: local.clock.clone(),
            },
            aws.dialer.1.clone(),
        ),
        call_events: (
            call_events::Deps {
                calls: local.store.clone(),
                contacts: local.store.clone(),
                campaigns: local.store.clone(),
                counters: local.counters.clone(),
                clock: local.clock.clone(),
            },
            aws.call_events.1.clone(),
        ),
        follow_up: (
            sms_tts_fallback::Deps {
                campaigns: local.store.clone(),
                contacts: local.store.clone(),
                calls: local.store.clone(),
                blacklist: local.store.clone(),
                sms: local.sms.clone(),
                tts: local.tts.clone(),
                telephony: local.carrier.clone(),
                counters: local.counters.clone(),
                follow_ups: local.follow_ups.clone(),
                clock: local.clock.clone(),
            },
            aws.follow_up.1.clone(),
        ),
        blacklist: (
            blacklist::Deps {
                blacklist: local.store.clone(),
                contacts: local.store.clone(),
                audit: local.store.clone(),
                clock: local.clock.clone(),
            },
            aws.blacklist.1.clone(),
        ),
        report: (
            report_generator::Deps {
                campaigns: local.store.clone(),
                contacts: local.store.clone(),
                calls: local.store.clone(),
                objects: local.objects.clone(),
                clock: local.clock.clone(),
            },
            aws.report.1.clone(),
        ),
        importer: (
            contact_importer::Deps {
                campaigns: local.store.clone(),
                contacts: local.store.clone(),
                blacklist: local.store.clone(),
                uploads: local.objects.clone(),
                counters: local.counters.clone(),
                audit: local.store.clone(),
                clock: local.clock.clone(),
            },
            aws.importer.1.clone(),
        ),
    }
}

/// The answer, comparable across adapters: presigned links removed.
fn answer<T: serde::Serialize>(r: Result<T, FunctionError>) -> Value {
    match r {
        Ok(v) => {
            let mut v = serde_json::to_value(v).expect("encode");
            strip_links(&mut v);
            json!({"ok": v})
        }
        Err(e) => json!({"error_type": e.error_type()}),
    }
}

fn strip_links(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("url");
            map.remove("report_url");
            map.values_mut().for_each(strip_links);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_links),
        _ => {}
    }
}

async fn run(f: &Functions, function: &str, name: &str) -> Value {
    let payload = fixture(&package_dir(function), function, name);
    let event = |p: Value| lambda_kit::testing::lambda_event(p, &format!("req-{name}"));
    macro_rules! sqs {
        ($handler:path, $deps:expr) => {{
            match serde_json::from_value(payload) {
                Ok(e) => answer($handler(&$deps.0, &$deps.1, event_typed(e, name)).await),
                Err(_) => json!({"not_an_event": true}),
            }
        }};
    }
    match function {
        "dispatcher" => {
            answer(dispatcher::handler(&f.dispatcher.0, &f.dispatcher.1, event(payload)).await)
        }
        "report-generator" => {
            answer(report_generator::handler(&f.report.0, &f.report.1, event(payload)).await)
        }
        "enricher" => sqs!(enricher::handler, f.enricher),
        "dialer-worker" => sqs!(dialer_worker::handler, f.dialer),
        "call-events" => sqs!(call_events::handler, f.call_events),
        "sms-tts-fallback" => sqs!(sms_tts_fallback::handler, f.follow_up),
        "blacklist" => sqs!(blacklist::handler, f.blacklist),
        "contact-importer" => sqs!(contact_importer::handler, f.importer),
        other => panic!("no function {other}"),
    }
}

fn event_typed<T>(payload: T, name: &str) -> lambda_runtime::LambdaEvent<T> {
    lambda_kit::testing::lambda_event(payload, &format!("req-{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gives_the_same_answer_on_both_adapter_sets() {
    let Some(clients) = emulator("aws_fixtures").await else {
        return;
    };
    let prefix = format!(
        "fix{}-{:04x}",
        chrono::Utc::now().timestamp_millis(),
        rand::random::<u16>()
    );
    let stack = provision(&clients, &prefix).await.expect("provision");
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let aws = AwsPorts::new(clients.clone(), &format!("{prefix}-"), clock.clone());
    let on_aws = functions(&stack, clock.clone(), aws.objects(&stack.tts_cache_bucket)).await;
    let (campaigns, audit, contacts, blacklist) = (
        aws.campaigns(),
        aws.audit(),
        aws.contacts(),
        aws.blacklist(),
    );
    seed(
        &*campaigns,
        &*audit,
        &*contacts,
        &*blacklist,
        &SequentialIds::new(),
        &*clock,
    )
    .await;
    let local = Local::new(LocalConfig::default(), monday_morning());
    seed(
        &*local.store,
        &*local.store,
        &*local.store,
        &*local.store,
        &*local.ids,
        &*local.clock,
    )
    .await;
    seed_uploads(&*aws.objects(&stack.uploads_bucket), &*clock).await;
    seed_uploads(&*local.objects, &*local.clock).await;
    let on_memory = embedded(&local, &on_aws);

    let (guard, logs) = capture_logs();
    let mut checked = 0;
    let mut differences = Vec::new();
    for function in FUNCTIONS {
        let names = fixture_names(&package_dir(function), function);
        assert!(!names.is_empty(), "{function} has no fixtures");
        for name in names {
            let expected = run(&on_memory, function, &name).await;
            let got = run(&on_aws, function, &name).await;
            if std::env::var_os("SHOW_ANSWERS").is_some() {
                eprintln!(
                    "{function}/{name}: {}",
                    expected.to_string().chars().take(160).collect::<String>()
                );
            }
            if expected != got {
                differences.push(format!(
                    "{function}/{name}:\n  embedded: {expected}\n  aws:      {got}"
                ));
            }
            checked += 1;
        }
    }
    drop(guard);
    // The imports the contact-importer fixtures ran ended the same in S3 as
    // in memory, each run once.
    let aws_uploads = aws.objects(&stack.uploads_bucket);
    for id in ["imp-fixture-1", "imp-fixture-2"] {
        let key = record_key(&CampaignId::new("cmp-000001"), id);
        let read = |bytes: Option<Vec<u8>>| -> ImportRecord {
            serde_json::from_slice(&bytes.expect("record")).expect("decode")
        };
        let on_s3 = read(aws_uploads.get(&key).await.expect("get"));
        let in_memory = read(local.objects.get(&key).await.expect("get"));
        // (Earlier fixtures fail the shared campaign, so these imports end
        // `failed` with `campaign_finished`: the point is the same end.)
        assert!(
            matches!(on_s3.status, ImportStatus::Completed | ImportStatus::Failed),
            "{id}: {:?}",
            on_s3.status
        );
        assert_eq!(on_s3.attempts, 1, "{id} imported once");
        assert_eq!(
            (on_s3.status, on_s3.stored, on_s3.errors, on_s3.failure),
            (
                in_memory.status,
                in_memory.stored,
                in_memory.errors,
                in_memory.failure
            ),
            "{id}"
        );
    }
    assert!(
        differences.is_empty(),
        "{} of {checked} fixtures answered differently:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(checked >= 40, "only {checked} fixtures");
    assert_no_clear_phone_numbers(&logs);
    eprintln!("aws_fixtures: {checked} fixtures, same answers on both adapter sets");
}
