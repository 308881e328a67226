//! Human-readable durations: the unit is chosen per value, because a Rust hot path takes
//! nanoseconds while a training epoch takes seconds, and one fixed unit hides one of them.

/// Formats nanoseconds as `412ns`, `41.23us`, `245.67ms` or `1.20s`.
pub fn format_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "n/a".to_string();
    }
    let magnitude = ns.abs();
    if magnitude < 1e3 {
        format!("{ns:.0}ns")
    } else if magnitude < 1e6 {
        format!("{:.2}us", ns / 1e3)
    } else if magnitude < 1e9 {
        format!("{:.2}ms", ns / 1e6)
    } else {
        format!("{:.2}s", ns / 1e9)
    }
}

/// Formats milliseconds with the unit chosen per value (see [`format_ns`]).
pub fn format_ms(ms: f64) -> String {
    format_ns(ms * 1e6)
}

/// Formats a fraction (0.382) as a percentage (`38.2%`).
pub fn format_share(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    format!("{:.1}%", fraction * 100.0)
}

/// Nanoseconds to milliseconds, the unit of every number in the JSON report.
pub fn ns_to_ms(ns: f64) -> f64 {
    ns / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_unit_per_value() {
        assert_eq!(format_ns(412.0), "412ns");
        assert_eq!(format_ns(999.4), "999ns");
        assert_eq!(format_ns(41_234.0), "41.23us");
        assert_eq!(format_ns(245_670_000.0), "245.67ms");
        assert_eq!(format_ns(1_200_450_000.0), "1.20s");
        assert_eq!(format_ns(f64::NAN), "n/a");
    }

    #[test]
    fn milliseconds_and_shares() {
        assert_eq!(format_ms(245.67), "245.67ms");
        assert_eq!(format_ms(0.000042), "42ns");
        assert_eq!(format_ms(0.412345), "412.35us");
        assert_eq!(format_share(0.3821), "38.2%");
        assert_eq!(ns_to_ms(1_500_000.0), 1.5);
    }
}
