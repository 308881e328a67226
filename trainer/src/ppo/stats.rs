//! What a rollout and an update report back to the training manager.

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RolloutStats {
    pub env_steps: usize,
    pub episodes_finished: usize,
    /// Sum of the unshaped rewards of all steps.
    pub raw_reward: f64,
    pub seconds: f64,
}

/// Means over every minibatch of the update, except `grad_norm` (mean of the pre-clipping global
/// norms) and `explained_variance` (of the rollout's values for its returns).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub approx_kl: f64,
    pub clip_fraction: f64,
    pub grad_norm: f64,
    pub explained_variance: f64,
    pub learning_rate: f64,
    pub minibatches: usize,
    pub seconds: f64,
}

/// Running sums of per-sample loss terms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossSums {
    pub policy: f64,
    pub value: f64,
    pub entropy: f64,
    pub approx_kl: f64,
    pub clipped: f64,
    pub samples: usize,
}

impl LossSums {
    pub fn add(&mut self, other: &LossSums) {
        self.policy += other.policy;
        self.value += other.value;
        self.entropy += other.entropy;
        self.approx_kl += other.approx_kl;
        self.clipped += other.clipped;
        self.samples += other.samples;
    }
}

/// `1 - Var(returns - values) / Var(returns)` over `(value, return)` pairs: 1 for a perfect
/// critic, 0 for a constant one.
pub fn explained_variance<'a>(pairs: impl Iterator<Item = (&'a f32, &'a f32)>) -> f64 {
    let (mut n, mut sum_r, mut sum_r2, mut sum_e, mut sum_e2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&value, &ret) in pairs {
        let (r, e) = (ret as f64, ret as f64 - value as f64);
        n += 1.0;
        sum_r += r;
        sum_r2 += r * r;
        sum_e += e;
        sum_e2 += e * e;
    }
    if n == 0.0 {
        return 0.0;
    }
    let var_returns = sum_r2 / n - (sum_r / n).powi(2);
    if var_returns <= 0.0 {
        return 0.0;
    }
    1.0 - (sum_e2 / n - (sum_e / n).powi(2)) / var_returns
}
