//! The data behind the charts that the JSON report does not hold.

/// Per charted operation, a label and its points.
pub type Series = Vec<(String, Vec<(f64, f64)>)>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// Per top operation: (label, [(bin's duration in ms, share of calls per decade)]).
    pub distributions: Series,
    /// Per top operation: (label, [(seconds since the component's first call, ms)]).
    pub timelines: Series,
}
