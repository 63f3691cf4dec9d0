//! Message contracts between the parts: dial tasks, call / donation / opt-out
//! events, originate commands and the workflow's input and outputs. Each is a
//! versioned serde type; the JSON Schemas under `events/schemas/` are
//! generated from these types and checked in (a test keeps them in step).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::blacklist::BlacklistSource;
use crate::campaign::{CampaignStatus, Carrier};
use crate::ids::{CallId, CampaignId, ContactId};
use crate::ivr::IvrFlow;
use crate::outcome::CallOutcome;
use crate::phone::PhoneNumber;

/// The contract version every message carries in `version`.
pub const MESSAGE_VERSION: u32 = 1;

/// A message could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("malformed {kind}: {source}")]
    Malformed {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("{kind} version {found} is not supported (expected {MESSAGE_VERSION})")]
    UnsupportedVersion { kind: &'static str, found: u32 },
}

/// A versioned message type with a name for errors and schema files.
pub trait Message: Serialize + for<'de> Deserialize<'de> + schemars::JsonSchema {
    /// File stem of the schema (`events/schemas/<NAME>.schema.json`).
    const NAME: &'static str;
    fn version(&self) -> u32;

    /// Decodes and checks the version.
    fn decode(json: &[u8]) -> Result<Self, MessageError> {
        let msg: Self = serde_json::from_slice(json).map_err(|source| MessageError::Malformed {
            kind: Self::NAME,
            source,
        })?;
        if msg.version() != MESSAGE_VERSION {
            return Err(MessageError::UnsupportedVersion {
                kind: Self::NAME,
                found: msg.version(),
            });
        }
        Ok(msg)
    }

    fn encode(&self) -> String {
        // Serialising these plain data types cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

macro_rules! message {
    ($ty:ty, $name:literal) => {
        impl Message for $ty {
            const NAME: &'static str = $name;
            fn version(&self) -> u32 {
                self.version
            }
        }
    };
}

/// What the enricher attaches to a dial task: the campaign's dial settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DialSettings {
    pub carrier: Carrier,
    pub audio: Option<String>,
    pub ivr: IvrFlow,
    pub caller_id: Option<String>,
    pub ring_timeout_secs: u32,
    pub max_concurrent: u32,
    pub calls_per_second: u32,
}

/// One contact to dial, as the dispatcher queues it (`settings` is null
/// until the enricher fills it in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DialTask {
    pub version: u32,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    /// The attempt's id: the same for every delivery of this task.
    pub call_id: CallId,
    /// 1-based attempt number.
    pub attempt: u32,
    pub phone_number: PhoneNumber,
    pub queued_at: DateTime<Utc>,
    #[serde(default)]
    pub settings: Option<DialSettings>,
}
message!(DialTask, "dial-task");

/// Why a call is being placed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallPurpose {
    /// A campaign call running the IVR flow.
    #[default]
    Campaign,
    /// A text-to-speech call delivering the follow-up a landline cannot get by SMS.
    TtsFallback,
}

/// The command the dialer sends to a carrier (Asterisk bridge queue or Connect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OriginateCommand {
    pub version: u32,
    pub call_id: CallId,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    pub phone_number: PhoneNumber,
    pub purpose: CallPurpose,
    pub caller_id: Option<String>,
    pub ring_timeout_secs: u32,
    /// Played first (campaign audio, or the synthesized TTS audio).
    pub audio: Option<String>,
    pub ivr: Option<IvrFlow>,
    /// Not to be dialled after this instant. Set where the command is made
    /// from the campaign's pace ([`crate::usecases::recheck::originate_not_after`]);
    /// a carrier that takes the command later (a backlog, a replay from the
    /// dead-letter queue) refuses it and reports the call `not_placed`.
    /// Optional, so version 1 is unchanged: a command without it never
    /// expires, but is still re-checked (listed, window, campaign active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<DateTime<Utc>>,
}
message!(OriginateCommand, "originate-command");

/// Asks the carrier to end a call it placed (e.g. a campaign cancelled
/// mid-call). Sent on the same originate queue as [`OriginateCommand`]; the
/// SQS message attribute `command` (`originate` / `hang_up`) says which.
/// Idempotent: hanging up a call that is over is not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HangUpCommand {
    pub version: u32,
    pub call_id: CallId,
    /// Why, for the carrier's log (`campaign_cancelled`, `opt_out`, ...).
    pub reason: String,
}
message!(HangUpCommand, "hang-up-command");

/// What happened on a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CallEventKind {
    Dialling,
    Ringing,
    Answered,
    KeyPressed {
        digit: String,
    },
    /// The call is over. `outcome` is decided by the telephony side: from the
    /// Q.850 cause if unanswered, from the IVR if answered.
    Ended {
        outcome: CallOutcome,
        hangup_cause: Option<u16>,
        duration_secs: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallEvent {
    pub version: u32,
    /// Unique per event; consumers de-duplicate on it.
    pub event_id: String,
    pub call_id: CallId,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    pub phone_number: PhoneNumber,
    #[serde(default)]
    pub purpose: CallPurpose,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: CallEventKind,
}
message!(CallEvent, "call-event");

/// The recipient pressed the donation key (1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DonationEvent {
    pub version: u32,
    pub event_id: String,
    pub call_id: CallId,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    pub phone_number: PhoneNumber,
    pub at: DateTime<Utc>,
}
message!(DonationEvent, "donation-event");

/// A number asked not to be called again (key 9, or an admin/compliance add).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OptOutEvent {
    pub version: u32,
    pub event_id: String,
    pub phone_number: PhoneNumber,
    pub source: BlacklistSource,
    pub reason: String,
    pub call_id: Option<CallId>,
    pub campaign_id: Option<CampaignId>,
    pub contact_id: Option<ContactId>,
    pub at: DateTime<Utc>,
}
message!(OptOutEvent, "optout-event");

/// Starts a campaign's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkflowInput {
    pub version: u32,
    pub campaign_id: CampaignId,
    /// Wait until this instant before the first dispatch.
    pub scheduled_start: Option<DateTime<Utc>>,
}
message!(WorkflowInput, "workflow-input");

/// Where the workflow loop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowPhase {
    /// Keep dispatching.
    Running,
    /// Wait without dispatching.
    Paused,
    /// Every contact is terminal (or the end was reached): make the report.
    Completed,
    /// Cancelled or failed: stop.
    Stopped,
}

impl WorkflowPhase {
    /// What the workflow does for a campaign in `status`.
    pub fn of(status: CampaignStatus) -> Self {
        match status {
            CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Active => {
                WorkflowPhase::Running
            }
            CampaignStatus::Paused => WorkflowPhase::Paused,
            CampaignStatus::Completed | CampaignStatus::Archived => WorkflowPhase::Completed,
            CampaignStatus::Cancelled | CampaignStatus::Failed => WorkflowPhase::Stopped,
        }
    }
}

/// Every workflow task's output (and the next task's input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkflowState {
    pub version: u32,
    pub campaign_id: CampaignId,
    pub phase: WorkflowPhase,
    pub campaign_status: CampaignStatus,
    pub scheduled_start: Option<DateTime<Utc>>,
    /// Dial tasks queued by the last dispatch.
    pub dispatched: u32,
    pub total_contacts: u64,
    pub terminal_contacts: u64,
    /// Set by the report task.
    pub report_url: Option<String>,
}
message!(WorkflowState, "workflow-state");

/// Generates the JSON Schema of a message type.
pub fn schema_of<M: Message>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(M)).unwrap_or_default()
}

/// Every message type's name and schema, for the checked-in files.
pub fn all_schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (DialTask::NAME, schema_of::<DialTask>()),
        (OriginateCommand::NAME, schema_of::<OriginateCommand>()),
        (HangUpCommand::NAME, schema_of::<HangUpCommand>()),
        (CallEvent::NAME, schema_of::<CallEvent>()),
        (DonationEvent::NAME, schema_of::<DonationEvent>()),
        (OptOutEvent::NAME, schema_of::<OptOutEvent>()),
        (WorkflowInput::NAME, schema_of::<WorkflowInput>()),
        (WorkflowState::NAME, schema_of::<WorkflowState>()),
    ]
}
