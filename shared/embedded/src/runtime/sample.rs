//! The deterministic generator behind the bundled sample files
//! (`data/sample-contacts.csv`, `data/sample-blacklist.csv`): realistic
//! Israeli numbers written in every common form, duplicates, invalid rows,
//! landlines, a few foreign numbers with their own time zone, and a
//! do-not-call list that covers some of them. A test regenerates the files
//! and compares, so they stay reproducible.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use campaign_core::phone::{LineType, PhoneParser};

const FIRST: [&str; 24] = [
    "Noa", "Yosef", "Tamar", "David", "Maya", "Avi", "Shira", "Eitan", "Yael", "Omer", "Lior",
    "Daniel", "Rivka", "Moshe", "Hila", "Amir", "Miriam", "Itai", "Sarah", "Yonatan", "Dana",
    "Ariel", "Rachel", "Nadav",
];
const LAST: [&str; 16] = [
    "Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Dahan", "Avraham", "Friedman", "Azulay",
    "Katz", "Yosef", "Amsalem", "Ohana", "Malka", "Shapiro", "Goldberg",
];
const CITIES: [(&str, &str); 6] = [
    ("Jerusalem", "2"),
    ("Tel Aviv", "3"),
    ("Haifa", "4"),
    ("Beer Sheva", "8"),
    ("Netanya", "9"),
    ("Ashdod", "8"),
];
const MOBILE_PREFIXES: [&str; 6] = ["50", "52", "53", "54", "55", "58"];

pub struct SampleFiles {
    pub contacts_csv: String,
    pub blacklist_csv: String,
}

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    // A leading 2–9 keeps clear of the short test ranges some validators reject.
    let mut s = String::with_capacity(n);
    s.push(char::from(b'0' + rng.random_range(2..=9u8)));
    for _ in 1..n {
        s.push(char::from(b'0' + rng.random_range(0..=9u8)));
    }
    s
}

/// A national significant number (no leading 0) the parser accepts as the wanted type.
fn valid_number(rng: &mut ChaCha8Rng, parser: &PhoneParser, landline: bool, area: &str) -> String {
    loop {
        let nsn = if landline {
            format!("{area}{}", digits(rng, 7))
        } else {
            format!(
                "{}{}",
                MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())],
                digits(rng, 7)
            )
        };
        let want = if landline {
            LineType::FixedLine
        } else {
            LineType::Mobile
        };
        if parser
            .parse(&format!("+972{nsn}"))
            .is_ok_and(|p| p.line_type == want)
        {
            return nsn;
        }
    }
}

/// Writes an Israeli national significant number the way people do.
fn written(rng: &mut ChaCha8Rng, nsn: &str, landline: bool) -> String {
    let (a, rest) = nsn.split_at(if landline { 1 } else { 2 });
    let (b, c) = rest.split_at(3);
    match rng.random_range(0..6) {
        0 => format!("0{a}-{b}-{c}"),
        1 => format!("+972 {a} {b} {c}"),
        2 => format!("972{nsn}"),
        3 => format!("0{nsn}"),
        // A spreadsheet that stored the number as a numeric cell lost the 0.
        4 => nsn.to_owned(),
        _ => format!("(0{a}) {b}-{c}"),
    }
}

/// `n` data rows and a do-not-call list, deterministic for `seed`.
pub fn generate(n: usize, seed: u64) -> SampleFiles {
    let parser = PhoneParser::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = vec!["phone,first_name,last_name,city,amount,timezone".to_owned()];
    let mut valid: Vec<String> = Vec::new();
    let mut blacklist = vec!["phone,reason".to_owned()];
    for i in 0..n {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let (mut city, area) = CITIES[rng.random_range(0..CITIES.len())];
        let amount = rng.random_range(1..=40) * 18;
        let roll: f64 = rng.random();
        let (phone, tz) = if roll < 0.02 {
            // Invalid: a typo with letters, too short, or empty.
            let bad = match i % 3 {
                0 => format!(
                    "05{}-12A-45{}",
                    rng.random_range(0..9),
                    rng.random_range(10..99)
                ),
                1 => rng.random_range(1000..99999).to_string(),
                _ => String::new(),
            };
            (bad, "")
        } else if roll < 0.05 && !valid.is_empty() {
            // A duplicate of an earlier row, written differently.
            let nsn = valid[rng.random_range(0..valid.len())].clone();
            (written(&mut rng, &nsn, false), "")
        } else if roll < 0.07 {
            // An American supporter, called in their own time zone.
            let line = loop {
                let l = format!(
                    "+1 212 {} {}",
                    rng.random_range(200..999),
                    rng.random_range(1000..9999)
                );
                if parser.parse(&l).is_ok() {
                    break l;
                }
            };
            city = "New York";
            (line, "America/New_York")
        } else {
            let landline = roll < 0.17;
            let nsn = valid_number(&mut rng, &parser, landline, area);
            if !landline {
                valid.push(nsn.clone());
            }
            if rng.random_bool(0.01) {
                blacklist.push(format!("+972{nsn},asked not to be called (2025 campaign)"));
            }
            (written(&mut rng, &nsn, landline), "")
        };
        let phone = if phone.contains(',') {
            format!("\"{phone}\"")
        } else {
            phone
        };
        rows.push(format!("{phone},{first},{last},{city},{amount},{tz}"));
    }
    // Listed numbers that are not in this file: a real list is wider.
    for _ in 0..5 {
        let nsn = valid_number(&mut rng, &parser, false, "");
        blacklist.push(format!("0{nsn},national do-not-call register"));
    }
    SampleFiles {
        contacts_csv: rows.join("\n") + "\n",
        blacklist_csv: blacklist.join("\n") + "\n",
    }
}

/// The sizes and seed of the bundled files.
pub const SAMPLE_ROWS: usize = 3000;
pub const SAMPLE_SEED: u64 = 2026;
