//! The do-not-call list: an opt-out (key 9) or an administrator's add takes
//! effect at once in every campaign — the number is listed, and each of its
//! contacts that is not finished is marked blacklisted, so no dispatcher,
//! enricher or follow-up will touch it again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::blacklist::{BlacklistEntry, BlacklistSource};
use crate::contact::ContactStatus;
use crate::import::{FileFormat, ImportOptions, ImportReport, import_bytes};
use crate::messages::OptOutEvent;
use crate::outcome::CallOutcome;
use crate::phone::PhoneNumber;
use crate::ports::{AuditLog, AuditRecord, BlacklistStore, Clock, ContactStore, PortError};

use super::UseCaseResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockOutcome {
    /// False when the number was already listed.
    pub newly_listed: bool,
    /// Unfinished contacts (in any campaign) now marked blacklisted.
    pub contacts_blocked: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlacklistImportResult {
    pub report: ImportReport,
    pub newly_listed: usize,
    pub contacts_blocked: u32,
}

pub struct Blacklisting<'a> {
    pub blacklist: &'a dyn BlacklistStore,
    pub contacts: &'a dyn ContactStore,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
}

impl Blacklisting<'_> {
    /// Handles an opt-out event (idempotent: a repeat lists nothing new).
    pub async fn opt_out(&self, event: &OptOutEvent) -> UseCaseResult<BlockOutcome> {
        let entry = BlacklistEntry::new(
            event.phone_number.clone(),
            event.at,
            event.reason.clone(),
            event.source,
        );
        let actor = match &event.campaign_id {
            Some(c) => format!("optout:{c}"),
            None => "optout".to_owned(),
        };
        self.block(&entry, &actor).await
    }

    /// Adds one number.
    pub async fn add(
        &self,
        phone: PhoneNumber,
        reason: &str,
        source: BlacklistSource,
        actor: &str,
    ) -> UseCaseResult<BlockOutcome> {
        let entry = BlacklistEntry::new(phone, self.clock.now(), reason, source);
        self.block(&entry, actor).await
    }

    /// Imports a file of numbers (same parser and aliases as contact files);
    /// every valid number is effective when this returns.
    pub async fn import(
        &self,
        bytes: &[u8],
        format: FileFormat,
        options: &ImportOptions,
        reason: &str,
        actor: &str,
    ) -> UseCaseResult<BlacklistImportResult> {
        let report = import_bytes(bytes, format, options)?;
        let mut newly_listed = 0;
        let mut contacts_blocked = 0;
        let now = self.clock.now();
        for c in &report.contacts {
            let entry =
                BlacklistEntry::new(c.phone.clone(), now, reason, BlacklistSource::AdminImport);
            let out = self.block(&entry, actor).await?;
            newly_listed += usize::from(out.newly_listed);
            contacts_blocked += out.contacts_blocked;
        }
        Ok(BlacklistImportResult {
            report,
            newly_listed,
            contacts_blocked,
        })
    }

    /// Removes a number (audited). Contacts already marked stay finished.
    pub async fn remove(&self, phone: &PhoneNumber, actor: &str) -> UseCaseResult<bool> {
        let now = self.clock.now();
        let before = self.blacklist.get(phone).await?;
        let removed = self.blacklist.remove(phone, actor, now).await?;
        if removed {
            self.audit(actor, "blacklist.remove", phone, before.as_ref(), None, now)
                .await?;
        }
        Ok(removed)
    }

    async fn block(&self, entry: &BlacklistEntry, actor: &str) -> UseCaseResult<BlockOutcome> {
        let newly_listed = self.blacklist.add(entry).await?;
        if newly_listed {
            self.audit(
                actor,
                "blacklist.add",
                &entry.phone,
                None,
                Some(entry),
                entry.added_at,
            )
            .await?;
        }
        let mut contacts_blocked = 0;
        for mut contact in self.contacts.find_by_phone(&entry.phone).await? {
            for _ in 0..5 {
                if contact.status.is_terminal() {
                    break;
                }
                let expected = contact.status;
                contact.status = ContactStatus::Blacklisted;
                if contact.last_outcome.is_none() {
                    contact.last_outcome = Some(CallOutcome::Blacklisted);
                }
                match self.contacts.update(&contact, expected).await {
                    Ok(()) => {
                        contacts_blocked += 1;
                        break;
                    }
                    Err(PortError::Conflict(_)) => {
                        match self.contacts.get(&contact.campaign_id, &contact.id).await? {
                            Some(fresh) => contact = fresh,
                            None => break,
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(BlockOutcome {
            newly_listed,
            contacts_blocked,
        })
    }

    async fn audit(
        &self,
        actor: &str,
        action: &str,
        phone: &PhoneNumber,
        before: Option<&BlacklistEntry>,
        after: Option<&BlacklistEntry>,
        at: DateTime<Utc>,
    ) -> UseCaseResult<()> {
        let record = AuditRecord::change(
            at,
            actor,
            action,
            format!("blacklist/{phone}"),
            before,
            after,
        );
        self.audit.append(&record).await?;
        Ok(())
    }
}
