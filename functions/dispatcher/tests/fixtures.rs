//! Every fixture in `events/dispatcher/` through the real handler, against
//! embedded adapters seeded for the fixture's scenario (GIVEN), asserting the
//! output (THEN) and that the logs carry the request id and no number in clear.

use campaign_core::campaign::CampaignStatus;
use campaign_core::campaign::LifecycleAction;
use campaign_core::ids::CampaignId;
use campaign_core::messages::{WorkflowPhase, WorkflowState};
use campaign_core::optimal_time::CallTimeModel;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::DialQueue;
use campaign_embedded::runtime::Local;
use dispatcher::{Config, Deps, handler};
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn deps(local: &Local) -> Deps {
    Deps {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        blacklist: local.store.clone(),
        queue: local.queue.clone(),
        counters: local.counters.clone(),
        audit: local.store.clone(),
        ids: local.ids.clone(),
        clock: local.clock.clone(),
        model: CallTimeModel::default(),
    }
}

fn config() -> Config {
    Config {
        table_prefix: "campaign-".into(),
        dial_queue_url: "http://127.0.0.1/queue/dial-tasks".into(),
        dispatch_interval_secs: 60,
        max_dispatch_batch: 10_000,
    }
}

fn id() -> CampaignId {
    CampaignId::new("cmp-000001")
}

/// GIVEN: the world each fixture expects, and the config to run it with.
async fn given(name: &str, local: &Local) -> Config {
    let csv3 = scenario::contacts_csv(3, false);
    match name {
        "validate-draft.json" | "validate-scheduled-start.json" => {
            scenario::draft_campaign(local, "Draft", &csv3).await;
        }
        "validate-unknown-campaign.json"
        | "malformed-unknown-task.json"
        | "malformed-version.json"
        | "malformed-not-an-object.json" => {}
        "validate-invalid-campaign.json" => {
            // Settings broken after creation (e.g. by a bad migration): the
            // store is written directly, as the API would refuse them.
            let mut c = scenario::draft_campaign(local, "Broken", &csv3).await;
            c.settings.pace.calls_per_second = 0;
            c.settings.audio = None;
            c.version += 1;
            local
                .campaigns()
                .update(&c, c.version - 1)
                .await
                .expect("update");
        }
        "validate-completed-campaign.json" => {
            let c = scenario::started_campaign(local, "Done", &csv3).await;
            local
                .lifecycle()
                .perform(&c.id, LifecycleAction::Complete, "tester")
                .await
                .expect("complete");
        }
        "dispatch-running.json" => {
            scenario::started_campaign(local, "Running", &scenario::contacts_csv(25, false)).await;
        }
        "dispatch-over-pace-limit.json" => {
            scenario::started_campaign(local, "Fast", &scenario::contacts_csv(25, false)).await;
            // One second between dispatches at 10 calls a second: 10 tasks.
            return Config {
                dispatch_interval_secs: 1,
                ..config()
            };
        }
        "dispatch-blacklisted-contact.json" => {
            scenario::started_campaign(local, "Listed", &csv3).await;
            // Listed straight in the store (as another region's opt-out
            // would be), so the contact itself is still pending.
            let phone = PhoneNumber::from_e164("+972523450001").expect("valid");
            let entry = campaign_core::blacklist::BlacklistEntry::new(
                phone,
                local.now(),
                "pressed 9",
                campaign_core::blacklist::BlacklistSource::UserOptout,
            );
            local.blacklist().add(&entry).await.expect("listed");
        }
        "dispatch-paused-campaign.json" => {
            let c = scenario::started_campaign(local, "Paused", &csv3).await;
            local
                .lifecycle()
                .perform(&c.id, LifecycleAction::Pause, "tester")
                .await
                .expect("pause");
        }
        "progress-running.json" => {
            scenario::started_campaign(local, "Running", &csv3).await;
        }
        "progress-all-finished.json" => {
            scenario::started_campaign(local, "Finished", &scenario::contacts_csv(2, false)).await;
            for n in ["+972523450000", "+972523450001"] {
                let phone = PhoneNumber::from_e164(n).expect("valid");
                local
                    .blacklisting()
                    .add(
                        phone,
                        "compliance",
                        campaign_core::blacklist::BlacklistSource::Compliance,
                        "tester",
                    )
                    .await
                    .expect("listed");
            }
        }
        other => panic!("no scenario for fixture {other}: add one"),
    }
    config()
}

/// THEN: what each fixture must produce.
async fn then(name: &str, local: &Local, result: Result<WorkflowState, FunctionError>) {
    let err = |r: Result<WorkflowState, FunctionError>| match r {
        Ok(s) => panic!("{name}: expected an error, got {s:?}"),
        Err(e) => e.error_type(),
    };
    match name {
        "validate-draft.json" => {
            let s = result.expect("validates");
            assert_eq!(s.campaign_status, CampaignStatus::Active);
            assert_eq!(s.phase, WorkflowPhase::Running);
            assert_eq!((s.total_contacts, s.terminal_contacts), (3, 0));
            let stored = local
                .campaigns()
                .get(&id())
                .await
                .expect("get")
                .expect("exists");
            assert_eq!(stored.status, CampaignStatus::Active);
        }
        "validate-scheduled-start.json" => {
            let s = result.expect("validates");
            assert_eq!(
                s.scheduled_start.map(|t| t.to_rfc3339()),
                Some("2026-03-02T09:00:00+00:00".to_owned()),
                "the workflow input's start is kept for the Wait state"
            );
        }
        "validate-unknown-campaign.json" => assert_eq!(err(result), "CampaignNotFound"),
        "validate-invalid-campaign.json" => {
            let e = result.expect_err("invalid");
            assert_eq!(e.error_type(), "InvalidCampaign");
            let msg = e.message_chain();
            assert!(
                msg.contains("calls_per_second") && msg.contains("audio"),
                "{msg}"
            );
        }
        "validate-completed-campaign.json" => assert_eq!(err(result), "IllegalLifecycleMove"),
        "dispatch-running.json" => {
            let s = result.expect("dispatches");
            assert_eq!(s.dispatched, 25);
            assert_eq!(local.queue.depth().await.expect("depth"), 25);
            assert_eq!(s.phase, WorkflowPhase::Running);
        }
        "dispatch-over-pace-limit.json" => {
            let s = result.expect("dispatches");
            assert_eq!(s.dispatched, 10, "10 calls/s × 1 s between dispatches");
            assert_eq!(local.queue.depth().await.expect("depth"), 10);
        }
        "dispatch-blacklisted-contact.json" => {
            let s = result.expect("dispatches");
            assert_eq!(s.dispatched, 2, "the listed number is never queued");
            assert_eq!(s.terminal_contacts, 1, "and is marked blacklisted");
        }
        "dispatch-paused-campaign.json" => {
            let s = result.expect("answers");
            assert_eq!(s.dispatched, 0);
            assert_eq!(s.phase, WorkflowPhase::Paused);
            assert_eq!(local.queue.depth().await.expect("depth"), 0);
        }
        "progress-running.json" => {
            let s = result.expect("progress");
            assert_eq!(s.phase, WorkflowPhase::Running);
            assert_eq!((s.total_contacts, s.terminal_contacts), (3, 0));
        }
        "progress-all-finished.json" => {
            let s = result.expect("progress");
            assert_eq!(s.phase, WorkflowPhase::Completed);
            assert_eq!(s.campaign_status, CampaignStatus::Completed);
            assert_eq!((s.total_contacts, s.terminal_contacts), (2, 2));
        }
        "malformed-unknown-task.json"
        | "malformed-version.json"
        | "malformed-not-an-object.json" => {
            assert_eq!(err(result), "InvalidInput")
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "dispatcher");
    assert!(names.len() >= 10, "fixtures found: {names:?}");
    for name in names {
        let local = scenario::local();
        let config = given(&name, &local).await;
        let deps = deps(&local);
        let payload = testing::fixture(DIR, "dispatcher", &name);
        let (guard, logs) = testing::capture_logs();
        let request_id = format!("req-{name}");
        let result = handler(&deps, &config, testing::lambda_event(payload, &request_id)).await;
        drop(guard);
        if let Ok(state) = &result {
            // Every output is a valid workflow state message.
            let json = serde_json::to_vec(state).expect("encode");
            <WorkflowState as campaign_core::messages::Message>::decode(&json)
                .expect("a WorkflowState");
        }
        then(&name, &local, result).await;
        testing::assert_no_clear_phone_numbers(&logs);
        let lines = logs.lines();
        assert!(!lines.is_empty(), "{name}: the handler logs");
        for line in &lines {
            assert_eq!(
                line["spans"][0]["request_id"],
                request_id.as_str(),
                "{name}: {line}"
            );
        }
    }
}

#[test]
fn config_reads_the_environment_names() {
    let (c, asked) = lambda_kit::config::names_read(
        &[
            ("DIAL_QUEUE_URL", "https://sqs/q"),
            ("DISPATCH_INTERVAL_SECS", "30"),
        ],
        |lookup| Config::from_lookup(lookup),
    );
    let c = c.expect("config");
    assert_eq!(c.dispatch_interval_secs, 30);
    assert_eq!(c.max_dispatch_batch, 10_000);
    assert_eq!(c.table_prefix, "campaign-");
    assert_eq!(c.dial_queue_url, "https://sqs/q");
    // What it reads is exactly what the deployment is told to set.
    assert_eq!(
        asked,
        dispatcher::ENV_VARS.iter().map(|v| v.to_string()).collect()
    );
    let bad = |k: &str| match k {
        "MAX_DISPATCH_BATCH" => Some("many".to_owned()),
        "DIAL_QUEUE_URL" => Some("q".to_owned()),
        _ => None,
    };
    assert_eq!(
        Config::from_lookup(&bad).expect_err("bad").error_type(),
        "ConfigError"
    );
    let missing_queue = |k: &str| (k == "MAX_DISPATCH_BATCH").then(|| "5".to_owned());
    assert_eq!(
        Config::from_lookup(&missing_queue)
            .expect_err("no queue")
            .error_type(),
        "ConfigError"
    );
}
