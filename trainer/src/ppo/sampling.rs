//! Choosing actions from masked logits: a categorical draw for training, argmax for evaluation.

use crate::model::Real;

/// Draws an action from `softmax(logits)` with the uniform number `u` in [0, 1); returns it and
/// its log-probability. Masked logits have probability 0 and are never drawn.
#[inline]
pub fn sample_action(logits: &[f32], u: f32) -> (usize, f32) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut weights = [0.0f32; 8];
    let mut sum = 0.0;
    for (w, &z) in weights.iter_mut().zip(logits) {
        *w = (z - max).exp_masked();
        sum += *w;
    }
    let target = u * sum;
    let mut cumulative = 0.0;
    // Rounding can leave `target` at or above the final cumulative sum: fall back to the last
    // action with non-zero probability.
    let mut chosen = 0;
    for (a, &w) in weights[..logits.len()].iter().enumerate() {
        if w > 0.0 {
            chosen = a;
            cumulative += w;
            if target < cumulative {
                break;
            }
        }
    }
    (chosen, logits[chosen] - max - sum.ln())
}

/// The highest-logit action; ties go to the lowest index.
#[inline]
pub fn greedy_action(logits: &[f32]) -> usize {
    let mut best = 0;
    for (a, &z) in logits.iter().enumerate().skip(1) {
        if z > logits[best] {
            best = a;
        }
    }
    best
}

/// A uniform `f32` in [0, 1) from the top 24 bits of a random word.
#[inline]
pub fn unit_f32(bits: u64) -> f32 {
    (bits >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_cumulative_distribution() {
        // probabilities 0.25, 0, 0.75 (the middle action masked)
        let logits = [0.0f32, -1e9, 3.0f32.ln()];
        assert_eq!(sample_action(&logits, 0.0).0, 0);
        assert_eq!(sample_action(&logits, 0.2499).0, 0);
        assert_eq!(sample_action(&logits, 0.2501).0, 2);
        assert_eq!(sample_action(&logits, 0.999_999_9).0, 2);
        let (action, log_prob) = sample_action(&logits, 0.9);
        assert_eq!(action, 2);
        assert!((log_prob - 0.75f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn greedy_picks_first_maximum() {
        assert_eq!(greedy_action(&[1.0, 3.0, 3.0, -1e9]), 1);
        assert_eq!(greedy_action(&[-1e9, -1e9, 0.5, 0.4]), 2);
    }

    #[test]
    fn unit_f32_spans_zero_to_below_one() {
        assert_eq!(unit_f32(0), 0.0);
        assert_eq!(unit_f32(u64::MAX), 1.0 - 1.0 / (1u64 << 24) as f32);
    }
}
