//! Realistic synthetic training logs, in our format and in the original's, for the
//! end-to-end tests and the benchmark. The simulated run has 20 operations in 2 components,
//! nesting up to 5 deep, a coordinator whose children run on worker threads of the other
//! component, details with commas, a warm-up, a slowing operation, periodic stalls, an
//! overloaded worker and rare panics.

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const PPO: usize = 0;
const MANAGER: usize = 1;
const COMPONENTS: [&str; 2] = ["ppo_trainer", "training_manager"];
const STEMS: [&str; 2] = ["ppo_training", "training_manager"];

#[derive(Clone, Copy)]
struct Op {
    name: &'static str,
    phase: &'static str,
    component: usize,
}

const fn op(name: &'static str, phase: &'static str, component: usize) -> Op {
    Op {
        name,
        phase,
        component,
    }
}

const TRAINING_ITERATION: Op = op("training_iteration", "training", MANAGER);
const PARALLEL_TRAINING: Op = op("parallel_training", "training", MANAGER);
const COLLECT_ROLLOUT: Op = op("collect_rollout", "rollout", PPO);
const ENV_STEP: Op = op("env_step", "environment", PPO);
const SELECT_ACTION: Op = op("select_action", "inference", PPO);
const BATCH_FORWARD: Op = op("batch_forward", "inference", PPO);
const BUFFER_ADD: Op = op("buffer_add", "buffer", PPO);
const TENSOR_CONVERT: Op = op("tensor_convert", "buffer", PPO);
const UPDATE_POLICY: Op = op("update_policy", "training", PPO);
const COMPUTE_ADVANTAGES: Op = op("compute_advantages", "training", PPO);
const PPO_EPOCH: Op = op("ppo_epoch", "training", PPO);
const MINIBATCH_UPDATE: Op = op("minibatch_update", "training", PPO);
const BACKWARD: Op = op("backward", "training", PPO);
const OPTIMIZER_STEP: Op = op("optimizer_step", "training", PPO);
const PROCESS_METRICS: Op = op("process_metrics", "metrics", MANAGER);
const BROADCAST_METRICS: Op = op("broadcast_metrics", "ui", MANAGER);
const WEBSOCKET_SEND: Op = op("websocket_send", "ui", MANAGER);
const SAVE_CHECKPOINT: Op = op("save_checkpoint", "checkpoint", MANAGER);
const SERIALIZE_MODEL: Op = op("serialize_model", "checkpoint", PPO);
const LOG_PROGRESS: Op = op("log_progress", "metrics", MANAGER);

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub iterations: usize,
    pub seed: u64,
    /// Worker threads (2..) running rollouts under `parallel_training`.
    pub workers: u32,
    /// Environment steps per worker per iteration (the last worker does 50% more).
    pub steps: usize,
}

impl Spec {
    /// About `rows` rows in our format (both files together).
    pub fn for_rows(rows: u64) -> Spec {
        let spec = Spec {
            iterations: 1,
            seed: 7,
            workers: 3,
            steps: 20,
        };
        Spec {
            iterations: (rows / spec.rows_per_iteration()).max(1) as usize,
            ..spec
        }
    }

    pub fn rows_per_iteration(&self) -> u64 {
        let steps: u64 = (0..self.workers)
            .map(|worker| self.steps_of(worker) as u64)
            .sum();
        steps * 5 + u64::from(self.workers) + 1 + 70 + 5
    }

    fn steps_of(&self, worker: u32) -> usize {
        if worker + 1 == self.workers {
            self.steps * 3 / 2
        } else {
            self.steps
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Ours,
    Legacy,
}

/// Caches the `YYYY-MM-DDTHH:MM:SS.` part of timestamps, which changes once a second.
struct Clock {
    session_start_us: i64,
    cached_second: i64,
    prefix: String,
}

impl Clock {
    fn write(&mut self, out: &mut Vec<u8>, session_ns: u64, zone: bool) {
        let micros = self.session_start_us + (session_ns / 1000) as i64;
        let second = micros.div_euclid(1_000_000);
        if second != self.cached_second {
            let full = analyzer::ingest::numbers::format_timestamp_us(second * 1_000_000);
            self.prefix = full[..20].to_string();
            self.cached_second = second;
        }
        out.extend_from_slice(self.prefix.as_bytes());
        let _ = write!(out, "{:06}", micros.rem_euclid(1_000_000));
        if zone {
            out.push(b'Z');
        }
    }
}

struct Sim {
    format: Format,
    spec: Spec,
    rng: Xoshiro256PlusPlus,
    clock: Clock,
    /// Per component, per thread (index 0 unused): rows not yet flushed.
    buffers: [Vec<Vec<u8>>; 2],
    next_call: Vec<u64>,
    iteration: usize,
    rows: u64,
}

impl Sim {
    fn new(format: Format, spec: Spec) -> Sim {
        let threads = spec.workers as usize + 2;
        Sim {
            format,
            spec,
            rng: Xoshiro256PlusPlus::seed_from_u64(spec.seed),
            clock: Clock {
                session_start_us: 1_795_576_500_000_000,
                cached_second: i64::MIN,
                prefix: String::new(),
            },
            buffers: [vec![Vec::new(); threads], vec![Vec::new(); threads]],
            next_call: vec![0; threads],
            iteration: 0,
            rows: 0,
        }
    }

    /// `base_ns` with multiplicative noise (about +-20%, a log-normal-ish spread).
    fn jitter(&mut self, base_ns: f64) -> u64 {
        let noise: f64 = (0..3).map(|_| self.rng.gen_range(0.0..1.0f64)).sum::<f64>() - 1.5;
        (base_ns * (noise * 0.35).exp()).max(1.0) as u64
    }

    fn call_id(&mut self, thread: u32) -> u64 {
        self.next_call[thread as usize] += 1;
        u64::from(thread) << 32 | self.next_call[thread as usize]
    }

    fn begin(&mut self, op: Op, thread: u32, start: u64) {
        if self.format == Format::Legacy {
            let mut row = std::mem::take(&mut self.buffers[op.component][thread as usize]);
            self.clock.write(&mut row, start, false);
            let _ = writeln!(row, ",START_{},{},,", op.name, op.phase);
            self.buffers[op.component][thread as usize] = row;
            self.rows += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn end(
        &mut self,
        op: Op,
        thread: u32,
        id: u64,
        parent: u64,
        start: u64,
        duration: u64,
        self_ns: u64,
        details: &str,
        panicked: bool,
    ) {
        let mut row = std::mem::take(&mut self.buffers[op.component][thread as usize]);
        let end = start + duration;
        match self.format {
            Format::Ours => {
                self.clock.write(&mut row, end, true);
                let _ = write!(
                    row,
                    ",{},{},{}.{:06},",
                    op.name,
                    op.phase,
                    duration / 1_000_000,
                    duration % 1_000_000
                );
                if details.contains(',') {
                    let _ = write!(row, "\"{details}\"");
                } else {
                    row.extend_from_slice(details.as_bytes());
                }
                let _ = write!(row, ",{},{thread},{id},", COMPONENTS[op.component]);
                if parent != 0 {
                    let _ = write!(row, "{parent}");
                }
                let status = if panicked { "panicked" } else { "ok" };
                let _ = writeln!(
                    row,
                    ",{}.{:06},{start},{status}",
                    self_ns / 1_000_000,
                    self_ns % 1_000_000
                );
            }
            Format::Legacy => {
                self.clock.write(&mut row, end, false);
                let _ = writeln!(
                    row,
                    ",END_{},{},{:.2},{details}",
                    op.name,
                    op.phase,
                    duration as f64 / 1e6
                );
            }
        }
        self.buffers[op.component][thread as usize] = row;
        self.rows += 1;
    }

    fn leaf(&mut self, op: Op, thread: u32, parent: u64, start: u64, base_ns: f64) -> u64 {
        self.begin(op, thread, start);
        let id = self.call_id(thread);
        let duration = self.jitter(base_ns);
        self.end(op, thread, id, parent, start, duration, duration, "", false);
        duration
    }

    fn select_action(&mut self, thread: u32, parent: u64, start: u64) -> u64 {
        self.begin(SELECT_ACTION, thread, start);
        let id = self.call_id(thread);
        let warm_up = if self.iteration < 3 { 40.0 } else { 1.0 };
        let mut t = start + self.jitter(3_000.0);
        let forward = self.leaf(BATCH_FORWARD, thread, id, t, 15_000.0 * warm_up);
        t += forward;
        let end = t + self.jitter(2_000.0);
        let panicked = self.rng.gen_range(0..200_000u32) == 0;
        self.end(
            SELECT_ACTION,
            thread,
            id,
            parent,
            start,
            end - start,
            end - start - forward,
            "",
            panicked,
        );
        end - start
    }

    fn env_step(&mut self, thread: u32, parent: u64, start: u64) -> u64 {
        self.begin(ENV_STEP, thread, start);
        let id = self.call_id(thread);
        let mut t = start + self.jitter(20_000.0);
        let mut children = 0;
        let action = self.select_action(thread, id, t);
        t += action;
        children += action;
        // The replay buffer slows down as it fills: 3x over the run.
        let growth = 1.0 + 2.0 * self.iteration as f64 / self.spec.iterations as f64;
        let add = self.leaf(BUFFER_ADD, thread, id, t, 4_000.0 * growth);
        t += add;
        children += add;
        let convert = self.leaf(TENSOR_CONVERT, thread, id, t, 800.0);
        t += convert;
        children += convert;
        let end = t + self.jitter(5_000.0);
        self.end(
            ENV_STEP,
            thread,
            id,
            parent,
            start,
            end - start,
            end - start - children,
            "",
            false,
        );
        end - start
    }

    fn collect_rollout(&mut self, worker: u32, parent: u64, start: u64) -> u64 {
        let thread = worker + 2;
        self.begin(COLLECT_ROLLOUT, thread, start);
        let id = self.call_id(thread);
        let mut t = start + self.jitter(10_000.0);
        let mut children = 0;
        for _ in 0..self.spec.steps_of(worker) {
            let step = self.env_step(thread, id, t);
            t += step;
            children += step;
        }
        let end = t + self.jitter(10_000.0);
        let details = format!("worker={worker}, steps={}", self.spec.steps_of(worker));
        self.end(
            COLLECT_ROLLOUT,
            thread,
            id,
            parent,
            start,
            end - start,
            end - start - children,
            &details,
            false,
        );
        end - start
    }

    fn parallel_training(&mut self, parent: u64, start: u64) -> u64 {
        self.begin(PARALLEL_TRAINING, 1, start);
        let id = self.call_id(1);
        let launch = start + self.jitter(50_000.0);
        let mut finish = launch;
        let mut sequential = launch;
        for worker in 0..self.spec.workers {
            // Ours runs workers in parallel; the original's single-threaded log runs them in turn.
            let begin = if self.format == Format::Ours {
                launch
            } else {
                sequential
            };
            let took = self.collect_rollout(worker, id, begin);
            finish = finish.max(begin + took);
            sequential = begin + took;
        }
        let end = finish + self.jitter(30_000.0);
        let details = format!("envs={}", self.spec.workers);
        // Its children ran on other threads: like timed-runtime, nothing is subtracted from
        // its self time, most of which is waiting for the workers.
        self.end(
            PARALLEL_TRAINING,
            1,
            id,
            parent,
            start,
            end - start,
            end - start,
            &details,
            false,
        );
        end - start
    }

    fn minibatch(&mut self, parent: u64, start: u64) -> u64 {
        self.begin(MINIBATCH_UPDATE, 1, start);
        let id = self.call_id(1);
        let mut t = start + self.jitter(10_000.0);
        let mut children = 0;
        let forward = self.leaf(BATCH_FORWARD, 1, id, t, 60_000.0);
        t += forward;
        children += forward;
        let backward = self.leaf(BACKWARD, 1, id, t, 180_000.0);
        t += backward;
        children += backward;
        // Every 100th iteration the optimizer stalls (a periodic allocation burst).
        let stall = if self.iteration % 100 == 50 {
            40.0
        } else {
            1.0
        };
        let step = self.leaf(OPTIMIZER_STEP, 1, id, t, 70_000.0 * stall);
        t += step;
        children += step;
        let end = t + self.jitter(5_000.0);
        self.end(
            MINIBATCH_UPDATE,
            1,
            id,
            parent,
            start,
            end - start,
            end - start - children,
            "",
            false,
        );
        end - start
    }

    fn update_policy(&mut self, parent: u64, start: u64) -> u64 {
        self.begin(UPDATE_POLICY, 1, start);
        let id = self.call_id(1);
        let mut t = start + self.jitter(20_000.0);
        let mut children = 0;
        let advantages = self.leaf(COMPUTE_ADVANTAGES, 1, id, t, 150_000.0);
        t += advantages;
        children += advantages;
        for epoch in 0..4 {
            self.begin(PPO_EPOCH, 1, t);
            let epoch_id = self.call_id(1);
            let epoch_start = t;
            let mut u = t + self.jitter(5_000.0);
            let mut epoch_children = 0;
            for _ in 0..4 {
                let took = self.minibatch(epoch_id, u);
                u += took;
                epoch_children += took;
            }
            let epoch_end = u + self.jitter(5_000.0);
            let details = format!(
                "epoch={epoch}, kl={:.4}",
                self.rng.gen_range(0.0..1.0f64) / 100.0
            );
            self.end(
                PPO_EPOCH,
                1,
                epoch_id,
                id,
                epoch_start,
                epoch_end - epoch_start,
                epoch_end - epoch_start - epoch_children,
                &details,
                false,
            );
            t = epoch_end;
            children += epoch_end - epoch_start;
        }
        let end = t + self.jitter(10_000.0);
        let details = format!(
            "updates=16, policy_loss={:.4}",
            self.rng.gen_range(0.0..1.0f64)
        );
        self.end(
            UPDATE_POLICY,
            1,
            id,
            parent,
            start,
            end - start,
            end - start - children,
            &details,
            false,
        );
        end - start
    }

    fn iteration(&mut self, start: u64) -> u64 {
        self.begin(TRAINING_ITERATION, 1, start);
        let id = self.call_id(1);
        let mut t = start + self.jitter(20_000.0);
        let mut children = 0;
        let parallel = self.parallel_training(id, t);
        t += parallel;
        children += parallel;
        let update = self.update_policy(id, t);
        t += update;
        children += update;
        let metrics = self.leaf(PROCESS_METRICS, 1, id, t, 40_000.0);
        t += metrics;
        children += metrics;
        self.begin(BROADCAST_METRICS, 1, t);
        let broadcast_id = self.call_id(1);
        let broadcast_start = t;
        let send = self.leaf(WEBSOCKET_SEND, 1, broadcast_id, t + 5_000, 120_000.0);
        let broadcast = 5_000 + send + self.jitter(8_000.0);
        self.end(
            BROADCAST_METRICS,
            1,
            broadcast_id,
            id,
            broadcast_start,
            broadcast,
            broadcast - send,
            "clients=2",
            false,
        );
        t += broadcast;
        children += broadcast;
        let log = self.leaf(LOG_PROGRESS, 1, id, t, 2_000.0);
        t += log;
        children += log;
        if self.iteration % 500 == 499 {
            self.begin(SAVE_CHECKPOINT, 1, t);
            let save_id = self.call_id(1);
            let save_start = t;
            let serialize = self.leaf(SERIALIZE_MODEL, 1, save_id, t + 1_000_000, 30_000_000.0);
            let save = 1_000_000 + serialize + self.jitter(5_000_000.0);
            self.end(
                SAVE_CHECKPOINT,
                1,
                save_id,
                id,
                save_start,
                save,
                save - serialize,
                "path=checkpoints/model.bin",
                false,
            );
            if self.format == Format::Legacy {
                let mut row = std::mem::take(&mut self.buffers[MANAGER][1]);
                self.clock.write(&mut row, save_start + save, false);
                let _ = writeln!(
                    row,
                    ",EVENT_checkpoint_saved,checkpoint,,path=checkpoints/model.bin, step={}",
                    self.iteration
                );
                self.buffers[MANAGER][1] = row;
                self.rows += 1;
            }
            t += save;
            children += save;
        }
        let end = t + self.jitter(10_000.0);
        self.end(
            TRAINING_ITERATION,
            1,
            id,
            0,
            start,
            end - start,
            end - start - children,
            "",
            false,
        );
        end - start
    }

    fn flush(&mut self, writers: &mut [BufWriter<File>; 2]) -> std::io::Result<()> {
        for (component, writer) in writers.iter_mut().enumerate() {
            for buffer in &mut self.buffers[component] {
                writer.write_all(buffer)?;
                buffer.clear();
            }
        }
        Ok(())
    }
}

fn run(dir: &Path, spec: Spec, format: Format) -> std::io::Result<u64> {
    let mut writers = [0, 1].map(|component| {
        File::create(dir.join(format!("{}_timing.log", STEMS[component])))
            .map(|file| BufWriter::with_capacity(1 << 20, file))
    });
    if let Some(error) = writers.iter_mut().find_map(|writer| {
        writer
            .as_ref()
            .err()
            .map(|e| std::io::Error::new(e.kind(), e.to_string()))
    }) {
        return Err(error);
    }
    let mut writers = writers.map(|writer| writer.expect("checked above"));
    for writer in &mut writers {
        match format {
            Format::Ours => writeln!(writer, "{}", analyzer::ingest::ours::HEADER)?,
            Format::Legacy => {
                writeln!(
                    writer,
                    "=== Training Timing Log - Started at 2026-11-25T03:15:00.000000 ==="
                )?;
                writeln!(writer, "{}", analyzer::ingest::legacy::HEADER)?;
            }
        }
    }
    let mut sim = Sim::new(format, spec);
    let mut t = 1_000_000u64;
    for iteration in 0..spec.iterations {
        sim.iteration = iteration;
        t += sim.iteration(t) + 100_000;
        sim.flush(&mut writers)?;
    }
    for writer in &mut writers {
        writer.flush()?;
    }
    Ok(sim.rows)
}

/// Writes `ppo_training_timing.log` and `training_manager_timing.log` in our format; returns
/// the number of rows.
pub fn write_ours(dir: &Path, spec: Spec) -> std::io::Result<u64> {
    run(dir, spec, Format::Ours)
}

/// The same run as the original Python system logged it (START/END/EVENT rows).
pub fn write_legacy(dir: &Path, spec: Spec) -> std::io::Result<u64> {
    run(dir, spec, Format::Legacy)
}
