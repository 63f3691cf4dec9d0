//! GIVEN a campaign run to its end on the embedded adapters, WHEN its report
//! is rendered, THEN the XLSX has every call row and the summary, and the
//! PDF is a well-formed document with the expected pages.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use campaign_core::ids::CampaignId;
use campaign_core::usecases::report::CampaignReport;
use campaign_reports::{pdf, to_pdf, to_xlsx};
use lambda_kit::testing::scenario;

async fn finished_report(contacts: usize) -> CampaignReport {
    let local = scenario::local();
    let campaign = scenario::started_campaign(
        &local,
        "Spring appeal",
        &scenario::contacts_csv(contacts, true),
    )
    .await;
    let deadline = local.now() + chrono::Duration::days(3);
    let done = local
        .run_until_finished(std::slice::from_ref(&campaign.id), deadline, |_| {})
        .await
        .expect("run");
    assert!(done, "the campaign finishes within three days");
    report_of(&local, &campaign.id).await
}

async fn report_of(local: &campaign_embedded::runtime::Local, id: &CampaignId) -> CampaignReport {
    local.report().collect(id).await.expect("collect")
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn xlsx_has_every_call_row_and_the_summary() {
    let report = finished_report(40).await;
    let rows = report.calls.len() + report.never_dialled_blacklisted.len();
    assert!(rows >= 41, "every contact was called at least once");

    let bytes = to_xlsx(&report).expect("xlsx");
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("a readable workbook");
    assert_eq!(book.sheet_names(), ["Calls", "Summary"]);

    let calls = book.worksheet_range("Calls").expect("calls sheet");
    let mut lines = calls.rows();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .iter()
        .map(cell_text)
        .collect();
    assert_eq!(header, campaign_reports::CALL_COLUMNS);
    let body: Vec<Vec<String>> = lines.map(|r| r.iter().map(cell_text).collect()).collect();
    assert_eq!(body.len(), rows);
    for record in &report.calls {
        let row = body
            .iter()
            .find(|r| r[0] == record.call_id.as_str())
            .unwrap_or_else(|| panic!("row for {}", record.call_id));
        assert_eq!(
            row[2],
            record.phone.as_str(),
            "numbers are kept whole as text"
        );
        assert_eq!(row[3], record.attempt.to_string());
        let outcome = record.outcome.map(|o| o.as_str()).unwrap_or("in_progress");
        assert_eq!(row[9], outcome);
    }

    let summary = book.worksheet_range("Summary").expect("summary sheet");
    let value_of = |label: &str| {
        summary
            .rows()
            .find(|r| cell_text(&r[0]) == label)
            .map(|r| cell_text(&r[1]))
            .unwrap_or_else(|| panic!("summary row {label}"))
    };
    assert_eq!(value_of("Campaign"), "Spring appeal");
    assert_eq!(
        value_of("Attempts (calls placed)"),
        report.counts.attempts.to_string()
    );
    assert_eq!(value_of("Busy"), report.counts.busy.to_string());
    let answer: f64 = value_of("Answer rate").parse().expect("a number");
    assert!((answer - report.rates.answer_rate).abs() < 1e-9);
}

#[tokio::test]
async fn pdf_is_well_formed_with_a_page_per_block_of_calls() {
    let report = finished_report(60).await;
    let rows = report.calls.len() + report.never_dialled_blacklisted.len();
    let bytes = to_pdf(&report);
    assert!(bytes.starts_with(b"%PDF-"), "a PDF header");
    let doc = lopdf::Document::load_mem(&bytes).expect("lopdf parses it");
    assert_eq!(doc.get_pages().len(), pdf::page_count(rows));
    assert!(
        doc.get_pages().len() >= 3,
        "a summary page and at least two pages of calls"
    );

    if let Ok(dir) = std::env::var("REPORT_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("report.pdf"), &bytes).expect("write");
    }
}

#[tokio::test]
async fn an_empty_campaign_still_renders() {
    let local = scenario::local();
    let campaign = scenario::draft_campaign(&local, "Empty", "phone\n").await;
    let report = report_of(&local, &campaign.id).await;
    let pdf_bytes = to_pdf(&report);
    let doc = lopdf::Document::load_mem(&pdf_bytes).expect("parses");
    assert_eq!(doc.get_pages().len(), 1);
    let xlsx = to_xlsx(&report).expect("xlsx");
    let mut book = Xlsx::new(Cursor::new(xlsx)).expect("readable");
    assert_eq!(
        book.worksheet_range("Calls").expect("calls").rows().count(),
        1
    );
}
