//! The [`EventBus`] contract.

use async_trait::async_trait;

use crate::blacklist::BlacklistSource;
use crate::ids::{CallId, CampaignId, ContactId};
use crate::messages::{
    CallEvent, CallEventKind, CallPurpose, DonationEvent, MESSAGE_VERSION, OptOutEvent,
};
use crate::ports::{BusEvent, EventBus};

use super::{base_time, ns_phone, ok};

/// What a topic's subscriber received. An embedded bus drains its topic
/// queue; an adapter over a real bus reads (and deletes) the messages of a
/// queue subscribed to the topic, waiting briefly for them to arrive.
#[async_trait]
pub trait BusObserver: Send + Sync {
    /// Events delivered on `topic` since the last call.
    async fn delivered(&self, topic: &str) -> Vec<BusEvent>;
}

const TOPICS: [&str; 3] = ["call-events", "donation-events", "optout-events"];

fn event_id(e: &BusEvent) -> &str {
    match e {
        BusEvent::Call(c) => &c.event_id,
        BusEvent::Donation(d) => &d.event_id,
        BusEvent::OptOut(o) => &o.event_id,
    }
}

/// Publishes one event of each kind and checks each is delivered once, on
/// its own topic, unchanged.
pub async fn event_bus(bus: &dyn EventBus, observe: &dyn BusObserver, namespace: &str) {
    let t0 = base_time();
    let camp = CampaignId::new(format!("{namespace}-bus"));
    let contact = ContactId::new(format!("{namespace}-bus-c1"));
    let call = CallId::for_attempt(&contact, 1);
    let phone = ns_phone(namespace, 7);
    let events = vec![
        BusEvent::Call(CallEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{namespace}-e-call"),
            call_id: call.clone(),
            campaign_id: camp.clone(),
            contact_id: contact.clone(),
            phone_number: phone.clone(),
            purpose: CallPurpose::Campaign,
            at: t0,
            kind: CallEventKind::KeyPressed { digit: "1".into() },
        }),
        BusEvent::Donation(DonationEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{namespace}-e-donation"),
            call_id: call.clone(),
            campaign_id: camp.clone(),
            contact_id: contact.clone(),
            phone_number: phone.clone(),
            at: t0,
        }),
        BusEvent::OptOut(OptOutEvent {
            version: MESSAGE_VERSION,
            event_id: format!("{namespace}-e-optout"),
            phone_number: phone.clone(),
            source: BlacklistSource::UserOptout,
            reason: "pressed 9".into(),
            call_id: Some(call.clone()),
            campaign_id: Some(camp.clone()),
            contact_id: Some(contact.clone()),
            at: t0,
        }),
    ];
    for e in &events {
        ok("publish", bus.publish(e).await);
    }
    for topic in TOPICS {
        let delivered = observe.delivered(topic).await;
        // A shared bus may carry other runs' events: look at ours only.
        let ours: Vec<&BusEvent> = delivered
            .iter()
            .filter(|e| event_id(e).starts_with(namespace))
            .collect();
        let expected: Vec<&BusEvent> = events.iter().filter(|e| e.topic() == topic).collect();
        assert_eq!(
            ours, expected,
            "topic {topic} must deliver exactly its own event, once and unchanged"
        );
    }
    for topic in TOPICS {
        let again = observe.delivered(topic).await;
        assert!(
            !again.iter().any(|e| event_id(e).starts_with(namespace)),
            "topic {topic} must not deliver an event twice"
        );
    }
}
