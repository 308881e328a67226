//! Global gradient-norm clipping, as `optax.clip_by_global_norm` and PyTorch's
//! `clip_grad_norm_`: one norm over all tensors, and a rescale only when it exceeds the limit.

use super::real::Real;
use super::rows::{scale_in_place, sum_of_squares};

/// Rescales `grads` to norm `max_norm` if their norm is larger; returns the norm before clipping.
pub fn clip_global_norm<T: Real>(grads: &mut [T], max_norm: f64) -> f64 {
    let norm = sum_of_squares(grads).sqrt();
    if norm > max_norm {
        scale_in_place(grads, T::from_f64(max_norm / norm));
    }
    norm
}
