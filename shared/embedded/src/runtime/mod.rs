//! The local runtime: one process wiring the core use cases to the embedded
//! adapters and the simulated carrier, driven in virtual time (the demo, the
//! simulator, tests) or real time (`campaign serve`). It plays the parts AWS
//! plays in the cloud: the Step Functions loop (dispatch, progress), the
//! EventBridge Pipe (dial queue → enricher → dialer) and the SNS → SQS →
//! Lambda subscriptions (call events, follow-ups, opt-outs).
//!
//! - [`Local`]: the wired adapters and one `step` of the pipeline.
//! - [`checks`]: the run's invariants, checked from the carrier's own log.
//! - [`demo`]: the bundled sample campaign, run end to end.
//! - [`sample`]: the deterministic generator of the bundled sample files.

pub mod checks;
pub mod demo;
pub mod sample;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use campaign_core::campaign::CampaignStatus;
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::ids::CampaignId;
use campaign_core::messages::DialTask;
use campaign_core::optimal_time::CallTimeModel;
use campaign_core::ports::{
    BlacklistStore, BusEvent, CallRecordStore, CampaignStore, ContactStore, DialQueue,
    DialQueueConsumer, ObjectStore, PageRequest, Received,
};
use campaign_core::usecases::call_events::RecordCallEvent;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::dial::{DEFAULT_SLOT_LEASE_SECS, Dial, DialResult};
use campaign_core::usecases::dispatch::{Dispatch, dispatch_budget};
use campaign_core::usecases::enrich::{Enrich, Enriched};
use campaign_core::usecases::follow_up::SendFollowUp;
use campaign_core::usecases::lifecycle::Lifecycle;
use campaign_core::usecases::optout::Blacklisting;
use campaign_core::usecases::progress::Progress;
use campaign_core::usecases::report::GenerateReport;
use campaign_core::usecases::{UseCaseError, UseCaseResult};

use crate::bus::MemoryBus;
use crate::carrier::{CarrierProfile, SimulatedCarrier};
use crate::counters::MemoryCounters;
use crate::providers::{ConsoleSms, LocalSynthesizer, MemoryObjects, SequentialIds};
use crate::queue::MemoryQueue;
use crate::store::MemoryStore;

/// Settings of the local runtime.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub seed: u64,
    pub carrier: CarrierProfile,
    /// Share of SMS-capable-looking numbers whose SMS fails as "not SMS capable".
    pub sms_not_capable_rate: f64,
    /// How often the workflow dispatches and checks progress (Step Functions' wait).
    pub dispatch_interval_secs: u32,
    /// Most tasks one dispatch queues.
    pub max_dispatch_batch: u32,
    pub slot_lease: Duration,
    /// The speech voice (see the README on Hebrew).
    pub voice: String,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            carrier: CarrierProfile::default(),
            sms_not_capable_rate: 0.05,
            dispatch_interval_secs: 60,
            max_dispatch_batch: 10_000,
            slot_lease: Duration::seconds(DEFAULT_SLOT_LEASE_SECS),
            voice: "Joanna".into(),
        }
    }
}

/// Counts of what the pipeline did, for progress output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub dispatched: u64,
    pub placed: u64,
    pub duplicates: u64,
    pub waits: u64,
    pub dropped: u64,
    pub events: u64,
    pub follow_ups: u64,
    pub opt_outs: u64,
}

/// What a progress callback is told, about once per virtual hour.
#[derive(Debug, Clone, Copy)]
pub struct ProgressSnapshot {
    pub now: DateTime<Utc>,
    pub stats: PipelineStats,
    /// Contacts of the watched campaigns not finished yet.
    pub unfinished: u64,
    pub total: u64,
}

/// Every embedded adapter, wired.
pub struct Local {
    pub config: LocalConfig,
    pub clock: Arc<ManualClock>,
    pub store: Arc<MemoryStore>,
    pub counters: Arc<MemoryCounters>,
    pub queue: Arc<MemoryQueue>,
    pub bus: Arc<MemoryBus>,
    pub objects: Arc<dyn ObjectStore>,
    pub ids: Arc<SequentialIds>,
    pub sms: Arc<ConsoleSms>,
    pub tts: Arc<LocalSynthesizer>,
    pub carrier: Arc<SimulatedCarrier>,
    pub model: CallTimeModel,
    next_dispatch: Mutex<DateTime<Utc>>,
    stats: Mutex<PipelineStats>,
}

/// Visibility of a received dial task before it is delivered again (SQS).
const VISIBILITY_SECS: i64 = 30;

impl Local {
    /// A runtime whose clock starts at `start` and only moves when driven.
    pub fn new(config: LocalConfig, start: DateTime<Utc>) -> Self {
        Self::with_objects(config, start, Arc::new(MemoryObjects::new()))
    }

    pub fn with_objects(
        config: LocalConfig,
        start: DateTime<Utc>,
        objects: Arc<dyn ObjectStore>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(start));
        let carrier = Arc::new(SimulatedCarrier::new(
            config.carrier,
            config.seed,
            clock.clone(),
        ));
        Self {
            store: Arc::new(MemoryStore::new()),
            counters: Arc::new(MemoryCounters::new()),
            queue: Arc::new(MemoryQueue::new()),
            bus: Arc::new(MemoryBus::new()),
            ids: Arc::new(SequentialIds::new()),
            sms: Arc::new(ConsoleSms::with_not_capable_rate(
                config.sms_not_capable_rate,
                config.seed,
            )),
            tts: Arc::new(LocalSynthesizer::new(objects.clone())),
            objects,
            carrier,
            model: CallTimeModel::default(),
            next_dispatch: Mutex::new(start),
            stats: Mutex::new(PipelineStats::default()),
            clock,
            config,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn stats(&self) -> PipelineStats {
        *self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self, f: impl FnOnce(&mut PipelineStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|p| p.into_inner()));
    }

    // ---- the store seen through one port at a time (it implements several
    // with the same method names)

    pub fn campaigns(&self) -> &dyn CampaignStore {
        &*self.store
    }

    pub fn contacts(&self) -> &dyn ContactStore {
        &*self.store
    }

    pub fn blacklist(&self) -> &dyn BlacklistStore {
        &*self.store
    }

    pub fn calls(&self) -> &dyn CallRecordStore {
        &*self.store
    }

    // ---- the use cases, each given only the ports it needs

    pub fn lifecycle(&self) -> Lifecycle<'_> {
        Lifecycle {
            campaigns: &*self.store,
            audit: &*self.store,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn import_contacts(&self) -> ImportContacts<'_> {
        ImportContacts {
            campaigns: &*self.store,
            contacts: &*self.store,
            blacklist: &*self.store,
        }
    }

    pub fn blacklisting(&self) -> Blacklisting<'_> {
        Blacklisting {
            blacklist: &*self.store,
            contacts: &*self.store,
            audit: &*self.store,
            clock: &*self.clock,
        }
    }

    pub fn dispatch(&self) -> Dispatch<'_> {
        Dispatch {
            campaigns: &*self.store,
            contacts: &*self.store,
            blacklist: &*self.store,
            queue: &*self.queue,
            counters: &*self.counters,
            clock: &*self.clock,
            model: &self.model,
        }
    }

    pub fn enrich(&self) -> Enrich<'_> {
        Enrich {
            campaigns: &*self.store,
            contacts: &*self.store,
            blacklist: &*self.store,
            calls: &*self.store,
            counters: &*self.counters,
            clock: &*self.clock,
        }
    }

    pub fn dial(&self) -> Dial<'_> {
        Dial {
            calls: &*self.store,
            contacts: &*self.store,
            counters: &*self.counters,
            telephony: &*self.carrier,
            events: &*self.bus,
            clock: &*self.clock,
            slot_lease: self.config.slot_lease,
        }
    }

    pub fn record_call_event(&self) -> RecordCallEvent<'_> {
        RecordCallEvent {
            calls: &*self.store,
            contacts: &*self.store,
            campaigns: &*self.store,
            counters: &*self.counters,
            clock: &*self.clock,
        }
    }

    pub fn follow_up(&self) -> SendFollowUp<'_> {
        SendFollowUp {
            campaigns: &*self.store,
            contacts: &*self.store,
            calls: &*self.store,
            blacklist: &*self.store,
            sms: &*self.sms,
            tts: &*self.tts,
            telephony: &*self.carrier,
            counters: &*self.counters,
            clock: &*self.clock,
            voice: &self.config.voice,
        }
    }

    pub fn progress(&self) -> Progress<'_> {
        Progress {
            campaigns: &*self.store,
            contacts: &*self.store,
            audit: &*self.store,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn report(&self) -> GenerateReport<'_> {
        GenerateReport {
            campaigns: &*self.store,
            contacts: &*self.store,
            calls: &*self.store,
            objects: &*self.objects,
            clock: &*self.clock,
        }
    }

    // ---- the pipeline

    /// Runs everything that is due at the current time, once.
    pub async fn step(&self) -> UseCaseResult<()> {
        let now = self.now();
        self.carrier.release_due(now, &*self.bus).await?;
        self.drain_events().await?;
        self.drain_queue().await?;
        // Refusals by the carrier are published while dialling.
        self.drain_events().await?;
        let due = {
            let mut next = self.next_dispatch.lock().unwrap_or_else(|p| p.into_inner());
            if now >= *next {
                *next = now + Duration::seconds(i64::from(self.config.dispatch_interval_secs));
                true
            } else {
                false
            }
        };
        if due {
            self.workflow_tick().await?;
        }
        Ok(())
    }

    /// The Step Functions loop body for every running campaign: progress,
    /// then dispatch what the pace can take before the next tick.
    pub async fn workflow_tick(&self) -> UseCaseResult<()> {
        let campaigns = self.all_campaigns().await?;
        for c in campaigns
            .iter()
            .filter(|c| matches!(c.status, CampaignStatus::Active | CampaignStatus::Paused))
        {
            let state = self.progress().run(&c.id).await?;
            if state.campaign_status != CampaignStatus::Active {
                continue;
            }
            let depth = self.queue.depth().await?;
            let budget = dispatch_budget(
                c.settings.pace,
                self.config.dispatch_interval_secs,
                depth,
                self.config.max_dispatch_batch,
            );
            let out = self.dispatch().run(&c.id, budget).await?;
            self.bump(|s| s.dispatched += u64::from(out.queued));
        }
        Ok(())
    }

    pub async fn all_campaigns(&self) -> UseCaseResult<Vec<campaign_core::campaign::Campaign>> {
        let mut out = Vec::new();
        let mut page = PageRequest::first(200);
        loop {
            let p = self.campaigns().list(page.clone()).await?;
            out.extend(p.items);
            match p.next {
                Some(n) => page.cursor = Some(n),
                None => return Ok(out),
            }
        }
    }

    /// The three SNS → SQS → Lambda subscriptions. Opt-outs go first so a
    /// number is listed before anything else about it is handled.
    async fn drain_events(&self) -> UseCaseResult<()> {
        loop {
            let mut any = false;
            while let Some(ev) = self.bus.pop("optout-events") {
                any = true;
                if let BusEvent::OptOut(e) = ev {
                    self.blacklisting().opt_out(&e).await?;
                    self.bump(|s| s.opt_outs += 1);
                }
            }
            while let Some(ev) = self.bus.pop("call-events") {
                any = true;
                if let BusEvent::Call(e) = ev {
                    self.record_call_event().run(&e).await?;
                    self.bump(|s| s.events += 1);
                }
            }
            while let Some(ev) = self.bus.pop("donation-events") {
                any = true;
                if let BusEvent::Donation(e) = ev {
                    self.follow_up().run(&e).await?;
                    self.bump(|s| s.follow_ups += 1);
                }
            }
            if !any {
                return Ok(());
            }
        }
    }

    /// The Pipe: batches of 10 through the enricher and the dialer. Stops at
    /// the first task that must wait: the rest of the queue would wait too.
    async fn drain_queue(&self) -> UseCaseResult<()> {
        loop {
            let now = self.now();
            let batch: Vec<Received<DialTask>> = self
                .queue
                .receive(10, now, Duration::seconds(VISIBILITY_SECS))
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            let tasks: Vec<DialTask> = batch.iter().map(|r| r.message.clone()).collect();
            let enriched = self.enrich().run(tasks).await?;
            let mut waited = false;
            for (received, result) in batch.iter().zip(enriched) {
                let task = match result {
                    Enriched::Dial(task) => task,
                    Enriched::Drop(_) => {
                        self.queue.ack(&received.receipt).await?;
                        self.bump(|s| s.dropped += 1);
                        continue;
                    }
                };
                if waited {
                    self.queue
                        .retry_later(&received.receipt, now, Duration::seconds(1))
                        .await?;
                    continue;
                }
                match self.dial().run(&task).await? {
                    r if r.must_retry() => {
                        waited = true;
                        self.bump(|s| s.waits += 1);
                        self.queue
                            .retry_later(&received.receipt, now, Duration::seconds(1))
                            .await?;
                    }
                    DialResult::Duplicate => {
                        self.bump(|s| s.duplicates += 1);
                        self.queue.ack(&received.receipt).await?;
                    }
                    _ => {
                        self.bump(|s| s.placed += 1);
                        self.queue.ack(&received.receipt).await?;
                    }
                }
            }
            if waited {
                return Ok(());
            }
        }
    }

    /// When something next needs doing.
    pub fn next_wakeup(&self) -> DateTime<Utc> {
        let next_dispatch = *self.next_dispatch.lock().unwrap_or_else(|p| p.into_inner());
        [
            self.carrier.next_event_at(),
            self.queue.next_visible_at(self.now()),
            Some(next_dispatch),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(next_dispatch)
    }

    /// Drives virtual time until every listed campaign is finished or
    /// `deadline` passes; `on_progress` is called about once per virtual hour.
    pub async fn run_until_finished(
        &self,
        campaigns: &[CampaignId],
        deadline: DateTime<Utc>,
        mut on_progress: impl FnMut(ProgressSnapshot),
    ) -> UseCaseResult<bool> {
        let mut last_report = self.now();
        loop {
            self.step().await?;
            // Finished, and follow-up calls placed at the end have played out.
            if self.all_finished(campaigns).await? && self.carrier.next_event_at().is_none() {
                return Ok(true);
            }
            let now = self.now();
            if now - last_report >= Duration::hours(1) {
                on_progress(self.snapshot(campaigns).await?);
                last_report = now;
            }
            // Never stand still: at least one second per turn.
            let next = self.next_wakeup().max(now + Duration::seconds(1));
            if next > deadline {
                return Ok(false);
            }
            self.clock.set(next);
        }
    }

    pub async fn snapshot(&self, campaigns: &[CampaignId]) -> UseCaseResult<ProgressSnapshot> {
        let (mut unfinished, mut total) = (0, 0);
        for id in campaigns {
            let c = self.contacts().count_by_status(id).await?;
            unfinished += c.total() - c.terminal();
            total += c.total();
        }
        Ok(ProgressSnapshot {
            now: self.now(),
            stats: self.stats(),
            unfinished,
            total,
        })
    }

    /// Drives the pipeline in real time: the clock follows the wall clock
    /// (read here, at the edge; the rules only see the injected clock), one
    /// step every `tick`, until the campaigns finish or `limit` has passed.
    pub async fn run_real_time(
        &self,
        campaigns: &[CampaignId],
        limit: std::time::Duration,
        tick: std::time::Duration,
    ) -> UseCaseResult<bool> {
        let started = std::time::Instant::now();
        loop {
            self.clock.set(Utc::now());
            self.step().await?;
            if self.all_finished(campaigns).await? && self.carrier.next_event_at().is_none() {
                return Ok(true);
            }
            if started.elapsed() >= limit {
                return Ok(false);
            }
            tokio::time::sleep(tick).await;
        }
    }

    async fn all_finished(&self, campaigns: &[CampaignId]) -> UseCaseResult<bool> {
        for id in campaigns {
            let c = self
                .campaigns()
                .get(id)
                .await?
                .ok_or_else(|| UseCaseError::NotFound {
                    what: "campaign",
                    id: id.to_string(),
                })?;
            if !c.status.is_finished() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
