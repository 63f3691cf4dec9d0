//! The README's main command, checked: the bundled campaign runs to
//! completion and every invariant the demo prints holds.

use std::sync::Arc;

use campaign_core::messages::CallPurpose;
use campaign_embedded::providers::MemoryObjects;
use campaign_embedded::runtime::demo::{DemoOptions, run_demo};
use campaign_embedded::runtime::sample::{SAMPLE_ROWS, SAMPLE_SEED, generate};
use campaign_tests::block_on;

#[test]
fn the_demo_campaign_completes_with_every_invariant_holding() {
    let objects = Arc::new(MemoryObjects::new());
    let result = block_on(run_demo(DemoOptions::default(), objects, |_| {})).expect("demo runs");
    assert!(result.completed, "finished at {}", result.finished_at);
    for check in &result.checks {
        assert!(check.passed, "{}: {}", check.name, check.detail);
    }
    assert_eq!(result.checks.len(), 7);
    let c = &result.report.counts;
    // The sample has every path in it.
    assert!(c.attempts > 2000, "{c:?}");
    assert!(
        c.converted > 0 && c.opted_out > 0 && c.busy > 0 && c.no_answer > 0 && c.failed > 0,
        "{c:?}"
    );
    assert!(
        c.sms_sent > 0 && c.tts_delivered + c.tts_failed > 0,
        "{c:?}"
    );
    assert!(
        result.import.blacklisted > 0,
        "some imported numbers were already listed"
    );
    assert!(
        result.import.report.summary.duplicates > 0 && result.import.report.summary.invalid > 0
    );
    // Counts are derived from the rows of the report.
    let campaign_calls = result
        .report
        .calls
        .iter()
        .filter(|r| r.purpose == CallPurpose::Campaign)
        .count() as u64;
    assert_eq!(campaign_calls, c.attempts);
    assert_eq!(
        result.report.contacts.terminal(),
        result.report.contacts.total()
    );
}

#[test]
fn the_demo_is_reproducible_for_a_seed() {
    let run = || {
        block_on(run_demo(
            DemoOptions {
                seed: 11,
                ..DemoOptions::default()
            },
            Arc::new(MemoryObjects::new()),
            |_| {},
        ))
        .expect("demo runs")
    };
    let (a, b) = (run(), run());
    assert_eq!(a.report.counts, b.report.counts);
    assert_eq!(a.finished_at, b.finished_at);
}

#[test]
fn the_bundled_sample_files_are_what_the_generator_makes() {
    let files = generate(SAMPLE_ROWS, SAMPLE_SEED);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/embedded/data");
    if std::env::var_os("UPDATE_SAMPLES").is_some() {
        std::fs::write(root.join("sample-contacts.csv"), &files.contacts_csv).unwrap();
        std::fs::write(root.join("sample-blacklist.csv"), &files.blacklist_csv).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(root.join("sample-contacts.csv")).unwrap(),
        files.contacts_csv
    );
    assert_eq!(
        std::fs::read_to_string(root.join("sample-blacklist.csv")).unwrap(),
        files.blacklist_csv
    );
}
