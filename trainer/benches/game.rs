//! Speed of the 2048 engine on one core: random legal play (moves/s, spawns and resets
//! included), the cost of each move primitive, transpose against column tables for up/down,
//! and `VecEnv` throughput for 256 environments. Prints medians over repeats and the load.
//!
//! Run: `cargo bench -p trainer --bench game`
//!
//! `GAME_BENCH_SCALE=0.01` shrinks every workload to that fraction, for counting instructions
//! under `valgrind --tool=callgrind` (the printed rates are then meaningless).

use rand::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};

use trainer::env::{StepOutcome, VecEnv};
use trainer::game::board::transpose;
use trainer::game::tables::{ROWS, row_move, warm_up};
use trainer::game::{
    Action, EpisodeSummary, Game, Xoshiro256PlusPlus, legal_mask, play_random_games,
    random_legal_action, slide,
};

const REPEATS: usize = 7;

/// `n` scaled by `GAME_BENCH_SCALE` (default 1), at least 1.
fn scaled(n: u64) -> u64 {
    let scale = std::env::var("GAME_BENCH_SCALE")
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .filter(|scale| scale.is_finite() && *scale > 0.0)
        .unwrap_or(1.0);
    ((n as f64 * scale) as u64).max(1)
}

fn main() {
    warm_up();
    println!("2048 engine benchmark, {REPEATS} repeats each, one thread");
    println!("load average before: {}", load_average());

    random_play_throughput();
    primitive_costs();
    vec_env_throughput(256);
    random_play_statistics();

    println!("load average after:  {}", load_average());
}

fn random_play_throughput() {
    let moves_per_repeat = scaled(4_000_000);
    let mut game = Game::new(1);
    let mut policy = Xoshiro256PlusPlus::seed_from_u64(2);
    let mut games_finished = 0u64;
    let rates = repeat(|| {
        let start = Instant::now();
        for _ in 0..moves_per_repeat {
            let action = random_legal_action(game.legal_mask(), &mut policy)
                .expect("a finished game is restarted before the next move");
            let _ = black_box(game.step(action));
            if game.is_over() {
                games_finished += 1;
                game.restart();
            }
        }
        moves_per_repeat as f64 / start.elapsed().as_secs_f64()
    });
    println!(
        "random legal play: {} moves/s (median; min {}, max {}) over {} games | target: 10 M moves/s on one core (what good engines do)",
        mega(median(&rates)),
        mega(min(&rates)),
        mega(max(&rates)),
        games_finished
    );
}

/// Boards met in random play, for timing the primitives on realistic inputs.
fn sample_boards(count: usize) -> Vec<u64> {
    let mut game = Game::new(7);
    let mut policy = Xoshiro256PlusPlus::seed_from_u64(8);
    (0..count)
        .map(|_| {
            let board = game.board();
            match random_legal_action(game.legal_mask(), &mut policy) {
                Some(action) => {
                    let _ = game.step(action);
                }
                None => game.restart(),
            }
            board
        })
        .collect()
}

fn primitive_costs() {
    let boards = sample_boards(scaled(1 << 16) as usize);
    for action in Action::ALL {
        let nanos = nanos_per_board(&boards, |board| {
            let (moved, score) = slide(board, action);
            moved ^ u64::from(score)
        });
        println!("slide {action:<5}: {nanos:.2} ns/board (median)");
    }
    let nanos = nanos_per_board(&boards, |board| u64::from(legal_mask(board)));
    println!("legal_mask : {nanos:.2} ns/board (median)");

    let columns = ColumnTables::build();
    let via_transpose = nanos_per_board(&boards, |board| {
        let (up, up_score) = slide(board, Action::Up);
        let (down, down_score) = slide(board, Action::Down);
        up ^ down ^ u64::from(up_score + down_score)
    });
    let via_columns = nanos_per_board(&boards, |board| {
        let (up, up_score) = columns.slide_up(board);
        let (down, down_score) = columns.slide_down(board);
        up ^ down ^ u64::from(up_score + down_score)
    });
    let agree = boards.iter().all(|&b| {
        columns.slide_up(b) == slide(b, Action::Up)
            && columns.slide_down(b) == slide(b, Action::Down)
    });
    println!(
        "up+down via transpose: {via_transpose:.2} ns/board; via 512 KiB column tables: {via_columns:.2} ns/board (results agree: {agree})"
    );
}

/// The alternative to the transpose for vertical moves: tables whose entries are the moved
/// row already spread into a column (nibble k at bit 16k), OR-ed in at the column's offset.
struct ColumnTables {
    up: Box<[u64]>,
    down: Box<[u64]>,
}

impl ColumnTables {
    fn build() -> Self {
        let spread = |row: u16| {
            (0..4).fold(0u64, |col, k| {
                col | u64::from((row >> (4 * k)) & 0xF) << (16 * k)
            })
        };
        Self {
            up: (0..ROWS).map(|r| spread(row_move(r as u16).left)).collect(),
            down: (0..ROWS)
                .map(|r| spread(row_move(r as u16).right))
                .collect(),
        }
    }

    fn slide_up(&self, board: u64) -> (u64, u32) {
        Self::slide(&self.up, board)
    }

    fn slide_down(&self, board: u64) -> (u64, u32) {
        Self::slide(&self.down, board)
    }

    fn slide(table: &[u64], board: u64) -> (u64, u32) {
        let columns = transpose(board);
        let mut moved = 0;
        let mut score = 0;
        for col in 0..4 {
            let column = (columns >> (16 * col)) as u16;
            moved |= table[usize::from(column)] << (4 * col);
            score += row_move(column).score;
        }
        (moved, score)
    }
}

fn nanos_per_board(boards: &[u64], operation: impl Fn(u64) -> u64) -> f64 {
    let passes = 40;
    let timings = repeat(|| {
        let start = Instant::now();
        let mut checksum = 0u64;
        for _ in 0..passes {
            for &board in boards {
                checksum = checksum.wrapping_add(operation(black_box(board)));
            }
        }
        black_box(checksum);
        start.elapsed().as_nanos() as f64 / (passes * boards.len()) as f64
    });
    median(&timings)
}

fn vec_env_throughput(envs: usize) {
    let steps_per_repeat = scaled(8_000) as usize;
    let mut env = VecEnv::new(envs, 3);
    let mut policy = Xoshiro256PlusPlus::seed_from_u64(4);
    let mut observations = vec![0u16; envs * 16];
    let mut masks = vec![0u8; envs];
    let mut actions = vec![0u8; envs];
    let mut outcomes = vec![StepOutcome::default(); envs];
    let mut step_rates = Vec::with_capacity(REPEATS);
    let cycle_rates = repeat(|| {
        let mut in_step = Duration::ZERO;
        let start = Instant::now();
        for _ in 0..steps_per_repeat {
            env.write_observations(&mut observations);
            env.write_legal_masks(&mut masks);
            for (action, &mask) in actions.iter_mut().zip(&masks) {
                *action = random_legal_action(mask, &mut policy).map_or(0, Action::index);
            }
            let step_start = Instant::now();
            env.step(&actions, &mut outcomes);
            in_step += step_start.elapsed();
            black_box(&observations);
        }
        let env_steps = (steps_per_repeat * envs) as f64;
        step_rates.push(env_steps / in_step.as_secs_f64());
        env_steps / start.elapsed().as_secs_f64()
    });
    println!(
        "VecEnv x{envs}: step {} env steps/s (median; min {}, max {}); with observations + masks + random policy {} env steps/s; illegal actions {}",
        mega(median(&step_rates)),
        mega(min(&step_rates)),
        mega(max(&step_rates)),
        mega(median(&cycle_rates)),
        env.illegal_actions()
    );
}

fn random_play_statistics() {
    let games = scaled(20_000) as usize;
    let start = Instant::now();
    let episodes = play_random_games(games, 1);
    let elapsed = start.elapsed();
    let summary = EpisodeSummary::from_episodes(&episodes).expect("at least one game was played");
    println!(
        "random policy, {games} games ({:.2} s): mean score {:.1}, median {:.0}, {:.1} moves/game, 128 {:.1}%, 256 {:.1}%, 512 {:.2}% | pgx (JAX anchor): mean ~1,093, median ~1,050, 118 moves/game, 256 7.8%, 512 <0.05%",
        elapsed.as_secs_f64(),
        summary.mean_score,
        summary.median_score,
        summary.mean_moves,
        100.0 * summary.fraction_reaching(128),
        100.0 * summary.fraction_reaching(256),
        100.0 * summary.fraction_reaching(512),
    );
}

fn repeat(mut measure: impl FnMut() -> f64) -> Vec<f64> {
    measure(); // warm-up: caches, branch predictors, CPU frequency
    (0..REPEATS).map(|_| measure()).collect()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn mega(rate: f64) -> String {
    format!("{:.2} M", rate / 1e6)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|error| format!("unavailable ({error})"))
}
