//! The WebSocket messages: JSON objects whose `type` says what they carry and whose `seq`
//! numbers every message the server sends, in order (README "The live dashboard" documents
//! each). A message is serialised once and the same text goes to every client; what differs
//! per client (`dropped`) is spliced in front.

use crate::evaluation::EvaluationReport;
use crate::manager::IterationMetrics;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The first message on a connection: the state, the latest message of each other kind,
    /// and the run's iterations so far.
    Hello,
    /// One training iteration: the fields of its `metrics.jsonl` line, and `progress`.
    Iteration,
    /// Live per-operation timing over the last interval, bottlenecks and recommendations.
    Timing,
    /// The run's state changed.
    Status,
    /// The greedy evaluation after training.
    Evaluation,
    /// The run ended: why, and where its report is.
    Finished,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hello => "hello",
            Kind::Iteration => "iteration",
            Kind::Timing => "timing",
            Kind::Status => "status",
            Kind::Evaluation => "evaluation",
            Kind::Finished => "finished",
        }
    }
}

/// `body` (a JSON object) with `type` and `seq` first.
pub fn frame(kind: Kind, seq: u64, body: &str) -> String {
    let fields = body
        .strip_prefix('{')
        .expect("a message body is a JSON object")
        .trim_start();
    let separator = if fields.starts_with('}') { "" } else { "," };
    format!(
        "{{\"type\":\"{}\",\"seq\":{seq}{separator}{fields}",
        kind.name()
    )
}

/// `frame` telling its client that `dropped` messages before it were not delivered to it.
pub fn with_dropped(frame: &str, dropped: u64) -> String {
    let rest = frame.strip_prefix('{').expect("a message is a JSON object");
    format!("{{\"dropped\":{dropped},{rest}")
}

/// The latest message of each kind that describes the run as a whole (each a whole frame).
#[derive(Clone, Debug, Default)]
pub struct Latest<T> {
    pub status: Option<T>,
    pub timing: Option<T>,
    pub evaluation: Option<T>,
    pub finished: Option<T>,
}

/// The `hello` message: `seq` is that of the last message it accounts for (the next message
/// on the connection has `seq + 1`); `history` holds the run's iteration messages, oldest
/// first.
pub fn hello<T: std::ops::Deref<Target = str>>(
    seq: u64,
    latest: &Latest<T>,
    history: &[T],
) -> String {
    let embedded = |message: &Option<T>| match message {
        Some(message) => message.to_string(),
        None => "null".to_string(),
    };
    let mut out = String::with_capacity(256 + history.iter().map(|m| m.len() + 1).sum::<usize>());
    out.push_str(&format!(
        "{{\"type\":\"hello\",\"seq\":{seq},\"protocol\":1,\"status\":{},\"timing\":{},\"evaluation\":{},\"finished\":{},\"history\":[",
        embedded(&latest.status),
        embedded(&latest.timing),
        embedded(&latest.evaluation),
        embedded(&latest.finished)
    ));
    for (i, message) in history.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(message);
    }
    out.push_str("]}");
    out
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// No run since the server started.
    Idle,
    /// Settings accepted; the timing session and the environments are being set up.
    Starting,
    Training,
    /// A stop was asked for: the current iteration ends, then the final checkpoint.
    Stopping,
    /// Training is over: evaluation, logs and the report are being written.
    Finishing,
    /// The last run ended; another may start.
    Finished,
}

impl RunState {
    pub fn is_running(self) -> bool {
        matches!(
            self,
            RunState::Starting | RunState::Training | RunState::Stopping | RunState::Finishing
        )
    }
}

/// A `status` message's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusBody {
    pub state: RunState,
    /// The run's id (its manifest's), once known.
    pub run_id: Option<String>,
    /// Every PPO and manager setting the run resolved to (`null` before it has).
    pub settings: Option<serde_json::Value>,
}

/// An `iteration` message's fields: the `metrics.jsonl` line's, and the share of the budget
/// used.
#[derive(Serialize)]
pub struct IterationBody<'a> {
    pub progress: f64,
    #[serde(flatten)]
    pub metrics: &'a IterationMetrics,
}

/// An `evaluation` message's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvaluationBody {
    pub policy: String,
    pub games: usize,
    pub seconds: f64,
    pub mean_score: f64,
    pub median_score: f64,
    pub max_score: u32,
    pub mean_moves: f64,
    /// How many games ended with each largest tile.
    pub max_tiles: BTreeMap<u32, usize>,
    /// The share of games whose largest tile is at least each tile.
    pub reach_rates: BTreeMap<u32, f64>,
}

impl From<&EvaluationReport> for EvaluationBody {
    fn from(report: &EvaluationReport) -> Self {
        EvaluationBody {
            policy: report.policy.clone(),
            games: report.games,
            seconds: report.seconds,
            mean_score: report.mean_score,
            median_score: report.median_score,
            max_score: report.max_score,
            mean_moves: report.mean_moves,
            max_tiles: report.max_tiles.clone(),
            reach_rates: report.reached.iter().copied().collect(),
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    BudgetSpent,
    Interrupted,
    Failed,
}

/// A `finished` message's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinishedBody {
    pub reason: EndReason,
    /// The error and its causes, when the run failed.
    pub error: Option<String>,
    pub run_id: Option<String>,
    /// Seconds from the request to the end (setup, training, evaluation, report).
    pub duration_s: f64,
    /// Paths on this server (without the token) of the run's `report.html` and of the
    /// comparison with the previous run, where they were written.
    pub report: Option<String>,
    pub comparison: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_and_seq_come_first_and_drops_in_front() {
        let message = frame(Kind::Status, 7, r#"{"state":"training"}"#);
        assert_eq!(message, r#"{"type":"status","seq":7,"state":"training"}"#);
        assert_eq!(frame(Kind::Timing, 0, "{}"), r#"{"type":"timing","seq":0}"#);
        assert_eq!(
            with_dropped(&message, 3),
            r#"{"dropped":3,"type":"status","seq":7,"state":"training"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&with_dropped(&message, 3)).unwrap();
        assert_eq!(parsed["dropped"], 3);
        assert_eq!(parsed["seq"], 7);
    }

    #[test]
    fn hello_embeds_the_latest_messages_and_the_history() {
        let latest = Latest {
            status: Some(frame(Kind::Status, 1, r#"{"state":"training"}"#)),
            timing: None,
            evaluation: None,
            finished: None,
        };
        let history = [
            frame(Kind::Iteration, 2, r#"{"iteration":1}"#),
            frame(Kind::Iteration, 3, r#"{"iteration":2}"#),
        ];
        let message: serde_json::Value =
            serde_json::from_str(&hello(3, &latest, &history)).unwrap();
        assert_eq!(
            message,
            serde_json::json!({
                "type": "hello", "seq": 3, "protocol": 1,
                "status": {"type": "status", "seq": 1, "state": "training"},
                "timing": null, "evaluation": null, "finished": null,
                "history": [
                    {"type": "iteration", "seq": 2, "iteration": 1},
                    {"type": "iteration", "seq": 3, "iteration": 2}
                ]
            })
        );
        let empty: serde_json::Value =
            serde_json::from_str(&hello::<String>(0, &Latest::default(), &[])).unwrap();
        assert_eq!(empty["history"], serde_json::json!([]));
    }

    #[test]
    fn states_and_reasons_serialise_in_snake_case() {
        let body = StatusBody {
            state: RunState::Finishing,
            run_id: None,
            settings: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"state":"finishing","run_id":null,"settings":null}"#
        );
        assert_eq!(
            serde_json::to_string(&EndReason::BudgetSpent).unwrap(),
            r#""budget_spent""#
        );
        assert!(RunState::Stopping.is_running());
        assert!(!RunState::Finished.is_running());
    }
}
