//! AWS adapters for the ports of `campaign-core`: DynamoDB stores, the SQS
//! dial queue, the SNS event bus and SMS gateway, the S3 object store,
//! Secrets Manager secrets and the Polly speech synthesizer, plus the
//! originate queue to the Asterisk bridges ([`telephony`]), an HTTP SMS
//! provider ([`http_sms`]) and [`wiring`], which builds them for a function. Each passes the
//! same contract suites as the embedded adapters (`tests/emulator.rs`, run
//! against a local moto server by `tests/run`).
//!
//! Clients are built once ([`config::AwsConfig`] / [`config::Clients`],
//! from the environment, `AWS_ENDPOINT_URL` honoured) and handed to each
//! adapter. SDK failures become [`campaign_core::ports::PortError`]s through
//! [`error::classify`]: throttling, time-outs and 5xx are `Unavailable`, a
//! failed condition is `Conflict`.
//!
//! # Tables (DynamoDB, on demand)
//!
//! Names are `<prefix><name>` ([`dynamodb::TableNames`]). Domain values are
//! stored whole as JSON in a `body` attribute (exact round trip); the
//! attributes that keys, indexes and conditions need are stored beside it.
//!
//! | table | key | other attributes | indexes |
//! |---|---|---|---|
//! | `campaigns` | `id` | `version` (N, the optimistic-lock condition) | `by_created`: `list_pk` (= `campaign`) + `created_key` (`<created time>#<id>`): oldest first |
//! | `contacts` | `campaign_id` + `contact_id` | `status`, `phone` | `due` (sparse, Pending only): `due_pk` (= campaign) + `due_sk` (`<due time>#<id>`, "no time" = `0000-…` sorts first); `by_phone`: `phone` + `campaign_id` |
//! | `blacklist` | `phone` + `sk` | `sk = entry`: the current entry; `sk = h#<time>#<unique>`: history | `entries` (sparse, entries only): `list_pk` (= `entry`) + `phone` |
//! | `call-records` | `call_id` | `state` (the CAS condition), `follow_up` (its own attribute) | `by_campaign`: `campaign_id` + `call_id` |
//! | `audit-log` | `target` + `sk` (`<time>#<unique>`) | | |
//! | `counters` | `pk` + `sk`, TTL on `expires_at` | slots, rate buckets, named counters, seen marks, per-campaign contact status counts | |
//!
//! Times in keys are fixed-width UTC with nanoseconds, so string order is
//! time order. Paging cursors are the `LastEvaluatedKey` as JSON, base64.
//! Every "exactly once" promise is a conditional write: campaign create
//! (`attribute_not_exists`) and update (`version = :expected`), contact
//! status moves (`status = :expected`, in a transaction with the campaign's
//! status counts), blacklist adds (first entry kept), call-record creation
//! (the existing record returned on failure) and state moves, slots, rate
//! buckets and seen marks. See each module for its details, and
//! [`dynamodb::counters`] for the slot design.
//!
//! Listings through an index (`campaigns.list`, `due`, `find_by_phone`,
//! blacklist `list`, call-record `list`) read DynamoDB's global secondary
//! indexes, which are eventually consistent on AWS: a write shows up there
//! within a moment, not at once. Gets, counts, history and the audit log
//! read the table with strong consistency.

pub mod config;
pub mod dynamodb;
pub mod error;
pub mod http_sms;
pub mod polly;
pub mod provision;
pub mod resilience;
pub mod s3;
pub mod secrets;
pub mod sns;
pub mod sqs;
pub mod telephony;
pub mod wiring;

pub use config::{AwsConfig, Clients};
pub use dynamodb::{
    DynamoAuditLog, DynamoBlacklistStore, DynamoCallRecordStore, DynamoCampaignStore,
    DynamoContactStore, DynamoCounters, TableNames,
};
pub use polly::{PollySynthesizer, PollyVoice};
pub use resilience::{CircuitBreaker, Resilience, RetryPolicy};
pub use s3::S3Objects;
pub use secrets::SecretsManagerSecrets;
pub use sns::{SnsEventBus, SnsSms, Topics};
pub use sqs::{SqsDialQueue, SqsDialQueueConsumer, SqsFollowUpQueue};
pub use telephony::SqsOriginateQueue;
pub use wiring::{AwsPorts, RandomIds};
