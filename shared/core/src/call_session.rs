//! One carrier call from origination to its end, without I/O: what a
//! telephony bridge publishes and does as the carrier reports progress.
//!
//! A [`CallSession`] wraps the IVR engine for one [`OriginateCommand`]. The
//! bridge feeds it what the carrier says (ringing, answered, a key, a
//! playback finished, an input timer ran out, the channel is gone) and gets
//! back [`Step`]s: events to publish and IVR commands to carry out. It
//! decides the outcome the `Ended` event carries:
//! - unanswered: from the Q.850 cause ([`CallOutcome::from_q850_unanswered`];
//!   no cause at all is `failed`);
//! - answered: `opted_out` if the opt-out fired, else `converted` if the
//!   donation (or SMS) action fired, else `answered` when the IVR ran to its
//!   end (it hung up, or handed the call over), else `disconnected` (the
//!   line dropped while the IVR was still running).
//!
//! Without an IVR flow (a TTS fallback call) the audio is played once and
//! the call hung up. Every event id is derived from the call id and what
//! happened (`<call>-answered`, `<call>-key-2`, `<call>-donation`...), so a
//! repeated report of the same thing yields the same id and consumers drop it.

use chrono::{DateTime, Utc};

use crate::blacklist::BlacklistSource;
use crate::ivr::{IvrAction, IvrCommand, IvrEngine, IvrEvent};
use crate::messages::{
    CallEvent, CallEventKind, DonationEvent, MESSAGE_VERSION, OptOutEvent, OriginateCommand,
};
use crate::outcome::CallOutcome;
use crate::ports::BusEvent;

/// What the bridge must do next, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Publish(BusEvent),
    Do(IvrCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    /// Not answered yet, or no audio to play.
    Idle,
    Playing,
    Done,
}

/// One call's state on the carrier side. See the module docs.
#[derive(Debug, Clone)]
pub struct CallSession {
    command: OriginateCommand,
    engine: Option<IvrEngine>,
    plain: Plain,
    rang: bool,
    answered_at: Option<DateTime<Utc>>,
    keys: u32,
    converted: bool,
    opted_out: bool,
    /// The IVR (or the plain playback) decided to end the call.
    ivr_done: bool,
    /// Answering-machine detection said a machine picked up.
    machine: bool,
    ended: bool,
}

impl CallSession {
    pub fn new(command: OriginateCommand) -> Self {
        let engine = command.ivr.clone().map(IvrEngine::new);
        Self {
            command,
            engine,
            plain: Plain::Idle,
            rang: false,
            answered_at: None,
            keys: 0,
            converted: false,
            opted_out: false,
            ivr_done: false,
            machine: false,
            ended: false,
        }
    }

    pub fn command(&self) -> &OriginateCommand {
        &self.command
    }

    pub fn is_answered(&self) -> bool {
        self.answered_at.is_some()
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether the IVR has decided to end the call (a hang-up is due or done).
    pub fn ivr_finished(&self) -> bool {
        self.ivr_done
    }

    fn call_event(&self, suffix: &str, at: DateTime<Utc>, kind: CallEventKind) -> BusEvent {
        let c = &self.command;
        BusEvent::Call(CallEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{}-{suffix}", c.call_id),
            call_id: c.call_id.clone(),
            campaign_id: c.campaign_id.clone(),
            contact_id: c.contact_id.clone(),
            phone_number: c.phone_number.clone(),
            purpose: c.purpose,
            at,
            kind,
        })
    }

    /// The carrier accepted the origination.
    pub fn dialling(&self, at: DateTime<Utc>) -> BusEvent {
        self.call_event("dialling", at, CallEventKind::Dialling)
    }

    /// The far end is ringing; `None` after the first report (or once answered).
    pub fn ringing(&mut self, at: DateTime<Utc>) -> Option<BusEvent> {
        if self.rang || self.answered_at.is_some() || self.ended {
            return None;
        }
        self.rang = true;
        Some(self.call_event("ringing", at, CallEventKind::Ringing))
    }

    /// The call was answered: the `Answered` event, then the IVR's first steps.
    pub fn answered(&mut self, at: DateTime<Utc>) -> Vec<Step> {
        if self.answered_at.is_some() || self.ended {
            return Vec::new();
        }
        self.answered_at = Some(at);
        let mut out = vec![Step::Publish(self.call_event(
            "answered",
            at,
            CallEventKind::Answered,
        ))];
        if self.engine.is_some() {
            self.drive(IvrEvent::Answered, at, &mut out);
        } else if let Some(audio) = self.command.audio.clone() {
            self.plain = Plain::Playing;
            out.push(Step::Do(IvrCommand::Play { audio }));
        } else {
            self.finish_plain(&mut out);
        }
        out
    }

    /// Answering-machine detection found a machine: the IVR does not run,
    /// the bridge hangs up, and the call ends as `no_answer` (no person
    /// answered; the retry rules try again later).
    pub fn machine_answered(&mut self) -> Vec<Step> {
        if self.answered_at.is_some() || self.ended || self.machine {
            return Vec::new();
        }
        self.machine = true;
        self.ivr_done = true;
        vec![Step::Do(IvrCommand::HangUp)]
    }

    /// A key was pressed: the `KeyPressed` event, then what the IVR does with it.
    pub fn digit(&mut self, digit: char, at: DateTime<Utc>) -> Vec<Step> {
        if self.answered_at.is_none() || self.ended {
            return Vec::new();
        }
        self.keys += 1;
        let mut out = vec![Step::Publish(self.call_event(
            &format!("key-{}", self.keys),
            at,
            CallEventKind::KeyPressed {
                digit: digit.to_string(),
            },
        ))];
        if self.engine.is_some() {
            self.drive(IvrEvent::Digit(digit), at, &mut out);
        }
        out
    }

    /// The latest `Play` finished.
    pub fn playback_finished(&mut self, at: DateTime<Utc>) -> Vec<Step> {
        let mut out = Vec::new();
        if self.answered_at.is_none() || self.ended {
            return out;
        }
        if self.engine.is_some() {
            self.drive(IvrEvent::PlaybackFinished, at, &mut out);
        } else if self.plain == Plain::Playing {
            self.finish_plain(&mut out);
        }
        out
    }

    /// The input timer of the latest `WaitForInput` ran out.
    pub fn timeout(&mut self, at: DateTime<Utc>) -> Vec<Step> {
        let mut out = Vec::new();
        if self.answered_at.is_some() && !self.ended && self.engine.is_some() {
            self.drive(IvrEvent::Timeout, at, &mut out);
        }
        out
    }

    /// The call is over (`cause`: the Q.850 hang-up cause, if known). The
    /// `Ended` event, once; `None` for a repeat.
    pub fn ended(&mut self, cause: Option<u16>, at: DateTime<Utc>) -> Option<BusEvent> {
        if self.ended {
            return None;
        }
        self.ended = true;
        if let Some(engine) = &mut self.engine {
            engine.on_event(IvrEvent::HangUp);
        }
        let (outcome, duration_secs) = match self.answered_at {
            None if self.machine => (CallOutcome::NoAnswer, 0),
            None => (
                cause.map_or(CallOutcome::Failed, CallOutcome::from_q850_unanswered),
                0,
            ),
            Some(answered) => {
                let outcome = if self.opted_out {
                    CallOutcome::OptedOut
                } else if self.converted {
                    CallOutcome::Converted
                } else if self.ivr_done {
                    CallOutcome::Answered
                } else {
                    CallOutcome::Disconnected
                };
                let secs = (at - answered).num_seconds().max(0);
                (outcome, u32::try_from(secs).unwrap_or(u32::MAX))
            }
        };
        Some(self.call_event(
            "ended",
            at,
            CallEventKind::Ended {
                outcome,
                hangup_cause: cause,
                duration_secs,
            },
        ))
    }

    fn finish_plain(&mut self, out: &mut Vec<Step>) {
        self.plain = Plain::Done;
        self.ivr_done = true;
        out.push(Step::Do(IvrCommand::HangUp));
    }

    fn drive(&mut self, event: IvrEvent, at: DateTime<Utc>, out: &mut Vec<Step>) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        let commands = engine.on_event(event);
        // `transfer_agent` finishes the walk without a hang-up: this bridge
        // has no agents, so the call ends as if the IVR had hung up.
        let finished = engine.is_finished();
        let mut hung_up = false;
        for command in commands {
            match command {
                IvrCommand::Fire(action) => self.fire(action, at, out),
                IvrCommand::HangUp => {
                    hung_up = true;
                    self.ivr_done = true;
                    out.push(Step::Do(IvrCommand::HangUp));
                }
                other => out.push(Step::Do(other)),
            }
        }
        if finished && !hung_up && !self.ivr_done {
            self.ivr_done = true;
            out.push(Step::Do(IvrCommand::HangUp));
        }
    }

    fn fire(&mut self, action: IvrAction, at: DateTime<Utc>, out: &mut Vec<Step>) {
        let c = &self.command;
        match action {
            IvrAction::TriggerDonation | IvrAction::SendSms => {
                if self.converted {
                    return;
                }
                self.converted = true;
                out.push(Step::Publish(BusEvent::Donation(DonationEvent {
                    version: MESSAGE_VERSION,
                    event_id: format!("{}-donation", c.call_id),
                    call_id: c.call_id.clone(),
                    campaign_id: c.campaign_id.clone(),
                    contact_id: c.contact_id.clone(),
                    phone_number: c.phone_number.clone(),
                    at,
                })));
            }
            IvrAction::AddToBlacklist => {
                self.opted_out = true;
                out.push(Step::Publish(BusEvent::OptOut(OptOutEvent {
                    version: MESSAGE_VERSION,
                    event_id: format!("{}-optout", c.call_id),
                    phone_number: c.phone_number.clone(),
                    source: BlacklistSource::UserOptout,
                    reason: "pressed the opt-out key during the call".into(),
                    call_id: Some(c.call_id.clone()),
                    campaign_id: Some(c.campaign_id.clone()),
                    contact_id: Some(c.contact_id.clone()),
                    at,
                })));
            }
            IvrAction::TransferAgent | IvrAction::EndCall => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::ids::{CallId, CampaignId, ContactId};
    use crate::ivr::IvrFlow;
    use crate::messages::CallPurpose;
    use crate::phone::PhoneNumber;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
    }

    fn command(ivr: Option<IvrFlow>) -> OriginateCommand {
        OriginateCommand {
            version: MESSAGE_VERSION,
            call_id: CallId::new("k-1-a1"),
            campaign_id: CampaignId::new("c-1"),
            contact_id: ContactId::new("k-1"),
            phone_number: PhoneNumber::from_e164("+972501234567").unwrap(),
            purpose: CallPurpose::Campaign,
            caller_id: None,
            ring_timeout_secs: 30,
            audio: Some("sound:hello".into()),
            ivr,
            not_after: None,
        }
    }

    fn published(steps: &[Step]) -> Vec<BusEvent> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Publish(e) => Some(e.clone()),
                Step::Do(_) => None,
            })
            .collect()
    }

    fn outcome(ev: Option<BusEvent>) -> (CallOutcome, u32) {
        match ev {
            Some(BusEvent::Call(CallEvent {
                kind:
                    CallEventKind::Ended {
                        outcome,
                        duration_secs,
                        ..
                    },
                ..
            })) => (outcome, duration_secs),
            other => panic!("not an end event: {other:?}"),
        }
    }

    #[test]
    fn given_an_unanswered_call_when_it_ends_then_the_cause_decides_the_outcome() {
        for (cause, expected) in [
            (Some(17), CallOutcome::Busy),
            (Some(19), CallOutcome::NoAnswer),
            (Some(1), CallOutcome::Failed),
            (None, CallOutcome::Failed),
        ] {
            let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
            assert!(s.ringing(t0()).is_some());
            assert!(s.ringing(t0()).is_none(), "ringing is reported once");
            assert_eq!(outcome(s.ended(cause, t0())), (expected, 0));
            assert!(s.ended(cause, t0()).is_none(), "the end is reported once");
        }
    }

    #[test]
    fn given_the_standard_flow_when_1_is_pressed_then_a_donation_and_a_converted_end() {
        let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
        let steps = s.answered(t0());
        assert!(
            matches!(&steps[1], Step::Do(IvrCommand::Play { audio }) if audio == "sound:hello")
        );
        s.playback_finished(t0());
        s.playback_finished(t0());
        let steps = s.digit('1', t0());
        let events = published(&steps);
        assert!(matches!(&events[0], BusEvent::Call(c) if c.event_id == "k-1-a1-key-1"));
        assert!(matches!(&events[1], BusEvent::Donation(d) if d.event_id == "k-1-a1-donation"));
        // The thanks prompt plays, then the IVR hangs up.
        let steps = s.playback_finished(t0());
        assert_eq!(steps, vec![Step::Do(IvrCommand::HangUp)]);
        assert_eq!(
            outcome(s.ended(Some(16), t0() + Duration::seconds(42))),
            (CallOutcome::Converted, 42)
        );
    }

    #[test]
    fn given_the_standard_flow_when_9_is_pressed_then_an_opt_out_and_a_hang_up_at_once() {
        let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
        s.answered(t0());
        let steps = s.digit('9', t0());
        assert!(matches!(published(&steps)[1], BusEvent::OptOut(_)));
        assert_eq!(steps.last(), Some(&Step::Do(IvrCommand::HangUp)));
        assert_eq!(outcome(s.ended(Some(16), t0())).0, CallOutcome::OptedOut);
    }

    #[test]
    fn given_an_answered_call_when_the_line_drops_mid_ivr_then_it_is_disconnected() {
        let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
        s.answered(t0());
        assert_eq!(
            outcome(s.ended(Some(16), t0())).0,
            CallOutcome::Disconnected
        );
    }

    #[test]
    fn given_no_flow_when_answered_then_the_audio_plays_once_and_the_call_ends_answered() {
        let mut s = CallSession::new(command(None));
        let steps = s.answered(t0());
        assert!(matches!(&steps[1], Step::Do(IvrCommand::Play { .. })));
        assert_eq!(
            s.playback_finished(t0()),
            vec![Step::Do(IvrCommand::HangUp)]
        );
        assert_eq!(outcome(s.ended(Some(16), t0())).0, CallOutcome::Answered);
    }

    #[test]
    fn given_a_machine_answers_then_the_call_is_hung_up_and_ends_as_no_answer() {
        let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
        assert_eq!(s.machine_answered(), vec![Step::Do(IvrCommand::HangUp)]);
        assert_eq!(outcome(s.ended(Some(16), t0())).0, CallOutcome::NoAnswer);
    }

    #[test]
    fn events_before_the_answer_or_after_the_end_do_nothing() {
        let mut s = CallSession::new(command(Some(IvrFlow::standard("sound:hello"))));
        assert!(s.digit('1', t0()).is_empty());
        assert!(s.playback_finished(t0()).is_empty());
        s.ended(Some(19), t0());
        assert!(s.answered(t0()).is_empty());
        assert!(s.timeout(t0()).is_empty());
    }
}
