//! Retry policy: which outcomes retry, max attempts, and the day-and-time
//! rules of `004_*` (`day_of_week`, `start_time`, `end_time`,
//! `retry_interval_minutes`) giving the next retry instant.
//!
//! # Rule format
//!
//! Exactly `config/retry_config.yaml` of `004_*`: a YAML list of
//!
//! ```yaml
//! # Saturday: 10AM-12PM every 60 minutes, 7PM-8PM every 30 minutes
//! - day_of_week: "saturday"
//!   start_time: "10:00:00"
//!   end_time: "12:00:00"
//!   retry_interval_minutes: 60
//! - day_of_week: "saturday"
//!   start_time: "19:00:00"
//!   end_time: "20:00:00"
//!   retry_interval_minutes: 30
//! ```
//!
//! `day_of_week` is a full English day name or its first three letters, in
//! any case; times are `HH:MM:SS` (or `HH:MM`) local wall-clock times, start
//! inclusive, end exclusive, start before end; the interval is at least one
//! minute. Unknown keys are rejected. [`RetryPolicy::rules_from_yaml`]
//! checks all of this and names the offending rule by its 0-based index.
//! An empty document (or one with only comments) is an empty rule list.
//!
//! # Decision ([`RetryPolicy::decide`])
//!
//! 1. An outcome not in `retry_on` is [`RetryDecision::Final`]. `Blacklisted`
//!    and `OptedOut` are always final, even if listed in `retry_on`: a
//!    do-not-call number is never called again.
//! 2. When `attempts_made >= max_attempts` (the attempt that just ended
//!    counted), [`RetryDecision::Exhausted`].
//! 3. Otherwise [`RetryDecision::RetryAt`]`(t)`:
//!    - **No rules:** `t = ended_at + default_interval_minutes`.
//!    - **Rules** (read in local wall time in the given zone, the contact's
//!      else the campaign's): let `c = ended_at + interval` where `interval`
//!      is that of the first listed rule whose window contains `ended_at`'s
//!      local time, or `c = ended_at` when no rule window contains it. Then
//!      `t = c` if `c` is inside some rule window, else the start of the
//!      next rule window after `c` (rules repeat weekly; the search spans
//!      [`SEARCH_DAYS`](crate::schedule::SEARCH_DAYS) days).
//!
//!    With the example above (all times local, Saturdays):
//!    a failure at 10:15 retries at 11:15 (inside 10–12); at 11:30, `c` is
//!    12:30, outside every window, so the retry is at 19:00; at 19:45, `c`
//!    is 20:15, outside, so the retry is at 10:00 the next Saturday; a
//!    failure on a Tuesday retries at the next Saturday 10:00.
//!
//! Windows are evaluated exactly as calling windows are (see
//! [`crate::schedule`]): membership by local wall time, a window opening in
//! a spring-forward gap opens at the end of the gap, an ambiguous opening
//! resolves to the earlier instant. Intervals are added in real (UTC) time.
//! Every `RetryAt(t)` has `t > ended_at`: an interval of 0 (a rule's,
//! which [`RetryPolicy::validate`] rejects, or the default) counts as one
//! minute. Rules that
//! are invalid (unknown day, empty window) are ignored by `decide`; if none
//! is valid, the default interval applies. When no retry instant can be
//! represented at all (past year 262143) the decision is `Exhausted`.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::outcome::CallOutcome;
use crate::schedule::{CallingWindow, local_wall_time, next_in_windows, parse_weekday, serde_time};

/// One rule, exactly as `config/retry_config.yaml` in `004_*` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRule {
    /// `monday` … `sunday`, or `mon` … `sun` (case-insensitive).
    pub day_of_week: String,
    /// `HH:MM:SS` local time, inclusive.
    #[schemars(with = "String")]
    #[serde(with = "serde_time")]
    pub start_time: NaiveTime,
    /// `HH:MM:SS` local time, exclusive.
    #[schemars(with = "String")]
    #[serde(with = "serde_time")]
    pub end_time: NaiveTime,
    pub retry_interval_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryPolicy {
    /// Total attempts including the first (default 3).
    pub max_attempts: u32,
    pub retry_on: BTreeSet<CallOutcome>,
    /// Day-and-time rules; empty means "retry after `default_interval_minutes`".
    pub rules: Vec<RetryRule>,
    pub default_interval_minutes: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_on: CallOutcome::ALL
                .into_iter()
                .filter(|o| o.is_retryable_by_default())
                .collect(),
            rules: Vec::new(),
            default_interval_minutes: 60,
        }
    }
}

/// What happens after an attempt ended with some outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "at")]
pub enum RetryDecision {
    RetryAt(DateTime<Utc>),
    /// The outcome retries but the attempts are used up.
    Exhausted,
    /// The outcome is final (answered, converted, opted out, blacklisted…).
    Final,
}

#[derive(Debug, thiserror::Error)]
pub enum RetryConfigError {
    #[error("retry rules are not valid YAML: {0}")]
    Yaml(String),
    #[error("rule {index}: unknown day_of_week {value:?}")]
    UnknownDay { index: usize, value: String },
    #[error("rule {index}: start_time {start} is not before end_time {end}")]
    EmptyWindow {
        index: usize,
        start: NaiveTime,
        end: NaiveTime,
    },
    #[error("rule {index}: retry_interval_minutes must be at least 1")]
    ZeroInterval { index: usize },
    #[error("max_attempts must be at least 1")]
    ZeroAttempts,
}

/// One problem of a rule list ([`RetryPolicy::check_rules_yaml`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleProblem {
    /// The rule's 0-based position; `None` when the document itself is wrong.
    pub index: Option<usize>,
    /// Starts with `rule <index>:` when there is an index.
    pub message: String,
}

impl RetryRule {
    /// Checks the rule; `index` is its position, for the error.
    pub fn validate(&self, index: usize) -> Result<(), RetryConfigError> {
        if parse_weekday(&self.day_of_week).is_none() {
            return Err(RetryConfigError::UnknownDay {
                index,
                value: self.day_of_week.clone(),
            });
        }
        if self.start_time >= self.end_time {
            return Err(RetryConfigError::EmptyWindow {
                index,
                start: self.start_time,
                end: self.end_time,
            });
        }
        if self.retry_interval_minutes == 0 {
            return Err(RetryConfigError::ZeroInterval { index });
        }
        Ok(())
    }

    /// The rule's window as a calling window; None when the day is unknown
    /// or the window empty.
    pub fn window(&self) -> Option<CallingWindow> {
        let day = parse_weekday(&self.day_of_week)?;
        (self.start_time < self.end_time).then(|| CallingWindow {
            days: vec![day],
            start: self.start_time,
            end: self.end_time,
        })
    }
}

impl RetryPolicy {
    /// Parses a rule list in the `004_*` YAML format and validates it.
    pub fn rules_from_yaml(yaml: &str) -> Result<Vec<RetryRule>, RetryConfigError> {
        let rules: Vec<RetryRule> =
            serde_norway::from_str(yaml).map_err(|e| RetryConfigError::Yaml(e.to_string()))?;
        for (index, rule) in rules.iter().enumerate() {
            rule.validate(index)?;
        }
        Ok(rules)
    }

    /// Like [`RetryPolicy::rules_from_yaml`], but reports every problem
    /// of the list at once (an editor shows them all): each rule is read
    /// on its own, so a wrong key in one rule does not hide a bad day in
    /// another. A document that is not a YAML list is one problem without
    /// an index.
    pub fn check_rules_yaml(yaml: &str) -> Result<Vec<RetryRule>, Vec<RuleProblem>> {
        let items: Vec<serde_norway::Value> = serde_norway::from_str(yaml).map_err(|e| {
            vec![RuleProblem {
                index: None,
                message: RetryConfigError::Yaml(e.to_string()).to_string(),
            }]
        })?;
        let mut rules = Vec::with_capacity(items.len());
        let mut problems = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let checked = serde_norway::from_value::<RetryRule>(item)
                .map_err(|e| format!("rule {index}: {e}"))
                .and_then(|rule| {
                    rule.validate(index)
                        .map(|()| rule)
                        .map_err(|e| e.to_string())
                });
            match checked {
                Ok(rule) => rules.push(rule),
                Err(message) => problems.push(RuleProblem {
                    index: Some(index),
                    message,
                }),
            }
        }
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(problems)
        }
    }

    pub fn validate(&self) -> Result<(), RetryConfigError> {
        if self.max_attempts == 0 {
            return Err(RetryConfigError::ZeroAttempts);
        }
        for (index, rule) in self.rules.iter().enumerate() {
            rule.validate(index)?;
        }
        Ok(())
    }

    /// `attempts_made` counts the attempt that just ended. `tz` is the zone
    /// the rules are read in (the contact's, else the campaign's).
    pub fn decide(
        &self,
        outcome: CallOutcome,
        attempts_made: u32,
        ended_at: DateTime<Utc>,
        tz: Tz,
    ) -> RetryDecision {
        let never_retried = matches!(outcome, CallOutcome::Blacklisted | CallOutcome::OptedOut);
        if never_retried || !self.retry_on.contains(&outcome) {
            return RetryDecision::Final;
        }
        if attempts_made >= self.max_attempts {
            return RetryDecision::Exhausted;
        }
        match self.next_retry_at(ended_at, tz) {
            Some(t) if t > ended_at => RetryDecision::RetryAt(t),
            _ => RetryDecision::Exhausted,
        }
    }

    fn next_retry_at(&self, ended_at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let rules: Vec<(CallingWindow, u32)> = self
            .rules
            .iter()
            .filter_map(|r| Some((r.window()?, r.retry_interval_minutes)))
            .collect();
        if rules.is_empty() {
            return add_minutes(ended_at, self.default_interval_minutes);
        }
        let local = local_wall_time(ended_at, tz);
        let containing = local.and_then(|l| rules.iter().find(|(w, _)| w.contains_local(l)));
        let candidate = match containing {
            Some((_, minutes)) => add_minutes(ended_at, *minutes)?,
            None => ended_at,
        };
        let windows: Vec<CallingWindow> = rules.into_iter().map(|(w, _)| w).collect();
        next_in_windows(&windows, tz, candidate, None)
    }
}

/// `at + minutes` (at least one minute, so a retry is always later).
fn add_minutes(at: DateTime<Utc>, minutes: u32) -> Option<DateTime<Utc>> {
    at.checked_add_signed(TimeDelta::minutes(i64::from(minutes.max(1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::CallManagerStatus;
    use chrono::TimeZone;
    use chrono_tz::{America::New_York, Asia::Jerusalem};

    const EXAMPLE_004: &str = r#"
# Saturday/Sunday: 10AM-12PM, 7PM-8PM
- day_of_week: "saturday"
  start_time: "10:00:00"
  end_time: "12:00:00"
  retry_interval_minutes: 60
  
- day_of_week: "saturday"
  start_time: "19:00:00"
  end_time: "20:00:00"
  retry_interval_minutes: 30
"#;

    fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .to_utc()
    }

    fn policy_004() -> RetryPolicy {
        RetryPolicy {
            rules: RetryPolicy::rules_from_yaml(EXAMPLE_004).unwrap(),
            ..RetryPolicy::default()
        }
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_004_example_parses() {
        let rules = RetryPolicy::rules_from_yaml(EXAMPLE_004).unwrap();
        assert_eq!(
            rules,
            vec![
                RetryRule {
                    day_of_week: "saturday".into(),
                    start_time: t(10, 0),
                    end_time: t(12, 0),
                    retry_interval_minutes: 60,
                },
                RetryRule {
                    day_of_week: "saturday".into(),
                    start_time: t(19, 0),
                    end_time: t(20, 0),
                    retry_interval_minutes: 30,
                },
            ]
        );
        let yaml = serde_norway::to_string(&rules).unwrap();
        assert!(
            yaml.contains("start_time: 10:00:00") || yaml.contains("start_time: '10:00:00'"),
            "{yaml}"
        );
        assert_eq!(RetryPolicy::rules_from_yaml(&yaml).unwrap(), rules);
    }

    #[test]
    fn the_004_example_decides_as_documented() {
        let p = policy_004();
        let tz = Jerusalem;
        // Saturday 2026-06-06.
        let cases = [
            ((10, 15), local(tz, 2026, 6, 6, 11, 15)),
            ((11, 30), local(tz, 2026, 6, 6, 19, 0)),
            ((19, 45), local(tz, 2026, 6, 13, 10, 0)),
            ((19, 15), local(tz, 2026, 6, 6, 19, 45)),
            ((12, 0), local(tz, 2026, 6, 6, 19, 0)),
            ((9, 0), local(tz, 2026, 6, 6, 10, 0)),
        ];
        for ((h, m), expected) in cases {
            let ended = local(tz, 2026, 6, 6, h, m);
            assert_eq!(
                p.decide(CallOutcome::NoAnswer, 1, ended, tz),
                RetryDecision::RetryAt(expected),
                "failure at {h:02}:{m:02}"
            );
        }
        // A Tuesday failure waits for Saturday 10:00.
        assert_eq!(
            p.decide(CallOutcome::Busy, 1, local(tz, 2026, 6, 2, 15, 0), tz),
            RetryDecision::RetryAt(local(tz, 2026, 6, 6, 10, 0))
        );
        // The rules are read in the zone given: 10:15 in New York.
        assert_eq!(
            p.decide(
                CallOutcome::Failed,
                2,
                local(New_York, 2026, 6, 6, 10, 15),
                New_York
            ),
            RetryDecision::RetryAt(local(New_York, 2026, 6, 6, 11, 15))
        );
    }

    #[test]
    fn without_rules_the_default_interval_applies() {
        let p = RetryPolicy::default();
        let ended = Utc.with_ymd_and_hms(2026, 3, 8, 6, 30, 0).unwrap();
        assert_eq!(
            p.decide(CallOutcome::Busy, 1, ended, New_York),
            RetryDecision::RetryAt(ended + TimeDelta::minutes(60))
        );
        let zero = RetryPolicy {
            default_interval_minutes: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(
            zero.decide(CallOutcome::Busy, 1, ended, New_York),
            RetryDecision::RetryAt(ended + TimeDelta::minutes(1))
        );
    }

    #[test]
    fn max_attempts_and_final_outcomes() {
        let p = policy_004();
        let ended = local(Jerusalem, 2026, 6, 6, 10, 15);
        assert!(matches!(
            p.decide(CallOutcome::NoAnswer, 2, ended, Jerusalem),
            RetryDecision::RetryAt(_)
        ));
        assert_eq!(
            p.decide(CallOutcome::NoAnswer, 3, ended, Jerusalem),
            RetryDecision::Exhausted
        );
        assert_eq!(
            p.decide(CallOutcome::NoAnswer, 7, ended, Jerusalem),
            RetryDecision::Exhausted
        );
        for o in [
            CallOutcome::Answered,
            CallOutcome::Converted,
            CallOutcome::OptedOut,
            CallOutcome::Blacklisted,
        ] {
            assert_eq!(
                p.decide(o, 1, ended, Jerusalem),
                RetryDecision::Final,
                "{o}"
            );
        }
        // Even when configured, a blacklisted or opted-out number is final.
        let reckless = RetryPolicy {
            retry_on: CallOutcome::ALL.into_iter().collect(),
            ..RetryPolicy::default()
        };
        assert_eq!(
            reckless.decide(CallOutcome::Blacklisted, 1, ended, Jerusalem),
            RetryDecision::Final
        );
        assert_eq!(
            reckless.decide(CallOutcome::OptedOut, 1, ended, Jerusalem),
            RetryDecision::Final
        );
        assert!(matches!(
            reckless.decide(CallOutcome::Answered, 1, ended, Jerusalem),
            RetryDecision::RetryAt(_)
        ));
    }

    #[test]
    fn call_manager_statuses_retry_under_the_default_policy_except_picked() {
        let p = RetryPolicy::default();
        let ended = Utc.with_ymd_and_hms(2026, 6, 6, 12, 0, 0).unwrap();
        for s in [
            CallManagerStatus::Disconnected,
            CallManagerStatus::Rnr,
            CallManagerStatus::Failed,
        ] {
            assert_eq!(
                p.decide(s.into(), 1, ended, Jerusalem),
                RetryDecision::RetryAt(ended + TimeDelta::minutes(60)),
                "{s:?}"
            );
        }
        assert_eq!(
            p.decide(CallManagerStatus::Picked.into(), 1, ended, Jerusalem),
            RetryDecision::Final
        );
    }

    #[test]
    fn rule_errors_name_the_rule() {
        let unknown = "- {day_of_week: funday, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5}";
        let ok = "- {day_of_week: Sat, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5}\n";
        match RetryPolicy::rules_from_yaml(&format!("{ok}{unknown}")) {
            Err(RetryConfigError::UnknownDay { index: 1, value }) => assert_eq!(value, "funday"),
            other => panic!("expected UnknownDay, got {other:?}"),
        }
        let empty = "- {day_of_week: sunday, start_time: '11:00:00', end_time: '11:00:00', retry_interval_minutes: 5}";
        assert!(matches!(
            RetryPolicy::rules_from_yaml(empty),
            Err(RetryConfigError::EmptyWindow { index: 0, .. })
        ));
        let zero = "- {day_of_week: SUNDAY, start_time: '10:00', end_time: '11:00', retry_interval_minutes: 0}";
        assert!(matches!(
            RetryPolicy::rules_from_yaml(zero),
            Err(RetryConfigError::ZeroInterval { index: 0 })
        ));
        let extra = "- {day_of_week: sunday, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5, colour: red}";
        assert!(matches!(
            RetryPolicy::rules_from_yaml(extra),
            Err(RetryConfigError::Yaml(_))
        ));
        assert!(matches!(
            RetryPolicy::rules_from_yaml("- [1, 2"),
            Err(RetryConfigError::Yaml(_))
        ));
        let err = RetryPolicy::rules_from_yaml(unknown).unwrap_err();
        assert_eq!(err.to_string(), "rule 0: unknown day_of_week \"funday\"");
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for p in [policy_004(), RetryPolicy::default()] {
            for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                for tz in [Jerusalem, New_York, chrono_tz::Pacific::Kiritimati] {
                    match p.decide(CallOutcome::Busy, 1, t, tz) {
                        RetryDecision::RetryAt(at) => assert!(at > t),
                        RetryDecision::Exhausted => {}
                        RetryDecision::Final => panic!("busy is retryable"),
                    }
                }
            }
        }
    }

    #[test]
    fn checking_a_rule_list_reports_every_bad_rule_with_its_index() {
        // GIVEN a list whose rules 1 and 2 are wrong in different ways
        let yaml = "- {day_of_week: Sat, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5}\n\
                    - {day_of_week: funday, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5}\n\
                    - {day_of_week: sunday, start_time: '10:00:00', end_time: '11:00:00', retry_interval_minutes: 5, colour: red}\n";
        // WHEN it is checked
        let problems = RetryPolicy::check_rules_yaml(yaml).unwrap_err();
        // THEN both are named, in order, and the good rule is not
        let indexes: Vec<_> = problems.iter().map(|p| p.index).collect();
        assert_eq!(indexes, vec![Some(1), Some(2)]);
        assert_eq!(
            problems[0].message,
            "rule 1: unknown day_of_week \"funday\""
        );
        assert!(
            problems[1].message.starts_with("rule 2: ") && problems[1].message.contains("colour"),
            "{:?}",
            problems[1]
        );
        // A good list parses as rules_from_yaml parses it; a broken document has no index.
        assert_eq!(
            RetryPolicy::check_rules_yaml(EXAMPLE_004).unwrap(),
            RetryPolicy::rules_from_yaml(EXAMPLE_004).unwrap()
        );
        assert_eq!(RetryPolicy::check_rules_yaml("").unwrap(), vec![]);
        let broken = RetryPolicy::check_rules_yaml("- [1, 2").unwrap_err();
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].index, None);
    }

    #[test]
    fn an_empty_document_is_no_rules() {
        for yaml in ["", "# no rules yet\n", "[]"] {
            assert_eq!(
                RetryPolicy::rules_from_yaml(yaml).unwrap(),
                vec![],
                "{yaml:?}"
            );
        }
        assert!(matches!(
            RetryPolicy::rules_from_yaml("~"),
            Err(RetryConfigError::Yaml(_))
        ));
    }

    #[test]
    fn validate_checks_attempts_and_rules() {
        let mut p = policy_004();
        assert!(p.validate().is_ok());
        p.max_attempts = 0;
        assert!(matches!(p.validate(), Err(RetryConfigError::ZeroAttempts)));
        p.max_attempts = 1;
        p.rules[1].day_of_week = "someday".into();
        assert!(matches!(
            p.validate(),
            Err(RetryConfigError::UnknownDay { index: 1, .. })
        ));
    }

    #[test]
    fn rules_follow_dst_in_local_time() {
        // Saturday rules in New York across fall-back (Sunday 2026-11-01):
        // a failure Saturday 19:45 EDT retries next Saturday 10:00 EST.
        let p = policy_004();
        let ended = local(New_York, 2026, 10, 31, 19, 45);
        let expected = local(New_York, 2026, 11, 7, 10, 0);
        assert_eq!(
            p.decide(CallOutcome::NoAnswer, 1, ended, New_York),
            RetryDecision::RetryAt(expected)
        );
        // Exactly one week of wall time, one more hour of real time.
        assert_eq!(
            expected - ended,
            TimeDelta::days(7) - TimeDelta::minutes(9 * 60 + 45) + TimeDelta::hours(1)
        );
    }
}
