//! In-process stores: [`MemoryStore`] implements [`CampaignStore`],
//! [`ContactStore`], [`BlacklistStore`], [`CallRecordStore`] and [`AuditLog`]
//! over maps guarded by one `RwLock` per table (no call ever holds two, so
//! they cannot deadlock), optionally saved to and loaded from a JSON snapshot.
//!
//! Built for simulator scale (hundreds of thousands of contacts): contacts
//! live per campaign in a map by id, pending ones also in a due-time index
//! (`(next_attempt_at, id)`, unset times first), numbers in a phone index,
//! and status counts are kept up to date on every write, so `due`,
//! `find_by_phone` and `count_by_status` never scan a campaign.
//!
//! Cursors are the last key of the page, JSON-encoded: opaque to callers,
//! stable across writes (a page starts strictly after the previous key).

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use campaign_core::blacklist::{BlacklistChange, BlacklistEntry};
use campaign_core::campaign::Campaign;
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    AttemptState, AuditLog, AuditRecord, BlacklistStore, CallRecord, CallRecordStore,
    CampaignStore, ContactStore, Page, PageRequest, PortError, PortResult, StatusCounts,
};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- helpers

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    // A panic while holding a lock cannot leave a table half-written: every
    // write below completes its index updates before it can fail.
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn limit_of(page: &PageRequest) -> PortResult<usize> {
    if page.limit == 0 {
        return Err(PortError::Invalid("page limit must be at least 1".into()));
    }
    Ok(page.limit)
}

fn encode_cursor<K: Serialize>(key: &K) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn decode_cursor<K: DeserializeOwned>(cursor: &Option<String>) -> PortResult<Option<K>> {
    cursor
        .as_deref()
        .map(|c| {
            serde_json::from_str(c)
                .map_err(|_| PortError::Invalid(format!("malformed page cursor {c:?}")))
        })
        .transpose()
}

fn after<K>(cursor: &Option<K>) -> (Bound<&K>, Bound<&K>) {
    match cursor {
        Some(k) => (Bound::Excluded(k), Bound::Unbounded),
        None => (Bound::Unbounded, Bound::Unbounded),
    }
}

/// Takes up to `limit` `(key, item)` pairs; `next` is the last key when
/// more follow.
fn paginate<K: Serialize, T>(mut iter: impl Iterator<Item = (K, T)>, limit: usize) -> Page<T> {
    let mut items = Vec::with_capacity(limit.min(1024));
    let mut last = None;
    for (k, t) in iter.by_ref().take(limit) {
        items.push(t);
        last = Some(k);
    }
    let next = match iter.next() {
        Some(_) => last.map(|k| encode_cursor(&k)),
        None => None,
    };
    Page { items, next }
}

fn subtract(counts: &mut StatusCounts, status: ContactStatus) {
    let field = match status {
        ContactStatus::Pending => &mut counts.pending,
        ContactStatus::InProgress => &mut counts.in_progress,
        ContactStatus::Completed => &mut counts.completed,
        ContactStatus::Failed => &mut counts.failed,
        ContactStatus::Blacklisted => &mut counts.blacklisted,
    };
    *field = field.saturating_sub(1);
}

// ---------------------------------------------------------------- tables

/// What a contact update needs of the stored row: its index keys, and the
/// whole row only when the number changes.
struct StoredKey {
    status: ContactStatus,
    next_attempt_at: Option<DateTime<Utc>>,
    phone: Option<Contact>,
}

#[derive(Debug, Default)]
struct CampaignTable {
    by_id: FxHashMap<CampaignId, Campaign>,
    /// Listing order: oldest first, then by id.
    order: BTreeSet<(DateTime<Utc>, CampaignId)>,
}

#[derive(Debug, Default)]
struct CampaignContacts {
    by_id: BTreeMap<ContactId, Contact>,
    /// Pending contacts only; `None` (due at once) sorts before any time.
    due: BTreeSet<(Option<DateTime<Utc>>, ContactId)>,
    counts: StatusCounts,
}

impl CampaignContacts {
    fn index(&mut self, c: &Contact) {
        if c.status == ContactStatus::Pending {
            self.due.insert((c.next_attempt_at, c.id.clone()));
        }
        self.counts.add(c.status, 1);
    }
}

#[derive(Debug, Default)]
struct ContactTable {
    campaigns: FxHashMap<CampaignId, CampaignContacts>,
    by_phone: FxHashMap<PhoneNumber, BTreeSet<(CampaignId, ContactId)>>,
}

impl ContactTable {
    /// Inserts unless the id exists in its campaign; true when inserted.
    fn insert(&mut self, c: &Contact) -> bool {
        let cc = self.campaigns.entry(c.campaign_id.clone()).or_default();
        if cc.by_id.contains_key(&c.id) {
            return false;
        }
        cc.index(c);
        cc.by_id.insert(c.id.clone(), c.clone());
        self.by_phone
            .entry(c.phone.clone())
            .or_default()
            .insert((c.campaign_id.clone(), c.id.clone()));
        true
    }

    fn unlink_phone(&mut self, c: &Contact) {
        if let Some(set) = self.by_phone.get_mut(&c.phone) {
            set.remove(&(c.campaign_id.clone(), c.id.clone()));
            if set.is_empty() {
                self.by_phone.remove(&c.phone);
            }
        }
    }
}

#[derive(Debug, Default)]
struct BlacklistTable {
    current: BTreeMap<PhoneNumber, BlacklistEntry>,
    history: FxHashMap<PhoneNumber, Vec<BlacklistChange>>,
}

#[derive(Debug, Default)]
struct CallTable {
    by_id: FxHashMap<CallId, CallRecord>,
    by_campaign: FxHashMap<CampaignId, BTreeSet<CallId>>,
}

#[derive(Debug, Default)]
struct AuditTable {
    by_target: FxHashMap<String, Vec<AuditRecord>>,
}

// ---------------------------------------------------------------- store

/// Every store port in process memory. Cheap to create; share it behind an
/// `Arc` and hand `&store` to each use case as the port it needs.
#[derive(Debug, Default)]
pub struct MemoryStore {
    campaigns: RwLock<CampaignTable>,
    contacts: RwLock<ContactTable>,
    blacklist: RwLock<BlacklistTable>,
    calls: RwLock<CallTable>,
    audit: RwLock<AuditTable>,
}

/// Everything a [`MemoryStore`] holds, as saved to a file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StoreSnapshot {
    /// [`StoreSnapshot::FORMAT`] at the time of writing.
    pub format: u32,
    pub campaigns: Vec<Campaign>,
    pub contacts: Vec<Contact>,
    pub blacklist: Vec<BlacklistEntry>,
    /// Every blacklist change, oldest first per number.
    pub blacklist_history: Vec<BlacklistChange>,
    pub calls: Vec<CallRecord>,
    pub audit: Vec<AuditRecord>,
}

impl StoreSnapshot {
    pub const FORMAT: u32 = 1;
}

/// Saving or loading a snapshot file failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreFileError {
    #[error("cannot access store file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("store file {path} is not a valid snapshot: {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("store file {path} has format {found}, this build reads format {expected}")]
    UnsupportedFormat {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A consistent copy of everything (all tables are read-locked together).
    pub fn snapshot(&self) -> StoreSnapshot {
        // Fixed lock order; other methods hold one lock at a time.
        let campaigns = read(&self.campaigns);
        let contacts = read(&self.contacts);
        let blacklist = read(&self.blacklist);
        let calls = read(&self.calls);
        let audit = read(&self.audit);

        let campaigns_out = campaigns
            .order
            .iter()
            .filter_map(|(_, id)| campaigns.by_id.get(id).cloned())
            .collect();
        let mut campaign_ids: Vec<&CampaignId> = contacts.campaigns.keys().collect();
        campaign_ids.sort();
        let contacts_out = campaign_ids
            .into_iter()
            .filter_map(|id| contacts.campaigns.get(id))
            .flat_map(|cc| cc.by_id.values().cloned())
            .collect();
        let mut phones: Vec<&PhoneNumber> = blacklist.history.keys().collect();
        phones.sort();
        let history = phones
            .into_iter()
            .filter_map(|p| blacklist.history.get(p))
            .flat_map(|h| h.iter().cloned())
            .collect();
        let mut call_ids: Vec<&CallId> = calls.by_id.keys().collect();
        call_ids.sort();
        let calls_out = call_ids
            .into_iter()
            .filter_map(|id| calls.by_id.get(id).cloned())
            .collect();
        let mut targets: Vec<&String> = audit.by_target.keys().collect();
        targets.sort();
        let audit_out = targets
            .into_iter()
            .filter_map(|t| audit.by_target.get(t))
            .flat_map(|v| v.iter().cloned())
            .collect();
        StoreSnapshot {
            format: StoreSnapshot::FORMAT,
            campaigns: campaigns_out,
            contacts: contacts_out,
            blacklist: blacklist.current.values().cloned().collect(),
            blacklist_history: history,
            calls: calls_out,
            audit: audit_out,
        }
    }

    /// Rebuilds a store (and its indexes) from a snapshot. Repeated keys
    /// keep their first occurrence, as inserts do.
    pub fn from_snapshot(snapshot: StoreSnapshot) -> Self {
        let store = Self::new();
        {
            let mut t = write(&store.campaigns);
            for c in snapshot.campaigns {
                if !t.by_id.contains_key(&c.id) {
                    t.order.insert((c.created_at, c.id.clone()));
                    t.by_id.insert(c.id.clone(), c);
                }
            }
        }
        {
            let mut t = write(&store.contacts);
            for c in &snapshot.contacts {
                t.insert(c);
            }
        }
        {
            let mut t = write(&store.blacklist);
            for e in snapshot.blacklist {
                t.current.entry(e.phone.clone()).or_insert(e);
            }
            for change in snapshot.blacklist_history {
                let phone = match &change {
                    BlacklistChange::Added { entry } => entry.phone.clone(),
                    BlacklistChange::Removed { phone, .. } => phone.clone(),
                };
                t.history.entry(phone).or_default().push(change);
            }
        }
        {
            let mut t = write(&store.calls);
            for r in snapshot.calls {
                if !t.by_id.contains_key(&r.call_id) {
                    t.by_campaign
                        .entry(r.campaign_id.clone())
                        .or_default()
                        .insert(r.call_id.clone());
                    t.by_id.insert(r.call_id.clone(), r);
                }
            }
        }
        {
            let mut t = write(&store.audit);
            for r in snapshot.audit {
                insert_audit(&mut t, r);
            }
        }
        store
    }

    /// Writes a JSON snapshot to `path` (through a temporary file renamed
    /// into place, so a crash never leaves a half-written store).
    pub fn save_to(&self, path: &Path) -> Result<(), StoreFileError> {
        let io = |source| StoreFileError::Io {
            path: path.to_owned(),
            source,
        };
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let snapshot = self.snapshot();
        let file = File::create(&tmp).map_err(io)?;
        let mut out = BufWriter::new(file);
        serde_json::to_writer(&mut out, &snapshot).map_err(|source| StoreFileError::Format {
            path: path.to_owned(),
            source,
        })?;
        out.flush().map_err(io)?;
        drop(out);
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a store saved by [`MemoryStore::save_to`].
    pub fn load_from(path: &Path) -> Result<Self, StoreFileError> {
        let file = File::open(path).map_err(|source| StoreFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        let snapshot: StoreSnapshot =
            serde_json::from_reader(BufReader::new(file)).map_err(|source| {
                StoreFileError::Format {
                    path: path.to_owned(),
                    source,
                }
            })?;
        if snapshot.format != StoreSnapshot::FORMAT {
            return Err(StoreFileError::UnsupportedFormat {
                path: path.to_owned(),
                found: snapshot.format,
                expected: StoreSnapshot::FORMAT,
            });
        }
        Ok(Self::from_snapshot(snapshot))
    }

    /// Loads `path` if it exists, else starts empty.
    pub fn open_or_new(path: &Path) -> Result<Self, StoreFileError> {
        if path.exists() {
            Self::load_from(path)
        } else {
            Ok(Self::new())
        }
    }

    /// Contacts stored for a campaign (all statuses).
    pub fn contact_count(&self, campaign: &CampaignId) -> usize {
        read(&self.contacts)
            .campaigns
            .get(campaign)
            .map_or(0, |cc| cc.by_id.len())
    }

    /// Pending contacts of a campaign (due now or later).
    pub fn pending_count(&self, campaign: &CampaignId) -> usize {
        read(&self.contacts)
            .campaigns
            .get(campaign)
            .map_or(0, |cc| cc.due.len())
    }

    /// The earliest `next_attempt_at` among a campaign's pending contacts
    /// (`Some(None)` when one is due at once; `None` when none is pending):
    /// lets a virtual-time driver jump straight to the next due contact.
    pub fn next_due(&self, campaign: &CampaignId) -> Option<Option<DateTime<Utc>>> {
        read(&self.contacts)
            .campaigns
            .get(campaign)
            .and_then(|cc| cc.due.first().map(|(t, _)| *t))
    }
}

fn insert_audit(t: &mut AuditTable, record: AuditRecord) {
    let log = t.by_target.entry(record.target.clone()).or_default();
    // Oldest first; records with equal times keep their append order.
    let at = log.partition_point(|r| r.at <= record.at);
    log.insert(at, record);
}

// ---------------------------------------------------------------- ports

#[async_trait]
impl CampaignStore for MemoryStore {
    async fn create(&self, campaign: &Campaign) -> PortResult<()> {
        let mut t = write(&self.campaigns);
        if t.by_id.contains_key(&campaign.id) {
            return Err(PortError::Conflict(format!(
                "campaign {} already exists",
                campaign.id
            )));
        }
        t.order.insert((campaign.created_at, campaign.id.clone()));
        t.by_id.insert(campaign.id.clone(), campaign.clone());
        Ok(())
    }

    async fn get(&self, id: &CampaignId) -> PortResult<Option<Campaign>> {
        Ok(read(&self.campaigns).by_id.get(id).cloned())
    }

    async fn update(&self, campaign: &Campaign, expected_version: u64) -> PortResult<()> {
        let mut t = write(&self.campaigns);
        let Some(stored) = t.by_id.get(&campaign.id) else {
            return Err(PortError::NotFound(format!("campaign {}", campaign.id)));
        };
        if stored.version != expected_version {
            return Err(PortError::Conflict(format!(
                "campaign {} is at version {}, not {expected_version}",
                campaign.id, stored.version
            )));
        }
        let old_key = (stored.created_at, stored.id.clone());
        t.order.remove(&old_key);
        t.order.insert((campaign.created_at, campaign.id.clone()));
        t.by_id.insert(campaign.id.clone(), campaign.clone());
        Ok(())
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Campaign>> {
        let limit = limit_of(&page)?;
        let cursor: Option<(DateTime<Utc>, CampaignId)> = decode_cursor(&page.cursor)?;
        let t = read(&self.campaigns);
        let iter = t
            .order
            .range(after(&cursor))
            .filter_map(|key| t.by_id.get(&key.1).map(|c| (key, c.clone())));
        Ok(paginate(iter, limit))
    }
}

#[async_trait]
impl ContactStore for MemoryStore {
    async fn insert_many(&self, contacts: &[Contact]) -> PortResult<usize> {
        let mut t = write(&self.contacts);
        Ok(contacts.iter().filter(|c| t.insert(c)).count())
    }

    async fn get(&self, campaign: &CampaignId, id: &ContactId) -> PortResult<Option<Contact>> {
        Ok(read(&self.contacts)
            .campaigns
            .get(campaign)
            .and_then(|cc| cc.by_id.get(id))
            .cloned())
    }

    async fn update(&self, contact: &Contact, expected: ContactStatus) -> PortResult<()> {
        let mut t = write(&self.contacts);
        // Only what the indexes need from the stored row (a whole clone per
        // write shows up in the simulator's profile).
        let Some(stored) = t
            .campaigns
            .get(&contact.campaign_id)
            .and_then(|cc| cc.by_id.get(&contact.id))
            .map(|c| StoredKey {
                status: c.status,
                next_attempt_at: c.next_attempt_at,
                phone: (c.phone != contact.phone).then(|| c.clone()),
            })
        else {
            return Err(PortError::NotFound(format!(
                "contact {} of campaign {}",
                contact.id, contact.campaign_id
            )));
        };
        if stored.status != expected {
            return Err(PortError::Conflict(format!(
                "contact {} is {}, not {}",
                contact.id,
                stored.status.as_str(),
                expected.as_str()
            )));
        }
        if let Some(old) = &stored.phone {
            t.unlink_phone(old);
            t.by_phone
                .entry(contact.phone.clone())
                .or_default()
                .insert((contact.campaign_id.clone(), contact.id.clone()));
        }
        if let Some(cc) = t.campaigns.get_mut(&contact.campaign_id) {
            if stored.status == ContactStatus::Pending {
                cc.due.remove(&(stored.next_attempt_at, contact.id.clone()));
            }
            subtract(&mut cc.counts, stored.status);
            cc.index(contact);
            if let Some(slot) = cc.by_id.get_mut(&contact.id) {
                slot.clone_from(contact);
            }
        }
        Ok(())
    }

    async fn due(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        page: PageRequest,
    ) -> PortResult<Page<Contact>> {
        let limit = limit_of(&page)?;
        let cursor: Option<(Option<DateTime<Utc>>, ContactId)> = decode_cursor(&page.cursor)?;
        let t = read(&self.contacts);
        let Some(cc) = t.campaigns.get(campaign) else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let iter = cc
            .due
            .range(after(&cursor))
            .take_while(|(when, _)| when.is_none_or(|w| w <= at))
            .filter_map(|key| cc.by_id.get(&key.1).map(|c| (key, c.clone())));
        Ok(paginate(iter, limit))
    }

    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<Contact>> {
        let limit = limit_of(&page)?;
        let cursor: Option<ContactId> = decode_cursor(&page.cursor)?;
        let t = read(&self.contacts);
        let Some(cc) = t.campaigns.get(campaign) else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let iter = cc
            .by_id
            .range(after(&cursor))
            .map(|(id, c)| (id, c.clone()));
        Ok(paginate(iter, limit))
    }

    async fn count_by_status(&self, campaign: &CampaignId) -> PortResult<StatusCounts> {
        Ok(read(&self.contacts)
            .campaigns
            .get(campaign)
            .map(|cc| cc.counts)
            .unwrap_or_default())
    }

    async fn find_by_phone(&self, phone: &PhoneNumber) -> PortResult<Vec<Contact>> {
        let t = read(&self.contacts);
        let Some(keys) = t.by_phone.get(phone) else {
            return Ok(Vec::new());
        };
        Ok(keys
            .iter()
            .filter_map(|(camp, id)| t.campaigns.get(camp).and_then(|cc| cc.by_id.get(id)))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl BlacklistStore for MemoryStore {
    async fn add(&self, entry: &BlacklistEntry) -> PortResult<bool> {
        let mut t = write(&self.blacklist);
        if t.current.contains_key(&entry.phone) {
            return Ok(false);
        }
        t.current.insert(entry.phone.clone(), entry.clone());
        t.history
            .entry(entry.phone.clone())
            .or_default()
            .push(BlacklistChange::Added {
                entry: entry.clone(),
            });
        Ok(true)
    }

    async fn remove(&self, phone: &PhoneNumber, by: &str, at: DateTime<Utc>) -> PortResult<bool> {
        let mut t = write(&self.blacklist);
        if t.current.remove(phone).is_none() {
            return Ok(false);
        }
        t.history
            .entry(phone.clone())
            .or_default()
            .push(BlacklistChange::Removed {
                phone: phone.clone(),
                at,
                by: by.to_owned(),
            });
        Ok(true)
    }

    async fn get(&self, phone: &PhoneNumber) -> PortResult<Option<BlacklistEntry>> {
        Ok(read(&self.blacklist).current.get(phone).cloned())
    }

    async fn contains_any(&self, phones: &[PhoneNumber]) -> PortResult<HashSet<PhoneNumber>> {
        let t = read(&self.blacklist);
        Ok(phones
            .iter()
            .filter(|p| t.current.contains_key(*p))
            .cloned()
            .collect())
    }

    async fn history(&self, phone: &PhoneNumber) -> PortResult<Vec<BlacklistChange>> {
        Ok(read(&self.blacklist)
            .history
            .get(phone)
            .cloned()
            .unwrap_or_default())
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<BlacklistEntry>> {
        let limit = limit_of(&page)?;
        let cursor: Option<PhoneNumber> = decode_cursor(&page.cursor)?;
        let t = read(&self.blacklist);
        let iter = t.current.range(after(&cursor)).map(|(p, e)| (p, e.clone()));
        Ok(paginate(iter, limit))
    }
}

#[async_trait]
impl CallRecordStore for MemoryStore {
    async fn create_if_absent(&self, record: &CallRecord) -> PortResult<Option<CallRecord>> {
        let mut t = write(&self.calls);
        if let Some(existing) = t.by_id.get(&record.call_id) {
            return Ok(Some(existing.clone()));
        }
        t.by_campaign
            .entry(record.campaign_id.clone())
            .or_default()
            .insert(record.call_id.clone());
        t.by_id.insert(record.call_id.clone(), record.clone());
        Ok(None)
    }

    async fn get(&self, call_id: &CallId) -> PortResult<Option<CallRecord>> {
        Ok(read(&self.calls).by_id.get(call_id).cloned())
    }

    async fn update(&self, record: &CallRecord, expected: AttemptState) -> PortResult<()> {
        let mut t = write(&self.calls);
        let Some(stored) = t.by_id.get(&record.call_id) else {
            return Err(PortError::NotFound(format!(
                "call record {}",
                record.call_id
            )));
        };
        if stored.state != expected {
            return Err(PortError::Conflict(format!(
                "call {} is {:?}, not {expected:?}",
                record.call_id, stored.state
            )));
        }
        let old_campaign = stored.campaign_id.clone();
        if old_campaign != record.campaign_id {
            if let Some(set) = t.by_campaign.get_mut(&old_campaign) {
                set.remove(&record.call_id);
            }
            t.by_campaign
                .entry(record.campaign_id.clone())
                .or_default()
                .insert(record.call_id.clone());
        }
        t.by_id.insert(record.call_id.clone(), record.clone());
        Ok(())
    }

    async fn set_follow_up(&self, call_id: &CallId, text: &str) -> PortResult<()> {
        let mut t = write(&self.calls);
        match t.by_id.get_mut(call_id) {
            Some(r) => {
                r.follow_up = Some(text.to_owned());
                Ok(())
            }
            None => Err(PortError::NotFound(format!("call record {call_id}"))),
        }
    }

    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<CallRecord>> {
        let limit = limit_of(&page)?;
        let cursor: Option<CallId> = decode_cursor(&page.cursor)?;
        let t = read(&self.calls);
        let Some(ids) = t.by_campaign.get(campaign) else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let iter = ids
            .range(after(&cursor))
            .filter_map(|id| t.by_id.get(id).map(|r| (id, r.clone())));
        Ok(paginate(iter, limit))
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append(&self, record: &AuditRecord) -> PortResult<()> {
        insert_audit(&mut write(&self.audit), record.clone());
        Ok(())
    }

    async fn for_target(&self, target: &str) -> PortResult<Vec<AuditRecord>> {
        Ok(read(&self.audit)
            .by_target
            .get(target)
            .cloned()
            .unwrap_or_default())
    }
}
