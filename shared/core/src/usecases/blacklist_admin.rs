//! Reading the do-not-call list for administrators: one number with its
//! whole history, and the current list as a CSV file.

use serde::{Deserialize, Serialize};

use crate::blacklist::{BlacklistChange, BlacklistEntry, BlacklistSource};
use crate::phone::PhoneNumber;
use crate::ports::{BlacklistStore, PageRequest};

use super::UseCaseResult;

/// A number's current entry (if listed) and every add and remove.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlacklistLookup {
    pub phone_number: PhoneNumber,
    pub listed: bool,
    pub entry: Option<BlacklistEntry>,
    pub history: Vec<BlacklistChange>,
}

pub struct BlacklistAdmin<'a> {
    pub blacklist: &'a dyn BlacklistStore,
}

fn source_name(s: BlacklistSource) -> &'static str {
    match s {
        BlacklistSource::UserOptout => "user_optout",
        BlacklistSource::AdminImport => "admin_import",
        BlacklistSource::Compliance => "compliance",
    }
}

impl BlacklistAdmin<'_> {
    pub async fn lookup(&self, phone: &PhoneNumber) -> UseCaseResult<BlacklistLookup> {
        let entry = self.blacklist.get(phone).await?;
        let history = self.blacklist.history(phone).await?;
        Ok(BlacklistLookup {
            phone_number: phone.clone(),
            listed: entry.is_some(),
            entry,
            history,
        })
    }

    /// `phone_number,added_at,reason,source`, one row per listed number.
    /// The header's first column is a phone alias, so the file imports back.
    pub async fn export_csv(&self) -> UseCaseResult<(Vec<u8>, usize)> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut rows = 0;
        // Writing to a Vec cannot fail.
        let _ = w.write_record(["phone_number", "added_at", "reason", "source"]);
        let mut page = PageRequest::first(1000);
        loop {
            let p = self.blacklist.list(page.clone()).await?;
            for e in &p.items {
                let _ = w.write_record([
                    e.phone.as_str(),
                    &e.added_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    &e.reason,
                    source_name(e.source),
                ]);
                rows += 1;
            }
            match p.next {
                Some(n) => page.cursor = Some(n),
                None => break,
            }
        }
        Ok((w.into_inner().unwrap_or_default(), rows))
    }
}
