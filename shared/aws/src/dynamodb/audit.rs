//! [`AuditLog`] on the audit-log table: `target` + `sk = <time>#<unique>`,
//! so a target's records are one query, oldest first, and records with the
//! same time are all kept (the random suffix; the put is conditional, so a
//! clash of suffixes is retried, never overwritten).

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use campaign_core::ports::{AuditLog, AuditRecord, PortError, PortResult};

use super::{Item, attr, from_body, s, time_key, to_body};
use crate::error::{AwsError, classify, port_err};

const APPEND_TRIES: u32 = 3;

#[derive(Debug, Clone)]
pub struct DynamoAuditLog {
    client: Client,
    table: String,
}

impl DynamoAuditLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn append(&self, record: &AuditRecord) -> PortResult<()> {
        const OP: &str = "audit.append";
        for _ in 0..APPEND_TRIES {
            let sk = format!("{}#{:016x}", time_key(record.at), rand::random::<u64>());
            let item = Item::from([
                ("target".to_owned(), s(record.target.as_str())),
                ("sk".to_owned(), s(sk)),
                (attr::BODY.to_owned(), to_body(OP, record)?),
            ]);
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(sk)")
                .send()
                .await;
            match r {
                Ok(_) => return Ok(()),
                Err(e) => match classify(OP, e) {
                    AwsError::ConditionFailed { .. } => continue,
                    other => return Err(other.into()),
                },
            }
        }
        Err(PortError::Other(format!(
            "{OP}: no free key after {APPEND_TRIES} tries"
        )))
    }

    async fn for_target(&self, target: &str) -> PortResult<Vec<AuditRecord>> {
        const OP: &str = "audit.for_target";
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#t = :t")
                .expression_attribute_names("#t", "target")
                .expression_attribute_values(":t", s(target))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(port_err(OP))?;
            for item in page.items() {
                out.push(from_body(OP, item)?);
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(out),
            }
        }
    }
}
