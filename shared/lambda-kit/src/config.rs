//! Reading a function's typed `Config`. Each function has one
//! `Config::from_env()` that calls its `from_lookup(|name| std::env::var(name).ok())`;
//! tests pass a map instead of touching the process environment.

use std::str::FromStr;

use crate::error::FunctionError;

/// A variable that must be set (and not blank).
pub fn required(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<String, FunctionError> {
    match lookup(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(FunctionError::Config(format!("{name} is not set"))),
    }
}

/// A variable parsed as `T`, or `default` when unset or blank.
pub fn parsed<T: FromStr>(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, FunctionError> {
    match lookup(name) {
        Some(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| FunctionError::Config(format!("{name}={v:?} is not a valid value"))),
        _ => Ok(default),
    }
}

/// A variable that may be unset (blank counts as unset).
pub fn optional(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `CAMPAIGN_TABLE_PREFIX`: the tables are `<prefix>campaigns`, … (one
/// prefix per stage; `campaign-` when unset, as the emulator tests use).
pub const TABLE_PREFIX: &str = "CAMPAIGN_TABLE_PREFIX";

pub fn table_prefix(lookup: &dyn Fn(&str) -> Option<String>) -> String {
    optional(lookup, TABLE_PREFIX).unwrap_or_else(|| "campaign-".to_owned())
}

/// Which carrier places the calls (`TELEPHONY_PROVIDER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelephonyConfig {
    /// `asterisk` (the default): commands go to `ORIGINATE_QUEUE_URL`,
    /// which the Asterisk bridges consume.
    Asterisk { originate_queue_url: String },
    /// `connect`: Amazon Connect `StartOutboundVoiceContact`; its settings
    /// (`CONNECT_*`) are read by `campaign_connect::ConnectConfig`.
    Connect,
}

/// Every variable [`TelephonyConfig::from_lookup`] may read.
pub const TELEPHONY_ENV_VARS: [&str; 2] = ["TELEPHONY_PROVIDER", "ORIGINATE_QUEUE_URL"];

impl TelephonyConfig {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let provider = optional(lookup, "TELEPHONY_PROVIDER").unwrap_or_else(|| "asterisk".into());
        match provider.to_ascii_lowercase().as_str() {
            "asterisk" => Ok(Self::Asterisk {
                originate_queue_url: required(lookup, "ORIGINATE_QUEUE_URL")?,
            }),
            "connect" => Ok(Self::Connect),
            other => Err(FunctionError::Config(format!(
                "TELEPHONY_PROVIDER={other:?} is not asterisk or connect"
            ))),
        }
    }
}

/// Runs `read` with a lookup that answers from `values` and returns every
/// name it asked for, so a test can hold a function's `ENV_VARS` (what the
/// deployment templates must set) to what its `Config` really reads.
pub fn names_read<T>(
    values: &[(&str, &str)],
    read: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> T,
) -> (T, std::collections::BTreeSet<String>) {
    let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let lookup = |name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    };
    let out = read(&lookup);
    (out, asked.into_inner())
}

/// The process environment as a lookup.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_required_and_parsed_values() {
        let lookup = |name: &str| match name {
            "A" => Some("x".to_owned()),
            "N" => Some(" 42 ".to_owned()),
            "BAD" => Some("ten".to_owned()),
            "BLANK" => Some("  ".to_owned()),
            _ => None,
        };
        assert_eq!(required(&lookup, "A").expect("set"), "x");
        assert_eq!(
            required(&lookup, "MISSING")
                .expect_err("unset")
                .error_type(),
            "ConfigError"
        );
        assert!(required(&lookup, "BLANK").is_err());
        assert_eq!(parsed(&lookup, "N", 1u32).expect("n"), 42);
        assert_eq!(parsed(&lookup, "MISSING", 7u32).expect("default"), 7);
        assert!(parsed(&lookup, "BAD", 1u32).is_err());
    }

    #[test]
    fn telephony_is_asterisk_by_default_and_names_its_queue() {
        let (asterisk, asked) = names_read(&[("ORIGINATE_QUEUE_URL", "https://q")], |l| {
            TelephonyConfig::from_lookup(l)
        });
        assert_eq!(
            asterisk.expect("asterisk"),
            TelephonyConfig::Asterisk {
                originate_queue_url: "https://q".into()
            }
        );
        assert!(
            asked
                .iter()
                .all(|n| TELEPHONY_ENV_VARS.contains(&n.as_str()))
        );
        let (connect, _) = names_read(&[("TELEPHONY_PROVIDER", "Connect")], |l| {
            TelephonyConfig::from_lookup(l)
        });
        assert_eq!(connect.expect("connect"), TelephonyConfig::Connect);
        let (missing, _) = names_read(&[], |l| TelephonyConfig::from_lookup(l));
        assert_eq!(missing.expect_err("no queue").error_type(), "ConfigError");
        let (unknown, _) = names_read(&[("TELEPHONY_PROVIDER", "pstn")], |l| {
            TelephonyConfig::from_lookup(l)
        });
        assert_eq!(unknown.expect_err("unknown").error_type(), "ConfigError");
    }
}
