//! Amazon Connect as a carrier: the core's `Telephony` port over
//! `StartOutboundVoiceContact` (and `StopContact` for hang-ups). The call
//! runs in a Connect contact flow (sample in `infra/connect/`), which calls
//! the `connect-hooks` Lambda for look-ups, key presses and the outcome.
//!
//! Modules:
//! - [`carrier`]: `TELEPHONY_PROVIDER` read, and the port built, for the
//!   functions that place calls.
//! - [`config`]: the settings and the environment they come from.
//! - [`pacing`]: keeping under Connect's API rate (per process, and
//!   optionally across every process through the shared `Counters`).
//! - [`telephony`]: the adapter: request shape, idempotency (`ClientToken` =
//!   the call attempt id), error mapping.

pub mod carrier;
pub mod config;
pub mod pacing;
pub mod telephony;

pub use config::{ConnectConfig, ENV_VARS};
pub use pacing::{Pacer, SharedRate};
pub use telephony::ConnectTelephony;
