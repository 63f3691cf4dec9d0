//! How an AWS SDK failure becomes a [`PortError`]: throttling, time-outs,
//! network failures and 5xx answers are transient (`Unavailable`, retry
//! with backoff); a lost conditional write is a `Conflict`; a missing
//! resource is `NotFound`; a request the service refuses is `Invalid`.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use campaign_core::ports::PortError;

/// Error codes AWS services use for "slow down" and "try again".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "LimitExceededException",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceFailureException",
    "KMSThrottlingException",
];

/// One failed AWS call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// Throttled, timed out, network failure or a 5xx answer.
    #[error("{operation}: transient failure: {message}")]
    Transient { operation: String, message: String },
    /// A condition of a write did not hold.
    #[error("{operation}: condition failed: {message}")]
    ConditionFailed { operation: String, message: String },
    #[error("{operation}: not found: {message}")]
    NotFound { operation: String, message: String },
    /// The service refused the request as invalid.
    #[error("{operation}: invalid request ({code}): {message}")]
    Invalid {
        operation: String,
        code: String,
        message: String,
    },
    /// Anything else (a bug, a permission, a stored item we cannot read).
    #[error("{operation}: {message}")]
    Other { operation: String, message: String },
}

impl AwsError {
    pub fn other(operation: &str, message: impl Into<String>) -> Self {
        AwsError::Other {
            operation: operation.to_owned(),
            message: message.into(),
        }
    }

    /// An item in a table that does not decode (corrupt or from another
    /// version of the code).
    pub fn corrupt(operation: &str, what: impl std::fmt::Display) -> Self {
        Self::other(operation, format!("stored item cannot be read: {what}"))
    }

    /// Worth retrying with backoff.
    pub fn is_transient(&self) -> bool {
        matches!(self, AwsError::Transient { .. })
    }
}

impl From<AwsError> for PortError {
    fn from(e: AwsError) -> Self {
        let text = e.to_string();
        match e {
            AwsError::Transient { .. } => PortError::Unavailable(text),
            AwsError::ConditionFailed { .. } => PortError::Conflict(text),
            AwsError::NotFound { .. } => PortError::NotFound(text),
            AwsError::Invalid { .. } => PortError::Invalid(text),
            AwsError::Other { .. } => PortError::Other(text),
        }
    }
}

/// The service's error code of a failed call, if the service answered.
pub fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}

/// Classifies an SDK failure of `operation`.
pub fn classify<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let operation = operation.to_owned();
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            AwsError::Transient {
                operation,
                message: describe(&err),
            }
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or("").to_owned();
            let message = service
                .err()
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| describe(&err));
            let message = if code.is_empty() {
                format!("HTTP {status}: {message}")
            } else {
                format!("{code}: {message}")
            };
            if status >= 500 || status == 429 || TRANSIENT_CODES.contains(&code.as_str()) {
                AwsError::Transient { operation, message }
            } else if code == "ConditionalCheckFailedException" {
                AwsError::ConditionFailed { operation, message }
            } else if code == "ResourceNotFoundException"
                || code == "NotFound"
                || code == "NoSuchKey"
                || code == "NoSuchBucket"
                || code.starts_with("AWS.SimpleQueueService.NonExistentQueue")
                || code == "QueueDoesNotExist"
                || status == 404
            {
                AwsError::NotFound { operation, message }
            } else if code.contains("Validation")
                || code.starts_with("Invalid")
                || code.contains("InvalidParameter")
            {
                AwsError::Invalid {
                    operation,
                    code,
                    message,
                }
            } else {
                AwsError::Other { operation, message }
            }
        }
        _ => AwsError::Other {
            operation,
            message: describe(&err),
        },
    }
}

/// The full chain of causes (the SDK's top-level text is often only
/// "dispatch failure").
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `classify` then into a [`PortError`], for `map_err`.
pub fn port_err<E>(operation: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |err| classify(operation, err).into()
}
