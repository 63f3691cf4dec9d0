//! `report-generator`: the workflow's GenerateReport task (and, later, the
//! API's report download). It collects the campaign's report from the stored
//! rows (`GenerateReport::collect`: every call with its timestamps and
//! outcome, the counts and rates derived from those rows), renders each
//! requested format, stores each under `reports/<campaign>/<time>.<ext>` in
//! the object store, and answers time-limited links.
//!
//! Input: `{"campaign_id": "cmp-1", "formats": ["csv", "xlsx", "pdf"]}`
//! (`formats` optional: all three). A `WorkflowState` is also accepted as it
//! is (its `campaign_id` is read, the other fields ignored), so the state
//! machine can pass the Monitor loop's output straight in.
//!
//! Output: the `WorkflowState` (phase from the campaign's status, contact
//! counts from the report) with `report_url` set, plus `reports`, a map from
//! format to `{key, url, expires_at}`, and the `counts` and `rates`.
//! `report_url` is the PDF's link when a PDF was made (the Notify step emails
//! it, and a PDF opens anywhere), else the XLSX's, else the CSV's.

use std::collections::BTreeMap;
use std::sync::Arc;

use campaign_aws::AwsPorts;
use campaign_core::clock::Clock;
use campaign_core::ids::CampaignId;
use campaign_core::messages::{MESSAGE_VERSION, WorkflowPhase, WorkflowState};
use campaign_core::metrics::{OutcomeCounts, Rates};
use campaign_core::ports::{CallRecordStore, CampaignStore, ContactStore, ObjectStore};
use campaign_core::usecases::load_campaign;
use campaign_core::usecases::report::GenerateReport;
use chrono::{DateTime, Duration, Utc};
use lambda_kit::FunctionError;
use lambda_kit::config::{env_lookup, parsed, required, table_prefix};
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

pub const FUNCTION: &str = "report-generator";

/// Longest link S3 signs (SigV4: 7 days).
pub const MAX_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "REPORTS_BUCKET",
    "REPORT_LINK_TTL_SECS",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
    /// `REPORTS_BUCKET` (required): where the files are stored.
    pub reports_bucket: String,
    /// `REPORT_LINK_TTL_SECS` (43200 = 12 h, at most 604800): how long a link
    /// works. A link signed with the function's role credentials also stops
    /// working when those credentials expire, whichever comes first.
    pub link_ttl_secs: i64,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let link_ttl_secs = parsed(lookup, "REPORT_LINK_TTL_SECS", 12 * 3600)?;
        if !(60..=MAX_LINK_TTL_SECS).contains(&link_ttl_secs) {
            return Err(FunctionError::Config(format!(
                "REPORT_LINK_TTL_SECS must be between 60 and {MAX_LINK_TTL_SECS}"
            )));
        }
        Ok(Self {
            table_prefix: table_prefix(lookup),
            reports_bucket: required(lookup, "REPORTS_BUCKET")?,
            link_ttl_secs,
        })
    }
}

pub struct Deps {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub calls: Arc<dyn CallRecordStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters: DynamoDB campaigns, contacts and call records; the S3
/// reports bucket (put and presigned get); the system clock.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        campaigns: aws.campaigns(),
        contacts: aws.contacts(),
        calls: aws.calls(),
        objects: aws.objects(&config.reports_bucket),
        clock: aws.clock.clone(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

fn all_formats() -> Vec<Format> {
    vec![Format::Csv, Format::Xlsx, Format::Pdf]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub campaign_id: CampaignId,
    #[serde(default = "all_formats")]
    pub formats: Vec<Format>,
}

/// One stored report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub key: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    #[serde(flatten)]
    pub state: WorkflowState,
    pub reports: BTreeMap<Format, StoredReport>,
    pub counts: OutcomeCounts,
    pub rates: Rates,
}

pub fn decode(payload: serde_json::Value) -> Result<Request, FunctionError> {
    let request: Request = serde_json::from_value(payload)
        .map_err(|e| FunctionError::invalid(format!("report request: {e}")))?;
    if request.formats.is_empty() {
        return Err(FunctionError::invalid(
            "formats: ask for at least one of csv, xlsx, pdf",
        ));
    }
    Ok(request)
}

pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<serde_json::Value>,
) -> Result<Response, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    async move {
        let result = generate(deps, config, event.payload).await;
        if let Err(e) = &result {
            tracing::error!(error_type = e.error_type(), error = %e.message_chain(), "report failed");
        }
        result
    }
    .instrument(span)
    .await
}

async fn generate(
    deps: &Deps,
    config: &Config,
    payload: serde_json::Value,
) -> Result<Response, FunctionError> {
    let request = decode(payload)?;
    let id = &request.campaign_id;
    let campaign = load_campaign(&*deps.campaigns, id).await?;
    let report = GenerateReport {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        calls: &*deps.calls,
        objects: &*deps.objects,
        clock: &*deps.clock,
    }
    .collect(id)
    .await?;
    let ttl = Duration::seconds(config.link_ttl_secs);
    let stamp = report.generated_at.format("%Y%m%dT%H%M%SZ");
    let mut formats = request.formats.clone();
    formats.sort();
    formats.dedup();
    let mut reports = BTreeMap::new();
    for format in formats {
        let bytes = match format {
            Format::Csv => report.to_csv(),
            Format::Xlsx => campaign_reports::to_xlsx(&report)
                .map_err(|e| FunctionError::invalid(format!("rendering the XLSX: {e}")))?,
            Format::Pdf => campaign_reports::to_pdf(&report),
        };
        let key = format!("reports/{id}/{stamp}.{}", format.ext());
        let size = bytes.len();
        deps.objects.put(&key, bytes, format.content_type()).await?;
        let url = deps.objects.presign_get(&key, ttl).await?;
        tracing::info!(campaign_id = %id, %key, size, "report stored");
        reports.insert(
            format,
            StoredReport {
                key,
                url,
                expires_at: report.generated_at + ttl,
            },
        );
    }
    let report_url = [Format::Pdf, Format::Xlsx, Format::Csv]
        .iter()
        .find_map(|f| reports.get(f).map(|r| r.url.clone()));
    let state = WorkflowState {
        version: MESSAGE_VERSION,
        campaign_id: id.clone(),
        phase: WorkflowPhase::of(campaign.status),
        campaign_status: campaign.status,
        scheduled_start: campaign.settings.schedule.start,
        dispatched: 0,
        total_contacts: report.contacts.total(),
        terminal_contacts: report.contacts.terminal(),
        report_url,
    };
    tracing::info!(campaign_id = %id, calls = report.calls.len(), formats = reports.len(), "report ready");
    Ok(Response {
        state,
        reports,
        counts: report.counts,
        rates: report.rates,
    })
}
