//! Use cases: the code each Lambda function (and the local runtime) wraps one
//! to one. Each is a small struct holding only the ports it needs.
//!
//! - [`lifecycle`]: create, validate, schedule, start, pause, resume, cancel,
//!   complete, fail, archive (guarded, audited).
//! - [`contacts`]: import a contact file into a campaign.
//! - [`dispatch`]: queue due contacts as dial tasks, best first.
//! - [`enrich`]: drop tasks that must no longer be dialled; attach settings.
//! - [`dial`]: pacing slots and exactly-once origination.
//! - [`pace_control`]: the adaptive pace, shared by every dialer worker.
//! - [`recheck`]: a queued originate command's not-after time, and the
//!   carrier's re-check of it just before dialling.
//! - [`call_events`]: call records, slots, retries, contact completion.
//! - [`follow_up`]: the key-1 SMS and its TTS fallback.
//! - [`optout`]: the do-not-call list (key 9, admin adds, imports).
//! - [`progress`]: is the campaign done.
//! - [`report`]: the campaign report (CSV) and its link.
//! - [`blacklist_admin`]: one number's history; the list as CSV.
//! - [`call_manager`]: the `004_*` call-manager API (initiate, callback).
//! - [`campaign_edit`]: edits with the impact rules for running campaigns; clones.
//! - [`metrics_query`]: live, aggregate, compared and daily metrics.
//! - [`uploaded_import`]: import records (direct and presigned uploads), run
//!   once under at-least-once delivery, with a pollable status.

pub mod blacklist_admin;
pub mod call_events;
pub mod call_manager;
pub mod campaign_edit;
pub mod contacts;
pub mod dial;
pub mod dispatch;
pub mod enrich;
pub mod follow_up;
pub mod lifecycle;
pub mod metrics_query;
pub mod optout;
pub mod pace_control;
pub mod progress;
pub mod recheck;
pub mod report;
pub mod uploaded_import;

use crate::campaign::LifecycleError;
use crate::import::ImportError;
use crate::ports::PortError;

/// Why a use case failed. `Port(Unavailable)` is the only transient kind.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error("invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Port(#[from] PortError),
}

impl UseCaseError {
    pub fn is_transient(&self) -> bool {
        matches!(self, UseCaseError::Port(e) if e.is_transient())
    }

    /// A stable name for logs and Step Functions `ErrorEquals`.
    pub fn error_type(&self) -> &'static str {
        match self {
            UseCaseError::NotFound { .. } => "NotFound",
            UseCaseError::Lifecycle(_) => "IllegalLifecycleMove",
            UseCaseError::Invalid(_) => "InvalidInput",
            UseCaseError::Import(_) => "ImportFailed",
            UseCaseError::Port(PortError::Unavailable(_)) => "TransientDependencyError",
            UseCaseError::Port(PortError::Conflict(_)) => "Conflict",
            UseCaseError::Port(_) => "DependencyError",
        }
    }
}

pub type UseCaseResult<T> = Result<T, UseCaseError>;

/// Reads a campaign that must exist.
pub async fn load_campaign(
    store: &dyn crate::ports::CampaignStore,
    id: &crate::ids::CampaignId,
) -> UseCaseResult<crate::campaign::Campaign> {
    store.get(id).await?.ok_or_else(|| UseCaseError::NotFound {
        what: "campaign",
        id: id.to_string(),
    })
}

/// Counter keys for live metrics, shared by writers and readers.
pub mod keys {
    use crate::ids::CampaignId;

    pub fn slots(campaign: &CampaignId) -> String {
        format!("slots/{campaign}")
    }
    pub fn rate(campaign: &CampaignId) -> String {
        format!("rate/{campaign}")
    }
    pub fn metric(campaign: &CampaignId, field: &str) -> String {
        format!("metrics/{campaign}/{field}")
    }
    /// One day's count of `field` (an outcome or a follow-up result) for
    /// the calls placed that day (UTC): the metrics history reads these.
    pub fn daily(campaign: &CampaignId, date: chrono::NaiveDate, field: &str) -> String {
        format!("daily/{campaign}/{date}/{field}")
    }
    pub fn event_seen(consumer: &str, event_id: &str) -> String {
        format!("seen/{consumer}/{event_id}")
    }
}
