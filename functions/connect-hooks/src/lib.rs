//! `connect-hooks`: the Lambda that Amazon Connect contact flows invoke
//! ("Invoke AWS Lambda function" blocks, see `infra/connect/`).
//!
//! Input: Connect's contact-flow event, read with our own tolerant types
//! ([`ConnectEvent`]): `CustomerEndpoint` may be null or absent, attribute
//! and parameter values may be numbers, booleans or null. The action is
//! `Details.Parameters.action`:
//!
//! | action | does | answers |
//! |---|---|---|
//! | `check_blacklist` | is the customer's number on the do-not-call list | `blacklisted` (`true`/`false`) |
//! | `lookup` | the campaign and contact of the call (attributes `campaign_id`, `contact_id`) | `campaign_found`, `campaign_status`, `campaign_dialling`, `contact_found`, `contact_status`, `blacklisted` |
//! | `key_press` | records `Parameters.digit`: publishes the key-pressed call event; 1 → a donation event, 9 → an opt-out event at once | `next` (`donation` / `opt_out` / `none`) |
//! | `record_outcome` | publishes the call's end (`Parameters.outcome`, optional `duration_secs`, `hangup_cause`) | `recorded` |
//!
//! Output: a flat map of strings whose values hold only letters, digits,
//! `-` and `_` (what Connect accepts), always with `status` (`ok`,
//! `error`, `unknown_action`, `missing_<what>`). Connect gives a Lambda
//! 8 seconds: every downstream call has [`DOWNSTREAM_TIMEOUT`], the whole
//! invocation [`BUDGET`], and on any failure the action's safe default is
//! answered (`blacklisted=true`: when in doubt, do not call; `next` still
//! follows the key so the flow can end politely) instead of an error.
//!
//! Numbers come from `CustomerEndpoint.Address`, else the
//! `phone_number` attribute, else the contact's stored number.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use campaign_core::blacklist::BlacklistSource;
use campaign_core::clock::Clock;
use campaign_core::contact::Contact;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::messages::{
    CallEvent, CallEventKind, CallPurpose, DonationEvent, MESSAGE_VERSION, OptOutEvent,
};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    BlacklistStore, BusEvent, CampaignStore, ContactStore, EventBus, PortError,
};
use lambda_kit::config::{parsed, required};
use lambda_kit::{FunctionError, Masked};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

pub const FUNCTION: &str = "connect-hooks";

/// Each downstream call (DynamoDB, SNS) gets at most this long.
pub const DOWNSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole invocation, well inside Connect's 8 s.
pub const BUDGET: Duration = Duration::from_secs(6);

/// Every variable [`Config::from_lookup`] reads.
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "CALL_EVENTS_TOPIC_ARN",
    "DONATION_EVENTS_TOPIC_ARN",
    "OPTOUT_EVENTS_TOPIC_ARN",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_prefix: String,
    pub call_events_topic: String,
    pub donation_events_topic: String,
    pub optout_events_topic: String,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&lambda_kit::config::env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        Ok(Self {
            table_prefix: parsed(lookup, "CAMPAIGN_TABLE_PREFIX", "campaign-".to_owned())?,
            call_events_topic: required(lookup, "CALL_EVENTS_TOPIC_ARN")?,
            donation_events_topic: required(lookup, "DONATION_EVENTS_TOPIC_ARN")?,
            optout_events_topic: required(lookup, "OPTOUT_EVENTS_TOPIC_ARN")?,
        })
    }
}

pub struct Deps {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters, with short time limits and one retry: a slow answer
/// is worse than the safe default.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    use campaign_aws::{
        AwsConfig, DynamoBlacklistStore, DynamoCampaignStore, DynamoContactStore, SnsEventBus,
        TableNames, Topics,
    };
    let clients = AwsConfig {
        operation_timeout: DOWNSTREAM_TIMEOUT,
        attempt_timeout: Duration::from_millis(1500),
        connect_timeout: Duration::from_secs(1),
        max_attempts: 2,
        ..AwsConfig::default()
    }
    .clients()
    .await;
    let tables = TableNames::with_prefix(&config.table_prefix);
    Ok(Deps {
        campaigns: Arc::new(DynamoCampaignStore::new(
            clients.dynamodb.clone(),
            tables.campaigns.clone(),
        )),
        contacts: Arc::new(DynamoContactStore::new(
            clients.dynamodb.clone(),
            tables.contacts.clone(),
            tables.counters.clone(),
        )),
        blacklist: Arc::new(DynamoBlacklistStore::new(
            clients.dynamodb.clone(),
            tables.blacklist.clone(),
        )),
        bus: Arc::new(SnsEventBus::new(
            clients.sns.clone(),
            Topics {
                call_events: config.call_events_topic.clone(),
                donation_events: config.donation_events_topic.clone(),
                optout_events: config.optout_events_topic.clone(),
            },
        )),
        clock: Arc::new(campaign_core::clock::SystemClock),
    })
}

// ------------------------------------------------------------ the event

/// Connect's contact-flow event, only what the hooks read, tolerantly.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConnectEvent {
    #[serde(rename = "Details")]
    pub details: Details,
    #[serde(rename = "Name")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Details {
    #[serde(rename = "ContactData")]
    pub contact_data: ContactData,
    #[serde(rename = "Parameters", deserialize_with = "loose_map")]
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactData {
    #[serde(rename = "ContactId")]
    pub contact_id: Option<String>,
    #[serde(rename = "InitiationMethod")]
    pub initiation_method: Option<String>,
    /// Null or absent for some flows (transfers, tasks, API starts).
    #[serde(rename = "CustomerEndpoint")]
    pub customer_endpoint: Option<Endpoint>,
    #[serde(rename = "SystemEndpoint")]
    pub system_endpoint: Option<Endpoint>,
    #[serde(rename = "Attributes", deserialize_with = "loose_map")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    #[serde(rename = "Address")]
    pub address: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

/// A map whose values may be strings, numbers, booleans or null (null and
/// nested values are dropped); a null or absent map is empty.
fn loose_map<'de, D>(d: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let raw: Option<serde_json::Map<String, Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k, s))
        })
        .collect())
}

impl ConnectEvent {
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.details
            .parameters
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.details
            .contact_data
            .attributes
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The customer's number from the endpoint or the attributes.
    pub fn customer_phone(&self) -> Option<PhoneNumber> {
        self.details
            .contact_data
            .customer_endpoint
            .as_ref()
            .and_then(|e| e.address.as_deref())
            .or_else(|| self.attribute("phone_number"))
            .and_then(|a| PhoneNumber::from_e164(a.trim()).ok())
    }
}

// ------------------------------------------------------------ the answer

pub type Answer = HashMap<String, String>;

/// Keeps only what Connect accepts in a value: letters, digits, `-`, `_`.
pub fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn answer(pairs: &[(&str, &str)]) -> Answer {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), clean(v)))
        .collect()
}

fn flag(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

#[derive(Debug, thiserror::Error)]
enum HookError {
    #[error("{0}")]
    Port(#[from] PortError),
    #[error("timed out")]
    TimedOut,
    #[error("missing {0}")]
    Missing(&'static str),
}

async fn bounded<T>(
    f: impl std::future::Future<Output = Result<T, PortError>>,
) -> Result<T, HookError> {
    tokio::time::timeout(DOWNSTREAM_TIMEOUT, f)
        .await
        .map_err(|_| HookError::TimedOut)?
        .map_err(HookError::from)
}

/// The action's answer when it could not run.
fn safe_default(action: &str, event: &ConnectEvent, status: &str) -> Answer {
    match action {
        "check_blacklist" => answer(&[("status", status), ("blacklisted", "true")]),
        "lookup" => answer(&[
            ("status", status),
            ("campaign_found", "false"),
            ("campaign_dialling", "false"),
            ("contact_found", "false"),
            ("blacklisted", "true"),
        ]),
        "key_press" => {
            let next = next_for(event.parameter("digit").unwrap_or_default());
            answer(&[("status", status), ("next", next)])
        }
        "record_outcome" => answer(&[("status", status), ("recorded", "false")]),
        _ => answer(&[("status", status)]),
    }
}

fn next_for(digit: &str) -> &'static str {
    match digit {
        "1" => "donation",
        "9" => "opt_out",
        _ => "none",
    }
}

/// The Lambda handler: never fails; a problem becomes a safe answer.
pub async fn handler(
    deps: &Deps,
    _config: &Config,
    event: LambdaEvent<Value>,
) -> Result<Answer, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    let payload = event.payload;
    async move {
        let event: ConnectEvent = match serde_json::from_value(payload) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable Connect event");
                return Ok(answer(&[("status", "bad_event")]));
            }
        };
        let action = event.parameter("action").unwrap_or_default().to_owned();
        let run = tokio::time::timeout(BUDGET, act(deps, &action, &event)).await;
        let out = match run {
            Ok(Ok(answer)) => answer,
            Ok(Err(HookError::Missing(what))) => {
                tracing::warn!(action, what, "hook input incomplete");
                safe_default(&action, &event, &format!("missing_{what}"))
            }
            Ok(Err(e)) => {
                tracing::error!(action, error = %e, "hook failed; safe default answered");
                safe_default(&action, &event, "error")
            }
            Err(_) => {
                tracing::error!(action, "hook ran out of time; safe default answered");
                safe_default(&action, &event, "error")
            }
        };
        Ok(out)
    }
    .instrument(span)
    .await
}

async fn act(deps: &Deps, action: &str, event: &ConnectEvent) -> Result<Answer, HookError> {
    match action {
        "check_blacklist" => check_blacklist(deps, event).await,
        "lookup" => lookup(deps, event).await,
        "key_press" => key_press(deps, event).await,
        "record_outcome" => record_outcome(deps, event).await,
        other => {
            tracing::warn!(action = other, "unknown action");
            Ok(answer(&[("status", "unknown_action")]))
        }
    }
}

struct CallIds {
    call: Option<CallId>,
    campaign: Option<CampaignId>,
    contact: Option<ContactId>,
}

fn ids(event: &ConnectEvent) -> CallIds {
    CallIds {
        call: event.attribute("call_id").map(CallId::new),
        campaign: event.attribute("campaign_id").map(CampaignId::new),
        contact: event.attribute("contact_id").map(ContactId::new),
    }
}

async fn stored_contact(deps: &Deps, ids: &CallIds) -> Result<Option<Contact>, HookError> {
    match (&ids.campaign, &ids.contact) {
        (Some(campaign), Some(contact)) => bounded(deps.contacts.get(campaign, contact)).await,
        _ => Ok(None),
    }
}

/// The customer's number: endpoint, attribute, or the stored contact's.
async fn phone_of(
    deps: &Deps,
    event: &ConnectEvent,
    ids: &CallIds,
) -> Result<Option<PhoneNumber>, HookError> {
    if let Some(p) = event.customer_phone() {
        return Ok(Some(p));
    }
    Ok(stored_contact(deps, ids).await?.map(|c| c.phone))
}

async fn is_listed(deps: &Deps, phone: &PhoneNumber) -> Result<bool, HookError> {
    Ok(bounded(deps.blacklist.get(phone)).await?.is_some())
}

async fn check_blacklist(deps: &Deps, event: &ConnectEvent) -> Result<Answer, HookError> {
    let ids = ids(event);
    let phone = phone_of(deps, event, &ids)
        .await?
        .ok_or(HookError::Missing("number"))?;
    let listed = is_listed(deps, &phone).await?;
    tracing::info!(phone = %Masked(&phone), listed, "blacklist check");
    Ok(answer(&[("status", "ok"), ("blacklisted", flag(listed))]))
}

async fn lookup(deps: &Deps, event: &ConnectEvent) -> Result<Answer, HookError> {
    let ids = ids(event);
    let campaign_id = ids
        .campaign
        .clone()
        .ok_or(HookError::Missing("campaign_id"))?;
    let campaign = bounded(deps.campaigns.get(&campaign_id)).await?;
    let contact = stored_contact(deps, &ids).await?;
    let phone = match event.customer_phone() {
        Some(p) => Some(p),
        None => contact.as_ref().map(|c| c.phone.clone()),
    };
    let listed = match &phone {
        Some(p) => is_listed(deps, p).await?,
        None => false,
    };
    let now = deps.clock.now();
    let mut out = answer(&[
        ("status", "ok"),
        ("campaign_found", flag(campaign.is_some())),
        (
            "campaign_dialling",
            flag(campaign.as_ref().is_some_and(|c| c.is_dialling(now))),
        ),
        ("contact_found", flag(contact.is_some())),
        ("blacklisted", flag(listed)),
    ]);
    if let Some(c) = &campaign {
        out.insert("campaign_status".into(), clean(c.status.as_str()));
    }
    if let Some(c) = &contact {
        out.insert("contact_status".into(), clean(c.status.as_str()));
    }
    Ok(out)
}

/// The ids every call event needs; `Missing` otherwise.
async fn call_context(
    deps: &Deps,
    event: &ConnectEvent,
) -> Result<(CallId, CampaignId, ContactId, PhoneNumber), HookError> {
    let ids = ids(event);
    let call = ids.call.clone().ok_or(HookError::Missing("call_id"))?;
    let campaign = ids
        .campaign
        .clone()
        .ok_or(HookError::Missing("campaign_id"))?;
    let contact = ids
        .contact
        .clone()
        .ok_or(HookError::Missing("contact_id"))?;
    let phone = phone_of(deps, event, &ids)
        .await?
        .ok_or(HookError::Missing("number"))?;
    Ok((call, campaign, contact, phone))
}

fn purpose(event: &ConnectEvent) -> CallPurpose {
    match event.attribute("purpose") {
        Some("tts_fallback") => CallPurpose::TtsFallback,
        _ => CallPurpose::Campaign,
    }
}

fn call_event(
    event: &ConnectEvent,
    (call, campaign, contact, phone): &(CallId, CampaignId, ContactId, PhoneNumber),
    suffix: &str,
    at: chrono::DateTime<chrono::Utc>,
    kind: CallEventKind,
) -> BusEvent {
    BusEvent::Call(CallEvent {
        version: MESSAGE_VERSION,
        event_id: format!("{call}-{suffix}"),
        call_id: call.clone(),
        campaign_id: campaign.clone(),
        contact_id: contact.clone(),
        phone_number: phone.clone(),
        purpose: purpose(event),
        at,
        kind,
    })
}

async fn publish(deps: &Deps, event: &BusEvent) -> Result<(), HookError> {
    bounded(deps.bus.publish(event)).await
}

async fn key_press(deps: &Deps, event: &ConnectEvent) -> Result<Answer, HookError> {
    let digit = event
        .parameter("digit")
        .or_else(|| event.attribute("digit"))
        .ok_or(HookError::Missing("digit"))?
        .to_owned();
    let next = next_for(&digit);
    let now = deps.clock.now();
    let ids = ids(event);
    // An opt-out needs only the number: it works even without call ids
    // (an inbound call), and is published first, at once.
    if next == "opt_out" {
        let phone = phone_of(deps, event, &ids)
            .await?
            .ok_or(HookError::Missing("number"))?;
        let opt_out = BusEvent::OptOut(OptOutEvent {
            version: MESSAGE_VERSION,
            event_id: match &ids.call {
                Some(call) => format!("{call}-optout"),
                None => format!(
                    "connect-{}-optout",
                    clean(
                        event
                            .details
                            .contact_data
                            .contact_id
                            .as_deref()
                            .unwrap_or("unknown")
                    )
                ),
            },
            phone_number: phone.clone(),
            source: BlacklistSource::UserOptout,
            reason: "pressed the opt-out key in a Connect call".into(),
            call_id: ids.call.clone(),
            campaign_id: ids.campaign.clone(),
            contact_id: ids.contact.clone(),
            at: now,
        });
        publish(deps, &opt_out).await?;
        tracing::info!(phone = %Masked(&phone), "opt-out published");
        if ids.call.is_none() {
            // Not one of our calls (inbound): the opt-out is all there is.
            return Ok(answer(&[("status", "ok"), ("next", next)]));
        }
    }
    let context = call_context(deps, event).await?;
    publish(
        deps,
        &call_event(
            event,
            &context,
            &format!("key-{}", clean(&digit)),
            now,
            CallEventKind::KeyPressed {
                digit: digit.clone(),
            },
        ),
    )
    .await?;
    if next == "donation" {
        let (call, campaign, contact, phone) = &context;
        publish(
            deps,
            &BusEvent::Donation(DonationEvent {
                version: MESSAGE_VERSION,
                event_id: format!("{call}-donation"),
                call_id: call.clone(),
                campaign_id: campaign.clone(),
                contact_id: contact.clone(),
                phone_number: phone.clone(),
                at: now,
            }),
        )
        .await?;
    }
    Ok(answer(&[("status", "ok"), ("next", next)]))
}

fn outcome_named(name: &str) -> Option<CallOutcome> {
    CallOutcome::ALL
        .into_iter()
        .find(|o| o.as_str().eq_ignore_ascii_case(name.trim()))
}

async fn record_outcome(deps: &Deps, event: &ConnectEvent) -> Result<Answer, HookError> {
    let outcome = event
        .parameter("outcome")
        .and_then(outcome_named)
        .ok_or(HookError::Missing("outcome"))?;
    let duration_secs = event
        .parameter("duration_secs")
        .and_then(|d| d.parse::<f64>().ok())
        .map_or(0, |d| d.max(0.0) as u32);
    let hangup_cause = event
        .parameter("hangup_cause")
        .and_then(|c| c.parse::<u16>().ok());
    let context = call_context(deps, event).await?;
    publish(
        deps,
        &call_event(
            event,
            &context,
            "ended",
            deps.clock.now(),
            CallEventKind::Ended {
                outcome,
                hangup_cause,
                duration_secs,
            },
        ),
    )
    .await?;
    Ok(answer(&[("status", "ok"), ("recorded", "true")]))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[test]
    fn every_variable_read_is_listed_in_env_vars() {
        let asked = RefCell::new(Vec::new());
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            Some(format!("value-of-{name}"))
        };
        Config::from_lookup(&lookup).expect("valid");
        for name in asked.borrow().iter() {
            assert!(ENV_VARS.contains(&name.as_str()), "{name} not in ENV_VARS");
        }
        assert_eq!(asked.borrow().len(), ENV_VARS.len());
    }

    #[test]
    fn tolerant_types_accept_null_missing_and_non_string_values() {
        let e: ConnectEvent = serde_json::from_value(serde_json::json!({
            "Details": {
                "ContactData": {
                    "CustomerEndpoint": null,
                    "Attributes": {"call_id": "c-1", "attempt": 2, "vip": true, "x": null}
                },
                "Parameters": {"action": "lookup", "digit": 1}
            }
        }))
        .expect("tolerant");
        assert!(e.details.contact_data.customer_endpoint.is_none());
        assert_eq!(e.attribute("attempt"), Some("2"));
        assert_eq!(e.attribute("vip"), Some("true"));
        assert_eq!(e.attribute("x"), None);
        assert_eq!(e.parameter("digit"), Some("1"));
        let e: ConnectEvent = serde_json::from_value(serde_json::json!({
            "Details": {"ContactData": {"Attributes": null}, "Parameters": null}
        }))
        .expect("null maps");
        assert!(e.details.parameters.is_empty());
    }

    #[test]
    fn answers_hold_only_what_connect_accepts() {
        assert_eq!(clean("in_progress"), "in_progress");
        assert_eq!(clean("a b/c:d"), "a_b_c_d");
    }
}
