//! Metrics and reports, on a campaign the pipeline has run for a while.

mod common;

use axum::http::StatusCode;
use campaign_api::auth::Role;
use common::{Harness, contacts_csv};
use serde_json::json;

#[tokio::test]
async fn live_metrics_move_as_the_pipeline_calls() {
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(6)).await;
    let analyst = h.token(Role::Analyst);
    let path = format!("/api/campaigns/{id}/metrics");
    let before = h.call("GET", &path, Some(&analyst), None).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    assert_eq!(before.json()["live"]["counts"]["attempts"], 0);
    assert_eq!(before.json()["contacts"]["pending"], 6);
    h.run_for(20).await;
    let during = h.call("GET", &path, Some(&analyst), None).await.json();
    assert!(
        during["live"]["active_calls"].as_u64().unwrap_or(0) > 0,
        "{during}"
    );
    // The pace in force and the configured one are 10 calls/s; the
    // measured rate counts starts over the last 10 s, and the 6 contacts
    // were all dialled in the first seconds, so it is at most the pace.
    assert_eq!(during["live"]["configured_pace_cps"], 10);
    assert_eq!(during["live"]["pace_in_force_cps"], 10);
    let measured = during["live"]["dialling_rate_cps"].as_f64().unwrap_or(-1.0);
    assert!((0.0..=10.0).contains(&measured), "{during}");
    h.run_for(600).await;
    let after = h.call("GET", &path, Some(&analyst), None).await.json();
    let attempts = after["live"]["counts"]["attempts"].as_u64().unwrap_or(0);
    assert!(attempts >= 6, "{after}");
    let rate = after["live"]["rates"]["answer_rate"]
        .as_f64()
        .unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&rate));
    let r = h
        .call(
            "GET",
            "/api/campaigns/cmp-missing/metrics",
            Some(&analyst),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn aggregate_sums_campaigns_and_compare_needs_two() {
    let h = Harness::new();
    let a = h.running_campaign(&contacts_csv(3)).await;
    let b = h.create_campaign("Idle").await;
    h.run_for(600).await;
    let t = h.token(Role::Analyst);
    let r = h.call("GET", "/api/metrics", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let all = r.json();
    assert_eq!(all["campaigns"], 2);
    let one = h
        .call(
            "GET",
            &format!("/api/campaigns/{a}/metrics"),
            Some(&t),
            None,
        )
        .await
        .json();
    assert_eq!(
        all["counts"], one["live"]["counts"],
        "the idle campaign adds nothing"
    );
    let r = h
        .call(
            "GET",
            &format!("/api/metrics/compare?campaign_ids={a},{b}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let side = r.json();
    assert_eq!(side["campaigns"][0]["campaign_id"], a);
    assert_eq!(side["campaigns"][1]["live"]["counts"]["attempts"], 0);
    let r = h
        .call(
            "GET",
            &format!("/api/metrics/compare?campaign_ids={a}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .call(
            "GET",
            &format!("/api/metrics/compare?campaign_ids={a},cmp-missing"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_counts_calls_by_day_and_checks_the_range() {
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(4)).await;
    h.run_for(900).await;
    let t = h.token(Role::Analyst);
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics/history?from=2026-03-01&to=2026-03-03"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let days = r.json()["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0]["counts"]["attempts"], 0);
    assert!(
        days[1]["counts"]["attempts"].as_u64().unwrap_or(0) >= 4,
        "{days:?}"
    );
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics/history?from=2026-03-03&to=2026-03-01"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics/history?from=yesterday&to=2026-03-01"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/metrics/history"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_report_in_each_format_is_stored_linked_and_downloadable() {
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(4)).await;
    h.run_for(900).await;
    let t = h.token(Role::Analyst);
    let mut ids = Vec::new();
    for (format, magic) in [
        ("csv", &b"call_id,"[..]),
        ("xlsx", &b"PK"[..]),
        ("pdf", &b"%PDF"[..]),
    ] {
        let r = h
            .call(
                "POST",
                &format!("/api/campaigns/{id}/reports"),
                Some(&t),
                Some(json!({"format": format})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{format}: {}", r.text());
        let link = r.json();
        assert_eq!(link["status"], "ready");
        assert!(link["counts"]["attempts"].as_u64().unwrap_or(0) >= 4);
        let download = link["download_path"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let file = h.call("GET", &download, Some(&t), None).await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.bytes.starts_with(magic), "{format}");
        ids.push(link["report_id"].as_str().unwrap_or_default().to_owned());
        h.local.clock.advance(chrono::Duration::seconds(1));
    }
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/reports/{}", ids[0]),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json()["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("memory://reports/")
    );
    for bad in ["20990101T000000Z.csv", "nope", "../x.csv"] {
        let r = h
            .call(
                "GET",
                &format!("/api/campaigns/{id}/reports/{bad}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let r = h
        .call(
            "POST",
            &format!("/api/campaigns/{id}/reports"),
            Some(&t),
            Some(json!({"format": "docx"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .call(
            "POST",
            "/api/campaigns/cmp-missing/reports",
            Some(&t),
            Some(json!({"format": "csv"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        h.audit_actions(&format!("campaign/{id}"))
            .await
            .contains(&"report.create".to_owned())
    );
}

#[tokio::test]
async fn the_daily_counters_give_the_history_the_call_records_give() {
    // GIVEN a campaign that ran for three days (retries, follow-ups, several
    // outcomes) and whose call records are all stored
    let h = Harness::new();
    let id = h.running_campaign(&contacts_csv(60)).await;
    h.run_for(3 * 24 * 3600).await;
    let campaign = campaign_core::ids::CampaignId::new(id.clone());
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
    // WHEN the history is read from the per-day counters
    let metrics = h.state.metrics();
    let from_counters = metrics
        .history(&campaign, day(1), day(5))
        .await
        .expect("history");
    // THEN it holds the same numbers the full scan of the records gives
    let from_records = metrics
        .history_from_call_records(&campaign, day(1), day(5))
        .await
        .expect("history from records");
    assert_eq!(from_counters, from_records);
    let total: u64 = from_counters.iter().map(|d| d.counts.attempts).sum();
    assert!(total >= 60, "the campaign called: {from_counters:?}");
    let answered: u64 = from_counters
        .iter()
        .map(|d| d.counts.answered_total())
        .sum();
    assert!(answered > 0, "{from_counters:?}");
    // AND a range with no activity is all zeros, one entry per day
    let quiet = metrics
        .history(&campaign, day(20), day(26))
        .await
        .expect("quiet history");
    assert_eq!(quiet.len(), 7);
    assert!(
        quiet.iter().all(|d| d.counts == Default::default()),
        "{quiet:?}"
    );
    assert_eq!(quiet[0].date, day(20));
}
