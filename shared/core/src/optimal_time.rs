//! Optimal call time: per contact, a predicted best hour-of-week from its own
//! call history blended with a population default, so every contact gets a
//! prediction; used to order who is dialled first.
//!
//! The model is a Beta-binomial blend, per hour of the week `h`:
//!
//! ```text
//! score(h) = (w * p_pop(h) + A(h)) / (w + N(h))
//! ```
//!
//! where `w` is the prior weight (pseudo-observations, default 5),
//! `p_pop(h)` the population answer rate, and `A(h)` / `N(h)` the contact's
//! answered / attempted calls at `h`, with calls in the two neighbouring
//! hours (wrapping around the week) counted at half weight, so that sparse
//! history still informs nearby hours. With no history the score is the
//! population rate; with much history it tends to the contact's own rate.
//! See [`CallTimeModel::default`] for the population prior's shape.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Hour of the week in local time: Monday 00:00–00:59 is 0, Sunday 23:00 is 167.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct HourOfWeek(u8);

impl HourOfWeek {
    pub const COUNT: usize = 168;

    pub fn new(h: u8) -> Option<Self> {
        ((h as usize) < Self::COUNT).then_some(Self(h))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The local hour-of-week of an instant in a zone.
    pub fn of(at: DateTime<Utc>, tz: Tz) -> Self {
        let local = at.with_timezone(&tz);
        let day = local.weekday().num_days_from_monday();
        // day < 7 and hour < 24, so the value is < 168 and fits in u8.
        Self((day * 24 + local.hour()) as u8)
    }

    /// Day of the week, Monday = 0 … Sunday = 6.
    pub fn day(self) -> u8 {
        self.0 / 24
    }

    /// Local hour of the day, 0–23.
    pub fn hour_of_day(self) -> u8 {
        self.0 % 24
    }

    /// Every hour of the week in order.
    pub fn all() -> impl Iterator<Item = HourOfWeek> {
        (0..Self::COUNT as u8).map(Self)
    }
}

/// One past attempt: when (local hour of week) and whether it was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub hour: HourOfWeek,
    pub answered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub best_hour: HourOfWeek,
    /// Predicted answer probability at `best_hour`.
    pub score: f64,
    /// True when the contact's own history influenced the prediction.
    pub personalised: bool,
}

/// Population answer-rate prior per hour-of-week, and how strongly it
/// weighs against a contact's own history.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTimeModel {
    population: Vec<f64>,
    prior_weight: f64,
}

/// Why a custom [`CallTimeModel`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the population prior needs {expected} hourly rates, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("population rate at hour-of-week {hour} is {value}, outside 0.0–1.0")]
    RateOutOfRange { hour: usize, value: f64 },
    #[error("prior weight must be a finite number above 0, got {0}")]
    BadPriorWeight(f64),
}

/// Default prior weight: the population rate counts as 5 observations.
pub const DEFAULT_PRIOR_WEIGHT: f64 = 5.0;

/// Weight of a call one hour before or after the scored hour.
const NEIGHBOUR_WEIGHT: f64 = 0.5;

/// Population answer rate at a local hour of the week (the default prior).
fn default_population_rate(h: HourOfWeek) -> f64 {
    let (day, hour) = (h.day(), h.hour_of_day());
    let night = !(8..=21).contains(&hour);
    if night {
        return 0.02;
    }
    // Israel: Friday afternoon and Saturday (Shabbat) are family time.
    let friday_afternoon = day == 4 && hour >= 14;
    let saturday = day == 5;
    if friday_afternoon || saturday {
        return 0.15;
    }
    match hour {
        8..=9 => 0.25,
        10..=12 => 0.35,
        13..=16 => 0.30,
        17..=20 => 0.50,
        _ => 0.25, // 21:00
    }
}

impl Default for CallTimeModel {
    /// The population prior (local time, Israel-oriented), per hour:
    ///
    /// | local hours | rate |
    /// |---|---|
    /// | 22:00–07:59 every day (night) | 0.02 |
    /// | 08–09 | 0.25 |
    /// | 10–12 (late morning) | 0.35 |
    /// | 13–16 | 0.30 |
    /// | 17–20 (evening, the best) | 0.50 |
    /// | 21 | 0.25 |
    /// | Friday 14–21 and Saturday 08–21 | 0.15 |
    ///
    /// Sunday is an ordinary working day. Prior weight: 5 pseudo-observations.
    fn default() -> Self {
        Self {
            population: HourOfWeek::all().map(default_population_rate).collect(),
            prior_weight: DEFAULT_PRIOR_WEIGHT,
        }
    }
}

/// A contact's history folded into per-hour counts (computed once, so a
/// prediction over 168 hours stays linear in the history length).
struct HourCounts {
    answered: [u32; HourOfWeek::COUNT],
    attempts: [u32; HourOfWeek::COUNT],
}

impl HourCounts {
    fn of(history: &[Observation]) -> Self {
        let mut counts = Self {
            answered: [0; HourOfWeek::COUNT],
            attempts: [0; HourOfWeek::COUNT],
        };
        for o in history {
            let i = o.hour.index();
            counts.attempts[i] = counts.attempts[i].saturating_add(1);
            if o.answered {
                counts.answered[i] = counts.answered[i].saturating_add(1);
            }
        }
        counts
    }

    /// (answered, attempts) at `h`, neighbours at half weight.
    fn smoothed(&self, h: usize) -> (f64, f64) {
        let n = HourOfWeek::COUNT;
        let before = (h + n - 1) % n;
        let after = (h + 1) % n;
        let pick = |c: &[u32; HourOfWeek::COUNT]| {
            f64::from(c[h]) + NEIGHBOUR_WEIGHT * (f64::from(c[before]) + f64::from(c[after]))
        };
        (pick(&self.answered), pick(&self.attempts))
    }
}

impl CallTimeModel {
    /// A model with a custom population prior (168 rates in 0.0–1.0, Monday
    /// 00:00 first) and prior weight (> 0), e.g. after retraining.
    pub fn new(population: Vec<f64>, prior_weight: f64) -> Result<Self, ModelError> {
        if population.len() != HourOfWeek::COUNT {
            return Err(ModelError::WrongLength {
                expected: HourOfWeek::COUNT,
                got: population.len(),
            });
        }
        if let Some((hour, &value)) = population
            .iter()
            .enumerate()
            .find(|(_, p)| !(0.0..=1.0).contains(*p))
        {
            return Err(ModelError::RateOutOfRange { hour, value });
        }
        if !(prior_weight.is_finite() && prior_weight > 0.0) {
            return Err(ModelError::BadPriorWeight(prior_weight));
        }
        Ok(Self {
            population,
            prior_weight,
        })
    }

    /// The population answer rate at `hour`.
    pub fn population_rate(&self, hour: HourOfWeek) -> f64 {
        self.population.get(hour.index()).copied().unwrap_or(0.0)
    }

    pub fn prior_weight(&self) -> f64 {
        self.prior_weight
    }

    /// Predicted answer probability at `hour` for a contact with `history`.
    pub fn score(&self, history: &[Observation], hour: HourOfWeek) -> f64 {
        self.score_counts(&HourCounts::of(history), hour)
    }

    fn score_counts(&self, counts: &HourCounts, hour: HourOfWeek) -> f64 {
        let (answered, attempts) = counts.smoothed(hour.index());
        let w = self.prior_weight;
        let denominator = w + attempts;
        if denominator <= 0.0 {
            return self.population_rate(hour);
        }
        ((w * self.population_rate(hour) + answered) / denominator).clamp(0.0, 1.0)
    }

    pub fn predict(&self, history: &[Observation]) -> Prediction {
        let counts = HourCounts::of(history);
        let mut best = (HourOfWeek(0), self.score_counts(&counts, HourOfWeek(0)));
        for hour in HourOfWeek::all().skip(1) {
            let score = self.score_counts(&counts, hour);
            // Strictly greater: ties keep the lowest hour.
            if score > best.1 {
                best = (hour, score);
            }
        }
        Prediction {
            best_hour: best.0,
            score: best.1,
            personalised: !history.is_empty(),
        }
    }

    /// Dialling priority of a contact now: its predicted answer probability
    /// at the current local hour of week (higher is dialled first).
    pub fn priority(&self, history: &[Observation], now_hour: HourOfWeek) -> f64 {
        self.score(history, now_hour)
    }
}

/// Sorts `items` so the highest `key` comes first. Stable and deterministic:
/// equal keys keep their input order, and a NaN key sorts last. `key` is
/// called once per item.
pub fn order_by_priority<T>(items: &mut [T], key: impl Fn(&T) -> f64) {
    let mut keyed: Vec<(f64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let k = key(item);
            // NaN last; -0.0 and 0.0 equal.
            let k = if k.is_nan() {
                f64::NEG_INFINITY
            } else {
                k + 0.0
            };
            (k, i)
        })
        .collect();
    // `sort_by` is stable; descending by key.
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    // Apply the permutation in place (position j receives old item order[j])
    // by walking its cycles; visited positions become fixed points.
    for start in 0..order.len() {
        let mut j = start;
        loop {
            let k = order[j];
            order[j] = j;
            if k == start {
                break;
            }
            items.swap(j, k);
            j = k;
        }
    }
}
