//! What a function's `build_deps` needs: the AWS clients built once per
//! container and a constructor per adapter, so each function asks for the
//! ports it uses (and its IAM policy grants only those) without repeating
//! how an adapter is put together.

use std::sync::Arc;

use campaign_core::clock::{Clock, SystemClock};
use campaign_core::ports::IdGenerator;
use rand::Rng;

use crate::config::Clients;
use crate::dynamodb::{
    DynamoAuditLog, DynamoBlacklistStore, DynamoCallRecordStore, DynamoCampaignStore,
    DynamoContactStore, DynamoCounters, TableNames,
};
use crate::resilience::Resilience;
use crate::s3::S3Objects;
use crate::secrets::SecretsManagerSecrets;
use crate::sns::{SnsEventBus, Topics};
use crate::sqs::SqsDialQueue;
use crate::telephony::SqsOriginateQueue;

/// How long a secret is kept before it is read again (a rotation shows up
/// within this).
pub const SECRET_TTL_SECS: i64 = 300;

#[derive(Clone)]
pub struct AwsPorts {
    pub clients: Clients,
    /// The configuration the clients came from (for a client of a service
    /// built elsewhere, e.g. Connect); `None` when built from clients alone.
    pub sdk_config: Option<aws_config::SdkConfig>,
    pub tables: TableNames,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AwsPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsPorts")
            .field("tables", &self.tables)
            .finish_non_exhaustive()
    }
}

impl AwsPorts {
    /// Clients from the environment (`AWS_ENDPOINT_URL` honoured), tables
    /// `<table_prefix><name>`, the system clock.
    pub async fn connect(table_prefix: &str) -> Self {
        let sdk = crate::config::AwsConfig::default().sdk_config().await;
        let mut ports = Self::new(Clients::new(&sdk), table_prefix, Arc::new(SystemClock));
        ports.sdk_config = Some(sdk);
        ports
    }

    pub fn new(clients: Clients, table_prefix: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            clients,
            sdk_config: None,
            tables: TableNames::with_prefix(table_prefix),
            clock,
        }
    }

    pub fn campaigns(&self) -> Arc<DynamoCampaignStore> {
        Arc::new(DynamoCampaignStore::new(
            self.clients.dynamodb.clone(),
            &self.tables.campaigns,
        ))
    }

    pub fn contacts(&self) -> Arc<DynamoContactStore> {
        Arc::new(DynamoContactStore::new(
            self.clients.dynamodb.clone(),
            &self.tables.contacts,
            &self.tables.counters,
        ))
    }

    pub fn blacklist(&self) -> Arc<DynamoBlacklistStore> {
        Arc::new(DynamoBlacklistStore::new(
            self.clients.dynamodb.clone(),
            &self.tables.blacklist,
        ))
    }

    pub fn calls(&self) -> Arc<DynamoCallRecordStore> {
        Arc::new(DynamoCallRecordStore::new(
            self.clients.dynamodb.clone(),
            &self.tables.call_records,
        ))
    }

    pub fn audit(&self) -> Arc<DynamoAuditLog> {
        Arc::new(DynamoAuditLog::new(
            self.clients.dynamodb.clone(),
            &self.tables.audit,
        ))
    }

    pub fn counters(&self) -> Arc<DynamoCounters> {
        Arc::new(DynamoCounters::new(
            self.clients.dynamodb.clone(),
            &self.tables.counters,
        ))
    }

    pub fn dial_queue(&self, queue_url: &str) -> Arc<SqsDialQueue> {
        Arc::new(SqsDialQueue::new(self.clients.sqs.clone(), queue_url))
    }

    /// The follow-up queue, for events whose TTS call must wait.
    pub fn follow_up_queue(&self, queue_url: &str) -> Arc<crate::sqs::SqsFollowUpQueue> {
        Arc::new(crate::sqs::SqsFollowUpQueue::new(
            self.clients.sqs.clone(),
            queue_url,
            self.clock.clone(),
        ))
    }

    pub fn events(&self, topics: Topics) -> Arc<SnsEventBus> {
        Arc::new(SnsEventBus::new(self.clients.sns.clone(), topics))
    }

    pub fn objects(&self, bucket: &str) -> Arc<S3Objects> {
        Arc::new(S3Objects::new(self.clients.s3.clone(), bucket))
    }

    pub fn secrets(&self) -> Arc<SecretsManagerSecrets> {
        Arc::new(SecretsManagerSecrets::new(
            self.clients.secrets.clone(),
            self.clock.clone(),
            chrono::Duration::seconds(SECRET_TTL_SECS),
        ))
    }

    /// Time limit, backoff and a circuit breaker for one provider (each
    /// provider gets its own breaker).
    pub fn resilience(&self) -> Arc<Resilience> {
        Arc::new(Resilience::new(self.clock.clone()))
    }

    /// The Asterisk carrier: commands to the originate queue.
    pub fn originate_queue(&self, queue_url: &str) -> Arc<SqsOriginateQueue> {
        Arc::new(SqsOriginateQueue::new(
            self.clients.sqs.clone(),
            queue_url,
            self.resilience(),
        ))
    }
}

/// Random ids (`<prefix>-<16 hex digits>`): unique across concurrent Lambdas
/// without coordination (64 random bits).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_id(&self, prefix: &str) -> String {
        let n: u64 = rand::rng().random();
        format!("{prefix}-{n:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_carry_the_prefix_and_do_not_repeat() {
        let ids: std::collections::HashSet<String> =
            (0..1_000).map(|_| RandomIds.next_id("cmp")).collect();
        assert_eq!(ids.len(), 1_000);
        assert!(
            ids.iter()
                .all(|id| id.starts_with("cmp-") && id.len() == 20)
        );
    }
}
