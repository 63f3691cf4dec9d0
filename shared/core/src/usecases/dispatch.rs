//! Dispatch: pick the campaign's due contacts (not blacklisted, inside the
//! window in their own zone, attempts left), best predicted hour first, mark
//! them in progress and queue one dial task each.

use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::contact::{Contact, ContactStatus};
use crate::eligibility::{SkipReason, may_dial};
use crate::ids::{CallId, CampaignId};
use crate::messages::{DialTask, MESSAGE_VERSION};
use crate::optimal_time::{CallTimeModel, HourOfWeek};
use crate::outcome::CallOutcome;
use crate::pacing::PaceLimits;
use crate::ports::{
    BlacklistStore, CampaignStore, Clock, ContactStore, Counters, DialQueue, PageRequest, PortError,
};

use super::{UseCaseResult, keys, load_campaign};

/// How many tasks to queue now: enough to keep the pace busy until the next
/// dispatch, minus what is already waiting, so the queue never holds hours
/// of work that a pause or an opt-out would have to chase.
pub fn dispatch_budget(
    pace: PaceLimits,
    interval_secs: u32,
    queue_depth: u64,
    max_batch: u32,
) -> u32 {
    let wanted = u64::from(pace.calls_per_second) * u64::from(interval_secs.max(1));
    wanted.saturating_sub(queue_depth).min(u64::from(max_batch)) as u32
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DispatchOutcome {
    pub queued: u32,
    /// Due contacts found blacklisted and marked so (never dialled).
    pub blacklisted: u32,
    /// Due contacts outside their window, moved to their next allowed time.
    pub deferred: u32,
    /// Contacts whose attempts were used up (marked failed).
    pub exhausted: u32,
}

pub struct Dispatch<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
    pub queue: &'a dyn DialQueue,
    pub counters: &'a dyn Counters,
    pub clock: &'a dyn Clock,
    pub model: &'a CallTimeModel,
}

/// How many due contacts are read per task queued: the ranking chooses among them.
const CANDIDATE_FACTOR: usize = 4;

impl Dispatch<'_> {
    pub async fn run(
        &self,
        campaign_id: &CampaignId,
        limit: u32,
    ) -> UseCaseResult<DispatchOutcome> {
        let campaign = load_campaign(self.campaigns, campaign_id).await?;
        let now = self.clock.now();
        let mut outcome = DispatchOutcome::default();
        if limit == 0 || !campaign.is_dialling(now) {
            return Ok(outcome);
        }
        let page = self
            .contacts
            .due(
                campaign_id,
                now,
                PageRequest::first(limit as usize * CANDIDATE_FACTOR),
            )
            .await?;
        let phones: Vec<_> = page.items.iter().map(|c| c.phone.clone()).collect();
        let listed = self.blacklist.contains_any(&phones).await?;

        let mut candidates: Vec<(f64, Contact)> = Vec::new();
        for mut contact in page.items {
            match may_dial(&campaign, &contact, listed.contains(&contact.phone), now) {
                Ok(()) => {
                    let zone = campaign.settings.schedule.zone_for(contact.timezone);
                    let score = self
                        .model
                        .score(&contact.history, HourOfWeek::of(now, zone));
                    candidates.push((score, contact));
                }
                Err(SkipReason::Blacklisted) => {
                    contact.status = ContactStatus::Blacklisted;
                    contact.last_outcome = Some(CallOutcome::Blacklisted);
                    if self.settle(&contact).await? {
                        self.counters
                            .add(&keys::metric(campaign_id, "blacklisted"), 1)
                            .await?;
                        outcome.blacklisted += 1;
                    }
                }
                Err(SkipReason::OutsideWindow) => {
                    let next = campaign
                        .settings
                        .schedule
                        .next_allowed(now, contact.timezone);
                    // No allowed time before the end: leave it; the campaign
                    // completes when its end is reached.
                    if let Some(next) = next {
                        contact.next_attempt_at = Some(next);
                        if self.settle(&contact).await? {
                            outcome.deferred += 1;
                        }
                    }
                }
                Err(SkipReason::AttemptsExhausted) => {
                    contact.status = ContactStatus::Failed;
                    if self.settle(&contact).await? {
                        outcome.exhausted += 1;
                    }
                }
                Err(_) => {}
            }
        }

        // Highest predicted answer probability now first; ties keep the
        // store's order (longest waiting first).
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut tasks = Vec::new();
        let mut taken = Vec::new();
        for (_, contact) in candidates.into_iter().take(limit as usize) {
            let mut claimed = contact.clone();
            claimed.status = ContactStatus::InProgress;
            match self.contacts.update(&claimed, ContactStatus::Pending).await {
                Ok(()) => {
                    tasks.push(task_for(&campaign, &claimed, now));
                    taken.push(contact);
                }
                // Another dispatcher took it first.
                Err(PortError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if tasks.is_empty() {
            return Ok(outcome);
        }
        if let Err(e) = self.queue.send(&tasks).await {
            // Put the contacts back so nothing is left claimed but unqueued.
            for contact in &taken {
                let mut back = contact.clone();
                back.status = ContactStatus::Pending;
                let _ = self.contacts.update(&back, ContactStatus::InProgress).await;
            }
            return Err(e.into());
        }
        outcome.queued = tasks.len() as u32;
        Ok(outcome)
    }

    /// Compare-and-set from pending; `false` if someone else moved it first.
    async fn settle(&self, contact: &Contact) -> UseCaseResult<bool> {
        match self.contacts.update(contact, ContactStatus::Pending).await {
            Ok(()) => Ok(true),
            Err(PortError::Conflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The dial task for a contact's next attempt.
pub fn task_for(
    campaign: &Campaign,
    contact: &Contact,
    now: chrono::DateTime<chrono::Utc>,
) -> DialTask {
    let attempt = contact.attempts + 1;
    DialTask {
        version: MESSAGE_VERSION,
        campaign_id: campaign.id.clone(),
        contact_id: contact.id.clone(),
        call_id: CallId::for_attempt(&contact.id, attempt),
        attempt,
        phone_number: contact.phone.clone(),
        queued_at: now,
        settings: None,
    }
}
