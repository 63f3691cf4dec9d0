//! Metrics: counts follow the recorded outcomes exactly, campaigns stay
//! separate and add up, and rates match the raw data.

use campaign_core::metrics::{FollowUpResult, LiveMetrics, OutcomeCounts, aggregate};
use campaign_core::outcome::CallOutcome;
use proptest::prelude::*;

fn outcome() -> impl Strategy<Value = CallOutcome> {
    prop::sample::select(CallOutcome::ALL.to_vec())
}

fn follow_up() -> impl Strategy<Value = FollowUpResult> {
    prop::sample::select(vec![
        FollowUpResult::SmsSent,
        FollowUpResult::SmsFailed,
        FollowUpResult::TtsDelivered,
        FollowUpResult::TtsFailed,
    ])
}

fn count_of<T: PartialEq>(items: &[T], wanted: T) -> u64 {
    items.iter().filter(|x| **x == wanted).count() as u64
}

fn counts_of(outcomes: &[CallOutcome], follow_ups: &[FollowUpResult]) -> OutcomeCounts {
    let mut counts = OutcomeCounts::default();
    for &o in outcomes {
        counts.record(o);
    }
    for &f in follow_ups {
        counts.record_follow_up(f);
    }
    counts
}

/// The ratio as the spec defines it, 0 on an empty denominator.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn campaign() -> impl Strategy<Value = (Vec<CallOutcome>, Vec<FollowUpResult>)> {
    (
        prop::collection::vec(outcome(), 0..120),
        prop::collection::vec(follow_up(), 0..30),
    )
}

proptest! {
    // Property 41: Real-time outcome metric updates
    #[test]
    fn counts_match_recorded_outcomes((outcomes, follow_ups) in campaign()) {
        let mut counts = OutcomeCounts::default();
        for (i, &o) in outcomes.iter().enumerate() {
            counts.record(o);
            // Updated immediately: after each record the prefix is counted.
            let seen = &outcomes[..=i];
            prop_assert_eq!(counts.answered, count_of(seen, CallOutcome::Answered));
            prop_assert_eq!(counts.blacklisted, count_of(seen, CallOutcome::Blacklisted));
        }
        for &f in &follow_ups {
            counts.record_follow_up(f);
        }
        let dialled = outcomes.iter().filter(|o| !o.is_never_dialled()).count() as u64;
        prop_assert_eq!(counts.attempts, dialled);
        prop_assert_eq!(counts.answered, count_of(&outcomes, CallOutcome::Answered));
        prop_assert_eq!(counts.converted, count_of(&outcomes, CallOutcome::Converted));
        prop_assert_eq!(counts.opted_out, count_of(&outcomes, CallOutcome::OptedOut));
        prop_assert_eq!(counts.busy, count_of(&outcomes, CallOutcome::Busy));
        prop_assert_eq!(counts.no_answer, count_of(&outcomes, CallOutcome::NoAnswer));
        prop_assert_eq!(counts.failed, count_of(&outcomes, CallOutcome::Failed));
        prop_assert_eq!(counts.disconnected, count_of(&outcomes, CallOutcome::Disconnected));
        prop_assert_eq!(counts.blacklisted, count_of(&outcomes, CallOutcome::Blacklisted));
        prop_assert_eq!(counts.sms_sent, count_of(&follow_ups, FollowUpResult::SmsSent));
        prop_assert_eq!(counts.sms_failed, count_of(&follow_ups, FollowUpResult::SmsFailed));
        prop_assert_eq!(counts.tts_delivered, count_of(&follow_ups, FollowUpResult::TtsDelivered));
        prop_assert_eq!(counts.tts_failed, count_of(&follow_ups, FollowUpResult::TtsFailed));
        let picked_up = outcomes.iter().filter(|o| o.is_answered()).count() as u64;
        prop_assert_eq!(counts.answered_total(), picked_up);
    }

    // Property 42: Multi-campaign metric aggregation
    #[test]
    fn campaigns_stay_separate_and_aggregate_is_the_sum(
        campaigns in prop::collection::vec(campaign(), 0..6),
    ) {
        let per_campaign: Vec<OutcomeCounts> =
            campaigns.iter().map(|(o, f)| counts_of(o, f)).collect();
        // Separate: each campaign's counts depend only on its own outcomes.
        for ((outcomes, _), counts) in campaigns.iter().zip(&per_campaign) {
            let dialled = outcomes.iter().filter(|o| !o.is_never_dialled()).count() as u64;
            prop_assert_eq!(counts.attempts, dialled);
            prop_assert_eq!(counts.busy, count_of(outcomes, CallOutcome::Busy));
        }
        let total = aggregate(&per_campaign);
        let sum = |f: fn(&OutcomeCounts) -> u64| per_campaign.iter().map(f).sum::<u64>();
        prop_assert_eq!(total.attempts, sum(|c| c.attempts));
        prop_assert_eq!(total.answered, sum(|c| c.answered));
        prop_assert_eq!(total.converted, sum(|c| c.converted));
        prop_assert_eq!(total.opted_out, sum(|c| c.opted_out));
        prop_assert_eq!(total.busy, sum(|c| c.busy));
        prop_assert_eq!(total.no_answer, sum(|c| c.no_answer));
        prop_assert_eq!(total.failed, sum(|c| c.failed));
        prop_assert_eq!(total.disconnected, sum(|c| c.disconnected));
        prop_assert_eq!(total.blacklisted, sum(|c| c.blacklisted));
        prop_assert_eq!(total.sms_sent, sum(|c| c.sms_sent));
        prop_assert_eq!(total.sms_failed, sum(|c| c.sms_failed));
        prop_assert_eq!(total.tts_delivered, sum(|c| c.tts_delivered));
        prop_assert_eq!(total.tts_failed, sum(|c| c.tts_failed));
        // The same as one counter fed every outcome of every campaign.
        let all_outcomes: Vec<CallOutcome> = campaigns.iter().flat_map(|(o, _)| o.clone()).collect();
        let all_follow_ups: Vec<FollowUpResult> = campaigns.iter().flat_map(|(_, f)| f.clone()).collect();
        prop_assert_eq!(total, counts_of(&all_outcomes, &all_follow_ups));
        // Order does not matter.
        let reversed = aggregate(per_campaign.iter().rev());
        prop_assert_eq!(total, reversed);
    }

    // Property 45: Report metric calculation accuracy
    #[test]
    fn rates_match_raw_outcomes((outcomes, follow_ups) in campaign()) {
        let counts = counts_of(&outcomes, &follow_ups);
        let rates = counts.rates();
        let attempts = outcomes.iter().filter(|o| !o.is_never_dialled()).count() as u64;
        let picked_up = outcomes.iter().filter(|o| o.is_answered()).count() as u64;
        prop_assert_eq!(counts.total_outcomes(), counts.attempts);
        prop_assert_eq!(counts.attempts, attempts);
        prop_assert!(close(rates.answer_rate, ratio(picked_up, attempts)));
        prop_assert!(close(rates.conversion_rate, ratio(count_of(&outcomes, CallOutcome::Converted), picked_up)));
        prop_assert!(close(rates.opt_out_rate, ratio(count_of(&outcomes, CallOutcome::OptedOut), picked_up)));
        prop_assert!(close(rates.busy_rate, ratio(count_of(&outcomes, CallOutcome::Busy), attempts)));
        prop_assert!(close(rates.no_answer_rate, ratio(count_of(&outcomes, CallOutcome::NoAnswer), attempts)));
        prop_assert!(close(rates.failure_rate, ratio(count_of(&outcomes, CallOutcome::Failed), attempts)));
        for r in [
            rates.answer_rate,
            rates.conversion_rate,
            rates.opt_out_rate,
            rates.busy_rate,
            rates.no_answer_rate,
            rates.failure_rate,
        ] {
            prop_assert!((0.0..=1.0).contains(&r));
        }
        let live = LiveMetrics::new(counts);
        prop_assert_eq!(live.rates, rates);
    }

    // Property 45: Report metric calculation accuracy
    #[test]
    fn merged_counts_keep_totals_consistent(a in campaign(), b in campaign()) {
        let mut merged = counts_of(&a.0, &a.1);
        merged.merge(&counts_of(&b.0, &b.1));
        prop_assert_eq!(merged.total_outcomes(), merged.attempts);
        let both: Vec<CallOutcome> = a.0.iter().chain(&b.0).copied().collect();
        let picked_up = both.iter().filter(|o| o.is_answered()).count() as u64;
        let attempts = both.iter().filter(|o| !o.is_never_dialled()).count() as u64;
        prop_assert!(close(merged.rates().answer_rate, ratio(picked_up, attempts)));
    }
}

#[test]
fn blacklisted_is_not_an_attempt() {
    let mut c = OutcomeCounts::default();
    c.record(CallOutcome::Blacklisted);
    assert_eq!((c.attempts, c.blacklisted), (0, 1));
    assert_eq!(c.total_outcomes(), 0);
    assert_eq!(c.rates(), Default::default());
}

#[test]
fn zero_denominators_give_zero_rates() {
    let mut c = OutcomeCounts::default();
    c.record(CallOutcome::Busy);
    c.record(CallOutcome::NoAnswer);
    let r = c.rates();
    assert_eq!(r.answer_rate, 0.0);
    // Nobody answered: conversion and opt-out have nothing to divide by.
    assert_eq!(r.conversion_rate, 0.0);
    assert_eq!(r.opt_out_rate, 0.0);
    assert_eq!(r.busy_rate, 0.5);
    assert_eq!(r.no_answer_rate, 0.5);
}

#[test]
fn example_rates() {
    let mut c = OutcomeCounts::default();
    for o in [
        CallOutcome::Answered,
        CallOutcome::Converted,
        CallOutcome::OptedOut,
        CallOutcome::Disconnected,
        CallOutcome::Busy,
        CallOutcome::Failed,
        CallOutcome::NoAnswer,
        CallOutcome::NoAnswer,
        CallOutcome::Blacklisted,
    ] {
        c.record(o);
    }
    assert_eq!(c.attempts, 8);
    assert_eq!(c.answered_total(), 4);
    let r = c.rates();
    assert_eq!(r.answer_rate, 0.5);
    assert_eq!(r.conversion_rate, 0.25);
    assert_eq!(r.opt_out_rate, 0.25);
    assert_eq!(r.failure_rate, 0.125);
    assert_eq!(r.no_answer_rate, 0.25);
}

#[test]
fn live_metrics_round_trip_json() {
    let mut counts = OutcomeCounts::default();
    counts.record(CallOutcome::Converted);
    counts.record_follow_up(FollowUpResult::SmsSent);
    let mut live = LiveMetrics::new(counts);
    live.active_calls = 12;
    live.queue_depth = 3400;
    live.dialling_rate_cps = LiveMetrics::measured_rate(83);
    live.pace_in_force_cps = 8;
    let json = serde_json::to_value(live).expect("serialises");
    assert_eq!(json["active_calls"], 12);
    assert_eq!(json["queue_depth"], 3400);
    assert_eq!(json["dialling_rate_cps"], 8.3);
    assert_eq!(json["pace_in_force_cps"], 8);
    assert_eq!(json["counts"]["sms_sent"], 1);
    assert_eq!(json["rates"]["conversion_rate"], 1.0);
    let back: LiveMetrics = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, live);
}

#[test]
fn a_command_refused_by_the_carrier_is_not_an_attempt_nor_an_outcome() {
    // GIVEN a campaign's counts WHEN a not-placed refusal is recorded
    let mut c = OutcomeCounts::default();
    c.record(CallOutcome::NotPlaced);
    // THEN nothing is counted: the contact is dialled again later.
    assert_eq!(c, OutcomeCounts::default());
}
