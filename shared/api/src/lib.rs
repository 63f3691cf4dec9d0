//! The HTTP API of the platform: the dashboard's REST routes and the
//! call-manager v1 API of `004_*`, as one axum router that runs inside
//! Lambda (`functions/api-handler`, AWS adapters, claims from API Gateway)
//! and as a local server (`campaign serve`, embedded adapters, development
//! tokens). Handlers decode, call a core use case, encode; the rules live in
//! `campaign-core`.
//!
//! Modules:
//! - [`routes`]: the router, the route table ([`routes::ROUTES`]) and each
//!   resource's handlers (campaigns, contacts, blacklist, audio, metrics,
//!   reports, v1).
//! - [`auth`]: principals and roles, development JWTs, API Gateway claims,
//!   the role guard [`auth::Allowed`], the constant-time token check.
//! - [`error`]: the one error shape `{"error": {"code", "message", "details"}}`.
//! - [`extract`]: extractors that fail in that shape (JSON with field paths,
//!   query, path, raw files) and respect the body limits.
//! - [`state`]: the ports and settings the routes run on.
//!
//! The OpenAPI 3 document is `openapi.json` beside this crate, served at
//! `/openapi.json`.

pub mod auth;
pub mod error;
pub mod extract;
pub mod routes;
pub mod state;

pub use error::ApiError;
pub use routes::{OPENAPI_JSON, ROUTES, router};
pub use state::{ApiConfig, ApiState};
