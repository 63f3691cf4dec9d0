//! The simulated carrier: reproducible fates, idempotent origination, IVR
//! outcomes, and the peak calculations the run checks rely on.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use campaign_core::clock::{Clock, ManualClock};
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::ivr::IvrFlow;
use campaign_core::messages::{CallEventKind, CallPurpose, MESSAGE_VERSION, OriginateCommand};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{BusEvent, Telephony};
use campaign_embedded::carrier::{
    CarrierProfile, KeyBehaviour, Origination, SimulatedCarrier, peak_concurrency, peak_rate,
};

fn command(call: &str) -> OriginateCommand {
    OriginateCommand {
        version: MESSAGE_VERSION,
        call_id: CallId::new(call),
        campaign_id: CampaignId::new("c1"),
        contact_id: ContactId::new("k1"),
        phone_number: PhoneNumber::from_e164("+972502345678").unwrap(),
        purpose: CallPurpose::Campaign,
        caller_id: None,
        ring_timeout_secs: 30,
        audio: Some("sound:x".into()),
        ivr: Some(IvrFlow::standard("sound:x")),
        not_after: None,
    }
}

fn carrier(profile: CarrierProfile, seed: u64) -> (SimulatedCarrier, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap(),
    ));
    (SimulatedCarrier::new(profile, seed, clock.clone()), clock)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn ended(events: &[BusEvent]) -> (CallOutcome, Option<u16>) {
    events
        .iter()
        .find_map(|e| match e {
            BusEvent::Call(c) => match c.kind {
                CallEventKind::Ended {
                    outcome,
                    hangup_cause,
                    ..
                } => Some((outcome, hangup_cause)),
                _ => None,
            },
            _ => None,
        })
        .expect("an end event")
}

#[test]
fn the_same_seed_and_call_give_the_same_call() {
    let run = |seed| {
        let (c, clock) = carrier(CarrierProfile::default(), seed);
        block_on(c.originate(&command("a1"))).unwrap();
        c.take_due(clock.now() + Duration::hours(1))
    };
    assert_eq!(run(5), run(5));
}

#[test]
fn a_repeated_origination_places_nothing_new() {
    let (c, _) = carrier(CarrierProfile::default(), 1);
    let first = block_on(c.originate(&command("a1"))).unwrap();
    let again = block_on(c.originate(&command("a1"))).unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(c.originations().len(), 1);
    assert_eq!(c.requests()[&CallId::new("a1")], 2);
}

#[test]
fn fates_follow_the_profile() {
    let (c, clock) = carrier(CarrierProfile::default(), 3);
    let n = 3000;
    for i in 0..n {
        block_on(c.originate(&command(&format!("call-{i}")))).unwrap();
    }
    let events = c.take_due(clock.now() + Duration::hours(2));
    let mut busy = 0;
    let mut answered = 0;
    for e in &events {
        if let BusEvent::Call(ev) = e
            && let CallEventKind::Ended {
                outcome,
                hangup_cause,
                ..
            } = ev.kind
        {
            if outcome == CallOutcome::Busy {
                busy += 1;
                assert_eq!(hangup_cause, Some(17));
            }
            if outcome.is_answered() {
                answered += 1;
            }
        }
    }
    let share = |k: usize| k as f64 / n as f64;
    assert!((share(busy) - 0.12).abs() < 0.03, "busy {}", share(busy));
    assert!(
        (share(answered) - 0.55).abs() < 0.04,
        "answered {}",
        share(answered)
    );
}

fn answered_with(keys: KeyBehaviour) -> Vec<BusEvent> {
    let profile = CarrierProfile {
        answer: 1.0,
        disconnect: 0.0,
        keys,
        ..CarrierProfile::default()
    };
    let (c, clock) = carrier(profile, 9);
    block_on(c.originate(&command("a1"))).unwrap();
    c.take_due(clock.now() + Duration::hours(1))
}

#[test]
fn pressing_9_publishes_an_opt_out_and_ends_as_opted_out() {
    let events = answered_with(KeyBehaviour {
        press_1: 0.0,
        press_9: 1.0,
        invalid_then_1: 0.0,
    });
    assert!(events.iter().any(|e| matches!(e, BusEvent::OptOut(_))));
    assert!(!events.iter().any(|e| matches!(e, BusEvent::Donation(_))));
    assert_eq!(ended(&events).0, CallOutcome::OptedOut);
}

#[test]
fn pressing_1_after_an_invalid_key_publishes_one_donation() {
    let events = answered_with(KeyBehaviour {
        press_1: 0.0,
        press_9: 0.0,
        invalid_then_1: 1.0,
    });
    let donations = events
        .iter()
        .filter(|e| matches!(e, BusEvent::Donation(_)))
        .count();
    assert_eq!(donations, 1);
    let digits: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            BusEvent::Call(c) => match &c.kind {
                CallEventKind::KeyPressed { digit } => Some(digit.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(digits, vec!["7", "1"]);
    assert_eq!(ended(&events).0, CallOutcome::Converted);
}

#[test]
fn silence_ends_as_answered_and_events_are_in_time_order() {
    let events = answered_with(KeyBehaviour {
        press_1: 0.0,
        press_9: 0.0,
        invalid_then_1: 0.0,
    });
    assert_eq!(ended(&events).0, CallOutcome::Answered);
    let times: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            BusEvent::Call(c) => Some(c.at),
            _ => None,
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn peaks_count_overlaps_and_per_second_starts() {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
    let o = |id: &str, start: i64, end: i64| Origination {
        call_id: CallId::new(id),
        phone: PhoneNumber::from_e164("+972502345678").unwrap(),
        purpose: CallPurpose::Campaign,
        at: t0 + Duration::seconds(start),
        ends_at: t0 + Duration::seconds(end),
        campaign: CampaignId::new("c"),
        contact: ContactId::new(id),
    };
    // Three overlap at t=5; the fourth starts as the first ends.
    let calls = vec![o("a", 0, 10), o("b", 0, 20), o("c", 5, 30), o("d", 10, 40)];
    assert_eq!(peak_concurrency(&calls)["c"], 3);
    assert_eq!(peak_rate(&calls)["c"], 2);
}
