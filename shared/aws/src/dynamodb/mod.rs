//! The DynamoDB stores. See the crate documentation for the table and key
//! design. Shared here: table names, attribute helpers, the time format
//! used in sort keys, and paging cursors.

pub mod audit;
pub mod blacklist;
pub mod call_records;
pub mod campaigns;
pub mod contacts;
pub mod counters;
pub mod schema;

pub use audit::DynamoAuditLog;
pub use blacklist::DynamoBlacklistStore;
pub use call_records::DynamoCallRecordStore;
pub use campaigns::DynamoCampaignStore;
pub use contacts::DynamoContactStore;
pub use counters::DynamoCounters;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use campaign_core::ports::{PageRequest, PortError, PortResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AwsError;

/// An item as the SDK sees it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// The names of the tables, `<prefix><name>`: one prefix per stage
/// (`campaign-prod-`), or per test run against an emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub campaigns: String,
    pub contacts: String,
    pub blacklist: String,
    pub call_records: String,
    pub audit: String,
    pub counters: String,
}

impl TableNames {
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            campaigns: format!("{prefix}campaigns"),
            contacts: format!("{prefix}contacts"),
            blacklist: format!("{prefix}blacklist"),
            call_records: format!("{prefix}call-records"),
            audit: format!("{prefix}audit-log"),
            counters: format!("{prefix}counters"),
        }
    }

    /// From `CAMPAIGN_TABLE_PREFIX` (default `campaign-`).
    pub fn from_env() -> Self {
        let prefix =
            std::env::var("CAMPAIGN_TABLE_PREFIX").unwrap_or_else(|_| "campaign-".to_owned());
        Self::with_prefix(&prefix)
    }

    pub fn all(&self) -> [&str; 6] {
        [
            &self.campaigns,
            &self.contacts,
            &self.blacklist,
            &self.call_records,
            &self.audit,
            &self.counters,
        ]
    }
}

/// Attribute names shared by the tables.
pub(crate) mod attr {
    /// The domain value as JSON (exact round trip, readable in the console).
    pub const BODY: &str = "body";
    /// Epoch seconds after which DynamoDB's TTL may delete the item.
    pub const EXPIRES_AT: &str = "expires_at";
}

/// A time in sort keys: fixed width with nanoseconds, so string order is
/// time order (`2026-03-02T09:00:00.000000000Z`).
pub(crate) fn time_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(crate) fn get_i64(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

pub(crate) fn to_body<T: Serialize>(op: &'static str, value: &T) -> PortResult<AttributeValue> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| AwsError::other(op, format!("cannot encode: {e}")).into())
}

pub(crate) fn from_body<T: DeserializeOwned>(op: &'static str, item: &Item) -> PortResult<T> {
    let body = get_s(item, attr::BODY)
        .ok_or_else(|| PortError::from(AwsError::corrupt(op, "no body attribute")))?;
    serde_json::from_str(body).map_err(|e| AwsError::corrupt(op, e).into())
}

/// The page size as DynamoDB's `Limit` (0 is refused, as the ports say).
pub(crate) fn page_limit(page: &PageRequest) -> PortResult<i32> {
    if page.limit == 0 {
        return Err(PortError::Invalid("a page limit must be at least 1".into()));
    }
    Ok(i32::try_from(page.limit).unwrap_or(i32::MAX))
}

/// A cursor is the `LastEvaluatedKey` (string attributes only, as every key
/// in these tables is a string) as JSON, base64-encoded so it is opaque.
pub(crate) fn encode_cursor(key: Option<&Item>) -> Option<String> {
    let key = key?;
    let map: std::collections::BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.as_str(), s.as_str())))
        .collect();
    let json = serde_json::to_string(&map).ok()?;
    Some(aws_smithy_types::base64::encode(json))
}

pub(crate) fn decode_cursor(page: &PageRequest) -> PortResult<Option<Item>> {
    let Some(cursor) = &page.cursor else {
        return Ok(None);
    };
    let invalid = || PortError::Invalid(format!("not a cursor of this store: {cursor:?}"));
    let bytes = aws_smithy_types::base64::decode(cursor).map_err(|_| invalid())?;
    let map: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    Ok(Some(map.into_iter().map(|(k, v)| (k, s(v))).collect()))
}

/// The attribute names and values of an expression.
pub(crate) fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_keys_sort_like_times() {
        let a = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let b = a + chrono::Duration::nanoseconds(1);
        let c = a + chrono::Duration::days(400);
        assert!(time_key(a) < time_key(b));
        assert!(time_key(b) < time_key(c));
        assert_eq!(time_key(a).len(), time_key(c).len());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let mut key = Item::new();
        key.insert("pk".into(), s("campaign-1"));
        key.insert("sk".into(), s("contact/7"));
        let cursor = encode_cursor(Some(&key));
        let page = PageRequest {
            cursor: cursor.clone(),
            limit: 5,
        };
        assert_eq!(decode_cursor(&page).unwrap(), Some(key));
        let bad = PageRequest {
            cursor: Some("%%%".into()),
            limit: 5,
        };
        assert!(matches!(decode_cursor(&bad), Err(PortError::Invalid(_))));
        assert_eq!(encode_cursor(None), None);
    }

    #[test]
    fn zero_limit_is_invalid() {
        assert!(matches!(
            page_limit(&PageRequest::first(0)),
            Err(PortError::Invalid(_))
        ));
        assert_eq!(
            page_limit(&PageRequest::first(usize::MAX)).unwrap(),
            i32::MAX
        );
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum TxFailure {
    /// These actions' conditions failed (indexes into the request); an
    /// empty list means the service did not say which.
    Conditions(Vec<usize>),
    Port(PortError),
}

/// How often a transaction cancelled by a concurrent one is tried again.
const TX_CONFLICT_RETRIES: u32 = 5;

/// Runs `TransactWriteItems`, retrying (with a short backoff) when it was
/// cancelled only because another transaction touched the same items.
pub(crate) async fn transact(
    client: &aws_sdk_dynamodb::Client,
    op: &'static str,
    actions: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> Result<(), TxFailure> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let mut attempt = 0u32;
    loop {
        let r = client
            .transact_write_items()
            .set_transact_items(Some(actions.clone()))
            .send()
            .await;
        let err = match r {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let reasons: Option<Vec<Option<String>>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => Some(
                c.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        };
        let Some(reasons) = reasons else {
            return Err(TxFailure::Port(crate::error::classify(op, err).into()));
        };
        let failed: Vec<usize> = reasons
            .iter()
            .enumerate()
            .filter(|(_, c)| c.as_deref() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return Err(TxFailure::Conditions(failed));
        }
        let conflict = reasons.iter().any(|c| {
            matches!(
                c.as_deref(),
                Some("TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded")
            )
        });
        if conflict && attempt < TX_CONFLICT_RETRIES {
            attempt += 1;
            let ms = 20u64 << attempt.min(6);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            continue;
        }
        if conflict {
            return Err(TxFailure::Port(PortError::Unavailable(format!(
                "{op}: transaction kept conflicting with concurrent writes"
            ))));
        }
        if reasons
            .iter()
            .all(|c| c.is_none() || c.as_deref() == Some("None"))
        {
            // Cancelled without a per-item reason: report it as a condition
            // failure of unknown items.
            return Err(TxFailure::Conditions(Vec::new()));
        }
        return Err(TxFailure::Port(PortError::Other(format!(
            "{op}: transaction cancelled: {reasons:?}"
        ))));
    }
}

/// Builds a transaction action or reports which builder field was missing.
pub(crate) fn built<T>(
    op: &'static str,
    r: Result<T, aws_sdk_dynamodb::error::BuildError>,
) -> PortResult<T> {
    r.map_err(|e| AwsError::other(op, format!("cannot build request: {e}")).into())
}
