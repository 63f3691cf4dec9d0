//! Campaign progress: how many contacts are finished, and what the workflow
//! does next. An active campaign completes when every contact is terminal or
//! its end time has passed.

use crate::campaign::{CampaignStatus, LifecycleAction};
use crate::ids::CampaignId;
use crate::messages::{MESSAGE_VERSION, WorkflowPhase, WorkflowState};
use crate::ports::{AuditLog, CampaignStore, Clock, ContactStore, IdGenerator};

use super::lifecycle::Lifecycle;
use super::{UseCaseResult, load_campaign};

pub struct Progress<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub audit: &'a dyn AuditLog,
    pub ids: &'a dyn IdGenerator,
    pub clock: &'a dyn Clock,
}

impl Progress<'_> {
    /// Reads progress and completes the campaign when it is done.
    pub async fn run(&self, campaign_id: &CampaignId) -> UseCaseResult<WorkflowState> {
        let mut campaign = load_campaign(self.campaigns, campaign_id).await?;
        let counts = self.contacts.count_by_status(campaign_id).await?;
        let now = self.clock.now();
        let all_done = counts.terminal() == counts.total();
        // In-flight calls finish on their own; only contacts still waiting
        // keep an active campaign open (unless its end has passed).
        let finished =
            all_done || (campaign.settings.schedule.has_ended(now) && counts.in_progress == 0);
        if campaign.status == CampaignStatus::Active && finished {
            let lifecycle = Lifecycle {
                campaigns: self.campaigns,
                audit: self.audit,
                ids: self.ids,
                clock: self.clock,
            };
            campaign = lifecycle
                .perform(campaign_id, LifecycleAction::Complete, "system")
                .await?;
        }
        let phase = WorkflowPhase::of(campaign.status);
        Ok(WorkflowState {
            version: MESSAGE_VERSION,
            campaign_id: campaign_id.clone(),
            phase,
            campaign_status: campaign.status,
            scheduled_start: campaign.settings.schedule.start,
            dispatched: 0,
            total_contacts: counts.total(),
            terminal_contacts: counts.terminal(),
            report_url: None,
        })
    }
}
