//! The PPO trainer: owns the model, Adam, the environment shards, the rollout storage, the
//! gradient workers and the thread pool. `collect_rollout` then `update(lr)` is one iteration.

use super::buffer::RolloutBuffer;
use super::config::{ConfigError, PpoConfig};
use super::environment::{Episode, VecEnvironment};
use super::loss::LossCoefs;
use super::normalize::normalize_advantages;
use super::parallel::{for_each_indexed, for_each_pair};
use super::rollout::{RolloutSettings, Shard};
use super::seeds::{MODEL_STREAM, SHUFFLE_STREAM, env_stream, sampling_stream, stream_seed};
use super::stats::{LossSums, RolloutStats, UpdateStats, explained_variance};
use super::update::{Worker, WorkerSamples};
use crate::model::adam::{adam_kernel, clip_scale};
use crate::model::contiguous::{flat, flat_mut};
use crate::model::rows::{add_assign, sum_of_squares};
use crate::model::{Adam, AdamConfig, Mlp, MlpShape};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::time::Instant;
use timed_runtime::{CallContext, timed};

pub struct Trainer<E: VecEnvironment> {
    config: PpoConfig,
    model: Mlp<f32>,
    adam: Adam<f32>,
    shards: Vec<Shard<E>>,
    buffers: Vec<RolloutBuffer>,
    workers: Vec<Worker>,
    pool: rayon::ThreadPool,
    shuffle_rng: Xoshiro256PlusPlus,
    permutation: Vec<u32>,
    minibatch_advantages: Vec<f32>,
    episodes: Vec<Episode>,
    env_steps: u64,
    updates: u64,
}

impl<E: VecEnvironment> Trainer<E> {
    /// Builds the trainer; `make_env(shard, envs, seed)` creates each thread's environments.
    #[timed(
        component = "ppo_trainer",
        phase = "initialization",
        name = "create_model"
    )]
    pub fn with_envs(
        config: PpoConfig,
        shape: MlpShape,
        mut make_env: impl FnMut(usize, usize, u64) -> E,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let model = Mlp::new(shape, stream_seed(config.seed, MODEL_STREAM))
            .map_err(|e| ConfigError(e.to_string()))?;
        let adam_config = AdamConfig {
            eps: config.adam_eps,
            ..AdamConfig::default()
        };
        let adam = Adam::new(model.layout(), adam_config);
        let per_shard = config.num_envs / config.threads;
        let (shards, buffers) = (0..config.threads)
            .map(|s| {
                let env = make_env(s, per_shard, stream_seed(config.seed, env_stream(s)));
                let rng =
                    Xoshiro256PlusPlus::seed_from_u64(stream_seed(config.seed, sampling_stream(s)));
                Shard::new(env, rng, &model, config.num_steps)
            })
            .unzip();
        let worker_rows = config.minibatch_size().div_ceil(config.threads);
        let workers = (0..config.threads)
            .map(|_| Worker::new(&model, worker_rows))
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads)
            .thread_name(|i| format!("ppo-worker-{i}"))
            .build()
            .map_err(|e| {
                ConfigError(format!(
                    "cannot start {} worker threads: {e}",
                    config.threads
                ))
            })?;
        let shuffle_rng =
            Xoshiro256PlusPlus::seed_from_u64(stream_seed(config.seed, SHUFFLE_STREAM));
        Ok(Trainer {
            permutation: (0..config.batch_size() as u32).collect(),
            minibatch_advantages: vec![0.0; config.minibatch_size()],
            episodes: Vec::with_capacity(config.batch_size()),
            config,
            model,
            adam,
            shards,
            buffers,
            workers,
            pool,
            shuffle_rng,
            env_steps: 0,
            updates: 0,
        })
    }

    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    pub fn model(&self) -> &Mlp<f32> {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut Mlp<f32> {
        &mut self.model
    }

    pub fn adam(&self) -> &Adam<f32> {
        &self.adam
    }

    pub fn adam_mut(&mut self) -> &mut Adam<f32> {
        &mut self.adam
    }

    /// Environment steps collected so far.
    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    /// Updates (`update` calls) done so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Sets the step and update counters, when resuming from a checkpoint.
    pub fn restore_counters(&mut self, env_steps: u64, updates: u64) {
        self.env_steps = env_steps;
        self.updates = updates;
    }

    /// Episodes that ended during the last rollout.
    pub fn finished_episodes(&self) -> &[Episode] {
        &self.episodes
    }

    pub(crate) fn shards(&self) -> &[Shard<E>] {
        &self.shards
    }

    /// The rollout storage of each shard (time-major within a shard).
    pub fn buffers(&self) -> &[RolloutBuffer] {
        &self.buffers
    }

    /// Runs every environment `num_steps` steps with the current policy (one shard per thread),
    /// and computes advantages and returns.
    #[timed(component = "ppo_trainer", phase = "rollout")]
    pub fn collect_rollout(&mut self) -> RolloutStats {
        let start = Instant::now();
        let settings = RolloutSettings {
            steps: self.config.num_steps,
            reward: self.config.reward,
            gamma: self.config.gamma as f32,
            gae_lambda: self.config.gae_lambda as f32,
        };
        let model = &self.model;
        let (shards, buffers) = (&mut self.shards, &mut self.buffers);
        // Calls on the pool's threads are children of this one in the timing logs.
        let parent = timed_runtime::current_call();
        self.pool.install(|| {
            for_each_pair(shards, buffers, &|shard, buffer| {
                let _in_parent = parent.map(CallContext::enter);
                shard.collect(buffer, model, settings)
            })
        });
        self.episodes.clear();
        let mut raw_reward = 0.0;
        for shard in &self.shards {
            self.episodes.extend_from_slice(&shard.finished);
            raw_reward += shard.raw_reward_sum;
        }
        let env_steps = self.config.batch_size();
        self.env_steps += env_steps as u64;
        RolloutStats {
            env_steps,
            episodes_finished: self.episodes.len(),
            raw_reward,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    /// `epochs` passes of `minibatches` shuffled minibatches over the last rollout, each one
    /// Adam step at `learning_rate` on the clipped, data-parallel gradient.
    #[timed(component = "ppo_trainer", phase = "training", name = "update_policy")]
    pub fn update(&mut self, learning_rate: f64) -> UpdateStats {
        let start = Instant::now();
        let config = &self.config;
        let coefs = LossCoefs {
            clip: config.clip_coef,
            vf: config.vf_coef,
            ent: config.ent_coef,
        };
        let minibatch = config.minibatch_size();
        let scale = 1.0 / minibatch as f32;
        let per_worker = minibatch.div_ceil(config.threads);
        let per_shard = self.buffers[0].samples();
        let mut sums = LossSums::default();
        let mut grad_norm_sum = 0.0;
        for worker in &mut self.workers {
            worker.sums = LossSums::default();
        }
        let parent = timed_runtime::current_call();
        let Self {
            model,
            adam,
            buffers,
            workers,
            pool,
            shuffle_rng,
            permutation,
            minibatch_advantages,
            ..
        } = self;
        // The whole update runs on the pool: its joins then hand work between the pool's
        // threads only, where calling the pool from this thread for every minibatch's
        // gradients and optimizer step would park and wake this thread each time.
        pool.install(|| {
            let _in_parent = parent.map(CallContext::enter);
            for _epoch in 0..config.epochs {
                shuffle(permutation, shuffle_rng);
                for indices in permutation.chunks_exact(minibatch) {
                    for (adv, &i) in minibatch_advantages.iter_mut().zip(indices) {
                        let i = i as usize;
                        *adv = buffers[i / per_shard].advantages[i % per_shard];
                    }
                    if config.normalize_advantages {
                        normalize_advantages(minibatch_advantages);
                    }
                    let (model_ref, advantages) = (&*model, &*minibatch_advantages);
                    let buffers = &*buffers;
                    let used = indices.len().div_ceil(per_worker);
                    for_each_indexed(&mut workers[..used], &|w, worker| {
                        let _in_parent = parent.map(CallContext::enter);
                        let rows = w * per_worker..((w + 1) * per_worker).min(indices.len());
                        let samples = WorkerSamples {
                            indices: &indices[rows.clone()],
                            advantages: &advantages[rows],
                        };
                        worker.compute_gradient(model_ref, buffers, samples, &coefs, scale);
                    });
                    grad_norm_sum += optimizer_step(
                        &mut workers[..used],
                        model,
                        adam,
                        pool,
                        config.max_grad_norm,
                        learning_rate,
                    );
                }
            }
        });
        for worker in &self.workers {
            sums.add(&worker.sums);
        }
        self.updates += 1;
        let minibatches = config.epochs * config.minibatches;
        let n = sums.samples.max(1) as f64;
        timed_runtime::details!(
            updates = minibatches,
            policy_loss = sums.policy / n,
            value_loss = sums.value / n,
            approx_kl = sums.approx_kl / n
        );
        let pairs = self
            .buffers
            .iter()
            .flat_map(|b| b.values.iter().zip(&b.returns));
        UpdateStats {
            policy_loss: sums.policy / n,
            value_loss: sums.value / n,
            entropy: sums.entropy / n,
            approx_kl: sums.approx_kl / n,
            clip_fraction: sums.clipped / n,
            grad_norm: grad_norm_sum / minibatches as f64,
            explained_variance: explained_variance(pairs),
            learning_rate,
            minibatches,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    /// Greedy (argmax) actions for a batch of observations, e.g. many evaluation games at once:
    /// `inputs` holds `active_inputs` feature indices per row, `masks` one legal-action bit set
    /// per row, and `actions` receives one action per row.
    #[timed(
        component = "ppo_trainer",
        phase = "inference",
        name = "select_greedy_actions"
    )]
    pub fn act_greedy(&mut self, inputs: &[u16], masks: &[u8], actions: &mut [u8]) {
        let active = self.model.shape().active_inputs;
        assert_eq!(inputs.len(), masks.len() * active);
        assert_eq!(actions.len(), masks.len());
        let per_worker = masks.len().div_ceil(self.workers.len()).max(1);
        let model = &self.model;
        let parts = masks
            .chunks(per_worker)
            .zip(actions.chunks_mut(per_worker))
            .zip(inputs.chunks(per_worker * active));
        let workers = self.workers.iter_mut();
        let parent = timed_runtime::current_call();
        // Evaluation is not the hot loop: a scope (which boxes its jobs) keeps this simple.
        self.pool.scope(|scope| {
            for (worker, ((masks, actions), inputs)) in workers.zip(parts) {
                scope.spawn(move |_| {
                    let _in_parent = parent.map(CallContext::enter);
                    worker.act_greedy(model, inputs, masks, actions);
                });
            }
        });
    }
}

/// Sums the workers' gradients, clips them to the global norm and applies Adam, all split by
/// parameter ranges over the pool. Returns the norm before clipping.
#[timed(component = "ppo_trainer", phase = "training")]
fn optimizer_step(
    workers: &mut [Worker],
    model: &mut Mlp<f32>,
    adam: &mut Adam<f32>,
    pool: &rayon::ThreadPool,
    max_grad_norm: f64,
    learning_rate: f64,
) -> f64 {
    let (first, others) = workers.split_at_mut(1);
    let grads = flat_mut(first[0].grads.view_mut());
    let chunk = grads
        .len()
        .div_ceil(pool.current_num_threads() * 4)
        .next_multiple_of(64);
    let squares: f64 = pool.install(|| {
        grads
            .par_chunks_mut(chunk)
            .enumerate()
            .map(|(c, g)| {
                for other in others.iter() {
                    let other = flat(other.grads.view());
                    add_assign(g, &other[c * chunk..c * chunk + g.len()]);
                }
                sum_of_squares(g)
            })
            .sum()
    });
    let norm = squares.sqrt();
    let scale = clip_scale(norm, max_grad_norm);
    let scalars = adam.begin_step(learning_rate);
    let (m, v) = adam.moments_mut();
    let params = model.params_mut();
    pool.install(|| {
        params
            .par_chunks_mut(chunk)
            .zip(grads.par_chunks(chunk))
            .zip(m.par_chunks_mut(chunk).zip(v.par_chunks_mut(chunk)))
            .for_each(|((p, g), (m, v))| adam_kernel(p, g, m, v, scalars, scale));
    });
    norm
}

/// Fisher-Yates.
fn shuffle(values: &mut [u32], rng: &mut Xoshiro256PlusPlus) {
    for i in (1..values.len()).rev() {
        let j = rng.gen_range(0..=i);
        values.swap(i, j);
    }
}
