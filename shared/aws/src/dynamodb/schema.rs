//! The tables' key schemas and indexes, as code: the tests (and a local
//! stack) create them against the emulator with [`create_tables`]; the
//! Terraform definitions in `infra/` must match them (on-demand billing,
//! TTL on `expires_at` of the counters table).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use campaign_core::ports::{PortError, PortResult};

use super::{TableNames, attr};
use crate::error::{classify, error_code};

/// Campaigns by creation time: `list_pk` (always `campaign`) + `created_key`.
pub const CAMPAIGNS_BY_CREATED: &str = "by_created";
/// Pending contacts by due time: `due_pk` (campaign) + `due_sk` (sparse).
pub const CONTACTS_DUE: &str = "due";
/// Contacts by number: `phone` + `campaign_id`.
pub const CONTACTS_BY_PHONE: &str = "by_phone";
/// Current blacklist entries by number: `list_pk` (always `entry`) + `phone`.
pub const BLACKLIST_ENTRIES: &str = "entries";
/// Call records of a campaign: `campaign_id` + `call_id`.
pub const CALLS_BY_CAMPAIGN: &str = "by_campaign";

struct Table {
    name: String,
    hash: &'static str,
    range: Option<&'static str>,
    /// (index, hash, range)
    indexes: Vec<(&'static str, &'static str, &'static str)>,
    ttl: bool,
}

fn tables(names: &TableNames) -> Vec<Table> {
    vec![
        Table {
            name: names.campaigns.clone(),
            hash: "id",
            range: None,
            indexes: vec![(CAMPAIGNS_BY_CREATED, "list_pk", "created_key")],
            ttl: false,
        },
        Table {
            name: names.contacts.clone(),
            hash: "campaign_id",
            range: Some("contact_id"),
            indexes: vec![
                (CONTACTS_DUE, "due_pk", "due_sk"),
                (CONTACTS_BY_PHONE, "phone", "campaign_id"),
            ],
            ttl: false,
        },
        Table {
            name: names.blacklist.clone(),
            hash: "phone",
            range: Some("sk"),
            indexes: vec![(BLACKLIST_ENTRIES, "list_pk", "phone")],
            ttl: false,
        },
        Table {
            name: names.call_records.clone(),
            hash: "call_id",
            range: None,
            indexes: vec![(CALLS_BY_CAMPAIGN, "campaign_id", "call_id")],
            ttl: false,
        },
        Table {
            name: names.audit.clone(),
            hash: "target",
            range: Some("sk"),
            indexes: vec![],
            ttl: false,
        },
        Table {
            name: names.counters.clone(),
            hash: "pk",
            range: Some("sk"),
            indexes: vec![],
            ttl: true,
        },
    ]
}

fn key(name: &str, kind: KeyType) -> PortResult<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| PortError::Other(e.to_string()))
}

fn string_attr(name: &str) -> PortResult<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| PortError::Other(e.to_string()))
}

/// Creates every table (on-demand) that does not exist yet, with its
/// indexes, and switches TTL on where the design uses it.
pub async fn create_tables(client: &Client, names: &TableNames) -> PortResult<()> {
    for table in tables(names) {
        let mut attrs: Vec<&str> = vec![table.hash];
        attrs.extend(table.range);
        for (_, h, r) in &table.indexes {
            attrs.push(h);
            attrs.push(r);
        }
        attrs.sort_unstable();
        attrs.dedup();
        let mut req = client
            .create_table()
            .table_name(&table.name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(table.hash, KeyType::Hash)?);
        if let Some(range) = table.range {
            req = req.key_schema(key(range, KeyType::Range)?);
        }
        for a in attrs {
            req = req.attribute_definitions(string_attr(a)?);
        }
        for (index, h, r) in &table.indexes {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .key_schema(key(h, KeyType::Hash)?)
                    .key_schema(key(r, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| PortError::Other(e.to_string()))?,
            );
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("ResourceInUseException") => continue,
            Err(e) => return Err(classify("CreateTable", e).into()),
        }
        if table.ttl {
            client
                .update_time_to_live()
                .table_name(&table.name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(attr::EXPIRES_AT)
                        .build()
                        .map_err(|e| PortError::Other(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| PortError::from(classify("UpdateTimeToLive", e)))?;
        }
    }
    Ok(())
}

/// Deletes the tables (test clean-up); missing ones are skipped.
pub async fn delete_tables(client: &Client, names: &TableNames) -> PortResult<()> {
    for name in names.all() {
        match client.delete_table().table_name(name).send().await {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(classify("DeleteTable", e).into()),
        }
    }
    Ok(())
}
