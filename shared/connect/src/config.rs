//! What the Connect adapter needs, read from the environment of the
//! function that places calls (dialer-worker, sms-tts-fallback).

use lambda_kit::FunctionError;
use lambda_kit::config::{parsed, required};

/// Every variable [`ConnectConfig::from_lookup`] reads.
pub const ENV_VARS: &[&str] = &[
    "CONNECT_INSTANCE_ID",
    "CONNECT_CONTACT_FLOW_ID",
    "CONNECT_SOURCE_PHONE_NUMBER",
    "CONNECT_QUEUE_ID",
    "CONNECT_REQUESTS_PER_SECOND",
    "CONNECT_ANSWERING_MACHINE_DETECTION",
    "CONNECT_CAMPAIGN_ID",
];

/// Connect's default `StartOutboundVoiceContact` rate (requests per second).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectConfig {
    pub instance_id: String,
    pub contact_flow_id: String,
    /// The caller id (a number claimed in the instance); without it, the
    /// queue's number is used.
    pub source_phone_number: Option<String>,
    pub queue_id: Option<String>,
    /// `StartOutboundVoiceContact` requests per second (the account's quota).
    pub requests_per_second: u32,
    /// Answering-machine detection (Connect requires traffic type
    /// `CAMPAIGN` for it).
    pub answering_machine_detection: bool,
    /// The Connect outbound campaign the `CAMPAIGN` traffic belongs to.
    pub connect_campaign_id: Option<String>,
}

impl ConnectConfig {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&lambda_kit::config::env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let optional = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let config = Self {
            instance_id: required(lookup, "CONNECT_INSTANCE_ID")?,
            contact_flow_id: required(lookup, "CONNECT_CONTACT_FLOW_ID")?,
            source_phone_number: optional("CONNECT_SOURCE_PHONE_NUMBER"),
            queue_id: optional("CONNECT_QUEUE_ID"),
            requests_per_second: parsed(
                lookup,
                "CONNECT_REQUESTS_PER_SECOND",
                DEFAULT_REQUESTS_PER_SECOND,
            )?,
            answering_machine_detection: parsed(
                lookup,
                "CONNECT_ANSWERING_MACHINE_DETECTION",
                false,
            )?,
            connect_campaign_id: optional("CONNECT_CAMPAIGN_ID"),
        };
        if config.source_phone_number.is_none() && config.queue_id.is_none() {
            return Err(FunctionError::Config(
                "set CONNECT_SOURCE_PHONE_NUMBER or CONNECT_QUEUE_ID: Connect needs a caller id"
                    .into(),
            ));
        }
        if config.requests_per_second == 0 {
            return Err(FunctionError::Config(
                "CONNECT_REQUESTS_PER_SECOND must be at least 1".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_variable_read_is_listed_and_defaults_apply() {
        let vars = HashMap::from([
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("CONNECT_CONTACT_FLOW_ID", "flow-1"),
            ("CONNECT_SOURCE_PHONE_NUMBER", "+97235551234"),
        ]);
        let asked = RefCell::new(Vec::new());
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            vars.get(name).map(|v| (*v).to_owned())
        };
        let config = ConnectConfig::from_lookup(&lookup).expect("valid");
        assert_eq!(config.requests_per_second, 2);
        assert!(!config.answering_machine_detection);
        for name in asked.borrow().iter() {
            assert!(ENV_VARS.contains(&name.as_str()), "{name} not in ENV_VARS");
        }
    }

    #[test]
    fn a_caller_id_source_is_required() {
        let vars = HashMap::from([
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("CONNECT_CONTACT_FLOW_ID", "flow-1"),
        ]);
        let err = ConnectConfig::from_lookup(&|n| vars.get(n).map(|v| (*v).to_owned()))
            .expect_err("no caller id");
        assert_eq!(err.error_type(), "ConfigError");
    }
}
