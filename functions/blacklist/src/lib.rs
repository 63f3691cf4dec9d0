//! `blacklist`: consumes the `optout-events` SNS topic through its SQS queue
//! (raw delivery). Each record's body is an `OptOutEvent` (key 9, or an
//! administrator's or compliance add); the core's `Blacklisting::opt_out`
//! lists the number with its time, reason and source (idempotently: a repeat
//! keeps the first entry) and marks every unfinished contact with that
//! number blacklisted, in every campaign, at once.
//!
//! Input: an SQS event. Output: `SqsBatchResponse` naming the records to
//! deliver again (a failed dependency, or a malformed body, which reaches the
//! dead-letter queue intact after `maxReceiveCount`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::clock::Clock;
use campaign_core::messages::OptOutEvent;
use campaign_core::ports::{AuditLog, BlacklistStore, ContactStore};
use campaign_core::usecases::optout::Blacklisting;
use lambda_kit::sqs::{RecordResult, process_batch};
use lambda_kit::{FunctionError, Masked};
use lambda_runtime::LambdaEvent;
use tracing::Instrument;

use campaign_aws::AwsPorts;
use lambda_kit::config::{env_lookup, table_prefix};

pub const FUNCTION: &str = "blacklist";

/// Opt-outs of one batch handled at once (each is independent and idempotent).
const CONCURRENCY: usize = 10;

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &["CAMPAIGN_TABLE_PREFIX"];

/// The function's settings: only where its tables are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        Ok(Self {
            table_prefix: table_prefix(lookup),
        })
    }
}

pub struct Deps {
    pub blacklist: Arc<dyn BlacklistStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters (DynamoDB stores and the system clock), built once per
/// container.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        blacklist: aws.blacklist(),
        contacts: aws.contacts(),
        audit: aws.audit(),
        clock: aws.clock.clone(),
    })
}

pub async fn handler(
    deps: &Deps,
    _config: &Config,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    let use_case = Blacklisting {
        blacklist: &*deps.blacklist,
        contacts: &*deps.contacts,
        audit: &*deps.audit,
        clock: &*deps.clock,
    };
    let use_case = &use_case;
    process_batch::<OptOutEvent, _, _>(event.payload, CONCURRENCY, |e| async move {
        let out = use_case.opt_out(&e).await?;
        tracing::info!(
            event_id = %e.event_id,
            phone = %Masked(&e.phone_number),
            source = ?e.source,
            newly_listed = out.newly_listed,
            contacts_blocked = out.contacts_blocked,
            "opt-out"
        );
        Ok(RecordResult::Done)
    })
    .instrument(span)
    .await
}
