//! The Benjamini-Hochberg correction: comparing many operations at once, some would look
//! significant by chance; adjusted p-values bound the expected share of false discoveries.

/// The adjusted p-values, in the order given: p_(i) * m / i over the sorted p-values, made
/// monotone from the largest down, at most 1.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut adjusted = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &index) in order.iter().enumerate().rev() {
        running = running.min(p_values[index] * m as f64 / (rank + 1) as f64);
        adjusted[index] = running.min(1.0);
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-15)
    }

    #[test]
    fn adjusted_by_hand() {
        // Sorted: 0.005 * 4/1 = 0.02, 0.01 * 4/2 = 0.02, 0.03 * 4/3 = 0.04, 0.04 * 4/4 = 0.04.
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        assert!(close(&adjusted, &[0.02, 0.04, 0.04, 0.02]), "{adjusted:?}");
        // 0.01 * 3 = 0.03 is lowered to the next one's 0.02 * 3/2 = 0.03; 0.5 stays.
        let adjusted = benjamini_hochberg(&[0.01, 0.02, 0.5]);
        assert!(close(&adjusted, &[0.03, 0.03, 0.5]), "{adjusted:?}");
        // Never above 1.
        assert!(close(&benjamini_hochberg(&[0.9, 0.8]), &[0.9, 0.9]));
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[0.2]), [0.2]);
    }
}
