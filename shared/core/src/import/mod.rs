//! Contact import: CSV and XLSX, header detection with aliases, validation,
//! de-duplication by E.164, and a summary whose counts equal what happened.
//!
//! STUB: the public API below is fixed; bodies are filled in by the phone/import work.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::phone::{Delivery, LineType, PhoneNumber, PhoneParser};

/// What to do when two rows carry the same number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum DedupRule {
    #[default]
    KeepFirst,
    KeepLast,
    /// Keep the first row; fill its empty fields from later rows, except that
    /// the listed priority fields take the latest non-empty value.
    Merge {
        priority_fields: Vec<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub parser: PhoneParser,
    pub dedup: DedupRule,
}

/// The file formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// From a file name's extension, falling back to the content (XLSX files
    /// are ZIP archives and start with `PK`).
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> Option<FileFormat> {
        let _ = (file_name, bytes);
        todo!("format detection")
    }
}

/// One imported contact. `row` is the 1-based line/row number in the file
/// (the header is row 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedContact {
    pub row: usize,
    pub phone: PhoneNumber,
    pub line_type: LineType,
    pub delivery: Delivery,
    pub timezone: Option<Tz>,
    pub metadata: BTreeMap<String, String>,
}

/// A row that was rejected, with its row number, the raw value and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidRow {
    pub row: usize,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportSummary {
    pub total_rows: usize,
    pub imported: usize,
    pub duplicates: usize,
    pub invalid: usize,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub summary: ImportSummary,
    pub contacts: Vec<ImportedContact>,
    pub errors: Vec<InvalidRow>,
}

/// The file as a whole could not be read (rows with bad values are not
/// errors: they are reported in [`ImportReport::errors`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("no phone column found; headers were: {headers:?}")]
    NoPhoneColumn { headers: Vec<String> },
    #[error("CSV error at line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("cannot read the spreadsheet: {0}")]
    Xlsx(String),
    #[error("unsupported file format")]
    UnsupportedFormat,
}

pub fn import_csv<R: std::io::Read>(
    reader: R,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let _ = (reader, options);
    todo!("csv import")
}

pub fn import_xlsx(bytes: &[u8], options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let _ = (bytes, options);
    todo!("xlsx import")
}

/// Imports a file of either format.
pub fn import_bytes(
    bytes: &[u8],
    format: FileFormat,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    match format {
        FileFormat::Csv => import_csv(bytes, options),
        FileFormat::Xlsx => import_xlsx(bytes, options),
    }
}
