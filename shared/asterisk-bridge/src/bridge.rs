//! The bridge proper: originates calls through ARI and runs one small actor
//! per channel that turns ARI events into [`CallSession`] steps (events to
//! publish, prompts to play, input timers, hang-ups).
//!
//! - **Exactly one dial per call id.** The channel id is derived from the
//!   call id ([`channel_id_for`]) and originated with `originateWithId`, so
//!   Asterisk refuses a second channel with that id (409). A command for a
//!   call this bridge is already running is answered as a duplicate at
//!   once; a call placed before (by any host, even one that has ended) is
//!   remembered by a seen mark `bridge-placed/<call id>` in the counters
//!   (kept `claim_ttl_secs`). Across hosts (SQS may deliver a command twice, to two hosts), a
//!   claim is taken first: a `Counters` slot of limit 1 in scope
//!   `bridge-originate/<call id>`, held by this host (renewable by it, so
//!   its own redelivery after a transient failure goes on; released only
//!   when Asterisk certainly placed nothing: it could not be reached or
//!   answered with a server error, so another host may try). An originate
//!   whose result is unknown (the request timed out or the connection broke
//!   after it was sent) counts as placed: the claim is kept, the call is
//!   marked placed and its actor runs, so the call settles through its ARI
//!   events, or through the actor's channel check (a channel Asterisk never
//!   made ends the call as failed), never by a second dial.
//! - **Re-checked before dialling.** A command may have waited in the queue
//!   (a backlog, a replay from the dead-letter queue). Once the claim is
//!   taken, the core's [`RecheckOriginate`] asks whether it is past its
//!   not-after time, the number listed, the campaign not active or ended, or
//!   the contact outside its calling window. A refused command is not
//!   dialled: its `Ended` event (outcome `blacklisted` or `not_placed`) is
//!   published so the contact is settled, not left in progress, the call is
//!   marked placed (its call id is never dialled later), and the message is
//!   deleted.
//! - **Order per call.** Each channel has a mailbox; the actor handles its
//!   inputs one by one (ARI events, input timers, reconciliation), so the
//!   published events of one call keep their order, and calls run in
//!   parallel. Inputs that arrive before the originate request has
//!   returned wait until the `Dialling` event is out.
//! - **Prompts.** A `Play` stops the playback still running (barge-in) and
//!   starts `<channel>-p<n>`; only the finish of the latest playback is
//!   passed to the IVR. Every batch of commands cancels a pending input
//!   timer (generation counter).
//! - **Websocket gaps.** After the event stream reconnects,
//!   [`Bridge::reconcile`] asks ARI about each live call: a channel that is
//!   gone ends the call (cause unknown), one that is up but was never seen
//!   answered is answered now, and a playback that is gone counts as finished.
//! - **Capacity and shutdown.** At most `max_channels` calls at once (a
//!   command beyond that is refused as throttled, and waits on the queue);
//!   after [`Bridge::drain`] no new call is taken and the live ones finish.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use campaign_core::call_session::{CallSession, Step};
use campaign_core::clock::Clock;
use campaign_core::ids::CallId;
use campaign_core::ivr::IvrCommand;
use campaign_core::messages::{CallEvent, CallEventKind, MESSAGE_VERSION};
use campaign_core::messages::{CallPurpose, OriginateCommand};
use campaign_core::ports::{
    BlacklistStore, BusEvent, CampaignStore, ContactStore, Counters, EventBus, OriginateAck,
    PortError, Telephony, TelephonyError,
};
use campaign_core::usecases::recheck::{RecheckOriginate, Refusal};
use serde_json::Value;
use tokio::sync::{Notify, mpsc, watch};

use crate::ari::{AriClient, AriError, Destination, Originate};
use crate::events::AriEvent;
use crate::media::MediaResolver;

/// How the bridge places and runs calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSettings {
    /// The Stasis app name (`ari.conf` user's app, `extensions.conf`).
    pub app: String,
    /// The dial string; `{e164}` is replaced by `+972…`, `{digits}` by `972…`.
    pub endpoint_template: String,
    /// Caller id when the command names none.
    pub default_caller_id: Option<String>,
    pub max_channels: usize,
    /// When set, calls are originated into this dialplan context
    /// (extension `s`), which runs `AMD()` and then `Stasis(app,amd,STATUS)`.
    pub amd_context: Option<String>,
    /// This host's name in claims and health reports.
    pub host_id: String,
    /// How long a claim on a call id is kept.
    pub claim_ttl_secs: i64,
}

impl Default for BridgeSettings {
    fn default() -> Self {
        Self {
            app: "voice-campaign".into(),
            endpoint_template: "PJSIP/{digits}@trunk".into(),
            default_caller_id: None,
            max_channels: 200,
            amd_context: None,
            host_id: "telephony-1".into(),
            claim_ttl_secs: 86_400,
        }
    }
}

/// The channel id of a call: `call-<call id>`, with characters outside
/// `[A-Za-z0-9._-]` replaced by `_`.
pub fn channel_id_for(call_id: &CallId) -> String {
    let safe: String = call_id
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("call-{safe}")
}

fn claim_scope(call_id: &CallId) -> String {
    format!("bridge-originate/{call_id}")
}

fn placed_key(call_id: &CallId) -> String {
    format!("bridge-placed/{call_id}")
}

/// How long an actor waits without any input before it checks its channel
/// with ARI (a lost `ChannelDestroyed` cannot keep a call open for ever).
const RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug)]
enum Input {
    /// The originate request returned: go.
    Originated,
    Ari(AriEvent),
    Timer(u64),
    Reconcile,
}

/// What the re-check before dialling reads (the stores the enricher reads).
#[derive(Clone)]
pub struct RecheckStores {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
}

struct Shared {
    settings: BridgeSettings,
    stores: RecheckStores,
    ari: AriClient,
    bus: Arc<dyn EventBus>,
    counters: Arc<dyn Counters>,
    clock: Arc<dyn Clock>,
    media: Arc<dyn MediaResolver>,
    calls: Mutex<HashMap<String, mpsc::UnboundedSender<Input>>>,
    draining: AtomicBool,
    /// An actor ended (capacity freed, drain progress).
    ended: Notify,
    connected: watch::Sender<bool>,
    originated: AtomicU64,
}

/// The bridge. Cheap to clone.
#[derive(Clone)]
pub struct Bridge {
    shared: Arc<Shared>,
}

impl Bridge {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: BridgeSettings,
        ari: AriClient,
        bus: Arc<dyn EventBus>,
        counters: Arc<dyn Counters>,
        clock: Arc<dyn Clock>,
        media: Arc<dyn MediaResolver>,
        stores: RecheckStores,
    ) -> Self {
        let (connected, _) = watch::channel(false);
        Self {
            shared: Arc::new(Shared {
                settings,
                stores,
                ari,
                bus,
                counters,
                clock,
                media,
                calls: Mutex::new(HashMap::new()),
                draining: AtomicBool::new(false),
                ended: Notify::new(),
                connected,
                originated: AtomicU64::new(0),
            }),
        }
    }

    pub fn settings(&self) -> &BridgeSettings {
        &self.shared.settings
    }

    pub fn ari(&self) -> &AriClient {
        &self.shared.ari
    }

    fn calls(&self) -> MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Input>>> {
        self.shared.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls in progress on this host.
    pub fn active_channels(&self) -> usize {
        self.calls().len()
    }

    /// Originate requests that reached Asterisk (for logs and tests).
    pub fn originated_count(&self) -> u64 {
        self.shared.originated.load(Ordering::SeqCst)
    }

    pub fn is_draining(&self) -> bool {
        self.shared.draining.load(Ordering::SeqCst)
    }

    /// Stops taking new calls; live calls go on.
    pub fn drain(&self) {
        self.shared.draining.store(true, Ordering::SeqCst);
        self.shared.ended.notify_waiters();
    }

    /// Waits until no call is left (or `limit` has passed); true when none is left.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.ended.notified();
            if self.active_channels() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.active_channels() == 0;
            }
        }
    }

    /// Waits until a call slot is free (or draining started).
    pub async fn wait_for_capacity(&self) {
        loop {
            let notified = self.shared.ended.notified();
            if self.active_channels() < self.shared.settings.max_channels || self.is_draining() {
                return;
            }
            notified.await;
        }
    }

    /// Whether the ARI event stream is connected.
    pub fn is_connected(&self) -> bool {
        *self.shared.connected.borrow()
    }

    /// Waits until the event stream is connected (or `limit` passed).
    pub async fn wait_connected(&self, limit: Duration) -> bool {
        let mut rx = self.shared.connected.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|c| *c))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.shared.connected.send_replace(connected);
    }

    /// Hands an ARI event to the actor of its channel (unknown channels are
    /// not ours, or already over).
    pub fn dispatch(&self, event: AriEvent) {
        let Some(channel) = event.channel_id().map(str::to_owned) else {
            return;
        };
        if let Some(tx) = self.calls().get(&channel) {
            let _ = tx.send(Input::Ari(event));
        } else {
            tracing::debug!(channel, "event for a channel that is not ours");
        }
    }

    /// After the event stream reconnects: every live call checks its
    /// channel and playback with ARI (see the module docs).
    pub fn reconcile(&self) {
        for tx in self.calls().values() {
            let _ = tx.send(Input::Reconcile);
        }
    }

    async fn publish(&self, event: &BusEvent) {
        publish(&*self.shared.bus, event).await;
    }

    /// Places the call (see [`Telephony::originate`]).
    async fn place(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        let s = &self.shared;
        let channel = channel_id_for(&command.call_id);
        let duplicate = OriginateAck {
            carrier_call_id: channel.clone(),
            duplicate: true,
        };
        if self.calls().contains_key(&channel) {
            return Ok(duplicate);
        }
        if self.is_draining() {
            return Err(TelephonyError::Throttled("bridge is shutting down".into()));
        }
        if !self.is_connected() {
            // A call whose events nobody hears would never end.
            return Err(TelephonyError::Unavailable(
                "ARI event stream not connected".into(),
            ));
        }
        if self.active_channels() >= s.settings.max_channels {
            return Err(TelephonyError::Throttled(format!(
                "host at its {} channels",
                s.settings.max_channels
            )));
        }
        let now = s.clock.now();
        // Placed before (by any host, even if that call is over): never again.
        let placed = placed_key(&command.call_id);
        if s.counters
            .seen(&placed, now)
            .await
            .map_err(|e| TelephonyError::Unavailable(format!("claim: {e}")))?
        {
            return Ok(duplicate);
        }
        let scope = claim_scope(&command.call_id);
        let claimed = s
            .counters
            .acquire_slot(
                &scope,
                &s.settings.host_id,
                1,
                now,
                now + chrono::Duration::seconds(s.settings.claim_ttl_secs),
            )
            .await
            .map_err(|e| TelephonyError::Unavailable(format!("claim: {e}")))?;
        if !claimed {
            tracing::info!(call_id = %command.call_id, "another host has this call: not dialled");
            return Ok(duplicate);
        }
        // Under the claim, so a redelivery on another host cannot refuse a
        // call this host is dialling (and report it over) or the reverse.
        let recheck = RecheckOriginate {
            campaigns: &*s.stores.campaigns,
            contacts: &*s.stores.contacts,
            blacklist: &*s.stores.blacklist,
            clock: &*s.clock,
        }
        .run(command)
        .await;
        match recheck {
            Ok(Ok(())) => {}
            Ok(Err(refusal)) => return self.refuse(command, refusal).await,
            Err(e) => {
                let _ = s.counters.release_slot(&scope, &s.settings.host_id).await;
                return Err(TelephonyError::Unavailable(format!("re-check: {e}")));
            }
        }
        // Register the mailbox before asking ARI: events can come before
        // the response does.
        let (tx, rx) = mpsc::unbounded_channel();
        {
            let mut calls = self.calls();
            if calls.contains_key(&channel) {
                return Ok(duplicate);
            }
            calls.insert(channel.clone(), tx.clone());
        }
        let request = self.originate_request(command, &channel);
        let result = s.ari.originate(&request).await;
        let placed = match &result {
            Ok(_) => true,
            Err(AriError::Indeterminate(m)) => {
                // Asterisk may have made the channel: keep the claim, mark
                // the call placed and let its actor hear its events (or
                // find, at its channel check, that there is no channel).
                tracing::warn!(call_id = %command.call_id, reason = %m, "originate result unknown: counted as placed, never dialled again");
                true
            }
            Err(_) => false,
        };
        if placed {
            s.originated.fetch_add(1, Ordering::SeqCst);
            self.mark_placed(command, now).await;
            if s.settings.amd_context.is_some()
                && let Err(e) = s.ari.subscribe_channel(&s.settings.app, &channel).await
            {
                tracing::warn!(channel, error = %e, "could not subscribe to the AMD channel");
            }
            let actor = Actor::new(self.clone(), channel.clone(), command.clone(), tx.clone());
            tokio::spawn(actor.run(rx));
            let _ = tx.send(Input::Originated);
            return Ok(OriginateAck {
                carrier_call_id: channel,
                duplicate: false,
            });
        }
        self.forget(&channel);
        match result {
            Ok(_) | Err(AriError::Indeterminate(_)) => Ok(duplicate), // placed: returned above
            Err(AriError::Conflict(_)) => {
                // Asterisk has this channel: placed before (by a run of
                // this bridge that has since restarted).
                Ok(duplicate)
            }
            Err(AriError::Unavailable(m)) => {
                // Certainly not placed (no connection, or a server error):
                // another host may try.
                let _ = s.counters.release_slot(&scope, &s.settings.host_id).await;
                Err(TelephonyError::Unavailable(m))
            }
            Err(AriError::NotFound(m) | AriError::Rejected { message: m, .. }) => {
                // The call cannot be placed: report its end so the slot is
                // freed and the retry rules decide.
                let mut session = CallSession::new(command.clone());
                if let Some(end) = session.ended(None, s.clock.now()) {
                    self.publish(&end).await;
                }
                Err(TelephonyError::Rejected(m))
            }
        }
    }

    /// Remembers that this call id was placed (or may have been), so no
    /// host dials it again.
    async fn mark_placed(&self, command: &OriginateCommand, now: chrono::DateTime<chrono::Utc>) {
        let s = &self.shared;
        if let Err(e) = s
            .counters
            .mark_seen(
                &placed_key(&command.call_id),
                now,
                chrono::Duration::seconds(s.settings.claim_ttl_secs),
            )
            .await
        {
            // The claim still stops other hosts; only this host's
            // redelivery after the call ends could dial again.
            tracing::warn!(call_id = %command.call_id, error = %e, "could not mark the call placed");
        }
    }

    /// A command the re-check refused: reported as the call's end (so the
    /// contact is settled), its call id closed for good, nothing dialled.
    async fn refuse(
        &self,
        command: &OriginateCommand,
        refusal: Refusal,
    ) -> Result<OriginateAck, TelephonyError> {
        let now = self.shared.clock.now();
        let outcome = refusal.outcome();
        tracing::warn!(
            call_id = %command.call_id,
            campaign_id = %command.campaign_id,
            %refusal,
            %outcome,
            "originate command refused: not dialled"
        );
        let end = CallEvent {
            version: MESSAGE_VERSION,
            // One end per call id: a repeated refusal is de-duplicated.
            event_id: format!("{}-refused", command.call_id),
            call_id: command.call_id.clone(),
            campaign_id: command.campaign_id.clone(),
            contact_id: command.contact_id.clone(),
            phone_number: command.phone_number.clone(),
            purpose: command.purpose,
            at: now,
            kind: CallEventKind::Ended {
                outcome,
                hangup_cause: None,
                duration_secs: 0,
            },
        };
        if let Err(e) = try_publish(&*self.shared.bus, &BusEvent::Call(end)).await {
            // Not reported: give the command back to the queue (the claim
            // too), so the refusal is made and reported again.
            let s = &self.shared;
            let _ = s
                .counters
                .release_slot(&claim_scope(&command.call_id), &s.settings.host_id)
                .await;
            return Err(TelephonyError::Unavailable(format!(
                "refusal not published: {e}"
            )));
        }
        // Closed for good: a redelivery is a duplicate, never dialled.
        self.mark_placed(command, now).await;
        Err(TelephonyError::Rejected(format!(
            "refused before dialling: {refusal}"
        )))
    }

    fn originate_request(&self, command: &OriginateCommand, channel: &str) -> Originate {
        let s = &self.shared.settings;
        let e164 = command.phone_number.as_str();
        let endpoint = s
            .endpoint_template
            .replace("{e164}", e164)
            .replace("{digits}", e164.trim_start_matches('+'));
        let purpose = match command.purpose {
            CallPurpose::Campaign => "campaign",
            CallPurpose::TtsFallback => "tts_fallback",
        };
        let destination = match &s.amd_context {
            Some(context) => Destination::Dialplan {
                context: context.clone(),
                extension: "s".into(),
            },
            None => Destination::App {
                app: s.app.clone(),
                args: purpose.into(),
            },
        };
        let mut variables = serde_json::Map::new();
        for (k, v) in [
            ("CALL_ID", command.call_id.as_str()),
            ("CAMPAIGN_ID", command.campaign_id.as_str()),
            ("CONTACT_ID", command.contact_id.as_str()),
            ("CALL_PURPOSE", purpose),
            ("ARI_APP", s.app.as_str()),
        ] {
            variables.insert(k.into(), Value::String(v.into()));
        }
        Originate {
            channel_id: channel.to_owned(),
            endpoint,
            destination,
            caller_id: command
                .caller_id
                .clone()
                .or_else(|| s.default_caller_id.clone()),
            timeout_secs: command.ring_timeout_secs,
            variables,
        }
    }

    fn forget(&self, channel: &str) {
        self.calls().remove(channel);
        self.shared.ended.notify_waiters();
    }
}

async fn publish(bus: &dyn EventBus, event: &BusEvent) {
    if let Err(e) = try_publish(bus, event).await {
        tracing::error!(error = %e, topic = event.topic(), "event could not be published");
    }
}

/// Publishes with a few retries on transient errors.
async fn try_publish(bus: &dyn EventBus, event: &BusEvent) -> Result<(), PortError> {
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match bus.publish(event).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() && attempt < 4 => {
                tracing::warn!(error = %e, attempt, "publish failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[async_trait]
impl Telephony for Bridge {
    /// Places the call unless this call id was placed already (then a
    /// duplicate ack). `Throttled` when the host is full or draining,
    /// `Unavailable` when ARI cannot be reached (try again later),
    /// `Rejected` when Asterisk refuses the request (the call's end is
    /// published as failed).
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        self.place(command).await
    }

    /// Hangs the call up (normal clearing); a call that is over is not an error.
    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        let channel = channel_id_for(call_id);
        self.shared
            .ari
            .hang_up(&channel)
            .await
            .map_err(|e| match e {
                // Hanging up again is harmless: try again later.
                AriError::Unavailable(m) | AriError::Indeterminate(m) => {
                    TelephonyError::Unavailable(m)
                }
                other => TelephonyError::Rejected(other.to_string()),
            })
    }
}

/// One call's actor.
struct Actor {
    bridge: Bridge,
    channel: String,
    session: CallSession,
    tx: mpsc::UnboundedSender<Input>,
    playback: Option<String>,
    playbacks: u32,
    timer: u64,
}

impl Actor {
    fn new(
        bridge: Bridge,
        channel: String,
        command: OriginateCommand,
        tx: mpsc::UnboundedSender<Input>,
    ) -> Self {
        Self {
            bridge,
            channel,
            session: CallSession::new(command),
            tx,
            playback: None,
            playbacks: 0,
            timer: 0,
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.bridge.shared.clock.now()
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Input>) {
        // Inputs before `Originated` wait their turn.
        let mut early = Vec::new();
        while let Some(input) = rx.recv().await {
            match input {
                Input::Originated => break,
                other => early.push(other),
            }
        }
        let dialling = self.session.dialling(self.now());
        self.bridge.publish(&dialling).await;
        for input in early {
            self.handle(input).await;
        }
        while !self.session.is_ended() {
            let input = match tokio::time::timeout(RECHECK, rx.recv()).await {
                Ok(Some(input)) => input,
                Ok(None) => break,
                Err(_) => Input::Reconcile,
            };
            self.handle(input).await;
        }
        self.bridge.forget(&self.channel);
    }

    async fn handle(&mut self, input: Input) {
        if self.session.is_ended() {
            return;
        }
        let now = self.now();
        let steps = match input {
            Input::Originated => Vec::new(),
            Input::Ari(event) => self.on_event(event, now),
            Input::Timer(generation) if generation == self.timer => self.session.timeout(now),
            Input::Timer(_) => Vec::new(),
            Input::Reconcile => self.reconcile(now).await,
        };
        self.carry_out(steps).await;
    }

    fn on_event(&mut self, event: AriEvent, now: chrono::DateTime<chrono::Utc>) -> Vec<Step> {
        match event {
            AriEvent::StateChange { state, .. } if state == "Ringing" => self
                .session
                .ringing(now)
                .map(Step::Publish)
                .into_iter()
                .collect(),
            AriEvent::Dial { dialstatus, .. } if dialstatus == "RINGING" => self
                .session
                .ringing(now)
                .map(Step::Publish)
                .into_iter()
                .collect(),
            AriEvent::StasisStart { args, .. } => {
                // The AMD dialplan enters Stasis with `amd,<AMDSTATUS>`.
                if args.first().is_some_and(|a| a == "amd")
                    && args.get(1).is_some_and(|s| s == "MACHINE")
                {
                    self.session.machine_answered()
                } else {
                    self.session.answered(now)
                }
            }
            AriEvent::Dtmf { digit, .. } => self.session.digit(digit, now),
            AriEvent::PlaybackFinished { playback_id, .. } => {
                if self.playback.as_deref() == Some(playback_id.as_str()) {
                    self.playback = None;
                    self.session.playback_finished(now)
                } else {
                    // A playback stopped by barge-in.
                    Vec::new()
                }
            }
            AriEvent::Destroyed { cause, .. } => {
                let cause = (cause != 0).then_some(cause);
                self.session
                    .ended(cause, now)
                    .map(Step::Publish)
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    async fn reconcile(&mut self, now: chrono::DateTime<chrono::Utc>) -> Vec<Step> {
        let ari = self.bridge.shared.ari.clone();
        match ari.get_channel(&self.channel).await {
            Err(AriError::NotFound(_)) => {
                tracing::warn!(channel = %self.channel, "channel ended while the event stream was down");
                return self
                    .session
                    .ended(None, now)
                    .map(Step::Publish)
                    .into_iter()
                    .collect();
            }
            Err(e) => {
                tracing::warn!(channel = %self.channel, error = %e, "could not check the channel");
                return Vec::new();
            }
            Ok(channel) => {
                let up = channel.get("state").and_then(Value::as_str) == Some("Up");
                let in_app = channel
                    .get("dialplan")
                    .and_then(|d| d.get("app_name"))
                    .and_then(Value::as_str)
                    == Some("Stasis");
                if up && in_app && !self.session.is_answered() {
                    return self.session.answered(now);
                }
            }
        }
        if let Some(playback) = self.playback.clone() {
            match ari.get_playback(&playback).await {
                Err(AriError::NotFound(_)) => {
                    self.playback = None;
                    return self.session.playback_finished(now);
                }
                Ok(p) if p.get("state").and_then(Value::as_str) == Some("done") => {
                    self.playback = None;
                    return self.session.playback_finished(now);
                }
                _ => {}
            }
        }
        Vec::new()
    }

    async fn carry_out(&mut self, steps: Vec<Step>) {
        let mut queue: std::collections::VecDeque<Step> = steps.into();
        let mut timer_cancelled = false;
        while let Some(step) = queue.pop_front() {
            match step {
                Step::Publish(event) => self.bridge.publish(&event).await,
                Step::Do(command) => {
                    if !timer_cancelled {
                        self.timer += 1;
                        timer_cancelled = true;
                    }
                    // A play that fails (bad media) counts as finished so the IVR goes on.
                    if let Some(more) = self.command(command).await {
                        queue.extend(more);
                    }
                }
            }
        }
    }

    async fn stop_playback(&mut self) {
        if let Some(p) = self.playback.take()
            && let Err(e) = self.bridge.shared.ari.stop_playback(&p).await
        {
            tracing::warn!(playback = p, error = %e, "could not stop a playback");
        }
    }

    /// Carries out one IVR command; returns steps to run next when the
    /// command could not be carried out and the IVR must move on.
    async fn command(&mut self, command: IvrCommand) -> Option<Vec<Step>> {
        let ari = self.bridge.shared.ari.clone();
        match command {
            IvrCommand::Play { audio } => {
                self.stop_playback().await;
                let media = match self.bridge.shared.media.media_uri(&audio).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(channel = %self.channel, error = %e, "audio cannot be played; skipped");
                        return Some(self.session.playback_finished(self.now()));
                    }
                };
                self.playbacks += 1;
                let id = format!("{}-p{}", self.channel, self.playbacks);
                match ari.play(&self.channel, &id, &media).await {
                    Ok(()) => self.playback = Some(id),
                    Err(AriError::NotFound(_)) => {} // The channel is gone; its end event follows.
                    Err(e) => {
                        tracing::error!(channel = %self.channel, media, error = %e, "play failed; skipped");
                        return Some(self.session.playback_finished(self.now()));
                    }
                }
                None
            }
            IvrCommand::WaitForInput { timeout_secs } => {
                self.stop_playback().await;
                let generation = self.timer;
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(u64::from(timeout_secs))).await;
                    let _ = tx.send(Input::Timer(generation));
                });
                None
            }
            IvrCommand::HangUp => {
                self.stop_playback().await;
                if let Err(e) = ari.hang_up(&self.channel).await {
                    tracing::error!(channel = %self.channel, error = %e, "hang-up failed");
                }
                None
            }
            // Actions are turned into events by the session.
            IvrCommand::Fire(_) => None,
        }
    }
}
