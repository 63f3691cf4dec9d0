//! Contact import: CSV and XLSX, header detection with aliases, validation,
//! de-duplication by E.164, and a summary whose counts equal what happened.
//!
//! Both readers produce one table: the first non-blank row is the header
//! (row 1 in a normal file) and every row keeps the number a person sees in
//! a spreadsheet or editor. The phone column is found by alias
//! ([`PHONE_HEADER_ALIASES`]), an optional time-zone column likewise
//! ([`TIMEZONE_HEADER_ALIASES`]); every other column is kept as metadata
//! (header -> trimmed cell text, empty cells omitted). Blank rows are skipped
//! and not counted. Each row's phone goes through [`PhoneParser::parse`];
//! a bad phone or an unknown time zone puts the row in
//! [`ImportReport::errors`]. Valid rows are then folded by E.164 under the
//! [`DedupRule`] ([`deduplicate`]), and the summary always satisfies
//! `total_rows == imported + duplicates + invalid`.

mod csv;
mod dedup;
mod header;
mod table;
mod xlsx;

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::phone::{Delivery, LineType, PhoneNumber, PhoneParser};

pub use dedup::deduplicate;
use header::Layout;
pub use header::{
    PHONE_HEADER_ALIASES, TIMEZONE_HEADER_ALIASES, is_phone_header, is_timezone_header,
    normalize_header,
};
use table::{Table, is_blank_row};

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
    ///
    /// `.csv`, `.txt`, `.tsv` -> CSV; `.xlsx`, `.xlsm` -> XLSX (any case).
    /// Otherwise (no name, another extension): bytes starting `PK\x03\x04`
    /// -> XLSX, bytes that are UTF-8 text -> CSV, anything else (an old
    /// binary `.xls`, a PDF...) -> `None`.
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> Option<FileFormat> {
        let extension = file_name
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, ext)| ext.trim().to_ascii_lowercase());
        match extension.as_deref() {
            Some("csv" | "txt" | "tsv") => return Some(FileFormat::Csv),
            Some("xlsx" | "xlsm") => return Some(FileFormat::Xlsx),
            _ => {}
        }
        if bytes.starts_with(b"PK\x03\x04") {
            Some(FileFormat::Xlsx)
        } else if std::str::from_utf8(bytes).is_ok() {
            Some(FileFormat::Csv)
        } else {
            None
        }
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

/// Imports a CSV: UTF-8 (a BOM is fine), delimiter `,`, `;` or tab chosen by
/// the header line, quoted fields may span lines (a row's number is the line
/// it starts on). A file that is not UTF-8 is an [`ImportError::Csv`] at the
/// first bad line; a reader that fails outright is `Csv { line: 0, .. }`; a
/// file with no non-blank line is [`ImportError::Empty`].
pub fn import_csv<R: std::io::Read>(
    reader: R,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    process(csv::read_table(reader)?, options)
}

/// Imports the first worksheet of an XLSX workbook. Numeric phone cells
/// (which lost their leading 0) are read as their integer digits.
pub fn import_xlsx(bytes: &[u8], options: &ImportOptions) -> Result<ImportReport, ImportError> {
    process(xlsx::read_table(bytes)?, options)
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

/// Validates every row of a table, folds duplicates and counts.
fn process(table: Table, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let Some(layout) = Layout::detect(&table.header, table.column_base) else {
        return Err(ImportError::NoPhoneColumn {
            headers: table.header.iter().map(|h| h.trim().to_owned()).collect(),
        });
    };

    let rows: Vec<&(usize, Vec<String>)> = table
        .rows
        .iter()
        .filter(|(_, cells)| !is_blank_row(cells))
        .collect();
    let total_rows = rows.len();
    let mut valid = Vec::with_capacity(total_rows);
    let mut errors = Vec::new();
    for result in read_rows(&layout, &rows, &options.parser) {
        match result {
            Ok(contact) => valid.push(contact),
            Err(invalid) => errors.push(invalid),
        }
    }

    let (contacts, duplicates) = deduplicate(valid, &options.dedup);
    let summary = ImportSummary {
        total_rows,
        imported: contacts.len(),
        duplicates,
        invalid: errors.len(),
    };
    Ok(ImportReport {
        summary,
        contacts,
        errors,
    })
}

/// Rows per thread below which a file is read on the calling thread.
const ROWS_PER_THREAD: usize = 20_000;

/// Reads rows in order. Phone parsing is most of an import's time and rows
/// are independent, so a large file is cut into one chunk per core; the
/// results keep the file's order (dedup and row errors depend on it).
fn read_rows(
    layout: &Layout,
    rows: &[&(usize, Vec<String>)],
    parser: &PhoneParser,
) -> Vec<Result<ImportedContact, InvalidRow>> {
    let read = |chunk: &[&(usize, Vec<String>)]| -> Vec<_> {
        chunk
            .iter()
            .map(|(row, cells)| read_row(layout, *row, cells, parser))
            .collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(rows.len() / ROWS_PER_THREAD).max(1);
    if threads == 1 {
        return read(rows);
    }
    let chunk = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| scope.spawn(move || read(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A panic in a parser is a bug: surface it where it happened.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// An IANA zone name; exact spelling first, then ignoring ASCII case
/// (`asia/jerusalem`), since people type these by hand.
fn parse_zone(name: &str) -> Option<Tz> {
    Tz::from_str(name).ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
    })
}

/// One data row: phone first (its error wins), then the time zone, then
/// every other non-empty cell as metadata.
fn read_row(
    layout: &Layout,
    row: usize,
    cells: &[String],
    parser: &PhoneParser,
) -> Result<ImportedContact, InvalidRow> {
    let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
    let raw_phone = cell(layout.phone);
    let parsed = parser.parse(raw_phone).map_err(|e| InvalidRow {
        row,
        value: raw_phone.to_owned(),
        reason: e.to_string(),
    })?;

    let timezone = match layout.timezone.map(|i| cell(i).trim()) {
        None | Some("") => None,
        Some(name) => Some(parse_zone(name).ok_or_else(|| InvalidRow {
            row,
            value: name.to_owned(),
            reason: format!(
                "unknown time zone {name:?} (expected an IANA name such as Asia/Jerusalem)"
            ),
        })?),
    };

    let metadata = cells
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != layout.phone && Some(*i) != layout.timezone)
        .filter_map(|(i, value)| {
            let value = value.trim();
            (!value.is_empty()).then(|| (layout.key(i), value.to_owned()))
        })
        .collect();

    Ok(ImportedContact {
        row,
        phone: parsed.number,
        line_type: parsed.line_type,
        delivery: Delivery::for_line_type(parsed.line_type),
        timezone,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::PhoneError;

    fn csv(text: &str) -> Result<ImportReport, ImportError> {
        import_csv(text.as_bytes(), &ImportOptions::default())
    }

    #[test]
    fn a_file_large_enough_to_be_read_in_chunks_keeps_its_order_row_numbers_and_first_wins() {
        // GIVEN 3 chunks' worth of rows, an invalid one every 997th, and the
        // last row repeating the first number with another name
        let n = ROWS_PER_THREAD * 3;
        let mut text = String::from("phone,name\n");
        for i in 0..n {
            if i % 997 == 500 {
                text.push_str("not a number,x\n");
            } else {
                text.push_str(&format!("05{:08},row {}\n", 20_000_000 + i, i + 2));
            }
        }
        text.push_str(&format!("05{:08},late duplicate\n", 20_000_000));
        let report = csv(&text).unwrap();
        // THEN rows are numbered as in the file, in order, and the first occurrence wins
        let invalid_rows: Vec<usize> = (0..n).filter(|i| i % 997 == 500).map(|i| i + 2).collect();
        assert_eq!(
            report.errors.iter().map(|e| e.row).collect::<Vec<_>>(),
            invalid_rows
        );
        assert_eq!(report.summary.total_rows, n + 1);
        assert_eq!(report.summary.duplicates, 1);
        assert_eq!(report.contacts.len(), n - invalid_rows.len());
        assert!(report.contacts.windows(2).all(|w| w[0].row < w[1].row));
        assert!(
            report
                .contacts
                .iter()
                .all(|c| c.metadata["name"] == format!("row {}", c.row))
        );
    }

    #[test]
    fn format_is_detected_by_extension_then_content() {
        let zip = b"PK\x03\x04rest";
        assert_eq!(
            FileFormat::detect(Some("list.CSV"), zip),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::detect(Some("a.b.txt"), b""),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::detect(Some("x.tsv"), b"\xff"),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::detect(Some("Contacts.XLSX"), b"phone"),
            Some(FileFormat::Xlsx)
        );
        assert_eq!(FileFormat::detect(None, zip), Some(FileFormat::Xlsx));
        assert_eq!(
            FileFormat::detect(Some("upload.bin"), zip),
            Some(FileFormat::Xlsx)
        );
        assert_eq!(
            FileFormat::detect(None, "טלפון\n050".as_bytes()),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::detect(Some("noext"), b"phone\n"),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::detect(Some("old.xls"), b"\xD0\xCF\x11\xE0\xA1"),
            None
        );
        assert_eq!(FileFormat::detect(None, b"\xff\xfe\x00"), None);
    }

    #[test]
    fn missing_phone_column_lists_the_headers() {
        match csv("\u{FEFF}Name , email\nDana,d@example.com\n") {
            Err(ImportError::NoPhoneColumn { headers }) => {
                assert_eq!(headers, vec!["Name", "email"]);
            }
            other => panic!("expected NoPhoneColumn, got {other:?}"),
        }
    }

    #[test]
    fn unknown_time_zone_invalidates_the_row() {
        let report =
            csv("phone,tz\n050-234-5678,Mars/Olympus\n052-345-6789,europe/LONDON\n054-765-4321,\n")
                .expect("imports");
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].row, 2);
        assert_eq!(report.errors[0].value, "Mars/Olympus");
        assert!(report.errors[0].reason.contains("unknown time zone"));
        assert_eq!(report.contacts[0].timezone, Some(chrono_tz::Europe::London));
        assert_eq!(report.contacts[1].timezone, None);
    }

    #[test]
    fn invalid_phone_wins_over_invalid_zone_and_reason_is_the_phone_error() {
        let report = csv("phone,tz\nabc,Mars/Olympus\n").expect("imports");
        assert_eq!(
            report.errors,
            vec![InvalidRow {
                row: 2,
                value: "abc".into(),
                reason: PhoneError::InvalidCharacters.to_string(),
            }]
        );
    }

    #[test]
    fn metadata_is_trimmed_and_empty_cells_omitted() {
        let report = csv("Name,Phone,Notes,\n Dana ,0502345678,,x,extra\n").expect("imports");
        let c = &report.contacts[0];
        let expected: BTreeMap<String, String> =
            [("Name", "Dana"), ("column_4", "x"), ("column_5", "extra")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(c.metadata, expected);
        assert_eq!(c.row, 2);
    }

    #[test]
    fn summary_adds_up() {
        let report = csv("phone\n0502345678\n\n050-234-5678\nabc\n0523456789\n").expect("imports");
        assert_eq!(
            report.summary,
            ImportSummary {
                total_rows: 4,
                imported: 2,
                duplicates: 1,
                invalid: 1
            }
        );
        assert_eq!(report.errors[0].row, 5);
        assert_eq!(report.contacts[1].row, 6);
    }
}
