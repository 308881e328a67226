//! Greedy evaluation of the 2048 policy: many games played side by side, one batched forward
//! pass per move over the games still running.

use super::game_env::GameEnv;
use super::seeds::stream_seed;
use super::trainer::Trainer;
use crate::game::{Action, Episode, Game, write_one_hot_indices};

/// Plays `games` fresh games (seeded from `seed`) to the end with the argmax policy and returns
/// their records, in game order.
pub fn evaluate_greedy(trainer: &mut Trainer<GameEnv>, games: usize, seed: u64) -> Vec<Episode> {
    let mut boards: Vec<Game> = (0..games as u64)
        .map(|g| Game::new(stream_seed(seed, g)))
        .collect();
    let mut records: Vec<Option<Episode>> = vec![None; games];
    let mut live: Vec<usize> = (0..games).filter(|&g| !boards[g].is_over()).collect();
    for g in (0..games).filter(|&g| boards[g].is_over()) {
        records[g] = Some(boards[g].episode());
    }
    let mut inputs = vec![0u16; games * 16];
    let mut masks = vec![0u8; games];
    let mut actions = vec![0u8; games];
    while !live.is_empty() {
        let n = live.len();
        for (slot, &g) in live.iter().enumerate() {
            let out: &mut [u16; 16] = (&mut inputs[slot * 16..slot * 16 + 16])
                .try_into()
                .expect("16 indices");
            write_one_hot_indices(boards[g].board(), out);
            masks[slot] = boards[g].legal_mask();
        }
        trainer.act_greedy(&inputs[..n * 16], &masks[..n], &mut actions[..n]);
        for (slot, &g) in live.iter().enumerate() {
            let action = Action::from_index(actions[slot]).expect("the policy emits actions 0..4");
            // A masked argmax is always legal; an error would leave the board as it was.
            let _ = boards[g].step(action);
            if boards[g].is_over() {
                records[g] = Some(boards[g].episode());
            }
        }
        live.retain(|&g| !boards[g].is_over());
    }
    records
        .into_iter()
        .map(|r| r.expect("every game ended"))
        .collect()
}
