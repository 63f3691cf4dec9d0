//! The originate queue's wire format and how each result settles a message.

use std::sync::Mutex;
use std::time::Duration;

use asterisk_bridge::queue::{QueueCommand, Settle, decode, handle};
use async_trait::async_trait;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::messages::{
    CallPurpose, HangUpCommand, MESSAGE_VERSION, Message, OriginateCommand,
};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{OriginateAck, Telephony, TelephonyError};

fn originate() -> OriginateCommand {
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
        ivr: None,
        not_after: None,
    }
}

#[test]
fn commands_are_read_by_their_attribute_or_their_shape() {
    let o = originate();
    let body = o.encode();
    assert_eq!(
        decode(Some("originate"), &body).unwrap(),
        QueueCommand::Originate(Box::new(o.clone()))
    );
    assert_eq!(
        decode(None, &body).unwrap(),
        QueueCommand::Originate(Box::new(o))
    );
    let h = HangUpCommand {
        version: MESSAGE_VERSION,
        call_id: CallId::new("k-1-a1"),
        reason: "campaign_cancelled".into(),
    };
    assert_eq!(
        decode(Some("hang_up"), &h.encode()).unwrap(),
        QueueCommand::HangUp(h.clone())
    );
    assert_eq!(decode(None, &h.encode()).unwrap(), QueueCommand::HangUp(h));
    assert!(decode(Some("dial"), &body).is_err());
    assert!(decode(Some("originate"), "{}").is_err());
    assert!(decode(None, "not json").is_err());
    let wrong_version = body.replacen("\"version\":1", "\"version\":9", 1);
    assert!(decode(Some("originate"), &wrong_version).is_err());
}

/// A carrier that answers with a fixed result.
struct FixedCarrier(Mutex<Result<OriginateAck, TelephonyError>>);

#[async_trait]
impl Telephony for FixedCarrier {
    async fn originate(&self, _c: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        self.0.lock().unwrap().clone()
    }
    async fn hang_up(&self, _c: &CallId) -> Result<(), TelephonyError> {
        self.0.lock().unwrap().clone().map(|_| ())
    }
}

#[tokio::test]
async fn results_settle_messages() {
    let cmd = QueueCommand::Originate(Box::new(originate()));
    let ack = OriginateAck {
        carrier_call_id: "call-k-1-a1".into(),
        duplicate: false,
    };
    let cases = [
        (Ok(ack.clone()), Settle::Delete),
        (
            Ok(OriginateAck {
                duplicate: true,
                ..ack
            }),
            Settle::Delete,
        ),
        (
            Err(TelephonyError::Throttled("full".into())),
            Settle::RetryAfter(Duration::from_secs(5)),
        ),
        (
            Err(TelephonyError::Unavailable("down".into())),
            Settle::RetryAfter(Duration::from_secs(15)),
        ),
        (Err(TelephonyError::Rejected("bad".into())), Settle::Delete),
    ];
    for (result, expected) in cases {
        let carrier = FixedCarrier(Mutex::new(result.clone()));
        assert_eq!(handle(&carrier, &cmd).await, expected, "{result:?}");
    }
}
