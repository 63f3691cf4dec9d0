//! Use-case scenarios on the embedded adapters: lifecycle guards,
//! exactly-once origination, opt-out across campaigns, the TTS fallback.

use chrono::Duration;

use campaign_core::campaign::{CampaignStatus, LifecycleAction};
use campaign_core::contact::ContactStatus;
use campaign_core::ids::CallId;
use campaign_core::messages::{
    CallEvent, CallEventKind, CallPurpose, DialTask, DonationEvent, MESSAGE_VERSION,
};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{Counters, DialQueue, DialQueueConsumer, PageRequest};
use campaign_core::usecases::UseCaseError;
use campaign_core::usecases::call_events::tts_call_id;
use campaign_core::usecases::dial::DialResult;
use campaign_core::usecases::enrich::Enriched;
use campaign_core::usecases::follow_up::FollowUpOutcome;
use campaign_embedded::carrier::{CarrierProfile, KeyBehaviour};
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_tests::{block_on, monday_morning, settings, started_campaign};

/// Every call is answered and the person presses `key` behaviour.
fn config(keys: KeyBehaviour) -> LocalConfig {
    LocalConfig {
        carrier: CarrierProfile {
            answer: 1.0,
            busy: 0.0,
            no_answer: 0.0,
            disconnect: 0.0,
            keys,
            ..CarrierProfile::default()
        },
        sms_not_capable_rate: 0.0,
        ..LocalConfig::default()
    }
}

const PRESS_1: KeyBehaviour = KeyBehaviour {
    press_1: 1.0,
    press_9: 0.0,
    invalid_then_1: 0.0,
};
const PRESS_9: KeyBehaviour = KeyBehaviour {
    press_1: 0.0,
    press_9: 1.0,
    invalid_then_1: 0.0,
};
const SILENT: KeyBehaviour = KeyBehaviour {
    press_1: 0.0,
    press_9: 0.0,
    invalid_then_1: 0.0,
};

async fn run_for(local: &Local, span: Duration) {
    let end = local.now() + span;
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
async fn first_enriched_task(
    local: &Local,
    campaign: &campaign_core::ids::CampaignId,
) -> Box<DialTask> {
    local.dispatch().run(campaign, 10).await.unwrap();
    let received = local
        .queue
        .receive(10, local.now(), Duration::seconds(30))
        .await
        .unwrap();
    match local
        .enrich()
        .run(vec![received[0].message.clone()])
        .await
        .unwrap()
        .remove(0)
    {
        Enriched::Dial(task) => task,
        other => panic!("task should pass enrichment: {other:?}"),
    }
}

#[test]
fn a_completed_campaign_cannot_be_resumed_and_the_error_says_so() {
    block_on(async {
        // GIVEN a campaign whose only contact has been called to completion
        let local = Local::new(config(SILENT), monday_morning());
        let c = started_campaign(
            &local,
            "guards",
            "phone,first_name\n050-234-5678,Noa\n",
            settings(),
        )
        .await;
        run_for(&local, Duration::minutes(10)).await;
        let c = local.lifecycle().get(&c.id).await.unwrap();
        assert_eq!(c.status, CampaignStatus::Completed);
        // WHEN someone resumes, pauses or starts it
        for action in [
            LifecycleAction::Resume,
            LifecycleAction::Pause,
            LifecycleAction::Start,
        ] {
            let err = local
                .lifecycle()
                .perform(&c.id, action, "tester")
                .await
                .unwrap_err();
            // THEN the move is refused as a lifecycle error and nothing changes
            assert!(
                matches!(err, UseCaseError::Lifecycle(_)),
                "{action:?}: {err}"
            );
            assert_eq!(err.error_type(), "IllegalLifecycleMove");
        }
        assert_eq!(
            local.lifecycle().get(&c.id).await.unwrap().status,
            CampaignStatus::Completed
        );
        // AND it may still be archived
        local
            .lifecycle()
            .perform(&c.id, LifecycleAction::Archive, "tester")
            .await
            .unwrap();
    });
}

#[test]
fn pause_stops_dialling_and_resume_continues_where_it_stopped() {
    block_on(async {
        let local = Local::new(config(SILENT), monday_morning());
        let csv = "phone\n050-234-5678\n052-345-6789\n054-765-4321\n";
        let c = started_campaign(&local, "pause", csv, settings()).await;
        // WHEN the campaign is paused before the first dispatch
        local
            .lifecycle()
            .perform(&c.id, LifecycleAction::Pause, "tester")
            .await
            .unwrap();
        run_for(&local, Duration::minutes(30)).await;
        // THEN nothing was dialled and the contacts wait untouched
        assert!(local.carrier.originations().is_empty());
        let counts = local.contacts().count_by_status(&c.id).await.unwrap();
        assert_eq!(counts.pending, 3);
        // WHEN it is resumed, every contact is called and the campaign completes
        local
            .lifecycle()
            .perform(&c.id, LifecycleAction::Resume, "tester")
            .await
            .unwrap();
        run_for(&local, Duration::minutes(30)).await;
        assert_eq!(local.carrier.originations().len(), 3);
        assert_eq!(
            local.lifecycle().get(&c.id).await.unwrap().status,
            CampaignStatus::Completed
        );
    });
}

#[test]
fn a_duplicated_dial_task_originates_exactly_once() {
    block_on(async {
        let local = Local::new(config(SILENT), monday_morning());
        let c = started_campaign(&local, "dup", "phone\n050-234-5678\n", settings()).await;
        // GIVEN the dispatcher queued the contact's first attempt
        local.dispatch().run(&c.id, 10).await.unwrap();
        let received = local
            .queue
            .receive(10, local.now(), Duration::seconds(30))
            .await
            .unwrap();
        assert_eq!(received.len(), 1);
        let task = received[0].message.clone();
        // AND the queue delivers the same task a second time (at-least-once delivery)
        local.queue.send(std::slice::from_ref(&task)).await.unwrap();
        let enriched = local
            .enrich()
            .run(vec![task.clone(), task.clone()])
            .await
            .unwrap();
        let tasks: Vec<_> = enriched
            .into_iter()
            .map(|e| match e {
                Enriched::Dial(t) => t,
                other => panic!("both deliveries pass enrichment before either dials: {other:?}"),
            })
            .collect();
        // WHEN both deliveries are dialled (two workers racing), and a crashed
        // worker's retry dials once more
        let first = local.dial().run(&tasks[0], "worker-1").await.unwrap();
        let second = local.dial().run(&tasks[1], "worker-2").await.unwrap();
        let third = local.dial().run(&tasks[0], "worker-1-retry").await.unwrap();
        // THEN exactly one call is placed
        assert_eq!(first, DialResult::Placed);
        assert_eq!(second, DialResult::Duplicate);
        assert_eq!(third, DialResult::Duplicate);
        let placed: Vec<_> = local
            .carrier
            .originations()
            .into_iter()
            .filter(|o| o.call_id == task.call_id)
            .collect();
        assert_eq!(placed.len(), 1);
        // AND the duplicate holds no concurrency slot
        let scope = campaign_core::usecases::keys::slots(&c.id);
        assert_eq!(
            local
                .counters
                .active_slots(&scope, local.now())
                .await
                .unwrap(),
            1
        );
    });
}

#[test]
fn a_crash_between_slot_and_origination_is_retried_without_a_second_call() {
    block_on(async {
        let local = Local::new(config(SILENT), monday_morning());
        let c = started_campaign(&local, "crash", "phone\n050-234-5678\n", settings()).await;
        let task = first_enriched_task(&local, &c.id).await;
        // GIVEN a worker that created the attempt's ledger entry and then died
        // before the carrier heard of the call
        let record = campaign_core::ports::CallRecord::dialling(
            task.call_id.clone(),
            task.campaign_id.clone(),
            task.contact_id.clone(),
            task.phone_number.clone(),
            task.attempt,
            CallPurpose::Campaign,
            local.now(),
        );
        assert!(
            local
                .calls()
                .create_if_absent(&record)
                .await
                .unwrap()
                .is_none()
        );
        // WHEN the message is delivered again after its visibility timeout
        local.clock.advance(Duration::seconds(31));
        let result = local.dial().run(&task, "redelivery").await.unwrap();
        // THEN the call is placed, once
        assert_eq!(result, DialResult::Placed);
        assert_eq!(local.carrier.originations().len(), 1);
        assert_eq!(local.carrier.requests()[&task.call_id], 1);
    });
}

#[test]
fn an_opt_out_takes_effect_at_once_in_every_running_campaign() {
    block_on(async {
        // GIVEN two running campaigns that both hold the same number
        let local = Local::new(config(PRESS_9), monday_morning());
        let a = started_campaign(&local, "A", "phone\n050-234-5678\n", settings()).await;
        let mut later = settings();
        // Campaign B only starts calling in the evening: it has not dialled yet.
        later.schedule.windows[0].start = chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap();
        let b = started_campaign(&local, "B", "phone\n+972 50 234 5678\n", later).await;
        // WHEN the person presses 9 on campaign A's call
        run_for(&local, Duration::minutes(5)).await;
        let phone = PhoneNumber::from_e164("+972502345678").unwrap();
        // THEN the number is on the list with its time, reason and source
        let entry = local
            .blacklist()
            .get(&phone)
            .await
            .unwrap()
            .expect("listed");
        assert_eq!(
            entry.source,
            campaign_core::blacklist::BlacklistSource::UserOptout
        );
        assert!(entry.added_at >= monday_morning());
        // AND its contact in campaign B is blacklisted before B ever dials
        let in_b = local.contacts().find_by_phone(&phone).await.unwrap();
        let b_contact = in_b
            .iter()
            .find(|c| c.campaign_id == b.id)
            .expect("contact in B");
        assert_eq!(b_contact.status, ContactStatus::Blacklisted);
        // AND the call in A ended as an opt-out
        let calls = local
            .calls()
            .list(&a.id, PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].outcome, Some(CallOutcome::OptedOut));
        // AND when B's window opens, it never dials the number
        run_for(&local, Duration::hours(12)).await;
        assert!(
            local
                .carrier
                .originations()
                .iter()
                .all(|o| o.campaign != b.id)
        );
        // AND a late donation for that number sends nothing
        let donation = DonationEvent {
            version: MESSAGE_VERSION,
            event_id: "late".into(),
            call_id: calls[0].call_id.clone(),
            campaign_id: a.id.clone(),
            contact_id: calls[0].contact_id.clone(),
            phone_number: phone.clone(),
            at: local.now(),
        };
        assert_eq!(
            local
                .follow_up()
                .run(&donation, "delivery-1")
                .await
                .unwrap(),
            FollowUpOutcome::Blacklisted
        );
        assert!(local.sms.sent().is_empty());
    });
}

#[test]
fn a_landline_pressing_1_gets_a_tts_call_recorded_as_delivered() {
    block_on(async {
        // GIVEN a landline contact who answers and presses 1
        let local = Local::new(config(PRESS_1), monday_morning());
        let c = started_campaign(
            &local,
            "tts",
            "phone,first_name\n02-623-4567,Noa\n",
            settings(),
        )
        .await;
        run_for(&local, Duration::minutes(15)).await;
        // THEN no SMS was sent and a TTS call was placed and answered
        assert!(local.sms.sent().is_empty());
        let calls = local
            .calls()
            .list(&c.id, PageRequest::first(10))
            .await
            .unwrap()
            .items;
        let campaign_call = calls
            .iter()
            .find(|r| r.purpose == CallPurpose::Campaign)
            .expect("campaign call");
        assert_eq!(campaign_call.outcome, Some(CallOutcome::Converted));
        assert_eq!(
            campaign_call.follow_up.as_deref(),
            Some("TTS Fallback Delivered")
        );
        let tts = calls
            .iter()
            .find(|r| r.purpose == CallPurpose::TtsFallback)
            .expect("tts call");
        assert_eq!(tts.call_id, tts_call_id(&campaign_call.call_id));
        // AND the TTS call played synthesized audio stored by the synthesizer
        let tts_origination = local
            .carrier
            .originations()
            .into_iter()
            .find(|o| o.call_id == tts.call_id);
        assert!(tts_origination.is_some());
        // AND the TTS call did not count as a campaign attempt
        let contact = local
            .contacts()
            .get(&c.id, &campaign_call.contact_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(contact.attempts, 1);
        assert_eq!(contact.status, ContactStatus::Completed);
    });
}

#[test]
fn an_sms_failure_falls_back_to_tts_and_an_unanswered_tts_call_is_recorded_as_failed() {
    block_on(async {
        // GIVEN a mobile whose SMS fails as not SMS capable
        let mut cfg = config(PRESS_1);
        cfg.sms_not_capable_rate = 1.0;
        let local = Local::new(cfg, monday_morning());
        let c = started_campaign(
            &local,
            "sms-fail",
            "phone,first_name\n050-234-5678,Noa\n",
            settings(),
        )
        .await;
        let task = first_enriched_task(&local, &c.id).await;
        assert_eq!(
            local.dial().run(&task, "delivery-1").await.unwrap(),
            DialResult::Placed
        );
        // WHEN the donation event is handled
        let donation = DonationEvent {
            version: MESSAGE_VERSION,
            event_id: "d1".into(),
            call_id: task.call_id.clone(),
            campaign_id: c.id.clone(),
            contact_id: task.contact_id.clone(),
            phone_number: task.phone_number.clone(),
            at: local.now(),
        };
        let out = local
            .follow_up()
            .run(&donation, "delivery-1")
            .await
            .unwrap();
        // THEN the SMS was refused and a TTS call was placed instead
        assert_eq!(out, FollowUpOutcome::TtsCallPlaced);
        // AND a repeat of the event does nothing more
        assert_eq!(
            local
                .follow_up()
                .run(&donation, "delivery-1")
                .await
                .unwrap(),
            FollowUpOutcome::Duplicate
        );
        let tts_id: CallId = tts_call_id(&task.call_id);
        assert_eq!(local.carrier.requests()[&tts_id], 1);
        // WHEN the TTS call is not answered
        let end = CallEvent {
            version: MESSAGE_VERSION,
            event_id: "tts-end".into(),
            call_id: tts_id.clone(),
            campaign_id: c.id.clone(),
            contact_id: task.contact_id.clone(),
            phone_number: task.phone_number.clone(),
            purpose: CallPurpose::TtsFallback,
            at: local.now(),
            kind: CallEventKind::Ended {
                outcome: CallOutcome::NoAnswer,
                hangup_cause: Some(19),
                duration_secs: 0,
            },
        };
        local.record_call_event().run(&end).await.unwrap();
        // THEN the original call's follow-up says the fallback failed
        let original = local.calls().get(&task.call_id).await.unwrap().unwrap();
        assert_eq!(original.follow_up.as_deref(), Some("TTS Fallback Failed"));
    });
}

#[test]
fn dispatch_never_queues_a_blacklisted_number_and_marks_it() {
    block_on(async {
        let local = Local::new(config(SILENT), monday_morning());
        let c = started_campaign(
            &local,
            "bl",
            "phone\n050-234-5678\n052-345-6789\n",
            settings(),
        )
        .await;
        // GIVEN one number is listed after the import
        let phone = PhoneNumber::from_e164("+972523456789").unwrap();
        local
            .blacklisting()
            .add(
                phone.clone(),
                "asked by email",
                campaign_core::blacklist::BlacklistSource::AdminImport,
                "admin",
            )
            .await
            .unwrap();
        // WHEN the campaign dispatches
        local.dispatch().run(&c.id, 10).await.unwrap();
        // THEN only the other number is queued, and the listed one is marked
        assert_eq!(local.queue.depth().await.unwrap(), 1);
        let contact = local
            .contacts()
            .find_by_phone(&phone)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(contact.status, ContactStatus::Blacklisted);
        assert_eq!(contact.last_outcome, Some(CallOutcome::Blacklisted));
    });
}

#[test]
fn the_pipeline_also_runs_in_real_time() {
    // GIVEN a fast carrier (no ringing delay, instant prompts) and a
    // workflow that checks progress every second
    let mut cfg = config(PRESS_1);
    cfg.carrier.ring_secs = (0, 0);
    cfg.carrier.prompt_secs = (0, 0);
    cfg.carrier.think_secs = (0, 0);
    cfg.dispatch_interval_secs = 1;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let now = chrono::Utc::now();
        let local = Local::new(cfg, now);
        let mut open = settings();
        open.schedule.windows.clear();
        let c = started_campaign(
            &local,
            "live",
            "phone,first_name\n050-234-5678,Noa\n052-345-6789,Dan\n",
            open,
        )
        .await;
        // WHEN it runs against the wall clock
        let done = local
            .run_real_time(
                std::slice::from_ref(&c.id),
                std::time::Duration::from_secs(20),
                std::time::Duration::from_millis(50),
            )
            .await
            .unwrap();
        // THEN it completes within seconds, with both calls converted
        assert!(done, "did not finish in real time");
        let report = local.report().collect(&c.id).await.unwrap();
        assert_eq!(report.counts.converted, 2);
        assert_eq!(local.sms.sent().len(), 2);
        assert!(local.now() >= now);
    });
}
