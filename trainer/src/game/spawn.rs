//! Placing a new tile: a 2 (probability 0.9) or a 4 (0.1) on a uniformly chosen empty cell.

use super::board::empty_flags;
use super::rng::{UniformBelow, Xoshiro256PlusPlus};

/// The board with one new tile, or `None` when the board has no empty cell.
///
/// Draws the cell first, then the value, each with one unbiased bounded draw.
// Always inlined: with a plain `#[inline]`, LLVM keeps this out of `Game::step` since the
// generator is `rand_xoshiro`'s, and the game benchmark's steps cost 4.5% more instructions
// (callgrind on `GAME_BENCH_SCALE=0.01 cargo bench -p trainer --bench game`).
#[inline(always)]
pub fn spawn_tile(board: u64, rng: &mut Xoshiro256PlusPlus) -> Option<u64> {
    let mut empty = empty_flags(board);
    let count = empty.count_ones();
    if count == 0 {
        return None;
    }
    for _ in 0..rng.below(count) {
        empty &= empty - 1;
    }
    let shift = empty.trailing_zeros();
    let exponent: u64 = if rng.below(10) == 0 { 2 } else { 1 };
    Some(board | exponent << shift)
}

/// An empty board with two spawned tiles: the start of every game.
pub fn starting_board(rng: &mut Xoshiro256PlusPlus) -> u64 {
    let one_tile = spawn_tile(0, rng).unwrap_or(0);
    spawn_tile(one_tile, rng).unwrap_or(one_tile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::board::{empty_count, exponents};
    use rand::SeedableRng;

    #[test]
    fn full_board_gets_no_tile() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(spawn_tile(0x1111_1111_1111_1111, &mut rng), None);
    }

    #[test]
    fn last_empty_cell_is_filled() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        // Only cell 9 is empty.
        let board = 0x1111_1111_1111_1111 & !(0xF << 36);
        let spawned = spawn_tile(board, &mut rng).unwrap();
        assert_eq!(spawned & !(0xF << 36), board);
        assert!(matches!(exponents(spawned)[9], 1 | 2));
    }

    #[test]
    fn starting_board_has_two_small_tiles() {
        for seed in 0..200 {
            let board = starting_board(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
            assert_eq!(empty_count(board), 14);
            assert!(exponents(board).iter().all(|&e| e <= 2));
        }
    }

    #[test]
    fn four_appears_one_time_in_ten_and_cells_are_uniform() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut fours = 0u32;
        let mut per_cell = [0u32; 16];
        let draws = 160_000;
        for _ in 0..draws {
            let spawned = spawn_tile(0, &mut rng).unwrap();
            let cell = (spawned.trailing_zeros() / 4) as usize;
            per_cell[cell] += 1;
            fours += u32::from(spawned >> (4 * cell) == 2);
        }
        // Binomial standard deviations: 120 for the fours, 97 per cell; allow about 5 of them.
        assert!((15_400..=16_600).contains(&fours), "{fours}");
        for count in per_cell {
            assert!((9_500..=10_500).contains(&count), "{per_cell:?}");
        }
    }
}
