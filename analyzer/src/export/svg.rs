//! SVG charts (plotters, no fonts needed): where the time goes by operation, the duration
//! distribution and the durations over the run of the costliest operations, and the phase
//! breakdown.

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use super::chart::{Chart, write_chart};
use super::flamegraph;
use crate::error::Error;
use crate::report::Report;
use crate::units::format_ms;

pub const TIME_SHARE_SVG: &str = "time_share.svg";
pub const DISTRIBUTION_SVG: &str = "duration_distribution.svg";
pub const TIMELINE_SVG: &str = "durations_over_run.svg";
pub const PHASES_SVG: &str = "phase_breakdown.svg";

const SIZE: (u32, u32) = (1000, 560);
/// Bars in the share charts.
const BARS: usize = 15;

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

type DrawResult = Result<(), String>;

fn text_error<E: std::fmt::Debug>(error: E) -> String {
    format!("{error:?}")
}

fn draw(
    file_name: &'static str,
    title: &'static str,
    paint: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> Result<Chart, Error> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let result = area
            .fill(&WHITE)
            .map_err(text_error)
            .and_then(|_| paint(&area))
            .and_then(|_| area.present().map_err(text_error));
        result.map_err(|message| Error::Chart {
            path: PathBuf::from(file_name),
            message,
        })?;
    }
    Ok(Chart {
        file_name,
        title,
        svg,
    })
}

/// Horizontal bars: (label, value in 0..1, colour index) as percentages, coloured by component.
fn share_bars(
    area: &DrawingArea<SVGBackend, Shift>,
    caption: &str,
    bars: &[(String, f64, usize)],
) -> DrawResult {
    if bars.is_empty() {
        return empty(area, caption);
    }
    let top = bars
        .iter()
        .map(|(_, share, _)| *share)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 100.0
        * 1.1;
    let labels: Vec<String> = bars.iter().map(|(label, _, _)| label.clone()).collect();
    let count = bars.len() as i32;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(300)
        .build_cartesian_2d(0.0..top, (0..count).into_segmented())
        .map_err(text_error)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("% of the component's time")
        .y_labels(bars.len())
        .y_label_formatter(&|value| match value {
            SegmentValue::CenterOf(index) | SegmentValue::Exact(index) => labels
                .get((count - 1 - *index) as usize)
                .cloned()
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .draw()
        .map_err(text_error)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(index, (_, share, colour))| {
            let row = count - 1 - index as i32;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row)),
                    (share * 100.0, SegmentValue::Exact(row + 1)),
                ],
                COLORS[colour % COLORS.len()].filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(text_error)?;
    Ok(())
}

fn empty(area: &DrawingArea<SVGBackend, Shift>, caption: &str) -> DrawResult {
    area.draw(&Text::new(
        format!("{caption}: no data"),
        (40, 40),
        ("sans-serif", 20),
    ))
    .map_err(text_error)
}

fn time_share(report: &Report) -> Result<Chart, Error> {
    let mut bars: Vec<(String, f64, usize)> = report
        .components
        .iter()
        .enumerate()
        .flat_map(|(index, component)| {
            component
                .operations
                .iter()
                .map(move |operation| (operation.label(), operation.share, index))
        })
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    bars.truncate(BARS);
    draw(TIME_SHARE_SVG, "Time share by operation", |area| {
        share_bars(
            area,
            "Share of the run's own work by operation (self time minus waiting)",
            &bars,
        )
    })
}

fn phases(report: &Report) -> Result<Chart, Error> {
    let mut bars: Vec<(String, f64, usize)> = report
        .components
        .iter()
        .enumerate()
        .flat_map(|(index, component)| {
            component.phases.iter().map(move |phase| {
                let own = format_ms(phase.own_work_ms);
                (
                    format!("{}: {} ({own})", component.name, phase.phase),
                    phase.share,
                    index,
                )
            })
        })
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    bars.truncate(BARS);
    draw(PHASES_SVG, "Phase breakdown", |area| {
        share_bars(area, "Phases: share of the run's own work", &bars)
    })
}

fn distribution(report: &Report) -> Result<Chart, Error> {
    let series = &report.chart_data.distributions;
    draw(DISTRIBUTION_SVG, "Duration distribution", |area| {
        let caption = "Duration distribution of the costliest operations";
        let points = series.iter().flat_map(|(_, bins)| bins.iter());
        let (low, high, top) = points.fold(
            (f64::INFINITY, 0.0f64, 0.0f64),
            |(low, high, top), &(ms, fraction)| (low.min(ms), high.max(ms), top.max(fraction)),
        );
        if !low.is_finite() || high <= 0.0 {
            return empty(area, caption);
        }
        let (low, high) = (low / 1.5, high * 1.5);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((low..high).log_scale(), 0.0..top * 1.1)
            .map_err(text_error)?;
        chart
            .configure_mesh()
            .x_desc("duration (log scale)")
            .y_desc("share of calls per decade of duration")
            .x_label_formatter(&|ms| format_ms(*ms))
            .draw()
            .map_err(text_error)?;
        for (index, (label, bins)) in series.iter().enumerate() {
            let color = COLORS[index % COLORS.len()];
            chart
                .draw_series(LineSeries::new(bins.iter().copied(), color.stroke_width(2)))
                .map_err(text_error)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(text_error)
    })
}

fn timeline(report: &Report) -> Result<Chart, Error> {
    let series = &report.chart_data.timelines;
    draw(TIMELINE_SVG, "Durations over the run", |area| {
        let caption = "Durations over the run (sampled calls)";
        let points = series.iter().flat_map(|(_, calls)| calls.iter());
        let (end, low, high) = points.fold(
            (0.0f64, f64::INFINITY, 0.0f64),
            |(end, low, high), &(t, ms)| (end.max(t), low.min(ms.max(1e-6)), high.max(ms)),
        );
        if !low.is_finite() || high <= 0.0 {
            return empty(area, caption);
        }
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                0.0..end.max(1e-3) * 1.02,
                (low / 1.5..high * 1.5).log_scale(),
            )
            .map_err(text_error)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the component's first call")
            .y_desc("duration (log scale)")
            .y_label_formatter(&|ms| format_ms(*ms))
            .draw()
            .map_err(text_error)?;
        for (index, (label, calls)) in series.iter().enumerate() {
            let color = COLORS[index % COLORS.len()];
            chart
                .draw_series(
                    calls
                        .iter()
                        .map(|&(t, ms)| Circle::new((t, ms.max(1e-6)), 2, color.mix(0.6).filled())),
                )
                .map_err(text_error)?
                .label(label.clone())
                .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(text_error)
    })
}

/// Every chart, drawn in memory; the flame graph (when the run has time to draw) last.
pub fn charts(report: &Report) -> Result<Vec<Chart>, Error> {
    let mut charts = vec![
        time_share(report)?,
        distribution(report)?,
        timeline(report)?,
        phases(report)?,
    ];
    charts.extend(flamegraph::chart(report)?);
    Ok(charts)
}
