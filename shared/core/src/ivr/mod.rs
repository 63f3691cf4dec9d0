//! IVR: the flow definition of `003_*` (nodes `play_audio`, `menu`,
//! `capture_input`, `action`), its validation, and a pure engine that turns
//! call events into commands.
//!
//! - [`flow`]: the typed nodes. A flow is JSON like
//!   `{"startNodeId": "message", "nodes": [{"id": "message", "type":
//!   "play_audio", "audioUrl": "...", "nextNodeId": "menu"}, ...]}`. Menus map
//!   keys to options (`{"action": {...}?, "nextNodeId": "..."?}`), so a digit
//!   sequence walks a hierarchy of menus.
//! - [`validate`]: every error of a flow at once (dangling ids, unreachable
//!   nodes, bad keys, loops that run without a key press, no opt-out...).
//! - [`engine`]: one call's walk: [`IvrEvent`]s in, [`IvrCommand`]s out,
//!   deterministic and without I/O, so the Asterisk bridge only moves events
//!   and commands between ARI and the engine.

pub mod engine;
pub mod flow;
pub mod validate;

use serde::{Deserialize, Serialize};

pub use engine::IvrEngine;
pub use flow::{
    ActionNode, CaptureNode, IvrActionSpec, IvrNode, IvrNodeKind, MenuNode, MenuOption,
    PlayAudioNode,
};

/// An action a key press (or a node) triggers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum IvrAction {
    SendSms,
    TransferAgent,
    AddToBlacklist,
    TriggerDonation,
    EndCall,
}

/// A whole flow: `003_*`'s `IVRFlowDefinition` (`startNodeId`, `nodes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IvrFlow {
    pub start_node_id: String,
    pub nodes: Vec<IvrNode>,
}

impl IvrFlow {
    /// The standard campaign flow: play the message, then a menu where 1
    /// triggers the donation follow-up and 9 opts out; invalid keys replay
    /// the menu (bounded), silence ends the call after a timeout prompt.
    ///
    /// Nodes: `message` (plays `audio`) → `menu` (prompt
    /// [`flow::STANDARD_MENU_AUDIO`]; `1` fires `trigger_donation` then goes
    /// to `thanks`; `9` fires `add_to_blacklist` and the call ends at once;
    /// 10 s timeout, 2 retries, stock error and timeout prompts, silence ends
    /// the call) → `thanks` (plays [`flow::STANDARD_THANKS_AUDIO`], then the
    /// call ends).
    pub fn standard(audio: &str) -> IvrFlow {
        IvrFlow::build_standard(audio)
    }

    /// Checks the flow; on failure returns every problem found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<IvrValidationError>> {
        let errors = validate::check(self);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// One problem of a flow; `node` is the node's id, or `flow` for the whole flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{node}: {message}")]
pub struct IvrValidationError {
    pub node: String,
    pub message: String,
}

/// What happens on the call, as the telephony side reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrEvent {
    Answered,
    Digit(char),
    PlaybackFinished,
    /// The input timer started by [`IvrCommand::WaitForInput`] ran out.
    Timeout,
    HangUp,
}

/// What the telephony side must do next.
///
/// The commands of a batch run in order. A `Play`, `WaitForInput` or
/// `HangUp` stops any playback still running (the caller pressed a key over
/// it); the engine then expects the [`IvrEvent::PlaybackFinished`] of the
/// latest `Play` only, so the bridge drops the finish events of stopped
/// playbacks. Any new batch cancels a running input timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrCommand {
    Play {
        audio: String,
    },
    /// Start collecting digits; send [`IvrEvent::Timeout`] after `timeout_secs`.
    WaitForInput {
        timeout_secs: u32,
    },
    /// Publish this action (each mapped action fires at most once per call).
    Fire(IvrAction),
    HangUp,
}
