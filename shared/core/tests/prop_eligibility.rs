//! Property tests of the dial gate (`may_dial`): the blacklist comes before
//! everything, and SMS campaigns get the same window gate as voice ones.

use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings, CampaignStatus, Carrier};
use campaign_core::contact::{Contact, ContactStatus};
use campaign_core::eligibility::{SkipReason, may_dial};
use campaign_core::ids::{CampaignId, ContactId};
use campaign_core::pacing::PaceLimits;
use campaign_core::phone::{Delivery, LineType, PhoneNumber};
use campaign_core::retry::RetryPolicy;
use campaign_core::schedule::{CallingWindow, Schedule};
use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [Tz; 5] = [
    chrono_tz::Asia::Jerusalem,
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Australia::Sydney,
];

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

/// Instants in 2025–2027.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let base = 1_735_689_600i64; // 2025-01-01T00:00:00Z
    (0..3 * 365 * 86_400i64).prop_map(move |s| DateTime::from_timestamp(base + s, 0).unwrap())
}

fn window() -> impl Strategy<Value = CallingWindow> {
    (1u8..128, 0u32..1438)
        .prop_flat_map(|(mask, s)| (Just(mask), Just(s), s + 1..1440))
        .prop_map(|(mask, s, e)| CallingWindow {
            days: WEEK
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, d)| *d)
                .collect(),
            start: NaiveTime::from_hms_opt(s / 60, s % 60, 0).unwrap(),
            end: NaiveTime::from_hms_opt(e / 60, e % 60, 0).unwrap(),
        })
}

/// A schedule with start/end (when present) within a few days of `now`.
fn schedule_around(now: DateTime<Utc>) -> impl Strategy<Value = Schedule> {
    let bound = proptest::option::of(-4 * 1440i64..4 * 1440);
    (
        zone(),
        proptest::collection::vec(window(), 0..3),
        bound.clone(),
        bound,
    )
        .prop_map(move |(tz, windows, s, e)| Schedule {
            start: s.map(|m| now + TimeDelta::minutes(m)),
            end: e.map(|m| now + TimeDelta::minutes(m)),
            timezone: tz,
            windows,
        })
}

fn kind() -> impl Strategy<Value = CampaignKind> {
    proptest::sample::select(vec![
        CampaignKind::Voice,
        CampaignKind::Sms,
        CampaignKind::Hybrid,
    ])
}

fn campaign_status() -> impl Strategy<Value = CampaignStatus> {
    proptest::sample::select(vec![
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
        CampaignStatus::Failed,
        CampaignStatus::Archived,
    ])
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

fn campaign(
    schedule: Schedule,
    kind: CampaignKind,
    status: CampaignStatus,
    max_attempts: u32,
) -> Campaign {
    let created = DateTime::from_timestamp(1_733_011_200, 0).unwrap();
    Campaign {
        id: CampaignId::new("c1"),
        name: "prop".into(),
        kind,
        status,
        settings: CampaignSettings {
            audio: None,
            ivr: None,
            sms_template: Some("Hello {{name}}".into()),
            tts_template: None,
            schedule,
            pace: PaceLimits::default(),
            retry: RetryPolicy {
                max_attempts,
                ..RetryPolicy::default()
            },
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

/// Everything `may_dial` reads besides the campaign.
#[derive(Debug, Clone)]
struct World {
    now: DateTime<Utc>,
    schedule: Schedule,
    kind: CampaignKind,
    campaign_status: CampaignStatus,
    max_attempts: u32,
    contact: Contact,
}

impl World {
    fn campaign(&self) -> Campaign {
        campaign(
            self.schedule.clone(),
            self.kind,
            self.campaign_status,
            self.max_attempts,
        )
    }
}

fn contact(
    digits: u64,
    timezone: Option<Tz>,
    status: ContactStatus,
    attempts: u32,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Contact {
    Contact {
        id: ContactId::new(format!("k{digits}")),
        campaign_id: CampaignId::new("c1"),
        phone: PhoneNumber::from_e164(&format!("+97250{digits:07}")).unwrap(),
        line_type: LineType::Mobile,
        delivery: Delivery::Sms,
        timezone,
        metadata: Default::default(),
        status,
        attempts,
        next_attempt_at,
        last_attempt_at: None,
        last_outcome: None,
        settled_attempts: 0,
        history: Vec::new(),
    }
}

/// Any combination of campaign and contact state.
fn world() -> impl Strategy<Value = World> {
    instant().prop_flat_map(|now| {
        (
            schedule_around(now),
            kind(),
            campaign_status(),
            1u32..5,
            0u64..10_000_000,
            proptest::option::of(zone()),
            contact_status(),
            0u32..6,
            proptest::option::of(-3000i64..3000),
        )
            .prop_map(
                move |(schedule, kind, cs, max_attempts, digits, tz, status, attempts, due)| {
                    World {
                        now,
                        schedule,
                        kind,
                        campaign_status: cs,
                        max_attempts,
                        contact: contact(
                            digits,
                            tz,
                            status,
                            attempts,
                            due.map(|m| now + TimeDelta::minutes(m)),
                        ),
                    }
                },
            )
    })
}

/// Whether `now` is inside the campaign bounds and (if any) a window in the
/// contact's zone, computed here from the raw fields.
fn inside_schedule(s: &Schedule, contact_tz: Option<Tz>, now: DateTime<Utc>) -> bool {
    let in_bounds = s.start.is_none_or(|st| now >= st) && s.end.is_none_or(|e| now < e);
    let local = now
        .with_timezone(&contact_tz.unwrap_or(s.timezone))
        .naive_local();
    let in_window = s.windows.is_empty()
        || s.windows.iter().any(|w| {
            w.days.contains(&local.weekday()) && w.start <= local.time() && local.time() < w.end
        });
    in_bounds && in_window
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Property 10: Blacklist pre-dial check
    #[test]
    fn a_blacklisted_number_is_never_dialled(w in world()) {
        prop_assert!(may_dial(&w.campaign(), &w.contact, true, w.now).is_err());
    }

    // Property 10: Blacklist pre-dial check
    #[test]
    fn only_the_blacklisted_numbers_of_a_list_are_refused_for_it(
        w in world(),
        listed in proptest::collection::btree_set(0u64..50, 0..20),
        candidates in proptest::collection::vec(0u64..50, 1..20),
    ) {
        // A do-not-call list and a batch of contacts drawn from the same
        // numbers: whoever is on the list is refused, whatever else holds.
        let c = w.campaign();
        for n in candidates {
            let mut k = w.contact.clone();
            k.phone = PhoneNumber::from_e164(&format!("+97250{n:07}")).unwrap();
            let blacklisted = listed.contains(&n);
            let gate = may_dial(&c, &k, blacklisted, w.now);
            if blacklisted {
                prop_assert_eq!(gate, Err(SkipReason::Blacklisted));
            } else {
                prop_assert_eq!(gate, may_dial(&c, &w.contact, false, w.now));
            }
        }
    }

    // Property 11: Blacklisted number outcome marking
    #[test]
    fn the_reason_for_a_blacklisted_number_is_blacklisted(w in world()) {
        // Checked before the contact state, the campaign state, the end,
        // the attempts and the window: the outcome recorded is Blacklisted.
        prop_assert_eq!(
            may_dial(&w.campaign(), &w.contact, true, w.now),
            Err(SkipReason::Blacklisted)
        );
    }

    // Property 24: SMS campaign time window compliance
    #[test]
    fn an_sms_campaign_sends_only_inside_the_window(w in world()) {
        let mut sms = w.campaign();
        sms.kind = CampaignKind::Sms;
        let gate = may_dial(&sms, &w.contact, false, w.now);
        let inside = inside_schedule(&w.schedule, w.contact.timezone, w.now);
        if gate.is_ok() {
            prop_assert!(inside);
        }
        // The same gate as a voice campaign: the kind changes nothing.
        let mut voice = sms.clone();
        voice.kind = CampaignKind::Voice;
        prop_assert_eq!(gate, may_dial(&voice, &w.contact, false, w.now));
    }

    // Property 24: SMS campaign time window compliance
    #[test]
    fn a_due_sms_contact_is_sent_exactly_when_inside_the_window(
        w in world(),
        tz in proptest::option::of(zone()),
    ) {
        let sms = campaign(w.schedule.clone(), CampaignKind::Sms, CampaignStatus::Active, 3);
        let k = contact(1234567, tz, ContactStatus::Pending, 0, None);
        let gate = may_dial(&sms, &k, false, w.now);
        let inside = inside_schedule(&w.schedule, tz, w.now);
        prop_assert_eq!(gate.is_ok(), inside);
        if !inside && !w.schedule.has_ended(w.now) {
            prop_assert_eq!(gate, Err(SkipReason::OutsideWindow));
        }
    }

    // Property 28: Blacklist enforcement in SMS campaigns
    #[test]
    fn an_sms_campaign_never_texts_a_blacklisted_contact(w in world()) {
        let mut sms = w.campaign();
        sms.kind = CampaignKind::Sms;
        sms.status = CampaignStatus::Active;
        prop_assert_eq!(
            may_dial(&sms, &w.contact, true, w.now),
            Err(SkipReason::Blacklisted)
        );
        // Even a fully due contact inside an open schedule.
        let open = Schedule { start: None, end: None, windows: Vec::new(), ..w.schedule.clone() };
        let always = campaign(open, CampaignKind::Sms, CampaignStatus::Active, 3);
        let due = contact(7654321, w.contact.timezone, ContactStatus::Pending, 0, None);
        prop_assert_eq!(may_dial(&always, &due, false, w.now), Ok(()));
        prop_assert_eq!(may_dial(&always, &due, true, w.now), Err(SkipReason::Blacklisted));
    }
}
