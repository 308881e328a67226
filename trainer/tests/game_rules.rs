//! The 2048 rules checked against an independent, deliberately plain implementation, plus
//! properties of moves, spawns, the game and its random numbers, and random-play statistics
//! compared with pgx's.

use proptest::prelude::*;
use rand::{RngCore, SeedableRng};
use trainer::game::board::{
    empty_count, exponents, from_tiles, mirror, tile_sum, transpose, write_one_hot_indices,
};
use trainer::game::spawn::spawn_tile;
use trainer::game::tables::{ROWS, row_move};
use trainer::game::{
    Action, Episode, EpisodeSummary, Game, SplitMix64, UniformBelow, Xoshiro256PlusPlus,
    legal_mask, play_random_games, slide,
};

// ---------------------------------------------------------------------------------------------
// Reference implementation: a grid of exponents, lines read cell by cell in the direction of
// the move, merged with a list. Shares no code with the engine.

type Grid = [[u8; 4]; 4];

fn grid_of(board: u64) -> Grid {
    let mut grid = [[0; 4]; 4];
    for (i, exponent) in exponents(board).into_iter().enumerate() {
        grid[i / 4][i % 4] = exponent;
    }
    grid
}

fn board_of(grid: &Grid) -> u64 {
    let mut board = 0;
    for (row, cells) in grid.iter().enumerate() {
        for (col, &exponent) in cells.iter().enumerate() {
            board |= u64::from(exponent) << (16 * row + 4 * col);
        }
    }
    board
}

/// The cells of line `line` listed from the edge the tiles move towards.
fn line_cells(action: Action, line: usize) -> [(usize, usize); 4] {
    std::array::from_fn(|k| match action {
        Action::Left => (line, k),
        Action::Right => (line, 3 - k),
        Action::Up => (k, line),
        Action::Down => (3 - k, line),
    })
}

/// Merges a line listed from the edge the tiles move towards.
fn merge_line(line: &[u8]) -> (Vec<u8>, u32) {
    let tiles: Vec<u8> = line.iter().copied().filter(|&e| e != 0).collect();
    let mut merged = Vec::new();
    let mut score = 0;
    let mut i = 0;
    while i < tiles.len() {
        if i + 1 < tiles.len() && tiles[i] == tiles[i + 1] && tiles[i] < 15 {
            merged.push(tiles[i] + 1);
            score += 2u32.pow(u32::from(tiles[i]) + 1);
            i += 2;
        } else {
            merged.push(tiles[i]);
            i += 1;
        }
    }
    merged.resize(4, 0);
    (merged, score)
}

fn reference_slide(board: u64, action: Action) -> (u64, u32) {
    let grid = grid_of(board);
    let mut moved = [[0; 4]; 4];
    let mut score = 0;
    for line in 0..4 {
        let cells = line_cells(action, line);
        let values: Vec<u8> = cells.iter().map(|&(r, c)| grid[r][c]).collect();
        let (merged, line_score) = merge_line(&values);
        for (&(r, c), exponent) in cells.iter().zip(merged) {
            moved[r][c] = exponent;
        }
        score += line_score;
    }
    (board_of(&moved), score)
}

fn reference_transpose(board: u64) -> u64 {
    let grid = grid_of(board);
    board_of(&std::array::from_fn(|r| {
        std::array::from_fn(|c| grid[c][r])
    }))
}

fn reference_mirror(board: u64) -> u64 {
    let grid = grid_of(board);
    board_of(&std::array::from_fn(|r| {
        std::array::from_fn(|c| grid[r][3 - c])
    }))
}

fn tiles(rows: [[u32; 4]; 4]) -> u64 {
    from_tiles(rows).expect("test boards hold valid tiles")
}

// ---------------------------------------------------------------------------------------------
// Known boards.

#[test]
fn known_rows_moved_left() {
    let cases: [([u32; 4], [u32; 4], u32); 9] = [
        ([2, 2, 2, 2], [4, 4, 0, 0], 8),
        ([4, 4, 8, 0], [8, 8, 0, 0], 8),
        ([2, 2, 4, 0], [4, 4, 0, 0], 4),
        ([0, 0, 0, 2], [2, 0, 0, 0], 0),
        ([2, 0, 0, 2], [4, 0, 0, 0], 4),
        ([2, 4, 8, 16], [2, 4, 8, 16], 0),
        ([8, 8, 16, 16], [16, 32, 0, 0], 48),
        ([4, 0, 4, 4], [8, 4, 0, 0], 8),
        ([1024, 1024, 0, 0], [2048, 0, 0, 0], 2048),
    ];
    for (row, expected, score) in cases {
        let board = tiles([row, [0; 4], [0; 4], [0; 4]]);
        assert_eq!(
            slide(board, Action::Left),
            (tiles([expected, [0; 4], [0; 4], [0; 4]]), score),
            "{row:?}"
        );
    }
}

#[test]
fn known_board_in_all_four_directions() {
    let board = tiles([[2, 0, 2, 4], [2, 4, 4, 4], [0, 4, 8, 0], [2, 8, 8, 4]]);
    let cases = [
        (
            Action::Left,
            [[4, 4, 0, 0], [2, 8, 4, 0], [4, 8, 0, 0], [2, 16, 4, 0]],
            4 + 8 + 16,
        ),
        (
            Action::Right,
            [[0, 0, 4, 4], [0, 2, 4, 8], [0, 0, 4, 8], [0, 2, 16, 4]],
            4 + 8 + 16,
        ),
        (
            Action::Up,
            [[4, 8, 2, 8], [2, 8, 4, 4], [0, 0, 16, 0], [0, 0, 0, 0]],
            4 + 8 + 16 + 8,
        ),
        (
            Action::Down,
            [[0, 0, 0, 0], [0, 0, 2, 0], [2, 8, 4, 4], [4, 8, 16, 8]],
            4 + 8 + 16 + 8,
        ),
    ];
    for (action, expected, score) in cases {
        assert_eq!(slide(board, action), (tiles(expected), score), "{action}");
    }
    assert_eq!(legal_mask(board), 0b1111);
}

#[test]
fn known_blocked_directions() {
    // Packed into the bottom-right corner with no equal neighbours: only left and up move.
    let corner = tiles([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 2, 4], [0, 0, 8, 2]]);
    for action in [Action::Right, Action::Down] {
        assert_eq!(slide(corner, action), (corner, 0), "{action}");
    }
    assert_eq!(legal_mask(corner), 0b0011);
    // A single full row of distinct tiles: only up and down move.
    let full_row = tiles([[0, 0, 0, 0], [2, 4, 8, 16], [0, 0, 0, 0], [0, 0, 0, 0]]);
    assert_eq!(legal_mask(full_row), 0b1010);
    assert_eq!(
        slide(full_row, Action::Down),
        (tiles([[0; 4], [0; 4], [0; 4], [2, 4, 8, 16]]), 0)
    );
}

#[test]
fn double_merges_in_columns() {
    let board = tiles([[2, 8, 0, 0], [2, 8, 0, 0], [4, 8, 0, 0], [4, 8, 0, 0]]);
    assert_eq!(
        slide(board, Action::Up),
        (
            tiles([[4, 16, 0, 0], [8, 16, 0, 0], [0; 4], [0; 4]]),
            4 + 8 + 16 + 16
        )
    );
    assert_eq!(
        slide(board, Action::Down),
        (
            tiles([[0; 4], [0; 4], [4, 16, 0, 0], [8, 16, 0, 0]]),
            4 + 8 + 16 + 16
        )
    );
}

#[test]
fn two_32768_tiles_never_merge() {
    let board = tiles([[32768, 32768, 0, 0], [32768, 0, 0, 0], [0; 4], [0; 4]]);
    assert_eq!(slide(board, Action::Left), (board, 0));
    assert_eq!(
        slide(board, Action::Up),
        (
            tiles([[32768, 32768, 0, 0], [32768, 0, 0, 0], [0; 4], [0; 4]]),
            0
        )
    );
    assert_eq!(
        slide(board, Action::Right),
        (
            tiles([[0, 0, 32768, 32768], [0, 0, 0, 32768], [0; 4], [0; 4]]),
            0
        )
    );
    assert_eq!(
        legal_mask(board),
        Action::Right.mask_bit() | Action::Down.mask_bit()
    );
}

// ---------------------------------------------------------------------------------------------
// Every row, exhaustively.

#[test]
fn every_row_matches_the_reference_in_both_directions() {
    for row in 0..ROWS {
        let board = row as u64;
        let entry = row_move(row as u16);
        let (left, left_score) = reference_slide(board, Action::Left);
        let (right, right_score) = reference_slide(board, Action::Right);
        assert_eq!(
            (u64::from(entry.left), entry.score),
            (left, left_score),
            "row {row:#06x}"
        );
        assert_eq!(
            (u64::from(entry.right), entry.score),
            (right, right_score),
            "row {row:#06x}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties of moves on arbitrary boards (every u64 is a board).

fn any_action() -> impl Strategy<Value = Action> {
    (0u8..4).prop_map(|index| Action::from_index(index).unwrap())
}

/// Boards with many equal neighbours and empty cells, where merges and slides are common
/// (uniform u64s are mostly full boards of distinct tiles).
fn crowded_board() -> impl Strategy<Value = u64> {
    proptest::array::uniform16(0u8..4).prop_map(|cells| {
        cells
            .iter()
            .enumerate()
            .fold(0, |board, (i, &e)| board | u64::from(e) << (4 * i))
    })
}

fn any_board() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), crowded_board()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn slide_matches_the_reference(board in any_board(), action in any_action()) {
        prop_assert_eq!(slide(board, action), reference_slide(board, action));
    }

    #[test]
    fn slide_conserves_the_tile_sum(board in any_board(), action in any_action()) {
        let (moved, score) = slide(board, action);
        prop_assert_eq!(tile_sum(moved), tile_sum(board));
        // Each merge removes one tile and scores the created tile.
        prop_assert!(empty_count(moved) >= empty_count(board));
        prop_assert_eq!(score == 0, empty_count(moved) == empty_count(board));
    }

    #[test]
    fn up_is_left_on_the_transposed_board(board in any_board()) {
        let (moved, score) = slide(transpose(board), Action::Left);
        prop_assert_eq!(slide(board, Action::Up), (transpose(moved), score));
        let (moved, score) = slide(transpose(board), Action::Right);
        prop_assert_eq!(slide(board, Action::Down), (transpose(moved), score));
    }

    #[test]
    fn right_is_left_on_the_mirrored_board(board in any_board()) {
        let (moved, score) = slide(mirror(board), Action::Left);
        prop_assert_eq!(slide(board, Action::Right), (mirror(moved), score));
    }

    #[test]
    fn transpose_and_mirror_match_the_grid_definitions(board in any::<u64>()) {
        prop_assert_eq!(transpose(board), reference_transpose(board));
        prop_assert_eq!(mirror(board), reference_mirror(board));
        prop_assert_eq!(transpose(transpose(board)), board);
        prop_assert_eq!(mirror(mirror(board)), board);
    }

    #[test]
    fn a_move_is_legal_iff_it_changes_the_board(board in any_board()) {
        let mask = legal_mask(board);
        for action in Action::ALL {
            prop_assert_eq!(
                mask & action.mask_bit() != 0,
                slide(board, action).0 != board,
                "{} on {:#018x}", action, board
            );
        }
    }

    #[test]
    fn repeating_a_move_changes_the_board_only_by_merging(board in any_board(), action in any_action()) {
        let (moved, _) = slide(board, action);
        let (again, score) = slide(moved, action);
        // The first move packed every line, so a second one can only merge.
        prop_assert_eq!(again != moved, score > 0);
        let packed_line_merges = (0..4).any(|line| {
            let grid = grid_of(moved);
            let cells: Vec<u8> = line_cells(action, line).iter().map(|&(r, c)| grid[r][c]).collect();
            cells.windows(2).any(|pair| pair[0] != 0 && pair[0] == pair[1] && pair[0] < 15)
        });
        prop_assert_eq!(again != moved, packed_line_merges);
    }

    #[test]
    fn spawn_adds_one_2_or_4_on_an_empty_cell(board in any_board(), seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        match spawn_tile(board, &mut rng) {
            None => prop_assert_eq!(empty_count(board), 0),
            Some(spawned) => {
                let before = exponents(board);
                let after = exponents(spawned);
                let changed: Vec<usize> = (0..16).filter(|&i| before[i] != after[i]).collect();
                prop_assert_eq!(changed.len(), 1);
                prop_assert_eq!(before[changed[0]], 0);
                prop_assert!(matches!(after[changed[0]], 1 | 2));
            }
        }
    }

    #[test]
    fn game_over_iff_no_move_changes_the_board(board in any_board(), seed in any::<u64>()) {
        let game = Game::from_board(board, seed);
        prop_assert_eq!(game.is_over(), Action::ALL.iter().all(|&a| slide(board, a).0 == board));
    }

    #[test]
    fn a_step_is_the_slide_plus_one_spawn(board in crowded_board(), seed in any::<u64>(), action in any_action()) {
        let mut game = Game::from_board(board, seed);
        let (moved, score) = slide(board, action);
        match game.step(action) {
            Err(error) => {
                prop_assert_eq!(moved, board);
                prop_assert_eq!((error.action, error.board), (action, board));
                prop_assert_eq!((game.board(), game.score(), game.moves()), (board, 0, 0));
            }
            Ok(reward) => {
                prop_assert_eq!(reward, score);
                prop_assert_eq!((game.score(), game.moves()), (score, 1));
                let spawned = game.board() ^ moved;
                prop_assert_eq!(spawned & moved, 0, "the new tile lands on an empty cell");
                let cell_shift = spawned.trailing_zeros() & !3;
                prop_assert!(matches!(spawned >> cell_shift, 1 | 2), "{:#018x}", spawned);
                prop_assert_eq!(game.legal_mask(), legal_mask(game.board()));
            }
        }
    }

    #[test]
    fn one_hot_indices_encode_each_cell(board in any::<u64>()) {
        let mut indices = [0u32; 16];
        write_one_hot_indices(board, &mut indices);
        let expected: [u32; 16] = std::array::from_fn(|i| 16 * i as u32 + u32::from(exponents(board)[i]));
        prop_assert_eq!(indices, expected);
    }

    #[test]
    fn bounded_integers_are_in_range(seed in any::<u64>(), bound in 1u32..) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..64 {
            prop_assert!(rng.below(bound) < bound);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers.

/// A seed gives the same games on every machine and every version: these values were computed
/// with the hand-written xoshiro256++ the engine used before `rand_xoshiro`'s, and the switch
/// changed none of them.
#[test]
fn seeded_streams_and_games_are_pinned() {
    // SplitMix64 uses the seed verbatim (the reference outputs for seed 0); environments are
    // seeded with its outputs.
    let mut mixer = SplitMix64::seed_from_u64(0);
    assert_eq!(mixer.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(mixer.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    let mut mixer = SplitMix64::seed_from_u64(7);
    let outputs: Vec<u64> = (0..3).map(|_| mixer.next_u64()).collect();
    assert_eq!(
        outputs,
        [
            7191089600892374487,
            309689372594955804,
            16616101746815609346
        ]
    );

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let cells: Vec<u32> = (0..8).map(|_| rng.below(16)).collect();
    assert_eq!(cells, [13, 5, 15, 11, 12, 9, 2, 9]);
    let tenths: Vec<u32> = (0..8).map(|_| rng.below(10)).collect();
    assert_eq!(tenths, [2, 9, 5, 8, 6, 0, 4, 5]);
    let wide: Vec<u32> = (0..4).map(|_| rng.below(3 << 30)).collect();
    assert_eq!(wide, [685509771, 162119599, 1857477644, 1503893670]);

    for (seed, start, after, score) in [
        (0, 0x0000_0000_0210_0000, 0x0002_0213_0013_1342, 80),
        (1, 0x0001_0000_0000_0010, 0x0012_0013_0113_0004, 84),
        (2048, 0x0000_0000_0000_0101, 0x0022_0013_0121_1004, 76),
    ] {
        let mut game = Game::new(seed);
        assert_eq!(game.board(), start, "seed {seed}");
        for _ in 0..20 {
            if let Some(action) = Action::ALL.into_iter().find(|&a| game.is_legal(a)) {
                game.step(action).unwrap();
            }
        }
        assert_eq!((game.board(), game.score()), (after, score), "seed {seed}");
    }

    let episodes = play_random_games(50, 1);
    let scores: u32 = episodes.iter().map(|e| e.score).sum();
    let moves: u32 = episodes.iter().map(|e| e.moves).sum();
    let best = episodes.iter().map(|e| e.max_tile).max();
    assert_eq!((scores, moves, best), (47100, 5373, Some(128)));
}

#[test]
fn bounded_integers_are_uniform_by_chi_square() {
    // Pearson chi-square over the buckets; the 99.9% quantiles for 2, 9 and 15 degrees of
    // freedom are 13.8, 27.9 and 37.7. A modulo-biased generator fails bound 3 * 2^30 badly.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2048);
    for (bound, buckets, critical) in [
        (3u32, 3usize, 13.8),
        (10, 10, 27.9),
        (16, 16, 37.7),
        (3 << 30, 3, 13.8),
    ] {
        let draws = 120_000;
        let mut counts = vec![0u32; buckets];
        for _ in 0..draws {
            let value = rng.below(bound);
            counts[(u64::from(value) * buckets as u64 / u64::from(bound)) as usize] += 1;
        }
        let expected = f64::from(draws) / buckets as f64;
        let chi_square: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        assert!(
            chi_square < critical,
            "bound {bound}: chi-square {chi_square:.1} for {counts:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Random play.

#[test]
fn random_play_is_reproducible_for_a_fixed_seed() {
    let episodes = play_random_games(5, 2024);
    assert_eq!(episodes, play_random_games(5, 2024));
    assert_eq!(
        episodes,
        [
            Episode {
                score: 1440,
                max_tile: 128,
                moves: 149
            },
            Episode {
                score: 864,
                max_tile: 64,
                moves: 109
            },
            Episode {
                score: 1384,
                max_tile: 128,
                moves: 143
            },
            Episode {
                score: 688,
                max_tile: 64,
                moves: 91
            },
            Episode {
                score: 784,
                max_tile: 64,
                moves: 94
            },
        ]
    );
}

#[test]
fn random_play_statistics_match_pgx() {
    // pgx 2.6 random legal play (the JAX anchor, ~38,800 games): mean score 1,092.3,
    // median 1,044-1,056, 256 reached in 7.8% of games, 118 moves per game.
    let games = 20_000;
    let episodes = play_random_games(games, 1);
    let summary = EpisodeSummary::from_episodes(&episodes).unwrap();
    let scores: Vec<f64> = episodes.iter().map(|e| f64::from(e.score)).collect();
    let variance = scores
        .iter()
        .map(|s| (s - summary.mean_score).powi(2))
        .sum::<f64>()
        / games as f64;
    let mean_score_error = (variance / games as f64).sqrt();
    assert!(
        (summary.mean_score - 1092.5).abs() < 4.0 * mean_score_error + 3.0,
        "mean score {:.1} (standard error {mean_score_error:.1})",
        summary.mean_score
    );
    assert!(
        (1020.0..=1080.0).contains(&summary.median_score),
        "median {}",
        summary.median_score
    );
    let reached_256 = summary.fraction_reaching(256);
    assert!(
        (0.070..=0.086).contains(&reached_256),
        "256 reached in {reached_256}"
    );
    assert!(
        (115.0..=121.0).contains(&summary.mean_moves),
        "{} moves per game",
        summary.mean_moves
    );
}
