//! Generalised advantage estimation (Schulman et al. 2016), as the JAX anchor: `dones[t]` says
//! the episode ended with step `t`'s action, so neither the next value nor later advantages
//! flow back across it.

/// Fills `advantages` and `returns = advantages + values` for time-major data of `envs`
/// environments; `last_values` are the values of the states after the final step.
#[allow(clippy::too_many_arguments)]
pub fn compute_gae(
    rewards: &[f32],
    values: &[f32],
    dones: &[bool],
    last_values: &[f32],
    gamma: f32,
    lambda: f32,
    advantages: &mut [f32],
    returns: &mut [f32],
) {
    let envs = last_values.len();
    let samples = rewards.len();
    assert!(envs > 0 && samples.is_multiple_of(envs));
    assert!(values.len() == samples && dones.len() == samples);
    assert!(advantages.len() == samples && returns.len() == samples);
    let steps = samples / envs;
    for t in (0..steps).rev() {
        let row = t * envs..(t + 1) * envs;
        let (head, tail) = advantages.split_at_mut(row.end);
        let adv_t = &mut head[row.clone()];
        let (next_values, next_adv): (&[f32], &[f32]) = if t + 1 == steps {
            (last_values, &[])
        } else {
            (&values[row.end..row.end + envs], &tail[..envs])
        };
        for e in 0..envs {
            let i = row.start + e;
            let not_done = if dones[i] { 0.0 } else { 1.0 };
            let delta = rewards[i] + gamma * next_values[e] * not_done - values[i];
            let carried = if next_adv.is_empty() {
                0.0
            } else {
                next_adv[e]
            };
            adv_t[e] = delta + gamma * lambda * not_done * carried;
        }
    }
    for ((r, a), v) in returns.iter_mut().zip(advantages.iter()).zip(values) {
        *r = a + v;
    }
}
