//! A fast 2048 engine with pgx's rules and action numbering.
//!
//! - The board is a `u64` with a 4-bit exponent per cell; see [`board`] for the exact layout.
//! - Rows move through precomputed tables ([`tables`]); columns through a transpose ([`moves`]).
//! - Rules: a move slides every line and merges each pair of equal tiles once (`2 2 2 2` left
//!   gives `4 4 . .`); its score is the sum of the tiles the merges create; a move that changes
//!   nothing is illegal and spawns nothing; after a legal move a 2 (probability 0.9) or a 4
//!   (0.1) appears on a uniformly chosen empty cell; a game starts with two spawned tiles and
//!   ends when no move is legal. Two 32768 tiles never merge (see [`tables`]).
//! - Randomness comes from a seeded xoshiro256++ and our unbiased bounded draw ([`rng`]), so
//!   games are reproducible.

pub mod action;
pub mod board;
pub mod moves;
pub mod random_play;
pub mod rng;
pub mod spawn;
pub mod state;
pub mod tables;

pub use action::Action;
pub use board::{exponents, write_one_hot_indices};
pub use moves::{legal_mask, slide};
pub use random_play::{EpisodeSummary, play_random_games, random_legal_action};
pub use rng::{SplitMix64, UniformBelow, Xoshiro256PlusPlus};
pub use state::{Episode, Game, IllegalMove};
