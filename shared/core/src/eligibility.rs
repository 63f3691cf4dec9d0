//! The dial gate: the single rule the dispatcher, the enricher and the dialer
//! apply before a number is called or sent an SMS.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, CampaignStatus};
use crate::contact::{Contact, ContactStatus};

/// Why a contact may not be dialled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The campaign is paused: keep the contact for later.
    CampaignPaused,
    /// Not active (draft, scheduled, completed, cancelled, failed, archived).
    CampaignNotActive,
    /// The campaign's end time has passed.
    CampaignEnded,
    Blacklisted,
    OutsideWindow,
    AttemptsExhausted,
    /// Its next attempt is not due yet.
    NotDue,
    /// Already finished.
    Terminal,
}

impl SkipReason {
    /// Whether the contact may still be dialled later (the task should be
    /// dropped now but the contact kept pending).
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            SkipReason::CampaignPaused | SkipReason::OutsideWindow | SkipReason::NotDue
        )
    }
}

/// May `contact` of `campaign` be dialled at `now`? `blacklisted` is the
/// current do-not-call answer for its number, read by the caller.
pub fn may_dial(
    campaign: &Campaign,
    contact: &Contact,
    blacklisted: bool,
    now: DateTime<Utc>,
) -> Result<(), SkipReason> {
    // Blacklist first: it is the one rule that must never be wrong.
    if blacklisted {
        return Err(SkipReason::Blacklisted);
    }
    if contact.status.is_terminal() {
        return Err(SkipReason::Terminal);
    }
    campaign_calling(campaign, now)?;
    if contact.attempts >= campaign.settings.retry.max_attempts {
        return Err(SkipReason::AttemptsExhausted);
    }
    if contact.next_attempt_at.is_some_and(|t| t > now) {
        return Err(SkipReason::NotDue);
    }
    if !in_calling_window(campaign, contact, now) {
        return Err(SkipReason::OutsideWindow);
    }
    debug_assert!(contact.status != ContactStatus::Blacklisted);
    Ok(())
}

/// Is the campaign itself calling at `now`: active, and not past its end?
fn campaign_calling(campaign: &Campaign, now: DateTime<Utc>) -> Result<(), SkipReason> {
    match campaign.status {
        CampaignStatus::Active => {}
        CampaignStatus::Paused => return Err(SkipReason::CampaignPaused),
        _ => return Err(SkipReason::CampaignNotActive),
    }
    if campaign.settings.schedule.has_ended(now) {
        return Err(SkipReason::CampaignEnded);
    }
    Ok(())
}

/// Whether `campaign` may call `contact` at `now` by its bounds and calling
/// windows, read in the contact's own zone: the window rule of every call,
/// campaign call or follow-up TTS call.
pub fn in_calling_window(campaign: &Campaign, contact: &Contact, now: DateTime<Utc>) -> bool {
    campaign.settings.schedule.is_allowed(now, contact.timezone)
}

/// May an attempt the dial gate already let through be placed at `now`?
/// The carrier's last check before it dials a queued command: the part of
/// [`may_dial`] that can change while a command waits (the number listed,
/// the campaign paused, cancelled or ended, the contact's calling window
/// closed in its own zone). Attempts and due times were settled when the
/// attempt was admitted and are not asked again.
pub fn may_place(
    campaign: &Campaign,
    contact: &Contact,
    blacklisted: bool,
    now: DateTime<Utc>,
) -> Result<(), SkipReason> {
    if blacklisted || contact.status == ContactStatus::Blacklisted {
        return Err(SkipReason::Blacklisted);
    }
    campaign_calling(campaign, now)?;
    if !in_calling_window(campaign, contact, now) {
        return Err(SkipReason::OutsideWindow);
    }
    Ok(())
}
