//! What serving the live dashboard costs training: env steps/s of the same run with the
//! dashboard off, on with no client, and on with 20 clients of which one never reads (issue:
//! "on" within 2% of "off").
//!
//! `cargo bench -p trainer --bench dashboard [-- --seconds 30 --rounds 3]`
//!
//! Each run trains the default configuration (256 envs x 32 steps, hidden 256-256, 2 threads)
//! for `--seconds` in full timing mode, as `cargo run -p trainer` does, without the evaluation
//! and the report, in a fresh temporary directory. The three variants alternate for `--rounds`
//! rounds (so a drift of the machine touches each alike); each run's figure is its last
//! `metrics.jsonl` line's `steps_per_s_overall` (env steps over training time), and the
//! medians are compared with "off". Needs a quiet machine.

use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio::sync::oneshot;
use trainer::dashboard::{ClientCounts, Dashboard, DashboardOptions};
use trainer::manager::{TrainSettings, run_training};

const CLIENTS: usize = 20;

struct Options {
    seconds: f64,
    rounds: usize,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 30.0,
        rounds: 3,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse::<f64>().ok());
        match args[i].as_str() {
            "--seconds" => options.seconds = value().unwrap_or_else(|| usage()),
            "--rounds" => options.rounds = value().map_or_else(|| usage(), |v| v as usize),
            // cargo bench passes --bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

fn usage() -> ! {
    eprintln!("usage: cargo bench -p trainer --bench dashboard [-- --seconds S --rounds N]");
    std::process::exit(2)
}

fn settings(dir: &std::path::Path, seconds: f64) -> TrainSettings {
    TrainSettings {
        minutes: Some(seconds / 60.0),
        log_dir: dir.join("logs"),
        checkpoint_dir: dir.join("checkpoints"),
        eval_games: 0,
        report: false,
        status_every: 1e9,
        ..TrainSettings::default()
    }
}

/// The run's env steps per second of training.
fn steps_per_second(dir: &std::path::Path) -> f64 {
    let metrics = std::fs::read_to_string(dir.join("logs/metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    last["steps_per_s_overall"].as_f64().unwrap()
}

fn dashboard() -> Dashboard {
    Dashboard::start(DashboardOptions::new("127.0.0.1:0".parse().unwrap())).unwrap()
}

/// `CLIENTS - 1` clients that read everything and one that never reads, on a thread of their
/// own, until `done` fires.
fn clients(addr: SocketAddr, done: oneshot::Receiver<()>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let url = format!("ws://{addr}/ws");
            let mut readers = Vec::new();
            for _ in 0..CLIENTS - 1 {
                let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
                readers.push(tokio::spawn(async move {
                    while let Some(Ok(_)) = socket.next().await {}
                }));
            }
            let (_stalled, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
            let _ = done.await;
            for reader in readers {
                reader.abort();
            }
        });
    })
}

fn off(seconds: f64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    run_training(
        &settings(dir.path(), seconds),
        &AtomicBool::new(false),
        &mut (),
    )
    .unwrap();
    steps_per_second(dir.path())
}

fn on_without_clients(seconds: f64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let dashboard = dashboard();
    dashboard
        .start_run(settings(dir.path(), seconds))
        .unwrap()
        .wait()
        .unwrap();
    steps_per_second(dir.path())
}

fn on_with_clients(seconds: f64) -> (f64, ClientCounts) {
    let dir = tempfile::tempdir().unwrap();
    let dashboard = dashboard();
    let (done, until) = oneshot::channel();
    let clients = clients(dashboard.local_addr(), until);
    while dashboard.clients().connected < CLIENTS {
        std::thread::sleep(Duration::from_millis(10));
    }
    dashboard
        .start_run(settings(dir.path(), seconds))
        .unwrap()
        .wait()
        .unwrap();
    let counts = dashboard.clients();
    let _ = done.send(());
    clients.join().unwrap();
    (steps_per_second(dir.path()), counts)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn main() {
    let options = options();
    println!(
        "dashboard cost: {} rounds of {} s per variant, default configuration, full timing",
        options.rounds, options.seconds
    );
    let (mut base, mut quiet, mut busy) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_counts = ClientCounts::default();
    for round in 1..=options.rounds {
        base.push(off(options.seconds));
        quiet.push(on_without_clients(options.seconds));
        let (steps, counts) = on_with_clients(options.seconds);
        busy.push(steps);
        last_counts = counts;
        println!(
            "round {round}: off {:.0}, on {:.0}, on with {CLIENTS} clients {:.0} env steps/s",
            base[round - 1],
            quiet[round - 1],
            busy[round - 1]
        );
    }
    let off = median(&mut base);
    println!("\n{:<40} {:>14} {:>8}", "variant", "env steps/s", "vs off");
    for (name, steps) in [
        ("dashboard off", off),
        ("dashboard on, no client", median(&mut quiet)),
        (
            "dashboard on, 20 clients (1 never reads)",
            median(&mut busy),
        ),
    ] {
        println!("{name:<40} {steps:>14.0} {:>8.4}", steps / off);
    }
    println!(
        "\nlast round with clients: {} connected at the end, {} messages dropped for the one that \
         never reads, {} disconnected for stalling",
        last_counts.connected, last_counts.dropped_messages, last_counts.disconnected_stalled
    );
}
