//! A queued originate command re-checked by the carrier (issue 13, item 1):
//! the dialer stamps a not-after time from the campaign's pace, the core's
//! `RecheckOriginate` refuses what is stale or no longer allowed, and the
//! refusal's end event settles the contact (pending again, blacklisted, or
//! kept for after the pause) instead of leaving it in progress.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Duration;

use campaign_core::blacklist::{BlacklistEntry, BlacklistSource};
use campaign_core::campaign::{Campaign, LifecycleAction};
use campaign_core::contact::ContactStatus;
use campaign_core::eligibility::SkipReason;
use campaign_core::ids::CallId;
use campaign_core::messages::{CallEvent, CallEventKind, MESSAGE_VERSION, OriginateCommand};
use campaign_core::outcome::CallOutcome;
use campaign_core::ports::{
    AttemptState, DialQueueConsumer, OriginateAck, Telephony, TelephonyError,
};
use campaign_core::usecases::call_events::EventResult;
use campaign_core::usecases::dial::{Dial, DialResult};
use campaign_core::usecases::recheck::{MIN_QUEUE_WAIT_SECS, RecheckOriginate, Refusal};
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_tests::{block_on, monday_morning, settings, started_campaign, utc};

/// Stands in for the originate queue (the boundary to the telephony host):
/// keeps each command as sent.
#[derive(Default)]
struct QueueCapture(Mutex<Vec<OriginateCommand>>);

#[async_trait]
impl Telephony for QueueCapture {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        self.0.lock().unwrap().push(command.clone());
        Ok(OriginateAck {
            carrier_call_id: "queued".into(),
            duplicate: false,
        })
    }
    async fn hang_up(&self, _: &CallId) -> Result<(), TelephonyError> {
        Ok(())
    }
}

/// A started one-contact campaign whose command is in the queue.
async fn queued_command(local: &Local) -> (Campaign, OriginateCommand) {
    let c = started_campaign(
        local,
        "recheck",
        "phone,first_name\n050-234-5678,Noa\n",
        settings(),
    )
    .await;
    local.dispatch().run(&c.id, 10).await.unwrap();
    let received = local
        .queue
        .receive(10, local.now(), Duration::seconds(30))
        .await
        .unwrap();
    let task = match local
        .enrich()
        .run(vec![received[0].message.clone()])
        .await
        .unwrap()
        .remove(0)
    {
        campaign_core::usecases::enrich::Enriched::Dial(t) => t,
        other => panic!("enriched: {other:?}"),
    };
    let queue = QueueCapture::default();
    let dial = Dial {
        telephony: &queue,
        ..local.dial()
    };
    assert_eq!(
        dial.run(&task, "delivery-1").await.unwrap(),
        DialResult::Placed
    );
    let command = queue.0.lock().unwrap().remove(0);
    (c, command)
}

fn recheck(local: &Local) -> RecheckOriginate<'_> {
    RecheckOriginate {
        campaigns: local.campaigns(),
        contacts: local.contacts(),
        blacklist: local.blacklist(),
        clock: &*local.clock,
    }
}

/// The end event a carrier publishes for a refused command.
fn refused(
    command: &OriginateCommand,
    refusal: Refusal,
    at: chrono::DateTime<chrono::Utc>,
) -> CallEvent {
    CallEvent {
        version: MESSAGE_VERSION,
        event_id: format!("{}-refused", command.call_id),
        call_id: command.call_id.clone(),
        campaign_id: command.campaign_id.clone(),
        contact_id: command.contact_id.clone(),
        phone_number: command.phone_number.clone(),
        purpose: command.purpose,
        at,
        kind: CallEventKind::Ended {
            outcome: refusal.outcome(),
            hangup_cause: None,
            duration_secs: 0,
        },
    }
}

#[test]
fn a_command_past_its_not_after_time_is_refused_and_its_contact_is_dialled_again() {
    block_on(async {
        // GIVEN a command the dialer queued, stamped from the campaign's pace
        let local = Local::new(LocalConfig::default(), monday_morning());
        let (c, command) = queued_command(&local).await;
        let not_after = command
            .not_after
            .expect("the dialer stamps a not-after time");
        assert_eq!(
            not_after,
            monday_morning() + Duration::seconds(MIN_QUEUE_WAIT_SECS)
        );
        assert_eq!(recheck(&local).run(&command).await.unwrap(), Ok(()));

        // WHEN the carrier takes it after its not-after time (a backlog, a DLQ replay)
        local.clock.set(not_after + Duration::seconds(1));
        let verdict = recheck(&local).run(&command).await.unwrap();

        // THEN it is refused as stale, reported not placed...
        assert_eq!(verdict, Err(Refusal::Expired));
        let result = local
            .record_call_event()
            .run(&refused(&command, Refusal::Expired, local.now()))
            .await
            .unwrap();
        // ...and the contact is pending again, due now (inside its window)
        assert_eq!(
            result,
            EventResult::Settled {
                contact_status: ContactStatus::Pending,
                next_attempt_at: Some(local.now()),
            }
        );
        let record = local.calls().get(&command.call_id).await.unwrap().unwrap();
        assert_eq!(record.state, AttemptState::Ended);
        assert_eq!(record.outcome, Some(CallOutcome::NotPlaced));
        // and the next dispatch queues its next attempt.
        let d = local.dispatch().run(&c.id, 10).await.unwrap();
        assert_eq!(d.queued, 1, "{d:?}");
    });
}

#[test]
fn a_number_listed_while_its_command_waited_is_refused_and_ends_blacklisted() {
    block_on(async {
        let local = Local::new(LocalConfig::default(), monday_morning());
        let (_, command) = queued_command(&local).await;
        // GIVEN the number is put on the do-not-call list after the command was queued
        local
            .blacklist()
            .add(&BlacklistEntry::new(
                command.phone_number.clone(),
                local.now(),
                "regulator list",
                BlacklistSource::Compliance,
            ))
            .await
            .unwrap();
        // WHEN the carrier re-checks it
        let verdict = recheck(&local).run(&command).await.unwrap();
        // THEN it is refused as listed and the contact ends blacklisted
        assert_eq!(verdict, Err(Refusal::Skip(SkipReason::Blacklisted)));
        let refusal = verdict.unwrap_err();
        assert_eq!(refusal.outcome(), CallOutcome::Blacklisted);
        let result = local
            .record_call_event()
            .run(&refused(&command, refusal, local.now()))
            .await
            .unwrap();
        assert_eq!(
            result,
            EventResult::Settled {
                contact_status: ContactStatus::Blacklisted,
                next_attempt_at: None,
            }
        );
    });
}

#[test]
fn a_command_of_a_paused_campaign_is_refused_and_not_dialled_until_it_resumes() {
    block_on(async {
        let local = Local::new(LocalConfig::default(), monday_morning());
        let (c, command) = queued_command(&local).await;
        // GIVEN the campaign is paused while the command waits
        local
            .lifecycle()
            .perform(&c.id, LifecycleAction::Pause, "tester")
            .await
            .unwrap();
        // WHEN the carrier re-checks it
        let verdict = recheck(&local).run(&command).await.unwrap();
        // THEN it is refused and the contact is kept pending, not retried while paused
        assert_eq!(verdict, Err(Refusal::Skip(SkipReason::CampaignPaused)));
        local
            .record_call_event()
            .run(&refused(&command, verdict.unwrap_err(), local.now()))
            .await
            .unwrap();
        let contact = local
            .contacts()
            .get(&c.id, &command.contact_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(contact.status, ContactStatus::Pending);
        assert_eq!(local.dispatch().run(&c.id, 10).await.unwrap().queued, 0);
        // and once resumed it is dialled again.
        local
            .lifecycle()
            .perform(&c.id, LifecycleAction::Resume, "tester")
            .await
            .unwrap();
        assert_eq!(local.dispatch().run(&c.id, 10).await.unwrap().queued, 1);
    });
}

#[test]
fn a_command_taken_after_the_window_closed_is_refused_and_waits_for_the_next_window() {
    block_on(async {
        let local = Local::new(LocalConfig::default(), monday_morning());
        let (_, command) = queued_command(&local).await;
        // GIVEN a command without a not-after time (made before the field existed)
        let old = OriginateCommand {
            not_after: None,
            ..command
        };
        // WHEN it is taken at 23:00 in Israel (window 08:00-22:00)
        local.clock.set(utc(2026, 3, 2, 21, 0));
        let verdict = recheck(&local).run(&old).await.unwrap();
        // THEN it is refused as outside the window and due at 08:00 the next day
        assert_eq!(verdict, Err(Refusal::Skip(SkipReason::OutsideWindow)));
        let result = local
            .record_call_event()
            .run(&refused(&old, verdict.unwrap_err(), local.now()))
            .await
            .unwrap();
        assert_eq!(
            result,
            EventResult::Settled {
                contact_status: ContactStatus::Pending,
                next_attempt_at: Some(utc(2026, 3, 3, 6, 0)),
            }
        );
    });
}
