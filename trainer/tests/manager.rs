//! The training manager's computations on hand-made inputs: episode windows, moving averages,
//! reach rates, per-iteration metrics and their JSON line, the learning-rate schedule, status
//! lines and the time-share table.

use std::collections::BTreeMap;
use std::time::Duration;
use timed_runtime::{OperationStats, Site};
use trainer::checkpoint::{EpisodeRecord, SavedBudget};
use trainer::manager::broadcast::MetricsStream;
use trainer::manager::metrics::{BatchStats, IterationInputs, LONG_WINDOW, SHORT_WINDOW};
use trainer::manager::progress::status_line;
use trainer::manager::report::{TimeShare, format_time_shares, time_shares};
use trainer::manager::{EpisodeWindow, IterationMetrics, Schedule};
use trainer::ppo::{Budget, Episode, RolloutStats, UpdateStats};

fn episode(score: f64, length: u32, max_tile: u32) -> Episode {
    Episode {
        score,
        length,
        max_tile,
    }
}

#[test]
fn moving_averages_use_what_there_is_then_the_last_n() {
    let mut window = EpisodeWindow::new(LONG_WINDOW);
    assert_eq!(window.mean_score(SHORT_WINDOW), None);
    assert_eq!(window.mean_length(SHORT_WINDOW), None);
    assert_eq!(window.reach_rates(), BTreeMap::new());
    assert_eq!((window.best_score(), window.best_tile()), (None, None));

    window.push_all(&[episode(100.0, 10, 64), episode(300.0, 30, 256)]);
    assert_eq!(window.mean_score(SHORT_WINDOW), Some(200.0));
    assert_eq!(window.mean_length(SHORT_WINDOW), Some(20.0));

    // Episode i (0-based, 150 of them in all) scores i and lasts i moves.
    let more: Vec<Episode> = (2..150).map(|i| episode(i as f64, i, 128)).collect();
    window.push_all(&more);
    assert_eq!(window.total(), 150);
    assert_eq!(window.len(), 150);
    // The last 100 are episodes 50..150: mean 99.5.
    assert_eq!(window.mean_score(SHORT_WINDOW), Some(99.5));
    assert_eq!(window.mean_length(SHORT_WINDOW), Some(99.5));
    // All 150: 100 + 300 + sum(2..150) = 400 + 11174 = 11574.
    assert_eq!(window.mean_score(LONG_WINDOW), Some(11574.0 / 150.0));
    assert_eq!(window.best_score(), Some(300.0));
    assert_eq!(window.best_tile(), Some(256));
}

#[test]
fn the_window_forgets_the_oldest_but_counts_all() {
    let mut window = EpisodeWindow::new(1000);
    let first: Vec<Episode> = (0..600).map(|_| episode(5000.0, 400, 4096)).collect();
    let second: Vec<Episode> = (0..600).map(|_| episode(1000.0, 100, 128)).collect();
    window.push_all(&first);
    window.push_all(&second);
    assert_eq!(window.total(), 1200);
    assert_eq!(window.len(), 1000);
    // 400 of the first batch remain with 600 of the second.
    assert_eq!(
        window.mean_score(1000),
        Some((400.0 * 5000.0 + 600.0 * 1000.0) / 1000.0)
    );
    assert_eq!(window.mean_score(100), Some(1000.0));
    // The best ever stays, even when its episode has left the window.
    window.push_all(&(0..1000).map(|_| episode(10.0, 5, 8)).collect::<Vec<_>>());
    assert_eq!(window.best_score(), Some(5000.0));
    assert_eq!(window.best_tile(), Some(4096));
    assert_eq!(window.mean_score(1000), Some(10.0));
}

#[test]
fn reach_rates_are_shares_of_the_window_at_or_above_each_tile() {
    let mut window = EpisodeWindow::new(1000);
    let tiles = [64, 128, 128, 256, 512, 512, 1024, 2048];
    window.push_all(&tiles.map(|t| episode(0.0, 1, t)));
    let expected: BTreeMap<u32, f64> = [
        (128, 7.0 / 8.0),
        (256, 5.0 / 8.0),
        (512, 4.0 / 8.0),
        (1024, 2.0 / 8.0),
        (2048, 1.0 / 8.0),
        (4096, 0.0),
    ]
    .into();
    assert_eq!(window.reach_rates(), expected);
}

#[test]
fn a_restored_window_continues_where_it_was_saved() {
    let records: Vec<EpisodeRecord> = (0..1200u32)
        .map(|i| EpisodeRecord {
            score: f64::from(i),
            length: i,
            max_tile: 256,
        })
        .collect();
    let window = EpisodeWindow::restore(1000, &records, 5000, Some(9000.0), Some(1024));
    assert_eq!(window.len(), 1000);
    assert_eq!(window.total(), 5000);
    assert_eq!(window.records().first().unwrap().score, 200.0);
    assert_eq!(window.mean_score(100), Some(1149.5));
    assert_eq!(
        (window.best_score(), window.best_tile()),
        (Some(9000.0), Some(1024))
    );
}

#[test]
fn batch_statistics_of_odd_and_even_batches() {
    assert_eq!(BatchStats::of(&[]), None);
    let odd = [
        episode(300.0, 30, 256),
        episode(100.0, 10, 64),
        episode(200.0, 20, 128),
    ];
    assert_eq!(
        BatchStats::of(&odd),
        Some(BatchStats {
            episodes: 3,
            mean_score: 200.0,
            median_score: 200.0,
            max_score: 300.0,
            max_tile: 256,
            mean_length: 20.0,
        })
    );
    let even = [
        episode(1000.0, 60, 512),
        episode(100.0, 10, 64),
        episode(300.0, 30, 256),
        episode(200.0, 20, 128),
    ];
    let stats = BatchStats::of(&even).unwrap();
    assert_eq!(stats.median_score, 250.0);
    assert_eq!(stats.mean_score, 400.0);
    assert_eq!(stats.max_score, 1000.0);
    assert_eq!(stats.max_tile, 512);
    assert_eq!(stats.mean_length, 30.0);
}

fn update_stats() -> UpdateStats {
    UpdateStats {
        policy_loss: -0.25,
        value_loss: 1.5,
        entropy: 1.25,
        approx_kl: 0.0125,
        clip_fraction: 0.125,
        grad_norm: 0.75,
        explained_variance: 0.5,
        learning_rate: 1e-4,
        minibatches: 16,
        seconds: 0.5,
    }
}

#[test]
fn iteration_metrics_and_their_json_line() {
    let mut window = EpisodeWindow::new(1000);
    window.push_all(&[episode(1000.0, 100, 128)]);
    let finished = [episode(2000.0, 150, 256), episode(500.0, 50, 64)];
    window.push_all(&finished);
    let inputs = IterationInputs {
        iteration: 3,
        elapsed_s: 2.0,
        env_steps: 8192,
        iteration_s: 0.5,
        finished: &finished,
        rollout: RolloutStats {
            env_steps: 2048,
            episodes_finished: 2,
            raw_reward: 2500.0,
            seconds: 0.125,
        },
        update: update_stats(),
    };
    let m = IterationMetrics::compute(&inputs, &window);
    assert_eq!(m.iteration, 3);
    assert_eq!(m.episodes, 3);
    assert_eq!(m.iteration_episodes, 2);
    assert_eq!(m.score_mean, Some(1250.0));
    assert_eq!(m.score_median, Some(1250.0));
    assert_eq!(m.score_max, Some(2000.0));
    assert_eq!(m.score_avg_100, Some(3500.0 / 3.0));
    assert_eq!(m.best_score, Some(2000.0));
    assert_eq!(m.max_tile, Some(256));
    assert_eq!(m.best_tile, Some(256));
    assert_eq!(m.length_mean, Some(100.0));
    assert_eq!(m.length_avg_100, Some(100.0));
    assert_eq!(m.reach_window, 3);
    assert_eq!(m.steps_per_s, 4096.0);
    assert_eq!(m.steps_per_s_overall, 4096.0);
    assert_eq!((m.rollout_s, m.update_s), (0.125, 0.5));

    let json: serde_json::Value = serde_json::to_value(&m).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "iteration",
        "elapsed_s",
        "env_steps",
        "episodes",
        "iteration_episodes",
        "score_mean",
        "score_median",
        "score_max",
        "score_avg_100",
        "score_avg_1000",
        "best_score",
        "max_tile",
        "best_tile",
        "length_mean",
        "length_avg_100",
        "reach_window",
        "reach_rates",
        "steps_per_s",
        "steps_per_s_overall",
        "rollout_s",
        "update_s",
        "learning_rate",
        "policy_loss",
        "value_loss",
        "entropy",
        "approx_kl",
        "clip_fraction",
        "grad_norm",
        "explained_variance",
    ];
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    expected.sort();
    assert_eq!(keys_sorted, expected);
    assert_eq!(
        json["reach_rates"],
        serde_json::json!({"128": 2.0 / 3.0, "256": 1.0 / 3.0, "512": 0.0, "1024": 0.0,
                           "2048": 0.0, "4096": 0.0})
    );
    assert_eq!(json["approx_kl"], serde_json::json!(0.0125));

    // Before any episode, episode fields are null.
    let empty = IterationMetrics::compute(
        &IterationInputs {
            finished: &[],
            ..inputs
        },
        &EpisodeWindow::new(1000),
    );
    let json = serde_json::to_value(&empty).unwrap();
    for key in [
        "score_mean",
        "score_avg_100",
        "best_score",
        "max_tile",
        "length_mean",
    ] {
        assert_eq!(json[key], serde_json::Value::Null, "{key}");
    }
    assert_eq!(json["reach_rates"], serde_json::json!({}));
}

#[test]
fn the_stream_writes_one_flushed_line_per_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs").join("metrics.jsonl");
    let window = EpisodeWindow::new(10);
    let metrics = |iteration| {
        IterationMetrics::compute(
            &IterationInputs {
                iteration,
                elapsed_s: 1.0,
                env_steps: 64 * iteration,
                iteration_s: 0.5,
                finished: &[],
                rollout: RolloutStats::default(),
                update: update_stats(),
            },
            &window,
        )
    };
    let mut stream = MetricsStream::open(&path, false).unwrap();
    let first = stream.send(&metrics(1)).unwrap();
    // Readable at once, before the stream is dropped.
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), first);
    assert_eq!(text, serde_json::to_string(&metrics(1)).unwrap() + "\n");
    stream.send(&metrics(2)).unwrap();
    drop(stream);
    let mut appended = MetricsStream::open(&path, true).unwrap();
    appended.send(&metrics(3)).unwrap();
    let iterations: Vec<u64> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["iteration"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(iterations, [1, 2, 3]);
    drop(appended);
    MetricsStream::open(&path, false).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
}

#[test]
fn the_learning_rate_anneals_over_updates_and_continues_after_a_resume() {
    // Rates that are exact in binary, so the comparisons can be exact.
    let mut schedule = Schedule::new(Budget::Updates(4), 0.5);
    let mut rates = Vec::new();
    while !schedule.is_finished() {
        rates.push(schedule.learning_rate());
        schedule.record_update();
    }
    assert_eq!(rates, [0.5, 0.375, 0.25, 0.125]);
    assert_eq!(schedule.progress(), 1.0);
    assert_eq!(schedule.learning_rate(), 0.0);

    let mut halfway = Schedule::new(Budget::Updates(4), 2e-4);
    halfway.record_update();
    halfway.record_update();
    let state = halfway.state();
    assert_eq!(state.budget, SavedBudget::Updates(4));
    assert_eq!(state.done_updates, 2);
    let resumed = Schedule::from_state(&state);
    assert_eq!(resumed, halfway);
    assert_eq!(resumed.learning_rate(), 1e-4);
    assert_eq!(
        resumed.with_initial_learning_rate(4e-4).learning_rate(),
        2e-4
    );

    let mut timed = Schedule::new(Budget::WallTime(Duration::from_secs(8)), 0.5);
    timed.set_seconds(2.0);
    assert_eq!(timed.progress(), 0.25);
    assert_eq!(timed.learning_rate(), 0.375);
    timed.set_seconds(9.0);
    assert!(timed.is_finished());
    assert_eq!(
        Schedule::from_state(&timed.state()).budget(),
        Budget::WallTime(Duration::from_secs(8))
    );
    assert!(Schedule::new(Budget::Updates(0), 1e-3).is_finished());
}

#[test]
fn status_lines_show_progress_and_the_key_numbers() {
    let mut window = EpisodeWindow::new(100);
    window.push_all(&[episode(1234.0, 100, 128), episode(4321.0, 300, 512)]);
    let m = IterationMetrics::compute(
        &IterationInputs {
            iteration: 40,
            elapsed_s: 12.34,
            env_steps: 327_680,
            iteration_s: 0.25,
            finished: &[],
            rollout: RolloutStats {
                env_steps: 8192,
                ..RolloutStats::default()
            },
            update: update_stats(),
        },
        &window,
    );
    assert_eq!(
        status_line(0.414, &m),
        "[   12.3s  41%] update 40 | 327680 steps, 32768 steps/s | score avg100 2777.5 best 4321 \
         | best tile 512 | lr 1.00e-4 kl 0.0125 ent 1.250"
    );
    let empty = IterationMetrics::compute(
        &IterationInputs {
            iteration: 1,
            elapsed_s: 0.5,
            env_steps: 64,
            iteration_s: 0.5,
            finished: &[],
            rollout: RolloutStats::default(),
            update: update_stats(),
        },
        &EpisodeWindow::new(100),
    );
    assert_eq!(
        status_line(0.0, &empty),
        "[    0.5s   0%] update 1 | 64 steps, 0 steps/s | score avg100 - best - | best tile - | \
         lr 1.00e-4 kl 0.0125 ent 1.250"
    );
}

static ROLLOUT: Site = Site::new("collect_rollout", "rollout", "ppo_trainer", "t", "a.rs", 1);
static UPDATE_A: Site = Site::new("update_policy", "training", "ppo_trainer", "t", "b.rs", 2);
static UPDATE_B: Site = Site::new("update_policy", "training", "ppo_trainer", "t", "b.rs", 9);
static IDLE: Site = Site::new("never_called", "setup", "training_manager", "t", "c.rs", 3);

fn stats(site: &'static Site, count: u64, total_ms: u64, self_ms: u64) -> OperationStats {
    OperationStats {
        site,
        count,
        panicked: 0,
        cancelled: 0,
        total: Duration::from_millis(total_ms),
        self_time: Duration::from_millis(self_ms),
        min: None,
        max: None,
        mean: None,
        median: None,
        p95: None,
        p99: None,
    }
}

fn share(
    name: &str,
    phase: &str,
    total_ms: u64,
    self_ms: u64,
    waiting_ms: Option<u64>,
) -> TimeShare {
    TimeShare {
        component: "ppo_trainer".to_string(),
        name: name.to_string(),
        phase: phase.to_string(),
        calls: 10,
        total: Duration::from_millis(total_ms),
        self_time: Duration::from_millis(self_ms),
        waiting: waiting_ms.map(Duration::from_millis),
    }
}

#[test]
fn waiting_for_workers_is_not_counted_as_work() {
    // The update waits 1.5 s of its 1.6 s of self time while its workers run the backward
    // pass: it is 0.1 s of work, and the backward pass is the work.
    let shares = [
        share("update_policy", "training", 2000, 1600, Some(1500)),
        share("backward_pass", "training", 1500, 1500, Some(0)),
    ];
    assert_eq!(shares[0].own_work(), Duration::from_millis(100));
    assert_eq!(
        format_time_shares(&shares, Duration::from_secs(2)),
        "=== Where the time went (from our #[timed] data) ===\n\
         1.6 s of work on timed threads in 2.0 s of wall time (0.80 threads busy on average), \
         and 1.5 s of threads waiting for their workers\n\
         component          operation                phase              calls         mean    total s     self s  waiting s      own s   share\n\
         ppo_trainer        update_policy            training              10      200.0ms      2.000      1.600      1.500      0.100    6.2%\n\
         ppo_trainer        backward_pass            training              10      150.0ms      1.500      1.500      0.000      1.500   93.8%\n"
    );
}

#[test]
fn time_shares_merge_sites_by_name_and_sort_by_self_time() {
    let shares = time_shares(&[
        stats(&ROLLOUT, 10, 1000, 800),
        stats(&UPDATE_A, 5, 1500, 1500),
        stats(&UPDATE_B, 5, 500, 400),
        stats(&IDLE, 0, 0, 0),
    ]);
    assert_eq!(
        shares,
        [
            share("update_policy", "training", 2000, 1900, None),
            share("collect_rollout", "rollout", 1000, 800, None),
        ]
    );
    assert_eq!(
        format_time_shares(&shares, Duration::from_secs(4)),
        "=== Where the time went (from our #[timed] data) ===\n\
         2.7 s of timed thread time in 4.0 s of wall time (0.68 threads busy on average; a thread \
         waiting for its workers counts as busy)\n\
         component          operation                phase              calls         mean    total s     self s   share\n\
         ppo_trainer        update_policy            training              10      200.0ms      2.000      1.900   70.4%\n\
         ppo_trainer        collect_rollout          rollout               10      100.0ms      1.000      0.800   29.6%\n"
    );
    assert_eq!(
        format_time_shares(&[], Duration::from_secs(1)),
        "=== Where the time went (from our #[timed] data) ===\n\
         0.0 s of timed thread time in 1.0 s of wall time (0.00 threads busy on average; a thread \
         waiting for its workers counts as busy)\n\
         no timed calls were recorded (timing mode off)\n"
    );
}
