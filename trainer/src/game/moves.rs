//! Moving a whole board (without the spawn that follows) and telling which moves are legal.

use super::action::Action;
use super::board::{CELL_FLAGS, max_tile_flags, occupied_flags, transpose};
use super::tables::row_moves;

/// The board after sliding every line towards `action`, and the merge score.
///
/// Up and down run the row tables on the transposed board: a transpose is a dozen register
/// operations, cheaper than the cache footprint of two more 512 KiB column tables. The
/// `game` bench times both on boards from random play: about 10 ns against 16 ns per
/// up + down pair.
#[inline]
pub fn slide(board: u64, action: Action) -> (u64, u32) {
    match action {
        Action::Left => slide_rows(board, false),
        Action::Right => slide_rows(board, true),
        Action::Up => {
            let (moved, score) = slide_rows(transpose(board), false);
            (transpose(moved), score)
        }
        Action::Down => {
            let (moved, score) = slide_rows(transpose(board), true);
            (transpose(moved), score)
        }
    }
}

#[inline(always)]
fn slide_rows(board: u64, towards_right: bool) -> (u64, u32) {
    let table = row_moves();
    let mut moved = 0u64;
    let mut score = 0u32;
    for shift in [0, 16, 32, 48] {
        let entry = table[usize::from((board >> shift) as u16)];
        let row = if towards_right {
            entry.right
        } else {
            entry.left
        };
        moved |= u64::from(row) << shift;
        score += entry.score;
    }
    (moved, score)
}

/// Flags of cells in columns 0..=2 (those with a right neighbour).
const HAS_RIGHT_NEIGHBOUR: u64 = 0x0111_0111_0111_0111;
/// Flags of cells in rows 0..=2 (those with a neighbour below).
const HAS_NEIGHBOUR_BELOW: u64 = 0x0000_1111_1111_1111;

/// Bit `a` is set when action `a` changes the board (see [`Action::mask_bit`]).
///
/// Computed with bit tricks on the whole board, no table: a move along an axis is legal when a
/// tile has an empty cell on its side in that direction, or two equal neighbours on that axis
/// can merge (never two 32768s, see the rule in `tables.rs`).
#[inline]
pub fn legal_mask(board: u64) -> u8 {
    let occupied = occupied_flags(board);
    let empty = !occupied & CELL_FLAGS;
    let mergeable = occupied & !max_tile_flags(board);

    let equal_to_right = !occupied_flags(board ^ (board >> 4)) & CELL_FLAGS;
    let horizontal_pairs = equal_to_right & mergeable & HAS_RIGHT_NEIGHBOUR;
    let can_slide_left = empty & (occupied >> 4) & HAS_RIGHT_NEIGHBOUR;
    let can_slide_right = occupied & (empty >> 4) & HAS_RIGHT_NEIGHBOUR;

    let equal_to_below = !occupied_flags(board ^ (board >> 16)) & CELL_FLAGS;
    let vertical_pairs = equal_to_below & mergeable & HAS_NEIGHBOUR_BELOW;
    let can_slide_up = empty & (occupied >> 16) & HAS_NEIGHBOUR_BELOW;
    let can_slide_down = occupied & (empty >> 16) & HAS_NEIGHBOUR_BELOW;

    u8::from(horizontal_pairs | can_slide_left != 0)
        | u8::from(vertical_pairs | can_slide_up != 0) << 1
        | u8::from(horizontal_pairs | can_slide_right != 0) << 2
        | u8::from(vertical_pairs | can_slide_down != 0) << 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::board::from_tiles;

    fn board(rows: [[u32; 4]; 4]) -> u64 {
        from_tiles(rows).unwrap()
    }

    #[test]
    fn each_direction_on_one_board() {
        let start = board([[2, 2, 4, 0], [0, 4, 0, 4], [8, 0, 8, 8], [2, 4, 8, 16]]);
        let cases = [
            (
                Action::Left,
                [[4, 4, 0, 0], [8, 0, 0, 0], [16, 8, 0, 0], [2, 4, 8, 16]],
                4 + 8 + 16,
            ),
            (
                Action::Right,
                [[0, 0, 4, 4], [0, 0, 0, 8], [0, 0, 8, 16], [2, 4, 8, 16]],
                4 + 8 + 16,
            ),
            (
                Action::Up,
                [[2, 2, 4, 4], [8, 8, 16, 8], [2, 0, 0, 16], [0, 0, 0, 0]],
                8 + 16,
            ),
            (
                Action::Down,
                [[0, 0, 0, 0], [2, 0, 0, 4], [8, 2, 4, 8], [2, 8, 16, 16]],
                8 + 16,
            ),
        ];
        for (action, expected, score) in cases {
            assert_eq!(slide(start, action), (board(expected), score), "{action}");
        }
        assert_eq!(legal_mask(start), 0b1111);
    }

    #[test]
    fn legal_mask_of_partially_blocked_boards() {
        // Everything packed to the top-left, no equal neighbours: only right and down move.
        let corner = board([[2, 4, 0, 0], [4, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
        assert_eq!(
            legal_mask(corner),
            Action::Right.mask_bit() | Action::Down.mask_bit()
        );
        // A full checkerboard: game over.
        let stuck = board([[2, 4, 2, 4], [4, 2, 4, 2], [2, 4, 2, 4], [4, 2, 4, 2]]);
        assert_eq!(legal_mask(stuck), 0);
        // Full, with one vertical pair only.
        let vertical = board([[2, 4, 2, 4], [4, 2, 4, 8], [2, 4, 2, 8], [4, 2, 4, 2]]);
        assert_eq!(
            legal_mask(vertical),
            Action::Up.mask_bit() | Action::Down.mask_bit()
        );
        // Full, with two 32768s side by side: they do not merge, so nothing moves.
        let maxed = board([
            [32768, 32768, 2, 4],
            [4, 2, 4, 2],
            [2, 4, 2, 4],
            [4, 2, 4, 2],
        ]);
        assert_eq!(legal_mask(maxed), 0);
        assert_eq!(slide(maxed, Action::Left), (maxed, 0));
    }

    #[test]
    fn empty_board_has_no_legal_move() {
        assert_eq!(legal_mask(0), 0);
    }
}
