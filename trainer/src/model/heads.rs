//! The policy and value heads: a few outputs (at most 9) per row, too narrow for an efficient
//! matrix product, so they run as per-row dot products and AXPYs against the heads' weights
//! held transposed (one contiguous row of `width` weights per output).

use super::real::Real;
use super::simd::multiversion;

/// Lanes of the dot-product accumulators: enough independent sums to fill the FMA pipes.
const LANES: usize = 16;

#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::ZERO; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: T = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .fold(T::ZERO, |acc, (&x, &y)| acc + x * y);
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().fold(tail, |acc, &l| acc + l)
}

#[inline(always)]
fn axpy<T: Real>(y: &mut [T], alpha: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// Writes the heads' weights transposed: `out[o * width + j] = weight of input j for output
/// o`, policy outputs first, then the value.
pub fn transpose_heads<T: Real>(policy: &[T], value: &[T], actions: usize, out: &mut [T]) {
    let width = value.len();
    for j in 0..width {
        for a in 0..actions {
            out[a * width + j] = policy[j * actions + a];
        }
        out[actions * width + j] = value[j];
    }
}

multiversion! {
    /// `logits[r] = features[r] * W_policy + b_policy`, `values[r] = features[r] * w_value + b_value`
    /// with `transposed` from `transpose_heads`; `biases` holds the policy biases then the value bias.
    pub fn heads_forward<T: Real>(features: &[T], transposed: &[T], biases: &[T], logits: &mut [T], values: &mut [T]) {
        let actions = biases.len() - 1;
        let width = transposed.len() / biases.len();
        for ((row, logit_row), value) in features.chunks_exact(width).zip(logits.chunks_exact_mut(actions)).zip(values.iter_mut()) {
            for (a, logit) in logit_row.iter_mut().enumerate() {
                *logit = biases[a] + dot(row, &transposed[a * width..(a + 1) * width]);
            }
            *value = biases[actions] + dot(row, &transposed[actions * width..]);
        }
    }
}

multiversion! {
    /// The heads' backward. Adds `features^T [dlogits | dvalues]` to `grads_transposed` (laid
    /// out like `transposed`) and the column sums to `bias_grads`, and overwrites `d_features`
    /// with `[dlogits | dvalues] W^T`.
    #[allow(clippy::too_many_arguments)]
    pub fn heads_backward<T: Real>(
        features: &[T],
        transposed: &[T],
        dlogits: &[T],
        dvalues: &[T],
        grads_transposed: &mut [T],
        bias_grads: &mut [T],
        d_features: &mut [T],
    ) {
        let actions = bias_grads.len() - 1;
        let width = transposed.len() / bias_grads.len();
        let rows = features.chunks_exact(width).zip(d_features.chunks_exact_mut(width));
        for ((row, d_row), (d_logits, &d_value)) in rows.zip(dlogits.chunks_exact(actions).zip(dvalues)) {
            d_row.fill(T::ZERO);
            for o in 0..=actions {
                let d = if o < actions { d_logits[o] } else { d_value };
                if d == T::ZERO {
                    continue;
                }
                bias_grads[o] += d;
                axpy(&mut grads_transposed[o * width..(o + 1) * width], d, row);
                axpy(d_row, d, &transposed[o * width..(o + 1) * width]);
            }
        }
    }
}

/// Adds `grads_transposed` (from `heads_backward`) to the policy and value weight gradients in
/// their `[width, actions]` and `[width, 1]` layouts.
pub fn add_transposed_grads<T: Real>(
    grads_transposed: &[T],
    actions: usize,
    policy: &mut [T],
    value: &mut [T],
) {
    let width = value.len();
    for j in 0..width {
        for a in 0..actions {
            policy[j * actions + a] += grads_transposed[a * width + j];
        }
        value[j] += grads_transposed[actions * width + j];
    }
}
