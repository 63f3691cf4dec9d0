//! A campaign end to end through the Lambda handlers on the AWS adapters,
//! against the local AWS emulator (moto): DynamoDB tables, the SQS dial and
//! originate queues, the SNS topics with their subscribed SQS queues, S3.
//!
//! What cannot run here is played by the test, and only that: EventBridge
//! Pipes (receive a batch from the dial queue → `enricher` → `dialer-worker`
//! → delete what succeeded), the Lambda event-source mappings (receive from a
//! subscribed queue → handler → delete all but `batchItemFailures`), Step
//! Functions (validate → dispatch / progress loop → report), and the Asterisk
//! bridge, whose place is taken by the simulated carrier reading the
//! originate queue and publishing call / donation / opt-out events to the
//! real SNS topics. Polly is not emulated: the TTS fallback uses the embedded
//! synthesizer. Time is a manual clock so calling windows and retry delays
//! pass in seconds.
//!
//! Without `AWS_ENDPOINT_URL` the test fails, unless `SKIP_EMULATOR_TESTS=1`;
//! `tests/run` starts the emulator and sets it.

mod aws_common;

use aws_common::{Functions, emulator, functions};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use campaign_aws::provision::{Stack, provision};
use campaign_aws::telephony::{COMMAND_ATTRIBUTE, HANG_UP, ORIGINATE};
use campaign_aws::{AwsPorts, Clients, SnsEventBus};
use campaign_core::campaign::{CampaignKind, CampaignStatus};
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::messages::{
    CallPurpose, HangUpCommand, MESSAGE_VERSION, Message, OriginateCommand, WorkflowPhase,
    WorkflowState,
};
use campaign_core::ports::{BlacklistStore, CallRecordStore, ObjectStore, PageRequest, Telephony};
use campaign_core::retry::RetryPolicy;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::{Lifecycle, NewCampaign};
use campaign_embedded::carrier::{CarrierProfile, KeyBehaviour, SimulatedCarrier};
use campaign_embedded::providers::SequentialIds;
use campaign_embedded::testing::{monday_morning, settings};
use chrono::Duration;
use lambda_kit::testing::{assert_no_clear_phone_numbers, capture_logs, lambda_event};
use serde_json::{Value, json};

/// One received SQS message.
struct Received {
    id: String,
    receipt: String,
    body: String,
    command: Option<String>,
}

async fn receive(clients: &Clients, url: &str) -> Vec<Received> {
    let r = clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .wait_time_seconds(0)
        .send()
        .await
        .expect("receive");
    r.messages()
        .iter()
        .map(|m| Received {
            id: m.message_id().unwrap_or_default().to_owned(),
            receipt: m.receipt_handle().unwrap_or_default().to_owned(),
            body: m.body().unwrap_or_default().to_owned(),
            command: m
                .message_attributes()
                .and_then(|a| a.get(COMMAND_ATTRIBUTE))
                .and_then(|v| v.string_value())
                .map(str::to_owned),
        })
        .collect()
}

async fn delete(clients: &Clients, url: &str, m: &Received) {
    clients
        .sqs
        .delete_message()
        .queue_url(url)
        .receipt_handle(&m.receipt)
        .send()
        .await
        .expect("delete");
}

/// Makes a message visible again at once (the retry a failed batch item gets).
async fn release(clients: &Clients, url: &str, m: &Received) {
    clients
        .sqs
        .change_message_visibility()
        .queue_url(url)
        .receipt_handle(&m.receipt)
        .visibility_timeout(0)
        .send()
        .await
        .expect("change visibility");
}

fn sqs_records(messages: &[Received]) -> Vec<SqsMessage> {
    messages
        .iter()
        .map(|m| {
            serde_json::from_value(json!({
                "messageId": m.id,
                "receiptHandle": m.receipt,
                "body": m.body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1"
            }))
            .expect("an SQS record")
        })
        .collect()
}

fn failed(r: &SqsBatchResponse) -> HashSet<String> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// What the run saw, for the assertions.
#[derive(Default)]
struct Seen {
    originate_commands: u32,
    hang_ups: u32,
    /// Call ids the carrier was asked to place, with how often.
    requested: BTreeMap<String, u32>,
    tts_calls: u32,
    dial_retries: u32,
    handler_failures: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_end_to_end_through_the_functions_on_the_emulator() {
    let Some(clients) = emulator("aws_flow").await else {
        return;
    };
    let prefix = format!(
        "flow{}-{:04x}",
        chrono::Utc::now().timestamp_millis(),
        rand::random::<u16>()
    );
    let stack = provision(&clients, &prefix).await.expect("provision");
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let aws = AwsPorts::new(clients.clone(), &format!("{prefix}-"), clock.clone());
    let tts_cache = aws.objects(&stack.tts_cache_bucket);
    let f = functions(&stack, clock.clone(), tts_cache).await;

    // GIVEN a campaign of 8 mobiles and a landline, one mobile already on
    // the do-not-call list, retries an hour apart, at most 2 attempts.
    let mut csv = String::from("phone,first_name\n");
    for i in 0..8 {
        csv.push_str(&format!("052345{i:04},Friend{i}\n"));
    }
    csv.push_str("02-6234567,Landline\n");
    let blacklisted = campaign_core::phone::PhoneNumber::from_e164("+972523450007").expect("e164");
    let entry = campaign_core::blacklist::BlacklistEntry::new(
        blacklisted.clone(),
        clock.now(),
        "asked by letter",
        campaign_core::blacklist::BlacklistSource::AdminImport,
    );
    aws.blacklist().add(&entry).await.expect("listed");
    let mut s = settings();
    // Three calls at a time: the dialer makes the rest of a batch wait.
    s.pace.max_concurrent = 3;
    s.retry = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    let (campaigns, audit, contacts, blacklist_store) = (
        aws.campaigns(),
        aws.audit(),
        aws.contacts(),
        aws.blacklist(),
    );
    let ids = SequentialIds::new();
    let lifecycle = Lifecycle {
        campaigns: &*campaigns,
        audit: &*audit,
        ids: &ids,
        clock: &*clock,
    };
    let campaign = lifecycle
        .create(
            NewCampaign {
                name: "Flow".into(),
                kind: CampaignKind::Voice,
                settings: s,
            },
            "tester",
        )
        .await
        .expect("create");
    let imported = ImportContacts {
        campaigns: &*campaigns,
        contacts: &*contacts,
        blacklist: &*blacklist_store,
    }
    .run(
        &campaign.id,
        csv.as_bytes(),
        FileFormat::Csv,
        &ImportOptions::default(),
    )
    .await
    .expect("import");
    assert_eq!(imported.stored, 9);
    assert_eq!(imported.blacklisted, 1);

    // The carrier: every call answered or busy; answered people press 1 or 9.
    let profile = CarrierProfile {
        answer: 0.75,
        busy: 0.25,
        no_answer: 0.0,
        disconnect: 0.0,
        keys: KeyBehaviour {
            press_1: 0.6,
            press_9: 0.3,
            invalid_then_1: 0.0,
        },
        ..CarrierProfile::default()
    };
    let seed = std::env::var("FLOW_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let carrier = SimulatedCarrier::new(profile, seed, clock.clone());
    let carrier_bus = SnsEventBus::new(clients.sns.clone(), stack.topics.clone());

    let (guard, logs) = capture_logs();
    let mut seen = Seen::default();
    // WHEN the workflow runs: validate, then dispatch / progress until done.
    let state = dispatcher_task(&f, "validate", &campaign.id).await;
    assert_eq!(state.campaign_status, CampaignStatus::Active);
    let mut finished = None;
    for round in 0..400 {
        let state = dispatcher_task(&f, "dispatch", &campaign.id).await;
        if state.phase != WorkflowPhase::Running {
            finished = Some(state);
            break;
        }
        pipe(&clients, &stack, &f, &mut seen).await;
        bridge(&clients, &stack, &carrier, &mut seen).await;
        // Let the calls play out: the carrier's events come due.
        for _ in 0..20 {
            match carrier.next_event_at() {
                Some(at) => {
                    if at > clock.now() {
                        clock.set(at);
                    }
                    carrier
                        .release_due(clock.now(), &carrier_bus)
                        .await
                        .expect("publish");
                    subscriptions(&clients, &stack, &f, &mut seen).await;
                    // A TTS fallback call is a new originate command.
                    bridge(&clients, &stack, &carrier, &mut seen).await;
                }
                None => break,
            }
        }
        subscriptions(&clients, &stack, &f, &mut seen).await;
        let state = dispatcher_task(&f, "progress", &campaign.id).await;
        if state.phase != WorkflowPhase::Running {
            finished = Some(state);
            break;
        }
        // Nothing in flight: the next retries are due in an hour.
        clock.advance(Duration::minutes(if carrier.next_event_at().is_none() {
            61
        } else {
            1
        }));
        assert!(round < 399, "the campaign did not finish");
    }
    let finished = finished.expect("finished");
    let report = report_task(&f, &campaign.id).await;
    drop(guard);

    // THEN the campaign completed with every contact finished …
    assert_eq!(finished.phase, WorkflowPhase::Completed);
    assert_eq!(finished.total_contacts, 9);
    assert_eq!(finished.terminal_contacts, 9);
    assert!(
        seen.handler_failures.is_empty(),
        "{:?}",
        seen.handler_failures
    );
    // … the listed number never dialled, nothing placed twice, at most two
    // attempts a contact …
    let originations = carrier.originations();
    assert!(
        seen.dial_retries >= 1,
        "the concurrency limit made tasks wait"
    );
    assert!(
        carrier_peak(&originations) <= 3,
        "never above the concurrency limit"
    );
    assert!(originations.iter().all(|o| o.phone != blacklisted));
    let placed: HashSet<_> = originations.iter().map(|o| o.call_id.clone()).collect();
    assert_eq!(placed.len(), originations.len(), "a call id placed twice");
    let mut attempts: HashMap<String, u32> = HashMap::new();
    for o in originations
        .iter()
        .filter(|o| o.purpose == CallPurpose::Campaign)
    {
        *attempts.entry(o.contact.to_string()).or_default() += 1;
    }
    assert_eq!(attempts.len(), 8, "every eligible contact called");
    assert!(attempts.values().all(|&n| n <= 2), "{attempts:?}");
    assert!(
        attempts.values().any(|&n| n == 2),
        "a busy call was retried: {attempts:?}"
    );
    // … key 9 put the number on the list, key 1 sent an SMS or (landline)
    // a TTS call, recorded on the call record …
    let calls = collect_calls(&*aws.calls(), &campaign.id).await;
    let mut sms_sent = 0;
    let mut tts_delivered = 0;
    let mut tts_failed = 0;
    let mut opted_out = 0;
    for record in &calls {
        match record.follow_up.as_deref() {
            Some("SMS Sent") => sms_sent += 1,
            Some("TTS Fallback Delivered") => tts_delivered += 1,
            Some("TTS Fallback Failed") => tts_failed += 1,
            _ => {}
        }
        if record.outcome == Some(campaign_core::outcome::CallOutcome::OptedOut) {
            opted_out += 1;
            assert!(
                aws.blacklist()
                    .get(&record.phone)
                    .await
                    .expect("get")
                    .is_some(),
                "an opt-out is on the list"
            );
        }
    }
    assert!(sms_sent >= 1, "no SMS sent: {calls:?}");
    assert!(opted_out >= 1, "no opt-out: {calls:?}");
    assert!(seen.tts_calls >= 1, "the landline pressed 1: a TTS call");
    // (a TTS call can itself go unanswered: then it is recorded as failed)
    assert_eq!(
        tts_delivered + tts_failed,
        seen.tts_calls,
        "TTS calls recorded"
    );
    // … the report is in S3 behind a working time-limited link …
    let csv_link = report["reports"]["csv"]["url"]
        .as_str()
        .expect("a csv link")
        .to_owned();
    let key = report["reports"]["csv"]["key"].as_str().expect("key");
    let stored = aws
        .objects(&stack.reports_bucket)
        .get(key)
        .await
        .expect("the report object")
        .expect("stored");
    let text = String::from_utf8(stored).expect("utf-8");
    // One row per call, and one for the listed contact never dialled.
    assert_eq!(text.lines().count() - 1, calls.len() + 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(blacklisted.as_str()) && l.contains("blacklisted")),
        "{text}"
    );
    assert!(csv_link.contains("X-Amz-Expires"), "{csv_link}");
    // … and no log line carries a phone number in clear.
    assert_no_clear_phone_numbers(&logs);
    eprintln!(
        "flow: {} calls placed ({} TTS), {} originate commands, {} hang-ups, {} dial retries, \
         {sms_sent} SMS, {opted_out} opt-outs",
        originations.len(),
        seen.tts_calls,
        seen.originate_commands,
        seen.hang_ups,
        seen.dial_retries
    );
}

/// Most campaign calls up at once, from the carrier's own record.
fn carrier_peak(originations: &[campaign_embedded::carrier::Origination]) -> u32 {
    campaign_embedded::carrier::peak_concurrency(originations)
        .values()
        .copied()
        .max()
        .unwrap_or(0)
}

async fn dispatcher_task(
    f: &Functions,
    task: &str,
    campaign: &campaign_core::ids::CampaignId,
) -> WorkflowState {
    let input = json!({
        "task": task,
        "state": {"version": MESSAGE_VERSION, "campaign_id": campaign, "scheduled_start": null}
    });
    let (deps, cfg) = &f.dispatcher;
    dispatcher::handler(deps, cfg, lambda_event(input, &format!("sfn-{task}")))
        .await
        .unwrap_or_else(|e| panic!("{task}: {e}"))
}

async fn report_task(f: &Functions, campaign: &campaign_core::ids::CampaignId) -> Value {
    let (deps, cfg) = &f.report;
    let out = report_generator::handler(
        deps,
        cfg,
        lambda_event(json!({"campaign_id": campaign}), "sfn-report"),
    )
    .await
    .unwrap_or_else(|e| panic!("report: {e}"));
    serde_json::to_value(out).expect("encode")
}

/// The Pipe: batches of up to 10 from the dial queue through the enricher
/// and the dialer; what the dialer fails goes back on the queue.
async fn pipe(clients: &Clients, stack: &Stack, f: &Functions, seen: &mut Seen) {
    loop {
        let batch = receive(clients, &stack.dial_queue_url).await;
        if batch.is_empty() {
            return;
        }
        let (deps, cfg) = &f.enricher;
        let items = enricher::handler(deps, cfg, lambda_event(sqs_records(&batch), "pipe-enrich"))
            .await
            .expect("enricher");
        let items: Vec<Value> = items
            .into_iter()
            .map(|i| serde_json::to_value(i).expect("item"))
            .collect();
        let (deps, cfg) = &f.dialer;
        let r = dialer_worker::handler(deps, cfg, lambda_event(items, "pipe-dial"))
            .await
            .expect("dialer-worker");
        let failed = failed(&r);
        for m in &batch {
            if failed.contains(&m.id) {
                seen.dial_retries += 1;
                release(clients, &stack.dial_queue_url, m).await;
            } else {
                delete(clients, &stack.dial_queue_url, m).await;
            }
        }
        if !failed.is_empty() {
            // Waiting for a slot: let calls end first.
            return;
        }
    }
}

/// The Asterisk bridge's part: read commands from the originate queue and
/// place (or end) the calls on the simulated carrier.
async fn bridge(clients: &Clients, stack: &Stack, carrier: &SimulatedCarrier, seen: &mut Seen) {
    loop {
        let batch = receive(clients, &stack.originate_queue_url).await;
        if batch.is_empty() {
            return;
        }
        for m in &batch {
            match m.command.as_deref() {
                Some(ORIGINATE) => {
                    let command = OriginateCommand::decode(m.body.as_bytes()).expect("originate");
                    seen.originate_commands += 1;
                    *seen
                        .requested
                        .entry(command.call_id.to_string())
                        .or_default() += 1;
                    if command.purpose == CallPurpose::TtsFallback {
                        seen.tts_calls += 1;
                    }
                    carrier.originate(&command).await.expect("placed");
                }
                Some(HANG_UP) => {
                    let command = HangUpCommand::decode(m.body.as_bytes()).expect("hang-up");
                    seen.hang_ups += 1;
                    carrier.hang_up(&command.call_id).await.expect("hung up");
                }
                other => panic!("a command without a known attribute: {other:?}"),
            }
            delete(clients, &stack.originate_queue_url, m).await;
        }
    }
}

/// The three SNS → SQS → Lambda subscriptions, opt-outs first.
async fn subscriptions(clients: &Clients, stack: &Stack, f: &Functions, seen: &mut Seen) {
    loop {
        let mut any = false;
        for topic in ["optout-events", "call-events", "donation-events"] {
            let url = &stack.subscribed[topic];
            let batch = receive(clients, url).await;
            if batch.is_empty() {
                continue;
            }
            any = true;
            let event: SqsEvent = serde_json::from_value(json!({
                "Records": sqs_records(&batch)
            }))
            .expect("an SQS event");
            let request = format!("sub-{topic}");
            let r = match topic {
                "optout-events" => {
                    let (deps, cfg) = &f.blacklist;
                    blacklist::handler(deps, cfg, lambda_event(event, &request)).await
                }
                "call-events" => {
                    let (deps, cfg) = &f.call_events;
                    call_events::handler(deps, cfg, lambda_event(event, &request)).await
                }
                _ => {
                    let (deps, cfg) = &f.follow_up;
                    sms_tts_fallback::handler(deps, cfg, lambda_event(event, &request)).await
                }
            }
            .unwrap_or_else(|e| panic!("{topic}: {e}"));
            let failed = failed(&r);
            for m in &batch {
                if failed.contains(&m.id) {
                    seen.handler_failures.push(format!("{topic}: {}", m.body));
                }
                delete(clients, url, m).await;
            }
        }
        if !any {
            return;
        }
    }
}

async fn collect_calls(
    calls: &dyn CallRecordStore,
    campaign: &campaign_core::ids::CampaignId,
) -> Vec<campaign_core::ports::CallRecord> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let p = calls
            .list(campaign, page.clone())
            .await
            .expect("list calls");
        out.extend(p.items);
        match p.next {
            Some(n) => page.cursor = Some(n),
            None => return out,
        }
    }
}
