//! Shared glue for the Lambda functions under `functions/`: everything a
//! function needs between the Lambda runtime and a core use case, and nothing
//! about AWS services (those are adapters behind the core's ports).
//!
//! - [`logging`]: JSON logs for CloudWatch, every line inside the invocation
//!   span (so it carries the request id), phone numbers masked to their last
//!   three digits on the way out.
//! - [`error`]: [`FunctionError`], the one error type handlers return, with a
//!   stable `error_type` for Step Functions `Retry` / `Catch`.
//! - [`sqs`]: decode each SQS record into a message, run one future per record
//!   in a span with its message id, answer with the failed ids.
//! - [`pipe`]: the item the enricher hands the dialer-worker through the Pipe.
//! - [`config`]: reading a function's typed `Config` from the environment.
//! - `testing` (feature `testing`): log capture and Lambda contexts for
//!   handler tests.

pub mod config;
pub mod error;
pub mod logging;
pub mod pipe;
pub mod sqs;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::FunctionError;
pub use logging::{Masked, init_json_tracing, invocation_span, scrub};
