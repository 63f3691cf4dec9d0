//! [`CampaignStore`] on the campaigns table: one item per campaign keyed by
//! `id`, with its `version` as a number attribute for optimistic updates
//! and `list_pk` + `created_key` for the oldest-first listing index.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use campaign_core::campaign::Campaign;
use campaign_core::ids::CampaignId;
use campaign_core::ports::{CampaignStore, Page, PageRequest, PortError, PortResult};

use super::schema::CAMPAIGNS_BY_CREATED;
use super::{
    Item, attr, decode_cursor, encode_cursor, from_body, n, names, page_limit, s, time_key, to_body,
};
use crate::error::{AwsError, classify, port_err};

const LIST_PK: &str = "campaign";

#[derive(Debug, Clone)]
pub struct DynamoCampaignStore {
    client: Client,
    table: String,
}

impl DynamoCampaignStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn item(op: &'static str, c: &Campaign) -> PortResult<Item> {
        Ok(Item::from([
            ("id".to_owned(), s(c.id.as_str())),
            ("version".to_owned(), n(c.version)),
            ("list_pk".to_owned(), s(LIST_PK)),
            (
                "created_key".to_owned(),
                s(format!("{}#{}", time_key(c.created_at), c.id)),
            ),
            (attr::BODY.to_owned(), to_body(op, c)?),
        ]))
    }
}

#[async_trait]
impl CampaignStore for DynamoCampaignStore {
    async fn create(&self, campaign: &Campaign) -> PortResult<()> {
        const OP: &str = "campaigns.create";
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(OP, campaign)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match classify(OP, e) {
                AwsError::ConditionFailed { .. } => Err(PortError::Conflict(format!(
                    "campaign {} already exists",
                    campaign.id
                ))),
                other => Err(other.into()),
            },
        }
    }

    async fn get(&self, id: &CampaignId) -> PortResult<Option<Campaign>> {
        const OP: &str = "campaigns.get";
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(port_err(OP))?;
        out.item().map(|i| from_body(OP, i)).transpose()
    }

    async fn update(&self, campaign: &Campaign, expected_version: u64) -> PortResult<()> {
        const OP: &str = "campaigns.update";
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(OP, campaign)?))
            .condition_expression("#v = :expected")
            .set_expression_attribute_names(Some(names(&[("#v", "version")])))
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match classify(OP, e) {
                AwsError::ConditionFailed { .. } => Err(PortError::Conflict(format!(
                    "campaign {} is missing or not at version {expected_version}",
                    campaign.id
                ))),
                other => Err(other.into()),
            },
        }
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Campaign>> {
        const OP: &str = "campaigns.list";
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CAMPAIGNS_BY_CREATED)
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
            .collect::<PortResult<Vec<Campaign>>>()?;
        Ok(Page {
            items,
            next: encode_cursor(out.last_evaluated_key()),
        })
    }
}
