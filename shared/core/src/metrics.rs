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
            // Never dialled and not final (the contact is dialled again):
            // not an outcome of the campaign; the live counter `not_placed`
            // counts these refusals.
            CallOutcome::NotPlaced => return,
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
