//! [`ContactStore`] on the contacts table (`campaign_id` + `contact_id`)
//! and one status-counts item per campaign in the counters table
//! (`pk = contact-counts#<campaign>`, `sk = -`).
//!
//! - Only Pending contacts carry `due_pk` (their campaign) and `due_sk`
//!   (`<due time>#<contact id>`, the time fixed-width so string order is time
//!   order, and `0000-00-00T00:00:00.000000000Z` for "no time", which sorts
//!   first): the `due` index holds exactly the pending contacts, and "due at
//!   `at`" is `due_sk < "<at>$"` (`$` sorts after the `#` separator).
//! - Every status move is a transaction of the contact's conditional put
//!   (`status = :expected`) and an `ADD` on the counts item, so the counts
//!   are always those of the stored contacts and `count_by_status` is one
//!   `GetItem`.
//! - `insert_many` puts each contact with `attribute_not_exists`, in
//!   transactions of up to 50 contacts plus one counts update per campaign;
//!   contacts that already exist are dropped from the batch (the
//!   cancellation reasons name them) and the rest is committed again.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{ContactStore, Page, PageRequest, PortError, PortResult, StatusCounts};
use chrono::{DateTime, Utc};

use super::schema::{CONTACTS_BY_PHONE, CONTACTS_DUE};
use super::{
    Item, TxFailure, attr, built, decode_cursor, encode_cursor, from_body, get_i64, n, names,
    page_limit, s, time_key, to_body, transact,
};
use crate::error::{AwsError, classify, port_err};

/// Contacts per transaction: each needs one action, plus one counts update
/// per campaign, within DynamoDB's 100 actions.
const INSERT_CHUNK: usize = 50;
const NO_TIME: &str = "0000-00-00T00:00:00.000000000Z";
const COUNTS_SK: &str = "-";

pub(crate) fn status_name(status: ContactStatus) -> &'static str {
    match status {
        ContactStatus::Pending => "pending",
        ContactStatus::InProgress => "in_progress",
        ContactStatus::Completed => "completed",
        ContactStatus::Failed => "failed",
        ContactStatus::Blacklisted => "blacklisted",
    }
}

const ALL_STATUSES: [ContactStatus; 5] = [
    ContactStatus::Pending,
    ContactStatus::InProgress,
    ContactStatus::Completed,
    ContactStatus::Failed,
    ContactStatus::Blacklisted,
];

fn due_sk(at: Option<DateTime<Utc>>, id: &ContactId) -> String {
    match at {
        Some(t) => format!("{}#{id}", time_key(t)),
        None => format!("{NO_TIME}#{id}"),
    }
}

#[derive(Debug, Clone)]
pub struct DynamoContactStore {
    client: Client,
    table: String,
    counters_table: String,
}

impl DynamoContactStore {
    pub fn new(
        client: Client,
        table: impl Into<String>,
        counters_table: impl Into<String>,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            counters_table: counters_table.into(),
        }
    }

    fn item(op: &'static str, c: &Contact) -> PortResult<Item> {
        let mut item = Item::from([
            ("campaign_id".to_owned(), s(c.campaign_id.as_str())),
            ("contact_id".to_owned(), s(c.id.as_str())),
            ("status".to_owned(), s(status_name(c.status))),
            ("phone".to_owned(), s(c.phone.as_str())),
            (attr::BODY.to_owned(), to_body(op, c)?),
        ]);
        if c.status == ContactStatus::Pending {
            item.insert("due_pk".to_owned(), s(c.campaign_id.as_str()));
            item.insert("due_sk".to_owned(), s(due_sk(c.next_attempt_at, &c.id)));
        }
        Ok(item)
    }

    fn counts_key(campaign: &CampaignId) -> Item {
        Item::from([
            ("pk".to_owned(), s(format!("contact-counts#{campaign}"))),
            ("sk".to_owned(), s(COUNTS_SK)),
        ])
    }

    /// `ADD` of `deltas` (status, change) to a campaign's counts item.
    fn counts_update(
        &self,
        op: &'static str,
        campaign: &CampaignId,
        deltas: &[(ContactStatus, i64)],
    ) -> PortResult<TransactWriteItem> {
        let mut update = Update::builder()
            .table_name(&self.counters_table)
            .set_key(Some(Self::counts_key(campaign)));
        let mut parts = Vec::new();
        for (i, (status, delta)) in deltas.iter().enumerate() {
            parts.push(format!("#s{i} :d{i}"));
            update = update
                .expression_attribute_names(format!("#s{i}"), status_name(*status))
                .expression_attribute_values(format!(":d{i}"), n(delta));
        }
        let update = built(
            op,
            update
                .update_expression(format!("ADD {}", parts.join(", ")))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn conditional_put(
        &self,
        op: &'static str,
        c: &Contact,
        condition: &str,
        expected: Option<ContactStatus>,
    ) -> PortResult<TransactWriteItem> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::item(op, c)?))
            .condition_expression(condition);
        if let Some(expected) = expected {
            put = put
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":expected", s(status_name(expected)));
        }
        Ok(TransactWriteItem::builder()
            .put(built(op, put.build())?)
            .build())
    }

    /// One transaction of new contacts (each must not exist) and their
    /// campaigns' counts.
    async fn insert_tx(&self, contacts: &[&Contact]) -> Result<(), TxFailure> {
        const OP: &str = "contacts.insert_many";
        let mut actions = Vec::with_capacity(contacts.len() + 1);
        let mut per_campaign: BTreeMap<&CampaignId, BTreeMap<&'static str, (ContactStatus, i64)>> =
            BTreeMap::new();
        for c in contacts {
            actions.push(
                self.conditional_put(OP, c, "attribute_not_exists(contact_id)", None)
                    .map_err(TxFailure::Port)?,
            );
            per_campaign
                .entry(&c.campaign_id)
                .or_default()
                .entry(status_name(c.status))
                .or_insert((c.status, 0))
                .1 += 1;
        }
        for (campaign, counts) in per_campaign {
            let deltas: Vec<(ContactStatus, i64)> = counts.into_values().collect();
            actions.push(
                self.counts_update(OP, campaign, &deltas)
                    .map_err(TxFailure::Port)?,
            );
        }
        transact(&self.client, OP, actions).await
    }

    async fn query_all(
        &self,
        op: &'static str,
        index: &str,
        key_condition: &str,
        values: &[(&str, &str)],
    ) -> PortResult<Vec<Contact>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(key_condition)
                .set_exclusive_start_key(start.take());
            for (k, v) in values {
                q = q.expression_attribute_values(*k, s(*v));
            }
            let page = q.send().await.map_err(port_err(op))?;
            for item in page.items() {
                out.push(from_body(op, item)?);
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl ContactStore for DynamoContactStore {
    async fn insert_many(&self, contacts: &[Contact]) -> PortResult<usize> {
        // A repeated id inside the batch is not new the second time.
        let mut seen = HashSet::new();
        let unique: Vec<&Contact> = contacts
            .iter()
            .filter(|c| seen.insert((c.campaign_id.clone(), c.id.clone())))
            .collect();
        let mut inserted = 0;
        for chunk in unique.chunks(INSERT_CHUNK) {
            let mut pending: Vec<&Contact> = chunk.to_vec();
            while !pending.is_empty() {
                match self.insert_tx(&pending).await {
                    Ok(()) => {
                        inserted += pending.len();
                        break;
                    }
                    Err(TxFailure::Port(e)) => return Err(e),
                    Err(TxFailure::Conditions(failed)) if !failed.is_empty() => {
                        // The named contacts exist: leave them as they are.
                        let exists: HashSet<usize> = failed.into_iter().collect();
                        pending = pending
                            .into_iter()
                            .enumerate()
                            .filter(|(i, _)| !exists.contains(i))
                            .map(|(_, c)| c)
                            .collect();
                    }
                    Err(TxFailure::Conditions(_)) => {
                        // No per-item reasons: one contact at a time.
                        for c in std::mem::take(&mut pending) {
                            match self.insert_tx(&[c]).await {
                                Ok(()) => inserted += 1,
                                Err(TxFailure::Conditions(_)) => {}
                                Err(TxFailure::Port(e)) => return Err(e),
                            }
                        }
                    }
                }
            }
        }
        Ok(inserted)
    }

    async fn get(&self, campaign: &CampaignId, id: &ContactId) -> PortResult<Option<Contact>> {
        const OP: &str = "contacts.get";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("campaign_id", s(campaign.as_str()))
            .key("contact_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        out.item().map(|i| from_body(OP, i)).transpose()
    }

    async fn update(&self, contact: &Contact, expected: ContactStatus) -> PortResult<()> {
        const OP: &str = "contacts.update";
        let conflict = || {
            PortError::Conflict(format!(
                "contact {} of {} is missing or not {}",
                contact.id,
                contact.campaign_id,
                status_name(expected)
            ))
        };
        let condition = "#st = :expected";
        if contact.status == expected {
            // No status move: the counts stay, one conditional put.
            let item = Self::item(OP, contact)?;
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names(&[("#st", "status")])))
                .expression_attribute_values(":expected", s(status_name(expected)))
                .send()
                .await;
            return match r {
                Ok(_) => Ok(()),
                Err(e) => match classify(OP, e) {
                    AwsError::ConditionFailed { .. } => Err(conflict()),
                    other => Err(other.into()),
                },
            };
        }
        let actions = vec![
            self.conditional_put(OP, contact, condition, Some(expected))?,
            self.counts_update(
                OP,
                &contact.campaign_id,
                &[(expected, -1), (contact.status, 1)],
            )?,
        ];
        match transact(&self.client, OP, actions).await {
            Ok(()) => Ok(()),
            Err(TxFailure::Conditions(_)) => Err(conflict()),
            Err(TxFailure::Port(e)) => Err(e),
        }
    }

    async fn due(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        page: PageRequest,
    ) -> PortResult<Page<Contact>> {
        const OP: &str = "contacts.due";
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CONTACTS_DUE)
            .key_condition_expression("due_pk = :c AND due_sk < :bound")
            .expression_attribute_values(":c", s(campaign.as_str()))
            .expression_attribute_values(":bound", s(format!("{}$", time_key(at))))
            .limit(page_limit(&page)?)
            .set_exclusive_start_key(decode_cursor(&page)?)
            .send()
            .await
            .map_err(port_err(OP))?;
        let items = out
            .items()
            .iter()
            .map(|i| from_body(OP, i))
            .collect::<PortResult<Vec<Contact>>>()?;
        Ok(Page {
            items,
            next: encode_cursor(out.last_evaluated_key()),
        })
    }

    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<Contact>> {
        const OP: &str = "contacts.list";
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("campaign_id = :c")
            .expression_attribute_values(":c", s(campaign.as_str()))
            .consistent_read(true)
            .limit(page_limit(&page)?)
            .set_exclusive_start_key(decode_cursor(&page)?)
            .send()
            .await
            .map_err(port_err(OP))?;
        let items = out
            .items()
            .iter()
            .map(|i| from_body(OP, i))
            .collect::<PortResult<Vec<Contact>>>()?;
        Ok(Page {
            items,
            next: encode_cursor(out.last_evaluated_key()),
        })
    }

    async fn count_by_status(&self, campaign: &CampaignId) -> PortResult<StatusCounts> {
        const OP: &str = "contacts.count_by_status";
        let out = self
            .client
            .get_item()
            .table_name(&self.counters_table)
            .set_key(Some(Self::counts_key(campaign)))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        let mut counts = StatusCounts::default();
        if let Some(item) = out.item() {
            for status in ALL_STATUSES {
                let v = get_i64(item, status_name(status)).unwrap_or(0);
                counts.add(status, u64::try_from(v).unwrap_or(0));
            }
        }
        Ok(counts)
    }

    async fn find_by_phone(&self, phone: &PhoneNumber) -> PortResult<Vec<Contact>> {
        self.query_all(
            "contacts.find_by_phone",
            CONTACTS_BY_PHONE,
            "phone = :p",
            &[(":p", phone.as_str())],
        )
        .await
    }
}
