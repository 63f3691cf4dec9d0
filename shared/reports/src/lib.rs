//! Renders a [`CampaignReport`] (built by the core's `GenerateReport::collect`
//! from the stored rows) into the formats a campaign manager downloads:
//!
//! - [`xlsx`]: a workbook with a **Calls** sheet (one row per call attempt and
//!   per contact never dialled because it was blacklisted, the same columns as
//!   the CSV) and a **Summary** sheet (counts, rates, contact statuses).
//! - [`pdf`]: an A4 summary — the counts and rates as a table and a bar chart
//!   of call outcomes drawn with shapes — followed by the call list (first
//!   [`pdf::MAX_PDF_ROWS`] calls, numbers masked; the full list is in the CSV
//!   and the XLSX).
//!
//! The CSV is the core's own `CampaignReport::to_csv`. Pure Rust, no I/O:
//! each renderer returns bytes.

pub mod pdf;
pub mod xlsx;

pub use campaign_core::usecases::report::CampaignReport;
pub use pdf::to_pdf;
pub use xlsx::to_xlsx;

/// A report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The columns of a call row, shared by the XLSX sheet and the core's CSV.
pub const CALL_COLUMNS: [&str; 13] = [
    "call_id",
    "contact_id",
    "phone_number",
    "attempt",
    "purpose",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_secs",
    "outcome",
    "hangup_cause",
    "digits",
    "follow_up",
];

/// The outcome counts in chart and table order, with their labels.
pub fn outcome_rows(report: &CampaignReport) -> Vec<(&'static str, u64)> {
    let c = &report.counts;
    vec![
        ("Answered", c.answered),
        ("Converted (pressed 1)", c.converted),
        ("Opted out (pressed 9)", c.opted_out),
        ("Busy", c.busy),
        ("No answer", c.no_answer),
        ("Failed", c.failed),
        ("Disconnected", c.disconnected),
        ("Blacklisted (never dialled)", c.blacklisted),
    ]
}

/// Every summary line: label and value as text (counts, follow-ups, rates,
/// contact statuses).
pub fn summary_rows(report: &CampaignReport) -> Vec<(&'static str, SummaryValue)> {
    let c = &report.counts;
    let r = &report.rates;
    let s = &report.contacts;
    let mut rows = vec![("Attempts (calls placed)", SummaryValue::Count(c.attempts))];
    rows.extend(
        outcome_rows(report)
            .into_iter()
            .map(|(l, v)| (l, SummaryValue::Count(v))),
    );
    rows.extend([
        ("SMS sent", SummaryValue::Count(c.sms_sent)),
        ("SMS failed", SummaryValue::Count(c.sms_failed)),
        (
            "TTS fallback delivered",
            SummaryValue::Count(c.tts_delivered),
        ),
        ("TTS fallback failed", SummaryValue::Count(c.tts_failed)),
        ("Answer rate", SummaryValue::Rate(r.answer_rate)),
        ("Conversion rate", SummaryValue::Rate(r.conversion_rate)),
        ("Opt-out rate", SummaryValue::Rate(r.opt_out_rate)),
        ("Busy rate", SummaryValue::Rate(r.busy_rate)),
        ("No-answer rate", SummaryValue::Rate(r.no_answer_rate)),
        ("Failure rate", SummaryValue::Rate(r.failure_rate)),
        ("Contacts", SummaryValue::Count(s.total())),
        ("Contacts completed", SummaryValue::Count(s.completed)),
        (
            "Contacts failed (attempts used up)",
            SummaryValue::Count(s.failed),
        ),
        ("Contacts blacklisted", SummaryValue::Count(s.blacklisted)),
        (
            "Contacts still pending",
            SummaryValue::Count(s.pending + s.in_progress),
        ),
    ]);
    rows
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SummaryValue {
    Count(u64),
    /// 0.0–1.0.
    Rate(f64),
}

impl std::fmt::Display for SummaryValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SummaryValue::Count(n) => write!(f, "{n}"),
            SummaryValue::Rate(r) => write!(f, "{:.1} %", r * 100.0),
        }
    }
}

/// A call row's cells as text, in [`CALL_COLUMNS`] order. `phone` decides how
/// the number is shown.
pub fn call_rows(
    report: &CampaignReport,
    phone: impl Fn(&campaign_core::phone::PhoneNumber) -> String,
) -> Vec<[String; 13]> {
    use campaign_core::messages::CallPurpose;
    use campaign_core::outcome::CallOutcome;
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut rows: Vec<[String; 13]> = report
        .calls
        .iter()
        .map(|r| {
            [
                r.call_id.to_string(),
                r.contact_id.to_string(),
                phone(&r.phone),
                r.attempt.to_string(),
                match r.purpose {
                    CallPurpose::Campaign => "campaign".into(),
                    CallPurpose::TtsFallback => "tts_fallback".into(),
                },
                ts(Some(r.created_at)),
                ts(r.answered_at),
                ts(r.ended_at),
                r.duration_secs.map(|d| d.to_string()).unwrap_or_default(),
                r.outcome
                    .map(CallOutcome::as_str)
                    .unwrap_or("in_progress")
                    .into(),
                r.hangup_cause.map(|c| c.to_string()).unwrap_or_default(),
                r.digits.clone(),
                r.follow_up.clone().unwrap_or_default(),
            ]
        })
        .collect();
    rows.extend(report.never_dialled_blacklisted.iter().map(|c| {
        [
            String::new(),
            c.id.to_string(),
            phone(&c.phone),
            "0".into(),
            "campaign".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            CallOutcome::Blacklisted.as_str().into(),
            String::new(),
            String::new(),
            String::new(),
        ]
    }));
    rows
}
