//! Small generated runs with known differences, kept the way `timed-runtime` keeps runs: the
//! latest at the top of a log directory, earlier ones under `runs/<id>/`, each with its
//! `run.json` and `metrics.jsonl`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One operation of a generated run: `calls` calls whose durations are `base_ns` times a
/// log-normal factor of spread `sigma`, in slow and fast stretches of 50 calls when
/// `correlated` (calls in a run are not independent).
#[derive(Clone, Copy, Debug)]
pub struct OpSpec {
    pub name: &'static str,
    pub calls: usize,
    pub base_ns: f64,
    pub sigma: f64,
    pub correlated: bool,
}

pub const fn op(name: &'static str, calls: usize, base_ns: f64, sigma: f64) -> OpSpec {
    OpSpec {
        name,
        calls,
        base_ns,
        sigma,
        correlated: false,
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Writes `app_timing.log` in our format into `dir`: each operation's calls one after another
/// on thread 1, each a root call.
pub fn write_log(dir: &Path, ops: &[OpSpec], seed: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut text = String::from(analyzer::ingest::ours::HEADER);
    text.push('\n');
    let mut clock_ns: u64 = 1_000_000;
    let mut call_id = 1u64;
    for spec in ops {
        let mut stretch = 1.0;
        for index in 0..spec.calls {
            if spec.correlated && index % 50 == 0 {
                stretch = (0.3 * normal(&mut rng)).exp();
            }
            let factor = (spec.sigma * normal(&mut rng)).exp() * stretch;
            let duration = (spec.base_ns * factor).max(1.0) as u64;
            let end_us = 1_795_576_500_000_000 + (clock_ns + duration) / 1000;
            let stamp = analyzer::ingest::numbers::format_timestamp_us(end_us as i64);
            let ms = format!("{}.{:06}", duration / 1_000_000, duration % 1_000_000);
            let _ = writeln!(
                text,
                "{stamp},{},work,{ms},i={index},app,1,{call_id},,{ms},{clock_ns},ok",
                spec.name
            );
            clock_ns += duration + 1_000;
            call_id += 1;
        }
    }
    std::fs::write(dir.join("app_timing.log"), text).unwrap();
}

/// Writes `run.json` (the manifest) and `metrics.jsonl` into `dir`.
pub fn write_manifest(dir: &Path, id: &str, lr: f64, duration_s: f64, steps_per_s: f64) {
    let manifest = serde_json::json!({
        "id": id,
        "program": "trainer",
        "version": "0.1.0",
        "started_at": format!("{}-{}-{}T{}:{}:{}.000000Z", &id[0..4], &id[4..6], &id[6..8], &id[9..11], &id[11..13], &id[13..15]),
        "ended_at": "2026-12-01T21:00:00.000000Z",
        "duration_s": duration_s,
        "command_line": ["trainer"],
        "host": "buildbox",
        "pid": 4242,
        "timing_mode": "full",
        "clock": "tsc",
        "metadata": {
            "settings": { "ppo": { "lr": lr, "epochs": 4 }, "envs": 8 },
            "results": { "env_steps_per_s": steps_per_s, "evaluation": { "mean_score": 1000.0 } }
        },
        "files": ["app_timing.log", "metrics.jsonl"]
    });
    std::fs::write(dir.join("run.json"), manifest.to_string()).unwrap();
    let metrics = format!(
        "{{\"iteration\":1,\"steps_per_s_overall\":1.0}}\n{{\"iteration\":2,\"steps_per_s_overall\":{steps_per_s},\"score_avg_100\":512.5}}\n"
    );
    std::fs::write(dir.join("metrics.jsonl"), metrics).unwrap();
}

pub const BASE_ID: &str = "20261201T200000Z";
pub const NEW_ID: &str = "20261201T203000Z";

/// The base run's operations: steady, one that becomes 30% slower, one that becomes 25%
/// faster, one under heavy correlated noise, and one the new run drops.
pub fn base_ops() -> Vec<OpSpec> {
    vec![
        op("steady", 800, 1_000_000.0, 0.05),
        op("slower", 800, 2_000_000.0, 0.05),
        op("faster", 800, 4_000_000.0, 0.05),
        OpSpec {
            correlated: true,
            ..op("noisy", 1500, 500_000.0, 1.0)
        },
        op("only_base", 50, 100_000.0, 0.05),
    ]
}

/// The new run: `slower` takes 30% longer, `faster` 25% less, `noisy` is the same
/// distribution drawn again, `only_base` is gone and `only_new` appears.
pub fn new_ops() -> Vec<OpSpec> {
    vec![
        op("steady", 800, 1_000_000.0, 0.05),
        op("slower", 800, 2_600_000.0, 0.05),
        op("faster", 800, 3_000_000.0, 0.05),
        OpSpec {
            correlated: true,
            ..op("noisy", 1500, 500_000.0, 1.0)
        },
        op("only_new", 50, 100_000.0, 0.05),
    ]
}

/// A log directory holding the base run under `runs/<BASE_ID>/` and the new one on top.
pub fn kept_runs(logs: &Path) {
    let base = logs.join("runs").join(BASE_ID);
    write_log(&base, &base_ops(), 1);
    write_manifest(&base, BASE_ID, 0.001, 60.0, 1000.0);
    write_log(logs, &new_ops(), 2);
    write_manifest(logs, NEW_ID, 0.0003, 66.0, 900.0);
}
