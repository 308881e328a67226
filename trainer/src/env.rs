//! Vectorised 2048 environments with auto-reset, for the PPO rollout.
//!
//! The work happens in free functions over `&[Game]` / `&mut [Game]` ([`write_observations`],
//! [`write_legal_masks`], [`step_games`]); [`VecEnv`] owns the games and forwards to them. To
//! step disjoint parts of the environments on several threads without copying, split
//! [`VecEnv::games_mut`] (`split_at_mut`, `chunks_mut`) and call [`step_games`] on each part
//! with the matching parts of the action and outcome slices.
//!
//! Buffers are the caller's: nothing here allocates after [`VecEnv::new`].

use crate::game::board::{CELLS, write_one_hot_indices};
use crate::game::{Action, Episode, Game, SplitMix64};
use rand::{RngCore, SeedableRng};

/// Number of one-hot indices per environment in an observation (one per cell).
pub const OBSERVATION_INDICES: usize = CELLS;

/// What one environment reports after one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// The raw merge score of the move (0 for an illegal action).
    pub reward: u32,
    /// The action was out of range or would not change the board. The step was a no-op: no
    /// tile spawned, no move counted, reward 0. A policy that masks illegal moves never sees it.
    pub illegal: bool,
    /// Set when this move ended the game: the finished game's record. The environment has
    /// already been reset, so the observation written next is the new game's.
    pub episode: Option<Episode>,
}

impl StepOutcome {
    pub fn done(&self) -> bool {
        self.episode.is_some()
    }
}

/// `n` independent games, each with its own random stream, all derived from one seed.
#[derive(Clone, Debug)]
pub struct VecEnv {
    games: Vec<Game>,
    illegal_actions: u64,
}

impl VecEnv {
    /// Game `i` is seeded with the `i`-th output of SplitMix64(`seed`).
    pub fn new(n: usize, seed: u64) -> Self {
        let mut seeds = SplitMix64::seed_from_u64(seed);
        Self {
            games: (0..n).map(|_| Game::new(seeds.next_u64())).collect(),
            illegal_actions: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.games.len()
    }

    pub fn is_empty(&self) -> bool {
        self.games.is_empty()
    }

    pub fn games(&self) -> &[Game] {
        &self.games
    }

    /// The games, to split between threads and step with [`step_games`]. Illegal actions
    /// stepped this way are not added to [`VecEnv::illegal_actions`]; `step_games` returns them.
    pub fn games_mut(&mut self) -> &mut [Game] {
        &mut self.games
    }

    /// Illegal actions received by [`VecEnv::step`] since creation.
    pub fn illegal_actions(&self) -> u64 {
        self.illegal_actions
    }

    /// See [`write_observations`].
    pub fn write_observations<T: From<u8>>(&self, out: &mut [T]) {
        write_observations(&self.games, out);
    }

    /// See [`write_legal_masks`].
    pub fn write_legal_masks(&self, out: &mut [u8]) {
        write_legal_masks(&self.games, out);
    }

    /// See [`step_games`]; returns the number of illegal actions in this step.
    pub fn step(&mut self, actions: &[u8], outcomes: &mut [StepOutcome]) -> usize {
        let illegal = step_games(&mut self.games, actions, outcomes);
        self.illegal_actions += illegal as u64;
        illegal
    }
}

/// Writes the 16 one-hot indices `16 * cell + exponent` of each game, game after game.
///
/// # Panics
/// If `out.len() != 16 * games.len()`.
pub fn write_observations<T: From<u8>>(games: &[Game], out: &mut [T]) {
    assert_eq!(
        out.len(),
        OBSERVATION_INDICES * games.len(),
        "observation buffer must hold {OBSERVATION_INDICES} indices per environment"
    );
    let (chunks, _) = out.as_chunks_mut::<OBSERVATION_INDICES>();
    for (game, chunk) in games.iter().zip(chunks) {
        write_one_hot_indices(game.board(), chunk);
    }
}

/// Writes one legal-action bit set per game: bit `a` set when action `a` is legal
/// ([`Action::mask_bit`]). Never 0: games that end are reset at once.
///
/// # Panics
/// If `out.len() != games.len()`.
pub fn write_legal_masks(games: &[Game], out: &mut [u8]) {
    assert_eq!(
        out.len(),
        games.len(),
        "legal mask buffer must hold one mask per environment"
    );
    for (game, mask) in games.iter().zip(out) {
        *mask = game.legal_mask();
    }
}

/// Plays `actions[i]` (0 left, 1 up, 2 right, 3 down) in game `i` and writes `outcomes[i]`.
/// A game that ends is recorded in its outcome and restarted from its own random stream.
/// Returns the number of illegal actions, which were no-ops (see [`StepOutcome::illegal`]).
///
/// # Panics
/// If `actions` or `outcomes` do not hold one entry per game.
pub fn step_games(games: &mut [Game], actions: &[u8], outcomes: &mut [StepOutcome]) -> usize {
    assert_eq!(
        actions.len(),
        games.len(),
        "need one action per environment"
    );
    assert_eq!(
        outcomes.len(),
        games.len(),
        "need one outcome slot per environment"
    );
    let mut illegal = 0;
    for ((game, &action), outcome) in games.iter_mut().zip(actions).zip(outcomes) {
        *outcome = step_one(game, action);
        illegal += usize::from(outcome.illegal);
    }
    illegal
}

fn step_one(game: &mut Game, action: u8) -> StepOutcome {
    let Some(reward) = Action::from_index(action).and_then(|action| game.step(action).ok()) else {
        return StepOutcome {
            reward: 0,
            illegal: true,
            episode: None,
        };
    };
    let episode = game.is_over().then(|| {
        let episode = game.episode();
        game.restart();
        episode
    });
    StepOutcome {
        reward,
        illegal: false,
        episode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::board::{empty_count, from_tiles};
    use crate::game::random_legal_action;

    #[test]
    fn games_are_seeded_deterministically_and_differ() {
        let a = VecEnv::new(8, 99);
        let b = VecEnv::new(8, 99);
        let boards = |env: &VecEnv| env.games().iter().map(Game::board).collect::<Vec<_>>();
        assert_eq!(boards(&a), boards(&b));
        let distinct: std::collections::HashSet<u64> = boards(&a).into_iter().collect();
        assert!(distinct.len() > 1);
        assert_ne!(boards(&a), boards(&VecEnv::new(8, 100)));
        assert!(a.games().iter().all(|g| empty_count(g.board()) == 14));
    }

    #[test]
    fn observations_and_masks_describe_each_game() {
        let env = VecEnv::new(3, 5);
        let mut observations = vec![0u16; 3 * 16];
        let mut masks = vec![0u8; 3];
        env.write_observations(&mut observations);
        env.write_legal_masks(&mut masks);
        for (i, game) in env.games().iter().enumerate() {
            let mut expected = [0u16; 16];
            write_one_hot_indices(game.board(), &mut expected);
            assert_eq!(observations[16 * i..16 * (i + 1)], expected);
            assert_eq!(masks[i], game.legal_mask());
        }
    }

    #[test]
    fn illegal_and_out_of_range_actions_are_counted_no_ops() {
        let top_left =
            from_tiles([[2, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]).unwrap();
        let mut env = VecEnv::new(2, 0);
        env.games_mut()[0] = Game::from_board(top_left, 1);
        let before = env.clone();
        let mut outcomes = [StepOutcome::default(); 2];
        // Left is illegal on the first board, 7 is no action at all.
        assert_eq!(env.step(&[0, 7], &mut outcomes), 2);
        let no_op = StepOutcome {
            reward: 0,
            illegal: true,
            episode: None,
        };
        assert_eq!(outcomes, [no_op, no_op]);
        assert_eq!(env.illegal_actions(), 2);
        for (game, old) in env.games().iter().zip(before.games()) {
            assert_eq!((game.board(), game.moves()), (old.board(), old.moves()));
        }
    }

    #[test]
    fn finished_game_is_recorded_and_reset() {
        // One move (left) is legal and ends the game: 2 2 merge to 4 and the spawn fills the hole.
        let almost_stuck = from_tiles([
            [2, 2, 8, 16],
            [32, 64, 128, 256],
            [512, 1024, 2048, 4096],
            [8, 16, 32, 64],
        ])
        .unwrap();
        let mut env = VecEnv::new(1, 0);
        env.games_mut()[0] = Game::from_board(almost_stuck, 12);
        let mut outcomes = [StepOutcome::default()];
        assert_eq!(env.step(&[Action::Left.index()], &mut outcomes), 0);
        let [outcome] = outcomes;
        assert_eq!(outcome.reward, 4);
        assert!(!outcome.illegal);
        assert!(outcome.done());
        assert_eq!(
            outcome.episode,
            Some(Episode {
                score: 4,
                max_tile: 4096,
                moves: 1
            })
        );
        let fresh = &env.games()[0];
        assert_eq!(
            (fresh.score(), fresh.moves(), empty_count(fresh.board())),
            (0, 0, 14)
        );
    }

    #[test]
    fn stepping_halves_separately_equals_stepping_everything() {
        let mut whole = VecEnv::new(6, 21);
        let mut halves = whole.clone();
        let mut policy = crate::game::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut masks = [0u8; 6];
        let mut actions = [0u8; 6];
        let mut outcomes_whole = [StepOutcome::default(); 6];
        let mut outcomes_halves = [StepOutcome::default(); 6];
        let mut finished = 0;
        for _ in 0..500 {
            whole.write_legal_masks(&mut masks);
            for (action, &mask) in actions.iter_mut().zip(&masks) {
                *action = random_legal_action(mask, &mut policy).unwrap().index();
            }
            assert_eq!(whole.step(&actions, &mut outcomes_whole), 0);
            let (left, right) = halves.games_mut().split_at_mut(3);
            let (out_left, out_right) = outcomes_halves.split_at_mut(3);
            std::thread::scope(|scope| {
                scope.spawn(|| step_games(left, &actions[..3], out_left));
                scope.spawn(|| step_games(right, &actions[3..], out_right));
            });
            assert_eq!(outcomes_whole, outcomes_halves);
            finished += outcomes_whole.iter().filter(|o| o.done()).count();
        }
        assert!(
            finished > 0,
            "500 random steps in 6 envs should finish some games"
        );
        let boards = |env: &VecEnv| env.games().iter().map(Game::board).collect::<Vec<_>>();
        assert_eq!(boards(&whole), boards(&halves));
    }

    #[test]
    #[should_panic(expected = "observation buffer must hold 16 indices per environment")]
    fn wrong_observation_buffer_is_reported() {
        VecEnv::new(2, 0).write_observations(&mut [0u32; 16]);
    }
}
