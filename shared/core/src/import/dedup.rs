//! De-duplication by E.164 under a [`DedupRule`].

use std::collections::{BTreeSet, HashMap};

use super::header::{is_timezone_header, normalize_header};
use super::{DedupRule, ImportedContact};

/// Folds contacts with the same number into one, in order of each number's
/// first appearance. Returns the kept contacts and how many were folded.
///
/// - `KeepFirst`: the first row stays as it is.
/// - `KeepLast`: the last row's data and row number replace the earlier ones
///   (the contact keeps the position of the number's first appearance).
/// - `Merge`: the first row's number and row stay; a metadata key it lacks
///   (or has blank) is filled from later rows in order; a key listed in
///   `priority_fields` (compared like headers: case, spaces and underscores
///   ignored) takes the latest non-empty value. The time zone is the first
///   one given, unless a time-zone alias (`timezone`, `tz`...) is listed as a
///   priority field, in which case the latest one given wins.
pub fn deduplicate(
    contacts: Vec<ImportedContact>,
    rule: &DedupRule,
) -> (Vec<ImportedContact>, usize) {
    let priority: BTreeSet<String> = match rule {
        DedupRule::Merge { priority_fields } => priority_fields
            .iter()
            .map(|f| normalize_header(f))
            .collect(),
        _ => BTreeSet::new(),
    };
    let timezone_priority = priority.iter().any(|f| is_timezone_header(f));

    let mut kept: Vec<ImportedContact> = Vec::with_capacity(contacts.len());
    let mut position = HashMap::with_capacity(contacts.len());
    let mut duplicates = 0;
    for contact in contacts {
        let Some(&i) = position.get(&contact.phone) else {
            position.insert(contact.phone.clone(), kept.len());
            kept.push(contact);
            continue;
        };
        duplicates += 1;
        let Some(first) = kept.get_mut(i) else {
            continue;
        };
        match rule {
            DedupRule::KeepFirst => {}
            DedupRule::KeepLast => *first = contact,
            DedupRule::Merge { .. } => merge(first, contact, &priority, timezone_priority),
        }
    }
    (kept, duplicates)
}

fn merge(
    kept: &mut ImportedContact,
    later: ImportedContact,
    priority: &BTreeSet<String>,
    timezone_priority: bool,
) {
    for (key, value) in later.metadata {
        if value.trim().is_empty() {
            continue;
        }
        let wins = priority.contains(&normalize_header(&key))
            || kept.metadata.get(&key).is_none_or(|v| v.trim().is_empty());
        if wins {
            kept.metadata.insert(key, value);
        }
    }
    if later.timezone.is_some() && (kept.timezone.is_none() || timezone_priority) {
        kept.timezone = later.timezone;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::phone::{Delivery, LineType, PhoneNumber};

    fn contact(row: usize, phone: &str, meta: &[(&str, &str)]) -> ImportedContact {
        ImportedContact {
            row,
            phone: PhoneNumber::from_e164(phone).expect("valid e164"),
            line_type: LineType::Mobile,
            delivery: Delivery::Sms,
            timezone: None,
            metadata: meta
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    fn sample() -> Vec<ImportedContact> {
        let mut a3 = contact(4, "+972502345678", &[("name", "Dana L"), ("amount", "30")]);
        a3.timezone = Some(chrono_tz::America::New_York);
        let mut a2 = contact(3, "+972502345678", &[("city", "Haifa"), ("amount", "20")]);
        a2.timezone = Some(chrono_tz::Asia::Jerusalem);
        vec![
            contact(2, "+972502345678", &[("name", "Dana"), ("amount", "")]),
            contact(5, "+972523456789", &[("name", "Avi")]),
            a2,
            a3,
        ]
    }

    #[test]
    fn keep_first_keeps_the_first_row() {
        let (kept, dups) = deduplicate(sample(), &DedupRule::KeepFirst);
        assert_eq!(dups, 2);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].row, 2);
        assert_eq!(kept[0].metadata["name"], "Dana");
        assert_eq!(kept[1].row, 5);
    }

    #[test]
    fn keep_last_takes_the_last_row_in_first_position() {
        let (kept, dups) = deduplicate(sample(), &DedupRule::KeepLast);
        assert_eq!(dups, 2);
        assert_eq!(kept[0].row, 4);
        assert_eq!(kept[0].metadata["name"], "Dana L");
        assert_eq!(kept[0].timezone, Some(chrono_tz::America::New_York));
        assert!(!kept[0].metadata.contains_key("city"));
        assert_eq!(kept[1].row, 5);
    }

    #[test]
    fn merge_fills_gaps_and_priority_fields_take_the_latest() {
        let rule = DedupRule::Merge {
            priority_fields: vec!["Amount".into()],
        };
        let (kept, dups) = deduplicate(sample(), &rule);
        assert_eq!(dups, 2);
        let c = &kept[0];
        assert_eq!(c.row, 2);
        assert_eq!(
            c.metadata["name"], "Dana",
            "not a priority field: first wins"
        );
        assert_eq!(c.metadata["city"], "Haifa", "missing key filled");
        assert_eq!(c.metadata["amount"], "30", "priority field: latest wins");
        assert_eq!(c.timezone, Some(chrono_tz::Asia::Jerusalem), "first given");

        let rule = DedupRule::Merge {
            priority_fields: vec!["time zone".into()],
        };
        let (kept, _) = deduplicate(sample(), &rule);
        assert_eq!(kept[0].timezone, Some(chrono_tz::America::New_York));
        assert_eq!(
            kept[0].metadata["amount"], "20",
            "blank first value is filled"
        );
    }
}
