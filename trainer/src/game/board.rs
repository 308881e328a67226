//! The board as a `u64` bitboard and the bit tricks that read it.
//!
//! # Layout
//! Each of the 16 cells holds a 4-bit exponent: 0 is an empty cell, `k` in `1..=15` is the tile
//! `2^k` (so 1 = 2, 11 = 2048, 15 = 32768, the largest tile a nibble holds). Cell
//! `i = 4 * row + col` sits at bits `4*i .. 4*i + 4`; row 0 is the top row and col 0 the left
//! column. So row `r` is the 16-bit word at bits `16*r .. 16*r + 16`, with its left cell in the
//! lowest nibble:
//!
//! ```text
//!   bits  0..16  row 0 (top):    col 0 = bits  0..4, col 1 = bits  4..8, ... col 3 = bits 12..16
//!   bits 16..32  row 1
//!   bits 32..48  row 2
//!   bits 48..64  row 3 (bottom)
//! ```
//!
//! Every `u64` is a valid board, which is what lets property tests draw boards freely.

use std::error::Error;
use std::fmt;

/// The lowest bit of every nibble: the "one flag per cell" masks below live on these bits.
pub const CELL_FLAGS: u64 = 0x1111_1111_1111_1111;

/// The largest exponent a cell holds: 15, the tile 32768.
pub const MAX_EXPONENT: u8 = 15;

/// Width of the one-hot encoding of one cell: exponents 0..=15.
pub const ONE_HOT_WIDTH: usize = 16;

/// Number of one-hot indices per board (one per cell).
pub const CELLS: usize = 16;

/// The exponent of cell `index` (`4 * row + col`); `index` is taken modulo 16.
pub fn cell(board: u64, index: usize) -> u8 {
    ((board >> (4 * (index % CELLS))) & 0xF) as u8
}

/// The 16 exponents in row-major order (`[row 0 col 0, row 0 col 1, ...]`).
pub fn exponents(board: u64) -> [u8; CELLS] {
    std::array::from_fn(|index| cell(board, index))
}

/// Writes the one-hot indices `16 * cell + exponent` of the 16 cells into `out`.
///
/// The network's first layer is a gather of these 16 rows of a 256-row weight matrix, never a
/// dense 256-wide product. Exponents never exceed 15 in a nibble, so every index is below 256 and
/// fits any integer type that converts from `u8`.
pub fn write_one_hot_indices<T: From<u8>>(board: u64, out: &mut [T; CELLS]) {
    for (index, slot) in out.iter_mut().enumerate() {
        // index < 16 and the exponent < 16, so the sum is at most 255.
        *slot = T::from((index as u8) << 4 | cell(board, index));
    }
}

/// One flag (on the lowest bit of each nibble) per non-empty cell.
pub fn occupied_flags(board: u64) -> u64 {
    let pairs = board | (board >> 1);
    (pairs | (pairs >> 2)) & CELL_FLAGS
}

/// One flag per empty cell.
pub fn empty_flags(board: u64) -> u64 {
    !occupied_flags(board) & CELL_FLAGS
}

/// One flag per cell holding the largest tile (exponent 15).
pub fn max_tile_flags(board: u64) -> u64 {
    let pairs = board & (board >> 1);
    (pairs & (pairs >> 2)) & CELL_FLAGS
}

pub fn empty_count(board: u64) -> u32 {
    empty_flags(board).count_ones()
}

/// The largest exponent on the board (0 for an empty board).
pub fn max_exponent(board: u64) -> u8 {
    exponents(board).into_iter().max().unwrap_or(0)
}

/// The value of an exponent: 0 for an empty cell, `2^exponent` otherwise.
pub fn tile_value(exponent: u8) -> u32 {
    if exponent == 0 { 0 } else { 1 << exponent }
}

/// The sum of all tile values; merges conserve it, spawns add 2 or 4.
pub fn tile_sum(board: u64) -> u32 {
    exponents(board).into_iter().map(tile_value).sum()
}

/// Swaps rows and columns, so cell `(r, c)` moves to `(c, r)`.
///
/// Two rounds of masked swaps: first the off-diagonal cells inside each 2x2 block (3 nibbles
/// apart), then the off-diagonal 2x2 blocks themselves (6 nibbles apart).
pub fn transpose(board: u64) -> u64 {
    let kept = board & 0xF0F0_0F0F_F0F0_0F0F;
    let above = board & 0x0000_F0F0_0000_F0F0;
    let below = board & 0x0F0F_0000_0F0F_0000;
    let cells_swapped = kept | (above << 12) | (below >> 12);
    let kept = cells_swapped & 0xFF00_FF00_00FF_00FF;
    let top_right = cells_swapped & 0x0000_0000_FF00_FF00;
    let bottom_left = cells_swapped & 0x00FF_00FF_0000_0000;
    kept | (top_right << 24) | (bottom_left >> 24)
}

/// Reverses the columns, so cell `(r, c)` moves to `(r, 3 - c)`.
pub fn mirror(board: u64) -> u64 {
    let nibbles_swapped =
        ((board & 0x0F0F_0F0F_0F0F_0F0F) << 4) | ((board >> 4) & 0x0F0F_0F0F_0F0F_0F0F);
    ((nibbles_swapped & 0x00FF_00FF_00FF_00FF) << 8)
        | ((nibbles_swapped >> 8) & 0x00FF_00FF_00FF_00FF)
}

/// Why a grid of tile values is not a board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardError {
    pub row: usize,
    pub col: usize,
    pub value: u32,
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tile {} at row {}, col {} is not 0 or a power of two from 2 to 32768",
            self.value, self.row, self.col
        )
    }
}

impl Error for BoardError {}

/// Builds a board from tile values (0 = empty), row 0 first.
pub fn from_tiles(rows: [[u32; 4]; 4]) -> Result<u64, BoardError> {
    let mut board = 0u64;
    for (row, values) in rows.iter().enumerate() {
        for (col, &value) in values.iter().enumerate() {
            let exponent = match value {
                0 => 0,
                v if v.is_power_of_two() && (2..=1 << MAX_EXPONENT).contains(&v) => {
                    v.trailing_zeros()
                }
                _ => return Err(BoardError { row, col, value }),
            };
            board |= u64::from(exponent) << (4 * (4 * row + col));
        }
    }
    Ok(board)
}

/// The tile values, row 0 first (the inverse of [`from_tiles`]).
pub fn to_tiles(board: u64) -> [[u32; 4]; 4] {
    std::array::from_fn(|row| std::array::from_fn(|col| tile_value(cell(board, 4 * row + col))))
}

/// A four-line grid of tile values with `.` for empty cells, for logs and failing tests.
pub fn render(board: u64) -> String {
    to_tiles(board)
        .iter()
        .map(|row| {
            row.iter()
                .map(|&value| match value {
                    0 => format!("{:>6}", "."),
                    v => format!("{v:>6}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTING: u64 = 0xFEDC_BA98_7654_3210;

    #[test]
    fn cell_index_follows_the_documented_layout() {
        // Cell i holds exponent i in COUNTING.
        assert_eq!(exponents(COUNTING), std::array::from_fn(|i| i as u8));
        let board =
            from_tiles([[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 32768]]).unwrap();
        assert_eq!(board, 0xF000_0000_0000_0001);
    }

    #[test]
    fn transpose_and_mirror_of_counting_board() {
        assert_eq!(transpose(COUNTING), 0xFB73_EA62_D951_C840);
        assert_eq!(mirror(COUNTING), 0xCDEF_89AB_4567_0123);
    }

    #[test]
    fn one_hot_indices_are_cell_times_16_plus_exponent() {
        let mut out = [0u16; CELLS];
        write_one_hot_indices(COUNTING, &mut out);
        assert_eq!(out, std::array::from_fn(|i| 17 * i as u16));
        let mut out = [0u32; CELLS];
        write_one_hot_indices(0, &mut out);
        assert_eq!(out, std::array::from_fn(|i| 16 * i as u32));
    }

    #[test]
    fn flags_mark_empty_occupied_and_maximal_cells() {
        let board = from_tiles([
            [0, 2, 0, 32768],
            [4, 0, 0, 0],
            [0, 0, 16384, 0],
            [0, 0, 0, 8],
        ])
        .unwrap();
        assert_eq!(occupied_flags(board), 0x1000_0100_0001_1010);
        assert_eq!(empty_flags(board), 0x0111_1011_1110_0101);
        assert_eq!(max_tile_flags(board), 0x0000_0000_0000_1000);
        assert_eq!(empty_count(board), 11);
        assert_eq!(max_exponent(board), 15);
        assert_eq!(tile_sum(board), 2 + 32768 + 4 + 16384 + 8);
    }

    #[test]
    fn from_tiles_rejects_values_that_are_not_tiles() {
        for (value, text) in [
            (
                3,
                "tile 3 at row 1, col 2 is not 0 or a power of two from 2 to 32768",
            ),
            (
                1,
                "tile 1 at row 1, col 2 is not 0 or a power of two from 2 to 32768",
            ),
            (
                65536,
                "tile 65536 at row 1, col 2 is not 0 or a power of two from 2 to 32768",
            ),
        ] {
            let mut rows = [[0; 4]; 4];
            rows[1][2] = value;
            let error = from_tiles(rows).unwrap_err();
            assert_eq!(
                error,
                BoardError {
                    row: 1,
                    col: 2,
                    value
                }
            );
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn tiles_round_trip_and_render() {
        let rows = [
            [0, 2, 4, 8],
            [16, 32, 64, 128],
            [256, 512, 1024, 2048],
            [4096, 8192, 16384, 32768],
        ];
        let board = from_tiles(rows).unwrap();
        assert_eq!(board, COUNTING);
        assert_eq!(to_tiles(board), rows);
        assert_eq!(
            render(
                from_tiles([[2, 0, 0, 0], [0, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2048]]).unwrap()
            ),
            "     2     .     .     .\n     .     4     .     .\n     .     .     .     .\n     .     .     .  2048"
        );
    }
}
