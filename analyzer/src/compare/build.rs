//! Two runs into one [`Comparison`]: per operation the median ratio with its block-bootstrap
//! interval, the Mann-Whitney test corrected over the operations compared, and a verdict by
//! criterion's rule; the settings changed and the run-level figures first.

use std::collections::{BTreeMap, BTreeSet};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde_json::Value;

use super::bootstrap::{CONFIDENCE, ITERATIONS, median_ratio_interval, ratio};
use super::fdr::benjamini_hochberg;
use super::mann_whitney::mann_whitney;
use super::model::{
    Comparison, Method, OperationComparison, RunFigure, RunSide, Verdict, VerdictCounts,
};
use super::run_data::RunData;
use crate::analysis::now_utc;
use crate::error::Error;
use crate::ingest::interner::OpKey;
use crate::report::{AnalyzerVersion, OperationReport};
use crate::runs::settings::{changes, flatten};

/// The seed of every operation's bootstrap (mixed with the operation's name).
pub const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

const DESCRIPTION: &str = "median_ratio: NEW/BASE of the exact medians; ci_low..ci_high: the 95% percentile interval of the ratio over bootstrap_iterations moving-block resamples of each side (blocks of round(n^(1/3)) consecutive calls in start order, from each operation's evenly strided sample of at most 4096 calls); p_value: two-sided Mann-Whitney U on the same samples, Benjamini-Hochberg corrected over operations_tested; verdict (criterion's rule): regressed when p_value < significance and ci_low > 1 + threshold, improved when p_value < significance and ci_high < 1 - threshold, unchanged otherwise; added/removed: on one side only";

/// The figures from the last line of `metrics.jsonl` shown among the run's figures.
const METRICS: [&str; 7] = [
    "steps_per_s_overall",
    "score_avg_100",
    "score_avg_1000",
    "best_score",
    "best_tile",
    "env_steps",
    "elapsed_s",
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareOptions {
    /// A ratio within 1 +- threshold is no change (0.05: 5%).
    pub threshold: f64,
    /// The corrected p-value below which a change can be significant.
    pub significance: f64,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            significance: 0.05,
            iterations: ITERATIONS,
            seed: SEED,
        }
    }
}

type Key = (String, String, String);

fn operations(data: &RunData) -> BTreeMap<Key, &OperationReport> {
    data.report
        .components
        .iter()
        .flat_map(|component| &component.operations)
        .filter(|operation| operation.stats.count > 0)
        .map(|operation| {
            (
                (
                    operation.component.clone(),
                    operation.operation.clone(),
                    operation.phase.clone(),
                ),
                operation,
            )
        })
        .collect()
}

fn sample<'a>(data: &'a RunData, key: &Key) -> &'a [u64] {
    let key = OpKey {
        component: key.0.clone(),
        operation: key.1.clone(),
        phase: key.2.clone(),
    };
    data.samples.get(&key).map_or(&[], Vec::as_slice)
}

/// FNV-1a of the operation's names: each operation's bootstrap draws its own numbers,
/// whatever else is compared alongside it.
fn operation_seed(seed: u64, key: &Key) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [&key.0, &key.1, &key.2]
        .iter()
        .flat_map(|part| part.bytes().chain([0]))
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    seed ^ hash
}

fn self_ms(operation: &OperationReport) -> f64 {
    operation.self_ms.unwrap_or(operation.stats.total_ms)
}

fn to_ms(durations: &[u64]) -> Vec<f64> {
    durations.iter().map(|&ns| ns as f64 / 1e6).collect()
}

/// The operation on one side only.
fn one_sided(
    key: &Key,
    operation: &OperationReport,
    durations: &[u64],
    added: bool,
) -> OperationComparison {
    let (count, median, p95, self_time, share) = (
        operation.stats.count,
        Some(operation.stats.median_ms),
        Some(operation.stats.p95_ms),
        Some(self_ms(operation)),
        Some(operation.share),
    );
    let mut comparison = OperationComparison {
        component: key.0.clone(),
        operation: key.1.clone(),
        phase: key.2.clone(),
        verdict: if added {
            Verdict::Added
        } else {
            Verdict::Removed
        },
        median_ratio: None,
        ci_low: None,
        ci_high: None,
        p_value: None,
        p_value_uncorrected: None,
        test: None,
        base_count: 0,
        new_count: 0,
        base_median_ms: None,
        new_median_ms: None,
        base_p95_ms: None,
        new_p95_ms: None,
        base_self_ms: None,
        new_self_ms: None,
        base_share: None,
        new_share: None,
        share_change: None,
        base_sample: 0,
        new_sample: 0,
        base_durations_ms: Vec::new(),
        new_durations_ms: Vec::new(),
    };
    if added {
        comparison.new_count = count;
        comparison.new_median_ms = median;
        comparison.new_p95_ms = p95;
        comparison.new_self_ms = self_time;
        comparison.new_share = share;
        comparison.new_sample = durations.len();
        comparison.new_durations_ms = to_ms(durations);
    } else {
        comparison.base_count = count;
        comparison.base_median_ms = median;
        comparison.base_p95_ms = p95;
        comparison.base_self_ms = self_time;
        comparison.base_share = share;
        comparison.base_sample = durations.len();
        comparison.base_durations_ms = to_ms(durations);
    }
    comparison
}

/// The operation on both sides, before the correction and the verdict.
fn two_sided(
    key: &Key,
    (base, new): (&OperationReport, &OperationReport),
    (base_sample, new_sample): (&[u64], &[u64]),
    options: &CompareOptions,
) -> OperationComparison {
    let interval = (!base_sample.is_empty() && !new_sample.is_empty()).then(|| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(operation_seed(options.seed, key));
        median_ratio_interval(
            base_sample,
            new_sample,
            options.iterations,
            CONFIDENCE,
            &mut rng,
        )
    });
    let test = mann_whitney(base_sample, new_sample);
    let finite = |value: f64| value.is_finite().then_some(value);
    OperationComparison {
        component: key.0.clone(),
        operation: key.1.clone(),
        phase: key.2.clone(),
        verdict: Verdict::Unchanged,
        median_ratio: finite(ratio(new.stats.median_ms, base.stats.median_ms)),
        ci_low: interval.and_then(|(low, _)| finite(low)),
        ci_high: interval.and_then(|(_, high)| finite(high)),
        p_value: None,
        p_value_uncorrected: Some(test.p_value),
        test: Some(test.method),
        base_count: base.stats.count,
        new_count: new.stats.count,
        base_median_ms: Some(base.stats.median_ms),
        new_median_ms: Some(new.stats.median_ms),
        base_p95_ms: Some(base.stats.p95_ms),
        new_p95_ms: Some(new.stats.p95_ms),
        base_self_ms: Some(self_ms(base)),
        new_self_ms: Some(self_ms(new)),
        base_share: Some(base.share),
        new_share: Some(new.share),
        share_change: Some(new.share - base.share),
        base_sample: base_sample.len(),
        new_sample: new_sample.len(),
        base_durations_ms: to_ms(base_sample),
        new_durations_ms: to_ms(new_sample),
    }
}

/// Criterion's rule: significant, and the whole interval beyond the noise threshold.
pub fn verdict(
    interval: Option<(f64, f64)>,
    p_value: Option<f64>,
    options: &CompareOptions,
) -> Verdict {
    match (interval, p_value) {
        (Some((low, high)), Some(p)) if p < options.significance => {
            if low > 1.0 + options.threshold {
                Verdict::Regressed
            } else if high < 1.0 - options.threshold {
                Verdict::Improved
            } else {
                Verdict::Unchanged
            }
        }
        _ => Verdict::Unchanged,
    }
}

fn side(data: &RunData) -> RunSide {
    let manifest = data.run.manifest.as_ref();
    RunSide {
        id: data.run.id.clone(),
        dir: data.run.dir.clone(),
        latest: data.run.latest,
        program: manifest.and_then(|manifest| manifest.program.clone()),
        version: manifest.and_then(|manifest| manifest.version.clone()),
        started_at: manifest.and_then(|manifest| manifest.started_at.clone()),
        rows: data.report.rows_read,
        own_work_ms: data.report.run_basis_ms,
        has_manifest: manifest.is_some(),
    }
}

/// Compares `new` with `base`. Fails only when they have no operation in common.
pub fn compare(
    base: &RunData,
    new: &RunData,
    options: &CompareOptions,
) -> Result<Comparison, Error> {
    let base_ops = operations(base);
    let new_ops = operations(new);
    let common: Vec<&Key> = base_ops
        .keys()
        .filter(|key| new_ops.contains_key(*key))
        .collect();
    if common.is_empty() {
        return Err(Error::NoCommonOperations {
            base: base.run.dir.clone(),
            new: new.run.dir.clone(),
        });
    }
    let mut compared: Vec<OperationComparison> = common
        .par_iter()
        .map(|key| {
            two_sided(
                key,
                (base_ops[*key], new_ops[*key]),
                (sample(base, key), sample(new, key)),
                options,
            )
        })
        .collect();
    let raw: Vec<f64> = compared
        .iter()
        .map(|operation| operation.p_value_uncorrected.unwrap_or(1.0))
        .collect();
    for (operation, corrected) in compared.iter_mut().zip(benjamini_hochberg(&raw)) {
        operation.p_value = Some(corrected);
        let interval = operation.ci_low.zip(operation.ci_high);
        operation.verdict = verdict(interval, operation.p_value, options);
    }
    for (key, operation) in &new_ops {
        if !base_ops.contains_key(key) {
            compared.push(one_sided(key, operation, sample(new, key), true));
        }
    }
    for (key, operation) in &base_ops {
        if !new_ops.contains_key(key) {
            compared.push(one_sided(key, operation, sample(base, key), false));
        }
    }
    compared.sort_by(order);
    let mut summary = VerdictCounts::default();
    for operation in &compared {
        *match operation.verdict {
            Verdict::Regressed => &mut summary.regressed,
            Verdict::Improved => &mut summary.improved,
            Verdict::Unchanged => &mut summary.unchanged,
            Verdict::Added => &mut summary.added,
            Verdict::Removed => &mut summary.removed,
        } += 1;
    }
    let settings = |data: &RunData| data.run.manifest.as_ref().map(flatten).unwrap_or_default();
    Ok(Comparison {
        generated_at: now_utc(),
        analyzer: AnalyzerVersion::CURRENT,
        base: side(base),
        new: side(new),
        settings_changed: changes(&settings(base), &settings(new)),
        run_figures: run_figures(base, new),
        summary,
        operations: compared,
        method: Method {
            threshold: options.threshold,
            confidence: CONFIDENCE,
            significance: options.significance,
            bootstrap_iterations: options.iterations,
            seed: options.seed,
            operations_tested: common.len(),
            description: DESCRIPTION,
        },
    })
}

/// Regressed by ratio (largest first), improved (smallest first), added, removed, unchanged
/// by self time (largest first); then by name.
fn order(a: &OperationComparison, b: &OperationComparison) -> std::cmp::Ordering {
    let by_name =
        || (&a.component, &a.operation, &a.phase).cmp(&(&b.component, &b.operation, &b.phase));
    let ratio = |op: &OperationComparison| op.median_ratio.unwrap_or(1.0);
    let weight = |op: &OperationComparison| {
        op.base_self_ms
            .unwrap_or(0.0)
            .max(op.new_self_ms.unwrap_or(0.0))
    };
    a.verdict.cmp(&b.verdict).then_with(|| {
        match a.verdict {
            Verdict::Regressed => ratio(b).total_cmp(&ratio(a)),
            Verdict::Improved => ratio(a).total_cmp(&ratio(b)),
            Verdict::Unchanged | Verdict::Added | Verdict::Removed => {
                weight(b).total_cmp(&weight(a))
            }
        }
        .then_with(by_name)
    })
}

fn figure(name: String, base: Option<f64>, new: Option<f64>, source: &'static str) -> RunFigure {
    RunFigure {
        name,
        base,
        new,
        ratio: match (base, new) {
            (Some(base), Some(new)) if base != 0.0 => Some(new / base),
            _ => None,
        },
        source,
    }
}

/// Numeric leaves of `value` under dotted keys.
fn numbers(prefix: &str, value: &Value, out: &mut BTreeMap<String, f64>) {
    match value {
        Value::Number(number) => {
            if let Some(number) = number.as_f64() {
                out.insert(prefix.to_string(), number);
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                numbers(&format!("{prefix}.{key}"), value, out);
            }
        }
        _ => {}
    }
}

/// Wall time (the manifest's duration, else the span of the calls), the run's own work, the
/// manifest's `results`, and the last line of `metrics.jsonl`.
fn run_figures(base: &RunData, new: &RunData) -> Vec<RunFigure> {
    let mut figures = Vec::new();
    let manifest_wall = |data: &RunData| data.run.manifest.as_ref().and_then(|m| m.duration_s);
    let span = |data: &RunData| {
        data.report
            .components
            .iter()
            .map(|component| component.span_s)
            .fold(None, |longest: Option<f64>, span| {
                Some(longest.map_or(span, |l| l.max(span)))
            })
    };
    if manifest_wall(base).is_some() && manifest_wall(new).is_some() {
        figures.push(figure(
            "wall_time_s".into(),
            manifest_wall(base),
            manifest_wall(new),
            "manifest",
        ));
    } else {
        figures.push(figure("calls_span_s".into(), span(base), span(new), "logs"));
    }
    figures.push(figure(
        "own_work_ms".into(),
        Some(base.report.run_basis_ms),
        Some(new.report.run_basis_ms),
        "logs",
    ));
    let results = |data: &RunData| {
        let mut out = BTreeMap::new();
        if let Some(results) = data.run.manifest.as_ref().and_then(|m| m.results()) {
            numbers("results", results, &mut out);
        }
        out
    };
    let (base_results, new_results) = (results(base), results(new));
    let names: BTreeSet<&String> = base_results.keys().chain(new_results.keys()).collect();
    for name in names {
        figures.push(figure(
            name.clone(),
            base_results.get(name).copied(),
            new_results.get(name).copied(),
            "manifest",
        ));
    }
    let metric = |data: &RunData, name: &str| {
        data.metrics
            .as_ref()
            .and_then(|metrics| metrics.get(name))
            .and_then(Value::as_f64)
    };
    for name in METRICS {
        let (base_value, new_value) = (metric(base, name), metric(new, name));
        if base_value.is_some() || new_value.is_some() {
            figures.push(figure(
                format!("metrics.{name}"),
                base_value,
                new_value,
                "metrics.jsonl",
            ));
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_criterions_rule() {
        let options = CompareOptions::default();
        let check = |interval, p| verdict(Some(interval), Some(p), &options);
        assert_eq!(check((1.06, 1.2), 0.01), Verdict::Regressed);
        assert_eq!(check((1.04, 1.2), 0.01), Verdict::Unchanged);
        assert_eq!(check((1.06, 1.2), 0.2), Verdict::Unchanged);
        assert_eq!(check((0.7, 0.94), 0.001), Verdict::Improved);
        assert_eq!(check((0.7, 0.96), 0.001), Verdict::Unchanged);
        assert_eq!(check((0.9, 1.1), 0.0), Verdict::Unchanged);
        assert_eq!(verdict(None, Some(0.0), &options), Verdict::Unchanged);
        let strict = CompareOptions {
            threshold: 0.5,
            ..options
        };
        assert_eq!(
            verdict(Some((1.3, 1.4)), Some(0.0), &strict),
            Verdict::Unchanged
        );
    }

    #[test]
    fn seeds_depend_on_the_operation_only() {
        let key = |op: &str| ("c".to_string(), op.to_string(), "p".to_string());
        assert_eq!(operation_seed(1, &key("a")), operation_seed(1, &key("a")));
        assert_ne!(operation_seed(1, &key("a")), operation_seed(1, &key("b")));
        // The separator keeps ("ab", "") apart from ("a", "b").
        assert_ne!(
            operation_seed(1, &("ab".into(), String::new(), String::new())),
            operation_seed(1, &("a".into(), "b".into(), String::new()))
        );
    }
}
