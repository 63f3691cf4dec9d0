//! One call's walk through a flow: [`IvrEvent`]s in, [`IvrCommand`]s out.
//!
//! Behaviour the bridge and the README rely on:
//! - `Answered` runs the start node. A prompt is played with `Play`; when its
//!   `PlaybackFinished` comes, a menu or capture sends `WaitForInput`.
//! - Barge-in: a key pressed while a prompt plays is taken at once. Over a
//!   menu's own prompts (menu, error, timeout) it is that menu's key; over a
//!   capture's prompt it is captured; over a `play_audio` it goes to the
//!   first menu or capture ahead (the message is cut short, action nodes on
//!   the way still fire). When no input lies ahead (a closing prompt), a key
//!   the last menu maps to an action that ends the IVR (opt-out, end call,
//!   transfer) still works, so "9" opts out at any moment; other keys are
//!   ignored and the prompt goes on.
//! - Each action kind fires at most once per call: pressing the same key
//!   again, or a repeated event, still moves on but fires nothing new.
//! - `add_to_blacklist` and `end_call` fire and hang up in the same batch;
//!   `transfer_agent` fires and ends the IVR without `HangUp` (the bridge
//!   hands the call to an agent).
//! - Menus: see [`MenuNode`]. Failures count per menu for
//!   the whole call, so re-entering a menu does not restore its retries.
//! - A missing `nextNodeId` ends the call (`HangUp`).
//! - `HangUp` finishes the walk without commands; after that, and for
//!   events that make no sense in the current state, nothing is returned.

use std::collections::{BTreeMap, HashMap};

use super::flow::{IvrActionSpec, IvrNodeKind, MenuNode, MenuOption, is_dtmf};
use super::{IvrAction, IvrCommand, IvrEvent, IvrFlow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotAnswered,
    /// A `Play` is running; what to do when it finishes.
    Playing(After),
    /// `WaitForInput` was sent at the current menu or capture.
    Waiting,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// A `play_audio` node: go to its next node.
    Continue,
    /// A menu's or capture's prompt: wait for a key.
    AwaitInput,
    /// An error or timeout prompt: ask the menu again.
    ReplayMenu,
    /// An error prompt after the last retry: play the timeout prompt.
    GiveUp,
    /// The timeout prompt: run the menu's `onTimeout`.
    TakeTimeout,
}

/// One call's walk through a validated flow.
#[derive(Debug, Clone)]
pub struct IvrEngine {
    flow: IvrFlow,
    index: HashMap<String, usize>,
    phase: Phase,
    current: Option<usize>,
    last_menu: Option<usize>,
    failures: Vec<u32>,
    typed: String,
    captured: BTreeMap<String, String>,
    digits: Vec<char>,
    fired: Vec<IvrAction>,
    fired_specs: Vec<IvrActionSpec>,
}

impl IvrEngine {
    /// A walk through `flow`, which should have passed
    /// [`IvrFlow::validate`]; an invalid flow never panics the engine, the
    /// call just ends where the flow makes no sense.
    pub fn new(flow: IvrFlow) -> Self {
        let mut index = HashMap::new();
        for (i, node) in flow.nodes.iter().enumerate() {
            index.entry(node.id.clone()).or_insert(i);
        }
        let failures = vec![0; flow.nodes.len()];
        Self {
            flow,
            index,
            phase: Phase::NotAnswered,
            current: None,
            last_menu: None,
            failures,
            typed: String::new(),
            captured: BTreeMap::new(),
            digits: Vec::new(),
            fired: Vec::new(),
            fired_specs: Vec::new(),
        }
    }

    pub fn on_event(&mut self, event: IvrEvent) -> Vec<IvrCommand> {
        let mut out = Vec::new();
        match (event, self.phase) {
            (_, Phase::Finished) => {}
            (IvrEvent::HangUp, _) => self.phase = Phase::Finished,
            (IvrEvent::Answered, Phase::NotAnswered) => {
                let start = self.flow.start_node_id.clone();
                self.goto(Some(start), &mut out);
            }
            (_, Phase::NotAnswered) | (IvrEvent::Answered, _) => {}
            (IvrEvent::PlaybackFinished, Phase::Playing(after)) => {
                self.after_playback(after, &mut out)
            }
            (IvrEvent::PlaybackFinished, _) => {}
            (IvrEvent::Timeout, Phase::Waiting) => self.on_timeout(&mut out),
            (IvrEvent::Timeout, _) => {}
            (IvrEvent::Digit(d), _) => {
                self.digits.push(d);
                self.on_digit(d, &mut out);
            }
        }
        out
    }

    /// Actions fired so far, in order.
    pub fn fired(&self) -> &[IvrAction] {
        &self.fired
    }

    /// The actions fired so far with the parameters configured for them.
    pub fn fired_specs(&self) -> &[IvrActionSpec] {
        &self.fired_specs
    }

    /// Digits received so far, in order (all of them, `#` included).
    pub fn digits(&self) -> &[char] {
        &self.digits
    }

    /// What each `capture_input` node collected (without the closing `#`),
    /// by node id; a capture visited twice keeps the latest.
    pub fn captured(&self) -> &BTreeMap<String, String> {
        &self.captured
    }

    /// The node the call is at (`None` before the answer).
    pub fn current_node(&self) -> Option<&str> {
        self.current.map(|i| self.flow.nodes[i].id.as_str())
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    fn kind(&self, i: usize) -> &IvrNodeKind {
        &self.flow.nodes[i].kind
    }

    fn menu(&self, i: usize) -> Option<&MenuNode> {
        match self.kind(i) {
            IvrNodeKind::Menu(m) => Some(m),
            _ => None,
        }
    }

    fn hang_up(&mut self, out: &mut Vec<IvrCommand>) {
        out.push(IvrCommand::HangUp);
        self.phase = Phase::Finished;
    }

    fn play(&mut self, audio: String, after: After, out: &mut Vec<IvrCommand>) {
        out.push(IvrCommand::Play { audio });
        self.phase = Phase::Playing(after);
    }

    fn wait(&mut self, timeout_secs: u32, out: &mut Vec<IvrCommand>) {
        out.push(IvrCommand::WaitForInput { timeout_secs });
        self.phase = Phase::Waiting;
    }

    /// Fires `spec` unless its kind fired already; true when the IVR ended.
    fn fire(&mut self, spec: &IvrActionSpec, out: &mut Vec<IvrCommand>) -> bool {
        if !self.fired.contains(&spec.action) {
            self.fired.push(spec.action.clone());
            self.fired_specs.push(spec.clone());
            out.push(IvrCommand::Fire(spec.action.clone()));
        }
        match spec.action {
            IvrAction::AddToBlacklist | IvrAction::EndCall => {
                self.hang_up(out);
                true
            }
            IvrAction::TransferAgent => {
                self.phase = Phase::Finished;
                true
            }
            IvrAction::SendSms | IvrAction::TriggerDonation => false,
        }
    }

    fn take(&mut self, option: &MenuOption, out: &mut Vec<IvrCommand>) {
        if let Some(spec) = &option.action
            && self.fire(spec, out)
        {
            return;
        }
        self.goto(option.next_node_id.clone(), out);
    }

    /// Enters `next` and runs on until something plays, waits or ends.
    fn goto(&mut self, mut next: Option<String>, out: &mut Vec<IvrCommand>) {
        // A validated flow has no silent loop; the bound keeps an invalid
        // one from spinning.
        for _ in 0..=self.flow.nodes.len() {
            let Some(i) = next.as_deref().and_then(|id| self.index.get(id)).copied() else {
                return self.hang_up(out);
            };
            self.current = Some(i);
            match self.kind(i).clone() {
                IvrNodeKind::PlayAudio(p) => return self.play(p.audio_url, After::Continue, out),
                IvrNodeKind::Menu(m) => {
                    self.last_menu = Some(i);
                    return self.play(m.audio_url, After::AwaitInput, out);
                }
                IvrNodeKind::CaptureInput(c) => {
                    self.typed.clear();
                    return match c.audio_url {
                        Some(audio) => self.play(audio, After::AwaitInput, out),
                        None => self.wait(c.timeout, out),
                    };
                }
                IvrNodeKind::Action(a) => {
                    if self.fire(&a.action, out) {
                        return;
                    }
                    next = a.next_node_id;
                }
            }
        }
        self.hang_up(out)
    }

    fn after_playback(&mut self, after: After, out: &mut Vec<IvrCommand>) {
        let Some(i) = self.current else { return };
        match (after, self.kind(i).clone()) {
            (After::Continue, IvrNodeKind::PlayAudio(p)) => self.goto(p.next_node_id, out),
            (After::AwaitInput, IvrNodeKind::Menu(m)) => self.wait(m.timeout, out),
            (After::AwaitInput, IvrNodeKind::CaptureInput(c)) => self.wait(c.timeout, out),
            (After::ReplayMenu, IvrNodeKind::Menu(m)) => {
                self.play(m.audio_url, After::AwaitInput, out)
            }
            (After::GiveUp, IvrNodeKind::Menu(m)) => {
                self.play(m.timeout_audio_url, After::TakeTimeout, out)
            }
            (After::TakeTimeout, IvrNodeKind::Menu(m)) => self.take(&m.on_timeout, out),
            // Cannot happen: the phase is set together with the node.
            _ => {}
        }
    }

    fn on_timeout(&mut self, out: &mut Vec<IvrCommand>) {
        let Some(i) = self.current else { return };
        match self.kind(i).clone() {
            IvrNodeKind::Menu(m) => {
                let after = if m.repeat_on_timeout {
                    self.failures[i] += 1;
                    if self.failures[i] <= m.max_retries {
                        After::ReplayMenu
                    } else {
                        After::TakeTimeout
                    }
                } else {
                    After::TakeTimeout
                };
                self.play(m.timeout_audio_url, after, out);
            }
            IvrNodeKind::CaptureInput(c) => self.end_capture(i, c.next_node_id, out),
            _ => {}
        }
    }

    fn on_digit(&mut self, d: char, out: &mut Vec<IvrCommand>) {
        let Some(i) = self.current else { return };
        match self.kind(i) {
            IvrNodeKind::Menu(_) => self.menu_digit(i, d, out),
            IvrNodeKind::CaptureInput(_) => self.capture_digit(i, d, out),
            IvrNodeKind::PlayAudio(_) | IvrNodeKind::Action(_) => self.barge_in(i, d, out),
        }
    }

    fn menu_digit(&mut self, i: usize, d: char, out: &mut Vec<IvrCommand>) {
        let Some(m) = self.menu(i).cloned() else {
            return;
        };
        self.current = Some(i);
        if let Some(option) = m.option(d) {
            return self.take(option, out);
        }
        self.failures[i] += 1;
        let after = if self.failures[i] <= m.max_retries {
            After::ReplayMenu
        } else {
            After::GiveUp
        };
        self.play(m.invalid_audio_url, after, out);
    }

    fn capture_digit(&mut self, i: usize, d: char, out: &mut Vec<IvrCommand>) {
        let IvrNodeKind::CaptureInput(c) = self.kind(i).clone() else {
            return;
        };
        if d == '#' {
            return self.end_capture(i, c.next_node_id, out);
        }
        if !is_dtmf(d) {
            return;
        }
        self.typed.push(d);
        if self.typed.chars().count() >= c.max_digits as usize {
            self.end_capture(i, c.next_node_id, out);
        } else {
            // Restarts the timer: the timeout counts from the last key.
            self.wait(c.timeout, out);
        }
    }

    fn end_capture(&mut self, i: usize, next: Option<String>, out: &mut Vec<IvrCommand>) {
        let id = self.flow.nodes[i].id.clone();
        self.captured.insert(id, std::mem::take(&mut self.typed));
        self.goto(next, out);
    }

    /// A key over a `play_audio`: see the module docs.
    fn barge_in(&mut self, from: usize, d: char, out: &mut Vec<IvrCommand>) {
        if let Some((target, on_the_way)) = self.input_ahead(from) {
            for spec in &on_the_way {
                // `input_ahead` stops at actions that end the IVR.
                self.fire(spec, out);
            }
            self.current = Some(target);
            if let IvrNodeKind::Menu(_) = self.kind(target) {
                self.last_menu = Some(target);
                self.menu_digit(target, d, out);
            } else {
                self.typed.clear();
                self.capture_digit(target, d, out);
            }
            return;
        }
        let Some(m) = self.last_menu else { return };
        let ends = self
            .menu(m)
            .and_then(|menu| menu.option(d))
            .and_then(|o| o.action.as_ref())
            .is_some_and(|a| a.action.ends_ivr());
        if ends {
            self.menu_digit(m, d, out);
        }
    }

    /// The first menu or capture reached from `from` without a key press,
    /// with the actions fired on the way; `None` when the call ends first.
    fn input_ahead(&self, from: usize) -> Option<(usize, Vec<IvrActionSpec>)> {
        let mut actions = Vec::new();
        let mut at = from;
        for _ in 0..=self.flow.nodes.len() {
            let next = match self.kind(at) {
                IvrNodeKind::Menu(_) | IvrNodeKind::CaptureInput(_) if at != from => {
                    return Some((at, actions));
                }
                IvrNodeKind::PlayAudio(p) => p.next_node_id.as_deref(),
                IvrNodeKind::Action(a) if at != from => {
                    if a.action.action.ends_ivr() {
                        return None;
                    }
                    actions.push(a.action.clone());
                    a.next_node_id.as_deref()
                }
                _ => return None,
            };
            at = *self.index.get(next?)?;
        }
        None
    }
}
