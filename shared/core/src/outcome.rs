//! Call outcomes: what one call attempt ended as, how the `004_*` call-manager
//! statuses and telephony hang-up causes map onto it, and which are final.

use serde::{Deserialize, Serialize};

/// The result of one call attempt (or of the pre-dial check).
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
pub enum CallOutcome {
    /// Answered and the IVR ran to its end without a conversion or opt-out.
    Answered,
    /// Answered and the recipient pressed the donation key.
    Converted,
    /// Answered and the recipient pressed the opt-out key.
    OptedOut,
    Busy,
    NoAnswer,
    /// The network or carrier could not complete the call.
    Failed,
    /// Answered, then the line dropped before the IVR finished (`004_*` DISCONNECTED).
    Disconnected,
    /// Never dialled: the number is on the do-not-call list.
    Blacklisted,
    /// Never dialled: the carrier refused a command that had waited past its
    /// not-after time or was no longer allowed (outside the contact's
    /// calling window, campaign not active). Not an attempt for the retry
    /// rules: the contact goes back to pending (see `call_events`).
    NotPlaced,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 9] = [
        CallOutcome::Answered,
        CallOutcome::Converted,
        CallOutcome::OptedOut,
        CallOutcome::Busy,
        CallOutcome::NoAnswer,
        CallOutcome::Failed,
        CallOutcome::Disconnected,
        CallOutcome::Blacklisted,
        CallOutcome::NotPlaced,
    ];

    /// Outcomes of a command the carrier never dialled.
    pub fn is_never_dialled(self) -> bool {
        matches!(self, CallOutcome::Blacklisted | CallOutcome::NotPlaced)
    }

    /// Outcomes in which a person picked up.
    pub fn is_answered(self) -> bool {
        matches!(
            self,
            CallOutcome::Answered
                | CallOutcome::Converted
                | CallOutcome::OptedOut
                | CallOutcome::Disconnected
        )
    }

    /// Outcomes that a retry policy may retry (the default `retry_on` set).
    pub fn is_retryable_by_default(self) -> bool {
        matches!(
            self,
            CallOutcome::Busy
                | CallOutcome::NoAnswer
                | CallOutcome::Failed
                | CallOutcome::Disconnected
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Converted => "converted",
            CallOutcome::OptedOut => "opted_out",
            CallOutcome::Busy => "busy",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::Failed => "failed",
            CallOutcome::Disconnected => "disconnected",
            CallOutcome::Blacklisted => "blacklisted",
            CallOutcome::NotPlaced => "not_placed",
        }
    }

    /// Maps an ISDN Q.850 hang-up cause of an unanswered call to an outcome.
    /// Causes of answered calls are decided by the IVR, not here.
    pub fn from_q850_unanswered(cause: u16) -> CallOutcome {
        match cause {
            17 => CallOutcome::Busy,
            // 18 no user responding, 19 no answer, 21 call rejected (declined
            // while ringing), 31 normal unspecified before answer.
            18 | 19 | 21 | 31 => CallOutcome::NoAnswer,
            _ => CallOutcome::Failed,
        }
    }
}

impl std::fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The call-manager API statuses of `004_*`, exactly as written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallManagerStatus {
    Picked,
    Disconnected,
    Rnr,
    Failed,
}

impl From<CallManagerStatus> for CallOutcome {
    fn from(s: CallManagerStatus) -> Self {
        match s {
            CallManagerStatus::Picked => CallOutcome::Answered,
            CallManagerStatus::Disconnected => CallOutcome::Disconnected,
            CallManagerStatus::Rnr => CallOutcome::NoAnswer,
            CallManagerStatus::Failed => CallOutcome::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_manager_statuses_map_to_retryable_outcomes_except_picked() {
        assert!(!CallOutcome::from(CallManagerStatus::Picked).is_retryable_by_default());
        for s in [
            CallManagerStatus::Disconnected,
            CallManagerStatus::Rnr,
            CallManagerStatus::Failed,
        ] {
            assert!(CallOutcome::from(s).is_retryable_by_default(), "{s:?}");
        }
    }

    #[test]
    fn q850_causes_map_to_outcomes() {
        assert_eq!(CallOutcome::from_q850_unanswered(17), CallOutcome::Busy);
        assert_eq!(CallOutcome::from_q850_unanswered(19), CallOutcome::NoAnswer);
        assert_eq!(CallOutcome::from_q850_unanswered(1), CallOutcome::Failed);
        assert_eq!(CallOutcome::from_q850_unanswered(34), CallOutcome::Failed);
    }

    #[test]
    fn outcome_serialises_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&CallOutcome::NoAnswer).unwrap(),
            "\"no_answer\""
        );
        assert_eq!(
            serde_json::to_string(&CallManagerStatus::Rnr).unwrap(),
            "\"RNR\""
        );
    }
}
