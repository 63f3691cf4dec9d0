//! [`Counters`] on the counters table (`pk` + `sk`, TTL on `expires_at`).
//!
//! **Slots** (`pk = slots#<scope>`): one item per holder
//! (`sk = h#<holder>`, `until` = lease end in epoch milliseconds, and a TTL a
//! day after it) plus one count item (`sk = #count`, `held`). Taking a slot
//! is a transaction of the holder's put (`attribute_not_exists`) and
//! `ADD held 1` on the count (`held < :limit`). When the count is full,
//! the expired holders of the scope are reclaimed — each a transaction of
//! a delete conditioned on `until <= :now` and `ADD held -1`, so two
//! reclaimers cannot both free one lease — and the take is tried once more.
//! A holder that already holds a slot renews its lease instead. Releasing
//! deletes the holder (`attribute_exists`) and decrements in one
//! transaction. `active_slots` counts the holders whose lease has not ended.
//! Why not one item with a map of holders: at 10,000 concurrent calls the
//! map would pass DynamoDB's 400 KB item limit, and every take would rewrite
//! (and pay for) the whole map; here each write is a few hundred bytes and
//! only the count item is shared.
//!
//! **Rate buckets** (`pk = rate#<scope>`, `sk = <unix second>`): `ADD n 1`
//! with the condition `attribute_not_exists(n) OR n < :limit`; the item
//! expires (TTL) an hour later.
//!
//! **Named counters** (`pk = counter#<key>`, `sk = -`): `ADD v :delta`,
//! returning the new value.
//!
//! **Seen marks** (`pk = seen#<key>`, `sk = -`): a put conditioned on
//! `attribute_not_exists(pk) OR until <= :now`; reads compare `until` with
//! `now` (TTL deletion is lazy, up to days late, so expiry is checked on
//! read, never left to TTL).
//!
//! **Claims** (`pk = claim#<key>`, `sk = -`, `owner`, `until`): a put
//! conditioned on `attribute_not_exists(pk) OR until <= :now OR owner =
//! :owner` (free, expired, or the owner's own: renewed); released by a
//! delete conditioned on `owner = :owner`, so nobody frees another owner's
//! claim. TTL a day after the lease end.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use campaign_core::ports::{Counters, PortError, PortResult};
use chrono::{DateTime, Duration, Utc};

use super::{Item, TxFailure, attr, built, get_i64, get_s, n, s, transact};
use crate::error::{AwsError, classify, port_err};

const COUNT_SK: &str = "#count";
const SINGLE_SK: &str = "-";
/// Holder items outlive their lease by a day before TTL may remove them.
const HOLDER_TTL_SECS: i64 = 86_400;
const RATE_TTL_SECS: i64 = 3_600;

#[derive(Debug, Clone)]
pub struct DynamoCounters {
    client: Client,
    table: String,
}

fn key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn slots_pk(scope: &str) -> String {
    format!("slots#{scope}")
}

impl DynamoCounters {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// One try at taking a new slot: `Ok(true)` taken, `Ok(false)` full.
    /// `Err(Conditions([0]))`: the holder already has one.
    async fn take_new(
        &self,
        scope: &str,
        holder: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, TxFailure> {
        const OP: &str = "counters.acquire_slot";
        let port = TxFailure::Port;
        let holder_item = Item::from([
            ("pk".to_owned(), s(slots_pk(scope))),
            ("sk".to_owned(), s(format!("h#{holder}"))),
            ("holder".to_owned(), s(holder)),
            ("until".to_owned(), n(lease_until.timestamp_millis())),
            (
                attr::EXPIRES_AT.to_owned(),
                n(lease_until.timestamp() + HOLDER_TTL_SECS),
            ),
        ]);
        let put = built(
            OP,
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(holder_item))
                .condition_expression("attribute_not_exists(sk)")
                .build(),
        )
        .map_err(port)?;
        let count = built(
            OP,
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(slots_pk(scope), COUNT_SK)))
                .update_expression("ADD held :one")
                .condition_expression("attribute_not_exists(held) OR held < :limit")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":limit", n(limit))
                .build(),
        )
        .map_err(port)?;
        let actions = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match transact(&self.client, OP, actions).await {
            Ok(()) => Ok(true),
            Err(TxFailure::Conditions(failed)) if failed.contains(&0) => {
                Err(TxFailure::Conditions(vec![0]))
            }
            Err(TxFailure::Conditions(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Renews a held slot's lease; `false` if the holder holds none.
    async fn renew(
        &self,
        scope: &str,
        holder: &str,
        lease_until: DateTime<Utc>,
    ) -> PortResult<bool> {
        const OP: &str = "counters.acquire_slot";
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(slots_pk(scope), &format!("h#{holder}"))))
            .update_expression("SET #until = :until, #exp = :exp")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_values(":until", n(lease_until.timestamp_millis()))
            .expression_attribute_values(":exp", n(lease_until.timestamp() + HOLDER_TTL_SECS))
            .send()
            .await;
        condition_held(OP, r)
    }

    /// Holders of a scope with their lease ends (epoch ms).
    async fn holders(&self, scope: &str) -> PortResult<Vec<(String, i64)>> {
        const OP: &str = "counters.holders";
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :h)")
                .expression_attribute_values(":pk", s(slots_pk(scope)))
                .expression_attribute_values(":h", s("h#"))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(port_err(OP))?;
            for item in page.items() {
                if let (Some(h), Some(until)) = (get_s(item, "holder"), get_i64(item, "until")) {
                    out.push((h.to_owned(), until));
                }
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(out),
            }
        }
    }

    /// Frees `holder`'s slot, if its item exists and `condition` holds.
    async fn free(
        &self,
        op: &'static str,
        scope: &str,
        holder: &str,
        expired_at: Option<DateTime<Utc>>,
    ) -> PortResult<bool> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(slots_pk(scope), &format!("h#{holder}"))));
        delete = match expired_at {
            Some(now) => delete
                .condition_expression("#until <= :now")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", n(now.timestamp_millis())),
            None => delete.condition_expression("attribute_exists(sk)"),
        };
        let count = built(
            op,
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(slots_pk(scope), COUNT_SK)))
                .update_expression("ADD held :minus")
                .expression_attribute_values(":minus", n(-1))
                .build(),
        )?;
        let actions = vec![
            TransactWriteItem::builder()
                .delete(built(op, delete.build())?)
                .build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match transact(&self.client, op, actions).await {
            Ok(()) => Ok(true),
            Err(TxFailure::Conditions(_)) => Ok(false),
            Err(TxFailure::Port(e)) => Err(e),
        }
    }

    /// Frees every lease of the scope that ended at `now`; how many.
    async fn reclaim_expired(&self, scope: &str, now: DateTime<Utc>) -> PortResult<usize> {
        let mut freed = 0;
        for (holder, until) in self.holders(scope).await? {
            if until <= now.timestamp_millis()
                && self
                    .free("counters.reclaim", scope, &holder, Some(now))
                    .await?
            {
                freed += 1;
            }
        }
        Ok(freed)
    }
}

/// A conditional write's answer as a yes/no: written, or its condition
/// failed; any other failure is an error.
fn condition_held<T, E>(op: &str, r: Result<T, SdkError<E, HttpResponse>>) -> PortResult<bool>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(_) => Ok(true),
        Err(e) => match classify(op, e) {
            AwsError::ConditionFailed { .. } => Ok(false),
            other => Err(other.into()),
        },
    }
}

#[async_trait]
impl Counters for DynamoCounters {
    async fn acquire_slot(
        &self,
        scope: &str,
        holder: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> PortResult<bool> {
        // Two rounds: the second after reclaiming expired leases. A holder
        // whose item vanished between the steps (released meanwhile) gets
        // one more round.
        for round in 0..3 {
            match self.take_new(scope, holder, limit, lease_until).await {
                Ok(true) => return Ok(true),
                Ok(false) => {
                    if round > 0 || self.reclaim_expired(scope, now).await? == 0 {
                        return Ok(false);
                    }
                }
                Err(TxFailure::Conditions(_)) => {
                    if self.renew(scope, holder, lease_until).await? {
                        return Ok(true);
                    }
                }
                Err(TxFailure::Port(e)) => return Err(e),
            }
        }
        Ok(false)
    }

    async fn release_slot(&self, scope: &str, holder: &str) -> PortResult<bool> {
        self.free("counters.release_slot", scope, holder, None)
            .await
    }

    async fn active_slots(&self, scope: &str, now: DateTime<Utc>) -> PortResult<u32> {
        let now_ms = now.timestamp_millis();
        let active = self
            .holders(scope)
            .await?
            .into_iter()
            .filter(|(_, until)| *until > now_ms)
            .count();
        Ok(u32::try_from(active).unwrap_or(u32::MAX))
    }

    async fn take_rate(&self, scope: &str, now: DateTime<Utc>, limit: u32) -> PortResult<bool> {
        const OP: &str = "counters.take_rate";
        if limit == 0 {
            return Ok(false);
        }
        let second = now.timestamp();
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("rate#{scope}"), &second.to_string())))
            .update_expression("ADD #n :one SET #exp = :exp")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":exp", n(second + RATE_TTL_SECS))
            .send()
            .await;
        condition_held(OP, r)
    }

    async fn starts_between(&self, scope: &str, from: i64, to: i64) -> PortResult<u64> {
        const OP: &str = "counters.starts_between";
        if to <= from {
            return Ok(0);
        }
        // Bucket keys are the second as a decimal string; epoch seconds keep
        // one width (10 digits) until 2286, so string order is time order.
        let mut total = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
                .expression_attribute_values(":pk", s(format!("rate#{scope}")))
                .expression_attribute_values(":a", s(from.to_string()))
                .expression_attribute_values(":b", s((to - 1).to_string()))
                .projection_expression("#n")
                .expression_attribute_names("#n", "n")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(port_err(OP))?;
            for item in page.items() {
                total += get_i64(item, "n").unwrap_or(0).max(0) as u64;
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(total),
            }
        }
    }

    async fn add(&self, key_name: &str, delta: i64) -> PortResult<i64> {
        const OP: &str = "counters.add";
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("counter#{key_name}"), SINGLE_SK)))
            .update_expression("ADD #v :d")
            .expression_attribute_names("#v", "v")
            .expression_attribute_values(":d", n(delta))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(port_err(OP))?;
        out.attributes()
            .and_then(|a| get_i64(a, "v"))
            .ok_or_else(|| AwsError::corrupt(OP, "no counter value returned").into())
    }

    async fn get(&self, key_name: &str) -> PortResult<i64> {
        const OP: &str = "counters.get";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("counter#{key_name}"), SINGLE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        Ok(out.item().and_then(|i| get_i64(i, "v")).unwrap_or(0))
    }

    async fn get_many(&self, keys: &[String]) -> PortResult<Vec<i64>> {
        const OP: &str = "counters.get_many";
        const BATCH_GET: usize = 100;
        const UNPROCESSED_RETRIES: u32 = 8;
        let mut unique: Vec<&String> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut values: HashMap<String, i64> = HashMap::with_capacity(unique.len());
        for chunk in unique.chunks(BATCH_GET) {
            let mut wanted: Vec<Item> = chunk
                .iter()
                .map(|k| key(format!("counter#{k}"), SINGLE_SK))
                .collect();
            let mut round = 0u32;
            while !wanted.is_empty() {
                let request = built(
                    OP,
                    KeysAndAttributes::builder()
                        .set_keys(Some(wanted))
                        .consistent_read(true)
                        .build(),
                )?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(port_err(OP))?;
                for item in out
                    .responses()
                    .and_then(|r| r.get(&self.table))
                    .into_iter()
                    .flatten()
                {
                    if let (Some(pk), Some(v)) = (get_s(item, "pk"), get_i64(item, "v"))
                        && let Some(name) = pk.strip_prefix("counter#")
                    {
                        values.insert(name.to_owned(), v);
                    }
                }
                // Keys the service did not get to (throttling) are asked again.
                wanted = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.table))
                    .map(|k| k.keys().to_vec())
                    .unwrap_or_default();
                if !wanted.is_empty() {
                    round += 1;
                    if round > UNPROCESSED_RETRIES {
                        return Err(PortError::Unavailable(format!(
                            "{OP}: {} counters still unprocessed after {UNPROCESSED_RETRIES} retries",
                            wanted.len()
                        )));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << round.min(6))).await;
                }
            }
        }
        Ok(keys
            .iter()
            .map(|k| values.get(k).copied().unwrap_or(0))
            .collect())
    }

    async fn mark_seen(
        &self,
        key_name: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> PortResult<bool> {
        const OP: &str = "counters.mark_seen";
        let until = now + ttl;
        let item = Item::from([
            ("pk".to_owned(), s(format!("seen#{key_name}"))),
            ("sk".to_owned(), s(SINGLE_SK)),
            ("until".to_owned(), n(until.timestamp_millis())),
            (attr::EXPIRES_AT.to_owned(), n(until.timestamp())),
        ]);
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #until <= :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        condition_held(OP, r)
    }

    async fn claim(
        &self,
        key_name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        const OP: &str = "counters.claim";
        let item = Item::from([
            ("pk".to_owned(), s(format!("claim#{key_name}"))),
            ("sk".to_owned(), s(SINGLE_SK)),
            ("owner".to_owned(), s(owner)),
            ("until".to_owned(), n(until.timestamp_millis())),
            (
                attr::EXPIRES_AT.to_owned(),
                n(until.timestamp() + HOLDER_TTL_SECS),
            ),
        ]);
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #until <= :now OR #owner = :owner")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        condition_held(OP, r)
    }

    async fn release_claim(&self, key_name: &str, owner: &str) -> PortResult<bool> {
        const OP: &str = "counters.release_claim";
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("claim#{key_name}"), SINGLE_SK)))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        condition_held(OP, r)
    }

    async fn seen(&self, key_name: &str, now: DateTime<Utc>) -> PortResult<bool> {
        const OP: &str = "counters.seen";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("seen#{key_name}"), SINGLE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        Ok(out
            .item()
            .and_then(|i| get_i64(i, "until"))
            .is_some_and(|until| until > now.timestamp_millis()))
    }
}
