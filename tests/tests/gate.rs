//! The dial gate for every call, and the exactly-once holes around it
//! (issue 13, items 6, 7(a) and 7(c)), on the embedded adapters:
//!
//! - a duplicate delivery racing the live one never frees its slot;
//! - the follow-up SMS is claimed before it is sent: a failure after the
//!   send does not send it again;
//! - a TTS fallback call takes a slot and a rate token of its campaign and
//!   keeps to the contact's calling window, waiting (not dropped) when it
//!   cannot go; the run's checks count it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use campaign_core::contact::ContactStatus;
use campaign_core::ids::{CallId, CampaignId};
use campaign_core::messages::{
    CallPurpose, DialTask, DonationEvent, MESSAGE_VERSION, OriginateCommand,
};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    AttemptState, CallRecord, CallRecordStore, Counters, DialQueueConsumer, OriginateAck, Page,
    PageRequest, PortError, PortResult, SmsError, SmsGateway, SmsReceipt, Telephony,
    TelephonyError,
};
use campaign_core::usecases::call_events::tts_call_id;
use campaign_core::usecases::dial::{Dial, DialResult};
use campaign_core::usecases::enrich::Enriched;
use campaign_core::usecases::follow_up::{FollowUpOutcome, SendFollowUp};
use campaign_core::usecases::keys;
use campaign_embedded::carrier::{CarrierProfile, KeyBehaviour, peak_concurrency};
use campaign_embedded::runtime::checks::check_run;
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_tests::{block_on, monday_morning, settings, started_campaign, utc};

const SILENT: KeyBehaviour = KeyBehaviour {
    press_1: 0.0,
    press_9: 0.0,
    invalid_then_1: 0.0,
};

/// Every call is answered; nobody presses a key (the tests send the
/// donation events themselves).
fn config() -> LocalConfig {
    LocalConfig {
        carrier: CarrierProfile {
            answer: 1.0,
            busy: 0.0,
            no_answer: 0.0,
            disconnect: 0.0,
            keys: SILENT,
            ..CarrierProfile::default()
        },
        sms_not_capable_rate: 0.0,
        ..LocalConfig::default()
    }
}

async fn run_until(local: &Local, end: DateTime<Utc>) {
    while local.now() < end {
        local.step().await.expect("step");
        let next = local
            .next_wakeup()
            .max(local.now() + Duration::seconds(1))
            .min(end);
        local.clock.set(next);
    }
}

/// Dispatches the campaign and takes its first task through enrichment.
async fn first_enriched_task(local: &Local, campaign: &CampaignId) -> DialTask {
    local.dispatch().run(campaign, 10).await.expect("dispatch");
    let received = local
        .queue
        .receive(10, local.now(), Duration::seconds(30))
        .await
        .expect("receive");
    match local
        .enrich()
        .run(vec![received[0].message.clone()])
        .await
        .expect("enrich")
        .remove(0)
    {
        Enriched::Dial(task) => *task,
        other => panic!("task should pass enrichment: {other:?}"),
    }
}

fn donation(task: &DialTask, at: DateTime<Utc>) -> DonationEvent {
    DonationEvent {
        version: MESSAGE_VERSION,
        event_id: format!("{}-donation", task.call_id),
        call_id: task.call_id.clone(),
        campaign_id: task.campaign_id.clone(),
        contact_id: task.contact_id.clone(),
        phone_number: task.phone_number.clone(),
        at,
    }
}

// ------------------------------------------------------------ item 7(a)

/// The carrier as two racing workers meet it: while it places the call of
/// the first delivery, a duplicate delivery of the same task is dialled. A
/// test double at the telephony boundary (two workers cannot be made to
/// interleave on cue otherwise); the placing is the simulated carrier's.
struct CarrierRacedByADuplicateDelivery<'a> {
    local: &'a Local,
    task: DialTask,
    raced: AtomicBool,
    duplicate: Mutex<Option<DialResult>>,
}

#[async_trait]
impl Telephony for CarrierRacedByADuplicateDelivery<'_> {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        if !self.raced.swap(true, Ordering::SeqCst) {
            let result = self
                .local
                .dial()
                .run(&self.task, "delivery-b")
                .await
                .expect("the duplicate delivery's dial");
            *self.duplicate.lock().expect("lock") = Some(result);
        }
        self.local.carrier.originate(command).await
    }

    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        self.local.carrier.hang_up(call_id).await
    }
}

#[test]
fn a_duplicate_delivery_racing_the_live_one_never_frees_its_slot() {
    block_on(async {
        // GIVEN a campaign dialling one call a second
        let local = Local::new(config(), monday_morning());
        let mut s = settings();
        s.pace.calls_per_second = 1;
        let c = started_campaign(&local, "race", "phone\n050-234-5678\n", s).await;
        let task = first_enriched_task(&local, &c.id).await;
        // WHEN a duplicate delivery of the task is dialled while the first
        // delivery's call is being placed (the first holds the slot and
        // this second's only rate token)
        let carrier = CarrierRacedByADuplicateDelivery {
            local: &local,
            task: task.clone(),
            raced: AtomicBool::new(false),
            duplicate: Mutex::new(None),
        };
        let first = Dial {
            telephony: &carrier,
            ..local.dial()
        }
        .run(&task, "delivery-a")
        .await
        .expect("dial");
        // THEN the first places the call, the duplicate waits without
        // touching the slot
        assert_eq!(first, DialResult::Placed);
        let duplicate = carrier.duplicate.lock().expect("lock").clone();
        assert_eq!(duplicate, Some(DialResult::InFlight));
        // AND the live call still holds its slot, under its call id
        let scope = keys::slots(&c.id);
        assert_eq!(
            local.counters.holders(&scope, local.now()),
            vec![task.call_id.to_string()],
            "the live call's slot must stay held"
        );
        // AND the call was placed once
        assert_eq!(local.carrier.originations().len(), 1);
        // AND the duplicate, delivered again later, is a duplicate
        local.clock.advance(Duration::seconds(1));
        assert_eq!(
            local.dial().run(&task, "delivery-c").await.expect("dial"),
            DialResult::Duplicate
        );
        assert_eq!(local.counters.holders(&scope, local.now()).len(), 1);
    });
}

// ------------------------------------------------------------ item 7(c)

/// The call-record store with its first follow-up write failing, as a
/// throttled store fails (a test double at the store boundary).
struct CallRecordsFailingTheFirstFollowUpWrite<'a> {
    inner: &'a dyn CallRecordStore,
    failed: AtomicBool,
}

#[async_trait]
impl CallRecordStore for CallRecordsFailingTheFirstFollowUpWrite<'_> {
    async fn create_if_absent(&self, record: &CallRecord) -> PortResult<Option<CallRecord>> {
        self.inner.create_if_absent(record).await
    }
    async fn get(&self, call_id: &CallId) -> PortResult<Option<CallRecord>> {
        self.inner.get(call_id).await
    }
    async fn update(&self, record: &CallRecord, expected: AttemptState) -> PortResult<()> {
        self.inner.update(record, expected).await
    }
    async fn set_follow_up(&self, call_id: &CallId, text: &str) -> PortResult<()> {
        if !self.failed.swap(true, Ordering::SeqCst) {
            return Err(PortError::Unavailable("throttled".into()));
        }
        self.inner.set_follow_up(call_id, text).await
    }
    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<CallRecord>> {
        self.inner.list(campaign, page).await
    }
}

/// Counts the requests made to the SMS provider (a provider such as SNS
/// does not drop a repeated send), failing the first `fail_first` as a
/// provider that is down: a test double at the provider boundary, in front
/// of the console gateway.
struct SmsProviderCountingRequests<'a> {
    inner: &'a dyn SmsGateway,
    requests: AtomicUsize,
    fail_first: usize,
}

#[async_trait]
impl SmsGateway for SmsProviderCountingRequests<'_> {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError> {
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        if n < self.fail_first {
            return Err(SmsError::Unavailable("provider down".into()));
        }
        self.inner.send(to, text, idempotency_key).await
    }
}

/// A mobile contact whose campaign call was placed, and its donation event.
async fn mobile_donation(local: &Local) -> (DialTask, DonationEvent) {
    let c = started_campaign(
        local,
        "sms",
        "phone,first_name\n050-234-5678,Noa\n",
        settings(),
    )
    .await;
    let task = first_enriched_task(local, &c.id).await;
    assert_eq!(
        local.dial().run(&task, "delivery-1").await.expect("dial"),
        DialResult::Placed
    );
    let event = donation(&task, local.now());
    (task, event)
}

#[test]
fn an_sms_sent_before_a_failure_to_record_it_is_not_sent_again_on_redelivery() {
    block_on(async {
        // GIVEN a person who pressed 1 on a mobile
        let local = Local::new(config(), monday_morning());
        let (task, event) = mobile_donation(&local).await;
        let provider = SmsProviderCountingRequests {
            inner: &*local.sms,
            requests: AtomicUsize::new(0),
            fail_first: 0,
        };
        let calls = CallRecordsFailingTheFirstFollowUpWrite {
            inner: local.calls(),
            failed: AtomicBool::new(false),
        };
        // WHEN the SMS is sent and recording it then fails
        let first = SendFollowUp {
            sms: &provider,
            calls: &calls,
            ..local.follow_up()
        }
        .run(&event, "delivery-1")
        .await;
        assert!(
            first.as_ref().is_err_and(|e| e.is_transient()),
            "the failure to record is reported for a redelivery: {first:?}"
        );
        // AND the event is delivered again
        let second = SendFollowUp {
            sms: &provider,
            ..local.follow_up()
        }
        .run(&event, "delivery-2")
        .await
        .expect("redelivery");
        // THEN exactly one SMS was asked of the provider
        assert_eq!(second, FollowUpOutcome::SmsSent);
        assert_eq!(provider.requests.load(Ordering::SeqCst), 1);
        assert_eq!(local.sms.sent_count(), 1);
        // AND the redelivery finished the recording
        let record = local.calls().get(&task.call_id).await.unwrap().unwrap();
        assert_eq!(record.follow_up.as_deref(), Some("SMS Sent"));
        assert_eq!(
            local
                .counters
                .get(&keys::metric(&task.campaign_id, "sms_sent"))
                .await
                .unwrap(),
            1
        );
        // AND a third delivery is a duplicate
        assert_eq!(
            local.follow_up().run(&event, "delivery-3").await.unwrap(),
            FollowUpOutcome::Duplicate
        );
    });
}

#[test]
fn an_sms_the_provider_could_not_take_is_sent_by_the_redelivery() {
    block_on(async {
        // GIVEN a person who pressed 1 on a mobile, and a provider that is
        // down for the first request
        let local = Local::new(config(), monday_morning());
        let (_, event) = mobile_donation(&local).await;
        let provider = SmsProviderCountingRequests {
            inner: &*local.sms,
            requests: AtomicUsize::new(0),
            fail_first: 1,
        };
        let follow_up = SendFollowUp {
            sms: &provider,
            ..local.follow_up()
        };
        // WHEN the send fails and the event is delivered again
        let first = follow_up.run(&event, "delivery-1").await;
        assert!(first.is_err_and(|e| e.is_transient()));
        let second = follow_up
            .run(&event, "delivery-2")
            .await
            .expect("redelivery");
        // THEN the redelivery sends it: the failed attempt held no claim
        assert_eq!(second, FollowUpOutcome::SmsSent);
        assert_eq!(local.sms.sent_count(), 1);
    });
}

#[test]
fn a_duplicate_delivery_while_the_sms_is_claimed_does_not_send_it() {
    block_on(async {
        // GIVEN a delivery that claimed the SMS and is still sending it
        let local = Local::new(config(), monday_morning());
        let (task, event) = mobile_donation(&local).await;
        let claim = format!("follow-up/{}/sms", task.call_id);
        let now = local.now();
        assert!(
            local
                .counters
                .claim(&claim, "delivery-1", now, now + Duration::minutes(20))
                .await
                .unwrap()
        );
        // WHEN a duplicate delivery of the event arrives
        let duplicate = local.follow_up().run(&event, "delivery-2").await;
        // THEN it sends nothing and asks to be delivered again later
        assert!(duplicate.is_err_and(|e| e.is_transient()));
        assert_eq!(local.sms.sent_count(), 0);
    });
}

// ------------------------------------------------------------ item 6

#[test]
fn a_tts_fallback_call_takes_a_slot_and_a_rate_token_and_waits_for_a_free_slot() {
    block_on(async {
        // GIVEN a campaign allowed one call at a time, one a second, and a
        // landline on the line that presses 1 (its call is still live)
        let local = Local::new(config(), monday_morning());
        let mut s = settings();
        s.pace.max_concurrent = 1;
        s.pace.calls_per_second = 1;
        let c =
            started_campaign(&local, "tts-slot", "phone,first_name\n02-623-4567,Noa\n", s).await;
        let task = first_enriched_task(&local, &c.id).await;
        assert_eq!(
            local.dial().run(&task, "delivery-1").await.unwrap(),
            DialResult::Placed
        );
        // WHEN the follow-up is handled while the campaign call holds the slot
        let out = local
            .follow_up()
            .run(&donation(&task, local.now()), "delivery-1")
            .await
            .unwrap();
        // THEN the TTS call waits: handed back, nothing placed
        assert!(matches!(out, FollowUpOutcome::Waiting { .. }), "{out:?}");
        assert_eq!(local.follow_ups.len(), 1);
        assert_eq!(local.carrier.originations().len(), 1);
        // WHEN the pipeline runs on
        run_until(&local, local.now() + Duration::minutes(30)).await;
        // THEN the TTS call was placed once the campaign call had ended
        let log = local.carrier.originations();
        let tts_id = tts_call_id(&task.call_id);
        let campaign_call = log.iter().find(|o| o.call_id == task.call_id).unwrap();
        let tts = log
            .iter()
            .find(|o| o.call_id == tts_id)
            .expect("the TTS call is placed, not dropped");
        assert_eq!(tts.purpose, CallPurpose::TtsFallback);
        assert!(tts.at >= campaign_call.ends_at);
        assert_eq!(peak_concurrency(&log)[c.id.as_str()], 1);
        // AND it took a rate token of its campaign
        assert_eq!(
            local
                .counters
                .starts_between(
                    &keys::rate(&c.id),
                    tts.at.timestamp(),
                    tts.at.timestamp() + 1
                )
                .await
                .unwrap(),
            1
        );
        // AND its slot was freed when it ended
        assert!(
            local
                .counters
                .holders(&keys::slots(&c.id), local.now())
                .is_empty()
        );
        let original = local.calls().get(&task.call_id).await.unwrap().unwrap();
        assert_eq!(
            original.follow_up.as_deref(),
            Some("TTS Fallback Delivered")
        );
        // AND the run's checks, counting calls of every purpose, pass
        let campaign = local.campaigns().get(&c.id).await.unwrap().unwrap();
        for check in check_run(&local, &[campaign]).await.unwrap() {
            assert!(check.passed, "{check:?}");
        }
    });
}

#[test]
fn a_tts_fallback_outside_the_calling_window_waits_for_it_and_is_not_dropped() {
    block_on(async {
        // GIVEN a landline whose campaign call ended in the day (the window
        // is 08:00–22:00 Israel time)
        let local = Local::new(config(), monday_morning());
        let c = started_campaign(
            &local,
            "tts-window",
            "phone,first_name\n02-623-4567,Noa\n",
            settings(),
        )
        .await;
        let task = first_enriched_task(&local, &c.id).await;
        assert_eq!(
            local.dial().run(&task, "delivery-1").await.unwrap(),
            DialResult::Placed
        );
        run_until(&local, local.now() + Duration::minutes(30)).await;
        let contact = local
            .contacts()
            .get(&c.id, &task.contact_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(contact.status, ContactStatus::Completed);
        // WHEN its follow-up comes at 22:30 Israel time (20:30 UTC)
        local.clock.set(utc(2026, 3, 2, 20, 30));
        let out = local
            .follow_up()
            .run(&donation(&task, local.now()), "delivery-1")
            .await
            .unwrap();
        // THEN the TTS call waits for the window's next opening, 08:00 local
        let opening = utc(2026, 3, 3, 6, 0);
        assert_eq!(out, FollowUpOutcome::Waiting { until: opening });
        assert_eq!(
            local.carrier.originations().len(),
            1,
            "nothing placed at night"
        );
        // WHEN the night passes
        run_until(&local, opening + Duration::minutes(10)).await;
        // THEN it is placed when the window opens
        let tts_id = tts_call_id(&task.call_id);
        let tts = local
            .carrier
            .originations()
            .into_iter()
            .find(|o| o.call_id == tts_id)
            .expect("the TTS call is placed in the morning");
        assert!(tts.at >= opening, "placed at {}", tts.at);
        assert!(local.follow_ups.is_empty());
        // AND the run's checks, which now count TTS calls, pass
        let campaign = local.campaigns().get(&c.id).await.unwrap().unwrap();
        for check in check_run(&local, &[campaign]).await.unwrap() {
            assert!(check.passed, "{check:?}");
        }
    });
}
