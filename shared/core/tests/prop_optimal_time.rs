//! Optimal call time: every contact gets a prediction, the dialling order
//! follows the predicted answer probability now, and the local hour of week
//! follows each zone's DST rules.

use campaign_core::optimal_time::{
    CallTimeModel, HourOfWeek, ModelError, Observation, order_by_priority,
};
use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

fn hour() -> impl Strategy<Value = HourOfWeek> {
    (0u8..168).prop_map(|h| HourOfWeek::new(h).expect("in range"))
}

fn history() -> impl Strategy<Value = Vec<Observation>> {
    prop::collection::vec(
        (hour(), any::<bool>()).prop_map(|(hour, answered)| Observation { hour, answered }),
        0..60,
    )
}

fn at_hour(h: HourOfWeek, answered: bool, n: usize) -> Vec<Observation> {
    vec![Observation { hour: h, answered }; n]
}

proptest! {
    // Property 32: ML prediction completeness
    #[test]
    fn every_contact_gets_a_prediction(history in history()) {
        let model = CallTimeModel::default();
        let p = model.predict(&history);
        prop_assert!(p.best_hour.index() < HourOfWeek::COUNT);
        prop_assert!((0.0..=1.0).contains(&p.score));
        prop_assert_eq!(p.personalised, !history.is_empty());
        prop_assert_eq!(p.score, model.score(&history, p.best_hour));
        // The best hour really is the best, and ties go to the lowest hour.
        for h in (0..168u8).filter_map(HourOfWeek::new) {
            let s = model.score(&history, h);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!(s <= p.score);
            if h < p.best_hour {
                prop_assert!(s < p.score);
            }
        }
    }

    // Property 32: ML prediction completeness
    #[test]
    fn score_is_the_documented_blend(history in history(), h in hour()) {
        let model = CallTimeModel::default();
        // Recount: same hour full weight, neighbours (wrapping) half weight.
        let i = h.index();
        let weight = |o: &Observation| {
            let j = o.hour.index();
            if j == i { 1.0 } else if j == (i + 1) % 168 || (j + 1) % 168 == i { 0.5 } else { 0.0 }
        };
        let attempts: f64 = history.iter().map(weight).sum();
        let answered: f64 = history.iter().filter(|o| o.answered).map(weight).sum();
        let w = model.prior_weight();
        let expected = (w * model.population_rate(h) + answered) / (w + attempts);
        prop_assert!((model.score(&history, h) - expected).abs() < 1e-12);
    }

    // Property 33: Optimal time scheduling priority
    #[test]
    fn dialling_order_follows_priority_now(
        contacts in prop::collection::vec(history(), 0..25),
        now in hour(),
    ) {
        let model = CallTimeModel::default();
        let mut ordered: Vec<(usize, Vec<Observation>)> =
            contacts.iter().cloned().enumerate().collect();
        order_by_priority(&mut ordered, |(_, h)| model.priority(h, now));
        // A permutation of the input.
        let mut ids: Vec<usize> = ordered.iter().map(|(i, _)| *i).collect();
        ids.sort_unstable();
        prop_assert_eq!(ids, (0..contacts.len()).collect::<Vec<_>>());
        // Higher predicted probability now comes first; ties keep input order.
        for pair in ordered.windows(2) {
            let (a, b) = (model.priority(&pair[0].1, now), model.priority(&pair[1].1, now));
            prop_assert!(a >= b);
            if a == b {
                prop_assert!(pair[0].0 < pair[1].0);
            }
        }
    }

    // Property 33: Optimal time scheduling priority
    #[test]
    fn answered_history_at_hour_outranks_none(
        base in history(),
        h in hour(),
        k in 3usize..20,
        others in prop::collection::vec(history(), 0..6),
        put_first in any::<bool>(),
    ) {
        let model = CallTimeModel::default();
        let mut strong = base.clone();
        strong.extend(at_hour(h, true, k));
        prop_assert!(model.priority(&strong, h) > model.priority(&base, h));

        // In a list with other contacts, the strong one precedes its twin.
        let mut list: Vec<(&str, Vec<Observation>)> =
            others.into_iter().map(|o| ("other", o)).collect();
        if put_first {
            list.insert(0, ("twin", base.clone()));
            list.push(("strong", strong));
        } else {
            list.insert(0, ("strong", strong));
            list.push(("twin", base));
        }
        order_by_priority(&mut list, |(_, hist)| model.priority(hist, h));
        let pos = |name: &str| list.iter().position(|(n, _)| *n == name);
        prop_assert!(pos("strong") < pos("twin"));
    }

    // Property 33: Optimal time scheduling priority
    #[test]
    fn order_by_priority_is_a_stable_descending_sort(
        keys in prop::collection::vec(prop::sample::select(vec![0.0, -0.0, 0.1, 0.5, 0.9, 1.0, f64::NAN]), 0..40),
    ) {
        let mut items: Vec<(usize, f64)> = keys.iter().copied().enumerate().collect();
        let mut reference = items.clone();
        // Reference: stable sort, NaN as lowest, -0.0 equal to 0.0.
        let norm = |k: f64| if k.is_nan() { f64::NEG_INFINITY } else if k == 0.0 { 0.0 } else { k };
        reference.sort_by(|a, b| norm(b.1).partial_cmp(&norm(a.1)).expect("no NaN after norm"));
        order_by_priority(&mut items, |(_, k)| *k);
        let got: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
        let want: Vec<usize> = reference.iter().map(|(i, _)| *i).collect();
        prop_assert_eq!(got, want);
    }

    // Property (optimal time): the hour of week is the local weekday and hour in any zone
    #[test]
    fn hour_of_week_is_in_range(secs in 0i64..4_000_000_000, zone in prop::sample::select(vec![
        chrono_tz::Asia::Jerusalem, chrono_tz::America::New_York, chrono_tz::Europe::London,
        chrono_tz::Australia::Lord_Howe, chrono_tz::Pacific::Chatham, chrono_tz::UTC,
    ])) {
        let at = DateTime::from_timestamp(secs, 0).expect("in range");
        let h = HourOfWeek::of(at, zone);
        prop_assert!(h.index() < 168);
        let local = at.with_timezone(&zone);
        prop_assert_eq!(h.day() as u32, local.weekday().num_days_from_monday());
        prop_assert_eq!(h.hour_of_day() as u32, local.hour());
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid date")
}

fn how(at: DateTime<Utc>, tz: Tz) -> usize {
    HourOfWeek::of(at, tz).index()
}

#[test]
fn hour_of_week_examples() {
    // Monday 2024-01-01 00:00 UTC.
    assert_eq!(how(utc(2024, 1, 1, 0, 0), Tz::UTC), 0);
    // Sunday 23:59 UTC is the last hour.
    assert_eq!(how(utc(2024, 1, 7, 23, 59), Tz::UTC), 167);
    // Sunday 22:30 UTC is already Monday 00:30 in Jerusalem (UTC+2 in winter).
    assert_eq!(how(utc(2024, 1, 7, 22, 30), chrono_tz::Asia::Jerusalem), 0);
    // Wednesday 15:00 UTC = 17:00 in Jerusalem in winter: 2 * 24 + 17.
    assert_eq!(how(utc(2024, 1, 3, 15, 0), chrono_tz::Asia::Jerusalem), 65);
}

#[test]
fn hour_of_week_across_dst_changes() {
    let jerusalem = chrono_tz::Asia::Jerusalem;
    // Israel springs forward Friday 2024-03-29 at 02:00 -> 03:00.
    assert_eq!(how(utc(2024, 3, 28, 23, 59), jerusalem), 4 * 24 + 1);
    assert_eq!(how(utc(2024, 3, 29, 0, 0), jerusalem), 4 * 24 + 3);
    // Summer: Monday 14:00 UTC is 17:00 IDT (UTC+3).
    assert_eq!(how(utc(2024, 7, 1, 14, 0), jerusalem), 17);

    let new_york = chrono_tz::America::New_York;
    // US springs forward Sunday 2024-03-10 at 02:00 EST -> 03:00 EDT.
    assert_eq!(how(utc(2024, 3, 10, 6, 59), new_york), 6 * 24 + 1);
    assert_eq!(how(utc(2024, 3, 10, 7, 0), new_york), 6 * 24 + 3);

    let london = chrono_tz::Europe::London;
    // UK falls back Sunday 2024-10-27: 01:xx happens twice, both hour 1.
    assert_eq!(how(utc(2024, 10, 27, 0, 30), london), 6 * 24 + 1);
    assert_eq!(how(utc(2024, 10, 27, 1, 30), london), 6 * 24 + 1);
    assert_eq!(how(utc(2024, 10, 27, 2, 30), london), 6 * 24 + 2);
}

#[test]
fn default_prior_shape() {
    let m = CallTimeModel::default();
    let rate =
        |day: u8, hour: u8| m.population_rate(HourOfWeek::new(day * 24 + hour).expect("in range"));
    assert_eq!(m.prior_weight(), 5.0);
    // Weekday evenings are best, late morning medium, nights near zero.
    assert_eq!(rate(0, 18), 0.5);
    assert_eq!(rate(6, 19), 0.5); // Sunday is a working day in Israel.
    assert!(rate(1, 11) < rate(1, 18) && rate(1, 11) > rate(1, 3));
    assert!(rate(2, 3) < 0.05);
    // Friday afternoon and Saturday are low.
    assert!(rate(4, 18) < rate(3, 18));
    assert!(rate(5, 12) < rate(3, 12));
    for h in (0..168u8).filter_map(HourOfWeek::new) {
        assert!((0.0..=1.0).contains(&m.population_rate(h)));
    }
}

#[test]
fn prediction_without_history_is_the_population_best() {
    let p = CallTimeModel::default().predict(&[]);
    // Monday 17:00 is the first of the 0.5 evening hours.
    assert_eq!(p.best_hour.index(), 17);
    assert_eq!(p.score, 0.5);
    assert!(!p.personalised);
}

#[test]
fn personal_history_moves_the_best_hour() {
    let model = CallTimeModel::default();
    // Always answers Tuesday 10:00, never in the evening.
    let tue_10 = HourOfWeek::new(24 + 10).expect("in range");
    let mut history = at_hour(tue_10, true, 8);
    for day in 0..7 {
        history.extend(at_hour(
            HourOfWeek::new(day * 24 + 18).expect("in range"),
            false,
            4,
        ));
    }
    let p = model.predict(&history);
    assert_eq!(p.best_hour, tue_10);
    // (5 * 0.35 + 8) / (5 + 8)
    assert!((p.score - 9.75 / 13.0).abs() < 1e-12);
    assert!(p.personalised);
}

#[test]
fn custom_model_is_validated() {
    assert!(matches!(
        CallTimeModel::new(vec![0.1; 10], 5.0),
        Err(ModelError::WrongLength { got: 10, .. })
    ));
    let mut rates = vec![0.2; 168];
    rates[40] = 1.5;
    assert!(matches!(
        CallTimeModel::new(rates, 5.0),
        Err(ModelError::RateOutOfRange { hour: 40, .. })
    ));
    let mut rates = vec![0.2; 168];
    rates[7] = f64::NAN;
    assert!(CallTimeModel::new(rates, 5.0).is_err());
    assert!(matches!(
        CallTimeModel::new(vec![0.2; 168], 0.0),
        Err(ModelError::BadPriorWeight(_))
    ));
    let m = CallTimeModel::new(vec![0.2; 168], 2.0).expect("valid");
    // Flat prior: ties everywhere, so the lowest hour wins.
    assert_eq!(m.predict(&[]).best_hour.index(), 0);
}

#[test]
fn nan_priorities_sort_last() {
    let mut items = vec![("a", f64::NAN), ("b", 0.2), ("c", 0.9), ("d", 0.2)];
    order_by_priority(&mut items, |(_, k)| *k);
    let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, vec!["c", "b", "d", "a"]);
}
