//! One thread's share of a rollout: its environments, its RNG, its rollout storage and its
//! forward-pass memory. Each step runs one batched forward pass over the shard's environments.

use super::buffer::RolloutBuffer;
use super::config::RewardShaping;
use super::environment::{Episode, VecEnvironment};
use super::gae::compute_gae;
use super::sampling::{sample_action, unit_f32};
use crate::model::contiguous::flat;
use crate::model::{Activations, Mlp};
use rand::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use timed_runtime::timed;

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
            encode_observations(&self.env, inputs, &mut b.masks[rows.clone()]);
            model.forward(inputs, &b.masks[rows.clone()], &mut self.acts);
            select_actions(
                flat(self.acts.logits()),
                actions_n,
                &mut self.rng,
                &mut b.actions[rows.clone()],
                &mut b.log_probs[rows.clone()],
            );
            b.values[rows.clone()].copy_from_slice(flat(self.acts.values()));
            self.step_environments(
                settings.reward,
                &b.actions[rows.clone()],
                &mut b.rewards[rows.clone()],
                &mut b.dones[rows],
            );
        }
        encode_observations(
            &self.env,
            &mut self.bootstrap_inputs,
            &mut self.bootstrap_masks,
        );
        model.forward(
            &self.bootstrap_inputs,
            &self.bootstrap_masks,
            &mut self.acts,
        );
        buffer.last_values.copy_from_slice(flat(self.acts.values()));
        compute_advantages(buffer, settings);
    }

    /// Steps the shard's environments once and stores the shaped rewards.
    #[timed(component = "ppo_trainer", phase = "environment")]
    fn step_environments(
        &mut self,
        reward: RewardShaping,
        actions: &[u8],
        rewards: &mut [f32],
        dones: &mut [bool],
    ) {
        self.env
            .step(actions, &mut self.raw_rewards, dones, &mut self.finished);
        for (shaped, &raw) in rewards.iter_mut().zip(&self.raw_rewards) {
            *shaped = reward.apply(raw);
            self.raw_reward_sum += raw as f64;
        }
    }
}

/// Boards to the network's input: 16 one-hot feature indices and a legal-move mask per board.
#[timed(component = "ppo_trainer", phase = "conversion")]
fn encode_observations<E: VecEnvironment>(env: &E, inputs: &mut [u16], masks: &mut [u8]) {
    env.write_observations(inputs);
    env.write_legal_masks(masks);
}

/// Samples one action per row of masked logits, recording its log-probability.
#[timed(component = "ppo_trainer", phase = "inference")]
fn select_actions(
    logits: &[f32],
    actions_per_row: usize,
    rng: &mut Xoshiro256PlusPlus,
    actions: &mut [u8],
    log_probs: &mut [f32],
) {
    for ((row, action), log_prob) in logits
        .chunks_exact(actions_per_row)
        .zip(actions.iter_mut())
        .zip(log_probs.iter_mut())
    {
        let (sampled, sampled_log_prob) = sample_action(row, unit_f32(rng.next_u64()));
        *action = sampled as u8;
        *log_prob = sampled_log_prob;
    }
}

/// Fills the buffer's advantages and returns from its rewards, values and dones (GAE).
#[timed(component = "ppo_trainer", phase = "buffer")]
fn compute_advantages(buffer: &mut RolloutBuffer, settings: RolloutSettings) {
    compute_gae(
        &buffer.rewards,
        &buffer.values,
        &buffer.dones,
        &buffer.last_values,
        settings.gamma,
        settings.gae_lambda,
        &mut buffer.advantages,
        &mut buffer.returns,
    );
}
