//! Phone numbers: parsing any common written form into E.164, line-type
//! classification, and masking for logs.
//!
//! [`PhoneParser::parse`] accepts the forms people and spreadsheets write
//! (`050-234-5678`, `+972 50 234 5678`, `972502345678`, `(03) 123-4567`,
//! `502345678` from a numeric cell that lost its leading 0, `tel:` URIs) and
//! yields E.164 with a [`LineType`]. Validation and classification use
//! libphonenumber's metadata (the `phonenumber` crate), applied with
//! libphonenumber's whole-number matching (the crate alone only anchors its
//! patterns at the start and so accepts numbers with trailing extra digits).
//! Our own rules decide which characters may appear, how a float cell's
//! text is read, and how digits that begin with the calling code are read.
//!
//! Line types: `Mobile`, `FixedLine` and `Voip` as the metadata says
//! (in Israel 05x mobile, 02/03/04/08/09 and 153 fixed, 07x VoIP); every
//! other type, including North America's `FixedLineOrMobile`, toll-free
//! (1-800) and shared-cost (1-700), is [`LineType::Unknown`].

use std::str::FromStr;

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, ParseError, Type, country};
use serde::{Deserialize, Serialize};

/// A valid phone number in E.164 form (`+972502345678`). Parsed once at the
/// edge; valid everywhere after that.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(std::sync::Arc<str>);

/// The schema says what `from_e164` accepts, so a message with a number in
/// any other form fails validation, not just decoding.
impl schemars::JsonSchema for PhoneNumber {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PhoneNumber".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "E.164: + then 8 to 15 digits, no leading 0",
            "pattern": "^\\+[1-9][0-9]{7,14}$"
        })
    }
}

impl PhoneNumber {
    /// Accepts a string already in E.164 form (`+` then 8–15 digits, no
    /// leading 0). Used for values read back from stores and messages.
    pub fn from_e164(s: &str) -> Result<Self, PhoneError> {
        let digits = s.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        if !(8..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(PhoneError::NotE164);
        }
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with every digit but the last three replaced by `*`, for logs.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PhoneNumber::from_e164(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks all but the last three digits of any string that may hold a number.
pub fn mask(s: &str) -> String {
    let total = s.chars().filter(|c| c.is_ascii_digit()).count();
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 3 <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

/// What kind of line a number is. Types the numbering plan cannot tell apart
/// (`FixedLineOrMobile` in North America) and anything else are `Unknown`.
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
#[serde(rename_all = "snake_case")]
pub enum LineType {
    Mobile,
    FixedLine,
    Voip,
    Unknown,
}

impl LineType {
    pub fn as_str(self) -> &'static str {
        match self {
            LineType::Mobile => "mobile",
            LineType::FixedLine => "fixed_line",
            LineType::Voip => "voip",
            LineType::Unknown => "unknown",
        }
    }
}

/// How a follow-up message (key 1) reaches the contact.
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
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Sms,
    /// A text-to-speech call: landlines cannot take SMS.
    Tts,
}

impl Delivery {
    /// Landlines get TTS; every other type tries SMS first (an SMS failure
    /// still falls back to TTS at send time).
    pub fn for_line_type(line_type: LineType) -> Self {
        match line_type {
            LineType::FixedLine => Delivery::Tts,
            _ => Delivery::Sms,
        }
    }
}

/// A parsed, valid number with its line type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPhone {
    pub number: PhoneNumber,
    pub line_type: LineType,
}

/// Why a string is not a valid phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("empty value")]
    Empty,
    #[error("not in E.164 form")]
    NotE164,
    #[error("unknown region code {0:?}")]
    UnknownRegion(String),
    #[error("contains characters that cannot be in a phone number")]
    InvalidCharacters,
    #[error("too short to be a phone number")]
    TooShort,
    #[error("too long to be a phone number")]
    TooLong,
    #[error("not a valid number for its region")]
    InvalidForRegion,
    #[error("unparseable: {0}")]
    Unparseable(String),
}

/// Parses numbers with a default region for numbers written without a
/// country code (Israel, `IL`, unless configured).
#[derive(Debug, Clone)]
pub struct PhoneParser {
    region: String,
}

impl Default for PhoneParser {
    fn default() -> Self {
        Self {
            region: "IL".into(),
        }
    }
}

/// Most digits a written number may carry: 15 for E.164 plus room for a
/// dialling prefix such as `00` or Israel's carrier prefixes (`012`..`019`).
const MAX_WRITTEN_DIGITS: usize = 18;

/// Most digits in an E.164 number (without the `+`).
const MAX_E164_DIGITS: usize = 15;

impl PhoneParser {
    /// A parser whose default region is the given ISO 3166 alpha-2 code
    /// (case-insensitive, surrounding spaces ignored). Fails with
    /// [`PhoneError::UnknownRegion`] for codes the numbering plan does not know.
    pub fn new(region: &str) -> Result<Self, PhoneError> {
        let code = region.trim().to_ascii_uppercase();
        match country_id(&code) {
            Some(_) => Ok(Self { region: code }),
            None => Err(PhoneError::UnknownRegion(region.to_owned())),
        }
    }

    /// The default region, upper-case (`IL`).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Parses a written number into E.164 and classifies its line type.
    ///
    /// Accepted: digits with spaces (including non-breaking ones), dots,
    /// dashes, slashes and parentheses; one leading `+`; a leading `tel:`;
    /// a spreadsheet float's text (`502345678.0`); the national prefix
    /// (`050…`) or none (`50…`, a numeric cell that lost its leading 0);
    /// `00`-style international prefixes; the default region's calling code
    /// without `+` (`972502345678`), read as international unless the digits
    /// as written (with the national prefix restored) are a valid national
    /// number (`97234567` is 09-7234567 from a numeric cell).
    /// Rejected: letters (no vanity numbers, no `ext.`), any other symbol
    /// (including scientific notation such as `5.02E+8`, which has lost
    /// digits), and numbers the numbering plan does not hold as valid.
    /// Valid numbers shorter than 8 digits in E.164 (a few small islands) are
    /// refused as too short so that every result reads back through
    /// [`PhoneNumber::from_e164`].
    pub fn parse(&self, raw: &str) -> Result<ParsedPhone, PhoneError> {
        let id = country_id(&self.region)
            .ok_or_else(|| PhoneError::UnknownRegion(self.region.clone()))?;
        let written = normalize(raw)?;
        // The crate has a few `unwrap`s on odd inputs; a panic there must not
        // take an import (or a Lambda) down, so it becomes an error.
        std::panic::catch_unwind(|| parse_normalized(id, &written))
            .unwrap_or_else(|_| Err(PhoneError::Unparseable("number parser failed".into())))
    }
}

/// The crate's region for an upper-case code, if its numbering plan is known.
fn country_id(code: &str) -> Option<country::Id> {
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let id = country::Id::from_str(code).ok()?;
    DATABASE.by_id(id.as_ref())?;
    Some(id)
}

/// Characters that carry no meaning in a written number: spaces of every
/// kind and the invisible direction/joiner marks Hebrew text often carries.
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// Visual separators people put between digit groups.
fn is_separator(c: char) -> bool {
    is_blank(c)
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Reduces a written number to `+digits` or `digits`, or says why it cannot be one.
fn normalize(raw: &str) -> Result<String, PhoneError> {
    let text = raw.trim_matches(is_blank);
    let text = strip_prefix_ignore_case(text, "tel:")
        .unwrap_or(text)
        .trim_matches(is_blank);
    if text.is_empty() {
        return Err(PhoneError::Empty);
    }
    let text = strip_float_suffix(text);

    let mut out = String::with_capacity(text.len());
    let mut plus = false;
    for c in text.chars() {
        match c {
            '0'..='9' => out.push(c),
            // One `+`, before any digit: "(+972) 50…" is fine, "050+1" is not.
            '+' if !plus && out.is_empty() => plus = true,
            c if is_separator(c) => {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    if out.is_empty() {
        return Err(PhoneError::TooShort);
    }
    if out.len() > MAX_WRITTEN_DIGITS {
        return Err(PhoneError::TooLong);
    }
    if plus {
        if out.starts_with('0') {
            return Err(PhoneError::Unparseable(
                "no country calling code starts with 0".into(),
            ));
        }
        out.insert(0, '+');
    }
    Ok(out)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `502345678.0` (a float cell's text) -> `502345678`. Only an all-digit
/// integer part with an all-zero fraction qualifies, so `050.234.5678` and
/// `12.5` are left alone.
fn strip_float_suffix(text: &str) -> &str {
    let Some((int, frac)) = text.split_once('.') else {
        return text;
    };
    let digits = int.strip_prefix('+').unwrap_or(int);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
    {
        int
    } else {
        text
    }
}

/// Reads `+digits` / `digits` for a region. Digits that start with the
/// region's calling code but no `+` have two readings: national (`97200000`
/// is Netanya's 09-7200000 that lost its 0) and international
/// (`972502345678`). The crate strips the code whenever the region's general
/// length data says so, which is too eager for such numbers, so the national
/// reading is tried first (by restoring the national prefix) and wins when it
/// is a valid number; otherwise the crate's own reading stands.
fn parse_normalized(id: country::Id, written: &str) -> Result<ParsedPhone, PhoneError> {
    if let Some(national) = forced_national(id, written)
        && let Ok(parsed) = read_number(id, &national)
    {
        return Ok(parsed);
    }
    read_number(id, written)
}

/// `digits` with the region's national prefix restored, when `digits`
/// starts with the region's calling code (and not already with the prefix).
fn forced_national(id: country::Id, written: &str) -> Option<String> {
    if written.starts_with('+') {
        return None;
    }
    let meta = DATABASE.by_id(id.as_ref())?;
    let prefix = meta.national_prefix()?;
    let code = meta.country_code().to_string();
    (written.starts_with(&code) && !written.starts_with(prefix))
        .then(|| format!("{prefix}{written}"))
}

fn read_number(id: country::Id, written: &str) -> Result<ParsedPhone, PhoneError> {
    let number = phonenumber::parse(Some(id), written).map_err(|e| match e {
        // Only digits reach the crate, so "no number" means too few of them.
        ParseError::NoNumber | ParseError::TooShortAfterIdd | ParseError::TooShortNsn => {
            PhoneError::TooShort
        }
        ParseError::TooLong | ParseError::MalformedInteger(_) => PhoneError::TooLong,
        ParseError::InvalidCountryCode => {
            PhoneError::Unparseable("unknown country calling code".into())
        }
    })?;
    let e164 = number.format().mode(Mode::E164).to_string();
    let digits = e164.len().saturating_sub(1);
    if digits > MAX_E164_DIGITS {
        return Err(PhoneError::TooLong);
    }
    let Some(number_type) = number_type(number.code().value(), &number.national().to_string())
    else {
        return Err(invalid_reason(&number));
    };
    let line_type = match number_type {
        Type::Mobile => LineType::Mobile,
        Type::FixedLine => LineType::FixedLine,
        Type::Voip => LineType::Voip,
        // FixedLineOrMobile (North America) cannot be told apart, and toll-free,
        // shared-cost, premium, UAN, pager... are not lines we can classify.
        _ => LineType::Unknown,
    };
    // Every PhoneNumber must read back through `from_e164` (8-15 digits);
    // the few valid plans with shorter numbers (Niue, ...) are refused.
    let number = PhoneNumber::from_e164(&e164).map_err(|_| {
        if digits < 8 {
            PhoneError::TooShort
        } else {
            PhoneError::TooLong
        }
    })?;
    Ok(ParsedPhone { number, line_type })
}

/// The type of a national number under any region sharing its calling code,
/// or `None` if it is not a valid number.
///
/// The crate's own `is_valid`/`number_type` only anchor the metadata
/// patterns at the start, so `972502345678` passed as a 12-digit Israeli
/// landline (its first 8 digits look like one, and 12 is a possible length
/// for the 153 fax range). This applies libphonenumber's real rule: the
/// whole national number must match a type's pattern and have one of that
/// type's possible lengths.
fn number_type(code: u16, national: &str) -> Option<Type> {
    let regions = DATABASE.by_code(&code)?;
    regions
        .into_iter()
        .find_map(|meta| classify(meta, national))
}

/// libphonenumber's `getNumberTypeHelper` with whole-string matching.
fn classify(meta: &phonenumber::Metadata, national: &str) -> Option<Type> {
    let d = meta.descriptors();
    if !matches_whole(Some(d.general()), national) {
        return None;
    }
    let special = [
        (Type::PremiumRate, d.premium_rate()),
        (Type::TollFree, d.toll_free()),
        (Type::SharedCost, d.shared_cost()),
        (Type::Voip, d.voip()),
        (Type::PersonalNumber, d.personal_number()),
        (Type::Pager, d.pager()),
        (Type::Uan, d.uan()),
        (Type::Voicemail, d.voicemail()),
    ];
    if let Some((kind, _)) = special
        .into_iter()
        .find(|(_, desc)| matches_whole(*desc, national))
    {
        return Some(kind);
    }
    match (
        matches_whole(d.fixed_line(), national),
        matches_whole(d.mobile(), national),
    ) {
        (true, true) => Some(Type::FixedLineOrMobile),
        (true, false) => Some(Type::FixedLine),
        (false, true) => Some(Type::Mobile),
        (false, false) => None,
    }
}

/// True if `national` has one of the descriptor's possible lengths (when it
/// lists any) and matches its whole pattern.
fn matches_whole(desc: Option<&phonenumber::metadata::Descriptor>, national: &str) -> bool {
    let Some(desc) = desc else {
        return false;
    };
    let lengths = desc.possible_length();
    if !lengths.is_empty() && !lengths.iter().any(|&l| usize::from(l) == national.len()) {
        return false;
    }
    // The metadata patterns are written with insignificant whitespace; the
    // crate's shared regex cache compiles the anchored copy once.
    let pattern = format!("(?x)^(?:{})$", desc.national_number().as_str());
    let cache = DATABASE.cache();
    // A poisoned lock only means another thread panicked mid-lookup; the
    // cache itself is still usable.
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .compile(&pattern)
        .is_ok_and(|regex| regex.is_match(national))
}

/// Why a parsed but invalid number is invalid: its national part is shorter
/// or longer than any number of its region, or it has a possible length but
/// falls in no allocated range.
fn invalid_reason(number: &phonenumber::PhoneNumber) -> PhoneError {
    let national_len = number.national().to_string().len();
    let meta = number.metadata(&DATABASE).or_else(|| {
        DATABASE
            .by_code(&number.code().value())
            .and_then(|m| m.into_iter().next())
    });
    // The general descriptor's lengths are often left empty in the bundled
    // metadata, so take the union over the dialable number types.
    let lengths: Vec<u16> = meta
        .map(|m| {
            let d = m.descriptors();
            std::iter::once(Some(d.general()))
                .chain([
                    d.fixed_line(),
                    d.mobile(),
                    d.toll_free(),
                    d.premium_rate(),
                    d.shared_cost(),
                    d.personal_number(),
                    d.voip(),
                    d.pager(),
                    d.uan(),
                    d.voicemail(),
                ])
                .flatten()
                .flat_map(|desc| desc.possible_length().iter().copied())
                .collect()
        })
        .unwrap_or_default();
    let len = u16::try_from(national_len).unwrap_or(u16::MAX);
    match (lengths.iter().min(), lengths.iter().max()) {
        (Some(&min), _) if len < min => PhoneError::TooShort,
        (_, Some(&max)) if len > max => PhoneError::TooLong,
        _ => PhoneError::InvalidForRegion,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn il() -> PhoneParser {
        PhoneParser::default()
    }

    fn e164(raw: &str) -> String {
        match il().parse(raw) {
            Ok(p) => p.number.as_str().to_owned(),
            Err(e) => panic!("{raw:?} should parse, got {e}"),
        }
    }

    fn kind(raw: &str) -> LineType {
        match il().parse(raw) {
            Ok(p) => p.line_type,
            Err(e) => panic!("{raw:?} should parse, got {e}"),
        }
    }

    fn err(raw: &str) -> PhoneError {
        match il().parse(raw) {
            Ok(p) => panic!("{raw:?} should be rejected, got {}", p.number),
            Err(e) => e,
        }
    }

    #[test]
    fn region_is_validated_case_insensitively() {
        assert_eq!(PhoneParser::default().region(), "IL");
        assert_eq!(
            PhoneParser::new("il").map(|p| p.region().to_owned()),
            Ok("IL".into())
        );
        assert_eq!(
            PhoneParser::new(" us ").map(|p| p.region().to_owned()),
            Ok("US".into())
        );
        for bad in ["", "XX", "ISR", "I", "zz", "001", "il!"] {
            assert_eq!(
                PhoneParser::new(bad).map(|p| p.region().to_owned()),
                Err(PhoneError::UnknownRegion(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_written_form_of_one_mobile_gives_the_same_e164() {
        for raw in [
            "050-234-5678",
            "+972 50 234 5678",
            "+972-50-234-5678",
            "+972 (0)50-234-5678",
            "972502345678",
            "00972502345678",
            "0502345678",
            "050.234.5678",
            "(050) 234 5678",
            "502345678",
            "502345678.0",
            "502345678.00",
            "050\u{A0}234\u{A0}5678",
            "\u{200F}050-234-5678\u{200E}",
            "050\u{2013}234\u{2013}5678",
            "  tel:+972-50-234-5678 ",
            "TEL:0502345678",
            "+972502345678",
        ] {
            assert_eq!(e164(raw), "+972502345678", "{raw:?}");
            assert_eq!(kind(raw), LineType::Mobile, "{raw:?}");
        }
    }

    #[test]
    fn israeli_landlines_and_other_mobiles() {
        assert_eq!(e164("02-123-4567"), "+97221234567");
        assert_eq!(e164("(03) 123-4567"), "+97231234567");
        assert_eq!(e164("02-6234567"), "+97226234567");
        assert_eq!(e164("03-6123456"), "+97236123456");
        assert_eq!(e164("04-8234567"), "+97248234567");
        assert_eq!(e164("26234567"), "+97226234567", "lost leading 0");
        // 09-7xx numbers that lost their 0 start with 972 but are national.
        assert_eq!(e164("97200000"), "+97297200000");
        assert_eq!(e164("97234567.0"), "+97297234567");
        assert_eq!(kind("97234567"), LineType::FixedLine);
        // ...while the calling code followed by a full number is international.
        assert_eq!(e164("97297234567"), "+97297234567");
        assert_eq!(e164("97226234567"), "+97226234567");
        // The 153 fax-mail range is 11-12 digits and a fixed line.
        assert_eq!(kind("153-2-6234567"), LineType::FixedLine);
        for raw in [
            "02-123-4567",
            "(03) 123-4567",
            "03-6123456",
            "08-9234567",
            "09-7234567",
        ] {
            assert_eq!(kind(raw), LineType::FixedLine, "{raw:?}");
        }
        for raw in [
            "052-3456789",
            "054-7654321",
            "053-2345678",
            "055-2345678",
            "058-3456789",
        ] {
            assert_eq!(kind(raw), LineType::Mobile, "{raw:?}");
        }
        assert_eq!(e164("052-3456789"), "+972523456789");
        assert_eq!(e164("054-7654321"), "+972547654321");
    }

    #[test]
    fn voip_and_unknown_types() {
        for raw in ["077-3456789", "072-2345678", "073-2345678", "079-2345678"] {
            assert_eq!(kind(raw), LineType::Voip, "{raw:?}");
        }
        assert_eq!(e164("077-3456789"), "+972773456789");
        // Toll-free and shared-cost are valid but are no line we can classify.
        assert_eq!(kind("1-800-123456"), LineType::Unknown);
        assert_eq!(e164("1-800-123456"), "+9721800123456");
        assert_eq!(kind("1700123456"), LineType::Unknown);
        // North America cannot tell fixed from mobile: FixedLineOrMobile -> unknown.
        assert_eq!(e164("+1 212 555 1234"), "+12125551234");
        assert_eq!(kind("+1 (212) 555-1234"), LineType::Unknown);
        // Other countries keep their own classification.
        assert_eq!(kind("+44 20 7946 0958"), LineType::FixedLine);
        assert_eq!(kind("+44 7911 123456"), LineType::Mobile);
    }

    #[test]
    fn default_region_decides_national_forms() {
        let us = PhoneParser::new("US").expect("US is known");
        for raw in [
            "212-555-1234",
            "(212) 555-1234",
            "1 212 555 1234",
            "12125551234",
            "2125551234.0",
        ] {
            assert_eq!(
                us.parse(raw).map(|p| p.number.to_string()),
                Ok("+12125551234".into()),
                "{raw:?}"
            );
        }
        assert_eq!(
            us.parse("+972 50 234 5678").map(|p| p.number.to_string()),
            Ok("+972502345678".into())
        );
        assert!(
            us.parse("050-234-5678").is_err(),
            "an Israeli national form is not a US number"
        );
        let gb = PhoneParser::new("gb").expect("GB is known");
        assert_eq!(
            gb.parse("07911 123456").map(|p| p.number.to_string()),
            Ok("+447911123456".into())
        );
    }

    #[test]
    fn rejections_carry_a_specific_reason() {
        for raw in ["", "   ", "\u{A0}", "tel:", "\u{200F}"] {
            assert_eq!(err(raw), PhoneError::Empty, "{raw:?}");
        }
        for raw in [
            "abc",
            "050-abc-5678",
            "0502345678 ext 12",
            "050234567x",
            "050#2345678",
            "050_234_5678",
            "5.02345678E+8",
            "05023456７8",
            "+972+502345678",
            "0502345678+",
        ] {
            assert_eq!(err(raw), PhoneError::InvalidCharacters, "{raw:?}");
        }
        for raw in ["5", "12", "050", "0-5", "+1", "---", "()", "+972", "972"] {
            assert_eq!(err(raw), PhoneError::TooShort, "{raw:?}");
        }
        for raw in [
            "050234567890123456789",
            "+97250234567890123",
            "1234567890123456",
            "+1 212 555 12345",
            "050-234-56789012",
        ] {
            assert_eq!(err(raw), PhoneError::TooLong, "{raw:?}");
        }
        for raw in [
            "0501234567",
            "050234567",
            "05023456789",
            "058-2345678",
            "+972 50 123 4567",
            "06-1234567",
            // Valid prefix, wrong length: the crate alone accepted these.
            "+972972502345678",
            "972972502345678",
            "03-61234567",
        ] {
            assert_eq!(err(raw), PhoneError::InvalidForRegion, "{raw:?}");
        }
        assert!(matches!(
            err("+999 123 456 789"),
            PhoneError::Unparseable(_)
        ));
        assert!(matches!(err("+0502345678"), PhoneError::Unparseable(_)));
    }

    #[test]
    fn from_e164_accepts_only_e164() {
        assert_eq!(
            PhoneNumber::from_e164("+972502345678").map(|n| n.as_str().to_owned()),
            Ok("+972502345678".into())
        );
        assert!(
            PhoneNumber::from_e164("+12345678").is_ok(),
            "8 digits is the floor"
        );
        assert!(
            PhoneNumber::from_e164("+123456789012345").is_ok(),
            "15 digits is the ceiling"
        );
        for bad in [
            "972502345678",
            "+0502345678",
            "+1234567",
            "+1234567890123456",
            "+97250-2345678",
            "",
            "+",
            "+97250234567a",
        ] {
            assert_eq!(
                PhoneNumber::from_e164(bad),
                Err(PhoneError::NotE164),
                "{bad:?}"
            );
        }
        let json = serde_json::to_string(&PhoneNumber::from_e164("+972502345678").expect("valid"))
            .expect("serializes");
        assert_eq!(json, "\"+972502345678\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"0502345678\"").is_err());
    }

    #[test]
    fn mask_hides_all_but_the_last_three_digits() {
        assert_eq!(mask("+972502345678"), "+*********678");
        assert_eq!(mask("050-234-5678"), "***-***-*678");
        assert_eq!(mask("123"), "123");
        assert_eq!(mask("12"), "12");
        assert_eq!(mask(""), "");
        assert_eq!(mask("abc"), "abc");
        let n = PhoneNumber::from_e164("+12125551234").expect("valid");
        assert_eq!(n.masked(), "+********234");
        assert_eq!(n.to_string(), "+12125551234");
    }

    #[test]
    fn line_type_and_delivery() {
        assert_eq!(LineType::FixedLine.as_str(), "fixed_line");
        assert_eq!(Delivery::for_line_type(LineType::FixedLine), Delivery::Tts);
        for t in [LineType::Mobile, LineType::Voip, LineType::Unknown] {
            assert_eq!(Delivery::for_line_type(t), Delivery::Sms);
        }
    }

    /// A valid Israeli mobile national number (9 digits, no prefix) from
    /// ranges libphonenumber holds as allocated: 50, 52, 53, 54, 56 with a
    /// third digit 2-9.
    fn il_mobile() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!['0', '2', '3', '4', '6']),
            b'2'..=b'9',
            0u32..1_000_000,
        )
            .prop_map(|(second, third, rest)| format!("5{second}{}{rest:06}", third as char))
    }

    /// The ways people and spreadsheets write one national number.
    fn written(national: &str, form: usize) -> String {
        let (a, b) = national.split_at(2);
        let (b, c) = b.split_at(3);
        match form % 12 {
            0 => format!("0{a}-{b}-{c}"),
            1 => format!("+972 {a} {b} {c}"),
            2 => format!("972{national}"),
            3 => format!("0{national}"),
            4 => national.to_owned(),
            5 => format!("{national}.0"),
            6 => format!("(0{a}) {b}-{c}"),
            7 => format!("0{a}.{b}.{c}"),
            8 => format!("\u{A0}0{a}\u{A0}{b}\u{A0}{c} "),
            9 => format!("tel:+972-{a}-{b}-{c}"),
            10 => format!("00972{national}"),
            _ => format!("+972 (0){a}-{b}{c}"),
        }
    }

    proptest! {
        // Property 3: Phone number validation correctness
        #[test]
        fn any_written_form_of_a_valid_mobile_parses_to_one_e164(
            national in il_mobile(),
            form in 0usize..12,
        ) {
            let raw = written(&national, form);
            let parsed = il().parse(&raw);
            prop_assert_eq!(
                parsed.clone().map(|p| (p.number.to_string(), p.line_type)),
                Ok((format!("+972{national}"), LineType::Mobile)),
                "{:?}", raw
            );
            // Idempotent: the E.164 output parses to itself, whatever the
            // default region.
            let parsed = parsed.map_err(|e| TestCaseError::fail(e.to_string()))?;
            for parser in [il(), PhoneParser::new("US").expect("US")] {
                prop_assert_eq!(parser.parse(parsed.number.as_str()), Ok(parsed.clone()));
            }
        }

        // Property 3: Phone number validation correctness
        #[test]
        fn letters_are_rejected_wherever_they_appear(
            national in il_mobile(),
            form in 0usize..12,
            at in 0usize..20,
            letter in "[a-zA-Zא-ת]",
        ) {
            let raw = written(&national, form);
            // Insert after "tel:" if present so the prefix itself stays intact.
            let chars: Vec<char> = raw.chars().collect();
            let start = if raw.starts_with("tel:") { 4 } else { 0 };
            let at = start + at % (chars.len() - start + 1);
            let mut bad: String = chars[..at].iter().collect();
            bad.push_str(&letter);
            bad.extend(&chars[at..]);
            prop_assert_eq!(il().parse(&bad).map(|p| p.number), Err(PhoneError::InvalidCharacters), "{:?}", bad);
        }

        // Property 3: Phone number validation correctness
        #[test]
        fn wrong_length_mobiles_are_rejected(
            national in il_mobile(),
            cut in 1usize..8,
            extra in "[0-9]{1,9}",
        ) {
            let short = &national[..national.len() - cut];
            prop_assert!(il().parse(&format!("0{short}")).is_err(), "0{}", short);
            prop_assert!(il().parse(&format!("+972{short}")).is_err(), "+972{}", short);
            let long = format!("{national}{extra}");
            prop_assert!(il().parse(&format!("0{long}")).is_err(), "0{}", long);
            prop_assert!(il().parse(&format!("+972{long}")).is_err(), "+972{}", long);
        }

        // Property 3: Phone number validation correctness
        #[test]
        fn parse_is_idempotent_and_agrees_with_from_e164(raw in "[+]?[0-9 ()-]{0,16}") {
            for parser in [il(), PhoneParser::new("US").expect("US"), PhoneParser::new("GB").expect("GB")] {
                if let Ok(p) = parser.parse(&raw) {
                    let again = parser.parse(p.number.as_str());
                    prop_assert_eq!(again, Ok(p.clone()), "{:?}", raw);
                    // Independent of the default region once in E.164.
                    prop_assert_eq!(il().parse(p.number.as_str()), Ok(p.clone()));
                    prop_assert_eq!(PhoneNumber::from_e164(p.number.as_str()), Ok(p.number.clone()));
                    prop_assert_eq!(p.number.masked().len(), p.number.as_str().len());
                }
            }
        }

        // Property 3: Phone number validation correctness
        #[test]
        fn never_panics_and_accepts_only_digits_and_separators(raw in "\\PC{0,30}") {
            for parser in [il(), PhoneParser::new("US").expect("US"), PhoneParser::new("DE").expect("DE")] {
                if parser.parse(&raw).is_ok() {
                    let body = raw.trim_matches(is_blank);
                    let body = strip_prefix_ignore_case(body, "tel:").unwrap_or(body);
                    prop_assert!(
                        body.chars().all(|c| c.is_ascii_digit() || c == '+' || is_separator(c)),
                        "{:?} was accepted", raw
                    );
                }
            }
        }
    }
}
