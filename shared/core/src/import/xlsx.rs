//! XLSX reading (first worksheet) with calamine, from bytes in memory.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::ImportError;
use super::table::{Table, is_blank_row};

/// Reads the first worksheet into a [`Table`]. The first non-blank row is the
/// header; row numbers are the sheet's own (row 1 is the top row).
pub(crate) fn read_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(e.to_string()))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| ImportError::Xlsx(e.to_string()))?,
        None => return Err(ImportError::Empty),
    };
    // The range covers only the used cells, so its start is where row and
    // column numbering begin.
    let Some((first_row, first_col)) = range.start() else {
        return Err(ImportError::Empty);
    };

    let mut table = Table {
        column_base: first_col as usize + 1,
        ..Table::default()
    };
    let mut have_header = false;
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if is_blank_row(&cells) {
            continue;
        }
        if !have_header {
            table.header = cells;
            have_header = true;
            continue;
        }
        table.rows.push((first_row as usize + i + 1, cells));
    }
    if !have_header {
        return Err(ImportError::Empty);
    }
    Ok(table)
}

/// A cell as a person reads it. Numbers print without a spurious `.0`
/// (Rust's float `Display` gives `502345678` for `502345678.0`), so a phone
/// stored as a number reaches the parser as its digits.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                // Durations are days; show whole hours:minutes:seconds.
                let secs = (dt.as_f64() * 86_400.0).round();
                let secs = if secs.is_finite() { secs as i64 } else { 0 };
                format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
            } else {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_without_spurious_fraction() {
        assert_eq!(cell_text(&Data::Float(502_345_678.0)), "502345678");
        assert_eq!(cell_text(&Data::Float(972_502_345_678.0)), "972502345678");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn broken_bytes_are_an_xlsx_error() {
        assert!(matches!(
            read_table(b"PK\x03\x04 not really a zip"),
            Err(ImportError::Xlsx(_))
        ));
        assert!(matches!(read_table(b""), Err(ImportError::Xlsx(_))));
    }
}
