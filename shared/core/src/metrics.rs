//! Metrics: per-campaign and aggregate outcome counts and the rates derived
//! from them; rates are always computed from the counts, never stored.
//!
//! Counting rules: every outcome but `Blacklisted` is one attempt (a
//! blacklisted contact was never dialled, so it only counts `blacklisted`).
//! "Answered-type" outcomes are answered, converted, opted out and
//! disconnected. Answer, busy, no-answer and failure rates are over
//! attempts; conversion and opt-out rates are over answered-type outcomes;
//! every rate is 0.0 when its denominator is 0. [`LiveMetrics`] is the
//! dashboard snapshot (active calls, queue depth, pace, counts, rates).

use serde::{Deserialize, Serialize};

use crate::outcome::CallOutcome;

/// Counts of attempt outcomes plus follow-up results.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct OutcomeCounts {
    /// Calls actually placed (blacklisted pre-dial skips are not attempts).
    pub attempts: u64,
    pub answered: u64,
    pub converted: u64,
    pub opted_out: u64,
    pub busy: u64,
    pub no_answer: u64,
    pub failed: u64,
    pub disconnected: u64,
    pub blacklisted: u64,
    pub sms_sent: u64,
    pub sms_failed: u64,
    pub tts_delivered: u64,
    pub tts_failed: u64,
}

/// Rates in 0.0–1.0, 0 when there is nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rates {
    /// Answered-type outcomes / attempts.
    pub answer_rate: f64,
    /// Converted / answered-type outcomes.
    pub conversion_rate: f64,
    /// Opted out / answered-type outcomes.
    pub opt_out_rate: f64,
    pub busy_rate: f64,
    pub no_answer_rate: f64,
    pub failure_rate: f64,
}

/// Follow-up (key 1) delivery results counted beside call outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpResult {
    SmsSent,
    SmsFailed,
    TtsDelivered,
    TtsFailed,
}

impl OutcomeCounts {
    pub fn record(&mut self, outcome: CallOutcome) {
        let field = match outcome {
            CallOutcome::Blacklisted => {
                // Never dialled: not an attempt.
                self.blacklisted = self.blacklisted.saturating_add(1);
                return;
            }
            CallOutcome::Answered => &mut self.answered,
            CallOutcome::Converted => &mut self.converted,
            CallOutcome::OptedOut => &mut self.opted_out,
            CallOutcome::Busy => &mut self.busy,
            CallOutcome::NoAnswer => &mut self.no_answer,
            CallOutcome::Failed => &mut self.failed,
            CallOutcome::Disconnected => &mut self.disconnected,
        };
        *field = field.saturating_add(1);
        self.attempts = self.attempts.saturating_add(1);
    }

    pub fn record_follow_up(&mut self, result: FollowUpResult) {
        let field = match result {
            FollowUpResult::SmsSent => &mut self.sms_sent,
            FollowUpResult::SmsFailed => &mut self.sms_failed,
            FollowUpResult::TtsDelivered => &mut self.tts_delivered,
            FollowUpResult::TtsFailed => &mut self.tts_failed,
        };
        *field = field.saturating_add(1);
    }

    /// Answered-type outcomes (answered + converted + opted out + disconnected).
    pub fn answered_total(&self) -> u64 {
        self.answered
            .saturating_add(self.converted)
            .saturating_add(self.opted_out)
            .saturating_add(self.disconnected)
    }

    /// Sum of the per-outcome counts of dialled calls (every outcome field
    /// but `blacklisted`). For counts built with [`OutcomeCounts::record`]
    /// and [`OutcomeCounts::merge`] this always equals `attempts`.
    pub fn total_outcomes(&self) -> u64 {
        self.answered_total()
            .saturating_add(self.busy)
            .saturating_add(self.no_answer)
            .saturating_add(self.failed)
    }

    pub fn merge(&mut self, other: &OutcomeCounts) {
        // Destructured so a new field cannot be forgotten here.
        let OutcomeCounts {
            attempts,
            answered,
            converted,
            opted_out,
            busy,
            no_answer,
            failed,
            disconnected,
            blacklisted,
            sms_sent,
            sms_failed,
            tts_delivered,
            tts_failed,
        } = *other;
        self.attempts = self.attempts.saturating_add(attempts);
        self.answered = self.answered.saturating_add(answered);
        self.converted = self.converted.saturating_add(converted);
        self.opted_out = self.opted_out.saturating_add(opted_out);
        self.busy = self.busy.saturating_add(busy);
        self.no_answer = self.no_answer.saturating_add(no_answer);
        self.failed = self.failed.saturating_add(failed);
        self.disconnected = self.disconnected.saturating_add(disconnected);
        self.blacklisted = self.blacklisted.saturating_add(blacklisted);
        self.sms_sent = self.sms_sent.saturating_add(sms_sent);
        self.sms_failed = self.sms_failed.saturating_add(sms_failed);
        self.tts_delivered = self.tts_delivered.saturating_add(tts_delivered);
        self.tts_failed = self.tts_failed.saturating_add(tts_failed);
    }

    pub fn rates(&self) -> Rates {
        let answered = self.answered_total();
        Rates {
            answer_rate: ratio(answered, self.attempts),
            conversion_rate: ratio(self.converted, answered),
            opt_out_rate: ratio(self.opted_out, answered),
            busy_rate: ratio(self.busy, self.attempts),
            no_answer_rate: ratio(self.no_answer, self.attempts),
            failure_rate: ratio(self.failed, self.attempts),
        }
    }
}

/// `part / whole` in 0.0–1.0; 0.0 when `whole` is 0. Clamped because the
/// fields are public and could be set inconsistently by hand.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

/// Sum over many campaigns.
pub fn aggregate<'a>(counts: impl IntoIterator<Item = &'a OutcomeCounts>) -> OutcomeCounts {
    counts
        .into_iter()
        .fold(OutcomeCounts::default(), |mut total, c| {
            total.merge(c);
            total
        })
}

/// A dashboard snapshot of one campaign: live values, not settings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LiveMetrics {
    /// Calls in progress now (concurrency slots held).
    pub active_calls: u32,
    /// The campaign's own dial tasks sent and not yet on a call: its
    /// contacts in progress less its calls in progress.
    pub queue_depth: u64,
    /// The campaign's contacts due now and not yet sent for dialling,
    /// counted up to [`DUE_COUNT_CAP`] (`due_contacts_capped` says so).
    pub due_contacts: u64,
    pub due_contacts_capped: bool,
    /// Measured: calls started per second over the last
    /// [`RATE_WINDOW_SECS`] whole seconds.
    pub dialling_rate_cps: f64,
    /// The pace in force: the adaptive pace when it has cut the configured
    /// one, else the configured pace; 0 while the campaign is not active.
    pub pace_in_force_cps: u32,
    /// The campaign's configured calls per second.
    pub configured_pace_cps: u32,
    pub counts: OutcomeCounts,
    /// Always `counts.rates()`.
    pub rates: Rates,
}

/// Whole seconds the measured dialling rate is averaged over.
pub const RATE_WINDOW_SECS: i64 = 10;

/// Most due contacts a snapshot counts (one page of the due index).
pub const DUE_COUNT_CAP: usize = 1_000;

impl LiveMetrics {
    /// A snapshot whose rates are derived from `counts`.
    pub fn new(counts: OutcomeCounts) -> Self {
        Self {
            counts,
            rates: counts.rates(),
            ..Self::default()
        }
    }

    /// The measured rate from `starts` counted over `RATE_WINDOW_SECS`.
    pub fn measured_rate(starts: u64) -> f64 {
        // Two decimals: a dashboard figure, stable to compare in tests.
        (starts as f64 / RATE_WINDOW_SECS as f64 * 100.0).round() / 100.0
    }
}

// ---------------------------------------------------------------- health alerts

/// How serious a health alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Info,
    Warning,
    Error,
}

/// One health alert of a campaign snapshot, for the operator's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable, machine-readable (`pace_reduced`, `high_failure_rate`, ...).
    pub code: String,
    pub severity: AlertSeverity,
    pub message: String,
}

impl Alert {
    fn new(code: &str, severity: AlertSeverity, message: String) -> Self {
        Self {
            code: code.to_owned(),
            severity,
            message,
        }
    }
}

/// What [`health_alerts`] looks at: one campaign's snapshot and settings.
#[derive(Debug, Clone, Copy)]
pub struct AlertInput<'a> {
    /// Whether the campaign is active (dialling may happen).
    pub active: bool,
    pub live: &'a LiveMetrics,
    /// The campaign's concurrency limit.
    pub max_concurrent: u32,
    /// The campaign's contacts, all statuses.
    pub contacts_total: u64,
}

/// Attempts (or answered calls, for rates over them) a rate needs before
/// it may raise an alert: below this a few unlucky calls would.
pub const ALERT_MIN_SAMPLE: u64 = 20;
/// Failure rate (of attempts) that warns, and that is an error.
pub const FAILURE_RATE_WARNING: f64 = 0.10;
pub const FAILURE_RATE_ERROR: f64 = 0.25;
/// Opt-out rate (of answered calls) that warns: the message or the list
/// may be wrong.
pub const OPT_OUT_RATE_WARNING: f64 = 0.05;
/// Answer rate under which the calling window or the list deserve a look.
pub const ANSWER_RATE_INFO: f64 = 0.10;

/// The health alerts of a snapshot, most severe first. Pure: the same
/// snapshot always gives the same alerts.
///
/// - `pace_reduced` (warning): active, and the adaptive pace in force is
///   below the configured pace (the carrier refused or throttled calls).
/// - `high_failure_rate` (warning at [`FAILURE_RATE_WARNING`], error at
///   [`FAILURE_RATE_ERROR`]), over at least [`ALERT_MIN_SAMPLE`] attempts.
/// - `high_opt_out_rate` (warning at [`OPT_OUT_RATE_WARNING`] of at least
///   [`ALERT_MIN_SAMPLE`] answered calls).
/// - `concurrency_saturated` (info): every concurrency slot is busy, so the
///   limit, not the pace, bounds the dialling rate.
/// - `low_answer_rate` (info): under [`ANSWER_RATE_INFO`] of at least
///   [`ALERT_MIN_SAMPLE`] attempts.
/// - `no_contacts` (warning): active with no contacts to call.
pub fn health_alerts(input: &AlertInput<'_>) -> Vec<Alert> {
    let live = input.live;
    let counts = &live.counts;
    let rates = &live.rates;
    let pct = |r: f64| format!("{:.0}%", r * 100.0);
    let mut out = Vec::new();
    if input.active && live.pace_in_force_cps < live.configured_pace_cps {
        out.push(Alert::new(
            "pace_reduced",
            AlertSeverity::Warning,
            format!(
                "the pace in force is {} calls/s, cut below the configured {} calls/s (the carrier is refusing or throttling calls)",
                live.pace_in_force_cps, live.configured_pace_cps
            ),
        ));
    }
    if counts.attempts >= ALERT_MIN_SAMPLE && rates.failure_rate >= FAILURE_RATE_WARNING {
        let severity = if rates.failure_rate >= FAILURE_RATE_ERROR {
            AlertSeverity::Error
        } else {
            AlertSeverity::Warning
        };
        out.push(Alert::new(
            "high_failure_rate",
            severity,
            format!(
                "{} of {} attempts failed ({})",
                counts.failed,
                counts.attempts,
                pct(rates.failure_rate)
            ),
        ));
    }
    let answered = counts.answered_total();
    if answered >= ALERT_MIN_SAMPLE && rates.opt_out_rate >= OPT_OUT_RATE_WARNING {
        out.push(Alert::new(
            "high_opt_out_rate",
            AlertSeverity::Warning,
            format!(
                "{} of {answered} answered calls opted out ({})",
                counts.opted_out,
                pct(rates.opt_out_rate)
            ),
        ));
    }
    if input.active && input.max_concurrent > 0 && live.active_calls >= input.max_concurrent {
        out.push(Alert::new(
            "concurrency_saturated",
            AlertSeverity::Info,
            format!(
                "all {} concurrency slots are busy: the concurrency limit, not the pace, bounds the dialling rate",
                input.max_concurrent
            ),
        ));
    }
    if counts.attempts >= ALERT_MIN_SAMPLE && rates.answer_rate < ANSWER_RATE_INFO {
        out.push(Alert::new(
            "low_answer_rate",
            AlertSeverity::Info,
            format!("only {} of attempts were answered", pct(rates.answer_rate)),
        ));
    }
    if input.active && input.contacts_total == 0 {
        out.push(Alert::new(
            "no_contacts",
            AlertSeverity::Warning,
            "the campaign is active but has no contacts: upload a contact file".into(),
        ));
    }
    // Stable sort: most severe first, the order above within a severity.
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

#[cfg(test)]
mod alert_tests {
    use super::*;

    fn live(counts: OutcomeCounts) -> LiveMetrics {
        let mut l = LiveMetrics::new(counts);
        l.configured_pace_cps = 10;
        l.pace_in_force_cps = 10;
        l
    }

    fn codes(input: &AlertInput<'_>) -> Vec<(String, AlertSeverity)> {
        health_alerts(input)
            .into_iter()
            .map(|a| (a.code, a.severity))
            .collect()
    }

    fn input(live: &LiveMetrics) -> AlertInput<'_> {
        AlertInput {
            active: true,
            live,
            max_concurrent: 20,
            contacts_total: 100,
        }
    }

    #[test]
    fn a_healthy_campaign_has_no_alerts() {
        // GIVEN an active campaign at its configured pace, answering well
        let l = live(OutcomeCounts {
            attempts: 100,
            answered: 60,
            no_answer: 38,
            failed: 2,
            ..OutcomeCounts::default()
        });
        // THEN nothing is raised
        assert!(health_alerts(&input(&l)).is_empty());
    }

    #[test]
    fn a_pace_cut_below_the_configured_one_warns_only_while_active() {
        let mut l = live(OutcomeCounts::default());
        l.pace_in_force_cps = 4;
        assert_eq!(
            codes(&input(&l)),
            vec![("pace_reduced".into(), AlertSeverity::Warning)]
        );
        let msg = &health_alerts(&input(&l))[0].message;
        assert!(
            msg.contains("4 calls/s") && msg.contains("10 calls/s"),
            "{msg}"
        );
        // A paused campaign's pace in force is 0: that is no alert.
        let paused = AlertInput {
            active: false,
            ..input(&l)
        };
        assert!(health_alerts(&paused).is_empty());
    }

    #[test]
    fn the_failure_rate_warns_then_errs_but_not_on_a_small_sample() {
        let failing = |attempts, failed| {
            live(OutcomeCounts {
                attempts,
                failed,
                answered: attempts - failed,
                ..OutcomeCounts::default()
            })
        };
        let l = failing(100, 12);
        assert_eq!(
            codes(&input(&l)),
            vec![("high_failure_rate".into(), AlertSeverity::Warning)]
        );
        let l = failing(100, 30);
        assert_eq!(
            codes(&input(&l)),
            vec![("high_failure_rate".into(), AlertSeverity::Error)]
        );
        // 5 of 10 failed: too few attempts to tell.
        let l = failing(10, 5);
        assert!(health_alerts(&input(&l)).is_empty());
    }

    #[test]
    fn busy_slots_opt_outs_and_silence_are_reported_most_severe_first() {
        // GIVEN every slot busy, 10% opt-outs, a low answer rate and 30% failures
        let mut l = live(OutcomeCounts {
            attempts: 300,
            answered: 18,
            opted_out: 2,
            no_answer: 190,
            failed: 90,
            ..OutcomeCounts::default()
        });
        l.active_calls = 20;
        // WHEN the alerts are computed
        let got = codes(&input(&l));
        // THEN all four are there, errors before warnings before infos
        assert_eq!(
            got,
            vec![
                ("high_failure_rate".into(), AlertSeverity::Error),
                ("high_opt_out_rate".into(), AlertSeverity::Warning),
                ("concurrency_saturated".into(), AlertSeverity::Info),
                ("low_answer_rate".into(), AlertSeverity::Info),
            ]
        );
    }

    #[test]
    fn an_active_campaign_without_contacts_warns() {
        let l = live(OutcomeCounts::default());
        let empty = AlertInput {
            contacts_total: 0,
            ..input(&l)
        };
        assert_eq!(
            codes(&empty),
            vec![("no_contacts".into(), AlertSeverity::Warning)]
        );
    }

    #[test]
    fn alerts_serialize_with_lower_case_severities() {
        let a = Alert::new("x", AlertSeverity::Warning, "m".into());
        assert_eq!(
            serde_json::to_value(&a).unwrap_or_default(),
            serde_json::json!({"code": "x", "severity": "warning", "message": "m"})
        );
    }
}
