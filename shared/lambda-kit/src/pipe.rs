//! The contract between the enricher (EventBridge Pipes enrichment) and the
//! dialer-worker (the Pipe's target): the enricher answers with one
//! [`PipeItem`] per record it lets through, keeping the SQS `messageId` so
//! the dialer can name it in `batchItemFailures`.

use campaign_core::messages::DialTask;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipeItem {
    /// The source SQS record's id.
    pub message_id: String,
    /// The enriched task (settings filled in). Absent when `rejected` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<DialTask>,
    /// Why the record's body could not be read. Such a record is passed on
    /// (not dropped) so the dialer fails it and the queue moves it, body
    /// intact, to the dead-letter queue after `maxReceiveCount` deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

impl PipeItem {
    pub fn dial(message_id: String, task: DialTask) -> Self {
        Self {
            message_id,
            task: Some(task),
            rejected: None,
        }
    }

    pub fn rejected(message_id: String, reason: String) -> Self {
        Self {
            message_id,
            task: None,
            rejected: Some(reason),
        }
    }
}
