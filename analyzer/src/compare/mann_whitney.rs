//! The Mann-Whitney U test (Wilcoxon rank-sum), two-sided: do the two runs' durations of an
//! operation come from the same distribution? Exact for small samples without ties (the
//! distribution of U counted), else the normal approximation with the tie correction and a
//! continuity correction of 1/2 (as scipy's `mannwhitneyu`).

use serde::Serialize;

/// Samples of at most this many values together, without ties, get the exact p-value (the
/// counts stay exact in f64: C(50, 25) < 2^53).
pub const EXACT_MAX: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    Exact,
    Normal,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample: the pairs (x, y) with x > y, ties counting one half.
    pub u: f64,
    pub p_value: f64,
    pub method: TestMethod,
}

pub fn mann_whitney(x: &[u64], y: &[u64]) -> MannWhitney {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return MannWhitney {
            u: 0.0,
            p_value: 1.0,
            method: TestMethod::Exact,
        };
    }
    let mut all: Vec<(u64, bool)> = x
        .iter()
        .map(|&value| (value, true))
        .chain(y.iter().map(|&value| (value, false)))
        .collect();
    all.sort_unstable();
    let n = all.len();
    let mut rank_sum = 0.0;
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end < n && all[end].0 == all[start].0 {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let from_x = all[start..end].iter().filter(|(_, first)| *first).count();
        rank_sum += from_x as f64 * mean_rank;
        let tied = (end - start) as f64;
        tie_term += tied * tied * tied - tied;
        start = end;
    }
    let u = rank_sum - (n1 * (n1 + 1)) as f64 / 2.0;
    if tie_term == 0.0 && n <= EXACT_MAX {
        MannWhitney {
            u,
            p_value: exact_p(u as usize, n1, n2),
            method: TestMethod::Exact,
        }
    } else {
        MannWhitney {
            u,
            p_value: normal_p(u, n1, n2, tie_term),
            method: TestMethod::Normal,
        }
    }
}

/// How many orderings of n1 + n2 distinct values give each U (0..=n1*n2): the coefficients
/// of the Gaussian binomial, by ways(i, j) = ways(i - 1, j) shifted by j + ways(i, j - 1).
fn u_counts(n1: usize, n2: usize) -> Vec<f64> {
    // row[j]: the counts for (i, j), i the x values placed so far.
    let mut row: Vec<Vec<f64>> = vec![vec![1.0]; n2 + 1];
    for i in 1..=n1 {
        let mut next: Vec<Vec<f64>> = Vec::with_capacity(n2 + 1);
        for j in 0..=n2 {
            let mut counts = vec![0.0; i * j + 1];
            // The largest value is an x: it beats all j values of y.
            for (u, &ways) in row[j].iter().enumerate() {
                counts[u + j] += ways;
            }
            // ... or a y: it adds nothing to U.
            if j > 0 {
                for (u, &ways) in next[j - 1].iter().enumerate() {
                    counts[u] += ways;
                }
            }
            next.push(counts);
        }
        row = next;
    }
    row.pop().unwrap_or_default()
}

fn exact_p(u: usize, n1: usize, n2: usize) -> f64 {
    let counts = u_counts(n1, n2);
    let total: f64 = counts.iter().sum();
    let at_most: f64 = counts[..=u.min(counts.len() - 1)].iter().sum();
    let at_least: f64 = counts[u.min(counts.len())..].iter().sum();
    (2.0 * at_most.min(at_least) / total).min(1.0)
}

fn normal_p(u: f64, n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let n = n1 + n2;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        // Every value is the same: nothing tells the samples apart.
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    libm::erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_p_values_by_hand() {
        // U = 0: one ordering of C(6, 3) = 20 is as extreme on each side.
        let all_below = mann_whitney(&[1, 2, 3], &[4, 5, 6]);
        assert_eq!(all_below.u, 0.0);
        assert_eq!(all_below.method, TestMethod::Exact);
        assert!((all_below.p_value - 0.1).abs() < 1e-15);
        // U = 3: P(U <= 3) = (1 + 1 + 2 + 3) / 20.
        let interleaved = mann_whitney(&[1, 3, 5], &[2, 4, 6]);
        assert_eq!(interleaved.u, 3.0);
        assert!((interleaved.p_value - 0.7).abs() < 1e-15);
        assert_eq!(
            u_counts(3, 3),
            [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 2.0, 1.0, 1.0]
        );
        assert_eq!(mann_whitney(&[7], &[9]).p_value, 1.0);
    }

    #[test]
    fn normal_approximation_with_ties_by_hand() {
        // Ranks: 1 -> 1; the three 2s -> 3; the two 3s -> 5.5; 4 -> 7; 5 -> 8.
        // R = 1 + 3 + 3 + 5.5 = 12.5, U = 2.5; mean 8; ties 3^3-3 + 2^3-2 = 30;
        // variance 16/12 * (9 - 30/56); z = (5.5 - 0.5) / sqrt(variance).
        let tied = mann_whitney(&[1, 2, 2, 3], &[2, 3, 4, 5]);
        assert_eq!(tied.u, 2.5);
        assert_eq!(tied.method, TestMethod::Normal);
        let variance: f64 = 16.0 / 12.0 * (9.0 - 30.0 / 56.0);
        let z = 5.0 / variance.sqrt();
        let expected = libm::erfc(z / std::f64::consts::SQRT_2);
        assert!((tied.p_value - expected).abs() < 1e-15);
        // The same figure from Python's math.erfc.
        assert!((tied.p_value - 0.13665824773814753).abs() < 1e-12);
    }

    #[test]
    fn large_samples_use_the_normal_approximation() {
        let x: Vec<u64> = (0..30).map(|i| 10 * i + 3).collect();
        let y: Vec<u64> = (5..35).map(|i| 10 * i + 7).collect();
        let test = mann_whitney(&x, &y);
        assert_eq!((test.u, test.method), (300.0, TestMethod::Normal));
        assert!((test.p_value - 0.02708631838829596).abs() < 1e-12);
    }

    #[test]
    fn identical_samples_are_not_different() {
        let sample = [5, 1, 3, 3, 9];
        assert_eq!(mann_whitney(&sample, &sample).p_value, 1.0);
        assert_eq!(mann_whitney(&[4; 10], &[4; 12]).p_value, 1.0);
        assert_eq!(mann_whitney(&[], &[1]).p_value, 1.0);
    }
}
