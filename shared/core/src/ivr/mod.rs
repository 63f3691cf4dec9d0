//! IVR: the flow definition of `003_*` (nodes `play_audio`, `menu`,
//! `capture_input`, `action`), its validation, and a pure engine that turns
//! call events into commands.
//!
//! STUB: the public API below is fixed; bodies are filled in by the IVR work.

use serde::{Deserialize, Serialize};

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
    pub nodes: Vec<serde_json::Value>,
}

impl IvrFlow {
    /// The standard campaign flow: play the message, then a menu where 1
    /// triggers the donation follow-up and 9 opts out; invalid keys replay
    /// the menu (bounded), silence ends the call after a timeout prompt.
    pub fn standard(audio: &str) -> IvrFlow {
        let _ = audio;
        todo!("ivr")
    }

    pub fn validate(&self) -> Result<(), Vec<IvrValidationError>> {
        todo!("ivr")
    }
}

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

/// One call's walk through a validated flow.
#[derive(Debug, Clone)]
pub struct IvrEngine {
    _flow: IvrFlow,
}

impl IvrEngine {
    pub fn new(flow: IvrFlow) -> Self {
        Self { _flow: flow }
    }

    pub fn on_event(&mut self, event: IvrEvent) -> Vec<IvrCommand> {
        let _ = event;
        todo!("ivr")
    }

    /// Actions fired so far, in order.
    pub fn fired(&self) -> &[IvrAction] {
        todo!("ivr")
    }

    /// Digits received so far, in order.
    pub fn digits(&self) -> &[char] {
        todo!("ivr")
    }

    pub fn is_finished(&self) -> bool {
        todo!("ivr")
    }
}
