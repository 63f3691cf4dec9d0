//! Correctness properties that hold across the use cases (the pipeline with
//! the embedded adapters), each run with proptest.

use chrono::Duration;
use proptest::prelude::*;

use campaign_core::blacklist::BlacklistSource;
use campaign_core::campaign::CampaignStatus;
use campaign_core::contact::ContactStatus;
use campaign_core::import::{FileFormat, ImportOptions};
use campaign_core::messages::{CallPurpose, MESSAGE_VERSION, OptOutEvent};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::usecases::call_events::tts_call_id;
use campaign_embedded::carrier::peak_concurrency;
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_tests::{block_on, monday_morning, settings, started_campaign};

/// Distinct valid Israeli mobile numbers (national form) for index `i`.
fn mobile(i: usize) -> String {
    format!(
        "05{}-{:03}-{:04}",
        [0, 2, 4][i % 3],
        234 + (i / 3) % 700,
        5678 + i % 4000
    )
}

fn csv_of(numbers: &[String]) -> String {
    let mut s = String::from("phone,first_name\n");
    for n in numbers {
        s.push_str(&format!("{n},Noa\n"));
    }
    s
}

fn e164(national: &str) -> PhoneNumber {
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    PhoneNumber::from_e164(&format!("+972{}", &digits[1..])).expect("valid")
}

async fn run_to_end(local: &Local, ids: &[campaign_core::ids::CampaignId]) {
    let done = local
        .run_until_finished(ids, local.now() + Duration::days(10), |_| {})
        .await
        .expect("runs");
    assert!(done, "campaigns did not finish");
}

fn config(seed: u64) -> LocalConfig {
    LocalConfig {
        seed,
        ..LocalConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    // Property 9: Concurrent campaign isolation
    #[test]
    fn campaigns_running_together_do_not_affect_each_other(
        a_size in 1usize..8, b_size in 1usize..8, a_conc in 1u32..4, b_conc in 1u32..4, seed in 0u64..1000,
    ) {
        let b_numbers: Vec<String> = (0..b_size).map(mobile).collect();
        let a_numbers: Vec<String> = (100..100 + a_size).map(mobile).collect();
        let mut b_settings = settings();
        b_settings.pace.max_concurrent = b_conc;
        let mut a_settings = settings();
        a_settings.pace.max_concurrent = a_conc;

        // B alone.
        let alone = block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let b = started_campaign(&local, "B", &csv_of(&b_numbers), b_settings.clone()).await;
            run_to_end(&local, std::slice::from_ref(&b.id)).await;
            local.report().collect(&b.id).await.unwrap().counts
        });
        // B beside A (B created first, so its ids are the same).
        let (together, a_peak, b_peak, crossed) = block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let b = started_campaign(&local, "B", &csv_of(&b_numbers), b_settings.clone()).await;
            let a = started_campaign(&local, "A", &csv_of(&a_numbers), a_settings.clone()).await;
            run_to_end(&local, &[a.id.clone(), b.id.clone()]).await;
            let peaks = peak_concurrency(&local.carrier.originations());
            let b_phones: Vec<PhoneNumber> = b_numbers.iter().map(|n| e164(n)).collect();
            let crossed = local
                .carrier
                .originations()
                .iter()
                .filter(|o| o.campaign == a.id && b_phones.contains(&o.phone))
                .count();
            (
                local.report().collect(&b.id).await.unwrap().counts,
                peaks.get(a.id.as_str()).copied().unwrap_or(0),
                peaks.get(b.id.as_str()).copied().unwrap_or(0),
                crossed,
            )
        });
        prop_assert_eq!(alone, together);
        prop_assert!(a_peak <= a_conc);
        prop_assert!(b_peak <= b_conc);
        prop_assert_eq!(crossed, 0);
    }

    // Property 10: Blacklist pre-dial check
    // Property 11: Blacklisted number outcome marking
    #[test]
    fn listed_numbers_are_never_dialled_and_are_reported_as_blacklisted(
        size in 1usize..10, listed_mask in proptest::collection::vec(any::<bool>(), 10), seed in 0u64..1000,
    ) {
        let numbers: Vec<String> = (0..size).map(mobile).collect();
        let listed: Vec<PhoneNumber> =
            numbers.iter().zip(&listed_mask).filter(|(_, l)| **l).map(|(n, _)| e164(n)).collect();
        let (dialled_listed, report_blacklisted, blacklisted_contacts) = block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let c = started_campaign(&local, "c", &csv_of(&numbers), settings()).await;
            // Listed after the import and before any dispatch.
            for p in &listed {
                local.blacklisting().add(p.clone(), "test", BlacklistSource::Compliance, "admin").await.unwrap();
            }
            run_to_end(&local, std::slice::from_ref(&c.id)).await;
            let dialled = local.carrier.originations().iter().filter(|o| listed.contains(&o.phone)).count();
            let report = local.report().collect(&c.id).await.unwrap();
            let marked = listed.len() as u64;
            (dialled, report.counts.blacklisted, marked)
        });
        prop_assert_eq!(dialled_listed, 0);
        prop_assert_eq!(report_blacklisted, blacklisted_contacts);
    }

    // Property 12: DTMF opt-out immediate effect
    #[test]
    fn an_opt_out_blocks_the_number_in_every_campaign_at_once(campaigns in 1usize..5, seed in 0u64..1000) {
        let number = mobile(7);
        let phone = e164(&number);
        block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let mut ids = Vec::new();
            for i in 0..campaigns {
                let csv = csv_of(&[number.clone(), mobile(200 + i)]);
                ids.push(started_campaign(&local, &format!("c{i}"), &csv, settings()).await.id);
            }
            let event = OptOutEvent {
                version: MESSAGE_VERSION,
                event_id: "o1".into(),
                phone_number: phone.clone(),
                source: BlacklistSource::UserOptout,
                reason: "pressed 9".into(),
                call_id: None,
                campaign_id: Some(ids[0].clone()),
                contact_id: None,
                at: local.now(),
            };
            let out = local.blacklisting().opt_out(&event).await.unwrap();
            assert!(out.newly_listed);
            assert_eq!(out.contacts_blocked as usize, campaigns);
            for c in local.contacts().find_by_phone(&phone).await.unwrap() {
                assert_eq!(c.status, ContactStatus::Blacklisted);
            }
            run_to_end(&local, &ids).await;
            assert!(local.carrier.originations().iter().all(|o| o.phone != phone));
        });
    }

    // Property 13: Blacklist import immediate application
    #[test]
    fn an_imported_blacklist_applies_to_running_campaigns_at_once(
        size in 2usize..10, listed_mask in proptest::collection::vec(any::<bool>(), 10), seed in 0u64..1000,
    ) {
        let numbers: Vec<String> = (0..size).map(mobile).collect();
        let listed: Vec<String> =
            numbers.iter().zip(&listed_mask).filter(|(_, l)| **l).map(|(n, _)| n.clone()).collect();
        block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let c = started_campaign(&local, "c", &csv_of(&numbers), settings()).await;
            // Tasks are already queued when the list arrives.
            local.dispatch().run(&c.id, 100).await.unwrap();
            let result = local
                .blacklisting()
                .import(csv_of(&listed).as_bytes(), FileFormat::Csv, &ImportOptions::default(), "regulator list", "admin")
                .await
                .unwrap();
            assert_eq!(result.newly_listed, listed.len());
            for n in &listed {
                let p = e164(n);
                assert!(local.blacklist().get(&p).await.unwrap().is_some());
                for contact in local.contacts().find_by_phone(&p).await.unwrap() {
                    assert_eq!(contact.status, ContactStatus::Blacklisted);
                }
            }
            run_to_end(&local, std::slice::from_ref(&c.id)).await;
            let listed_phones: Vec<PhoneNumber> = listed.iter().map(|n| e164(n)).collect();
            assert!(local.carrier.originations().iter().all(|o| !listed_phones.contains(&o.phone)));
        });
    }

    // Property 14: Blacklist persistence with timestamp
    #[test]
    fn a_listed_number_keeps_its_first_timestamp_reason_and_source(
        adds in proptest::collection::vec((0usize..5, 0i64..100_000, 0usize..3), 1..12),
    ) {
        block_on(async {
            let local = Local::new(config(1), monday_morning());
            let sources = [BlacklistSource::UserOptout, BlacklistSource::AdminImport, BlacklistSource::Compliance];
            let mut first: std::collections::HashMap<usize, (chrono::DateTime<chrono::Utc>, BlacklistSource)> =
                std::collections::HashMap::new();
            for (who, offset, src) in &adds {
                local.clock.set(monday_morning() + Duration::seconds(*offset));
                let at = local.now();
                local.blacklisting().add(e164(&mobile(*who)), &format!("r{src}"), sources[*src], "t").await.unwrap();
                first.entry(*who).or_insert((at, sources[*src]));
            }
            for (who, (at, source)) in first {
                let entry = local.blacklist().get(&e164(&mobile(who))).await.unwrap().expect("still listed");
                assert_eq!(entry.added_at, at);
                assert_eq!(entry.source, source);
                let history = local.blacklist().history(&e164(&mobile(who))).await.unwrap();
                assert_eq!(history.len(), 1, "one add recorded: repeats list nothing new");
            }
        });
    }

    // Property 44: Campaign report completeness
    // Property 45: Report metric calculation accuracy
    #[test]
    fn the_report_has_every_call_with_timestamps_and_its_counts_match_the_rows(
        size in 1usize..10, seed in 0u64..1000,
    ) {
        let numbers: Vec<String> = (0..size).map(mobile).collect();
        block_on(async {
            let local = Local::new(config(seed), monday_morning());
            let c = started_campaign(&local, "c", &csv_of(&numbers), settings()).await;
            run_to_end(&local, std::slice::from_ref(&c.id)).await;
            let report = local.report().collect(&c.id).await.unwrap();
            let placed = local.carrier.originations().len();
            assert_eq!(report.calls.len(), placed);
            let mut counted = 0;
            for r in &report.calls {
                assert!(r.ended_at.is_some_and(|e| e >= r.created_at), "{r:?}");
                if r.purpose == CallPurpose::Campaign {
                    counted += 1;
                    assert!(r.outcome.is_some());
                }
            }
            assert_eq!(report.counts.attempts, counted);
            let answered = report.calls.iter().filter(|r| r.purpose == CallPurpose::Campaign && r.outcome.is_some_and(CallOutcome::is_answered)).count() as u64;
            assert_eq!(report.counts.answered_total(), answered);
            let csv = String::from_utf8(report.to_csv()).unwrap();
            assert_eq!(csv.lines().count(), 1 + report.calls.len() + report.never_dialled_blacklisted.len());
            assert_eq!(local.lifecycle().get(&c.id).await.unwrap().status, CampaignStatus::Completed);
        });
    }

    // Property 19: DTMF-triggered SMS delivery
    // Property 21: SMS failure triggers TTS fallback
    // Property 30: TTS fallback outcome recording
    #[test]
    fn every_key_1_gets_an_sms_or_a_tts_call_with_a_recorded_outcome(
        kinds in proptest::collection::vec(any::<bool>(), 1..8), not_capable in 0.0f64..1.0, seed in 0u64..1000,
    ) {
        // true = mobile, false = landline (Jerusalem numbers).
        let numbers: Vec<String> = kinds
            .iter()
            .enumerate()
            .map(|(i, mobile_line)| if *mobile_line { mobile(i) } else { format!("02-6{:02}-{:04}", 20 + i, 4567 + i) })
            .collect();
        let landlines: Vec<PhoneNumber> = numbers
            .iter()
            .zip(&kinds)
            .filter(|(_, m)| !**m)
            .map(|(n, _)| {
                let digits: String = n.chars().filter(char::is_ascii_digit).collect();
                PhoneNumber::from_e164(&format!("+972{}", &digits[1..])).unwrap()
            })
            .collect();
        block_on(async {
            let config = LocalConfig {
                seed,
                sms_not_capable_rate: not_capable,
                carrier: campaign_embedded::carrier::CarrierProfile {
                    answer: 1.0,
                    disconnect: 0.0,
                    keys: campaign_embedded::carrier::KeyBehaviour { press_1: 1.0, press_9: 0.0, invalid_then_1: 0.0 },
                    ..Default::default()
                },
                ..LocalConfig::default()
            };
            let local = Local::new(config, monday_morning());
            let c = started_campaign(&local, "c", &csv_of(&numbers), settings()).await;
            run_to_end(&local, std::slice::from_ref(&c.id)).await;
            let report = local.report().collect(&c.id).await.unwrap();
            let sent = local.sms.sent();
            for r in report.calls.iter().filter(|r| r.purpose == CallPurpose::Campaign) {
                assert_eq!(r.outcome, Some(CallOutcome::Converted));
                let follow = r.follow_up.as_deref().unwrap_or("none");
                let sms_here = sent.iter().filter(|m| m.to == r.phone).count();
                match follow {
                    "SMS Sent" => {
                        assert_eq!(sms_here, 1, "{r:?}");
                        assert!(!landlines.contains(&r.phone), "a landline got an SMS");
                    }
                    "TTS Fallback Delivered" | "TTS Fallback Failed" => {
                        assert_eq!(sms_here, 0, "{r:?}");
                        let tts = report.calls.iter().find(|t| t.call_id == tts_call_id(&r.call_id));
                        assert!(tts.is_some_and(|t| t.outcome.is_some()), "the TTS call ran to its end");
                    }
                    other => panic!("unexpected follow-up {other:?} for {r:?}"),
                }
            }
        });
    }
}
