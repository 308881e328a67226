//! Precomputed moves of a single row: for each of the 65,536 rows (four 4-bit exponents, left
//! cell in the lowest nibble) the row moved left, the row moved right, and the merge score.
//!
//! The tables are built once, on first use, and are then read-only and shared by all threads.
//! One 8-byte entry per row keeps everything a move needs in one cache line.
//!
//! # Rule at exponent 15
//! Two 32768 tiles (exponent 15) do **not** merge: a nibble cannot hold 65536, and rather than
//! saturating (which would destroy 32768 points of tiles and break the conservation of the tile
//! sum) they behave like two different tiles. This only departs from the unbounded game on
//! boards that already hold two 32768 tiles side by side, far beyond what the agents here reach.

use std::sync::LazyLock;

use super::board::MAX_EXPONENT;

/// The results of moving one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct RowMove {
    pub left: u16,
    pub right: u16,
    /// Sum of the values of the tiles created by merges; the same in both directions, because
    /// a run of `k` equal tiles merges `k / 2` pairs whichever end it is pushed towards.
    pub score: u32,
}

pub const ROWS: usize = 1 << 16;

static ROW_MOVES: LazyLock<Box<[RowMove; ROWS]>> = LazyLock::new(|| {
    let moves: Box<[RowMove]> = (0..ROWS)
        .map(|row| {
            let row = row as u16;
            let (left, score) = slide_row_left(row);
            let (mirrored_left, _) = slide_row_left(reverse_row(row));
            RowMove {
                left,
                right: reverse_row(mirrored_left),
                score,
            }
        })
        .collect();
    moves
        .try_into()
        .expect("the iterator yields exactly one entry per 16-bit row")
});

/// The whole table, indexed by row; fetch it once per board move (one initialisation check)
/// rather than once per row. A `u16` index can never be out of bounds.
#[inline]
pub fn row_moves() -> &'static [RowMove; ROWS] {
    &ROW_MOVES
}

/// The precomputed move of `row`.
#[inline]
pub fn row_move(row: u16) -> RowMove {
    row_moves()[usize::from(row)]
}

/// Builds the tables now rather than inside the first timed move.
pub fn warm_up() {
    LazyLock::force(&ROW_MOVES);
}

/// Reverses the order of the four cells of a row.
pub fn reverse_row(row: u16) -> u16 {
    (row >> 12) | ((row >> 4) & 0x00F0) | ((row << 4) & 0x0F00) | (row << 12)
}

/// Slides the row towards its low nibble, merging each pair of equal tiles once, and returns
/// the new row and the merge score. This is the single definition of the rules that the
/// tables are built from.
fn slide_row_left(row: u16) -> (u16, u32) {
    let mut packed = [0u8; 4];
    let mut len = 0;
    // A tile that was just placed (not produced by a merge) may still absorb an equal tile.
    let mut last_can_merge = false;
    let mut score = 0u32;
    for exponent in (0..4).map(|col| ((row >> (4 * col)) & 0xF) as u8) {
        if exponent == 0 {
            continue;
        }
        if last_can_merge && packed[len - 1] == exponent && exponent < MAX_EXPONENT {
            packed[len - 1] = exponent + 1;
            score += 1 << (exponent + 1);
            last_can_merge = false;
        } else {
            packed[len] = exponent;
            len += 1;
            last_can_merge = true;
        }
    }
    let moved = packed
        .iter()
        .enumerate()
        .fold(0u16, |row, (col, &exponent)| {
            row | u16::from(exponent) << (4 * col)
        });
    (moved, score)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row from exponents, left cell first.
    fn row(cells: [u16; 4]) -> u16 {
        cells[0] | cells[1] << 4 | cells[2] << 8 | cells[3] << 12
    }

    #[test]
    fn brief_examples_moved_left() {
        // 2 2 2 2 -> 4 4 . . scoring 8
        assert_eq!(row_move(row([1, 1, 1, 1])).left, row([2, 2, 0, 0]));
        assert_eq!(row_move(row([1, 1, 1, 1])).score, 8);
        // 4 4 8 . -> 8 8 . . scoring 8
        assert_eq!(row_move(row([2, 2, 3, 0])).left, row([3, 3, 0, 0]));
        assert_eq!(row_move(row([2, 2, 3, 0])).score, 8);
        // 2 2 4 . -> 4 4 . . scoring 4
        assert_eq!(row_move(row([1, 1, 2, 0])).left, row([2, 2, 0, 0]));
        assert_eq!(row_move(row([1, 1, 2, 0])).score, 4);
    }

    #[test]
    fn moved_right_merges_from_the_right_end() {
        // 2 2 2 . -> . . 2 4: the two rightmost tiles merge.
        assert_eq!(row_move(row([1, 1, 1, 0])).right, row([0, 0, 1, 2]));
        // 2 . 2 4 -> . . 4 4, scoring 4
        assert_eq!(row_move(row([1, 0, 1, 2])).right, row([0, 0, 2, 2]));
        assert_eq!(row_move(row([1, 0, 1, 2])).score, 4);
    }

    #[test]
    fn blocked_rows_do_not_change() {
        for cells in [[0, 0, 0, 0], [1, 2, 3, 4], [5, 0, 0, 0], [15, 14, 15, 14]] {
            assert_eq!(row_move(row(cells)).left, row(cells));
            assert_eq!(row_move(row(cells)).score, 0);
        }
    }

    #[test]
    fn two_32768_tiles_do_not_merge_but_two_16384_do() {
        assert_eq!(row_move(row([15, 15, 0, 0])).left, row([15, 15, 0, 0]));
        assert_eq!(row_move(row([0, 15, 0, 15])).left, row([15, 15, 0, 0]));
        assert_eq!(row_move(row([0, 15, 0, 15])).score, 0);
        assert_eq!(row_move(row([14, 14, 14, 14])).left, row([15, 15, 0, 0]));
        assert_eq!(row_move(row([14, 14, 14, 14])).score, 65536);
    }

    #[test]
    fn reverse_row_reverses_cells() {
        assert_eq!(reverse_row(0x4321), 0x1234);
        assert_eq!(reverse_row(0xF00A), 0xA00F);
    }
}
