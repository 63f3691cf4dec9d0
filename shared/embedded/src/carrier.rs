//! The simulated carrier: a telephony adapter that says what it is. No call
//! is ever placed. For each origination it decides the call's fate from the
//! seed and the call id alone (so a run is reproducible whatever order the
//! work happens in), runs the campaign's IVR flow with the core engine for
//! answered calls, and queues the call events a real carrier bridge would
//! publish, stamped with their (real or virtual) times. The runtime releases
//! them to the event bus as the clock reaches them.

use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use campaign_core::blacklist::BlacklistSource;
use campaign_core::clock::Clock;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::ivr::{IvrAction, IvrCommand, IvrEngine, IvrEvent};
use campaign_core::messages::{
    CallEvent, CallEventKind, CallPurpose, DonationEvent, MESSAGE_VERSION, OptOutEvent,
    OriginateCommand,
};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    BusEvent, EventBus, OriginateAck, PortResult, Telephony, TelephonyError,
};

/// What the person who answers does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyBehaviour {
    /// Presses 1 (donate).
    pub press_1: f64,
    /// Presses 9 (opt out).
    pub press_9: f64,
    /// Presses a key the menu does not map, then 1.
    pub invalid_then_1: f64,
    // The rest: presses nothing (the menu times out).
}

/// Call fate probabilities and durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarrierProfile {
    pub answer: f64,
    pub busy: f64,
    pub no_answer: f64,
    // The rest of the unit interval: failed (network, unallocated number).
    /// Share of answered calls that drop before the IVR finishes.
    pub disconnect: f64,
    /// Seconds of ringing before an answer.
    pub ring_secs: (u32, u32),
    /// Seconds each prompt plays.
    pub prompt_secs: (u32, u32),
    /// Seconds the person takes to press a key after a prompt.
    pub think_secs: (u32, u32),
    pub keys: KeyBehaviour,
}

impl Default for CarrierProfile {
    fn default() -> Self {
        Self {
            answer: 0.55,
            busy: 0.12,
            no_answer: 0.23,
            disconnect: 0.03,
            ring_secs: (3, 20),
            prompt_secs: (8, 25),
            think_secs: (1, 6),
            keys: KeyBehaviour {
                press_1: 0.25,
                press_9: 0.05,
                invalid_then_1: 0.05,
            },
        }
    }
}

/// One origination as the carrier saw it (for the run's invariant checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origination {
    pub call_id: CallId,
    pub phone: PhoneNumber,
    pub purpose: CallPurpose,
    pub at: DateTime<Utc>,
    /// When the carrier's side of the call ends (its `Ended` event time).
    pub ends_at: DateTime<Utc>,
    pub campaign: CampaignId,
    pub contact: ContactId,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    at: DateTime<Utc>,
    seq: u64,
}

#[derive(Default)]
struct State {
    queue: BinaryHeap<Reverse<(Pending, usize)>>,
    events: FxHashMap<usize, BusEvent>,
    seq: u64,
    originations: Vec<Origination>,
    /// Originate requests per call id, repeats included.
    requests: FxHashMap<CallId, u32>,
}

/// The simulated carrier.
pub struct SimulatedCarrier {
    profile: CarrierProfile,
    seed: u64,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

/// A stable 64-bit FNV-1a hash: fates must not depend on Rust's randomised hasher.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn between(rng: &mut ChaCha8Rng, (lo, hi): (u32, u32)) -> i64 {
    i64::from(if hi > lo {
        rng.random_range(lo..=hi)
    } else {
        lo
    })
}

impl SimulatedCarrier {
    pub fn new(profile: CarrierProfile, seed: u64, clock: Arc<dyn Clock>) -> Self {
        Self {
            profile,
            seed,
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The time of the next queued event, if any.
    pub fn next_event_at(&self) -> Option<DateTime<Utc>> {
        self.lock().queue.peek().map(|Reverse((p, _))| p.at)
    }

    /// Takes the events due at `now`, in time order.
    pub fn take_due(&self, now: DateTime<Utc>) -> Vec<BusEvent> {
        let mut st = self.lock();
        let mut out = Vec::new();
        while st.queue.peek().is_some_and(|Reverse((p, _))| p.at <= now) {
            if let Some(Reverse((_, id))) = st.queue.pop()
                && let Some(ev) = st.events.remove(&id)
            {
                out.push(ev);
            }
        }
        out
    }

    /// Publishes every event due at `now` to `bus` (what the bridge does).
    pub async fn release_due(&self, now: DateTime<Utc>, bus: &dyn EventBus) -> PortResult<usize> {
        let due = self.take_due(now);
        for ev in &due {
            bus.publish(ev).await?;
        }
        Ok(due.len())
    }

    /// Every call placed, in order.
    pub fn originations(&self) -> Vec<Origination> {
        self.lock().originations.clone()
    }

    /// Originate requests per call id (a value above 1 was a repeat the carrier absorbed).
    pub fn requests(&self) -> FxHashMap<CallId, u32> {
        self.lock().requests.clone()
    }

    /// Reads the log of placed calls and the request counts without copying
    /// them (a 500,000-contact run places about 800,000 calls).
    pub fn with_log<R>(&self, f: impl FnOnce(&[Origination], &FxHashMap<CallId, u32>) -> R) -> R {
        let st = self.lock();
        f(&st.originations, &st.requests)
    }

    /// Calls in progress at `now` (campaign and TTS), from the carrier's view.
    pub fn live_calls(&self, now: DateTime<Utc>) -> usize {
        self.lock()
            .originations
            .iter()
            .rev()
            .take_while(|o| o.at + Duration::hours(1) > now)
            .filter(|o| o.at <= now && o.ends_at > now)
            .count()
    }

    /// The telephony host restarts: every live call is cut now and the
    /// events it had still to produce are lost with the process (the bridge
    /// cannot report channels that no longer exist). Returns the calls cut.
    pub fn restart(&self, now: DateTime<Utc>) -> usize {
        let mut st = self.lock();
        st.queue.clear();
        st.events.clear();
        let mut cut = 0;
        // Calls last minutes: only the recent tail can still be live.
        for o in st.originations.iter_mut().rev() {
            if o.at + Duration::hours(1) <= now {
                break;
            }
            if o.ends_at > now {
                o.ends_at = now;
                cut += 1;
            }
        }
        cut
    }

    fn push(st: &mut State, at: DateTime<Utc>, ev: BusEvent) {
        st.seq += 1;
        let id = st.seq as usize;
        st.events.insert(id, ev);
        st.queue.push(Reverse((Pending { at, seq: st.seq }, id)));
    }

    /// Plans the whole call: its events with their times, and when it ends.
    fn plan(
        &self,
        cmd: &OriginateCommand,
        now: DateTime<Utc>,
    ) -> (Vec<(DateTime<Utc>, BusEvent)>, DateTime<Utc>) {
        let p = &self.profile;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ fnv(cmd.call_id.as_str()));
        let mut events = Vec::new();
        let mut n = 0u32;
        let mut ev = |at: DateTime<Utc>,
                      kind: CallEventKind,
                      events: &mut Vec<(DateTime<Utc>, BusEvent)>| {
            n += 1;
            events.push((
                at,
                BusEvent::Call(CallEvent {
                    version: MESSAGE_VERSION,
                    event_id: format!("{}-e{n}", cmd.call_id),
                    call_id: cmd.call_id.clone(),
                    campaign_id: cmd.campaign_id.clone(),
                    contact_id: cmd.contact_id.clone(),
                    phone_number: cmd.phone_number.clone(),
                    purpose: cmd.purpose,
                    at,
                    kind,
                }),
            ));
        };
        ev(now, CallEventKind::Dialling, &mut events);
        let mut t = now + Duration::seconds(1);
        ev(t, CallEventKind::Ringing, &mut events);
        let roll: f64 = rng.random();
        let ring_limit = i64::from(cmd.ring_timeout_secs.max(1));
        let ended = |outcome, cause: Option<u16>, duration_secs| CallEventKind::Ended {
            outcome,
            hangup_cause: cause,
            duration_secs,
        };
        if roll >= p.answer {
            let (outcome, cause, after) = if roll < p.answer + p.busy {
                (CallOutcome::Busy, 17, between(&mut rng, (1, 4)))
            } else if roll < p.answer + p.busy + p.no_answer {
                (CallOutcome::NoAnswer, 19, ring_limit)
            } else {
                // Unallocated number or network failure.
                let cause = if rng.random_bool(0.5) { 1 } else { 38 };
                (CallOutcome::Failed, cause, between(&mut rng, (1, 3)))
            };
            t += Duration::seconds(after);
            ev(t, ended(outcome, Some(cause), 0), &mut events);
            return (events, t);
        }
        t += Duration::seconds(between(&mut rng, p.ring_secs).min(ring_limit - 1).max(1));
        let answered_at = t;
        ev(t, CallEventKind::Answered, &mut events);
        let dropped = rng.random_bool(p.disconnect.clamp(0.0, 1.0));

        // TTS fallback calls just play their audio.
        let Some(flow) = cmd.ivr.clone() else {
            let secs = between(&mut rng, p.prompt_secs);
            let outcome = if dropped {
                CallOutcome::Disconnected
            } else {
                CallOutcome::Answered
            };
            t += Duration::seconds(if dropped { secs / 2 } else { secs });
            ev(
                t,
                ended(outcome, Some(16), (t - answered_at).num_seconds() as u32),
                &mut events,
            );
            return (events, t);
        };

        // The person's plan: which digits, in order.
        let k = p.keys;
        let r: f64 = rng.random();
        let mut digits: Vec<char> = if r < k.press_1 {
            vec!['1']
        } else if r < k.press_1 + k.press_9 {
            vec!['9']
        } else if r < k.press_1 + k.press_9 + k.invalid_then_1 {
            vec!['7', '1']
        } else {
            Vec::new()
        };
        digits.reverse();
        let drop_after = if dropped {
            Some(between(&mut rng, (2, 10)))
        } else {
            None
        };

        let mut engine = IvrEngine::new(flow);
        let mut inbox = vec![IvrEvent::Answered];
        let mut steps = 0;
        let mut converted = false;
        let mut opted_out = false;
        // Bounded: a validated flow always ends, but a simulator must not spin.
        while let Some(event) = inbox.pop() {
            steps += 1;
            if steps > 200 {
                break;
            }
            if let Some(limit) = drop_after
                && (t - answered_at).num_seconds() >= limit
            {
                let d = (t - answered_at).num_seconds() as u32;
                ev(
                    t,
                    ended(CallOutcome::Disconnected, Some(16), d),
                    &mut events,
                );
                return (events, t);
            }
            let mut hang_up = false;
            for cmd_out in engine.on_event(event) {
                match cmd_out {
                    IvrCommand::Play { .. } => {
                        t += Duration::seconds(between(&mut rng, p.prompt_secs));
                        inbox.insert(0, IvrEvent::PlaybackFinished);
                    }
                    IvrCommand::WaitForInput { timeout_secs } => {
                        let think = between(&mut rng, p.think_secs);
                        match digits.pop() {
                            Some(d) if think < i64::from(timeout_secs) => {
                                t += Duration::seconds(think);
                                ev(
                                    t,
                                    CallEventKind::KeyPressed {
                                        digit: d.to_string(),
                                    },
                                    &mut events,
                                );
                                inbox.insert(0, IvrEvent::Digit(d));
                            }
                            _ => {
                                t += Duration::seconds(i64::from(timeout_secs));
                                inbox.insert(0, IvrEvent::Timeout);
                            }
                        }
                    }
                    IvrCommand::Fire(action) => match action {
                        IvrAction::TriggerDonation | IvrAction::SendSms => {
                            converted = true;
                            events.push((
                                t,
                                BusEvent::Donation(DonationEvent {
                                    version: MESSAGE_VERSION,
                                    event_id: format!("{}-donation", cmd.call_id),
                                    call_id: cmd.call_id.clone(),
                                    campaign_id: cmd.campaign_id.clone(),
                                    contact_id: cmd.contact_id.clone(),
                                    phone_number: cmd.phone_number.clone(),
                                    at: t,
                                }),
                            ));
                        }
                        IvrAction::AddToBlacklist => {
                            opted_out = true;
                            events.push((
                                t,
                                BusEvent::OptOut(OptOutEvent {
                                    version: MESSAGE_VERSION,
                                    event_id: format!("{}-optout", cmd.call_id),
                                    phone_number: cmd.phone_number.clone(),
                                    source: BlacklistSource::UserOptout,
                                    reason: "pressed 9 during the call".into(),
                                    call_id: Some(cmd.call_id.clone()),
                                    campaign_id: Some(cmd.campaign_id.clone()),
                                    contact_id: Some(cmd.contact_id.clone()),
                                    at: t,
                                }),
                            ));
                        }
                        IvrAction::TransferAgent | IvrAction::EndCall => {}
                    },
                    IvrCommand::HangUp => hang_up = true,
                }
            }
            if hang_up || engine.is_finished() {
                break;
            }
        }
        let outcome = if opted_out {
            CallOutcome::OptedOut
        } else if converted {
            CallOutcome::Converted
        } else {
            CallOutcome::Answered
        };
        let d = (t - answered_at).num_seconds() as u32;
        ev(t, ended(outcome, Some(16), d), &mut events);
        (events, t)
    }
}

#[async_trait]
impl Telephony for SimulatedCarrier {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        let now = self.clock.now();
        {
            let mut st = self.lock();
            let count = st.requests.entry(command.call_id.clone()).or_insert(0);
            *count += 1;
            if *count > 1 {
                // Idempotent on the call id, like ARI's channel id or Connect's ClientToken.
                return Ok(OriginateAck {
                    carrier_call_id: format!("sim-{}", command.call_id),
                    duplicate: true,
                });
            }
        }
        let (events, ends_at) = self.plan(command, now);
        let mut st = self.lock();
        st.originations.push(Origination {
            call_id: command.call_id.clone(),
            phone: command.phone_number.clone(),
            purpose: command.purpose,
            at: now,
            ends_at,
            campaign: command.campaign_id.clone(),
            contact: command.contact_id.clone(),
        });
        for (at, ev) in events {
            Self::push(&mut st, at, ev);
        }
        Ok(OriginateAck {
            carrier_call_id: format!("sim-{}", command.call_id),
            duplicate: false,
        })
    }

    /// Ends the call now: its remaining planned events are dropped and an
    /// end event at the current time takes their place.
    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        let now = self.clock.now();
        let mut st = self.lock();
        let mine: Vec<usize> = st
            .events
            .iter()
            .filter(|(_, ev)| matches!(ev, BusEvent::Call(c) if &c.call_id == call_id))
            .map(|(id, _)| *id)
            .collect();
        let mut last: Option<CallEvent> = None;
        for id in mine {
            if let Some(BusEvent::Call(c)) = st.events.remove(&id)
                && matches!(c.kind, CallEventKind::Ended { .. })
            {
                last = Some(c);
            }
        }
        // Stale heap entries whose event was removed are skipped by take_due.
        if let Some(mut end) = last {
            end.at = now;
            end.event_id = format!("{}-hangup", call_id);
            if let CallEventKind::Ended { outcome, .. } = &mut end.kind
                && !outcome.is_answered()
            {
                *outcome = CallOutcome::Failed;
            }
            if let Some(o) = st.originations.iter_mut().find(|o| &o.call_id == call_id) {
                o.ends_at = now;
            }
            Self::push(&mut st, now, BusEvent::Call(end));
        }
        Ok(())
    }
}

/// Peak number of overlapping calls per campaign, of every purpose
/// (campaign and TTS follow-up calls share the campaign's slots), from the
/// carrier's own view (origination to end).
pub fn peak_concurrency(originations: &[Origination]) -> BTreeMap<String, u32> {
    peak_concurrency_of(originations.iter())
}

/// [`peak_concurrency`] over borrowed originations.
pub fn peak_concurrency_of<'a>(
    originations: impl Iterator<Item = &'a Origination>,
) -> BTreeMap<String, u32> {
    let mut edges: FxHashMap<&str, Vec<(DateTime<Utc>, i32)>> = FxHashMap::default();
    for o in originations {
        let e = edges.entry(o.campaign.as_str()).or_default();
        e.push((o.at, 1));
        e.push((o.ends_at, -1));
    }
    edges
        .into_iter()
        .map(|(campaign, mut e)| {
            // Ends sort before starts at the same instant: a slot freed at t
            // can be reused at t.
            e.sort_unstable();
            let (mut cur, mut peak) = (0i32, 0i32);
            for (_, d) in e {
                cur += d;
                peak = peak.max(cur);
            }
            (campaign.to_owned(), peak.max(0) as u32)
        })
        .collect()
}

/// Peak originations (of every purpose) in any one second per campaign.
pub fn peak_rate(originations: &[Origination]) -> BTreeMap<String, u32> {
    peak_rate_of(originations.iter())
}

/// [`peak_rate`] over borrowed originations.
pub fn peak_rate_of<'a>(
    originations: impl Iterator<Item = &'a Origination>,
) -> BTreeMap<String, u32> {
    let mut per: FxHashMap<(&str, i64), u32> = FxHashMap::default();
    for o in originations {
        *per.entry((o.campaign.as_str(), o.at.timestamp()))
            .or_default() += 1;
    }
    let mut out: BTreeMap<String, u32> = BTreeMap::new();
    for ((c, _), n) in per {
        let e = out.entry(c.to_owned()).or_default();
        *e = (*e).max(n);
    }
    out
}
