//! What to change, with the evidence: the original's six rules keyed on operation names,
//! and the ones the data supports beyond them (outliers and modes, slowing trends, thread
//! imbalance, waiting for workers, children vs own work, tiny frequent calls, failed calls,
//! cross-component overhead, input problems). Priorities come from shares of the run's own
//! work; the list is ranked by estimated saving (README "How severity is decided").

use serde_json::json;

use super::bottlenecks::{estimated_saving_ms, share_severity, threshold_severity};
use super::cross_component::ChildBreakdown;
use super::model::{
    ComponentReport, CrossComponentReport, FileReport, ModeLabel, OperationModes, OperationReport,
    OperationWaiting, Recommendation, Severity, SummaryReport, ThreadBusy, ThreadImbalance, Trend,
};
use crate::ingest::interner::OpKey;
use crate::options::SeverityThresholds;
use crate::units::{format_ms, format_share};

/// Everything the rules look at.
pub struct Evidence<'a> {
    pub components: &'a [ComponentReport],
    /// The run's own work: shares for priorities are of this.
    pub run_basis_ms: f64,
    pub waiting: &'a [OperationWaiting],
    pub trends: &'a [Trend],
    pub modes: &'a [OperationModes],
    pub imbalances: &'a [ThreadImbalance],
    pub cross: &'a CrossComponentReport,
    pub breakdown: &'a ChildBreakdown,
    pub keys: &'a [OpKey],
    pub files: &'a [FileReport],
    pub summaries: &'a [SummaryReport],
    pub thresholds: &'a SeverityThresholds,
}

/// The original's categories, in the order a name is matched against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    ParallelTraining,
    Broadcast,
    PolicyUpdate,
    Epochs,
    ForwardPass,
    Buffer,
}

impl Category {
    pub fn of(operation: &str, phase: &str) -> Option<Category> {
        let name = operation.to_ascii_lowercase();
        let has = |needle: &str| name.contains(needle);
        if has("parallel_training") {
            Some(Category::ParallelTraining)
        } else if has("broadcast") || has("websocket") {
            Some(Category::Broadcast)
        } else if has("update_policy") || (has("update") && phase.contains("train")) {
            Some(Category::PolicyUpdate)
        } else if has("epoch") {
            Some(Category::Epochs)
        } else if has("forward") || has("inference") || phase == "inference" {
            Some(Category::ForwardPass)
        } else if has("buffer") {
            Some(Category::Buffer)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Category::ParallelTraining => "parallel_training",
            Category::Broadcast => "broadcast",
            Category::PolicyUpdate => "policy_update",
            Category::Epochs => "ppo_epochs",
            Category::ForwardPass => "forward_pass",
            Category::Buffer => "buffer",
        }
    }

    /// Mean durations (ms) above which the rule fires at high and at medium priority.
    pub fn mean_thresholds_ms(self) -> (f64, f64) {
        match self {
            Category::ParallelTraining => (1000.0, 500.0),
            Category::Broadcast => (100.0, 20.0),
            Category::PolicyUpdate => (100.0, 50.0),
            Category::Epochs => (500.0, 100.0),
            Category::ForwardPass => (100.0, 10.0),
            Category::Buffer => (50.0, 10.0),
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Category::ParallelTraining => "Parallel training",
            Category::Broadcast => "WebSocket broadcasts",
            Category::PolicyUpdate => "Policy updates",
            Category::Epochs => "PPO epochs",
            Category::ForwardPass => "Model forward pass",
            Category::Buffer => "Buffer operations",
        }
    }

    fn slow_phrase(self) -> &'static str {
        match self {
            Category::ParallelTraining => "is very slow",
            Category::ForwardPass => "is slow",
            _ => "are slow",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Category::ParallelTraining => "Consider reducing number of environments.",
            Category::Broadcast => "Consider broadcasting less often or sending smaller messages.",
            Category::PolicyUpdate => "Consider reducing batch size or PPO epochs.",
            Category::Epochs => "Consider fewer PPO epochs.",
            Category::ForwardPass => "Consider model optimization.",
            Category::Buffer => {
                "Consider better memory management (preallocate and reuse buffers)."
            }
        }
    }
}

fn mean_priority(category: Category, mean_ms: f64) -> Option<Severity> {
    let (high, medium) = category.mean_thresholds_ms();
    if mean_ms > high {
        Some(Severity::High)
    } else if mean_ms > medium {
        Some(Severity::Medium)
    } else {
        None
    }
}

impl Evidence<'_> {
    /// `ms` as a share of the run's own work.
    fn run_share(&self, ms: f64) -> f64 {
        if self.run_basis_ms > 0.0 {
            ms / self.run_basis_ms
        } else {
            0.0
        }
    }

    /// The priority of a saving: its share of the run's own work, at least low.
    fn saving_priority(&self, saving_ms: f64) -> Severity {
        share_severity(self.run_share(saving_ms), self.thresholds).unwrap_or(Severity::Low)
    }
}

fn impact(operation: &OperationReport, component: &ComponentReport, saving_ms: f64) -> String {
    format!(
        "{} of the run's own work ({} of {}'s; {} over {} calls); a fix could save ~{}",
        format_share(operation.share),
        format_share(operation.component_share),
        component.name,
        format_ms(operation.own_ms()),
        operation.stats.count,
        format_ms(saving_ms)
    )
}

/// `ppo-worker-0, ppo-worker-1` (thread numbers where a thread has no name).
fn thread_list(threads: &[ThreadBusy]) -> String {
    threads
        .iter()
        .map(|thread| {
            thread
                .name
                .clone()
                .unwrap_or_else(|| format!("thread {}", thread.thread))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn operation_evidence(operation: &OperationReport) -> serde_json::Value {
    json!({
        "count": operation.stats.count,
        "avg_ms": operation.stats.mean_ms,
        "median_ms": operation.stats.median_ms,
        "p95_ms": operation.stats.p95_ms,
        "p99_ms": operation.stats.p99_ms,
        "total_ms": operation.stats.total_ms,
        "self_ms": operation.self_ms,
        "waiting_ms": operation.waiting_ms,
        "own_work_ms": operation.own_work_ms,
        "share": operation.share,
        "component_share": operation.component_share,
        "sites": operation.sites,
    })
}

fn operations(
    components: &[ComponentReport],
) -> impl Iterator<Item = (&ComponentReport, &OperationReport)> {
    components.iter().flat_map(|component| {
        component
            .operations
            .iter()
            .map(move |operation| (component, operation))
    })
}

/// The original's six rules, which also fire on share of time (microsecond hot paths).
fn category_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for (component, operation) in operations(evidence.components) {
        let Some(category) = Category::of(&operation.operation, &operation.phase) else {
            continue;
        };
        let mean = operation.stats.mean_ms;
        let by_mean = mean_priority(category, mean);
        let by_share = share_severity(operation.share, evidence.thresholds);
        let Some(priority) = by_mean.max(by_share) else {
            continue;
        };
        let mut text = if by_mean.is_some() {
            format!(
                "{} {} ({} avg).",
                category.subject(),
                category.slow_phrase(),
                format_ms(mean)
            )
        } else {
            format!(
                "{} takes {} of the run's own work ({} calls, {} avg).",
                operation.operation,
                format_share(operation.share),
                operation.stats.count,
                format_ms(mean)
            )
        };
        if category == Category::Epochs
            && let Some(per_update) = epochs_per_update(component, operation)
        {
            text.push_str(&format!(" {per_update:.1} epochs run per policy update."));
        }
        text.push(' ');
        text.push_str(category.advice());
        let (saving, _) = estimated_saving_ms(operation);
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: category.name().to_string(),
            recommendation: text,
            impact: impact(operation, component, saving),
            estimated_saving_ms: Some(saving),
            evidence: operation_evidence(operation),
        });
    }
}

fn epochs_per_update(component: &ComponentReport, epochs: &OperationReport) -> Option<f64> {
    let updates: u64 = component
        .operations
        .iter()
        .filter(|op| Category::of(&op.operation, &op.phase) == Some(Category::PolicyUpdate))
        .map(|op| op.stats.count)
        .sum();
    (updates > 0).then(|| epochs.stats.count as f64 / updates as f64)
}

/// Slow modes (warm-up, stalls, sporadic) and heavy tails.
fn variance_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for (component, operation) in operations(evidence.components) {
        if operation.stats.count < 20 || operation.share < 0.01 {
            continue;
        }
        let tail_saving = operation.stats.tail_excess_ms * operation.own_fraction();
        let tail_share = evidence.run_share(tail_saving);
        let priority = evidence.saving_priority(tail_saving);
        let modes = evidence.modes.iter().find(|modes| {
            modes.component == operation.component
                && modes.operation == operation.operation
                && modes.phase == operation.phase
        });
        let main = modes.and_then(|modes| {
            modes
                .modes
                .iter()
                .find(|mode| mode.label == ModeLabel::Main)
        });
        let slow_mode = modes.and_then(|modes| {
            modes.modes.iter().find(|mode| {
                matches!(
                    mode.label,
                    ModeLabel::WarmUp
                        | ModeLabel::PeriodicStall
                        | ModeLabel::SporadicSlow
                        | ModeLabel::Secondary
                )
            })
        });
        let (category, text) = match (slow_mode, main) {
            (Some(mode), Some(main)) => {
                let what = match mode.label {
                    ModeLabel::WarmUp => format!(
                        "{}'s first calls are slow (warm-up): {} sampled calls took ~{} against ~{} typically, all within the first {:.1}s. Warm up (preallocate, first call outside the measured loop) before training.",
                        operation.operation,
                        mode.calls_in_sample,
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.last_at_s
                    ),
                    ModeLabel::PeriodicStall => format!(
                        "{} stalls periodically: about every {:.1}s {} ~{} instead of ~{} ({} sampled slow calls from {:.1}s to {:.1}s). Look for periodic work on that path (checkpointing, evaluation, log flushes, allocation bursts).",
                        operation.operation,
                        mode.period_s.unwrap_or(0.0),
                        if mode.burst_calls > 1.5 {
                            format!("a burst of ~{:.0} calls takes", mode.burst_calls)
                        } else {
                            "a call takes".to_string()
                        },
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.calls_in_sample,
                        mode.first_at_s,
                        mode.last_at_s
                    ),
                    ModeLabel::Secondary => format!(
                        "{} has two kinds of calls: {} of the sampled calls take ~{}, the rest ~{}, all through the run. Time them as separate operations to see which one costs.",
                        operation.operation,
                        format_share(mode.share_of_sample),
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms)
                    ),
                    _ => format!(
                        "{} has sporadic slow calls: {} sampled calls took ~{} instead of ~{}, from {:.1}s to {:.1}s. Look for contention or blocking I/O on that path.",
                        operation.operation,
                        mode.calls_in_sample,
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.first_at_s,
                        mode.last_at_s
                    ),
                };
                let category = match mode.label {
                    ModeLabel::WarmUp => "warm_up",
                    ModeLabel::PeriodicStall => "periodic_stall",
                    ModeLabel::Secondary => "two_kinds_of_calls",
                    _ => "sporadic_slow_calls",
                };
                (category, what)
            }
            _ if operation.stats.median_ms > 0.0
                && operation.stats.p99_ms >= 10.0 * operation.stats.median_ms =>
            {
                (
                    "high_variance",
                    format!(
                        "{} varies a lot: p99 {} against a median of {}. Find what makes the slow calls slow (stalls, contention, cold caches).",
                        operation.operation,
                        format_ms(operation.stats.p99_ms),
                        format_ms(operation.stats.median_ms)
                    ),
                )
            }
            _ => continue,
        };
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: category.to_string(),
            recommendation: text,
            impact: format!(
                "calls slower than p95 cost {} of own work beyond the median ({} of the run's own work)",
                format_ms(tail_saving),
                format_share(tail_share)
            ),
            estimated_saving_ms: Some(tail_saving),
            evidence: json!({ "operation": operation_evidence(operation), "modes": modes }),
        });
    }
}

fn trend_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for trend in evidence.trends.iter().filter(|trend| trend.slowing) {
        let Some((component, operation)) = operations(evidence.components).find(|(_, op)| {
            op.component == trend.component
                && op.operation == trend.operation
                && op.phase == trend.phase
        }) else {
            continue;
        };
        let extra_ms = (operation.stats.mean_ms - trend.fitted_start_ms).max(0.0)
            * operation.stats.count as f64
            * operation.own_fraction();
        let priority = if trend.change_over_run >= 0.5 && operation.share >= 0.05 {
            Severity::High
        } else if operation.share >= 0.01 {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: "slowing_trend".to_string(),
            recommendation: format!(
                "{} slows down as training goes on: from ~{} to ~{} over {:.1}s (+{}); at twice the run's length it would take ~{}. Look for growing buffers, caches or leaks on that path.",
                operation.operation,
                format_ms(trend.fitted_start_ms),
                format_ms(trend.fitted_end_ms),
                trend.span_s,
                format_share(trend.change_over_run),
                format_ms(trend.projected_at_twice_run_ms)
            ),
            impact: format!("the slowdown has cost ~{} so far and grows with run length", format_ms(extra_ms)),
            estimated_saving_ms: Some(extra_ms),
            evidence: json!(trend),
        });
    }
}

fn imbalance_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for imbalance in evidence.imbalances {
        let busy = |thread: &super::model::ThreadShare| thread.self_ms.unwrap_or(thread.total_ms);
        let Some(busiest) = imbalance
            .threads
            .iter()
            .max_by(|a, b| busy(a).total_cmp(&busy(b)))
        else {
            continue;
        };
        let mean = imbalance.threads.iter().map(busy).sum::<f64>() / imbalance.threads.len() as f64;
        let name = busiest
            .name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        out.push(Recommendation {
            priority: share_severity(imbalance.share, evidence.thresholds).unwrap_or(Severity::Low),
            component: imbalance.component.clone(),
            operation: Some(imbalance.operation.clone()),
            category: "thread_imbalance".to_string(),
            recommendation: format!(
                "{} keeps thread {}{name} busy {} against {} on average over {} threads ({:.1}x). Spread the work evenly (smaller work units, work stealing).",
                imbalance.operation,
                busiest.thread,
                format_ms(busy(busiest)),
                format_ms(mean),
                imbalance.threads.len(),
                imbalance.max_over_mean
            ),
            impact: format!("balanced, the slowest thread would finish ~{} sooner", format_ms(busy(busiest) - mean)),
            estimated_saving_ms: Some(busy(busiest) - mean),
            evidence: json!(imbalance),
        });
    }
}

/// Significant operations outside the original's categories: where does their time go?
fn self_vs_children_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for (component, operation) in operations(evidence.components) {
        if Category::of(&operation.operation, &operation.phase).is_some()
            || operation.self_ms.is_none()
        {
            continue;
        }
        let fraction = operation.own_fraction();
        if fraction < 0.2 && operation.inclusive_share >= evidence.thresholds.medium_share {
            let children = top_children(evidence, operation);
            let waits = operation.waiting_ms.is_some_and(|waiting| waiting > 0.0);
            out.push(Recommendation {
                priority: Severity::Low,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                category: "dominated_by_children".to_string(),
                recommendation: format!(
                    "{} spends {} of its time in the operations it calls{}{}: optimise those, not {} itself.",
                    operation.operation,
                    format_share(1.0 - fraction),
                    if waits { " or waiting for them on other threads" } else { "" },
                    if children.is_empty() { String::new() } else { format!(" (mostly {})", children.join(", ")) },
                    operation.operation
                ),
                impact: format!("its own work is only {} of its {}", format_ms(operation.own_ms()), format_ms(operation.stats.total_ms)),
                estimated_saving_ms: None,
                evidence: json!({ "operation": operation_evidence(operation), "top_children": children }),
            });
            continue;
        }
        let Some(by_share) = share_severity(operation.share, evidence.thresholds) else {
            continue;
        };
        let priority = by_share.max(
            threshold_severity(operation.mean_own_ms(), evidence.thresholds)
                .unwrap_or(Severity::Low),
        );
        let (saving, rule) = estimated_saving_ms(operation);
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: "hot_operation".to_string(),
            recommendation: format!(
                "{} takes {} of the run's own work ({} of {}'s), {} of its time in its own code ({} calls, {} avg): profile inside {}, no timed child explains it.",
                operation.operation,
                format_share(operation.share),
                format_share(operation.component_share),
                component.name,
                format_share(fraction),
                operation.stats.count,
                format_ms(operation.stats.mean_ms),
                operation.operation
            ),
            impact: format!("{} (if you {rule})", impact(operation, component, saving)),
            estimated_saving_ms: Some(saving),
            evidence: operation_evidence(operation),
        });
    }
}

fn top_children(evidence: &Evidence, operation: &OperationReport) -> Vec<String> {
    let Some(parent) = evidence.keys.iter().position(|key| {
        key.component == operation.component
            && key.operation == operation.operation
            && key.phase == operation.phase
    }) else {
        return Vec::new();
    };
    let Some(children) = evidence.breakdown.get(&(parent as u32)) else {
        return Vec::new();
    };
    let mut children: Vec<(&str, u128)> = children
        .iter()
        .map(|(&key, &(_, total))| (evidence.keys[key as usize].operation.as_str(), total))
        .collect();
    children.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    children
        .iter()
        .take(3)
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Waiting dominates an operation's self time from this fraction on.
pub const WAITING_DOMINATES: f64 = 0.5;

/// Operations whose thread mostly waits for their children on other threads: the work to
/// optimise is in those children, and what waiting itself costs is the workers' imbalance.
fn waiting_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for waiting in evidence.waiting {
        let Some((component, operation)) = operations(evidence.components).find(|(_, op)| {
            op.component == waiting.component
                && op.operation == waiting.operation
                && op.phase == waiting.phase
        }) else {
            continue;
        };
        let Some(self_ms) = operation.self_ms else {
            continue;
        };
        if self_ms <= 0.0
            || waiting.waiting_ms < WAITING_DOMINATES * self_ms
            || evidence.run_share(self_ms) < evidence.thresholds.low_share
        {
            continue;
        }
        let children: Vec<&str> = waiting
            .worker_operations
            .iter()
            .take(3)
            .map(|child| child.operation.as_str())
            .collect();
        let saving = waiting.imbalance_ms;
        out.push(Recommendation {
            priority: evidence.saving_priority(saving),
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: "waiting_for_workers".to_string(),
            recommendation: format!(
                "{}'s thread waits for its workers {} of its self time ({}): the work is in its children on {} ({}). Optimise those; see the worker imbalance, which is what the waiting itself costs.",
                operation.operation,
                format_share(waiting.waiting_ms / self_ms),
                format_ms(waiting.waiting_ms),
                thread_list(&waiting.worker_threads),
                children.join(", ")
            ),
            impact: format!(
                "its own work is {} of {} self time; balanced workers would shorten the wait by ~{}",
                format_ms(operation.own_work_ms),
                format_ms(self_ms),
                format_ms(saving)
            ),
            estimated_saving_ms: Some(saving),
            evidence: json!({ "operation": operation_evidence(operation), "waiting": waiting }),
        });
    }
}

/// Calls at least this many ...
pub const TINY_CALL_MIN_COUNT: u64 = 10_000;
/// ... shorter than this on average (ms) ...
pub const TINY_CALL_MAX_MS: f64 = 0.01;
/// ... at this rate or more (calls per second of the component's run) suggest batching.
pub const TINY_CALL_MIN_RATE: f64 = 1000.0;

/// Very frequent, very short calls: per-call overhead dominates, batching helps.
fn tiny_call_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for (component, operation) in operations(evidence.components) {
        let rate = operation.calls_per_second.unwrap_or(0.0);
        if operation.stats.count < TINY_CALL_MIN_COUNT
            || operation.stats.mean_ms >= TINY_CALL_MAX_MS
            || rate < TINY_CALL_MIN_RATE
        {
            continue;
        }
        out.push(Recommendation {
            priority: if operation.share >= evidence.thresholds.medium_share { Severity::Medium } else { Severity::Low },
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            category: "batch_tiny_calls".to_string(),
            recommendation: format!(
                "{} is called {} times ({:.0}/s) at {} each: batch the work (many items per call) to cut per-call overhead, including the ~20-50ns the timing itself adds per call.",
                operation.operation,
                operation.stats.count,
                rate,
                format_ms(operation.stats.mean_ms)
            ),
            impact: format!("{} of {}'s time", format_share(operation.share), component.name),
            estimated_saving_ms: None,
            evidence: operation_evidence(operation),
        });
    }
}

fn failure_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for (component, operation) in operations(evidence.components) {
        if operation.panicked > 0 {
            out.push(Recommendation {
                priority: Severity::High,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                category: "panicked_calls".to_string(),
                recommendation: format!(
                    "{} panicked in {} of {} calls: fix the failure before tuning its speed.",
                    operation.operation, operation.panicked, operation.stats.count
                ),
                impact: "work of the panicked calls was lost".to_string(),
                estimated_saving_ms: None,
                evidence: json!({ "panicked": operation.panicked, "count": operation.stats.count }),
            });
        }
        if operation.cancelled > 0 {
            out.push(Recommendation {
                priority: Severity::Medium,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                category: "cancelled_calls".to_string(),
                recommendation: format!(
                    "{} was cancelled in {} of {} calls (async calls dropped before completing): check timeouts and shutdown order.",
                    operation.operation, operation.cancelled, operation.stats.count
                ),
                impact: "work of the cancelled calls was thrown away".to_string(),
                estimated_saving_ms: None,
                evidence: json!({ "cancelled": operation.cancelled, "count": operation.stats.count }),
            });
        }
    }
}

fn cross_component_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    // The sample keeps this fraction of the run's time: scale sampled figures to the run.
    let scale = 1.0 / evidence.cross.sampled_fraction.max(f64::MIN_POSITIVE);
    for link in &evidence.cross.links {
        if link.imbalance_fraction >= 0.10 {
            let saving = link.imbalance_ms * scale;
            out.push(Recommendation {
                priority: evidence.saving_priority(saving),
                component: link.parent_component.clone(),
                operation: Some(link.parent_operation.clone()),
                category: "worker_imbalance".to_string(),
                recommendation: format!(
                    "{} waits for its slowest {} worker: {} of its time is imbalance over {} worker threads ({}). Balance the work per thread (equal environments per worker, smaller work units).",
                    link.parent_operation,
                    link.child_component,
                    format_share(link.imbalance_fraction),
                    link.worker_threads.len(),
                    thread_list(&link.worker_threads)
                ),
                impact: format!("~{} of waiting for the slowest worker in the analysed calls", format_ms(link.imbalance_ms)),
                estimated_saving_ms: Some(saving),
                evidence: json!(link),
            });
        }
        if link.overhead_fraction >= 0.30 {
            let saving = link.overhead_ms / 2.0 * scale;
            out.push(Recommendation {
                priority: evidence.saving_priority(saving),
                component: link.parent_component.clone(),
                operation: Some(link.parent_operation.clone()),
                category: "coordination_overhead".to_string(),
                recommendation: format!(
                    "{} spends {} of its time outside {}'s operations (its own coordination, with none of them running). Overlap coordination with the workers' work or do less of it per call.",
                    link.parent_operation,
                    format_share(link.overhead_fraction),
                    link.child_component
                ),
                impact: format!("~{} of overhead in the analysed calls", format_ms(link.overhead_ms)),
                estimated_saving_ms: Some(saving),
                evidence: json!(link),
            });
        }
    }
}

fn input_rules(evidence: &Evidence, out: &mut Vec<Recommendation>) {
    for file in evidence.files.iter().filter(|file| file.problems_total > 0) {
        let kinds: Vec<String> = file
            .problem_counts
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        let first = file
            .first_problems
            .first()
            .map(|problem| problem.line)
            .unwrap_or(0);
        out.push(Recommendation {
            priority: Severity::Low,
            component: file.components.first().cloned().unwrap_or_else(|| file.stem.clone()),
            operation: None,
            category: "input_problems".to_string(),
            recommendation: format!(
                "{}: {} input problems were skipped ({}); the first at line {first}. Every good row was used; check how the log was written or cut.",
                file.path.display(),
                file.problems_total,
                kinds.join(", ")
            ),
            impact: "statistics exclude the skipped lines".to_string(),
            estimated_saving_ms: None,
            evidence: json!({ "problem_counts": file.problem_counts, "first_problems": file.first_problems }),
        });
    }
    for summary in evidence.summaries {
        let serious: Vec<&String> = summary
            .checks
            .iter()
            .filter(|check| !check.starts_with("rows written ("))
            .collect();
        if serious.is_empty() && summary.problems_total == 0 {
            continue;
        }
        let mut parts: Vec<String> = serious.iter().map(|check| check.to_string()).collect();
        if summary.problems_total > 0 {
            parts.push(format!("{} unrecognised entries", summary.problems_total));
        }
        let incomplete =
            summary.write_errors.unwrap_or(0) > 0 || summary.rows_lost.unwrap_or(0) > 0;
        out.push(Recommendation {
            priority: if incomplete {
                Severity::Medium
            } else {
                Severity::Low
            },
            component: summary.matched_component.clone().unwrap_or_default(),
            operation: None,
            category: "summary_check".to_string(),
            recommendation: format!("{}: {}.", summary.path.display(), parts.join("; ")),
            impact: "the logs may not hold every call".to_string(),
            estimated_saving_ms: None,
            evidence: json!(summary),
        });
    }
}

/// Failed calls first (their timings are not of completed work), then by estimated saving
/// (priority breaks ties), then the recommendations without a time estimate by priority.
fn rank(a: &Recommendation, b: &Recommendation) -> std::cmp::Ordering {
    let group = |r: &Recommendation| match (r.category.as_str(), r.estimated_saving_ms) {
        ("panicked_calls", _) => 0,
        (_, Some(_)) => 1,
        (_, None) => 2,
    };
    group(a)
        .cmp(&group(b))
        .then_with(|| {
            b.estimated_saving_ms
                .unwrap_or(0.0)
                .total_cmp(&a.estimated_saving_ms.unwrap_or(0.0))
        })
        .then_with(|| b.priority.cmp(&a.priority))
        .then_with(|| {
            (&a.component, &a.operation, &a.category).cmp(&(
                &b.component,
                &b.operation,
                &b.category,
            ))
        })
}

pub fn recommend(evidence: &Evidence) -> Vec<Recommendation> {
    let mut out = Vec::new();
    category_rules(evidence, &mut out);
    variance_rules(evidence, &mut out);
    trend_rules(evidence, &mut out);
    imbalance_rules(evidence, &mut out);
    waiting_rules(evidence, &mut out);
    cross_component_rules(evidence, &mut out);
    self_vs_children_rules(evidence, &mut out);
    tiny_call_rules(evidence, &mut out);
    failure_rules(evidence, &mut out);
    input_rules(evidence, &mut out);
    out.sort_by(rank);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_originals_categories() {
        assert_eq!(
            Category::of("update_policy", "training"),
            Some(Category::PolicyUpdate)
        );
        assert_eq!(
            Category::of("update_weights", "training"),
            Some(Category::PolicyUpdate)
        );
        assert_eq!(Category::of("update_metrics", "metrics"), None);
        assert_eq!(
            Category::of("ppo_epoch", "training"),
            Some(Category::Epochs)
        );
        assert_eq!(
            Category::of("batch_forward", "inference"),
            Some(Category::ForwardPass)
        );
        assert_eq!(
            Category::of("select_action", "inference"),
            Some(Category::ForwardPass)
        );
        assert_eq!(
            Category::of("parallel_training", "training"),
            Some(Category::ParallelTraining)
        );
        assert_eq!(
            Category::of("broadcast_metrics", "ui"),
            Some(Category::Broadcast)
        );
        assert_eq!(
            Category::of("WebSocket_send", "ui"),
            Some(Category::Broadcast)
        );
        assert_eq!(
            Category::of("buffer_add", "rollout"),
            Some(Category::Buffer)
        );
        assert_eq!(Category::of("save_checkpoint", "checkpoint"), None);
    }

    #[test]
    fn the_originals_example_priorities() {
        assert_eq!(
            mean_priority(Category::PolicyUpdate, 245.67),
            Some(Severity::High)
        );
        assert_eq!(
            mean_priority(Category::ParallelTraining, 1200.45),
            Some(Severity::High)
        );
        assert_eq!(
            mean_priority(Category::ForwardPass, 45.23),
            Some(Severity::Medium)
        );
        assert_eq!(mean_priority(Category::ForwardPass, 0.4), None);
    }
}
