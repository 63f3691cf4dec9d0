//! The ARI websocket events the bridge acts on, read from the JSON that
//! `events.json` describes (`type`, `application`, `timestamp`, and the
//! event's own fields). Anything else is [`AriEvent::Other`].

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AriEvent {
    /// The channel entered the Stasis app (it was answered); `args` are the
    /// app arguments (the AMD dialplan passes `amd,<AMDSTATUS>`).
    StasisStart {
        channel_id: String,
        args: Vec<String>,
    },
    /// `ChannelStateChange`: e.g. `Ringing`, `Up`.
    StateChange {
        channel_id: String,
        state: String,
    },
    /// `Dial`: the progress of the originated channel (`peer`).
    Dial {
        channel_id: String,
        dialstatus: String,
    },
    Dtmf {
        channel_id: String,
        digit: char,
    },
    PlaybackFinished {
        playback_id: String,
        channel_id: Option<String>,
    },
    /// The channel is gone, with its Q.850 cause.
    Destroyed {
        channel_id: String,
        cause: u16,
    },
    Other(String),
}

#[derive(Debug, thiserror::Error)]
#[error("unreadable ARI event: {0}")]
pub struct EventError(String);

fn channel_id(v: &Value, field: &str) -> Result<String, EventError> {
    v.get(field)
        .and_then(|c| c.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| EventError(format!("no {field}.id")))
}

impl AriEvent {
    pub fn parse(text: &str) -> Result<Self, EventError> {
        let v: Value = serde_json::from_str(text).map_err(|e| EventError(e.to_string()))?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| EventError("no type".into()))?;
        Ok(match kind {
            "StasisStart" => AriEvent::StasisStart {
                channel_id: channel_id(&v, "channel")?,
                args: v
                    .get("args")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            "ChannelStateChange" => AriEvent::StateChange {
                channel_id: channel_id(&v, "channel")?,
                state: v
                    .get("channel")
                    .and_then(|c| c.get("state"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            },
            "Dial" => AriEvent::Dial {
                channel_id: channel_id(&v, "peer")?,
                dialstatus: v
                    .get("dialstatus")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            },
            "ChannelDtmfReceived" => {
                let digit = v
                    .get("digit")
                    .and_then(Value::as_str)
                    .and_then(|d| d.chars().next())
                    .ok_or_else(|| EventError("no digit".into()))?;
                AriEvent::Dtmf {
                    channel_id: channel_id(&v, "channel")?,
                    digit,
                }
            }
            "PlaybackFinished" => {
                let playback = v.get("playback");
                let playback_id = playback
                    .and_then(|p| p.get("id"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| EventError("no playback.id".into()))?
                    .to_owned();
                let channel_id = playback
                    .and_then(|p| p.get("target_uri"))
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix("channel:"))
                    .map(str::to_owned);
                AriEvent::PlaybackFinished {
                    playback_id,
                    channel_id,
                }
            }
            "ChannelDestroyed" => AriEvent::Destroyed {
                channel_id: channel_id(&v, "channel")?,
                cause: v
                    .get("cause")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .unwrap_or(0),
            },
            other => AriEvent::Other(other.to_owned()),
        })
    }

    /// The channel the event is about, if any.
    pub fn channel_id(&self) -> Option<&str> {
        match self {
            AriEvent::StasisStart { channel_id, .. }
            | AriEvent::StateChange { channel_id, .. }
            | AriEvent::Dial { channel_id, .. }
            | AriEvent::Dtmf { channel_id, .. }
            | AriEvent::Destroyed { channel_id, .. } => Some(channel_id),
            AriEvent::PlaybackFinished { channel_id, .. } => channel_id.as_deref(),
            AriEvent::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_events_the_bridge_acts_on() {
        let e = AriEvent::parse(
            r#"{"type":"ChannelDtmfReceived","application":"a","timestamp":"2026-03-02T08:00:00.000+0000","digit":"9","duration_ms":100,"channel":{"id":"ch-1"}}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            AriEvent::Dtmf {
                channel_id: "ch-1".into(),
                digit: '9'
            }
        );
        let e = AriEvent::parse(
            r#"{"type":"PlaybackFinished","application":"a","timestamp":"t","playback":{"id":"p-1","target_uri":"channel:ch-1","media_uri":"sound:x","state":"done"}}"#,
        )
        .unwrap();
        assert_eq!(e.channel_id(), Some("ch-1"));
        let e = AriEvent::parse(
            r#"{"type":"ChannelDestroyed","application":"a","timestamp":"t","cause":17,"cause_txt":"User busy","channel":{"id":"ch-1"}}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            AriEvent::Destroyed {
                channel_id: "ch-1".into(),
                cause: 17
            }
        );
        assert!(AriEvent::parse("not json").is_err());
        assert_eq!(
            AriEvent::parse(r#"{"type":"ApplicationReplaced","application":"a","timestamp":"t"}"#)
                .unwrap(),
            AriEvent::Other("ApplicationReplaced".into())
        );
    }
}
