//! The typed flow definition: nodes, menu options and actions with their
//! parameters, as `003_*`'s `IVRFlowDefinition` stores them in JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{IvrAction, IvrFlow};

/// Seconds a menu or a digit capture waits for a key (`003_*`: 10 s).
pub const DEFAULT_TIMEOUT_SECS: u32 = 10;
/// How often a menu is asked again after a failure, by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Error prompt of a menu that names none (Asterisk core sound).
pub const DEFAULT_INVALID_AUDIO: &str = "sound:option-is-invalid";
/// Timeout prompt of a menu that names none (Asterisk core sound).
pub const DEFAULT_TIMEOUT_AUDIO: &str = "sound:vm-goodbye";

/// The standard flow's menu prompt. Not an Asterisk core sound: the
/// operator records it and installs it on the telephony host.
pub const STANDARD_MENU_AUDIO: &str = "sound:press-1-to-donate-9-to-opt-out";
/// The standard flow's thank-you after a donation pledge (Asterisk core sound).
pub const STANDARD_THANKS_AUDIO: &str = "sound:auth-thankyou";

/// The keys a phone can send.
pub const DTMF_KEYS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];

/// Whether `c` is a key a phone can send (`0-9`, `*`, `#`).
pub fn is_dtmf(c: char) -> bool {
    DTMF_KEYS.contains(&c)
}

impl IvrAction {
    /// Whether the IVR stops after this action: the caller is off the list or
    /// hung up on (`add_to_blacklist`, `end_call`), or handed to an agent
    /// (`transfer_agent`), so nothing after it would ever play.
    pub fn ends_ivr(&self) -> bool {
        matches!(
            self,
            IvrAction::AddToBlacklist | IvrAction::EndCall | IvrAction::TransferAgent
        )
    }
}

/// An action with its optional `parameters`, `003_*`'s `IVRAction`:
/// `{"type": "send_sms", "parameters": {"template": "..."}}`.
/// The engine fires the bare [`IvrAction`]; the parameters are there for
/// whoever carries the action out (see `IvrEngine::fired_specs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IvrActionSpec {
    #[serde(flatten)]
    pub action: IvrAction,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, serde_json::Value>,
}

impl From<IvrAction> for IvrActionSpec {
    fn from(action: IvrAction) -> Self {
        IvrActionSpec {
            action,
            parameters: BTreeMap::new(),
        }
    }
}

/// One node of a flow: its id and what it does (`type` in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IvrNode {
    pub id: String,
    #[serde(flatten)]
    pub kind: IvrNodeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IvrNodeKind {
    PlayAudio(PlayAudioNode),
    Menu(MenuNode),
    CaptureInput(CaptureNode),
    Action(ActionNode),
}

/// Plays `audioUrl`, then goes to `nextNodeId`; without one the call ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayAudioNode {
    pub audio_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_node_id: Option<String>,
}

/// Plays its prompt and waits for a key. A mapped key runs its option; an
/// unmapped key plays the error prompt and asks again; silence plays the
/// timeout prompt and runs `onTimeout`. Every failure (unmapped key, and
/// silence when `repeatOnTimeout`) counts against `maxRetries` for the whole
/// call; when they are used up the menu gives up: it plays the timeout prompt
/// and runs `onTimeout`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuNode {
    /// The prompt.
    pub audio_url: String,
    /// Key (one of `0-9 * #`) → what it does.
    pub options: BTreeMap<String, MenuOption>,
    /// Seconds of silence before the timeout path runs.
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// How many times the menu is asked again after a failure.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Played on an unmapped key.
    #[serde(default = "default_invalid_audio")]
    pub invalid_audio_url: String,
    /// Played on silence, and before giving up.
    #[serde(default = "default_timeout_audio")]
    pub timeout_audio_url: String,
    /// Silence asks again (while retries last) instead of running `onTimeout`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeat_on_timeout: bool,
    /// The configured timeout action; `end_call` by default.
    #[serde(default = "MenuOption::end_call")]
    pub on_timeout: MenuOption,
}

/// What a key (or a menu's timeout) does: fire `action` if any, then go to
/// `nextNodeId`; without one the call ends. After an action that ends the
/// IVR ([`IvrAction::ends_ivr`]) nothing else runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<IvrActionSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_node_id: Option<String>,
}

impl MenuOption {
    pub fn end_call() -> Self {
        MenuOption::fire(IvrAction::EndCall)
    }

    /// Fire `action` and go nowhere else.
    pub fn fire(action: IvrAction) -> Self {
        MenuOption {
            action: Some(action.into()),
            next_node_id: None,
        }
    }

    /// Go to `node` without firing anything.
    pub fn goto(node: &str) -> Self {
        MenuOption {
            action: None,
            next_node_id: Some(node.to_owned()),
        }
    }

    /// Fire `action`, then go to `node`.
    pub fn fire_then(action: IvrAction, node: &str) -> Self {
        MenuOption {
            action: Some(action.into()),
            next_node_id: Some(node.to_owned()),
        }
    }
}

/// Collects up to `maxDigits` keys, or fewer ended by `#`, then goes to
/// `nextNodeId`. Silence for `timeout` seconds (counted again after every
/// key) also moves on, with what was typed so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureNode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_url: Option<String>,
    pub max_digits: u32,
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_node_id: Option<String>,
}

/// Fires `action`, then goes to `nextNodeId`; without one the call ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionNode {
    pub action: IvrActionSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_node_id: Option<String>,
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_SECS
}

fn default_max_retries() -> u32 {
    DEFAULT_MAX_RETRIES
}

fn default_invalid_audio() -> String {
    DEFAULT_INVALID_AUDIO.to_owned()
}

fn default_timeout_audio() -> String {
    DEFAULT_TIMEOUT_AUDIO.to_owned()
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl MenuNode {
    /// A menu with the defaults of `003_*` (10 s, 2 retries, stock prompts,
    /// silence ends the call).
    pub fn new(audio_url: &str, options: BTreeMap<String, MenuOption>) -> Self {
        MenuNode {
            audio_url: audio_url.to_owned(),
            options,
            timeout: DEFAULT_TIMEOUT_SECS,
            max_retries: DEFAULT_MAX_RETRIES,
            invalid_audio_url: default_invalid_audio(),
            timeout_audio_url: default_timeout_audio(),
            repeat_on_timeout: false,
            on_timeout: MenuOption::end_call(),
        }
    }

    /// The option for key `key`, if mapped.
    pub fn option(&self, key: char) -> Option<&MenuOption> {
        let mut buf = [0u8; 4];
        self.options.get(&*key.encode_utf8(&mut buf))
    }
}

impl IvrNode {
    pub fn new(id: &str, kind: IvrNodeKind) -> Self {
        IvrNode {
            id: id.to_owned(),
            kind,
        }
    }

    /// Every node this one can lead to, with whether the step can happen
    /// without the caller pressing a key (used for the no-input loop check).
    pub fn edges(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        match &self.kind {
            IvrNodeKind::PlayAudio(n) => out.extend(n.next_node_id.as_deref().map(|t| (t, true))),
            IvrNodeKind::Action(n) => out.extend(n.next_node_id.as_deref().map(|t| (t, true))),
            // A capture moves on when the caller stays silent too.
            IvrNodeKind::CaptureInput(n) => {
                out.extend(n.next_node_id.as_deref().map(|t| (t, true)))
            }
            IvrNodeKind::Menu(m) => {
                for o in m.options.values() {
                    out.extend(o.next_node_id.as_deref().map(|t| (t, false)));
                }
                out.extend(m.on_timeout.next_node_id.as_deref().map(|t| (t, true)));
            }
        }
        out
    }
}

impl IvrFlow {
    /// The node with id `id` (the first one, should ids repeat).
    pub fn node(&self, id: &str) -> Option<&IvrNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub(super) fn build_standard(audio: &str) -> IvrFlow {
        let options = BTreeMap::from([
            (
                "1".to_owned(),
                MenuOption::fire_then(IvrAction::TriggerDonation, "thanks"),
            ),
            ("9".to_owned(), MenuOption::fire(IvrAction::AddToBlacklist)),
        ]);
        IvrFlow {
            start_node_id: "message".to_owned(),
            nodes: vec![
                IvrNode::new(
                    "message",
                    IvrNodeKind::PlayAudio(PlayAudioNode {
                        audio_url: audio.to_owned(),
                        next_node_id: Some("menu".to_owned()),
                    }),
                ),
                IvrNode::new(
                    "menu",
                    IvrNodeKind::Menu(MenuNode::new(STANDARD_MENU_AUDIO, options)),
                ),
                IvrNode::new(
                    "thanks",
                    IvrNodeKind::PlayAudio(PlayAudioNode {
                        audio_url: STANDARD_THANKS_AUDIO.to_owned(),
                        next_node_id: None,
                    }),
                ),
            ],
        }
    }
}
