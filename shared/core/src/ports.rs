//! Ports: one small async trait per capability a use case needs. A function
//! is handed only the ports it uses (and its IAM policy grants only those).
//! Embedded adapters live in `campaign-embedded`, AWS ones in their own
//! crate; both pass the suites in [`crate::contracts`].

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::blacklist::{BlacklistChange, BlacklistEntry};
use crate::campaign::Campaign;
use crate::contact::{Contact, ContactStatus};
use crate::ids::{CallId, CampaignId, ContactId};
use crate::messages::{
    CallEvent, CallPurpose, DialTask, DonationEvent, OptOutEvent, OriginateCommand,
};
use crate::outcome::CallOutcome;
use crate::phone::PhoneNumber;

pub use crate::clock::Clock;

/// A failure of an adapter. `Unavailable` is transient (retry with backoff);
/// the rest are not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// A conditional write lost: the item exists or changed meanwhile.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Throttled, timed out, or the service is down: safe to retry.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Other(String),
}

impl PortError {
    pub fn is_transient(&self) -> bool {
        matches!(self, PortError::Unavailable(_))
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// A page request: an opaque cursor from the previous page and a size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: usize,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        Self {
            cursor: None,
            limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// None on the last page.
    pub next: Option<String>,
}

// ---------------------------------------------------------------- stores

#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Fails with `Conflict` if the id exists.
    async fn create(&self, campaign: &Campaign) -> PortResult<()>;
    async fn get(&self, id: &CampaignId) -> PortResult<Option<Campaign>>;
    /// Writes `campaign` if the stored version is `expected_version`
    /// (optimistic concurrency; `Conflict` otherwise). The caller bumps
    /// `campaign.version`.
    async fn update(&self, campaign: &Campaign, expected_version: u64) -> PortResult<()>;
    /// Oldest first.
    async fn list(&self, page: PageRequest) -> PortResult<Page<Campaign>>;
}

/// Contacts per status, for progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusCounts {
    pub pending: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
    pub blacklisted: u64,
}

impl StatusCounts {
    pub fn add(&mut self, status: ContactStatus, n: u64) {
        match status {
            ContactStatus::Pending => self.pending += n,
            ContactStatus::InProgress => self.in_progress += n,
            ContactStatus::Completed => self.completed += n,
            ContactStatus::Failed => self.failed += n,
            ContactStatus::Blacklisted => self.blacklisted += n,
        }
    }
    pub fn total(&self) -> u64 {
        self.pending + self.in_progress + self.completed + self.failed + self.blacklisted
    }
    pub fn terminal(&self) -> u64 {
        self.completed + self.failed + self.blacklisted
    }
}

#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Inserts contacts; an id already present is left as it is (so a
    /// repeated import cannot reset dialling state). Returns how many were new.
    async fn insert_many(&self, contacts: &[Contact]) -> PortResult<usize>;
    async fn get(&self, campaign: &CampaignId, id: &ContactId) -> PortResult<Option<Contact>>;
    /// Writes `contact` if its stored status is `expected` (`Conflict`
    /// otherwise): status moves are compare-and-set, so two workers cannot
    /// both take the same contact.
    async fn update(&self, contact: &Contact, expected: ContactStatus) -> PortResult<()>;
    /// Pending contacts whose next attempt is due at `at` (no time set
    /// counts as due), oldest due first, then by id; paged. The dispatcher
    /// ranks them by predicted answer probability.
    async fn due(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        page: PageRequest,
    ) -> PortResult<Page<Contact>>;
    /// All contacts of a campaign by id.
    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<Contact>>;
    async fn count_by_status(&self, campaign: &CampaignId) -> PortResult<StatusCounts>;
    /// Contacts of any campaign with this number (for opt-outs and the
    /// blacklist's effect on running campaigns).
    async fn find_by_phone(&self, phone: &PhoneNumber) -> PortResult<Vec<Contact>>;
}

#[async_trait]
pub trait BlacklistStore: Send + Sync {
    /// Adds idempotently: `false` when the number was already listed (the
    /// first entry's time, reason and source are kept).
    async fn add(&self, entry: &BlacklistEntry) -> PortResult<bool>;
    /// `false` when it was not listed.
    async fn remove(&self, phone: &PhoneNumber, by: &str, at: DateTime<Utc>) -> PortResult<bool>;
    async fn get(&self, phone: &PhoneNumber) -> PortResult<Option<BlacklistEntry>>;
    /// The listed subset of `phones`.
    async fn contains_any(&self, phones: &[PhoneNumber]) -> PortResult<HashSet<PhoneNumber>>;
    /// Every add and remove of this number, oldest first.
    async fn history(&self, phone: &PhoneNumber) -> PortResult<Vec<BlacklistChange>>;
    /// Current entries by number.
    async fn list(&self, page: PageRequest) -> PortResult<Page<BlacklistEntry>>;
}

/// Where an attempt stands in the origination ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// Claimed by a dialer; origination may or may not have reached the carrier.
    Dialling,
    /// The carrier accepted the origination.
    Originated,
    Answered,
    Ended,
}

/// One call attempt (the CDR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallRecord {
    pub call_id: CallId,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    pub phone: PhoneNumber,
    pub attempt: u32,
    pub purpose: CallPurpose,
    pub state: AttemptState,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub outcome: Option<CallOutcome>,
    pub hangup_cause: Option<u16>,
    pub digits: String,
    /// Follow-up result text, e.g. "SMS Sent", "TTS Fallback Delivered".
    pub follow_up: Option<String>,
}

impl CallRecord {
    /// A new attempt, claimed but not yet placed.
    pub fn dialling(
        call_id: CallId,
        campaign_id: CampaignId,
        contact_id: ContactId,
        phone: PhoneNumber,
        attempt: u32,
        purpose: CallPurpose,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            call_id,
            campaign_id,
            contact_id,
            phone,
            attempt,
            purpose,
            state: AttemptState::Dialling,
            created_at: at,
            answered_at: None,
            ended_at: None,
            duration_secs: None,
            outcome: None,
            hangup_cause: None,
            digits: String::new(),
            follow_up: None,
        }
    }
}

#[async_trait]
pub trait CallRecordStore: Send + Sync {
    /// The exactly-once gate: creates the record unless one with this call
    /// id exists (then returns the existing one).
    async fn create_if_absent(&self, record: &CallRecord) -> PortResult<Option<CallRecord>>;
    async fn get(&self, call_id: &CallId) -> PortResult<Option<CallRecord>>;
    /// Writes `record` if the stored state is `expected` (`Conflict`
    /// otherwise), so a late writer cannot undo a newer state.
    async fn update(&self, record: &CallRecord, expected: AttemptState) -> PortResult<()>;
    /// Sets only the follow-up text (`NotFound` if there is no such record).
    async fn set_follow_up(&self, call_id: &CallId, text: &str) -> PortResult<()>;
    /// A campaign's records by call id.
    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<CallRecord>>;
}

/// Atomic shared counters: pacing slots with leases, per-second rate
/// buckets and live-metric counters.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Takes one of `limit` concurrency slots in `scope` for `holder` until
    /// `lease_until` (a crashed call frees its slot when the lease ends).
    /// Idempotent per holder. `false` when all slots are held.
    async fn acquire_slot(
        &self,
        scope: &str,
        holder: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> PortResult<bool>;
    /// Frees `holder`'s slot; `false` if it held none (already freed or expired).
    async fn release_slot(&self, scope: &str, holder: &str) -> PortResult<bool>;
    /// Slots held (leases not expired at `now`).
    async fn active_slots(&self, scope: &str, now: DateTime<Utc>) -> PortResult<u32>;
    /// Counts one start in the one-second bucket of `now` if fewer than
    /// `limit` were counted there; `false` otherwise.
    async fn take_rate(&self, scope: &str, now: DateTime<Utc>, limit: u32) -> PortResult<bool>;
    /// Starts counted by [`Counters::take_rate`] in `scope` in the whole
    /// seconds from `from` (inclusive) to `to` (exclusive), epoch seconds:
    /// the measured dialling rate. Buckets are kept for at least a minute.
    async fn starts_between(&self, scope: &str, from: i64, to: i64) -> PortResult<u64>;
    /// Adds to a named counter and returns the new value.
    async fn add(&self, key: &str, delta: i64) -> PortResult<i64>;
    async fn get(&self, key: &str) -> PortResult<i64>;
    /// Several counters at once, in the order of `keys` (0 for one never
    /// added to). Adapters read them in batches.
    async fn get_many(&self, keys: &[String]) -> PortResult<Vec<i64>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }
    /// Remembers `key` until `now + ttl`; `false` if it was already
    /// remembered (idempotency marks for event consumers).
    async fn mark_seen(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> PortResult<bool>;
    /// Whether `key` is remembered at `now`.
    async fn seen(&self, key: &str, now: DateTime<Utc>) -> PortResult<bool>;
    /// Claims `key` for `owner` until `until` (a lease with an owner): taken
    /// when nobody holds it at `now` (never claimed, released or expired),
    /// renewed when `owner` already holds it; `false` (nothing changes) when
    /// another owner holds it. One owner per delivery makes a concurrent
    /// duplicate delivery lose the claim instead of sharing it.
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool>;
    /// Ends `owner`'s claim on `key`; `false` (nothing changes) when `owner`
    /// does not hold it, so a late caller never frees another owner's claim.
    async fn release_claim(&self, key: &str, owner: &str) -> PortResult<bool>;
}

/// Donation events waiting to be handled again later (the follow-up's TTS
/// call waits for its calling window, a concurrency slot or a rate token).
/// On AWS: a new message on the follow-up queue with a delay (at most 15
/// minutes; an event due later is found still waiting and deferred again).
#[async_trait]
pub trait FollowUpQueue: Send + Sync {
    /// Delivers `event` to the follow-up consumer again at (or soon after) `at`.
    async fn defer(&self, event: &DonationEvent, at: DateTime<Utc>) -> PortResult<()>;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// e.g. `campaign/c-1`, `blacklist/+972…`
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditRecord {
    /// A change of `target` by `actor`, with the states before and after.
    pub fn change<T: Serialize>(
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        target: String,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Self {
        let json = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok());
        Self {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            target,
            before: json(before),
            after: json(after),
        }
    }
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn append(&self, record: &AuditRecord) -> PortResult<()>;
    /// A target's records, oldest first.
    async fn for_target(&self, target: &str) -> PortResult<Vec<AuditRecord>>;
}

// ---------------------------------------------------------------- messaging

#[async_trait]
pub trait DialQueue: Send + Sync {
    /// Queues tasks (adapters send in batches of at most 10).
    async fn send(&self, tasks: &[DialTask]) -> PortResult<()>;
    /// Messages waiting (approximate on SQS).
    async fn depth(&self) -> PortResult<u64>;
}

/// A received message and the handle to settle it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received<T> {
    pub receipt: String,
    pub message: T,
    /// How many times it has been received, this one included.
    pub receive_count: u32,
}

/// The consuming side of the dial queue (Pipes does this on AWS; the local
/// runtime and tests use this trait).
#[async_trait]
pub trait DialQueueConsumer: Send + Sync {
    /// Up to `max` visible messages; each stays invisible until settled or
    /// until `visibility` has passed since `now`.
    async fn receive(
        &self,
        max: usize,
        now: DateTime<Utc>,
        visibility: Duration,
    ) -> PortResult<Vec<Received<DialTask>>>;
    /// Done with it: delete.
    async fn ack(&self, receipt: &str) -> PortResult<()>;
    /// Make it visible again after `delay` from `now`.
    async fn retry_later(
        &self,
        receipt: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> PortResult<()>;
}

/// Events published to the topics (`call-events`, `donation-events`, `optout-events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "topic", content = "event")]
pub enum BusEvent {
    Call(CallEvent),
    Donation(DonationEvent),
    OptOut(OptOutEvent),
}

impl BusEvent {
    pub fn topic(&self) -> &'static str {
        match self {
            BusEvent::Call(_) => "call-events",
            BusEvent::Donation(_) => "donation-events",
            BusEvent::OptOut(_) => "optout-events",
        }
    }
}

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &BusEvent) -> PortResult<()>;
}

// ---------------------------------------------------------------- providers

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelephonyError {
    /// The carrier refused this number (invalid, barred).
    #[error("rejected: {0}")]
    Rejected(String),
    /// Throttled or out of capacity: retry later.
    #[error("busy: {0}")]
    Throttled(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginateAck {
    /// The carrier's id for the call (channel id, Connect contact id).
    pub carrier_call_id: String,
    /// True when this call id had been originated before and nothing new was placed.
    pub duplicate: bool,
}

#[async_trait]
pub trait Telephony: Send + Sync {
    /// Places a call. Idempotent on `command.call_id`: a repeat never dials twice.
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError>;
    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The number cannot receive SMS (landline): fall back to TTS.
    #[error("number cannot receive SMS")]
    NotSmsCapable,
    #[error("rejected by provider: {0}")]
    Rejected(String),
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsReceipt {
    pub message_id: String,
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// `idempotency_key` lets a provider drop a repeated send.
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtsError {
    #[error("text rejected: {0}")]
    Rejected(String),
    #[error("speech service unavailable: {0}")]
    Unavailable(String),
}

/// Synthesized audio, stored where the telephony side can play it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioRef {
    /// e.g. `s3://bucket/tts/<hash>.wav` or a local path.
    pub location: String,
    pub cached: bool,
}

#[async_trait]
pub trait SpeechSynthesizer: Send + Sync {
    async fn synthesize(&self, text: &str, voice: &str) -> Result<AudioRef, TtsError>;
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()>;
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>>;
    /// A link that reads the object until `expires_in` has passed.
    async fn presign_get(&self, key: &str, expires_in: Duration) -> PortResult<String>;
}

/// A version of a secret, by its staging label (Secrets Manager's
/// `AWSCURRENT` / `AWSPREVIOUS`): during a rotation, clients still holding
/// the previous value keep working until they pick up the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretVersion {
    Current,
    Previous,
}

impl SecretVersion {
    /// The Secrets Manager staging label.
    pub fn stage(self) -> &'static str {
        match self {
            SecretVersion::Current => "AWSCURRENT",
            SecretVersion::Previous => "AWSPREVIOUS",
        }
    }
}

#[async_trait]
pub trait Secrets: Send + Sync {
    /// The current value (`NotFound` when there is no such secret).
    async fn get(&self, name: &str) -> PortResult<String>;

    /// The value of one version; `None` when the secret has no such version
    /// (one never rotated has no previous value). Adapters without versions
    /// know only the current one.
    async fn get_version(&self, name: &str, version: SecretVersion) -> PortResult<Option<String>> {
        match version {
            SecretVersion::Current => self.get(name).await.map(Some),
            SecretVersion::Previous => Ok(None),
        }
    }
}

/// Unique ids (random on AWS, sequential and reproducible when embedded).
pub trait IdGenerator: Send + Sync {
    fn next_id(&self, prefix: &str) -> String;
}

// ---------------------------------------------------------------- API additions

/// Starts a campaign's workflow (Step Functions on AWS; the local runtime's
/// loop when embedded).
#[async_trait]
pub trait WorkflowStarter: Send + Sync {
    /// Starts the workflow of `input.campaign_id`. Idempotent per campaign:
    /// starting one that is already running is not an error, so a retried
    /// start, schedule or resume can call it again safely.
    async fn start(&self, input: &crate::messages::WorkflowInput) -> PortResult<()>;
}

/// An object as listed by an [`UploadStore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub key: String,
    pub size_bytes: u64,
    pub last_modified: Option<DateTime<Utc>>,
}

/// Where clients upload files too big for an API request (contact files,
/// audio): a presigned PUT link per object, and listings.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// A link that accepts one `PUT` of `key` with this `Content-Type` until
    /// `expires_in` has passed.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> PortResult<String>;
    /// Objects whose key starts with `prefix`, by key; paged.
    async fn list(&self, prefix: &str, page: PageRequest) -> PortResult<Page<ObjectInfo>>;
}
