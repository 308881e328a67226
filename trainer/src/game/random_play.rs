//! The uniformly random legal policy: the baseline every trained agent must beat, and the
//! strongest check that these rules match pgx's (whose random play the JAX anchor measured).

use super::action::Action;
use super::rng::{SplitMix64, UniformBelow, Xoshiro256PlusPlus};
use super::state::{Episode, Game};
use rand::{RngCore, SeedableRng};

/// One of the legal actions in `mask`, each with equal probability; `None` when none is legal.
pub fn random_legal_action(mask: u8, rng: &mut Xoshiro256PlusPlus) -> Option<Action> {
    let legal = u32::from(mask & 0b1111);
    if legal == 0 {
        return None;
    }
    let mut remaining = legal;
    for _ in 0..rng.below(legal.count_ones()) {
        remaining &= remaining - 1;
    }
    Action::from_index(remaining.trailing_zeros() as u8)
}

/// Plays `games` games with the random legal policy and returns their records in order.
///
/// Game `i` is seeded by the `i`-th output of SplitMix64(`seed`); the policy draws from its
/// own stream, so the spawns of a game do not depend on how many choices the policy made.
pub fn play_random_games(games: usize, seed: u64) -> Vec<Episode> {
    let mut seeds = SplitMix64::seed_from_u64(seed);
    let mut policy = Xoshiro256PlusPlus::seed_from_u64(seeds.next_u64());
    (0..games)
        .map(|_| {
            let mut game = Game::new(seeds.next_u64());
            while let Some(action) = random_legal_action(game.legal_mask(), &mut policy) {
                // The action comes from the legal mask, so the step cannot be refused.
                let _ = game.step(action);
            }
            game.episode()
        })
        .collect()
}

/// Summary statistics of a set of episodes, in the units the JAX anchor reported.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeSummary {
    pub games: usize,
    pub mean_score: f64,
    pub median_score: f64,
    pub mean_moves: f64,
    /// `(tile, fraction of games whose largest tile is at least tile)` for tiles 2 to 32768.
    pub reached: Vec<(u32, f64)>,
}

impl EpisodeSummary {
    /// `None` for an empty set of episodes, whose mean and median do not exist.
    pub fn from_episodes(episodes: &[Episode]) -> Option<Self> {
        if episodes.is_empty() {
            return None;
        }
        let count = episodes.len() as f64;
        let mut scores: Vec<u32> = episodes.iter().map(|e| e.score).collect();
        scores.sort_unstable();
        let middle = scores.len() / 2;
        let median_score = if scores.len() % 2 == 1 {
            f64::from(scores[middle])
        } else {
            (f64::from(scores[middle - 1]) + f64::from(scores[middle])) / 2.0
        };
        let reached = (1..=15)
            .map(|exponent| {
                let tile = 1u32 << exponent;
                let games = episodes.iter().filter(|e| e.max_tile >= tile).count();
                (tile, games as f64 / count)
            })
            .collect();
        Some(Self {
            games: episodes.len(),
            mean_score: scores.iter().map(|&s| f64::from(s)).sum::<f64>() / count,
            median_score,
            mean_moves: episodes.iter().map(|e| f64::from(e.moves)).sum::<f64>() / count,
            reached,
        })
    }

    /// Fraction of games whose largest tile is at least `tile` (0 for a tile above 32768 or
    /// not a power of two).
    pub fn fraction_reaching(&self, tile: u32) -> f64 {
        self.reached
            .iter()
            .find(|&&(t, _)| t == tile)
            .map_or(0.0, |&(_, fraction)| fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_action_is_always_legal_and_covers_the_mask() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        for mask in 1u8..16 {
            let mut seen = 0u8;
            for _ in 0..200 {
                let action = random_legal_action(mask, &mut rng).unwrap();
                assert_ne!(mask & action.mask_bit(), 0);
                seen |= action.mask_bit();
            }
            assert_eq!(seen, mask);
        }
        assert_eq!(random_legal_action(0, &mut rng), None);
        assert_eq!(random_legal_action(0b1111_0000, &mut rng), None);
    }

    #[test]
    fn summary_of_known_episodes() {
        let episodes = [
            Episode {
                score: 100,
                max_tile: 64,
                moves: 10,
            },
            Episode {
                score: 300,
                max_tile: 256,
                moves: 30,
            },
            Episode {
                score: 200,
                max_tile: 128,
                moves: 20,
            },
            Episode {
                score: 1000,
                max_tile: 512,
                moves: 60,
            },
        ];
        let summary = EpisodeSummary::from_episodes(&episodes).unwrap();
        assert_eq!(summary.games, 4);
        assert_eq!(summary.mean_score, 400.0);
        assert_eq!(summary.median_score, 250.0);
        assert_eq!(summary.mean_moves, 30.0);
        assert_eq!(summary.fraction_reaching(64), 1.0);
        assert_eq!(summary.fraction_reaching(256), 0.5);
        assert_eq!(summary.fraction_reaching(1024), 0.0);
        assert_eq!(summary.fraction_reaching(100), 0.0);
        assert_eq!(summary.reached.len(), 15);
        let odd = EpisodeSummary::from_episodes(&episodes[..3]).unwrap();
        assert_eq!(odd.median_score, 200.0);
        assert_eq!(EpisodeSummary::from_episodes(&[]), None);
    }
}
