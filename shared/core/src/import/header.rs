//! Header detection: which column holds the phone, which the time zone, and
//! the metadata key every other column is stored under.

use std::collections::BTreeSet;

/// Header names recognised as the phone column, most specific first: when
/// several columns match, the one whose alias comes first here wins (so a
/// "phone" column beats an "order number" one). Compared after
/// [`normalize_header`], so `Phone Number`, `PHONE_NUMBER` and `phone-number`
/// all match `phone_number`.
pub const PHONE_HEADER_ALIASES: &[&str] = &[
    "phone",
    "phone_number",
    "phonenumber",
    "phone_no",
    "mobile",
    "mobile_number",
    "mobile_phone",
    "cell",
    "cellphone",
    "cell_number",
    "tel",
    "telephone",
    "telephone_number",
    "msisdn",
    "טלפון",
    "מספר טלפון",
    "נייד",
    "טלפון נייד",
    "number",
];

/// Header names recognised as the time-zone column (IANA names in cells).
pub const TIMEZONE_HEADER_ALIASES: &[&str] = &["timezone", "time_zone", "tz"];

/// Lower-cases a header and drops spaces, underscores, dashes, dots and the
/// invisible marks spreadsheets and Hebrew text carry, so that spelling
/// variants of one name compare equal.
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| {
            !(c.is_whitespace()
                || matches!(
                    c,
                    '_' | '-'
                        | '.'
                        | '\u{200B}'..='\u{200F}'
                        | '\u{202A}'..='\u{202E}'
                        | '\u{2060}'..='\u{2069}'
                        | '\u{FEFF}'
                ))
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// True if the header names a phone column.
pub fn is_phone_header(header: &str) -> bool {
    alias_rank(PHONE_HEADER_ALIASES, header).is_some()
}

/// True if the header names a time-zone column.
pub fn is_timezone_header(header: &str) -> bool {
    alias_rank(TIMEZONE_HEADER_ALIASES, header).is_some()
}

fn alias_rank(aliases: &[&str], header: &str) -> Option<usize> {
    let name = normalize_header(header);
    if name.is_empty() {
        return None;
    }
    aliases.iter().position(|a| normalize_header(a) == name)
}

/// Where things are in a table, decided from its header row.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub phone: usize,
    pub timezone: Option<usize>,
    /// Metadata key of each header column (the phone and time-zone columns
    /// have one too but it is not used).
    keys: Vec<String>,
    /// Added to a 0-based column index to give the number a person sees.
    column_base: usize,
}

impl Layout {
    /// Finds the phone and time-zone columns. `None` if no header is a phone
    /// alias. `column_base` is the 1-based number of the first column.
    pub fn detect(headers: &[String], column_base: usize) -> Option<Layout> {
        let best = |aliases: &[&str]| {
            headers
                .iter()
                .enumerate()
                .filter_map(|(i, h)| alias_rank(aliases, h).map(|rank| (rank, i)))
                .min()
                .map(|(_, i)| i)
        };
        let phone = best(PHONE_HEADER_ALIASES)?;
        let timezone = best(TIMEZONE_HEADER_ALIASES);

        // Metadata keys are the header texts, trimmed; an empty header becomes
        // `column_N` and a repeated one `name_2`, `name_3`... so no cell is
        // lost to a key collision.
        let mut taken = BTreeSet::new();
        let keys = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = h.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
                let base = if h.is_empty() {
                    format!("column_{}", i + column_base)
                } else {
                    h.to_owned()
                };
                unique(&mut taken, base)
            })
            .collect();
        Some(Layout {
            phone,
            timezone,
            keys,
            column_base,
        })
    }

    /// The metadata key for column `i` (cells past the header's width get
    /// `column_N`).
    pub fn key(&self, i: usize) -> String {
        match self.keys.get(i) {
            Some(k) => k.clone(),
            None => {
                let base = format!("column_{}", i + self.column_base);
                if self.keys.contains(&base) {
                    format!("{base}_extra")
                } else {
                    base
                }
            }
        }
    }
}

fn unique(taken: &mut BTreeSet<String>, base: String) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aliases_match_regardless_of_case_spaces_and_underscores() {
        for h in [
            "Phone",
            "PHONE_NUMBER",
            "Phone Number",
            "phone-number",
            "PhoneNumber",
            "mobile",
            "Mobile Number",
            "cell",
            "Cell Phone",
            "tel",
            "Telephone",
            "number",
            "MSISDN",
            "טלפון",
            " נייד ",
            "\u{FEFF}phone",
        ] {
            assert!(is_phone_header(h), "{h:?} should be a phone header");
        }
        for h in ["first_name", "phones", "", "amount", "email"] {
            assert!(!is_phone_header(h), "{h:?} is not a phone header");
        }
        for h in ["timezone", "Time Zone", "time_zone", "TZ"] {
            assert!(is_timezone_header(h), "{h:?} should be a time-zone header");
        }
    }

    #[test]
    fn most_specific_alias_wins_and_keys_are_unique() {
        let layout = Layout::detect(&headers(&["number", "name", "Phone", "tz", "name", ""]), 1)
            .expect("has a phone column");
        assert_eq!(layout.phone, 2);
        assert_eq!(layout.timezone, Some(3));
        assert_eq!(layout.key(1), "name");
        assert_eq!(layout.key(4), "name_2");
        assert_eq!(layout.key(5), "column_6");
        assert_eq!(layout.key(0), "number");
        assert_eq!(layout.key(7), "column_8");
    }

    #[test]
    fn no_phone_alias_means_no_layout() {
        assert!(Layout::detect(&headers(&["name", "email"]), 1).is_none());
    }
}
