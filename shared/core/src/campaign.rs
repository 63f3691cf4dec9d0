//! Campaigns: their settings and the guarded lifecycle
//! draft → scheduled → active ⇄ paused → completed / cancelled / failed → archived.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::CampaignId;
use crate::ivr::IvrFlow;
use crate::pacing::PaceLimits;
use crate::retry::RetryPolicy;
use crate::schedule::Schedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    Voice,
    Sms,
    Hybrid,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Active,
    Paused,
    Completed,
    Cancelled,
    Failed,
    Archived,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Cancelled => "cancelled",
            CampaignStatus::Failed => "failed",
            CampaignStatus::Archived => "archived",
        }
    }

    /// No more calls will ever be placed.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            CampaignStatus::Completed
                | CampaignStatus::Cancelled
                | CampaignStatus::Failed
                | CampaignStatus::Archived
        )
    }
}

impl std::fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A requested lifecycle move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAction {
    Schedule,
    Start,
    Pause,
    Resume,
    Cancel,
    /// Set by the system when every contact is terminal or the end is reached.
    Complete,
    /// Set by the workflow's failure branch.
    Fail,
    Archive,
}

impl LifecycleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Schedule => "schedule",
            LifecycleAction::Start => "start",
            LifecycleAction::Pause => "pause",
            LifecycleAction::Resume => "resume",
            LifecycleAction::Cancel => "cancel",
            LifecycleAction::Complete => "complete",
            LifecycleAction::Fail => "fail",
            LifecycleAction::Archive => "archive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a campaign that is {from}", action = .action.as_str())]
pub struct LifecycleError {
    pub from: CampaignStatus,
    pub action: LifecycleAction,
}

/// The lifecycle guard: the status an action leads to, or why it may not.
pub fn transition(
    from: CampaignStatus,
    action: LifecycleAction,
) -> Result<CampaignStatus, LifecycleError> {
    use CampaignStatus as S;
    use LifecycleAction as A;
    let to = match (from, action) {
        (S::Draft, A::Schedule) => S::Scheduled,
        (S::Draft | S::Scheduled, A::Start) => S::Active,
        (S::Active, A::Pause) => S::Paused,
        (S::Paused, A::Resume) => S::Active,
        (S::Draft | S::Scheduled | S::Active | S::Paused, A::Cancel) => S::Cancelled,
        (S::Active | S::Paused, A::Complete) => S::Completed,
        (S::Draft | S::Scheduled | S::Active | S::Paused, A::Fail) => S::Failed,
        (S::Completed | S::Cancelled | S::Failed, A::Archive) => S::Archived,
        _ => return Err(LifecycleError { from, action }),
    };
    Ok(to)
}

/// Which carrier places the calls.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    #[default]
    Asterisk,
    Connect,
}

/// Everything a campaign manager configures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignSettings {
    /// The message played on answer (`sound:…`, `recording:…` or an https URL).
    pub audio: Option<String>,
    /// The IVR flow; the standard flow (1 donate, 9 opt out) when absent.
    pub ivr: Option<IvrFlow>,
    /// SMS text for the key-1 follow-up, with `{{variables}}`.
    pub sms_template: Option<String>,
    /// Text spoken on the TTS fallback call; the SMS text when absent.
    pub tts_template: Option<String>,
    pub schedule: Schedule,
    pub pace: PaceLimits,
    pub retry: RetryPolicy,
    #[serde(default)]
    pub carrier: Carrier,
    pub caller_id: Option<String>,
    /// How long a call may ring before it counts as no answer.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_secs: u32,
}

fn default_ring_timeout() -> u32 {
    30
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub status: CampaignStatus,
    pub settings: CampaignSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    /// Bumped on every write; stores use it for optimistic concurrency.
    pub version: u64,
}

impl Campaign {
    /// Whether new calls may be placed for this campaign at `at`
    /// (active and not past its end). Windows are per contact, see `eligibility`.
    pub fn is_dialling(&self, at: DateTime<Utc>) -> bool {
        self.status == CampaignStatus::Active && !self.settings.schedule.has_ended(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CampaignStatus; 8] = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
        CampaignStatus::Failed,
        CampaignStatus::Archived,
    ];

    #[test]
    fn a_completed_campaign_cannot_be_resumed_started_or_paused() {
        for action in [
            LifecycleAction::Resume,
            LifecycleAction::Start,
            LifecycleAction::Pause,
        ] {
            let err = transition(CampaignStatus::Completed, action).unwrap_err();
            assert_eq!(err.from, CampaignStatus::Completed);
        }
    }

    #[test]
    fn pause_and_resume_round_trip() {
        let paused = transition(CampaignStatus::Active, LifecycleAction::Pause).unwrap();
        assert_eq!(
            transition(paused, LifecycleAction::Resume).unwrap(),
            CampaignStatus::Active
        );
    }

    #[test]
    fn finished_campaigns_accept_only_archive_and_archived_accepts_nothing() {
        for from in ALL.into_iter().filter(|s| s.is_finished()) {
            for action in [
                LifecycleAction::Schedule,
                LifecycleAction::Start,
                LifecycleAction::Pause,
                LifecycleAction::Resume,
                LifecycleAction::Cancel,
                LifecycleAction::Complete,
                LifecycleAction::Fail,
            ] {
                assert!(transition(from, action).is_err(), "{from} {action:?}");
            }
        }
        assert!(transition(CampaignStatus::Archived, LifecycleAction::Archive).is_err());
        assert!(transition(CampaignStatus::Active, LifecycleAction::Archive).is_err());
    }

    #[test]
    fn error_message_names_the_move() {
        let err = transition(CampaignStatus::Completed, LifecycleAction::Resume).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resume a campaign that is completed"
        );
    }
}
