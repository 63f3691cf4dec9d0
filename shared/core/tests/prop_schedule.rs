//! Property tests of calling windows, campaign end and retry timing.
//!
//! Local wall time is computed here independently of chrono-tz, from the
//! daylight-saving rules of each zone (valid 2024–2028), so the properties
//! check the schedule's time-zone handling rather than restate it.

use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings, CampaignStatus, Carrier};
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::eligibility::{SkipReason, may_dial};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::outcome::CallOutcome;
use campaign_core::pacing::PaceLimits;
use campaign_core::phone::{Delivery, LineType, PhoneNumber};
use campaign_core::retry::{RetryDecision, RetryPolicy, RetryRule};
use campaign_core::schedule::{CallingWindow, SEARCH_DAYS, Schedule};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Independent zone rules.

const ZONES: [Tz; 5] = [
    chrono_tz::Asia::Jerusalem,
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Australia::Sydney,
];

fn utc(date: NaiveDate, h: u32) -> DateTime<Utc> {
    date.and_hms_opt(h, 0, 0).unwrap().and_utc()
}

/// The `n`th (1-based) Sunday of a month.
fn nth_sunday(y: i32, m: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, Weekday::Sun, n as u8).unwrap()
}

fn last_sunday(y: i32, m: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(y, m + 1, 1).unwrap() - TimeDelta::days(1);
    while d.weekday() != Weekday::Sun {
        d -= TimeDelta::days(1);
    }
    d
}

/// The UTC offset of `zone` at `t`, in seconds, from each zone's current
/// daylight-saving law.
fn expected_offset(zone: Tz, t: DateTime<Utc>) -> i64 {
    let y = t.year();
    let h = 3600;
    match zone.name() {
        // US: second Sunday of March 02:00 EST to first Sunday of November 02:00 EDT.
        "America/New_York" => {
            let on = utc(nth_sunday(y, 3, 2), 7);
            let off = utc(nth_sunday(y, 11, 1), 6);
            if t >= on && t < off { -4 * h } else { -5 * h }
        }
        // EU: last Sunday of March to last Sunday of October, 01:00 UTC.
        "Europe/London" => {
            let on = utc(last_sunday(y, 3), 1);
            let off = utc(last_sunday(y, 10), 1);
            if t >= on && t < off { h } else { 0 }
        }
        // Israel: the Friday before the last Sunday of March 02:00 IST to
        // the last Sunday of October 02:00 IDT.
        "Asia/Jerusalem" => {
            let on = utc(last_sunday(y, 3) - TimeDelta::days(2), 0);
            let off = utc(last_sunday(y, 10) - TimeDelta::days(1), 23);
            if t >= on && t < off { 3 * h } else { 2 * h }
        }
        "Asia/Tokyo" => 9 * h,
        // NSW: daylight time from the first Sunday of October 02:00 AEST to
        // the first Sunday of April 03:00 AEDT (both 16:00 UTC the day before).
        "Australia/Sydney" => {
            let off = utc(nth_sunday(y, 4, 1) - TimeDelta::days(1), 16);
            let on = utc(nth_sunday(y, 10, 1) - TimeDelta::days(1), 16);
            if t < off || t >= on { 11 * h } else { 10 * h }
        }
        other => panic!("no rules for {other}"),
    }
}

fn expected_wall_time(zone: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + TimeDelta::seconds(expected_offset(zone, t))
}

fn in_window_expected(windows: &[CallingWindow], zone: Tz, t: DateTime<Utc>) -> bool {
    let local = expected_wall_time(zone, t);
    windows.iter().any(|w| {
        w.days.contains(&local.weekday()) && w.start <= local.time() && local.time() < w.end
    })
}

/// The offset changes of 2025–2027 under the rules above.
fn transitions() -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    for y in 2025..=2027 {
        out.push(utc(nth_sunday(y, 3, 2), 7));
        out.push(utc(nth_sunday(y, 11, 1), 6));
        out.push(utc(last_sunday(y, 3), 1));
        out.push(utc(last_sunday(y, 10), 1));
        out.push(utc(last_sunday(y, 3) - TimeDelta::days(2), 0));
        out.push(utc(last_sunday(y, 10) - TimeDelta::days(1), 23));
        out.push(utc(nth_sunday(y, 4, 1) - TimeDelta::days(1), 16));
        out.push(utc(nth_sunday(y, 10, 1) - TimeDelta::days(1), 16));
    }
    out
}

// ---------------------------------------------------------------------------
// Generators.

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn zone() -> impl Strategy<Value = Tz> {
    proptest::sample::select(ZONES.to_vec())
}

/// Instants in 2025–2027 at second granularity, half of them within two
/// days of a daylight-saving change.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let base = utc(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 0).timestamp();
    let span: i64 = 3 * 365 * 86_400;
    prop_oneof![
        (0..span).prop_map(move |s| DateTime::from_timestamp(base + s, 0).unwrap()),
        (
            proptest::sample::select(transitions()),
            -2 * 86_400i64..2 * 86_400
        )
            .prop_map(|(t, s)| t + TimeDelta::seconds(s)),
    ]
}

fn minute_of_day(m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap()
}

fn days() -> impl Strategy<Value = Vec<Weekday>> {
    (1u8..128).prop_map(|mask| {
        WEEK.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, d)| *d)
            .collect()
    })
}

/// Valid windows at minute granularity; some hour-aligned in the small hours
/// where the clocks change.
fn window() -> impl Strategy<Value = CallingWindow> {
    let span = prop_oneof![
        (0u32..1438).prop_flat_map(|s| (Just(s), s + 1..1440)),
        (0u32..5, 1u32..4).prop_map(|(h, len)| (h * 60, (h + len) * 60)),
        (0u32..4).prop_map(|h| (h * 60 + 30, h * 60 + 75)),
    ];
    (days(), span).prop_map(|(days, (s, e))| CallingWindow {
        days,
        start: minute_of_day(s),
        end: minute_of_day(e),
    })
}

fn windows(min: usize) -> impl Strategy<Value = Vec<CallingWindow>> {
    proptest::collection::vec(window(), min..4)
}

/// Schedules whose start/end (when present) are whole minutes within a few
/// days of `around`.
fn schedule_around(around: DateTime<Utc>) -> impl Strategy<Value = Schedule> {
    let bound = proptest::option::of(-5 * 1440i64..5 * 1440);
    let minute = around.timestamp() / 60 * 60;
    (zone(), windows(0), bound.clone(), bound).prop_map(move |(tz, windows, s, e)| {
        let at = |m: i64| DateTime::from_timestamp(minute + m * 60, 0).unwrap();
        Schedule {
            start: s.map(at),
            end: e.map(at),
            timezone: tz,
            windows,
        }
    })
}

fn campaign(schedule: Schedule, kind: CampaignKind, status: CampaignStatus) -> Campaign {
    let created = utc(NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(), 0);
    Campaign {
        id: CampaignId::new("c1"),
        name: "prop".into(),
        kind,
        status,
        settings: CampaignSettings {
            audio: None,
            ivr: None,
            sms_template: None,
            tts_template: None,
            schedule,
            pace: PaceLimits::default(),
            retry: RetryPolicy::default(),
            carrier: Carrier::default(),
            caller_id: None,
            ring_timeout_secs: 30,
        },
        created_at: created,
        updated_at: created,
        created_by: "prop".into(),
        version: 1,
    }
}

/// A contact that is due now: pending, no attempts, no next-attempt time.
fn fresh_contact(timezone: Option<Tz>) -> Contact {
    Contact {
        id: ContactId::new("k1"),
        campaign_id: CampaignId::new("c1"),
        phone: PhoneNumber::from_e164("+972501234567").unwrap(),
        line_type: LineType::Mobile,
        delivery: Delivery::Sms,
        timezone,
        metadata: Default::default(),
        status: ContactStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        last_attempt_at: None,
        last_outcome: None,
        settled_attempts: 0,
        history: Vec::new(),
    }
}

fn contact_status() -> impl Strategy<Value = ContactStatus> {
    proptest::sample::select(vec![
        ContactStatus::Pending,
        ContactStatus::InProgress,
        ContactStatus::Completed,
        ContactStatus::Failed,
        ContactStatus::Blacklisted,
    ])
}

/// The first whole-minute-or-`from` instant at or after `from` (bounded by
/// the search horizon and the end) where `allowed` holds. Exact when every
/// boundary (window edges, zone changes, campaign bounds) is a whole minute.
fn brute_next(
    s: &Schedule,
    from: DateTime<Utc>,
    allowed: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    let from = s.start.map_or(from, |st| st.max(from));
    if allowed(from) {
        return Some(from);
    }
    let limit = from + TimeDelta::days(SEARCH_DAYS);
    let mut t = DateTime::from_timestamp(from.timestamp() / 60 * 60 + 60, 0).unwrap();
    while t <= limit && s.end.is_none_or(|e| t < e) {
        if allowed(t) {
            return Some(t);
        }
        t += TimeDelta::minutes(1);
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Property 6: Calling window enforcement
    #[test]
    fn outside_the_window_the_gate_refuses_and_inside_it_admits(
        (now, sched) in instant().prop_flat_map(|t| (Just(t), schedule_around(t))),
        contact_tz in proptest::option::of(zone()),
    ) {
        let c = campaign(sched.clone(), CampaignKind::Voice, CampaignStatus::Active);
        let gate = may_dial(&c, &fresh_contact(contact_tz), false, now);
        if sched.is_allowed(now, contact_tz) {
            prop_assert_eq!(gate, Ok(()));
        } else if sched.has_ended(now) {
            prop_assert_eq!(gate, Err(SkipReason::CampaignEnded));
        } else {
            prop_assert_eq!(gate, Err(SkipReason::OutsideWindow));
        }
    }

    // Property 6: Calling window enforcement
    #[test]
    fn no_call_is_admitted_outside_the_window_whatever_the_state(
        (now, sched) in instant().prop_flat_map(|t| (Just(t), schedule_around(t))),
        contact_tz in proptest::option::of(zone()),
        status in contact_status(),
        attempts in 0u32..5,
        due_in in proptest::option::of(-3000i64..3000),
        blacklisted in any::<bool>(),
    ) {
        let c = campaign(sched.clone(), CampaignKind::Voice, CampaignStatus::Active);
        let mut k = fresh_contact(contact_tz);
        k.status = status;
        k.attempts = attempts;
        k.next_attempt_at = due_in.map(|m| now + TimeDelta::minutes(m));
        let gate = may_dial(&c, &k, blacklisted, now);
        if gate.is_ok() {
            prop_assert!(sched.is_allowed(now, contact_tz));
        }
        if !sched.is_allowed(now, contact_tz) {
            prop_assert!(gate.is_err());
        }
    }

    // Property 6: Calling window enforcement
    #[test]
    fn next_allowed_is_the_first_allowed_instant(
        (from, sched) in instant().prop_flat_map(|t| (Just(t), schedule_around(t))),
        contact_tz in proptest::option::of(zone()),
    ) {
        let next = sched.next_allowed(from, contact_tz);
        let brute = brute_next(&sched, from, |t| sched.is_allowed(t, contact_tz));
        prop_assert_eq!(next, brute);
        if let Some(n) = next {
            prop_assert!(n >= from);
            prop_assert!(sched.is_allowed(n, contact_tz));
            let just_before = n - TimeDelta::seconds(1);
            if just_before >= from {
                prop_assert!(!sched.is_allowed(just_before, contact_tz));
            }
            let minute_before = n - TimeDelta::minutes(1);
            if minute_before >= from {
                prop_assert!(!sched.is_allowed(minute_before, contact_tz));
            }
        }
    }

    // Property 7: Campaign termination completeness
    #[test]
    fn at_and_after_the_end_nothing_is_dialled(
        (end, sched) in instant().prop_flat_map(|t| (Just(t), schedule_around(t))),
        after_minutes in 0i64..20_000,
        before_minutes in 0i64..20_000,
        contact_tz in proptest::option::of(zone()),
        status in contact_status(),
        attempts in 0u32..5,
        blacklisted in any::<bool>(),
    ) {
        let end = DateTime::from_timestamp(end.timestamp() / 60 * 60, 0).unwrap();
        let sched = Schedule { end: Some(end), ..sched };
        let now = end + TimeDelta::minutes(after_minutes);
        prop_assert!(sched.has_ended(now));
        prop_assert!(!sched.is_allowed(now, contact_tz));
        prop_assert_eq!(sched.next_allowed(now, contact_tz), None);

        let c = campaign(sched.clone(), CampaignKind::Voice, CampaignStatus::Active);
        let mut k = fresh_contact(contact_tz);
        k.status = status;
        k.attempts = attempts;
        let expected = if blacklisted {
            SkipReason::Blacklisted
        } else if status.is_terminal() {
            SkipReason::Terminal
        } else {
            SkipReason::CampaignEnded
        };
        prop_assert_eq!(may_dial(&c, &k, blacklisted, now), Err(expected));

        // From any earlier instant, the next allowed one is before the end.
        let earlier = end - TimeDelta::minutes(before_minutes);
        if let Some(n) = sched.next_allowed(earlier, contact_tz) {
            prop_assert!(n < end);
        }
    }

    // Property 8: Timezone-aware calling windows
    #[test]
    fn windows_are_read_in_the_contacts_local_time(
        now in instant(),
        campaign_tz in zone(),
        contact_tz in proptest::option::of(zone()),
        windows in windows(1),
    ) {
        let sched = Schedule { start: None, end: None, timezone: campaign_tz, windows };
        let zone = contact_tz.unwrap_or(campaign_tz);
        let expected = in_window_expected(&sched.windows, zone, now);
        prop_assert_eq!(sched.is_allowed(now, contact_tz), expected);

        let c = campaign(sched.clone(), CampaignKind::Voice, CampaignStatus::Active);
        let gate = may_dial(&c, &fresh_contact(contact_tz), false, now);
        prop_assert_eq!(gate.is_ok(), expected);
        if !expected {
            prop_assert_eq!(gate, Err(SkipReason::OutsideWindow));
        }
    }

    // Property 8: Timezone-aware calling windows
    #[test]
    fn the_next_allowed_instant_is_inside_a_window_in_local_time(
        from in instant(),
        campaign_tz in zone(),
        contact_tz in proptest::option::of(zone()),
        windows in windows(1),
    ) {
        let sched = Schedule { start: None, end: None, timezone: campaign_tz, windows };
        let zone = contact_tz.unwrap_or(campaign_tz);
        let expected = brute_next(&sched, from, |t| in_window_expected(&sched.windows, zone, t));
        prop_assert_eq!(sched.next_allowed(from, contact_tz), expected);
    }
}

// ---------------------------------------------------------------------------
// Retry timing.

fn day_name() -> impl Strategy<Value = String> {
    (0usize..7, any::<bool>(), 0u8..3).prop_map(|(d, short, case)| {
        let full = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ][d];
        let name = if short { &full[..3] } else { full };
        match case {
            0 => name.to_string(),
            1 => name.to_uppercase(),
            _ => format!("{}{}", name[..1].to_uppercase(), &name[1..]),
        }
    })
}

fn rule() -> impl Strategy<Value = RetryRule> {
    (day_name(), window(), 1u32..600).prop_map(|(day, w, minutes)| RetryRule {
        day_of_week: day,
        start_time: w.start,
        end_time: w.end,
        retry_interval_minutes: minutes,
    })
}

fn outcome() -> impl Strategy<Value = CallOutcome> {
    proptest::sample::select(CallOutcome::ALL.to_vec())
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        1u32..7,
        proptest::collection::btree_set(outcome(), 0..8),
        proptest::collection::vec(rule(), 0..4),
        1u32..1440,
    )
        .prop_map(|(max_attempts, retry_on, rules, default)| RetryPolicy {
            max_attempts,
            retry_on,
            rules,
            default_interval_minutes: default,
        })
}

fn rule_windows(p: &RetryPolicy) -> Vec<CallingWindow> {
    p.rules
        .iter()
        .map(|r| CallingWindow {
            days: vec![campaign_core::schedule::parse_weekday(&r.day_of_week).unwrap()],
            start: r.start_time,
            end: r.end_time,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Property (retry): a retry is later than the attempt, within the search
    // horizon, inside a rule window when there are rules, and the earliest
    // such instant after the interval.
    #[test]
    fn retry_times_follow_the_rules(
        p in policy(),
        outcome in outcome(),
        attempts in 1u32..8,
        ended in instant(),
        tz in zone(),
    ) {
        prop_assert!(p.validate().is_ok());
        let decision = p.decide(outcome, attempts, ended, tz);
        let retryable = p.retry_on.contains(&outcome)
            && !matches!(outcome, CallOutcome::Blacklisted | CallOutcome::OptedOut);
        if !retryable {
            prop_assert_eq!(decision, RetryDecision::Final);
            return Ok(());
        }
        if attempts >= p.max_attempts {
            prop_assert_eq!(decision, RetryDecision::Exhausted);
            return Ok(());
        }
        let RetryDecision::RetryAt(at) = decision else {
            return Err(TestCaseError::fail(format!("expected a retry, got {decision:?}")));
        };
        prop_assert!(at > ended);
        if p.rules.is_empty() {
            prop_assert_eq!(at, ended + TimeDelta::minutes(i64::from(p.default_interval_minutes)));
            return Ok(());
        }
        let windows = rule_windows(&p);
        prop_assert!(in_window_expected(&windows, tz, at));
        let local = expected_wall_time(tz, ended);
        let interval = windows
            .iter()
            .zip(&p.rules)
            .find(|(w, _)| w.days.contains(&local.weekday()) && w.start <= local.time() && local.time() < w.end)
            .map_or(0, |(_, r)| i64::from(r.retry_interval_minutes));
        let c = ended + TimeDelta::minutes(interval);
        prop_assert!(at - ended <= TimeDelta::minutes(interval) + TimeDelta::days(SEARCH_DAYS));
        let open = Schedule { start: None, end: None, timezone: tz, windows: windows.clone() };
        let expected = brute_next(&open, c, |t| in_window_expected(&windows, tz, t));
        prop_assert_eq!(Some(at), expected);
    }

    // Property (retry): the attempts placed for one contact never exceed
    // `max_attempts`, and a contact that keeps failing gets exactly that many.
    #[test]
    fn attempts_never_exceed_the_maximum(
        p in policy(),
        outcomes in proptest::collection::vec(outcome(), 1..12),
        first in instant(),
        tz in zone(),
        call_seconds in 0i64..300,
    ) {
        let mut attempts = 1u32;
        let mut ended = first;
        let mut all_retryable = true;
        for (i, o) in outcomes.iter().cycle().enumerate() {
            let retryable = p.retry_on.contains(o)
                && !matches!(o, CallOutcome::Blacklisted | CallOutcome::OptedOut);
            all_retryable &= retryable;
            match p.decide(*o, attempts, ended, tz) {
                RetryDecision::RetryAt(t) => {
                    prop_assert!(t > ended);
                    attempts += 1;
                    ended = t + TimeDelta::seconds(call_seconds);
                }
                RetryDecision::Exhausted => {
                    prop_assert!(retryable);
                    prop_assert_eq!(attempts, p.max_attempts);
                    break;
                }
                RetryDecision::Final => {
                    prop_assert!(!retryable);
                    break;
                }
            }
            prop_assert!(attempts <= p.max_attempts);
            prop_assert!(i < 64, "no decision after {} attempts", i);
        }
        if all_retryable {
            prop_assert_eq!(attempts, p.max_attempts);
        }
    }
}

#[test]
fn the_independent_zone_rules_match_the_2026_changes() {
    // The hand-written rules above must themselves be right: spot-check
    // them against the published 2026 dates.
    let t = |y, mo, d, h, mi| {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
    };
    let j = chrono_tz::Asia::Jerusalem;
    assert_eq!(expected_offset(j, t(2026, 3, 26, 23, 59)), 7200);
    assert_eq!(expected_offset(j, t(2026, 3, 27, 0, 0)), 10800);
    assert_eq!(expected_offset(j, t(2026, 10, 24, 22, 59)), 10800);
    assert_eq!(expected_offset(j, t(2026, 10, 24, 23, 0)), 7200);
    let ny = chrono_tz::America::New_York;
    assert_eq!(expected_offset(ny, t(2026, 3, 8, 6, 59)), -18000);
    assert_eq!(expected_offset(ny, t(2026, 3, 8, 7, 0)), -14400);
    assert_eq!(expected_offset(ny, t(2026, 11, 1, 6, 0)), -18000);
    let syd = chrono_tz::Australia::Sydney;
    assert_eq!(expected_offset(syd, t(2026, 4, 4, 15, 59)), 39600);
    assert_eq!(expected_offset(syd, t(2026, 4, 4, 16, 0)), 36000);
    assert_eq!(expected_offset(syd, t(2026, 10, 3, 16, 0)), 39600);
    let lon = chrono_tz::Europe::London;
    assert_eq!(expected_offset(lon, t(2026, 3, 29, 1, 0)), 3600);
    assert_eq!(expected_offset(lon, t(2026, 10, 25, 1, 0)), 0);
}
