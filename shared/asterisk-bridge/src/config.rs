//! The bridge's configuration, from the environment (the systemd unit's
//! `EnvironmentFile`, written by `infra/asterisk/install.sh`).

use lambda_kit::FunctionError;
use lambda_kit::config::{parsed, required};

use crate::bridge::BridgeSettings;

/// Every variable [`Config::from_lookup`] reads.
pub const ENV_VARS: &[&str] = &[
    "ORIGINATE_QUEUE_URL",
    "CALL_EVENTS_TOPIC_ARN",
    "DONATION_EVENTS_TOPIC_ARN",
    "OPTOUT_EVENTS_TOPIC_ARN",
    "CAMPAIGN_TABLE_PREFIX",
    "ARI_URL",
    "ARI_APP",
    "ARI_CREDENTIALS_SECRET_ID",
    "ARI_ENDPOINT_TEMPLATE",
    "BRIDGE_CALLER_ID",
    "BRIDGE_MAX_CHANNELS",
    "BRIDGE_AMD_CONTEXT",
    "BRIDGE_HOST_ID",
    "BRIDGE_DRAIN_SECS",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub queue_url: String,
    pub call_events_topic: String,
    pub donation_events_topic: String,
    pub optout_events_topic: String,
    pub table_prefix: String,
    /// ARI's base URL; must be on the loopback interface.
    pub ari_url: String,
    /// Secrets Manager id of `{"username": "...", "password": "..."}`.
    pub ari_secret_id: String,
    pub settings: BridgeSettings,
    /// How long a shutdown waits for live calls to finish.
    pub drain_secs: u64,
}

/// Whether `url` is `http(s)://` on 127.0.0.1, `[::1]` or localhost.
pub fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    matches!(host, "127.0.0.1" | "::1" | "localhost")
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&lambda_kit::config::env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let defaults = BridgeSettings::default();
        let optional = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let ari_url = parsed(lookup, "ARI_URL", "http://127.0.0.1:8088/ari".to_owned())?
            .trim_end_matches('/')
            .to_owned();
        if !is_loopback_url(&ari_url) {
            return Err(FunctionError::Config(format!(
                "ARI_URL={ari_url:?} is not on the loopback interface: ARI must never leave the host"
            )));
        }
        let max_channels: usize = parsed(lookup, "BRIDGE_MAX_CHANNELS", defaults.max_channels)?;
        if max_channels == 0 {
            return Err(FunctionError::Config(
                "BRIDGE_MAX_CHANNELS must be at least 1".into(),
            ));
        }
        let host_id = optional("BRIDGE_HOST_ID")
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or(defaults.host_id);
        Ok(Self {
            queue_url: required(lookup, "ORIGINATE_QUEUE_URL")?,
            call_events_topic: required(lookup, "CALL_EVENTS_TOPIC_ARN")?,
            donation_events_topic: required(lookup, "DONATION_EVENTS_TOPIC_ARN")?,
            optout_events_topic: required(lookup, "OPTOUT_EVENTS_TOPIC_ARN")?,
            table_prefix: parsed(lookup, "CAMPAIGN_TABLE_PREFIX", "campaign-".to_owned())?,
            ari_url,
            ari_secret_id: required(lookup, "ARI_CREDENTIALS_SECRET_ID")?,
            settings: BridgeSettings {
                app: parsed(lookup, "ARI_APP", defaults.app)?,
                endpoint_template: parsed(
                    lookup,
                    "ARI_ENDPOINT_TEMPLATE",
                    defaults.endpoint_template,
                )?,
                default_caller_id: optional("BRIDGE_CALLER_ID"),
                max_channels,
                amd_context: optional("BRIDGE_AMD_CONTEXT"),
                host_id,
                claim_ttl_secs: defaults.claim_ttl_secs,
            },
            drain_secs: parsed(lookup, "BRIDGE_DRAIN_SECS", 900)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("ORIGINATE_QUEUE_URL", "https://sqs.example/originate"),
            ("CALL_EVENTS_TOPIC_ARN", "arn:call"),
            ("DONATION_EVENTS_TOPIC_ARN", "arn:donation"),
            ("OPTOUT_EVENTS_TOPIC_ARN", "arn:optout"),
            ("ARI_CREDENTIALS_SECRET_ID", "campaign/ari"),
            ("BRIDGE_HOST_ID", "tel-1"),
            ("BRIDGE_AMD_CONTEXT", "campaign-amd"),
        ])
    }

    #[test]
    fn every_variable_read_is_listed_in_env_vars() {
        let asked = RefCell::new(Vec::new());
        let vars = full();
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            vars.get(name).map(|v| (*v).to_owned())
        };
        let config = Config::from_lookup(&lookup).expect("valid");
        assert_eq!(config.ari_url, "http://127.0.0.1:8088/ari");
        assert_eq!(config.settings.amd_context.as_deref(), Some("campaign-amd"));
        for name in asked.borrow().iter() {
            assert!(
                ENV_VARS.contains(&name.as_str()),
                "{name} is not in ENV_VARS"
            );
        }
    }

    #[test]
    fn ari_off_the_loopback_interface_is_refused() {
        let mut vars = full();
        vars.insert("ARI_URL", "http://10.0.0.5:8088/ari");
        let err = Config::from_lookup(&|n| vars.get(n).map(|v| (*v).to_owned())).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(is_loopback_url("http://[::1]:8088/ari"));
        assert!(is_loopback_url("http://localhost:8088/ari"));
        assert!(!is_loopback_url("http://127.0.0.1.evil.example/ari"));
    }

    #[test]
    fn a_missing_queue_is_a_config_error() {
        let mut vars = full();
        vars.remove("ORIGINATE_QUEUE_URL");
        let err = Config::from_lookup(&|n| vars.get(n).map(|v| (*v).to_owned())).unwrap_err();
        assert_eq!(err.error_type(), "ConfigError");
    }
}
