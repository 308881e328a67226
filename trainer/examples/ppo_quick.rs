//! Trains the 2048 agent for a wall-time budget and evaluates the greedy policy.
//!
//! `cargo run --release -p trainer --example ppo_quick -- [--minutes 5] [--reward scaled|raw|log2]
//!  [--updates N (instead of minutes)] [--seed 0] [--eval-games 1000] [--threads 2] [--lr 1e-3] [--envs 256] [--steps 32]
//!  [--epochs 4] [--minibatches 4] [--ent-coef 0.01] [--hidden 256,256]`

use std::time::Duration;
use trainer::game::EpisodeSummary;
use trainer::ppo::schedule::{Budget, train};
use trainer::ppo::{PpoConfig, Trainer, evaluate_greedy};

fn parse_args() -> (PpoConfig, Budget, usize) {
    let mut config = PpoConfig::default();
    let (mut minutes, mut updates, mut eval_games): (f64, Option<u64>, usize) = (5.0, None, 1000);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fail = |msg: String| -> ! {
        eprintln!("{msg}");
        std::process::exit(2)
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let value = args
            .get(i + 1)
            .cloned()
            .unwrap_or_else(|| fail(format!("{flag} needs a value")));
        macro_rules! parse {
            () => {
                value
                    .parse()
                    .unwrap_or_else(|e| fail(format!("{flag} {value}: {e}")))
            };
        }
        match flag {
            "--minutes" => minutes = parse!(),
            "--updates" => updates = Some(parse!()),
            "--reward" => config.reward = value.parse().unwrap_or_else(|e: String| fail(e)),
            "--seed" => config.seed = parse!(),
            "--eval-games" => eval_games = parse!(),
            "--threads" => config.threads = parse!(),
            "--lr" => config.learning_rate = parse!(),
            "--envs" => config.num_envs = parse!(),
            "--steps" => config.num_steps = parse!(),
            "--epochs" => config.epochs = parse!(),
            "--minibatches" => config.minibatches = parse!(),
            "--ent-coef" => config.ent_coef = parse!(),
            "--gamma" => config.gamma = parse!(),
            "--hidden" => {
                config.hidden = value
                    .split(',')
                    .map(|w| {
                        w.parse()
                            .unwrap_or_else(|e| fail(format!("--hidden {value}: {e}")))
                    })
                    .collect()
            }
            other => fail(format!("unknown flag {other}")),
        }
        i += 2;
    }
    let budget = match updates {
        Some(n) => Budget::Updates(n),
        None => Budget::WallTime(Duration::from_secs_f64(minutes * 60.0)),
    };
    (config, budget, eval_games)
}

fn print_summary(label: &str, episodes: &[trainer::game::Episode]) {
    let Some(s) = EpisodeSummary::from_episodes(episodes) else {
        println!("{label}: no episodes");
        return;
    };
    let reach = |tile| {
        s.reached
            .iter()
            .find(|(t, _)| *t == tile)
            .map_or(0.0, |(_, f)| 100.0 * f)
    };
    println!(
        "{label}: {} games, mean {:.1}, median {:.0}, moves {:.1}, reached 256 {:.1}% 512 {:.1}% 1024 {:.1}% 2048 {:.1}%",
        s.games,
        s.mean_score,
        s.median_score,
        s.mean_moves,
        reach(256),
        reach(512),
        reach(1024),
        reach(2048)
    );
}

fn main() {
    let (config, budget, eval_games) = parse_args();
    println!("config: {config:?}, budget {budget:?}, {eval_games} evaluation games");
    let mut trainer = Trainer::new(config).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut recent: Vec<trainer::game::Episode> = Vec::new();
    let mut last_print = -1e9;
    let start = std::time::Instant::now();
    train(&mut trainer, budget, |t, report| {
        recent.extend(
            t.finished_episodes()
                .iter()
                .map(|e| trainer::game::Episode {
                    score: e.score as u32,
                    max_tile: e.max_tile,
                    moves: e.length,
                }),
        );
        if recent.len() > 200 {
            recent.drain(..recent.len() - 200);
        }
        let elapsed = report.elapsed.as_secs_f64();
        if elapsed - last_print >= 15.0 || report.progress >= 1.0 {
            last_print = elapsed;
            let u = &report.update;
            let mean =
                recent.iter().map(|e| e.score as f64).sum::<f64>() / recent.len().max(1) as f64;
            println!(
                "t={elapsed:6.1}s steps={:>9} sps={:6.0} last200 mean={mean:7.1} lr={:.2e} pg={:+.4} v={:.3} ent={:.3} kl={:.4} clip={:.3} ev={:.3}",
                t.env_steps(),
                t.env_steps() as f64 / elapsed,
                u.learning_rate,
                u.policy_loss,
                u.value_loss,
                u.entropy,
                u.approx_kl,
                u.clip_fraction,
                u.explained_variance
            );
        }
        true
    });
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "trained {seconds:.1} s, {} updates, {} env steps, {:.0} env steps/s",
        trainer.updates(),
        trainer.env_steps(),
        trainer.env_steps() as f64 / seconds
    );
    print_summary("last 200 training episodes", &recent);
    println!(
        "illegal actions sent to the environments: {}",
        trainer.illegal_actions()
    );
    let start = std::time::Instant::now();
    let eval_seed = 10_000 + trainer.config().seed;
    let episodes = evaluate_greedy(&mut trainer, eval_games, eval_seed);
    print_summary(
        &format!("greedy evaluation ({:.1} s)", start.elapsed().as_secs_f64()),
        &episodes,
    );
}
