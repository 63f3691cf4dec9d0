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
//! - [`sim`]: `campaign simulate` — a large generated campaign, with
//!   optional faults, its timeline and its cost.
//!
//! The use cases are handed [`Instrumented`] adapters: every call is
//! counted as the AWS request it stands for (the cost model) and, with a
//! fault plan, may fail the way AWS calls fail. A handler failing with a
//! transient error is treated as Lambda treats it: its message comes back
//! after the visibility timeout.

pub mod checks;
pub mod demo;
pub mod sample;
pub mod sim;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use campaign_core::campaign::CampaignStatus;
use campaign_core::clock::{Clock, ManualClock};
use campaign_core::ids::{CallId, CampaignId};
use campaign_core::messages::{CallEvent, CallEventKind, DialTask, MESSAGE_VERSION};
use campaign_core::optimal_time::CallTimeModel;
use campaign_core::outcome::CallOutcome;
use campaign_core::pacing::{AdaptiveConfig, PaceChange};
use campaign_core::ports::{
    AttemptState, BlacklistStore, BusEvent, CallRecordStore, CampaignStore, ContactStore,
    DialQueue, DialQueueConsumer, EventBus, ObjectStore, PageRequest, Received,
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

use crate::bus::{MemoryBus, MemoryFollowUps};
use crate::carrier::{CarrierProfile, SimulatedCarrier};
use crate::cost::{Function, Usage};
use crate::counters::MemoryCounters;
use crate::faults::{FaultInjector, FaultKind, FaultPlan};
use crate::instrumented::{Adapters, Instrumented};
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
    /// Faults to inject (none by default).
    pub faults: FaultPlan,
    /// Adaptive pacing thresholds (the dialer-worker's defaults); `None`
    /// dials at each campaign's configured pace.
    pub adaptive: Option<AdaptiveConfig>,
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
            faults: FaultPlan::none(),
            adaptive: Some(AdaptiveConfig::default()),
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
    /// Handler runs that failed with a transient error (their message
    /// came back later).
    pub handler_failures: u64,
    /// Calls closed by the watchdog: no end event within the slot lease.
    pub lost_calls_closed: u64,
    /// Live calls cut by telephony host restarts.
    pub calls_cut_by_restart: u64,
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
    /// Donation events whose TTS call waits (the follow-up queue's delayed
    /// messages): back on `donation-events` when due.
    pub follow_ups: Arc<MemoryFollowUps>,
    pub objects: Arc<dyn ObjectStore>,
    pub ids: Arc<SequentialIds>,
    pub sms: Arc<ConsoleSms>,
    pub tts: Arc<LocalSynthesizer>,
    pub carrier: Arc<SimulatedCarrier>,
    pub model: CallTimeModel,
    /// What the use cases see: the adapters above, counted (and faulty).
    pub ports: Arc<Instrumented>,
    /// The dispatcher's view: store writes never fail (see [`Instrumented`]).
    dispatch_ports: Arc<Instrumented>,
    pub usage: Arc<Usage>,
    pub faults: Option<Arc<FaultInjector>>,
    next_dispatch: Mutex<DateTime<Utc>>,
    stats: Mutex<PipelineStats>,
    /// Calls to check when their slot lease ends, in deadline order (on AWS:
    /// a delayed message per placed call).
    watch: Mutex<VecDeque<(DateTime<Utc>, CallId, bool)>>,
    /// Events to deliver again (a handler failed) or to publish again (the
    /// bridge's publish failed), with when.
    retry_events: Mutex<Vec<(DateTime<Utc>, BusEvent, bool)>>,
    /// Every adaptive pace change, in order (the dialer-worker logs them).
    pace_log: Arc<Mutex<Vec<(CampaignId, PaceChange)>>>,
    pace_sink: PaceSink,
    /// Numbers each delivery of an event (the gate's per-delivery owner).
    deliveries: std::sync::atomic::AtomicU64,
}

type PaceSink = Box<dyn Fn(&CampaignId, &PaceChange) + Send + Sync>;

/// Visibility of a received dial task before it is delivered again (SQS).
const VISIBILITY_SECS: i64 = 30;
/// How long a restarting telephony host refuses calls.
const HOST_RESTART_SECS: i64 = 60;

impl LocalConfig {
    /// Step Functions transitions per workflow loop (Wait, Dispatch, Monitor, Choice).
    pub fn transitions_per_loop(&self) -> u32 {
        4
    }
}

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
        let store = Arc::new(MemoryStore::new());
        let counters = Arc::new(MemoryCounters::new());
        let queue = Arc::new(MemoryQueue::new());
        let bus = Arc::new(MemoryBus::new());
        let follow_ups = Arc::new(MemoryFollowUps::new());
        let sms = Arc::new(ConsoleSms::with_not_capable_rate(
            config.sms_not_capable_rate,
            config.seed,
        ));
        let tts = Arc::new(LocalSynthesizer::new(objects.clone()));
        let usage = Arc::new(Usage::new());
        let faults = (!config.faults.is_empty())
            .then(|| Arc::new(FaultInjector::new(config.faults.clone(), config.seed)));
        let ports = Arc::new(Instrumented::new(
            Adapters {
                store: store.clone(),
                counters: counters.clone(),
                queue: queue.clone(),
                bus: bus.clone(),
                follow_ups: follow_ups.clone(),
                carrier: carrier.clone(),
                objects: objects.clone(),
                sms: sms.clone(),
                tts: tts.clone(),
                clock: clock.clone(),
            },
            usage.clone(),
            faults.clone(),
        ));
        let dispatch_ports = Arc::new(ports.without_store_write_faults());
        let pace_log = Arc::new(Mutex::new(Vec::new()));
        Self {
            store,
            counters,
            queue,
            bus,
            follow_ups,
            deliveries: std::sync::atomic::AtomicU64::new(0),
            ids: Arc::new(SequentialIds::new()),
            sms,
            tts,
            objects,
            carrier,
            model: CallTimeModel::default(),
            ports,
            dispatch_ports,
            usage,
            faults,
            next_dispatch: Mutex::new(start),
            stats: Mutex::new(PipelineStats::default()),
            watch: Mutex::new(VecDeque::new()),
            retry_events: Mutex::new(Vec::new()),
            pace_sink: {
                let log = pace_log.clone();
                Box::new(move |c: &CampaignId, change: &PaceChange| {
                    log.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((c.clone(), change.clone()));
                })
            },
            pace_log,
            clock,
            config,
        }
    }

    /// Every adaptive pace change so far, oldest first.
    pub fn pace_changes(&self) -> Vec<(CampaignId, PaceChange)> {
        self.pace_log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
            campaigns: &*self.ports,
            audit: &*self.ports,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn import_contacts(&self) -> ImportContacts<'_> {
        ImportContacts {
            campaigns: &*self.ports,
            contacts: &*self.ports,
            blacklist: &*self.ports,
        }
    }

    pub fn blacklisting(&self) -> Blacklisting<'_> {
        Blacklisting {
            blacklist: &*self.ports,
            contacts: &*self.ports,
            audit: &*self.ports,
            clock: &*self.clock,
        }
    }

    pub fn dispatch(&self) -> Dispatch<'_> {
        Dispatch {
            campaigns: &*self.dispatch_ports,
            contacts: &*self.dispatch_ports,
            blacklist: &*self.dispatch_ports,
            queue: &*self.dispatch_ports,
            counters: &*self.dispatch_ports,
            clock: &*self.clock,
            model: &self.model,
        }
    }

    pub fn enrich(&self) -> Enrich<'_> {
        Enrich {
            campaigns: &*self.ports,
            contacts: &*self.ports,
            blacklist: &*self.ports,
            calls: &*self.ports,
            counters: &*self.ports,
            clock: &*self.clock,
        }
    }

    pub fn dial(&self) -> Dial<'_> {
        Dial {
            calls: &*self.ports,
            contacts: &*self.ports,
            counters: &*self.ports,
            telephony: &*self.ports,
            events: &*self.ports,
            clock: &*self.clock,
            slot_lease: self.config.slot_lease,
            adaptive: self.config.adaptive.as_ref(),
            pace_changes: Some(&*self.pace_sink),
        }
    }

    pub fn record_call_event(&self) -> RecordCallEvent<'_> {
        RecordCallEvent {
            calls: &*self.ports,
            contacts: &*self.ports,
            campaigns: &*self.ports,
            counters: &*self.ports,
            clock: &*self.clock,
        }
    }

    pub fn follow_up(&self) -> SendFollowUp<'_> {
        SendFollowUp {
            campaigns: &*self.ports,
            contacts: &*self.ports,
            calls: &*self.ports,
            blacklist: &*self.ports,
            sms: &*self.ports,
            tts: &*self.ports,
            telephony: &*self.ports,
            counters: &*self.ports,
            follow_ups: &*self.ports,
            clock: &*self.clock,
            voice: &self.config.voice,
            slot_lease: self.config.slot_lease,
            adaptive: self.config.adaptive.as_ref(),
            pace_changes: Some(&*self.pace_sink),
        }
    }

    pub fn progress(&self) -> Progress<'_> {
        Progress {
            campaigns: &*self.ports,
            contacts: &*self.ports,
            audit: &*self.ports,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn report(&self) -> GenerateReport<'_> {
        GenerateReport {
            campaigns: &*self.ports,
            contacts: &*self.ports,
            calls: &*self.ports,
            objects: &*self.ports,
            clock: &*self.clock,
        }
    }

    // ---- the pipeline

    /// Runs everything that is due at the current time, once.
    pub async fn step(&self) -> UseCaseResult<()> {
        let now = self.now();
        self.release_carrier_events(now).await?;
        self.release_retries(now).await?;
        self.drain_events().await?;
        self.drain_queue().await?;
        // Refusals by the carrier are published while dialling.
        self.drain_events().await?;
        self.run_watchdog(now).await?;
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
            self.maybe_restart_host(now);
            self.workflow_tick().await?;
        }
        Ok(())
    }

    /// A host restart (fault injection), rolled once per workflow loop:
    /// live calls are cut and their events lost; new calls are refused for
    /// a minute. Their slots come back when their leases end.
    fn maybe_restart_host(&self, now: DateTime<Utc>) {
        let Some(faults) = &self.faults else {
            return;
        };
        let minutes = f64::from(self.config.dispatch_interval_secs) / 60.0;
        let mut hit = false;
        // One roll per minute of the interval.
        for _ in 0..(minutes.ceil() as u32).max(1) {
            hit |= faults.roll_restart_this_minute();
        }
        if hit {
            let cut = self.carrier.restart(now);
            self.ports
                .host_down(now + Duration::seconds(HOST_RESTART_SECS));
            self.bump(|s| s.calls_cut_by_restart += cut as u64);
        }
    }

    /// The carrier bridge publishes what the carrier did up to now. With
    /// faults, an event may be lost, or its publish may fail (the bridge
    /// tries again a second later).
    async fn release_carrier_events(&self, now: DateTime<Utc>) -> UseCaseResult<()> {
        for ev in self.carrier.take_due(now) {
            if matches!(ev, BusEvent::Call(_)) && self.ports.roll(FaultKind::LostCallEvent) {
                continue;
            }
            match self.ports.publish(&ev).await {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    self.retry_event(now + Duration::seconds(1), ev, true)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn retry_event(&self, at: DateTime<Utc>, ev: BusEvent, publish: bool) {
        self.retry_events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((at, ev, publish));
    }

    /// Due redeliveries go back on their topic; due bridge retries are
    /// published again.
    async fn release_retries(&self, now: DateTime<Utc>) -> UseCaseResult<()> {
        for event in self.follow_ups.take_due(now) {
            self.bus.publish(&BusEvent::Donation(event)).await?;
        }
        let due: Vec<(DateTime<Utc>, BusEvent, bool)> = {
            let mut list = self.retry_events.lock().unwrap_or_else(|p| p.into_inner());
            if list.is_empty() {
                return Ok(());
            }
            let (due, later) = list.drain(..).partition(|(at, _, _)| *at <= now);
            *list = later;
            due
        };
        for (_, ev, publish) in due {
            if publish {
                match self.ports.publish(&ev).await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() => {
                        self.retry_event(now + Duration::seconds(1), ev, true)
                    }
                    Err(e) => return Err(e.into()),
                }
            } else {
                self.bus.publish(&ev).await?;
            }
        }
        Ok(())
    }

    /// The Step Functions loop body for every running campaign: progress,
    /// then dispatch what the pace can take before the next tick. A
    /// transient failure skips this loop (the next one comes a dispatch
    /// interval later).
    pub async fn workflow_tick(&self) -> UseCaseResult<()> {
        let campaigns = self.all_campaigns().await?;
        for c in campaigns
            .iter()
            .filter(|c| matches!(c.status, CampaignStatus::Active | CampaignStatus::Paused))
        {
            self.usage.add(
                &self.usage.sfn_transitions,
                u64::from(self.config.transitions_per_loop()),
            );
            let (t, r) = (Instant::now(), self.usage.aws_requests());
            let result = self.dispatcher_run(c).await;
            self.usage.lambda(
                Function::Dispatcher,
                2,
                1,
                t.elapsed(),
                self.usage.aws_requests() - r,
            );
            match result {
                Ok(()) => {}
                Err(e) if e.is_transient() => self.bump(|s| s.handler_failures += 1),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn dispatcher_run(&self, c: &campaign_core::campaign::Campaign) -> UseCaseResult<()> {
        let state = self.progress().run(&c.id).await?;
        if state.campaign_status != CampaignStatus::Active {
            return Ok(());
        }
        let depth = self.dispatch_ports.depth().await?;
        let budget = dispatch_budget(
            c.settings.pace,
            self.config.dispatch_interval_secs,
            depth,
            self.config.max_dispatch_batch,
        );
        let out = self.dispatch().run(&c.id, budget).await?;
        self.bump(|s| s.dispatched += u64::from(out.queued));
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
    /// number is listed before anything else about it is handled. A
    /// handler failing with a transient error gets its event again after
    /// the visibility timeout.
    async fn drain_events(&self) -> UseCaseResult<()> {
        loop {
            let mut any = false;
            for (topic, function) in [
                ("optout-events", Function::Blacklist),
                ("call-events", Function::CallEvents),
                ("donation-events", Function::SmsTtsFallback),
            ] {
                while let Some(ev) = self.bus.pop(topic) {
                    any = true;
                    self.usage.add(&self.usage.event_messages_consumed, 1);
                    let (t, r) = (Instant::now(), self.usage.aws_requests());
                    let result = self.handle_event(&ev).await;
                    self.usage
                        .lambda(function, 0, 1, t.elapsed(), self.usage.aws_requests() - r);
                    match result {
                        Ok(()) => {}
                        Err(e) if e.is_transient() => {
                            self.bump(|s| s.handler_failures += 1);
                            let at = self.now() + Duration::seconds(VISIBILITY_SECS);
                            self.retry_event(at, ev, false);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            if !any {
                return Ok(());
            }
        }
    }

    async fn handle_event(&self, ev: &BusEvent) -> UseCaseResult<()> {
        match ev {
            BusEvent::OptOut(e) => {
                self.blacklisting().opt_out(e).await?;
                self.bump(|s| s.opt_outs += 1);
            }
            BusEvent::Call(e) => {
                self.record_call_event().run(e).await?;
                self.bump(|s| s.events += 1);
            }
            BusEvent::Donation(e) => {
                let delivery = self
                    .deliveries
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.follow_up()
                    .run(e, &format!("follow-up-delivery-{delivery}"))
                    .await?;
                self.bump(|s| s.follow_ups += 1);
            }
        }
        Ok(())
    }

    /// The Pipe: batches of 10 through the enricher and the dialer. Stops at
    /// the first task that must wait: the rest of the queue would wait too.
    /// A batch whose enrichment fails, or a task whose dial fails, with a
    /// transient error stays in flight and comes back after the visibility
    /// timeout (Pipes' batch item failures).
    async fn drain_queue(&self) -> UseCaseResult<()> {
        loop {
            let now = self.now();
            let batch: Vec<Received<DialTask>> = match self
                .ports
                .receive(10, now, Duration::seconds(VISIBILITY_SECS))
                .await
            {
                Ok(b) => b,
                Err(e) if e.is_transient() => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            if batch.is_empty() {
                return Ok(());
            }
            let tasks: Vec<DialTask> = batch.iter().map(|r| r.message.clone()).collect();
            let (t, r) = (Instant::now(), self.usage.aws_requests());
            let enriched = self.enrich().run(tasks).await;
            self.usage.lambda(
                Function::Enricher,
                1,
                batch.len() as u64,
                t.elapsed(),
                self.usage.aws_requests() - r,
            );
            let enriched = match enriched {
                Ok(v) => v,
                Err(e) if e.is_transient() => {
                    self.bump(|s| s.handler_failures += 1);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (t, r) = (Instant::now(), self.usage.aws_requests());
            let waited = self.dial_batch(&batch, enriched, now).await;
            self.usage.lambda(
                Function::DialerWorker,
                1,
                batch.len() as u64,
                t.elapsed(),
                self.usage.aws_requests() - r,
            );
            if waited? {
                return Ok(());
            }
        }
    }

    /// The dialer's part of one pipe batch; true when a task had to wait.
    async fn dial_batch(
        &self,
        batch: &[Received<DialTask>],
        enriched: Vec<Enriched>,
        now: DateTime<Utc>,
    ) -> UseCaseResult<bool> {
        let mut waited = false;
        for (received, result) in batch.iter().zip(enriched) {
            let task = match result {
                Enriched::Dial(task) => task,
                Enriched::Drop(_) => {
                    self.settle(self.ports.ack(&received.receipt).await)?;
                    self.bump(|s| s.dropped += 1);
                    continue;
                }
            };
            if waited {
                self.settle(
                    self.ports
                        .retry_later(&received.receipt, now, Duration::seconds(1))
                        .await,
                )?;
                continue;
            }
            // The receipt is unique per delivery: the gate's claim owner.
            match self.dial().run(&task, &received.receipt).await {
                // Another delivery of this attempt is at work: only this
                // message comes back.
                Ok(DialResult::InFlight) => {
                    self.bump(|s| s.waits += 1);
                    self.settle(
                        self.ports
                            .retry_later(&received.receipt, now, Duration::seconds(1))
                            .await,
                    )?;
                }
                Ok(r) if r.must_retry() => {
                    waited = true;
                    self.bump(|s| s.waits += 1);
                    self.settle(
                        self.ports
                            .retry_later(&received.receipt, now, Duration::seconds(1))
                            .await,
                    )?;
                }
                Ok(DialResult::Duplicate) => {
                    self.bump(|s| s.duplicates += 1);
                    self.settle(self.ports.ack(&received.receipt).await)?;
                }
                Ok(_) => {
                    self.bump(|s| s.placed += 1);
                    self.watch(now, &task.call_id);
                    self.settle(self.ports.ack(&received.receipt).await)?;
                }
                Err(e) if e.is_transient() => {
                    // Left in flight: delivered again after the visibility
                    // timeout. Watched too: it may have reached the carrier.
                    self.bump(|s| s.handler_failures += 1);
                    self.watch(now, &task.call_id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(waited)
    }

    /// A queue call that failed transiently leaves the message to come back.
    fn settle(&self, r: campaign_core::ports::PortResult<()>) -> UseCaseResult<()> {
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.is_transient() => Ok(()),
            // A stale receipt: the message was delivered again meanwhile.
            Err(campaign_core::ports::PortError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn watch(&self, now: DateTime<Utc>, call: &CallId) {
        self.usage.add(&self.usage.sqs_other_requests, 1);
        self.watch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((now + self.config.slot_lease, call.clone(), false));
    }

    /// The lost-call watchdog: a placed call with no end event by the time
    /// its slot lease runs out is closed with a synthesized end (answered
    /// if it was answered, else failed), through the same call-event path,
    /// so the retry rules apply and the contact is not left in progress.
    async fn run_watchdog(&self, now: DateTime<Utc>) -> UseCaseResult<()> {
        loop {
            let next = {
                let mut w = self.watch.lock().unwrap_or_else(|p| p.into_inner());
                match w.front() {
                    Some((at, _, _)) if *at <= now => w.pop_front(),
                    _ => None,
                }
            };
            let Some((at, call, replay)) = next else {
                return Ok(());
            };
            self.usage.add(&self.usage.event_messages_consumed, 1);
            let (t, r) = (Instant::now(), self.usage.aws_requests());
            let result = self.close_if_lost(&call, replay).await;
            self.usage.lambda(
                Function::CallEvents,
                0,
                1,
                t.elapsed(),
                self.usage.aws_requests() - r,
            );
            match result {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    self.bump(|s| s.handler_failures += 1);
                    let mut w = self.watch.lock().unwrap_or_else(|p| p.into_inner());
                    // Keep the deadline order: retry at the back, a bit later.
                    let back = w.back().map_or(at, |(t, _, _)| *t).max(now);
                    // A failed close may have ended the record already: the
                    // retry replays the end so the contact is still settled.
                    w.push_back((back + Duration::seconds(VISIBILITY_SECS), call, true));
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn close_if_lost(&self, call: &CallId, replay: bool) -> UseCaseResult<()> {
        let Some(record) = CallRecordStore::get(&*self.ports, call).await? else {
            return Ok(());
        };
        if record.state == AttemptState::Ended && !replay {
            return Ok(());
        }
        let (outcome, duration) = match (record.outcome, record.answered_at) {
            (Some(o), _) => (o, record.duration_secs.unwrap_or(0)),
            (None, Some(t)) => (
                CallOutcome::Answered,
                (self.now() - t).num_seconds().max(0) as u32,
            ),
            (None, None) => (CallOutcome::Failed, 0),
        };
        let event = CallEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{call}-lost"),
            call_id: record.call_id.clone(),
            campaign_id: record.campaign_id.clone(),
            contact_id: record.contact_id.clone(),
            phone_number: record.phone.clone(),
            purpose: record.purpose,
            at: self.now(),
            kind: CallEventKind::Ended {
                outcome,
                hangup_cause: None,
                duration_secs: duration,
            },
        };
        self.record_call_event().run(&event).await?;
        self.bump(|s| s.lost_calls_closed += 1);
        Ok(())
    }

    /// No call in progress at the carrier and no event waiting to be
    /// delivered again (the last follow-ups, waiting ones included, have
    /// played out).
    pub fn is_idle(&self) -> bool {
        self.carrier.next_event_at().is_none()
            && self.follow_ups.is_empty()
            && self
                .retry_events
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
    }

    /// When something next needs doing.
    pub fn next_wakeup(&self) -> DateTime<Utc> {
        let next_dispatch = *self.next_dispatch.lock().unwrap_or_else(|p| p.into_inner());
        let next_watch = self
            .watch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .map(|(t, _, _)| *t);
        let next_retry = self
            .retry_events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(t, _, _)| *t)
            .min();
        [
            self.carrier.next_event_at(),
            self.queue.next_visible_at(self.now()),
            Some(next_dispatch),
            next_watch,
            next_retry,
            self.follow_ups.next_at(),
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
            if self.all_finished(campaigns).await? && self.is_idle() {
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
            if self.all_finished(campaigns).await? && self.is_idle() {
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
