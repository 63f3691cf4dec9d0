//! PNG charts of a simulation (plotters, bitmap backend). Text is drawn
//! with DejaVu Sans, bundled in `assets/` (licence beside it), so the charts
//! need no system fonts.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::anyhow;
use chrono::{DateTime, Duration, Utc};
use plotters::prelude::*;
use plotters::style::FontStyle;

use campaign_embedded::runtime::sim::MinutePoint;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // A bundled, valid font: failure would be a build problem.
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            eprintln!("warning: the bundled chart font could not be loaded");
        }
    });
}

const W: u32 = 1400;
const H: u32 = 560;

/// Hours since the start → "Sun 09:00" in Israel time.
fn label(start: DateTime<Utc>, hours: f64) -> String {
    let at = start + Duration::seconds((hours * 3600.0) as i64);
    at.with_timezone(&chrono_tz::Asia::Jerusalem)
        .format("%a %H:%M")
        .to_string()
}

/// The minutes worth drawing: up to the last one with any activity.
fn span(points: &[MinutePoint]) -> &[MinutePoint] {
    let last = points
        .iter()
        .rposition(|p| p.dials > 0 || p.peak_active > 0)
        .map_or(points.len(), |i| (i + 30).min(points.len()));
    &points[..last.max(1).min(points.len())]
}

fn h(p: &MinutePoint) -> f64 {
    f64::from(p.minute) / 60.0
}

/// Draws the three charts into `dir`; returns their paths.
pub fn draw_all(
    dir: &Path,
    points: &[MinutePoint],
    start: DateTime<Utc>,
    max_concurrent: u32,
    calls_per_second: u32,
    title: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    register_font();
    let points = span(points);
    let paths = vec![
        dir.join("active-calls.png"),
        dir.join("dials-per-second.png"),
        dir.join("outcomes.png"),
    ];
    active_calls(&paths[0], points, start, max_concurrent, title)?;
    dials(&paths[1], points, start, calls_per_second, title)?;
    outcomes(&paths[2], points, start, title)?;
    Ok(paths)
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

fn active_calls(
    path: &Path,
    points: &[MinutePoint],
    start: DateTime<Utc>,
    limit: u32,
    title: &str,
) -> anyhow::Result<()> {
    let root = BitMapBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let hours = points.last().map_or(1.0, h).max(1.0);
    let ymax = f64::from(limit.max(points.iter().map(|p| p.peak_active).max().unwrap_or(0))) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Calls in progress — {title}"), ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..hours, 0f64..ymax.max(1.0))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time in Israel")
        .y_desc("concurrent calls (peak per minute)")
        .x_label_formatter(&|x| label(start, *x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_labels(12)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    let blue = RGBColor(31, 119, 180);
    chart
        .draw_series(
            AreaSeries::new(
                points.iter().map(|p| (h(p), f64::from(p.peak_active))),
                0.0,
                blue.mix(0.25),
            )
            .border_style(blue.stroke_width(1)),
        )
        .map_err(err)?
        .label("calls in progress")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], blue.filled()));
    chart
        .draw_series(LineSeries::new(
            [(0.0, f64::from(limit)), (hours, f64::from(limit))],
            RED.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("limit: {limit} at once"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

fn dials(
    path: &Path,
    points: &[MinutePoint],
    start: DateTime<Utc>,
    limit: u32,
    title: &str,
) -> anyhow::Result<()> {
    let root = BitMapBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let hours = points.last().map_or(1.0, h).max(1.0);
    let ymax = f64::from(
        limit.max(
            points
                .iter()
                .map(|p| p.peak_dials_per_second)
                .max()
                .unwrap_or(0),
        ),
    ) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Dials per second — {title}"), ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..hours, 0f64..ymax.max(1.0))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time in Israel")
        .y_desc("calls placed per second")
        .x_label_formatter(&|x| label(start, *x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_labels(12)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    let orange = RGBColor(255, 127, 14);
    let green = RGBColor(44, 160, 44);
    chart
        .draw_series(LineSeries::new(
            points
                .iter()
                .map(|p| (h(p), f64::from(p.peak_dials_per_second))),
            orange.mix(0.7).stroke_width(1),
        ))
        .map_err(err)?
        .label("busiest second of each minute")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (h(p), f64::from(p.dials) / 60.0)),
            green.stroke_width(2),
        ))
        .map_err(err)?
        .label("average over the minute")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], green.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            [(0.0, f64::from(limit)), (hours, f64::from(limit))],
            RED.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("limit: {limit} per second"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

fn outcomes(
    path: &Path,
    points: &[MinutePoint],
    start: DateTime<Utc>,
    title: &str,
) -> anyhow::Result<()> {
    let root = BitMapBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let hours = points.last().map_or(1.0, h).max(1.0);
    let total =
        |p: &MinutePoint| p.answered + p.converted + p.opted_out + p.busy + p.no_answer + p.failed;
    let ymax = points.last().map_or(1, total) as f64 * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Call outcomes, cumulative — {title}"),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..hours, 0f64..ymax.max(1.0))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time in Israel")
        .y_desc("calls ended (stacked)")
        .x_label_formatter(&|x| label(start, *x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_labels(12)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    // Stacked bands, drawn from the top of the stack down so each band's
    // area covers those above it only where it is taller.
    type Get = fn(&MinutePoint) -> u64;
    let bands: [(&str, RGBColor, Get); 6] = [
        ("converted (pressed 1)", RGBColor(44, 160, 44), |p| {
            p.converted
        }),
        ("answered, no key", RGBColor(31, 119, 180), |p| p.answered),
        ("opted out (pressed 9)", RGBColor(148, 103, 189), |p| {
            p.opted_out
        }),
        ("no answer", RGBColor(255, 187, 120), |p| p.no_answer),
        ("busy", RGBColor(255, 127, 14), |p| p.busy),
        ("failed", RGBColor(214, 39, 40), |p| p.failed),
    ];
    for i in (0..bands.len()).rev() {
        let (name, color, _) = bands[i];
        let series = points.iter().map(|p| {
            let up_to: u64 = bands[..=i].iter().map(|(_, _, get)| get(p)).sum();
            (h(p), up_to as f64)
        });
        chart
            .draw_series(AreaSeries::new(series, 0.0, color.mix(0.85)).border_style(color))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
