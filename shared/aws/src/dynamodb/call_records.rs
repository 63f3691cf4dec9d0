//! [`CallRecordStore`] on the call-records table, keyed by `call_id`, with
//! `state` as its own attribute (for the compare-and-set), `follow_up` as
//! its own attribute (so `set_follow_up` is one `UpdateItem` that touches
//! nothing else) and `campaign_id` for the `by_campaign` index.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use campaign_core::ids::{CallId, CampaignId};
use campaign_core::ports::{
    AttemptState, CallRecord, CallRecordStore, Page, PageRequest, PortError, PortResult,
};

use super::schema::CALLS_BY_CAMPAIGN;
use super::{
    Item, attr, decode_cursor, encode_cursor, from_body, get_s, names, page_limit, s, to_body,
};
use crate::error::{AwsError, classify, port_err};

fn state_name(state: AttemptState) -> &'static str {
    match state {
        AttemptState::Dialling => "dialling",
        AttemptState::Originated => "originated",
        AttemptState::Answered => "answered",
        AttemptState::Ended => "ended",
    }
}

#[derive(Debug, Clone)]
pub struct DynamoCallRecordStore {
    client: Client,
    table: String,
}

impl DynamoCallRecordStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn item(op: &'static str, r: &CallRecord) -> PortResult<Item> {
        // The body leaves the follow-up out: its attribute is the truth.
        let body = CallRecord {
            follow_up: None,
            ..r.clone()
        };
        let mut item = Item::from([
            ("call_id".to_owned(), s(r.call_id.as_str())),
            ("campaign_id".to_owned(), s(r.campaign_id.as_str())),
            ("state".to_owned(), s(state_name(r.state))),
            (attr::BODY.to_owned(), to_body(op, &body)?),
        ]);
        if let Some(f) = &r.follow_up {
            item.insert("follow_up".to_owned(), s(f.as_str()));
        }
        Ok(item)
    }

    fn record(op: &'static str, item: &Item) -> PortResult<CallRecord> {
        let mut r: CallRecord = from_body(op, item)?;
        r.follow_up = get_s(item, "follow_up").map(str::to_owned);
        Ok(r)
    }
}

#[async_trait]
impl CallRecordStore for DynamoCallRecordStore {
    async fn create_if_absent(&self, record: &CallRecord) -> PortResult<Option<CallRecord>> {
        const OP: &str = "call_records.create_if_absent";
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(OP, record)?))
            .condition_expression("attribute_not_exists(call_id)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match r {
            Ok(_) => return Ok(None),
            Err(e) => e,
        };
        // The failed condition carries the existing item; an emulator that
        // does not send it back gets a consistent read instead.
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        if let Some(PutItemError::ConditionalCheckFailedException(c)) = err.as_service_error() {
            if let Some(item) = c.item() {
                return Self::record(OP, item).map(Some);
            }
            return match self.get(&record.call_id).await? {
                Some(existing) => Ok(Some(existing)),
                None => Err(PortError::Unavailable(format!(
                    "{OP}: call {} exists but cannot be read yet",
                    record.call_id
                ))),
            };
        }
        Err(classify(OP, err).into())
    }

    async fn get(&self, call_id: &CallId) -> PortResult<Option<CallRecord>> {
        const OP: &str = "call_records.get";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("call_id", s(call_id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        out.item().map(|i| Self::record(OP, i)).transpose()
    }

    async fn update(&self, record: &CallRecord, expected: AttemptState) -> PortResult<()> {
        const OP: &str = "call_records.update";
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(OP, record)?))
            .condition_expression("#state = :expected")
            .set_expression_attribute_names(Some(names(&[("#state", "state")])))
            .expression_attribute_values(":expected", s(state_name(expected)))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match classify(OP, e) {
                AwsError::ConditionFailed { .. } => Err(PortError::Conflict(format!(
                    "call {} is missing or not {}",
                    record.call_id,
                    state_name(expected)
                ))),
                other => Err(other.into()),
            },
        }
    }

    async fn set_follow_up(&self, call_id: &CallId, text: &str) -> PortResult<()> {
        const OP: &str = "call_records.set_follow_up";
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("call_id", s(call_id.as_str()))
            .update_expression("SET follow_up = :f")
            .condition_expression("attribute_exists(call_id)")
            .expression_attribute_values(":f", s(text))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match classify(OP, e) {
                AwsError::ConditionFailed { .. } => {
                    Err(PortError::NotFound(format!("no call record {call_id}")))
                }
                other => Err(other.into()),
            },
        }
    }

    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<CallRecord>> {
        const OP: &str = "call_records.list";
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CALLS_BY_CAMPAIGN)
            .key_condition_expression("campaign_id = :c")
            .expression_attribute_values(":c", s(campaign.as_str()))
            .limit(page_limit(&page)?)
            .set_exclusive_start_key(decode_cursor(&page)?)
            .send()
            .await
            .map_err(port_err(OP))?;
        let items = out
            .items()
            .iter()
            .map(|i| Self::record(OP, i))
            .collect::<PortResult<Vec<CallRecord>>>()?;
        Ok(Page {
            items,
            next: encode_cursor(out.last_evaluated_key()),
        })
    }
}
