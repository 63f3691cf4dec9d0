//! The XLSX report: a Calls sheet and a Summary sheet.

use rust_xlsxwriter::{Format, Workbook};

use crate::{CALL_COLUMNS, CampaignReport, RenderError, SummaryValue, call_rows, summary_rows};

/// Numeric columns of the Calls sheet (written as numbers so they sort and sum).
const NUMERIC: [usize; 3] = [3, 8, 10];

pub fn to_xlsx(report: &CampaignReport) -> Result<Vec<u8>, RenderError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");

    let calls = workbook.add_worksheet();
    calls.set_name("Calls")?;
    for (col, name) in CALL_COLUMNS.iter().enumerate() {
        calls.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (i, row) in call_rows(report, |p| p.to_string()).iter().enumerate() {
        let r = (i + 1) as u32;
        for (col, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(n) if NUMERIC.contains(&col) => calls.write_number(r, col as u16, n)?,
                // Phone numbers and ids stay text (a number cell would drop the `+`).
                _ => calls.write_string(r, col as u16, cell)?,
            };
        }
    }
    calls.set_freeze_panes(1, 0)?;
    for (col, width) in [
        (0, 28),
        (1, 28),
        (2, 16),
        (5, 21),
        (6, 21),
        (7, 21),
        (12, 24),
    ] {
        calls.set_column_width(col, width)?;
    }

    let summary = workbook.add_worksheet();
    summary.set_name("Summary")?;
    summary.write_string_with_format(0, 0, "Campaign", &bold)?;
    summary.write_string(0, 1, &report.campaign_name)?;
    summary.write_string_with_format(1, 0, "Campaign id", &bold)?;
    summary.write_string(1, 1, report.campaign_id.as_str())?;
    summary.write_string_with_format(2, 0, "Generated at (UTC)", &bold)?;
    summary.write_string(
        2,
        1,
        report
            .generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )?;
    summary.write_string_with_format(4, 0, "Metric", &bold)?;
    summary.write_string_with_format(4, 1, "Value", &bold)?;
    for (i, (label, value)) in summary_rows(report).into_iter().enumerate() {
        let r = (i + 5) as u32;
        summary.write_string(r, 0, label)?;
        match value {
            SummaryValue::Count(n) => summary.write_number(r, 1, n as f64)?,
            SummaryValue::Rate(x) => summary.write_number_with_format(r, 1, x, &percent)?,
        };
    }
    summary.set_column_width(0, 36)?;
    summary.set_column_width(1, 28)?;

    Ok(workbook.save_to_buffer()?)
}
