//! Severity, and the bottlenecks it ranks (README "How severity is decided").

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bottleneck {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub avg_duration_ms: f64,
    pub severity: Severity,
    pub description: String,
    pub threshold_severity: Option<Severity>,
    pub share_severity: Option<Severity>,
    /// Own work over the run's own work.
    pub share: f64,
    /// Own work over the component's own work (shown, not used for severity).
    pub component_share: f64,
    pub self_ms: Option<f64>,
    pub waiting_ms: Option<f64>,
    pub own_work_ms: f64,
    pub total_ms: f64,
    pub count: u64,
    pub estimated_saving_ms: f64,
    pub saving_rule: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_serialize_as_their_names() {
        for severity in [Severity::Low, Severity::Medium, Severity::High] {
            assert_eq!(
                serde_json::to_value(severity).unwrap(),
                serde_json::Value::from(severity.as_str())
            );
        }
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
    }
}
