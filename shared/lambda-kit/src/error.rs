//! The error every handler returns. Its `error_type` is a stable name that
//! Step Functions `Retry` / `Catch` (`ErrorEquals`) and alarms can match; the
//! message carries the cause chain, scrubbed of phone numbers.
//!
//! | error_type | retry? | when |
//! |---|---|---|
//! | `TransientDependencyError` | yes | a store, queue or provider is throttled, timed out or down |
//! | `Conflict` | yes | a conditional write kept losing to concurrent writers |
//! | `CampaignNotFound` | no | the campaign id names no campaign |
//! | `NotFound` | no | another record (contact, call) is missing |
//! | `InvalidCampaign` | no | the campaign's settings cannot run (every problem listed) |
//! | `IllegalLifecycleMove` | no | the campaign's status does not allow the move (e.g. start a completed campaign) |
//! | `InvalidInput` | no | the event itself is malformed (bad JSON, unknown task, wrong version) |
//! | `DependencyError` | no | an adapter refused the request (not transient) |
//! | `ImportFailed` | no | a file could not be read |
//! | `ConfigError` | no | the function's environment is incomplete |

use campaign_core::usecases::UseCaseError;
use lambda_runtime::Diagnostic;

use crate::logging::scrub;

#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The event could not be understood; retrying cannot help.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    UseCase(#[from] UseCaseError),
}

impl FunctionError {
    pub fn invalid(message: impl Into<String>) -> Self {
        FunctionError::InvalidInput(message.into())
    }

    /// The stable name (see the module table).
    pub fn error_type(&self) -> &'static str {
        match self {
            FunctionError::InvalidInput(_) => "InvalidInput",
            FunctionError::Config(_) => "ConfigError",
            FunctionError::UseCase(UseCaseError::NotFound {
                what: "campaign", ..
            }) => "CampaignNotFound",
            FunctionError::UseCase(UseCaseError::Invalid(_)) => "InvalidCampaign",
            FunctionError::UseCase(e) => e.error_type(),
        }
    }

    /// Whether the same input may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self.error_type(), "TransientDependencyError" | "Conflict")
    }

    /// The message with its causes, `: `-joined, phone numbers masked.
    pub fn message_chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let part = cause.to_string();
            // `transparent` variants repeat their source's text.
            if !text.ends_with(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            source = cause.source();
        }
        scrub(&text)
    }
}

impl From<campaign_core::ports::PortError> for FunctionError {
    fn from(error: campaign_core::ports::PortError) -> Self {
        FunctionError::UseCase(error.into())
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.message_chain(),
        }
    }
}

#[cfg(test)]
mod tests {
    use campaign_core::campaign::{CampaignStatus, LifecycleAction, transition};
    use campaign_core::ports::PortError;

    use super::*;

    #[test]
    fn error_types_are_stable_names() {
        let cases: Vec<(FunctionError, &str, bool)> = vec![
            (
                PortError::Unavailable("throttled".into()).into(),
                "TransientDependencyError",
                true,
            ),
            (PortError::Conflict("lost".into()).into(), "Conflict", true),
            (
                PortError::Other("denied".into()).into(),
                "DependencyError",
                false,
            ),
            (
                UseCaseError::NotFound {
                    what: "campaign",
                    id: "c-1".into(),
                }
                .into(),
                "CampaignNotFound",
                false,
            ),
            (
                UseCaseError::NotFound {
                    what: "contact",
                    id: "x".into(),
                }
                .into(),
                "NotFound",
                false,
            ),
            (
                UseCaseError::Invalid(vec!["pace: too slow".into()]).into(),
                "InvalidCampaign",
                false,
            ),
            (FunctionError::invalid("bad json"), "InvalidInput", false),
        ];
        for (error, name, retry) in cases {
            assert_eq!(error.error_type(), name, "{error}");
            assert_eq!(error.is_retryable(), retry, "{error}");
            let d = Diagnostic::from(error);
            assert_eq!(d.error_type, name);
        }
        let illegal = transition(CampaignStatus::Completed, LifecycleAction::Resume)
            .expect_err("completed cannot resume");
        assert_eq!(
            FunctionError::from(UseCaseError::from(illegal)).error_type(),
            "IllegalLifecycleMove"
        );
    }

    #[test]
    fn diagnostic_message_masks_numbers() {
        let e = FunctionError::from(UseCaseError::NotFound {
            what: "contact",
            id: "cmp-1-972502345678".into(),
        });
        let d = Diagnostic::from(e);
        assert!(
            d.error_message.contains("cmp-1-*********678"),
            "{}",
            d.error_message
        );
    }
}
