//! PPO must solve two small problems to their optimum in a few seconds: a contextual bandit
//! whose best action depends on the context and whose most rewarding-looking action is masked,
//! and a corridor where the reward comes only at the far end (credit assignment through GAE).
//! Seeded; two threads (sharded rollout, data-parallel gradients); deterministic.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use trainer::model::MlpShape;
use trainer::ppo::schedule::{Budget, train};
use trainer::ppo::{Episode, PpoConfig, Trainer, VecEnvironment};

const CONTEXTS: usize = 8;

/// Context `c` (one-hot, 1 active feature of 8): action `(c + 1) % 4` pays 1, others 0, and
/// action `c % 4` is illegal. Every step is a whole episode.
struct MaskedBandit {
    contexts: Vec<usize>,
    rng: Xoshiro256PlusPlus,
    illegal: u64,
}

impl MaskedBandit {
    fn new(envs: usize, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let contexts = (0..envs).map(|_| rng.gen_range(0..CONTEXTS)).collect();
        MaskedBandit {
            contexts,
            rng,
            illegal: 0,
        }
    }

    fn mask(context: usize) -> u8 {
        0b1111 & !(1 << (context % 4))
    }
}

impl VecEnvironment for MaskedBandit {
    fn num_envs(&self) -> usize {
        self.contexts.len()
    }

    fn write_observations(&self, inputs: &mut [u16]) {
        for (input, &c) in inputs.iter_mut().zip(&self.contexts) {
            *input = c as u16;
        }
    }

    fn write_legal_masks(&self, masks: &mut [u8]) {
        for (mask, &c) in masks.iter_mut().zip(&self.contexts) {
            *mask = Self::mask(c);
        }
    }

    fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        dones: &mut [bool],
        finished: &mut Vec<Episode>,
    ) {
        for (i, &action) in actions.iter().enumerate() {
            let c = self.contexts[i];
            if Self::mask(c) & (1 << action) == 0 {
                self.illegal += 1;
            }
            rewards[i] = if action as usize == (c + 1) % 4 {
                1.0
            } else {
                0.0
            };
            dones[i] = true;
            finished.push(Episode {
                score: rewards[i] as f64,
                length: 1,
                max_tile: 0,
            });
            self.contexts[i] = self.rng.gen_range(0..CONTEXTS);
        }
    }
}

const CORRIDOR: usize = 6;
const TIME_LIMIT: u32 = 30;

/// Positions 0..6, start at 0, goal at 5 (reward 1, episode ends); actions 0 left (illegal at
/// 0), 1 stay, 2 right; episodes are cut after 30 steps with no reward. Input: the position
/// (features 0..6) and a constant feature 6.
struct Corridor {
    positions: Vec<usize>,
    steps: Vec<u32>,
}

impl Corridor {
    fn new(envs: usize) -> Self {
        Corridor {
            positions: vec![0; envs],
            steps: vec![0; envs],
        }
    }
}

impl VecEnvironment for Corridor {
    fn num_envs(&self) -> usize {
        self.positions.len()
    }

    fn write_observations(&self, inputs: &mut [u16]) {
        for (pair, &p) in inputs.chunks_exact_mut(2).zip(&self.positions) {
            pair.copy_from_slice(&[p as u16, CORRIDOR as u16]);
        }
    }

    fn write_legal_masks(&self, masks: &mut [u8]) {
        for (mask, &p) in masks.iter_mut().zip(&self.positions) {
            *mask = if p == 0 { 0b110 } else { 0b111 };
        }
    }

    fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        dones: &mut [bool],
        finished: &mut Vec<Episode>,
    ) {
        for (i, &action) in actions.iter().enumerate() {
            let p = &mut self.positions[i];
            *p = match action {
                0 => p.saturating_sub(1),
                2 => *p + 1,
                _ => *p,
            };
            self.steps[i] += 1;
            let reached = *p == CORRIDOR - 1;
            rewards[i] = if reached { 1.0 } else { 0.0 };
            dones[i] = reached || self.steps[i] == TIME_LIMIT;
            if dones[i] {
                finished.push(Episode {
                    score: rewards[i] as f64,
                    length: self.steps[i],
                    max_tile: 0,
                });
                *p = 0;
                self.steps[i] = 0;
            }
        }
    }
}

fn small_config(seed: u64) -> PpoConfig {
    PpoConfig {
        num_envs: 16,
        num_steps: 16,
        hidden: vec![32],
        learning_rate: 1e-2,
        threads: 2,
        seed,
        ..PpoConfig::default()
    }
}

fn bandit_trainer(seed: u64) -> Trainer<MaskedBandit> {
    let shape = MlpShape {
        input_features: CONTEXTS,
        active_inputs: 1,
        hidden: vec![32],
        actions: 4,
    };
    Trainer::with_envs(small_config(seed), shape, |_, envs, seed| {
        MaskedBandit::new(envs, seed)
    })
    .unwrap()
}

#[test]
fn bandit_with_masked_actions_learns_the_best_legal_action_in_every_context() {
    let mut trainer = bandit_trainer(1);
    let mut last_mean = 0.0;
    train(&mut trainer, Budget::Updates(60), |t, _| {
        let episodes = t.finished_episodes();
        last_mean = episodes.iter().map(|e| e.score).sum::<f64>() / episodes.len() as f64;
        true
    });
    assert_eq!((trainer.updates(), trainer.env_steps()), (60, 60 * 16 * 16));
    let inputs: Vec<u16> = (0..CONTEXTS as u16).collect();
    let masks: Vec<u8> = (0..CONTEXTS).map(MaskedBandit::mask).collect();
    let mut actions = vec![0u8; CONTEXTS];
    trainer.act_greedy(&inputs, &masks, &mut actions);
    let best: Vec<u8> = (0..CONTEXTS).map(|c| ((c + 1) % 4) as u8).collect();
    assert_eq!(actions, best, "greedy policy per context");
    // The sampling policy of the last rollout is nearly deterministic too.
    assert!(
        last_mean > 0.9,
        "mean reward of the last rollout {last_mean}"
    );
}

#[test]
fn corridor_is_walked_straight_to_the_goal() {
    let shape = MlpShape {
        input_features: CORRIDOR + 1,
        active_inputs: 2,
        hidden: vec![32],
        actions: 3,
    };
    let mut trainer =
        Trainer::with_envs(small_config(2), shape, |_, envs, _| Corridor::new(envs)).unwrap();
    train(&mut trainer, Budget::Updates(150), |_, _| true);

    // Play one episode greedily: the optimum reaches the goal in 5 moves for a return of 1.
    let mut env = Corridor::new(1);
    let (mut inputs, mut masks, mut action) = ([0u16; 2], [0u8; 1], [0u8; 1]);
    let (mut rewards, mut dones, mut finished) = ([0.0f32], [false], Vec::new());
    while finished.is_empty() {
        env.write_observations(&mut inputs);
        env.write_legal_masks(&mut masks);
        trainer.act_greedy(&inputs, &masks, &mut action);
        env.step(&action, &mut rewards, &mut dones, &mut finished);
    }
    assert_eq!(
        finished,
        [Episode {
            score: 1.0,
            length: 5,
            max_tile: 0
        }]
    );
}

#[test]
fn training_is_deterministic_for_a_seed_and_differs_across_seeds() {
    let run = |seed| {
        let mut trainer = bandit_trainer(seed);
        train(&mut trainer, Budget::Updates(3), |_, _| true);
        trainer.model().params().to_vec()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}
