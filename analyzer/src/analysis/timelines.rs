//! Trends and modes of every operation's timeline sample, fitted in parallel.

use std::collections::HashMap;

use rayon::prelude::*;

use super::components::{operation_panicked, timeline_origin_ns};
use super::{clusters, trends};
use crate::error::Error;
use crate::ingest::dataset::Dataset;
use crate::ingest::detect::LogFormat;
use crate::options::{INJECTED_PANIC, InjectedPanic};
use crate::report::{ComponentReport, OperationModes, Trend};
use crate::workers::catch_panic;

/// The original's durations have two decimals of a millisecond.
const LEGACY_RESOLUTION_NS: u64 = 10_000;

/// An operation's trend and modes, where it has them.
type Fitted = (Option<Trend>, Option<OperationModes>);

/// Fits trends and finds modes for every operation, in parallel. A panic fails the analysis,
/// naming the operation.
pub fn trends_and_modes(
    dataset: &Dataset,
    components: &[ComponentReport],
    inject_panic: Option<&InjectedPanic>,
) -> Result<(Vec<Trend>, Vec<OperationModes>), Error> {
    let origins: HashMap<&str, (i64, f64, u64)> = components
        .iter()
        .map(|component| {
            let resolution = if component.formats.contains(&LogFormat::Legacy) {
                LEGACY_RESOLUTION_NS
            } else {
                1
            };
            (
                component.name.as_str(),
                (
                    timeline_origin_ns(dataset, &component.name),
                    component.span_s,
                    resolution,
                ),
            )
        })
        .collect();
    let ids: Vec<usize> = (0..dataset.table.ops.len())
        .filter(|&id| dataset.table.ops[id].count > 0)
        .collect();
    let fitted: Vec<Result<Fitted, Error>> = ids
        .par_iter()
        .map(|&id| {
            let key = &dataset.table.keys[id];
            let op = &dataset.table.ops[id];
            let (origin_ns, span_s, resolution_ns) = origins
                .get(key.component.as_str())
                .copied()
                .unwrap_or((0, 0.0, 1));
            catch_panic(|| {
                if matches!(inject_panic, Some(InjectedPanic::Timeline(name)) if *name == key.operation)
                {
                    panic!("{INJECTED_PANIC}");
                }
                let strided = op.timeline.strided();
                let trend = trends::fit_trend(&trends::TrendInput {
                    component: &key.component,
                    operation: &key.operation,
                    phase: &key.phase,
                    samples: &strided,
                    sample_stride: op.timeline.stride(),
                    origin_ns,
                    span_s,
                });
                let with_extremes = op.timeline.with_extremes();
                let modes = clusters::find_modes(&clusters::ModeInput {
                    component: &key.component,
                    operation: &key.operation,
                    phase: &key.phase,
                    samples: &with_extremes,
                    sample_stride: op.timeline.stride(),
                    origin_ns,
                    first_start_ns: op.first_start_ns,
                    last_end_ns: op.last_end_ns,
                    resolution_ns,
                });
                (trend, modes)
            })
            .map_err(|message| operation_panicked("trend and mode fit", key, message))
        })
        .collect();
    let fitted = fitted.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut trends: Vec<Trend> = fitted
        .iter()
        .filter_map(|(trend, _)| trend.clone())
        .collect();
    let mut modes: Vec<OperationModes> =
        fitted.into_iter().filter_map(|(_, modes)| modes).collect();
    trends.sort_by(|a, b| b.change_over_run.total_cmp(&a.change_over_run));
    modes.sort_by(|a, b| (&a.component, &a.operation).cmp(&(&b.component, &b.operation)));
    Ok((trends, modes))
}
