//! The PDF report (A4): page 1 holds the title, the summary table and a
//! horizontal bar chart of call outcomes drawn with filled rectangles; the
//! following pages list the calls ([`ROWS_PER_PAGE`] a page, at most
//! [`MAX_PDF_ROWS`] — the CSV and XLSX carry every row). Numbers (and the ids
//! that embed them) are masked
//! to their last three digits: the PDF is the copy that gets forwarded.
//!
//! Text uses the PDF's built-in Helvetica (nothing to embed, small files);
//! it covers ASCII only, so other characters (a Hebrew campaign name) are
//! shown as `?` — the XLSX keeps them.

use printpdf::{
    BuiltinFont, Color, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem,
};

use crate::{CampaignReport, call_rows, outcome_rows, summary_rows};

/// Call rows listed per page after the summary page.
pub const ROWS_PER_PAGE: usize = 48;
/// Most call rows listed in the PDF.
pub const MAX_PDF_ROWS: usize = 480;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const LEFT: f32 = 18.0;

/// How many pages the PDF of a report with `rows` call rows has.
pub fn page_count(rows: usize) -> usize {
    1 + rows.min(MAX_PDF_ROWS).div_ceil(ROWS_PER_PAGE)
}

pub fn to_pdf(report: &CampaignReport) -> Vec<u8> {
    let mut pages = vec![PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), summary_page(report))];
    let rows = call_rows(report, |p| p.masked());
    let total = rows.len();
    let listed: Vec<_> = rows.into_iter().take(MAX_PDF_ROWS).collect();
    let page_total = page_count(total);
    for (i, chunk) in listed.chunks(ROWS_PER_PAGE).enumerate() {
        let last = (i + 1) * ROWS_PER_PAGE >= listed.len();
        let mut ops = Vec::new();
        let heading = format!("Calls ({} of {total})", listed.len());
        text(&mut ops, LEFT, 282.0, 13.0, true, &heading);
        footer(&mut ops, report, i + 2, page_total);
        // call id, phone, attempt, started, outcome, follow-up
        let cols = [
            (LEFT, "Call"),
            (72.0, "Phone"),
            (100.0, "Try"),
            (110.0, "Started (UTC)"),
            (146.0, "Outcome"),
            (170.0, "Follow-up"),
        ];
        let mut y = 272.0;
        shade(
            &mut ops,
            LEFT - 1.0,
            y - 1.5,
            PAGE_W - 2.0 * LEFT + 2.0,
            5.0,
            0.85,
        );
        for (x, h) in cols {
            text(&mut ops, x, y, 8.0, true, h);
        }
        for (n, row) in chunk.iter().enumerate() {
            y -= 5.0;
            if n % 2 == 1 {
                shade(
                    &mut ops,
                    LEFT - 1.0,
                    y - 1.5,
                    PAGE_W - 2.0 * LEFT + 2.0,
                    5.0,
                    0.95,
                );
            }
            let call = if row[0].is_empty() { &row[1] } else { &row[0] };
            let cells = [
                clip(&mask_numbers(call), 30),
                row[2].clone(),
                row[3].clone(),
                row[5].replace('T', " ").trim_end_matches('Z').to_owned(),
                row[9].clone(),
                clip(&row[12], 22),
            ];
            for ((x, _), cell) in cols.iter().zip(cells) {
                text(&mut ops, *x, y, 8.0, false, &cell);
            }
        }
        if last && total > listed.len() {
            text(
                &mut ops,
                LEFT,
                y - 8.0,
                9.0,
                false,
                &format!(
                    "{} more rows are in the CSV and XLSX reports.",
                    total - listed.len()
                ),
            );
        }
        pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    let mut doc = PdfDocument::new(&ascii(&format!("Campaign report {}", report.campaign_name)));
    let mut warnings = Vec::new();
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

fn summary_page(report: &CampaignReport) -> Vec<Op> {
    let mut ops = Vec::new();
    text(
        &mut ops,
        LEFT,
        280.0,
        18.0,
        true,
        &format!("Campaign report: {}", report.campaign_name),
    );
    text(
        &mut ops,
        LEFT,
        273.0,
        9.5,
        false,
        &format!(
            "Campaign {}  -  generated {} UTC",
            report.campaign_id,
            report.generated_at.format("%Y-%m-%d %H:%M")
        ),
    );
    footer(
        &mut ops,
        report,
        1,
        page_count(call_rows(report, |_| String::new()).len()),
    );

    // The summary table.
    let mut y = 262.0;
    text(&mut ops, LEFT, y, 12.0, true, "Summary");
    y -= 7.0;
    for (i, (label, value)) in summary_rows(report).into_iter().enumerate() {
        if i % 2 == 0 {
            shade(&mut ops, LEFT - 1.0, y - 1.4, 110.0, 5.0, 0.93);
        }
        text(&mut ops, LEFT, y, 9.5, false, label);
        text(&mut ops, LEFT + 80.0, y, 9.5, true, &value.to_string());
        y -= 5.0;
    }

    // The outcome chart: one horizontal bar per outcome, scaled to the largest.
    let rows = outcome_rows(report);
    let top = y - 8.0;
    text(&mut ops, LEFT, top, 12.0, true, "Call outcomes");
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f32;
    let bar_x = LEFT + 52.0;
    let bar_w = PAGE_W - bar_x - LEFT - 14.0;
    let colours = [
        (0.20, 0.55, 0.30),
        (0.10, 0.45, 0.75),
        (0.60, 0.35, 0.70),
        (0.95, 0.60, 0.10),
        (0.65, 0.65, 0.65),
        (0.85, 0.20, 0.20),
        (0.55, 0.40, 0.25),
        (0.15, 0.15, 0.15),
    ];
    let mut y = top - 9.0;
    for ((label, n), (r, g, b)) in rows.iter().zip(colours) {
        text(&mut ops, LEFT, y + 0.8, 9.0, false, label);
        let w = bar_w * (*n as f32) / max;
        // A hairline for zero, so every outcome has a visible row.
        ops.push(Op::SetFillColor { col: rgb(r, g, b) });
        ops.push(Op::DrawRectangle {
            rectangle: filled(bar_x, y - 0.5, w.max(0.3), 4.5),
        });
        text(
            &mut ops,
            bar_x + w + 2.0,
            y + 0.8,
            9.0,
            true,
            &n.to_string(),
        );
        y -= 7.0;
    }
    // The axis.
    ops.push(Op::SetFillColor {
        col: rgb(0.0, 0.0, 0.0),
    });
    ops.push(Op::DrawRectangle {
        rectangle: filled(bar_x - 0.3, y + 5.0, 0.3, top - y - 9.0),
    });
    ops
}

fn footer(ops: &mut Vec<Op>, report: &CampaignReport, page: usize, of: usize) {
    text(
        ops,
        LEFT,
        10.0,
        8.0,
        false,
        &format!("{}  -  page {page} of {of}", report.campaign_id),
    );
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn filled(x: f32, y: f32, w: f32, h: f32) -> Rect {
    let mut rect = Rect::from_xywh(Mm(x).into(), Mm(y).into(), Mm(w).into(), Mm(h).into());
    rect.mode = Some(PaintMode::Fill);
    rect
}

fn shade(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, grey: f32) {
    ops.push(Op::SetFillColor {
        col: rgb(grey, grey, grey),
    });
    ops.push(Op::DrawRectangle {
        rectangle: filled(x, y, w, h),
    });
}

fn text(ops: &mut Vec<Op>, x: f32, y: f32, size: f32, bold: bool, s: &str) {
    let font = if bold {
        BuiltinFont::HelveticaBold
    } else {
        BuiltinFont::Helvetica
    };
    ops.push(Op::SetFillColor {
        col: rgb(0.0, 0.0, 0.0),
    });
    ops.push(Op::StartTextSection);
    ops.push(Op::SetTextCursor {
        pos: Point::new(Mm(x), Mm(y)),
    });
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(font),
        size: Pt(size),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(ascii(s))],
    });
    ops.push(Op::EndTextSection);
}

/// Ids no longer embed numbers, but ids from elsewhere (a call-manager
/// client's, a carrier's) may: mask any run of 8+ digits to its last three,
/// as the phone column is.
fn mask_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 8 {
            out.push_str(&campaign_core::phone::mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The built-in fonts cover ASCII; anything else shows as `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_count_grows_with_rows_up_to_the_cap() {
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(1), 2);
        assert_eq!(page_count(ROWS_PER_PAGE), 2);
        assert_eq!(page_count(ROWS_PER_PAGE + 1), 3);
        assert_eq!(page_count(1_000_000), 1 + MAX_PDF_ROWS / ROWS_PER_PAGE);
    }

    #[test]
    fn text_is_ascii_and_clipped() {
        assert_eq!(ascii("קמפיין A"), "?????? A");
        assert_eq!(clip("abcdef", 4), "abc~");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(
            mask_numbers("cmp-000001-972523450000-a1"),
            "cmp-000001-*********000-a1"
        );
    }
}
