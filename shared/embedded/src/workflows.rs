//! [`LocalWorkflows`]: the workflow starter of the local runtime. Starting a
//! campaign's workflow records its input once per campaign; the runtime's
//! driver (`campaign serve`) takes each new one and does what the Step
//! Functions workflow's first task does (start a draft or scheduled
//! campaign), after which the runtime's loop dispatches it like any active
//! campaign.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use campaign_core::ids::CampaignId;
use campaign_core::messages::WorkflowInput;
use campaign_core::ports::{PortResult, WorkflowStarter};

#[derive(Debug, Default)]
struct Entry {
    input: Option<WorkflowInput>,
    taken: bool,
}

/// Started workflows, one per campaign.
#[derive(Debug, Default)]
pub struct LocalWorkflows {
    runs: Mutex<BTreeMap<CampaignId, Entry>>,
}

impl LocalWorkflows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Inputs started and not taken yet; each is handed out once.
    pub fn take_new(&self) -> Vec<WorkflowInput> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.values_mut()
            .filter(|e| !e.taken)
            .filter_map(|e| {
                e.taken = true;
                e.input.clone()
            })
            .collect()
    }

    /// Every campaign whose workflow was started, with its first input.
    pub fn started(&self) -> Vec<WorkflowInput> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.values().filter_map(|e| e.input.clone()).collect()
    }
}

#[async_trait]
impl WorkflowStarter for LocalWorkflows {
    async fn start(&self, input: &WorkflowInput) -> PortResult<()> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        // Like an execution named after the campaign: a second start of a
        // running one changes nothing.
        runs.entry(input.campaign_id.clone())
            .or_insert_with(|| Entry {
                input: Some(input.clone()),
                taken: false,
            });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campaign_core::messages::MESSAGE_VERSION;

    fn input(id: &str) -> WorkflowInput {
        WorkflowInput {
            version: MESSAGE_VERSION,
            campaign_id: CampaignId::new(id),
            scheduled_start: None,
        }
    }

    #[tokio::test]
    async fn a_workflow_is_started_once_per_campaign_and_handed_out_once() {
        let w = LocalWorkflows::new();
        w.start(&input("cmp-1")).await.expect("start");
        w.start(&input("cmp-1"))
            .await
            .expect("repeat start is fine");
        w.start(&input("cmp-2")).await.expect("start");
        assert_eq!(w.take_new().len(), 2);
        assert!(w.take_new().is_empty());
        assert_eq!(w.started().len(), 2);
    }
}
