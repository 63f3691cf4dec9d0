//! The voice-campaign core: domain types, rules and (from the use-case work
//! on) the ports and use cases every Lambda function wraps. No AWS types and
//! no I/O live here; time comes from an injected [`clock::Clock`].
//!
//! Modules:
//! - [`phone`]: E.164 parsing with a default region, line types, masking.
//! - [`import`]: CSV/XLSX contact import, header aliases, dedup, summary.
//! - [`schedule`]: campaign start/end and calling windows per time zone.
//! - [`retry`]: retryable outcomes, max attempts, `004_*` day-and-time rules.
//! - [`blacklist`]: do-not-call entries and their sources.
//! - [`ivr`]: the IVR flow definition, its validation and a pure engine.
//! - [`template`]: `{{variable}}` SMS/TTS templates.
//! - [`pacing`]: calls-per-second and concurrency admission, adaptive pace.
//! - [`metrics`]: outcome counts and the rates derived from them.
//! - [`optimal_time`]: best hour-of-week per contact, population prior.
//! - [`campaign`], [`contact`], [`outcome`], [`ids`]: domain types and the
//!   campaign lifecycle guard.
//! - [`eligibility`]: the dial gate every path applies before calling.
//! - [`clock`]: the `Clock` capability (system and manual clocks).
//! - [`messages`]: versioned message contracts (dial task, call / donation /
//!   opt-out events, originate command, workflow input and state).
//! - [`ports`]: one small async trait per capability the use cases need.
//! - [`usecases`]: what each Lambda function wraps one to one.
//! - [`call_session`]: one carrier call driven through the IVR engine: the
//!   events a telephony bridge publishes and the outcome it reports.
//! - [`host_health`]: telephony host load shared through the `Counters` port.
//! - `contracts` (feature `contract-tests`): the port contract suites.

pub mod blacklist;
pub mod call_session;
pub mod campaign;
pub mod clock;
pub mod contact;
#[cfg(feature = "contract-tests")]
pub mod contracts;
pub mod eligibility;
pub mod host_health;
pub mod ids;
pub mod import;
pub mod ivr;
pub mod messages;
pub mod metrics;
pub mod optimal_time;
pub mod outcome;
pub mod pacing;
pub mod phone;
pub mod ports;
pub mod retry;
pub mod schedule;
pub mod template;
pub mod usecases;
