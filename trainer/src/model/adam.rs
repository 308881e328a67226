//! Adam over the flat parameter vector, as `optax.scale_by_adam` followed by `-lr` (and
//! PyTorch's Adam): the epsilon is added outside the square root of the bias-corrected second
//! moment.

use super::contiguous::{flat, flat_mut};
use super::real::Real;
use super::shape::ParamLayout;
use super::simd::multiversion;
use ndarray::Array1;

/// The per-step constants of the update, precomputed once per step.
#[derive(Clone, Copy)]
pub struct AdamScalars<T> {
    beta1: T,
    beta2: T,
    one_minus_beta1: T,
    one_minus_beta2: T,
    step_size: T,
    inv_sqrt_correction2: T,
    eps: T,
}

multiversion! {
    /// The Adam update of a range of parameters, with the gradient multiplied by `grad_scale`
    /// first (global-norm clipping folded in). Ranges can be updated in parallel.
    pub fn adam_kernel<T: Real>(params: &mut [T], grads: &[T], first: &mut [T], second: &mut [T], k: AdamScalars<T>, grad_scale: T) {
        let moments = first.iter_mut().zip(second.iter_mut());
        for ((p, &g), (m, v)) in params.iter_mut().zip(grads).zip(moments) {
            let g = g * grad_scale;
            *m = k.beta1 * *m + k.one_minus_beta1 * g;
            *v = k.beta2 * *v + k.one_minus_beta2 * g * g;
            *p -= k.step_size * *m / (v.sqrt() * k.inv_sqrt_correction2 + k.eps);
        }
    }
}

/// The factor `adam_kernel` multiplies gradients of global norm `norm` by to clip them to
/// `max_norm`, as optax's `clip_by_global_norm` and PyTorch's `clip_grad_norm_`: a rescale only
/// when the norm exceeds the limit.
pub fn clip_scale<T: Real>(norm: f64, max_norm: f64) -> T {
    if norm > max_norm {
        T::from_f64(max_norm / norm)
    } else {
        T::ONE
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    pub beta1: f64,
    pub beta2: f64,
    /// 1e-5 as CleanRL's PPO and the JAX anchor (PyTorch's default 1e-8 is less stable here).
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-5,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Adam<T: Real> {
    pub(crate) config: AdamConfig,
    pub(crate) layout: ParamLayout,
    /// The moments, laid out like the parameters.
    first_moment: Array1<T>,
    second_moment: Array1<T>,
    pub(crate) steps: u64,
}

impl<T: Real> Adam<T> {
    pub fn new(layout: &ParamLayout, config: AdamConfig) -> Self {
        Adam {
            config,
            layout: layout.clone(),
            first_moment: Array1::from_elem(layout.total, T::ZERO),
            second_moment: Array1::from_elem(layout.total, T::ZERO),
            steps: 0,
        }
    }

    pub fn config(&self) -> AdamConfig {
        self.config
    }

    /// Number of updates applied so far (drives the bias correction).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn first_moment(&self) -> &[T] {
        flat(self.first_moment.view())
    }

    pub fn second_moment(&self) -> &[T] {
        flat(self.second_moment.view())
    }

    /// `params -= lr * m_hat / (sqrt(v_hat) + eps)` after folding `grads` into the moments.
    pub fn step(&mut self, params: &mut [T], grads: &[T], lr: f64) {
        assert_eq!(params.len(), self.first_moment.len());
        assert_eq!(grads.len(), self.first_moment.len());
        let scalars = self.begin_step(lr);
        let (first, second) = self.moments_mut();
        adam_kernel(params, grads, first, second, scalars, T::ONE);
    }

    /// Counts a step and returns its constants, for callers that apply `adam_kernel` to
    /// ranges of the parameters themselves (in parallel) via `moments_mut`.
    pub fn begin_step(&mut self, lr: f64) -> AdamScalars<T> {
        self.steps += 1;
        let AdamConfig { beta1, beta2, eps } = self.config;
        let t = self.steps as i32;
        let correction1 = 1.0 - beta1.powi(t);
        let correction2 = 1.0 - beta2.powi(t);
        // m_hat / (sqrt(v_hat) + eps) = (m / c1) / (sqrt(v) / sqrt(c2) + eps)
        AdamScalars {
            beta1: T::from_f64(beta1),
            beta2: T::from_f64(beta2),
            one_minus_beta1: T::from_f64(1.0 - beta1),
            one_minus_beta2: T::from_f64(1.0 - beta2),
            step_size: T::from_f64(lr / correction1),
            inv_sqrt_correction2: T::from_f64(1.0 / correction2.sqrt()),
            eps: T::from_f64(eps),
        }
    }

    /// The first and second moments, to update alongside the parameters.
    pub fn moments_mut(&mut self) -> (&mut [T], &mut [T]) {
        (
            flat_mut(self.first_moment.view_mut()),
            flat_mut(self.second_moment.view_mut()),
        )
    }
}
