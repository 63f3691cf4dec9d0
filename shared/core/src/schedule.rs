//! Scheduling: campaign start/end and calling windows (days of week + hours)
//! evaluated in the contact's own time zone, falling back to the campaign's,
//! correct across daylight-saving changes.
//!
//! # Semantics
//!
//! - **Campaign bounds.** An instant `t` is inside the campaign when
//!   `start <= t < end` (a missing bound is open). At and after `end` nothing
//!   is ever allowed.
//! - **Windows.** A [`CallingWindow`] holds days of the week and local
//!   wall-clock hours `[start, end)`: start inclusive, end exclusive,
//!   `start < end` (a window cannot cross midnight; split it in two, and write
//!   `23:59:59` for "until midnight"). The window is read in the contact's
//!   zone, else the campaign's ([`Schedule::zone_for`]). An empty window list
//!   means "any time between start and end".
//! - **Membership is by local wall time.** An instant is inside a window when
//!   its local weekday is one of the window's days and its local wall-clock
//!   time is in `[start, end)`. Consequences on daylight-saving days:
//!   - *Spring forward* (e.g. New York 2026-03-08, 02:00 → 03:00): a window
//!     that starts at a local time that does not exist that day (02:30)
//!     starts at the first instant after the gap (03:00 EDT); a window lying
//!     wholly inside the gap does not occur that day; windows spanning the
//!     change are an hour shorter.
//!   - *Fall back* (e.g. New York 2026-11-01, 02:00 → 01:00): a repeated
//!     local time is inside a window both times it occurs, so a window
//!     covering the repeated hour is an hour longer; when a window opens at an
//!     ambiguous local time, it opens at the earlier of the two instants.
//! - **`next_allowed(from)`** is the earliest instant `>= max(from, start)`
//!   at which [`Schedule::is_allowed`] holds, or `None` when there is none
//!   before `end`. Windows repeat weekly, so the search looks at most
//!   [`SEARCH_DAYS`] days ahead; `None` then means the campaign ends first
//!   (or no window can ever match, e.g. only invalid windows).
//! - **Serde.** Window days serialise as full lowercase English names
//!   (`"monday"`); on input full or three-letter names are accepted in any
//!   case (`"Mon"`, `"SATURDAY"`). Times serialise as `"HH:MM:SS"` and are
//!   accepted as `"HH:MM"` or `"HH:MM:SS"` (optionally with a fraction).

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How many days ahead [`Schedule::next_allowed`] (and the retry rules)
/// look for the next window opening. Windows repeat weekly; the extra day
/// absorbs daylight-saving shifts.
pub const SEARCH_DAYS: i64 = 8;

/// Days and local hours in which dialling is allowed. `start` is inclusive,
/// `end` exclusive, both local wall-clock times; `start < end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallingWindow {
    #[schemars(with = "Vec<String>")]
    #[serde(with = "serde_weekdays")]
    pub days: Vec<Weekday>,
    #[schemars(with = "String")]
    #[serde(with = "serde_time")]
    pub start: NaiveTime,
    #[schemars(with = "String")]
    #[serde(with = "serde_time")]
    pub end: NaiveTime,
}

impl CallingWindow {
    /// Whether a local wall-clock date-time falls inside this window.
    pub fn contains_local(&self, local: NaiveDateTime) -> bool {
        let time = local.time();
        self.days.contains(&local.weekday()) && self.start <= time && time < self.end
    }
}

/// When a campaign may dial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Schedule {
    /// No dialling before this instant (None: from when it is started).
    pub start: Option<DateTime<Utc>>,
    /// No dialling from this instant on (None: until every contact is done).
    pub end: Option<DateTime<Utc>>,
    /// The campaign's zone, used for contacts without one of their own.
    #[schemars(with = "String")]
    pub timezone: Tz,
    /// Empty means any time between start and end.
    pub windows: Vec<CallingWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("window {index}: start {start} is not before end {end}")]
    EmptyWindow {
        index: usize,
        start: NaiveTime,
        end: NaiveTime,
    },
    #[error("window {index}: no days of the week")]
    NoDays { index: usize },
    #[error("campaign end {end} is not after its start {start}")]
    EndBeforeStart {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

impl Schedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end <= start
        {
            return Err(ScheduleError::EndBeforeStart { start, end });
        }
        for (index, w) in self.windows.iter().enumerate() {
            if w.start >= w.end {
                return Err(ScheduleError::EmptyWindow {
                    index,
                    start: w.start,
                    end: w.end,
                });
            }
            if w.days.is_empty() {
                return Err(ScheduleError::NoDays { index });
            }
        }
        Ok(())
    }

    /// True when `at` is inside [start, end) and inside a window in the
    /// contact's zone (`contact_tz`, else the campaign's).
    pub fn is_allowed(&self, at: DateTime<Utc>, contact_tz: Option<Tz>) -> bool {
        self.within_bounds(at)
            && (self.windows.is_empty() || in_windows(&self.windows, self.zone_for(contact_tz), at))
    }

    /// The earliest instant `>= from` at which dialling is allowed; None when
    /// there is none before the campaign ends.
    pub fn next_allowed(
        &self,
        from: DateTime<Utc>,
        contact_tz: Option<Tz>,
    ) -> Option<DateTime<Utc>> {
        let from = match self.start {
            Some(start) if start > from => start,
            _ => from,
        };
        if self.has_ended(from) {
            return None;
        }
        if self.windows.is_empty() {
            return Some(from);
        }
        next_in_windows(&self.windows, self.zone_for(contact_tz), from, self.end)
    }

    /// True once the campaign's end has been reached.
    pub fn has_ended(&self, at: DateTime<Utc>) -> bool {
        self.end.is_some_and(|end| at >= end)
    }

    /// The zone a contact is evaluated in.
    pub fn zone_for(&self, contact_tz: Option<Tz>) -> Tz {
        contact_tz.unwrap_or(self.timezone)
    }

    fn within_bounds(&self, at: DateTime<Utc>) -> bool {
        self.start.is_none_or(|start| at >= start) && !self.has_ended(at)
    }
}

/// The local wall-clock date-time of `at` in `tz`; None only at the very
/// ends of the representable range (where chrono's `naive_local` panics).
pub(crate) fn local_wall_time(at: DateTime<Utc>, tz: Tz) -> Option<NaiveDateTime> {
    let utc = at.naive_utc();
    utc.checked_add_offset(tz.offset_from_utc_datetime(&utc).fix())
}

/// Whether `at`, read as local wall time in `tz`, is inside any window.
pub(crate) fn in_windows(windows: &[CallingWindow], tz: Tz, at: DateTime<Utc>) -> bool {
    local_wall_time(at, tz).is_some_and(|local| windows.iter().any(|w| w.contains_local(local)))
}

/// The earliest instant `t >= from` (and `< before`, when given, and within
/// [`SEARCH_DAYS`] of `from`) whose local wall time in `tz` is inside one of
/// `windows`.
///
/// Local wall time is a non-decreasing function of the instant except at an
/// offset change, so the first allowed instant after a disallowed `from` is
/// either a window opening (the instants whose wall time is exactly a
/// window's start on one of its days: one, or two when ambiguous) or an
/// offset change where the wall clock jumps into a window (the end of a
/// spring-forward gap, or the repeat of a fall-back hour). Those are the only
/// candidates examined.
pub(crate) fn next_in_windows(
    windows: &[CallingWindow],
    tz: Tz,
    from: DateTime<Utc>,
    before: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if before.is_some_and(|b| from >= b) {
        return None;
    }
    if in_windows(windows, tz, from) {
        return Some(from);
    }
    let horizon = from
        .checked_add_signed(TimeDelta::days(SEARCH_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut best: Option<DateTime<Utc>> = None;
    let consider = |best: &mut Option<DateTime<Utc>>, c: DateTime<Utc>| {
        if c > from
            && c <= horizon
            && before.is_none_or(|b| c < b)
            && best.is_none_or(|b| c < b)
            && in_windows(windows, tz, c)
        {
            *best = Some(c);
        }
    };

    // Window openings. Start a day early: a fall-back at midnight can take
    // the wall clock back to the previous date.
    let first = local_wall_time(from, tz).unwrap_or(from.naive_utc()).date();
    let mut date = first.pred_opt().unwrap_or(first);
    let last = add_days(first, SEARCH_DAYS);
    while date <= last {
        for w in windows.iter().filter(|w| w.days.contains(&date.weekday())) {
            match tz.from_local_datetime(&date.and_time(w.start)) {
                LocalResult::Single(t) => consider(&mut best, t.to_utc()),
                LocalResult::Ambiguous(a, b) => {
                    consider(&mut best, a.to_utc());
                    consider(&mut best, b.to_utc());
                }
                // In a spring-forward gap: the end of the gap is an offset
                // change, examined below.
                LocalResult::None => {}
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }

    // Offset changes, only up to the best opening found so far.
    let scan_end = best.unwrap_or(horizon);
    for t in offset_changes(tz, from, scan_end) {
        consider(&mut best, t);
    }
    best
}

fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(TimeDelta::days(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The instants in `(from, to]` at which `tz` changes its UTC offset (found
/// by an hourly scan, then bisection to the second; zone transitions fall on
/// whole seconds).
fn offset_changes(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let offset_at = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .map(|t| tz.offset_from_utc_datetime(&t.naive_utc()).fix())
    };
    const STEP: i64 = 3600;
    let end = to.timestamp();
    let mut changes = Vec::new();
    let mut lo = from.timestamp();
    let mut lo_offset = offset_at(lo);
    while lo < end {
        let hi = lo.saturating_add(STEP).min(end);
        let hi_offset = offset_at(hi);
        if hi_offset != lo_offset {
            // Invariant: offset(a) == lo_offset, offset(b) != lo_offset.
            let (mut a, mut b) = (lo, hi);
            while b - a > 1 {
                let mid = a + (b - a) / 2;
                if offset_at(mid) == lo_offset {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            if let Some(t) = DateTime::<Utc>::from_timestamp(b, 0) {
                changes.push(t);
            }
        }
        lo = hi;
        lo_offset = hi_offset;
    }
    changes
}

/// Parses a day of the week: full English name or its first three letters,
/// in any case (`"monday"`, `"Mon"`, `"SAT"`).
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let day = match s.as_str() {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// The lowercase English name a day serialises as (`"monday"`).
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Parses a local time written `HH:MM` or `HH:MM:SS` (optionally with a
/// fraction of a second).
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// Formats a local time as `HH:MM:SS` (with a fraction only when it has one).
pub fn format_time(t: NaiveTime) -> String {
    use chrono::Timelike;
    if t.nanosecond() == 0 {
        t.format("%H:%M:%S").to_string()
    } else {
        t.format("%H:%M:%S%.f").to_string()
    }
}

/// Serde for local times: `"HH:MM:SS"` out, `"HH:MM"` or `"HH:MM:SS"` in.
pub(crate) mod serde_time {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_time(&s).ok_or_else(|| {
            D::Error::custom(format!("invalid time {s:?}: expected HH:MM or HH:MM:SS"))
        })
    }
}

/// Serde for day lists: full lowercase names out, full or 3-letter names in
/// any case in.
pub(crate) mod serde_weekdays {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(days.len()))?;
        for day in days {
            seq.serialize_element(super::weekday_name(*day))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                super::parse_weekday(s).ok_or_else(|| {
                    D::Error::custom(format!(
                        "unknown day of the week {s:?}: expected monday..sunday or mon..sun"
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use chrono_tz::{America::New_York, Asia::Jerusalem};

    const WEEKDAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn window(days: &[Weekday], start: (u32, u32), end: (u32, u32)) -> CallingWindow {
        CallingWindow {
            days: days.to_vec(),
            start: time(start.0, start.1),
            end: time(end.0, end.1),
        }
    }

    fn schedule(tz: Tz, windows: Vec<CallingWindow>) -> Schedule {
        Schedule {
            start: None,
            end: None,
            timezone: tz,
            windows,
        }
    }

    /// The single instant of an unambiguous local time.
    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .to_utc()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn offset_hours(tz: Tz, t: DateTime<Utc>) -> i32 {
        t.with_timezone(&tz).offset().fix().local_minus_utc() / 3600
    }

    #[test]
    fn dst_dates_of_2026_are_as_expected() {
        // Jerusalem: +02 until Friday 2026-03-27 00:00 UTC (02:00 local),
        // +03 until Sunday 2026-10-25 ... 23:00 UTC on the 24th (02:00 local).
        assert_eq!(offset_hours(Jerusalem, utc(2026, 3, 26, 23, 59)), 2);
        assert_eq!(offset_hours(Jerusalem, utc(2026, 3, 27, 0, 0)), 3);
        assert_eq!(offset_hours(Jerusalem, utc(2026, 10, 24, 22, 59)), 3);
        assert_eq!(offset_hours(Jerusalem, utc(2026, 10, 24, 23, 0)), 2);
        assert!(
            Jerusalem
                .with_ymd_and_hms(2026, 3, 27, 2, 30, 0)
                .single()
                .is_none()
        );
        assert!(matches!(
            Jerusalem.with_ymd_and_hms(2026, 10, 25, 1, 30, 0),
            LocalResult::Ambiguous(..)
        ));
        // New York: 2026-03-08 07:00 UTC (02:00 EST) and 2026-11-01 06:00 UTC (02:00 EDT).
        assert_eq!(offset_hours(New_York, utc(2026, 3, 8, 6, 59)), -5);
        assert_eq!(offset_hours(New_York, utc(2026, 3, 8, 7, 0)), -4);
        assert_eq!(offset_hours(New_York, utc(2026, 11, 1, 5, 59)), -4);
        assert_eq!(offset_hours(New_York, utc(2026, 11, 1, 6, 0)), -5);
    }

    #[test]
    fn validate_reports_each_problem() {
        let mut s = schedule(Jerusalem, vec![window(&WEEKDAYS, (9, 0), (20, 0))]);
        assert_eq!(s.validate(), Ok(()));
        s.windows.push(window(&[Weekday::Mon], (12, 0), (12, 0)));
        assert!(matches!(
            s.validate(),
            Err(ScheduleError::EmptyWindow { index: 1, .. })
        ));
        s.windows[1] = window(&[], (12, 0), (13, 0));
        assert_eq!(s.validate(), Err(ScheduleError::NoDays { index: 1 }));
        s.windows.pop();
        s.start = Some(utc(2026, 5, 1, 0, 0));
        s.end = Some(utc(2026, 5, 1, 0, 0));
        assert!(matches!(
            s.validate(),
            Err(ScheduleError::EndBeforeStart { .. })
        ));
        s.end = Some(utc(2026, 5, 2, 0, 0));
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn window_start_is_inclusive_and_end_exclusive() {
        let s = schedule(New_York, vec![window(&WEEKDAYS, (9, 0), (20, 0))]);
        let nine = at(New_York, 2026, 6, 3, 9, 0);
        assert!(s.is_allowed(nine, None));
        assert!(!s.is_allowed(nine - TimeDelta::seconds(1), None));
        let eight_pm = at(New_York, 2026, 6, 3, 20, 0);
        assert!(!s.is_allowed(eight_pm, None));
        assert!(s.is_allowed(eight_pm - TimeDelta::seconds(1), None));
    }

    #[test]
    fn campaign_bounds_apply_and_empty_windows_mean_any_time() {
        let mut s = schedule(Jerusalem, vec![]);
        s.start = Some(utc(2026, 5, 1, 0, 0));
        s.end = Some(utc(2026, 5, 10, 0, 0));
        assert!(!s.is_allowed(utc(2026, 4, 30, 23, 59), None));
        assert!(s.is_allowed(utc(2026, 5, 1, 0, 0), None));
        assert!(s.is_allowed(utc(2026, 5, 9, 23, 59), None));
        assert!(!s.is_allowed(utc(2026, 5, 10, 0, 0), None));
        assert_eq!(
            s.next_allowed(utc(2026, 4, 1, 0, 0), None),
            Some(utc(2026, 5, 1, 0, 0))
        );
        assert_eq!(s.next_allowed(utc(2026, 5, 10, 0, 0), None), None);
    }

    #[test]
    fn nine_am_is_allowed_on_both_sides_of_each_2026_change() {
        let s = schedule(Jerusalem, vec![window(&WEEKDAYS, (9, 0), (20, 0))]);
        let ny = schedule(New_York, vec![window(&WEEKDAYS, (9, 0), (20, 0))]);
        let cases = [
            // (schedule, zone, day before, day after, expected UTC hours before/after)
            (&s, Jerusalem, (2026, 3, 26), (2026, 3, 27), (7, 6)),
            (&s, Jerusalem, (2026, 10, 24), (2026, 10, 25), (6, 7)),
            (&ny, New_York, (2026, 3, 7), (2026, 3, 8), (14, 13)),
            (&ny, New_York, (2026, 10, 31), (2026, 11, 1), (13, 14)),
        ];
        for (sched, tz, before, after, (h_before, h_after)) in cases {
            let b = at(tz, before.0, before.1, before.2, 9, 0);
            let a = at(tz, after.0, after.1, after.2, 9, 0);
            assert!(sched.is_allowed(b, None), "{tz} {before:?}");
            assert!(sched.is_allowed(a, None), "{tz} {after:?}");
            assert!(!sched.is_allowed(b - TimeDelta::minutes(1), None));
            assert!(!sched.is_allowed(a - TimeDelta::minutes(1), None));
            assert_eq!(b.hour(), h_before, "{tz} {before:?}");
            assert_eq!(a.hour(), h_after, "{tz} {after:?}");
            // A day apart in local time, 24h ∓ 1h apart in real time.
            let expected_gap = 24 + (h_after as i64 - h_before as i64);
            assert_eq!((a - b).num_hours(), expected_gap);
            // next_allowed from the evening before lands on the next 09:00.
            let evening = at(tz, before.0, before.1, before.2, 20, 30);
            assert_eq!(sched.next_allowed(evening, None), Some(a));
        }
    }

    #[test]
    fn friday_evening_with_a_sunday_to_thursday_window_waits_for_sunday_nine() {
        let sun_thu = [
            Weekday::Sun,
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
        ];
        let s = schedule(Jerusalem, vec![window(&sun_thu, (9, 0), (20, 0))]);
        // Friday 2026-03-27 is the spring-forward day itself; 2026-10-23 is
        // the Friday before the fall-back Sunday.
        for (fri, sun) in [
            ((2026, 3, 27), (2026, 3, 29)),
            ((2026, 10, 23), (2026, 10, 25)),
            ((2026, 6, 5), (2026, 6, 7)),
        ] {
            let from = at(Jerusalem, fri.0, fri.1, fri.2, 20, 30);
            let expected = at(Jerusalem, sun.0, sun.1, sun.2, 9, 0);
            assert!(!s.is_allowed(from, None));
            assert_eq!(s.next_allowed(from, None), Some(expected), "{fri:?}");
        }
        // The contact's zone wins over the campaign's.
        let from = at(New_York, 2026, 6, 5, 20, 30);
        assert_eq!(
            s.next_allowed(from, Some(New_York)),
            Some(at(New_York, 2026, 6, 7, 9, 0))
        );
    }

    #[test]
    fn a_window_starting_in_the_spring_forward_gap_opens_when_the_gap_ends() {
        let s = schedule(New_York, vec![window(&[Weekday::Sun], (2, 30), (4, 0))]);
        let from = at(New_York, 2026, 3, 8, 0, 0);
        // 03:00 EDT = 07:00 UTC, the first instant after the gap.
        assert_eq!(s.next_allowed(from, None), Some(utc(2026, 3, 8, 7, 0)));
        assert!(!s.is_allowed(utc(2026, 3, 8, 6, 59), None));
        assert!(s.is_allowed(utc(2026, 3, 8, 7, 0), None));
        // A window wholly inside the gap does not occur that day.
        let gap_only = schedule(New_York, vec![window(&[Weekday::Sun], (2, 0), (2, 45))]);
        assert_eq!(
            gap_only.next_allowed(from, None),
            Some(at(New_York, 2026, 3, 15, 2, 0))
        );
    }

    #[test]
    fn an_ambiguous_window_start_resolves_to_the_earlier_instant() {
        let s = schedule(New_York, vec![window(&[Weekday::Sun], (1, 30), (3, 0))]);
        let from = at(New_York, 2026, 11, 1, 0, 0);
        // 01:30 EDT = 05:30 UTC (the second 01:30 is 06:30 UTC).
        assert_eq!(s.next_allowed(from, None), Some(utc(2026, 11, 1, 5, 30)));
        // Both occurrences of 01:30–01:59 are inside the window; the repeated
        // 01:00–01:29 (06:00–06:29 UTC) is not.
        assert!(s.is_allowed(utc(2026, 11, 1, 5, 59), None));
        assert!(!s.is_allowed(utc(2026, 11, 1, 6, 15), None));
        assert!(s.is_allowed(utc(2026, 11, 1, 6, 30), None));
        assert!(s.is_allowed(utc(2026, 11, 1, 7, 59), None));
        assert!(!s.is_allowed(utc(2026, 11, 1, 8, 0), None));
        // From inside the repeated hour, the window reopens at the second 01:30.
        assert_eq!(
            s.next_allowed(utc(2026, 11, 1, 6, 10), None),
            Some(utc(2026, 11, 1, 6, 30))
        );
    }

    #[test]
    fn the_repeated_hour_reenters_a_window_at_the_change() {
        // 00:30–01:30 local: left at the first 01:30 (05:30 UTC), entered
        // again when the clock falls back to 01:00 (06:00 UTC).
        let s = schedule(New_York, vec![window(&[Weekday::Sun], (0, 30), (1, 30))]);
        let from = utc(2026, 11, 1, 5, 45);
        assert!(!s.is_allowed(from, None));
        assert_eq!(s.next_allowed(from, None), Some(utc(2026, 11, 1, 6, 0)));
    }

    #[test]
    fn next_allowed_respects_the_end() {
        let mut s = schedule(Jerusalem, vec![window(&[Weekday::Sun], (9, 0), (20, 0))]);
        let fri = at(Jerusalem, 2026, 6, 5, 12, 0);
        s.end = Some(at(Jerusalem, 2026, 6, 7, 9, 0));
        assert_eq!(s.next_allowed(fri, None), None);
        s.end = Some(at(Jerusalem, 2026, 6, 7, 9, 1));
        assert_eq!(
            s.next_allowed(fri, None),
            Some(at(Jerusalem, 2026, 6, 7, 9, 0))
        );
    }

    #[test]
    fn windows_serialise_with_lowercase_days_and_accept_variants() {
        let w = window(&[Weekday::Mon, Weekday::Sat], (9, 0), (20, 30));
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"days": ["monday", "saturday"], "start": "09:00:00", "end": "20:30:00"})
        );
        let back: CallingWindow = serde_json::from_value(json).unwrap();
        assert_eq!(back, w);
        let loose: CallingWindow = serde_json::from_str(
            r#"{"days": ["Mon", "SATURDAY"], "start": "09:00", "end": "20:30:00"}"#,
        )
        .unwrap();
        assert_eq!(loose, w);
        assert!(
            serde_json::from_str::<CallingWindow>(
                r#"{"days": ["funday"], "start": "09:00", "end": "10:00"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<CallingWindow>(
                r#"{"days": ["mon"], "start": "9am", "end": "10:00"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn schedule_round_trips_through_json() {
        let mut s = schedule(Jerusalem, vec![window(&WEEKDAYS, (9, 0), (20, 0))]);
        s.start = Some(utc(2026, 5, 1, 6, 0));
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"Asia/Jerusalem\""), "{json}");
        let back: Schedule = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let windows = vec![window(&WEEKDAYS, (9, 0), (20, 0))];
        for tz in [
            Jerusalem,
            New_York,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
        ] {
            let s = schedule(tz, windows.clone());
            for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                let _ = s.is_allowed(t, None);
                if let Some(n) = s.next_allowed(t, None) {
                    assert!(n >= t && s.is_allowed(n, None));
                }
            }
        }
    }

    #[test]
    fn schema_describes_days_and_times_as_strings() {
        let schema = serde_json::to_value(schemars::schema_for!(CallingWindow)).unwrap();
        assert_eq!(schema["properties"]["start"]["type"], "string");
        assert_eq!(schema["properties"]["days"]["items"]["type"], "string");
    }
}
