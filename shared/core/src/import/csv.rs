//! CSV reading: BOM, delimiter detection, UTF-8 check, line numbers.

use std::io::Read;

use super::ImportError;
use super::table::{Table, is_blank_row};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the whole CSV into a [`Table`]. The first non-blank record is the
/// header; row numbers are the line each record starts on.
pub(crate) fn read_table<R: Read>(mut reader: R) -> Result<Table, ImportError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::Csv {
            line: 0,
            message: format!("cannot read the file: {e}"),
        })?;
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);

    // Checked up front so the error names the line a person can look at; a
    // file saved in a legacy code page (Windows-1255 Hebrew) lands here.
    let text = std::str::from_utf8(body).map_err(|e| {
        let valid = body.get(..e.valid_up_to()).unwrap_or_default();
        ImportError::Csv {
            line: valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1,
            message: "the file is not UTF-8 text (save it as \"CSV UTF-8\")".into(),
        }
    })?;

    let delimiter = detect_delimiter(text);
    let mut csv = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    let mut table = Table {
        column_base: 1,
        ..Table::default()
    };
    let mut have_header = false;
    let mut lines = LineCounter::new(text);
    for record in csv.records() {
        let record = record.map_err(|e| ImportError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if is_blank_row(&cells) {
            continue;
        }
        if !have_header {
            table.header = cells;
            have_header = true;
            continue;
        }
        let start = record.position().map_or(0, |p| p.byte());
        let row = lines.line_at(usize::try_from(start).unwrap_or(usize::MAX));
        table.rows.push((row, cells));
    }
    if !have_header {
        return Err(ImportError::Empty);
    }
    Ok(table)
}

/// Turns a record's byte offset into the 1-based line a person sees.
///
/// The csv crate's own line numbers skip empty lines and miscount CRLF, and
/// its byte offset points at the line break before a record that follows
/// empty lines, so the line is counted here from the text itself.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first content byte at or after `start` (records are
    /// read in order, so counting resumes where the last call stopped).
    fn line_at(&mut self, start: usize) -> usize {
        let mut start = start.min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.offset {
            return self.line;
        }
        for (i, &b) in self.text[self.offset..start].iter().enumerate() {
            let next = self.text.get(self.offset + i + 1);
            // "\r\n" is one break; a lone "\r" (old Mac files) is one too.
            if b == b'\n' || (b == b'\r' && next != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = start;
        self.line
    }
}

/// Picks `,`, `;` or tab: whichever occurs most often (outside quotes) in the
/// header line, the first non-blank line. Ties and a one-column header go to
/// `,`, then `;`.
pub(crate) fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..candidates.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_picked_by_the_header_line() {
        assert_eq!(detect_delimiter("phone,name\n1;2;3;4"), b',');
        assert_eq!(detect_delimiter("phone;name;city\n1,2"), b';');
        assert_eq!(detect_delimiter("\n\nphone\tname\n"), b'\t');
        assert_eq!(detect_delimiter("\"a;b\",c\n"), b',');
        assert_eq!(detect_delimiter("phone\n"), b',');
    }

    #[test]
    fn rows_carry_their_line_numbers_and_blank_lines_are_skipped() {
        let rows = |text: &str| -> Vec<usize> {
            let table = read_table(text.as_bytes()).expect("reads");
            assert_eq!(table.header, vec!["phone", "name"]);
            table.rows.iter().map(|(r, _)| *r).collect()
        };
        assert_eq!(
            rows("\u{FEFF}phone,name\n050,a\n\n,\n052,\"multi\nline\"\n054,c\n"),
            vec![2, 5, 7]
        );
        assert_eq!(rows("phone,name\n050,a\n\nabc,b\n\n\n\nx,y"), vec![2, 4, 8]);
        assert_eq!(rows("phone,name\r\n050,a\r\n\r\nabc,b\r\n"), vec![2, 4]);
        assert_eq!(rows("\n\nphone,name\r050,a\r\rabc,b\r"), vec![4, 6]);
        assert_eq!(rows("phone,name\n\"a\n\nb\",1\n\n,\"\"\n2,3"), vec![2, 7]);
    }

    #[test]
    fn invalid_utf8_reports_its_line() {
        let bytes = b"phone,name\n050,ok\n052,\xE9\xF1\n".to_vec();
        match read_table(&bytes[..]) {
            Err(ImportError::Csv { line, .. }) => assert_eq!(line, 3),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    #[test]
    fn no_header_line_is_empty() {
        for text in ["", "\u{FEFF}", "\n\n  \n", ",,\n , \n"] {
            assert!(
                matches!(read_table(text.as_bytes()), Err(ImportError::Empty)),
                "{text:?}"
            );
        }
    }
}
