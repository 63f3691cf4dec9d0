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
}
