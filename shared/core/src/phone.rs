//! Phone numbers: parsing any common written form into E.164, line-type
//! classification, and masking for logs.
//!
//! STUB: the public API below is fixed; bodies are filled in by the phone/import work.

use serde::{Deserialize, Serialize};

/// A valid phone number in E.164 form (`+972502345678`). Parsed once at the
/// edge; valid everywhere after that.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct PhoneNumber(String);

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
        Ok(Self(s.to_owned()))
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

impl PhoneParser {
    pub fn new(region: &str) -> Result<Self, PhoneError> {
        let _ = region;
        todo!("phone parser")
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn parse(&self, raw: &str) -> Result<ParsedPhone, PhoneError> {
        let _ = raw;
        todo!("phone parser")
    }
}
