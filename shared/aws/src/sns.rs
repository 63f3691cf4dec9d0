//! SNS: the event bus and the SMS gateway.
//!
//! [`SnsEventBus`] publishes each [`BusEvent`] to its topic (ARNs from
//! [`Topics`]). The message is the event itself as JSON (the topic says its
//! type; [`decode_event`] reads it back), with message attributes
//! `event_type` (`call.answered`, `call.key_pressed`, …, `donation`,
//! `opt_out`) and `campaign_id` (when the event has one), so a subscription
//! can filter without reading bodies. Subscribers use raw message delivery.
//!
//! [`SnsSms`] sends an SMS with `Publish` to a phone number. SNS has no
//! idempotency key: a repeated key is dropped only within this process (the
//! receipt of the first send is returned), so callers still de-duplicate
//! their events before sending (the `Counters` seen marks).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use campaign_core::messages::{CallEvent, DonationEvent, OptOutEvent};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    BusEvent, EventBus, PortError, PortResult, SmsError, SmsGateway, SmsReceipt,
};

use crate::error::{AwsError, classify};
use crate::resilience::{Resilience, ResilienceError};

/// The topic ARNs, one per [`BusEvent`] topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub call_events: String,
    pub donation_events: String,
    pub optout_events: String,
}

impl Topics {
    /// The variables naming the three topics.
    pub const ENV_VARS: [&'static str; 3] = [
        "CALL_EVENTS_TOPIC_ARN",
        "DONATION_EVENTS_TOPIC_ARN",
        "OPTOUT_EVENTS_TOPIC_ARN",
    ];

    /// From `CALL_EVENTS_TOPIC_ARN`, `DONATION_EVENTS_TOPIC_ARN` and
    /// `OPTOUT_EVENTS_TOPIC_ARN`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// The same, through a lookup (a function's typed config reads them so).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        let [call, donation, optout] = Self::ENV_VARS;
        Ok(Self {
            call_events: var(call)?,
            donation_events: var(donation)?,
            optout_events: var(optout)?,
        })
    }

    pub fn arn_for(&self, event: &BusEvent) -> &str {
        match event {
            BusEvent::Call(_) => &self.call_events,
            BusEvent::Donation(_) => &self.donation_events,
            BusEvent::OptOut(_) => &self.optout_events,
        }
    }
}

/// The `event_type` attribute of an event.
pub fn event_type(event: &BusEvent) -> String {
    match event {
        BusEvent::Call(c) => {
            let kind = serde_json::to_value(&c.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_else(|| "unknown".to_owned());
            format!("call.{kind}")
        }
        BusEvent::Donation(_) => "donation".to_owned(),
        BusEvent::OptOut(_) => "opt_out".to_owned(),
    }
}

fn body(event: &BusEvent) -> Result<String, serde_json::Error> {
    match event {
        BusEvent::Call(e) => serde_json::to_string(e),
        BusEvent::Donation(e) => serde_json::to_string(e),
        BusEvent::OptOut(e) => serde_json::to_string(e),
    }
}

/// Reads a message delivered from `topic` (`call-events`,
/// `donation-events`, `optout-events`) back into its event.
pub fn decode_event(topic: &str, message: &str) -> Result<BusEvent, String> {
    let bad = |e: serde_json::Error| format!("not a {topic} message: {e}");
    match topic {
        "call-events" => serde_json::from_str::<CallEvent>(message)
            .map(BusEvent::Call)
            .map_err(bad),
        "donation-events" => serde_json::from_str::<DonationEvent>(message)
            .map(BusEvent::Donation)
            .map_err(bad),
        "optout-events" => serde_json::from_str::<OptOutEvent>(message)
            .map(BusEvent::OptOut)
            .map_err(bad),
        other => Err(format!("unknown topic {other}")),
    }
}

fn string_attr(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::Other(e.to_string()))
}

#[derive(Debug, Clone)]
pub struct SnsEventBus {
    client: Client,
    topics: Topics,
}

impl SnsEventBus {
    pub fn new(client: Client, topics: Topics) -> Self {
        Self { client, topics }
    }
}

#[async_trait]
impl EventBus for SnsEventBus {
    async fn publish(&self, event: &BusEvent) -> PortResult<()> {
        const OP: &str = "bus.publish";
        let message =
            body(event).map_err(|e| PortError::Invalid(format!("{OP}: cannot encode: {e}")))?;
        let campaign = match event {
            BusEvent::Call(c) => Some(c.campaign_id.as_str()),
            BusEvent::Donation(d) => Some(d.campaign_id.as_str()),
            BusEvent::OptOut(o) => o.campaign_id.as_ref().map(|c| c.as_str()),
        };
        let mut req = self
            .client
            .publish()
            .topic_arn(self.topics.arn_for(event))
            .message(message)
            .message_attributes("event_type", string_attr(&event_type(event))?);
        if let Some(c) = campaign {
            req = req.message_attributes("campaign_id", string_attr(c)?);
        }
        req.send()
            .await
            .map_err(|e| PortError::from(classify(OP, e)))?;
        Ok(())
    }
}

/// How many idempotency keys an SMS gateway remembers.
const REMEMBERED_KEYS: usize = 10_000;

/// The receipts of the last sends by idempotency key, so a retry within
/// the process answers the first receipt instead of sending again (SNS and
/// the HTTP provider have no idempotency key of their own).
#[derive(Debug, Default)]
pub(crate) struct SentReceipts {
    inner: Mutex<(HashMap<String, SmsReceipt>, VecDeque<String>)>,
}

impl SentReceipts {
    pub(crate) fn get(&self, key: &str) -> Option<SmsReceipt> {
        let sent = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        sent.0.get(key).cloned()
    }

    /// Keeps the receipt; the oldest key goes once there are too many.
    pub(crate) fn remember(&self, key: &str, receipt: &SmsReceipt) {
        let mut sent = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if sent.0.insert(key.to_owned(), receipt.clone()).is_none() {
            sent.1.push_back(key.to_owned());
        }
        while sent.1.len() > REMEMBERED_KEYS {
            if let Some(old) = sent.1.pop_front() {
                sent.0.remove(&old);
            }
        }
    }
}

/// SMS through SNS `Publish` to a phone number (transactional SMS).
pub struct SnsSms {
    client: Client,
    sender_id: Option<String>,
    resilience: Arc<Resilience>,
    sent: SentReceipts,
}

impl std::fmt::Debug for SnsSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsSms")
            .field("sender_id", &self.sender_id)
            .finish_non_exhaustive()
    }
}

impl SnsSms {
    pub fn new(client: Client, resilience: Arc<Resilience>) -> Self {
        Self {
            client,
            sender_id: None,
            resilience,
            sent: SentReceipts::default(),
        }
    }

    /// The alphanumeric sender id shown to recipients (where the country
    /// allows one).
    pub fn with_sender_id(mut self, sender_id: impl Into<String>) -> Self {
        self.sender_id = Some(sender_id.into());
        self
    }

    async fn publish_once(&self, to: &PhoneNumber, text: &str) -> Result<SmsReceipt, SmsError> {
        const OP: &str = "sms.send";
        let attr = |v: &str| string_attr(v).map_err(|e| SmsError::Rejected(e.to_string()));
        let mut req = self
            .client
            .publish()
            .phone_number(to.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional")?);
        if let Some(id) = &self.sender_id {
            req = req.message_attributes("AWS.SNS.SMS.SenderID", attr(id)?);
        }
        let out = req.send().await.map_err(|e| sms_error(classify(OP, e)))?;
        match out.message_id() {
            Some(id) if !id.is_empty() => Ok(SmsReceipt {
                message_id: id.to_owned(),
            }),
            _ => Err(SmsError::Unavailable(format!(
                "{OP}: SNS returned no message id"
            ))),
        }
    }
}

fn sms_error(e: AwsError) -> SmsError {
    match e {
        AwsError::Transient { .. } => SmsError::Unavailable(e.to_string()),
        _ => SmsError::Rejected(e.to_string()),
    }
}

impl crate::resilience::Transient for SmsError {
    fn is_transient(&self) -> bool {
        matches!(self, SmsError::Unavailable(_))
    }
}

#[async_trait]
impl SmsGateway for SnsSms {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError> {
        if let Some(receipt) = self.sent.get(idempotency_key) {
            return Ok(receipt);
        }
        let receipt = self
            .resilience
            .call(|| self.publish_once(to, text))
            .await
            .map_err(|e| match e {
                ResilienceError::Inner(e) => e,
                other => SmsError::Unavailable(other.to_string()),
            })?;
        self.sent.remember(idempotency_key, &receipt);
        Ok(receipt)
    }
}
