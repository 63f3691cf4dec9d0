//! Importing a contact file into a campaign: parse, validate, de-duplicate
//! (core `import`), mark numbers already on the do-not-call list, store.

use crate::contact::{Contact, ContactStatus};
use crate::ids::{CampaignId, ContactId};
use crate::import::{FileFormat, ImportOptions, ImportReport, import_bytes};
use crate::outcome::CallOutcome;
use crate::phone::PhoneNumber;
use crate::ports::{BlacklistStore, CampaignStore, ContactStore};

use super::{UseCaseError, UseCaseResult, load_campaign};

/// What an import did: the parser's report plus what the store made of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContactImportResult {
    pub report: ImportReport,
    /// Contacts new to the campaign (a re-upload of the same numbers adds none).
    pub stored: usize,
    /// Imported numbers already on the do-not-call list: stored as blacklisted, never dialled.
    pub blacklisted: usize,
}

pub struct ImportContacts<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
}

/// A contact's id within its campaign: derived from the number so a
/// re-import of the same number names the same contact, but hashed
/// (64-bit FNV-1a) so ids — which end up in logs, queues and file names —
/// never carry a phone number in clear.
pub fn contact_id_for(campaign: &CampaignId, phone: &PhoneNumber) -> ContactId {
    let hash = phone
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    ContactId::new(format!("{campaign}-{hash:016x}"))
}

impl ImportContacts<'_> {
    pub async fn run(
        &self,
        campaign_id: &CampaignId,
        bytes: &[u8],
        format: FileFormat,
        options: &ImportOptions,
    ) -> UseCaseResult<ContactImportResult> {
        let campaign = load_campaign(self.campaigns, campaign_id).await?;
        if campaign.status.is_finished() {
            return Err(UseCaseError::Invalid(vec![format!(
                "contacts cannot be added to a campaign that is {}",
                campaign.status
            )]));
        }
        let report = import_bytes(bytes, format, options)?;
        let phones: Vec<PhoneNumber> = report.contacts.iter().map(|c| c.phone.clone()).collect();
        let listed = self.blacklist.contains_any(&phones).await?;
        let contacts: Vec<Contact> = report
            .contacts
            .iter()
            .map(|c| {
                let blacklisted = listed.contains(&c.phone);
                Contact {
                    id: contact_id_for(campaign_id, &c.phone),
                    campaign_id: campaign_id.clone(),
                    phone: c.phone.clone(),
                    line_type: c.line_type,
                    delivery: c.delivery,
                    timezone: c.timezone,
                    metadata: std::sync::Arc::new(c.metadata.clone()),
                    status: if blacklisted {
                        ContactStatus::Blacklisted
                    } else {
                        ContactStatus::Pending
                    },
                    attempts: 0,
                    next_attempt_at: None,
                    last_attempt_at: None,
                    last_outcome: blacklisted.then_some(CallOutcome::Blacklisted),
                    settled_attempts: 0,
                    history: Vec::new(),
                }
            })
            .collect();
        let stored = self.contacts.insert_many(&contacts).await?;
        Ok(ContactImportResult {
            blacklisted: listed.len(),
            report,
            stored,
        })
    }
}
