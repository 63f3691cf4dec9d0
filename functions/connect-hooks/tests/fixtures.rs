//! Every fixture in `events/connect-hooks/` through the real handler,
//! against embedded adapters seeded with a started campaign (`cmp-000001`,
//! three contacts), plus the time limit with a dependency that hangs.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use campaign_core::blacklist::{BlacklistEntry, BlacklistSource};
use campaign_core::messages::CallEventKind;
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{BlacklistStore, BusEvent, EventBus, PortResult};
use campaign_embedded::runtime::Local;
use connect_hooks::{Answer, Config, Deps, handler};
use lambda_kit::testing::{self, scenario};

const DIR: &str = env!("CARGO_MANIFEST_DIR");
const CALL: &str = "cmp-000001-ad1e29a40604988f-a1";
const PHONE: &str = "+972523450000";

fn config() -> Config {
    Config {
        table_prefix: "test-".into(),
        call_events_topic: "arn:call".into(),
        donation_events_topic: "arn:donation".into(),
        optout_events_topic: "arn:optout".into(),
    }
}

fn deps(local: &Local) -> Deps {
    Deps {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        blacklist: local.store.clone(),
        bus: local.bus.clone(),
        clock: local.clock.clone(),
    }
}

async fn given(name: &str) -> Local {
    let local = scenario::local();
    scenario::started_campaign(&local, "Connect", &scenario::contacts_csv(3, false)).await;
    if name == "check-blacklist-listed.json" {
        local
            .store
            .add(&BlacklistEntry::new(
                PhoneNumber::from_e164(PHONE).unwrap(),
                local.now(),
                "asked",
                BlacklistSource::UserOptout,
            ))
            .await
            .unwrap();
    }
    local
}

async fn run(name: &str, deps: &Deps) -> Answer {
    let payload = testing::fixture(DIR, "connect-hooks", name);
    handler(deps, &config(), testing::lambda_event(payload, name))
        .await
        .unwrap_or_else(|e| panic!("{name}: the handler never fails, got {e}"))
}

fn published(local: &Local) -> (Vec<CallEventKind>, usize, Vec<BusEvent>) {
    let calls = local
        .bus
        .drain("call-events")
        .into_iter()
        .filter_map(|e| match e {
            BusEvent::Call(c) => {
                assert_eq!(c.call_id.as_str(), CALL);
                assert_eq!(c.phone_number.as_str(), PHONE);
                Some(c.kind)
            }
            _ => None,
        })
        .collect();
    let donations = local.bus.drain("donation-events").len();
    let optouts = local.bus.drain("optout-events");
    (calls, donations, optouts)
}

fn valid_values(answer: &Answer) {
    for (k, v) in answer {
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{k}={v:?} holds a character Connect refuses"
        );
    }
}

#[tokio::test]
async fn every_fixture_gets_its_answer_and_its_events() {
    let names = testing::fixture_names(DIR, "connect-hooks");
    assert!(names.len() >= 15, "fixtures: {names:?}");
    for name in names {
        let local = given(&name).await;
        let answer = run(&name, &deps(&local)).await;
        valid_values(&answer);
        let get = |k: &str| answer.get(k).map(String::as_str);
        let (calls, donations, optouts) = published(&local);
        match name.as_str() {
            "check-blacklist.json"
            | "check-blacklist-null-endpoint.json"
            | "check-blacklist-missing-endpoint.json" => {
                // Without an endpoint the number comes from the stored contact.
                assert_eq!(get("status"), Some("ok"), "{name}");
                assert_eq!(get("blacklisted"), Some("false"), "{name}");
            }
            "check-blacklist-listed.json" => {
                assert_eq!(get("blacklisted"), Some("true"));
            }
            "lookup.json"
            | "lookup-missing-endpoint.json"
            | "lookup-attributes-not-strings.json" => {
                assert_eq!(get("status"), Some("ok"), "{name}");
                assert_eq!(get("campaign_found"), Some("true"), "{name}");
                assert_eq!(get("campaign_status"), Some("active"), "{name}");
                assert_eq!(get("campaign_dialling"), Some("true"), "{name}");
                assert_eq!(get("contact_found"), Some("true"), "{name}");
                assert_eq!(get("contact_status"), Some("pending"), "{name}");
                assert_eq!(get("blacklisted"), Some("false"), "{name}");
            }
            "key-press-1.json" | "key-press-1-null-endpoint.json" => {
                assert_eq!(get("next"), Some("donation"), "{name}");
                assert_eq!(
                    calls,
                    vec![CallEventKind::KeyPressed { digit: "1".into() }],
                    "{name}"
                );
                assert_eq!(donations, 1, "{name}");
                assert!(optouts.is_empty());
            }
            "key-press-9.json" | "key-press-9-missing-endpoint.json" => {
                assert_eq!(get("status"), Some("ok"), "{name}");
                assert_eq!(get("next"), Some("opt_out"), "{name}");
                assert_eq!(calls, vec![CallEventKind::KeyPressed { digit: "9".into() }]);
                assert_eq!(donations, 0);
                assert_eq!(optouts.len(), 1, "{name}");
                let BusEvent::OptOut(o) = &optouts[0] else {
                    panic!("not an opt-out")
                };
                assert_eq!(o.phone_number.as_str(), PHONE);
                assert_eq!(o.call_id.as_ref().map(|c| c.as_str()), Some(CALL));
                assert_eq!(o.source, BlacklistSource::UserOptout);
            }
            "key-press-9-inbound-no-ids.json" => {
                assert_eq!(get("status"), Some("ok"));
                assert_eq!(get("next"), Some("opt_out"));
                assert!(calls.is_empty());
                assert_eq!(optouts.len(), 1);
                let BusEvent::OptOut(o) = &optouts[0] else {
                    panic!("not an opt-out")
                };
                assert!(o.call_id.is_none() && o.campaign_id.is_none());
            }
            "key-press-other.json" => {
                assert_eq!(get("next"), Some("none"));
                assert_eq!(calls, vec![CallEventKind::KeyPressed { digit: "5".into() }]);
                assert_eq!((donations, optouts.len()), (0, 0));
            }
            "record-outcome.json" => {
                assert_eq!(get("recorded"), Some("true"));
                assert_eq!(
                    calls,
                    vec![CallEventKind::Ended {
                        outcome: CallOutcome::Converted,
                        hangup_cause: Some(16),
                        duration_secs: 42
                    }]
                );
            }
            "record-outcome-null-endpoint.json" => {
                assert_eq!(get("recorded"), Some("true"));
                assert!(matches!(
                    calls.as_slice(),
                    [CallEventKind::Ended {
                        outcome: CallOutcome::NoAnswer,
                        ..
                    }]
                ));
            }
            "record-outcome-unknown.json" => {
                assert_eq!(get("status"), Some("missing_outcome"));
                assert_eq!(get("recorded"), Some("false"));
                assert!(calls.is_empty());
            }
            "unknown-action.json" => {
                assert_eq!(get("status"), Some("unknown_action"));
                assert!(calls.is_empty());
            }
            other => panic!("fixture {other} has no expectations here: add them"),
        }
    }
}

/// A bus that never answers (SNS hanging).
struct HangingBus;

#[async_trait]
impl EventBus for HangingBus {
    async fn publish(&self, _event: &BusEvent) -> PortResult<()> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

/// A blacklist that never answers (DynamoDB hanging).
struct HangingBlacklist(Arc<campaign_embedded::store::MemoryStore>);

#[async_trait]
impl BlacklistStore for HangingBlacklist {
    async fn add(&self, e: &BlacklistEntry) -> PortResult<bool> {
        self.0.add(e).await
    }
    async fn remove(
        &self,
        p: &PhoneNumber,
        by: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> PortResult<bool> {
        self.0.remove(p, by, at).await
    }
    async fn get(&self, _p: &PhoneNumber) -> PortResult<Option<BlacklistEntry>> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(None)
    }
    async fn contains_any(
        &self,
        p: &[PhoneNumber],
    ) -> PortResult<std::collections::HashSet<PhoneNumber>> {
        self.0.contains_any(p).await
    }
    async fn history(
        &self,
        p: &PhoneNumber,
    ) -> PortResult<Vec<campaign_core::blacklist::BlacklistChange>> {
        self.0.history(p).await
    }
    async fn list(
        &self,
        page: campaign_core::ports::PageRequest,
    ) -> PortResult<campaign_core::ports::Page<BlacklistEntry>> {
        self.0.list(page).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_dependency_gets_the_safe_answer_within_connects_limit() {
    let local = given("check-blacklist.json").await;
    let mut d = deps(&local);
    d.blacklist = Arc::new(HangingBlacklist(local.store.clone()));
    d.bus = Arc::new(HangingBus);
    let start = tokio::time::Instant::now();
    let answer = run("check-blacklist.json", &d).await;
    assert_eq!(answer.get("status").map(String::as_str), Some("error"));
    assert_eq!(
        answer.get("blacklisted").map(String::as_str),
        Some("true"),
        "in doubt, the number counts as listed"
    );
    let answer = run("key-press-9.json", &d).await;
    assert_eq!(answer.get("status").map(String::as_str), Some("error"));
    assert_eq!(answer.get("next").map(String::as_str), Some("opt_out"));
    // Each answer came after one downstream time-out, far inside 8 s.
    assert!(
        start.elapsed() <= Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
