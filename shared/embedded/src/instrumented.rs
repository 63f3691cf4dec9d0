//! [`Instrumented`]: the embedded adapters seen through one wrapper that
//! counts every call as the AWS request it stands for ([`Usage`], for the
//! cost model) and, when a [`FaultInjector`] is given, makes calls fail the
//! way AWS calls fail (see [`crate::faults`]). The use cases of the local
//! runtime are handed this wrapper; the runtime's own reads (checks,
//! reports, the API's views) go to the adapters directly.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use campaign_core::blacklist::{BlacklistChange, BlacklistEntry};
use campaign_core::campaign::Campaign;
use campaign_core::clock::Clock;
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::messages::{CallPurpose, DialTask, DonationEvent, OriginateCommand};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    AttemptState, AudioRef, AuditLog, AuditRecord, BlacklistStore, BusEvent, CallRecord,
    CallRecordStore, CampaignStore, ContactStore, Counters, DialQueue, DialQueueConsumer, EventBus,
    FollowUpQueue, ObjectStore, OriginateAck, Page, PageRequest, PortError, PortResult, Received,
    SmsError, SmsGateway, SmsReceipt, SpeechSynthesizer, StatusCounts, Telephony, TelephonyError,
    TtsError,
};

use crate::bus::{MemoryBus, MemoryFollowUps};
use crate::carrier::SimulatedCarrier;
use crate::cost::{Table, Usage};
use crate::counters::MemoryCounters;
use crate::faults::{FaultInjector, FaultKind};
use crate::providers::{ConsoleSms, LocalSynthesizer};
use crate::queue::MemoryQueue;
use crate::store::MemoryStore;

/// The adapters behind the wrapper.
#[derive(Clone)]
pub struct Adapters {
    pub store: Arc<MemoryStore>,
    pub counters: Arc<MemoryCounters>,
    pub queue: Arc<MemoryQueue>,
    pub bus: Arc<MemoryBus>,
    pub follow_ups: Arc<MemoryFollowUps>,
    pub carrier: Arc<SimulatedCarrier>,
    pub objects: Arc<dyn ObjectStore>,
    pub sms: Arc<ConsoleSms>,
    pub tts: Arc<LocalSynthesizer>,
    pub clock: Arc<dyn Clock>,
}

/// Counting (and optionally failing) view of the embedded adapters.
pub struct Instrumented {
    a: Adapters,
    usage: Arc<Usage>,
    faults: Option<Arc<FaultInjector>>,
    /// Whether store writes may fail. Off for the dispatcher: a failure in
    /// its claim loop would strand the contacts claimed before it (the core
    /// has no sweep for contacts left in progress; see docs/PERFORMANCE.md).
    store_write_faults: bool,
    /// The telephony host is restarting until then: originations are refused.
    host_down_until: Arc<Mutex<Option<DateTime<Utc>>>>,
}

fn injected(kind: FaultKind) -> PortError {
    PortError::Unavailable(format!("injected fault: {kind}"))
}

impl Instrumented {
    pub fn new(a: Adapters, usage: Arc<Usage>, faults: Option<Arc<FaultInjector>>) -> Self {
        Self {
            a,
            usage,
            faults,
            store_write_faults: true,
            host_down_until: Arc::new(Mutex::new(None)),
        }
    }

    /// The same adapters, counters and faults, but store writes never fail.
    pub fn without_store_write_faults(&self) -> Self {
        Self {
            a: self.a.clone(),
            usage: self.usage.clone(),
            faults: self.faults.clone(),
            store_write_faults: false,
            host_down_until: self.host_down_until.clone(),
        }
    }

    pub fn usage(&self) -> &Arc<Usage> {
        &self.usage
    }

    pub fn faults(&self) -> Option<&Arc<FaultInjector>> {
        self.faults.as_ref()
    }

    /// Whether `kind` strikes now.
    pub fn roll(&self, kind: FaultKind) -> bool {
        self.faults.as_ref().is_some_and(|f| f.roll(kind))
    }

    /// The telephony host refuses calls until `until`.
    pub fn host_down(&self, until: DateTime<Utc>) {
        *self
            .host_down_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    fn read(&self, table: Table, items: u64) -> PortResult<()> {
        self.usage.read(table, items.max(1));
        if self.roll(FaultKind::StoreError) {
            return Err(injected(FaultKind::StoreError));
        }
        Ok(())
    }

    fn write(&self, table: Table, items: u64) -> PortResult<()> {
        self.usage.write(table, items.max(1));
        if self.store_write_faults && self.roll(FaultKind::StoreError) {
            return Err(injected(FaultKind::StoreError));
        }
        Ok(())
    }

    fn queue_call(&self) -> PortResult<()> {
        if self.roll(FaultKind::QueueError) {
            return Err(injected(FaultKind::QueueError));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- stores

#[async_trait]
impl CampaignStore for Instrumented {
    async fn create(&self, campaign: &Campaign) -> PortResult<()> {
        self.write(Table::Campaigns, 1)?;
        CampaignStore::create(&*self.a.store, campaign).await
    }
    async fn get(&self, id: &CampaignId) -> PortResult<Option<Campaign>> {
        self.read(Table::Campaigns, 1)?;
        CampaignStore::get(&*self.a.store, id).await
    }
    async fn update(&self, campaign: &Campaign, expected_version: u64) -> PortResult<()> {
        self.write(Table::Campaigns, 1)?;
        CampaignStore::update(&*self.a.store, campaign, expected_version).await
    }
    async fn list(&self, page: PageRequest) -> PortResult<Page<Campaign>> {
        let p = CampaignStore::list(&*self.a.store, page).await?;
        self.read(Table::Campaigns, p.items.len() as u64)?;
        Ok(p)
    }
}

#[async_trait]
impl ContactStore for Instrumented {
    async fn insert_many(&self, contacts: &[Contact]) -> PortResult<usize> {
        // BatchWriteItem: all or nothing here (the import retries the batch).
        self.write(Table::Contacts, contacts.len() as u64)?;
        ContactStore::insert_many(&*self.a.store, contacts).await
    }
    async fn get(&self, campaign: &CampaignId, id: &ContactId) -> PortResult<Option<Contact>> {
        self.read(Table::Contacts, 1)?;
        ContactStore::get(&*self.a.store, campaign, id).await
    }
    async fn update(&self, contact: &Contact, expected: ContactStatus) -> PortResult<()> {
        self.write(Table::Contacts, 1)?;
        ContactStore::update(&*self.a.store, contact, expected).await
    }
    async fn due(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        page: PageRequest,
    ) -> PortResult<Page<Contact>> {
        let p = self.a.store.due(campaign, at, page).await?;
        self.read(Table::Contacts, p.items.len() as u64)?;
        Ok(p)
    }
    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<Contact>> {
        let p = ContactStore::list(&*self.a.store, campaign, page).await?;
        self.read(Table::Contacts, p.items.len() as u64)?;
        Ok(p)
    }
    async fn count_by_status(&self, campaign: &CampaignId) -> PortResult<StatusCounts> {
        // Kept as counter items on AWS: one read per status.
        self.read(Table::Counters, 5)?;
        self.a.store.count_by_status(campaign).await
    }
    async fn find_by_phone(&self, phone: &PhoneNumber) -> PortResult<Vec<Contact>> {
        let found = self.a.store.find_by_phone(phone).await?;
        self.read(Table::Contacts, found.len() as u64)?;
        Ok(found)
    }
}

#[async_trait]
impl BlacklistStore for Instrumented {
    async fn add(&self, entry: &BlacklistEntry) -> PortResult<bool> {
        self.write(Table::Blacklist, 2)?;
        BlacklistStore::add(&*self.a.store, entry).await
    }
    async fn remove(&self, phone: &PhoneNumber, by: &str, at: DateTime<Utc>) -> PortResult<bool> {
        self.write(Table::Blacklist, 2)?;
        BlacklistStore::remove(&*self.a.store, phone, by, at).await
    }
    async fn get(&self, phone: &PhoneNumber) -> PortResult<Option<BlacklistEntry>> {
        self.read(Table::Blacklist, 1)?;
        BlacklistStore::get(&*self.a.store, phone).await
    }
    async fn contains_any(&self, phones: &[PhoneNumber]) -> PortResult<HashSet<PhoneNumber>> {
        // BatchGetItem: one read unit per key asked.
        self.read(Table::Blacklist, phones.len() as u64)?;
        self.a.store.contains_any(phones).await
    }
    async fn history(&self, phone: &PhoneNumber) -> PortResult<Vec<BlacklistChange>> {
        self.read(Table::Blacklist, 1)?;
        self.a.store.history(phone).await
    }
    async fn list(&self, page: PageRequest) -> PortResult<Page<BlacklistEntry>> {
        let p = BlacklistStore::list(&*self.a.store, page).await?;
        self.read(Table::Blacklist, p.items.len() as u64)?;
        Ok(p)
    }
}

#[async_trait]
impl CallRecordStore for Instrumented {
    async fn create_if_absent(&self, record: &CallRecord) -> PortResult<Option<CallRecord>> {
        self.write(Table::CallRecords, 1)?;
        let existing = self.a.store.create_if_absent(record).await?;
        // The dialer dies right after writing the attempt, before the
        // carrier hears of it: the slot stays taken, the record stays in
        // `dialling`, the task comes back after its visibility timeout.
        if existing.is_none()
            && record.purpose == CallPurpose::Campaign
            && record.state == AttemptState::Dialling
            && self.roll(FaultKind::CrashBeforeOriginate)
        {
            return Err(injected(FaultKind::CrashBeforeOriginate));
        }
        Ok(existing)
    }
    async fn get(&self, call_id: &CallId) -> PortResult<Option<CallRecord>> {
        self.read(Table::CallRecords, 1)?;
        CallRecordStore::get(&*self.a.store, call_id).await
    }
    async fn update(&self, record: &CallRecord, expected: AttemptState) -> PortResult<()> {
        self.write(Table::CallRecords, 1)?;
        CallRecordStore::update(&*self.a.store, record, expected).await
    }
    async fn set_follow_up(&self, call_id: &CallId, text: &str) -> PortResult<()> {
        self.write(Table::CallRecords, 1)?;
        self.a.store.set_follow_up(call_id, text).await
    }
    async fn list(&self, campaign: &CampaignId, page: PageRequest) -> PortResult<Page<CallRecord>> {
        let p = CallRecordStore::list(&*self.a.store, campaign, page).await?;
        self.read(Table::CallRecords, p.items.len() as u64)?;
        Ok(p)
    }
}

#[async_trait]
impl AuditLog for Instrumented {
    async fn append(&self, record: &AuditRecord) -> PortResult<()> {
        self.write(Table::AuditLog, 1)?;
        self.a.store.append(record).await
    }
    async fn for_target(&self, target: &str) -> PortResult<Vec<AuditRecord>> {
        let v = self.a.store.for_target(target).await?;
        self.read(Table::AuditLog, v.len() as u64)?;
        Ok(v)
    }
}

#[async_trait]
impl Counters for Instrumented {
    async fn acquire_slot(
        &self,
        scope: &str,
        holder: &str,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a
            .counters
            .acquire_slot(scope, holder, limit, now, lease_until)
            .await
    }
    async fn release_slot(&self, scope: &str, holder: &str) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a.counters.release_slot(scope, holder).await
    }
    async fn active_slots(&self, scope: &str, now: DateTime<Utc>) -> PortResult<u32> {
        self.read(Table::Counters, 1)?;
        self.a.counters.active_slots(scope, now).await
    }
    async fn take_rate(&self, scope: &str, now: DateTime<Utc>, limit: u32) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a.counters.take_rate(scope, now, limit).await
    }
    async fn starts_between(&self, scope: &str, from: i64, to: i64) -> PortResult<u64> {
        // One Query over the scope's buckets: billed per item read.
        let n = (to - from).clamp(1, 3_600) as u64;
        self.read(Table::Counters, n)?;
        self.a.counters.starts_between(scope, from, to).await
    }
    async fn add(&self, key: &str, delta: i64) -> PortResult<i64> {
        self.write(Table::Counters, 1)?;
        self.a.counters.add(key, delta).await
    }
    async fn get(&self, key: &str) -> PortResult<i64> {
        self.read(Table::Counters, 1)?;
        self.a.counters.get(key).await
    }
    async fn get_many(&self, keys: &[String]) -> PortResult<Vec<i64>> {
        // BatchGetItem is billed per item read.
        self.read(Table::Counters, keys.len() as u64)?;
        self.a.counters.get_many(keys).await
    }
    async fn mark_seen(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a.counters.mark_seen(key, now, ttl).await
    }
    async fn seen(&self, key: &str, now: DateTime<Utc>) -> PortResult<bool> {
        self.read(Table::Counters, 1)?;
        self.a.counters.seen(key, now).await
    }
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a.counters.claim(key, owner, now, until).await
    }
    async fn release_claim(&self, key: &str, owner: &str) -> PortResult<bool> {
        self.write(Table::Counters, 1)?;
        self.a.counters.release_claim(key, owner).await
    }
}

// ---------------------------------------------------------------- messaging

#[async_trait]
impl FollowUpQueue for Instrumented {
    /// One SQS `SendMessage` (with a delay) to the follow-up queue.
    async fn defer(&self, event: &DonationEvent, at: DateTime<Utc>) -> PortResult<()> {
        self.usage.add(&self.usage.sqs_other_requests, 1);
        self.a.follow_ups.defer(event, at).await
    }
}

#[async_trait]
impl DialQueue for Instrumented {
    async fn send(&self, tasks: &[DialTask]) -> PortResult<()> {
        self.usage.add(
            &self.usage.sqs_dial_send_batches,
            tasks.len().div_ceil(10) as u64,
        );
        self.queue_call()?;
        self.a.queue.send(tasks).await
    }
    async fn depth(&self) -> PortResult<u64> {
        self.usage.add(&self.usage.sqs_dial_receives, 1);
        self.queue_call()?;
        self.a.queue.depth().await
    }
}

#[async_trait]
impl DialQueueConsumer for Instrumented {
    async fn receive(
        &self,
        max: usize,
        now: DateTime<Utc>,
        visibility: Duration,
    ) -> PortResult<Vec<Received<DialTask>>> {
        self.usage.add(&self.usage.sqs_dial_receives, 1);
        self.queue_call()?;
        let got = self.a.queue.receive(max, now, visibility).await?;
        self.usage.add(&self.usage.pipe_events, got.len() as u64);
        // At-least-once delivery: now and then a copy of a message shows up
        // again later.
        let copies: Vec<DialTask> = got
            .iter()
            .filter(|_| self.roll(FaultKind::DuplicateDelivery))
            .map(|r| r.message.clone())
            .collect();
        if !copies.is_empty() {
            self.a.queue.send(&copies).await?;
        }
        Ok(got)
    }
    async fn ack(&self, receipt: &str) -> PortResult<()> {
        self.usage.add(&self.usage.sqs_dial_deletes, 1);
        self.queue_call()?;
        self.a.queue.ack(receipt).await
    }
    async fn retry_later(
        &self,
        receipt: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> PortResult<()> {
        self.usage.add(&self.usage.sqs_dial_visibility_changes, 1);
        self.queue_call()?;
        self.a.queue.retry_later(receipt, now, delay).await
    }
}

#[async_trait]
impl EventBus for Instrumented {
    async fn publish(&self, event: &BusEvent) -> PortResult<()> {
        self.usage.add(&self.usage.sns_publishes, 1);
        if self.roll(FaultKind::BusError) {
            return Err(injected(FaultKind::BusError));
        }
        self.a.bus.publish(event).await?;
        // SNS → SQS is at-least-once too.
        if self.roll(FaultKind::DuplicateDelivery) {
            self.a.bus.publish(event).await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- providers

#[async_trait]
impl Telephony for Instrumented {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        self.usage.add(&self.usage.originations, 1);
        let now = self.a.clock.now();
        let down = *self
            .host_down_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if down.is_some_and(|until| now < until) {
            return Err(TelephonyError::Unavailable(
                "telephony host restarting (injected fault)".into(),
            ));
        }
        self.a.carrier.originate(command).await
    }
    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        self.a.carrier.hang_up(call_id).await
    }
}

#[async_trait]
impl SmsGateway for Instrumented {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError> {
        self.usage.add(&self.usage.sms_messages, 1);
        self.a.sms.send(to, text, idempotency_key).await
    }
}

#[async_trait]
impl SpeechSynthesizer for Instrumented {
    async fn synthesize(&self, text: &str, voice: &str) -> Result<AudioRef, TtsError> {
        let audio = self.a.tts.synthesize(text, voice).await?;
        // The S3 cache is looked up first; a miss is synthesized and stored.
        self.usage.add(&self.usage.s3_gets, 1);
        if !audio.cached {
            self.usage
                .add(&self.usage.polly_characters, text.chars().count() as u64);
            self.usage.add(&self.usage.s3_puts, 1);
        }
        Ok(audio)
    }
}

#[async_trait]
impl ObjectStore for Instrumented {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.usage.add(&self.usage.s3_puts, 1);
        self.a.objects.put(key, bytes, content_type).await
    }
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.usage.add(&self.usage.s3_gets, 1);
        self.a.objects.get(key).await
    }
    async fn presign_get(&self, key: &str, expires_in: Duration) -> PortResult<String> {
        self.a.objects.presign_get(key, expires_in).await
    }
}
