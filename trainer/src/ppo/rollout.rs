//! One thread's share of a rollout: its environments, its RNG, its rollout storage and its
//! forward-pass memory. Each step runs one batched forward pass over the shard's environments.

use super::buffer::RolloutBuffer;
use super::config::RewardShaping;
use super::environment::{Episode, VecEnvironment};
use super::gae::compute_gae;
use super::sampling::{sample_action, unit_f32};
use crate::model::{Activations, Mlp};
use rand::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;

pub struct Shard<E: VecEnvironment> {
    pub(crate) env: E,
    rng: Xoshiro256PlusPlus,
    acts: Activations<f32>,
    raw_rewards: Vec<f32>,
    bootstrap_inputs: Vec<u16>,
    bootstrap_masks: Vec<u8>,
    pub(crate) finished: Vec<Episode>,
    /// Sum of raw rewards collected in the last rollout.
    pub(crate) raw_reward_sum: f64,
}

/// What a shard needs to know about the rollout besides the model.
#[derive(Clone, Copy, Debug)]
pub struct RolloutSettings {
    pub steps: usize,
    pub reward: RewardShaping,
    pub gamma: f32,
    pub gae_lambda: f32,
}

impl<E: VecEnvironment> Shard<E> {
    /// A shard and the rollout storage it fills.
    pub fn new(
        env: E,
        rng: Xoshiro256PlusPlus,
        model: &Mlp<f32>,
        steps: usize,
    ) -> (Self, RolloutBuffer) {
        let envs = env.num_envs();
        let active = model.shape().active_inputs;
        let shard = Shard {
            env,
            rng,
            acts: Activations::new(model.shape(), envs),
            raw_rewards: vec![0.0; envs],
            bootstrap_inputs: vec![0; envs * active],
            bootstrap_masks: vec![0; envs],
            // Room for every env finishing at every step, so pushes never reallocate.
            finished: Vec::with_capacity(envs * steps),
            raw_reward_sum: 0.0,
        };
        (shard, RolloutBuffer::new(envs, steps, active))
    }

    /// Steps every environment `settings.steps` times with actions sampled from `model`, then
    /// computes advantages and returns.
    pub fn collect(
        &mut self,
        buffer: &mut RolloutBuffer,
        model: &Mlp<f32>,
        settings: RolloutSettings,
    ) {
        let envs = buffer.envs;
        let active = buffer.active_inputs;
        let actions_n = model.shape().actions;
        self.finished.clear();
        self.raw_reward_sum = 0.0;
        for t in 0..settings.steps {
            let rows = t * envs..(t + 1) * envs;
            let b = &mut *buffer;
            let inputs = &mut b.inputs[rows.start * active..rows.end * active];
            self.env.write_observations(inputs);
            self.env.write_legal_masks(&mut b.masks[rows.clone()]);
            model.forward(inputs, &b.masks[rows.clone()], &mut self.acts);
            let logits = self.acts.logits().chunks_exact(actions_n);
            for (e, row) in logits.enumerate() {
                let (action, log_prob) = sample_action(row, unit_f32(self.rng.next_u64()));
                b.actions[rows.start + e] = action as u8;
                b.log_probs[rows.start + e] = log_prob;
            }
            b.values[rows.clone()].copy_from_slice(self.acts.values());
            self.env.step(
                &b.actions[rows.clone()],
                &mut self.raw_rewards,
                &mut b.dones[rows.clone()],
                &mut self.finished,
            );
            for (shaped, &raw) in b.rewards[rows].iter_mut().zip(&self.raw_rewards) {
                *shaped = settings.reward.apply(raw);
                self.raw_reward_sum += raw as f64;
            }
        }
        self.env.write_observations(&mut self.bootstrap_inputs);
        self.env.write_legal_masks(&mut self.bootstrap_masks);
        model.forward(
            &self.bootstrap_inputs,
            &self.bootstrap_masks,
            &mut self.acts,
        );
        let b = &mut *buffer;
        b.last_values.copy_from_slice(self.acts.values());
        compute_gae(
            &b.rewards,
            &b.values,
            &b.dones,
            &b.last_values,
            settings.gamma,
            settings.gae_lambda,
            &mut b.advantages,
            &mut b.returns,
        );
    }
}
