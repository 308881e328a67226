//! One game in progress: the board, its score and move count, and its own random stream.

use std::error::Error;
use std::fmt;

use super::action::Action;
use super::board::{max_exponent, render, tile_value};
use super::moves::{legal_mask, slide};
use super::rng::Xoshiro256PlusPlus;
use super::spawn::{spawn_tile, starting_board};
use rand::SeedableRng;

/// A move that would not change the board. Nothing happened: no tile spawned, no move counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalMove {
    pub action: Action,
    pub board: u64,
}

impl fmt::Display for IllegalMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "moving {} does not change the board {:#018x}:\n{}",
            self.action,
            self.board,
            render(self.board)
        )
    }
}

impl Error for IllegalMove {}

/// The record of a finished (or abandoned) game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    pub score: u32,
    /// Value of the largest tile, e.g. 2048.
    pub max_tile: u32,
    /// Number of legal moves played.
    pub moves: u32,
}

/// A 2048 game.
///
/// `u32` is enough for the score and the move count: each move adds at least 2 to the tile
/// sum, which never exceeds 16 * 32768, so a game lasts under 2^18 moves and scores under 2^23.
#[derive(Clone, Debug)]
pub struct Game {
    board: u64,
    score: u32,
    moves: u32,
    // Cached because the policy asks for it before every move and it decides `is_over`.
    legal: u8,
    rng: Xoshiro256PlusPlus,
}

impl Game {
    /// A new game: two tiles spawned on an empty board with the stream seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let board = starting_board(&mut rng);
        Self::with_rng(board, rng)
    }

    /// A game continuing from `board` (score and moves at 0); `seed` drives the later spawns.
    pub fn from_board(board: u64, seed: u64) -> Self {
        Self::with_rng(board, Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    fn with_rng(board: u64, rng: Xoshiro256PlusPlus) -> Self {
        Self {
            board,
            score: 0,
            moves: 0,
            legal: legal_mask(board),
            rng,
        }
    }

    /// Starts a new game, continuing this game's random stream (so a sequence of games is
    /// reproducible from the first seed).
    pub fn restart(&mut self) {
        let board = starting_board(&mut self.rng);
        self.board = board;
        self.score = 0;
        self.moves = 0;
        self.legal = legal_mask(board);
    }

    pub fn board(&self) -> u64 {
        self.board
    }

    pub fn score(&self) -> u32 {
        self.score
    }

    /// Number of legal moves played.
    pub fn moves(&self) -> u32 {
        self.moves
    }

    /// Value of the largest tile (0 on an empty board).
    pub fn max_tile(&self) -> u32 {
        tile_value(self.max_exponent())
    }

    pub fn max_exponent(&self) -> u8 {
        max_exponent(self.board)
    }

    /// Bit `a` is set when action `a` is legal.
    pub fn legal_mask(&self) -> u8 {
        self.legal
    }

    pub fn is_legal(&self, action: Action) -> bool {
        self.legal & action.mask_bit() != 0
    }

    /// True when no move is legal.
    pub fn is_over(&self) -> bool {
        self.legal == 0
    }

    /// The random stream that draws this game's spawns (and may draw a policy's choices).
    pub fn rng_mut(&mut self) -> &mut Xoshiro256PlusPlus {
        &mut self.rng
    }

    pub fn episode(&self) -> Episode {
        Episode {
            score: self.score,
            max_tile: self.max_tile(),
            moves: self.moves,
        }
    }

    /// Plays `action`: slides, merges, spawns a tile, and returns the merge score of the move.
    pub fn step(&mut self, action: Action) -> Result<u32, IllegalMove> {
        if !self.is_legal(action) {
            return Err(IllegalMove {
                action,
                board: self.board,
            });
        }
        let (moved, merge_score) = slide(self.board, action);
        // A legal move either slides a tile into an empty cell or merges two tiles, so the
        // moved board always has an empty cell for the spawn.
        let board = spawn_tile(moved, &mut self.rng).unwrap_or(moved);
        self.board = board;
        self.score += merge_score;
        self.moves += 1;
        self.legal = legal_mask(board);
        Ok(merge_score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::board::{empty_count, from_tiles};

    #[test]
    fn new_game_has_two_tiles_and_moves() {
        let game = Game::new(42);
        assert_eq!(empty_count(game.board()), 14);
        assert_eq!((game.score(), game.moves()), (0, 0));
        assert!(!game.is_over());
        assert_eq!(game.legal_mask(), legal_mask(game.board()));
    }

    #[test]
    fn same_seed_same_game() {
        let play = |seed| {
            let mut game = Game::new(seed);
            let mut boards = vec![game.board()];
            while let Some(action) = Action::ALL.into_iter().find(|&a| game.is_legal(a)) {
                game.step(action).unwrap();
                boards.push(game.board());
            }
            (boards, game.episode())
        };
        assert_eq!(play(9), play(9));
        assert_ne!(play(9).0, play(10).0);
    }

    #[test]
    fn step_scores_merges_and_spawns_one_tile() {
        let board = from_tiles([[2, 2, 4, 4], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]).unwrap();
        let mut game = Game::from_board(board, 3);
        assert_eq!(game.step(Action::Left), Ok(12));
        let after = game.board();
        // 4 8 . . on the top row, plus one spawned tile elsewhere.
        assert_eq!(after & 0xFFFF, 0x0032 | (after & 0xFF00));
        assert_eq!(empty_count(after), 13);
        assert_eq!(
            (
                game.score(),
                game.moves(),
                game.max_tile(),
                game.max_exponent()
            ),
            (12, 1, 8, 3)
        );
    }

    #[test]
    fn illegal_move_changes_nothing_and_explains_itself() {
        let board = from_tiles([[2, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]).unwrap();
        let mut game = Game::from_board(board, 3);
        let before = game.clone();
        let error = game.step(Action::Left).unwrap_err();
        assert_eq!(
            error,
            IllegalMove {
                action: Action::Left,
                board
            }
        );
        assert_eq!(
            error.to_string(),
            "moving left does not change the board 0x0000000000000021:\n     2     4     .     .\n     .     .     .     .\n     .     .     .     .\n     .     .     .     ."
        );
        assert_eq!(
            (game.board(), game.score(), game.moves()),
            (before.board(), 0, 0)
        );
        assert_eq!(game.rng_mut(), before.clone().rng_mut());
    }

    #[test]
    fn finished_game_rejects_every_move() {
        let stuck = from_tiles([[2, 4, 2, 4], [4, 2, 4, 2], [2, 4, 2, 4], [4, 2, 4, 2]]).unwrap();
        let mut game = Game::from_board(stuck, 0);
        assert!(game.is_over());
        for action in Action::ALL {
            assert_eq!(
                game.step(action),
                Err(IllegalMove {
                    action,
                    board: stuck
                })
            );
        }
        assert_eq!(
            game.episode(),
            Episode {
                score: 0,
                max_tile: 4,
                moves: 0
            }
        );
    }

    #[test]
    fn restart_begins_a_fresh_game_from_the_continuing_stream() {
        let mut game = Game::new(1);
        while let Some(action) = Action::ALL.into_iter().find(|&a| game.is_legal(a)) {
            game.step(action).unwrap();
        }
        assert!(game.moves() > 0);
        let mut expected_rng = game.rng_mut().clone();
        let expected_board = starting_board(&mut expected_rng);
        game.restart();
        assert_eq!(
            (game.board(), game.score(), game.moves()),
            (expected_board, 0, 0)
        );
        assert!(!game.is_over());
        assert_eq!(game.rng_mut(), &mut expected_rng);
    }
}
