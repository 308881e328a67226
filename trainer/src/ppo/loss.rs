//! The PPO loss of one sample and its exact gradient with respect to the policy logits and the
//! value: clipped surrogate, 0.5 * squared value error, entropy bonus (CleanRL's `ppo.py`).
//!
//! `loss = pg + vf_coef * 0.5 * (v - R)^2 - ent_coef * H`, averaged over a minibatch by the
//! caller's `scale` (1 / minibatch size).

use crate::model::Real;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossCoefs {
    pub clip: f64,
    pub vf: f64,
    pub ent: f64,
}

/// The unscaled loss terms and diagnostics of one sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleLoss {
    /// `-min(ratio * A, clip(ratio, 1 - c, 1 + c) * A)`
    pub policy: f64,
    /// `0.5 * (v - R)^2`
    pub value: f64,
    pub entropy: f64,
    /// `(ratio - 1) - log ratio`, the low-variance KL estimator.
    pub approx_kl: f64,
    /// Whether `|ratio - 1| > clip`.
    pub clipped: bool,
}

impl SampleLoss {
    pub fn total(&self, coefs: &LossCoefs) -> f64 {
        self.policy + coefs.vf * self.value - coefs.ent * self.entropy
    }
}

/// Writes `log_softmax(logits)` into `log_probs`.
#[inline]
pub fn log_softmax<T: Real>(logits: &[T], log_probs: &mut [T]) {
    let max = logits.iter().copied().fold(logits[0], T::max);
    let sum = logits
        .iter()
        .fold(T::ZERO, |acc, &z| acc + (z - max).exp_masked());
    let log_sum = max + sum.ln();
    for (lp, &z) in log_probs.iter_mut().zip(logits) {
        *lp = z - log_sum;
    }
}

/// Loss terms of one sample; writes `scale * d loss / d logits` into `dlogits` and returns it
/// with `scale * d loss / d value`. `logits` are already masked (illegal ones at
/// `Real::MASKED_LOGIT`, whose probability is exactly 0). At most 8 actions.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn sample_loss_and_grad<T: Real>(
    logits: &[T],
    value: T,
    action: usize,
    old_log_prob: T,
    advantage: T,
    ret: T,
    coefs: &LossCoefs,
    scale: T,
    dlogits: &mut [T],
) -> (SampleLoss, T) {
    let n = logits.len();
    let mut log_probs = [T::ZERO; 8];
    let log_probs = &mut log_probs[..n];
    log_softmax(logits, log_probs);
    let mut probs = [T::ZERO; 8];
    let probs = &mut probs[..n];
    let mut entropy = T::ZERO;
    for (p, &lp) in probs.iter_mut().zip(log_probs.iter()) {
        *p = lp.exp_masked();
        entropy -= *p * lp;
    }

    let log_ratio = log_probs[action] - old_log_prob;
    let ratio = log_ratio.exp();
    let clip = T::from_f64(coefs.clip);
    let (low, high) = (T::ONE - clip, T::ONE + clip);
    let unclipped = ratio * advantage;
    let clipped_ratio = ratio.max(low).min(high);
    let clipped = clipped_ratio * advantage;
    // d(-ratio * A) / d(log p_a) = -ratio * A. The clipped branch is strictly smaller only when
    // the ratio lies outside the clip range, where the clipped ratio is constant: no gradient.
    let (policy_loss, surrogate_grad) = if unclipped <= clipped {
        (-unclipped, -unclipped)
    } else {
        (-clipped, T::ZERO)
    };
    // d(-ent * H) / dz_k = ent * p_k * (log p_k + H); d(log p_a) / dz_k = [k == a] - p_k.
    let ent = T::from_f64(coefs.ent);
    for (k, d) in dlogits.iter_mut().enumerate() {
        let indicator = if k == action { T::ONE } else { T::ZERO };
        let policy = surrogate_grad * (indicator - probs[k]);
        let bonus = ent * probs[k] * (log_probs[k] + entropy);
        *d = scale * (policy + bonus);
    }
    let error = value - ret;
    let dvalue = scale * T::from_f64(coefs.vf) * error;

    let loss = SampleLoss {
        policy: policy_loss.to_f64(),
        value: 0.5 * error.to_f64() * error.to_f64(),
        entropy: entropy.to_f64(),
        approx_kl: (ratio - T::ONE - log_ratio).to_f64(),
        clipped: (ratio - T::ONE).abs() > clip,
    };
    (loss, dvalue)
}
