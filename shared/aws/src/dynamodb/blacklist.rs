//! [`BlacklistStore`] on the blacklist table (`phone` + `sk`):
//! - `sk = entry`: the current entry (with `list_pk = entry`, so the
//!   sparse `entries` index lists the current entries by number);
//! - `sk = h#<time>#<unique>`: one history item per add or remove, so a
//!   number's history is one query, oldest first.
//!
//! An add is a transaction of the entry's put with `attribute_not_exists`
//! (keeping the first entry) and its history item; a remove deletes the
//! entry with `attribute_exists` and writes its history item. A no-op add
//! or remove writes nothing.

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, Put, TransactWriteItem};
use campaign_core::blacklist::{BlacklistChange, BlacklistEntry};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{BlacklistStore, Page, PageRequest, PortError, PortResult};
use chrono::{DateTime, Utc};

use super::schema::BLACKLIST_ENTRIES;
use super::{
    Item, TxFailure, attr, built, decode_cursor, encode_cursor, from_body, get_s, page_limit, s,
    time_key, to_body, transact,
};
use crate::error::port_err;

const ENTRY_SK: &str = "entry";
const LIST_PK: &str = "entry";
/// BatchGetItem reads at most 100 keys.
const BATCH_GET: usize = 100;
const UNPROCESSED_RETRIES: u32 = 8;

#[derive(Debug, Clone)]
pub struct DynamoBlacklistStore {
    client: Client,
    table: String,
}

fn unique_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl DynamoBlacklistStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn entry_key(phone: &PhoneNumber) -> Item {
        Item::from([
            ("phone".to_owned(), s(phone.as_str())),
            ("sk".to_owned(), s(ENTRY_SK)),
        ])
    }

    fn history_put(
        &self,
        op: &'static str,
        phone: &PhoneNumber,
        at: DateTime<Utc>,
        change: &BlacklistChange,
    ) -> PortResult<TransactWriteItem> {
        let item = Item::from([
            ("phone".to_owned(), s(phone.as_str())),
            (
                "sk".to_owned(),
                s(format!("h#{}#{}", time_key(at), unique_suffix())),
            ),
            (attr::BODY.to_owned(), to_body(op, change)?),
        ]);
        let put = built(
            op,
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl BlacklistStore for DynamoBlacklistStore {
    async fn add(&self, entry: &BlacklistEntry) -> PortResult<bool> {
        const OP: &str = "blacklist.add";
        let mut item = Self::entry_key(&entry.phone);
        item.insert("list_pk".to_owned(), s(LIST_PK));
        item.insert(attr::BODY.to_owned(), to_body(OP, entry)?);
        let put = built(
            OP,
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(phone)")
                .build(),
        )?;
        let change = BlacklistChange::Added {
            entry: entry.clone(),
        };
        let actions = vec![
            TransactWriteItem::builder().put(put).build(),
            self.history_put(OP, &entry.phone, entry.added_at, &change)?,
        ];
        match transact(&self.client, OP, actions).await {
            Ok(()) => Ok(true),
            Err(TxFailure::Conditions(_)) => Ok(false),
            Err(TxFailure::Port(e)) => Err(e),
        }
    }

    async fn remove(&self, phone: &PhoneNumber, by: &str, at: DateTime<Utc>) -> PortResult<bool> {
        const OP: &str = "blacklist.remove";
        let delete = built(
            OP,
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Self::entry_key(phone)))
                .condition_expression("attribute_exists(phone)")
                .build(),
        )?;
        let change = BlacklistChange::Removed {
            phone: phone.clone(),
            at,
            by: by.to_owned(),
        };
        let actions = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.history_put(OP, phone, at, &change)?,
        ];
        match transact(&self.client, OP, actions).await {
            Ok(()) => Ok(true),
            Err(TxFailure::Conditions(_)) => Ok(false),
            Err(TxFailure::Port(e)) => Err(e),
        }
    }

    async fn get(&self, phone: &PhoneNumber) -> PortResult<Option<BlacklistEntry>> {
        const OP: &str = "blacklist.get";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::entry_key(phone)))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        out.item().map(|i| from_body(OP, i)).transpose()
    }

    async fn contains_any(&self, phones: &[PhoneNumber]) -> PortResult<HashSet<PhoneNumber>> {
        const OP: &str = "blacklist.contains_any";
        let unique: Vec<&PhoneNumber> = {
            let mut seen = HashSet::new();
            phones.iter().filter(|p| seen.insert(*p)).collect()
        };
        let mut listed = HashSet::new();
        for chunk in unique.chunks(BATCH_GET) {
            let mut keys: Vec<Item> = chunk.iter().map(|p| Self::entry_key(p)).collect();
            let mut round = 0u32;
            while !keys.is_empty() {
                let request = built(
                    OP,
                    KeysAndAttributes::builder()
                        .set_keys(Some(keys))
                        .consistent_read(true)
                        .projection_expression("phone")
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
                    if let Some(p) =
                        get_s(item, "phone").and_then(|p| PhoneNumber::from_e164(p).ok())
                    {
                        listed.insert(p);
                    }
                }
                // Keys the service did not get to (throttling) are asked again.
                keys = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.table))
                    .map(|k| k.keys().to_vec())
                    .unwrap_or_default();
                if !keys.is_empty() {
                    round += 1;
                    if round > UNPROCESSED_RETRIES {
                        return Err(PortError::Unavailable(format!(
                            "{OP}: {} numbers still unprocessed after {UNPROCESSED_RETRIES} retries",
                            keys.len()
                        )));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << round.min(6))).await;
                }
            }
        }
        Ok(listed)
    }

    async fn history(&self, phone: &PhoneNumber) -> PortResult<Vec<BlacklistChange>> {
        const OP: &str = "blacklist.history";
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("phone = :p AND begins_with(sk, :h)")
                .expression_attribute_values(":p", s(phone.as_str()))
                .expression_attribute_values(":h", s("h#"))
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

    async fn list(&self, page: PageRequest) -> PortResult<Page<BlacklistEntry>> {
        const OP: &str = "blacklist.list";
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BLACKLIST_ENTRIES)
            .key_condition_expression("list_pk = :p")
            .expression_attribute_values(":p", s(LIST_PK))
            .limit(page_limit(&page)?)
            .set_exclusive_start_key(decode_cursor(&page)?)
            .send()
            .await
            .map_err(port_err(OP))?;
        let items = out
            .items()
            .iter()
            .map(|i| from_body(OP, i))
            .collect::<PortResult<Vec<BlacklistEntry>>>()?;
        Ok(Page {
            items,
            next: encode_cursor(out.last_evaluated_key()),
        })
    }
}
