//! The simulator end to end on a small campaign: the invariants hold with
//! and without faults, every fault kind is injected and absorbed, and the
//! cost model counts the requests the campaign made.

use std::sync::Arc;

use campaign_core::pacing::PaceReason;
use campaign_embedded::cost::{PriceTable, Table};
use campaign_embedded::faults::{FaultKind, FaultPlan};
use campaign_embedded::providers::MemoryObjects;
use campaign_embedded::runtime::sim::{SimOptions, SimResult, run_simulation};

fn options(contacts: usize, faults: FaultPlan) -> SimOptions {
    let mut o = SimOptions::new(PriceTable::bundled().expect("bundled price table"));
    o.contacts = contacts;
    o.max_concurrent = 40;
    o.calls_per_second = 5;
    o.days = 5;
    o.faults = faults;
    o
}

fn simulate(o: SimOptions) -> SimResult {
    futures::executor::block_on(run_simulation(o, Arc::new(MemoryObjects::new()), |_| {}))
        .expect("simulation runs")
}

fn assert_all_invariants(r: &SimResult) {
    assert!(
        r.completed,
        "campaign completed within the days given: {:?} {:?} {:?}",
        r.checks, r.contacts, r.faults
    );
    assert_eq!(r.checks.len(), 7);
    for c in &r.checks {
        assert!(c.passed, "{}: {}", c.name, c.detail);
    }
}

#[test]
fn a_generated_campaign_completes_with_every_invariant_and_its_cost() {
    // GIVEN 2,000 generated rows and no faults
    let r = simulate(options(2000, FaultPlan::none()));
    // THEN every invariant holds, within the pace
    assert_all_invariants(&r);
    assert!(r.peak_concurrency <= 40 && r.peak_calls_per_second <= 5);
    // AND a healthy answer rate (55 %) never slowed the pace, not even at
    // the start when only the short unanswered calls have ended
    assert!(r.pace_changes.is_empty(), "{:?}", r.pace_changes);
    assert!(
        r.import.invalid > 0 && r.import.duplicates > 0,
        "{:?}",
        r.import
    );
    assert!(
        r.contacts.blacklisted > 0,
        "some numbers are on the do-not-call list"
    );
    assert_eq!(r.faults.injected.total(), 0);
    // AND the requests the same campaign makes on AWS are counted and priced
    let u = &r.usage;
    assert!(
        u.sns_publishes >= r.pipeline.events,
        "each event is a publish"
    );
    assert!(u.dynamodb[&Table::CallRecords].write_requests >= r.campaign_calls);
    assert!(u.originations >= r.campaign_calls);
    assert!(r.cost.total_usd > 0.0 && r.cost.per_million_calls_usd > 0.0);
    // AND the timeline adds up to the calls placed
    let dials: u64 = r.timeline.iter().map(|p| u64::from(p.dials)).sum();
    assert_eq!(dials, r.campaign_calls);
    assert!(r.timeline.iter().all(|p| p.peak_active <= 40));
}

#[test]
fn with_every_fault_injected_the_invariants_still_hold() {
    // GIVEN every kind of fault at rates high enough to strike a small run
    let plan = FaultPlan::parse(
        "store_error=0.003,queue_error=0.01,bus_error=0.01,duplicate_delivery=0.05,\
         crash_before_originate=0.05,lost_call_event=0.03,host_restart=6",
    )
    .expect("valid plan");
    let r = simulate(options(2000, plan));
    // THEN each kind struck
    for kind in FaultKind::ALL {
        assert!(r.faults.injected.get(kind) > 0, "{kind} never injected");
    }
    // AND the system absorbed them: every invariant holds, lost events were
    // closed by the lease watchdog, crashed attempts were placed once
    assert_all_invariants(&r);
    assert!(r.faults.lost_calls_closed_by_watchdog > 0);
    assert!(r.faults.handler_failures_retried > 0);
}

#[test]
fn the_same_seed_gives_the_same_run_even_with_faults() {
    let plan = FaultPlan::parse("standard").expect("valid plan");
    let a = simulate(options(500, plan.clone()));
    let b = simulate(options(500, plan));
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.faults.injected, b.faults.injected);
    assert_eq!(a.finished_at, b.finished_at);
}

#[test]
fn a_low_answer_rate_slows_the_pace_and_every_start_stays_within_the_pace_in_force() {
    // GIVEN a list where almost nobody answers, at 20 calls a second
    let mut o = options(6000, FaultPlan::none());
    o.calls_per_second = 20;
    o.max_concurrent = 200;
    o.carrier.answer = 0.05;
    o.carrier.busy = 0.25;
    o.carrier.no_answer = 0.6;
    let r = simulate(o);
    // THEN the adaptive pace came down for that reason, never below the floor
    assert_all_invariants(&r);
    let first = r.pace_changes.first().expect("the pace changed");
    assert_eq!(
        first.reason,
        PaceReason::LowAnswerRate,
        "{:?}",
        r.pace_changes
    );
    assert_eq!((first.from_cps, first.to_cps), (20, 10));
    assert!(r.pace_changes.iter().all(|c| c.to_cps >= 1));
    // AND the pace invariant was checked against the pace in force each second
    let pace = r
        .checks
        .iter()
        .find(|c| c.name.starts_with("pace"))
        .expect("pace check");
    assert!(pace.detail.contains("adaptive changes"), "{}", pace.detail);
    assert!(pace.detail.contains("0 seconds above"), "{}", pace.detail);
}
