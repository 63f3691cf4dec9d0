//! Every fixture in `events/report-generator/` through the real handler,
//! against embedded adapters holding a campaign run to its end.

use campaign_core::messages::WorkflowPhase;
use campaign_embedded::runtime::Local;
use lambda_kit::FunctionError;
use lambda_kit::testing::{self, scenario};
use report_generator::{Config, Deps, Format, Response, handler};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn deps(local: &Local) -> Deps {
    Deps {
        campaigns: local.store.clone(),
        contacts: local.store.clone(),
        calls: local.store.clone(),
        objects: local.objects.clone(),
        clock: local.clock.clone(),
    }
}

async fn finished(local: &Local) {
    let c = scenario::started_campaign(local, "Report", &scenario::contacts_csv(6, true)).await;
    let deadline = local.now() + chrono::Duration::days(3);
    let done = local
        .run_until_finished(std::slice::from_ref(&c.id), deadline, |_| {})
        .await
        .expect("run");
    assert!(done);
}

async fn stored(local: &Local, r: &Response, f: Format) -> Vec<u8> {
    let link = r.reports.get(&f).unwrap_or_else(|| panic!("{f:?} stored"));
    assert!(link.key.starts_with("reports/cmp-000001/"));
    assert!(link.key.ends_with(&format!(".{}", f.ext())));
    local
        .objects
        .get(&link.key)
        .await
        .expect("get")
        .expect("object exists")
}

async fn then(name: &str, local: &Local, result: Result<Response, FunctionError>) {
    match name {
        "all-formats.json" | "from-workflow-state.json" => {
            let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.reports.len(), 3);
            assert!(stored(local, &r, Format::Pdf).await.starts_with(b"%PDF-"));
            assert!(stored(local, &r, Format::Xlsx).await.starts_with(b"PK"));
            assert!(
                stored(local, &r, Format::Csv)
                    .await
                    .starts_with(b"call_id,")
            );
            assert_eq!(
                r.state.report_url.as_deref(),
                Some(r.reports[&Format::Pdf].url.as_str())
            );
            assert_eq!(r.state.phase, WorkflowPhase::Completed);
            assert_eq!(r.state.total_contacts, 7);
            assert_eq!(r.state.terminal_contacts, 7);
            assert!(r.counts.attempts >= 7);
            let ttl = r.reports[&Format::Csv].expires_at - local.now();
            assert_eq!(ttl.num_seconds(), 3600);
        }
        "csv-only.json" => {
            let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.reports.keys().copied().collect::<Vec<_>>(), [Format::Csv]);
            assert_eq!(
                r.state.report_url.as_deref(),
                Some(r.reports[&Format::Csv].url.as_str())
            );
        }
        "unknown-campaign.json" => {
            assert_eq!(
                result.expect_err("unknown").error_type(),
                "CampaignNotFound"
            )
        }
        "malformed-format.json" | "malformed-no-formats.json" => {
            assert_eq!(result.expect_err("malformed").error_type(), "InvalidInput")
        }
        other => panic!("no expectation for fixture {other}"),
    }
}

#[tokio::test]
async fn every_fixture_through_the_handler() {
    let names = testing::fixture_names(DIR, "report-generator");
    assert!(names.len() >= 5, "fixtures found: {names:?}");
    let local = scenario::local();
    finished(&local).await;
    for name in names {
        let payload = testing::fixture(DIR, "report-generator", &name);
        let (guard, logs) = testing::capture_logs();
        let request_id = format!("req-{name}");
        let config = Config {
            table_prefix: "campaign-".into(),
            reports_bucket: "reports".into(),
            link_ttl_secs: 3600,
        };
        let result = handler(
            &deps(&local),
            &config,
            testing::lambda_event(payload, &request_id),
        )
        .await;
        drop(guard);
        if let Ok(r) = &result {
            // The output is a WorkflowState plus the links.
            let json = serde_json::to_vec(r).expect("encode");
            <campaign_core::messages::WorkflowState as campaign_core::messages::Message>::decode(
                &json,
            )
            .expect("a WorkflowState");
        }
        then(&name, &local, result).await;
        testing::assert_no_clear_phone_numbers(&logs);
        for line in logs.lines() {
            assert_eq!(
                line["spans"][0]["request_id"],
                request_id.as_str(),
                "{name}: {line}"
            );
        }
    }
}

#[test]
fn config_reads_its_names_and_bounds_the_link_ttl() {
    let (c, asked) = lambda_kit::config::names_read(&[("REPORTS_BUCKET", "reports")], |l| {
        Config::from_lookup(l)
    });
    let c = c.expect("defaults");
    assert_eq!(c.link_ttl_secs, 43_200);
    assert_eq!(c.reports_bucket, "reports");
    assert_eq!(
        asked,
        report_generator::ENV_VARS
            .iter()
            .map(|v| v.to_string())
            .collect()
    );
    let long = |k: &str| match k {
        "REPORT_LINK_TTL_SECS" => Some("9999999".to_owned()),
        "REPORTS_BUCKET" => Some("reports".to_owned()),
        _ => None,
    };
    assert_eq!(
        Config::from_lookup(&long)
            .expect_err("too long")
            .error_type(),
        "ConfigError"
    );
    assert_eq!(
        Config::from_lookup(&|_| None)
            .expect_err("no bucket")
            .error_type(),
        "ConfigError"
    );
}
