//! The `trainer` binary end to end, with tiny budgets in temporary directories.

use std::path::Path;
use std::process::{Command, Output};
use trainer::checkpoint::load_checkpoint;
use trainer::evaluation::{EVALUATION_SEED, random_baseline};

fn trainer(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(args)
        .current_dir(dir)
        // The runtime's overrides would change where and what is recorded.
        .env_remove("TIMED_MODE")
        .env_remove("TIMED_DIR")
        .output()
        .expect("the trainer binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The 1-based line of the first line of `file` (under the crate) that contains `needle`.
fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn sites_lists_the_manager_and_checkpoint_sites() {
    let dir = tempfile::tempdir().unwrap();
    let output = trainer(dir.path(), &["sites"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["component", "name", "phase", "location"]);
    let expected = [
        (
            "training_manager",
            "create_environments",
            "setup",
            "src/manager/mod.rs",
        ),
        (
            "training_manager",
            "parallel_training",
            "training",
            "src/manager/mod.rs",
        ),
        (
            "training_manager",
            "process_metrics",
            "metrics",
            "src/manager/mod.rs",
        ),
        (
            "training_manager",
            "broadcast_metrics",
            "communication",
            "src/manager/mod.rs",
        ),
        (
            "training_manager",
            "manage_checkpoints",
            "checkpoint",
            "src/manager/mod.rs",
        ),
        (
            "training_manager",
            "evaluate_policy",
            "evaluation",
            "src/evaluation.rs",
        ),
        (
            "ppo_trainer",
            "save_checkpoint",
            "checkpoint",
            "src/checkpoint/mod.rs",
        ),
        (
            "ppo_trainer",
            "load_checkpoint",
            "checkpoint",
            "src/checkpoint/mod.rs",
        ),
    ];
    for (component, name, phase, file) in expected {
        let location = format!("trainer/{file}:{}", line_of(file, &format!("fn {name}(")));
        let row = [component, name, phase, location.as_str()];
        assert!(
            rows.iter().any(|r| r.as_slice() == row),
            "no row {row:?} in\n{text}"
        );
    }
    // Sorted by component, then name.
    let keys: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0], r[1])).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn random_prints_the_evaluation_report_format() {
    let dir = tempfile::tempdir().unwrap();
    let output = trainer(dir.path(), &["random", "--games", "200"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let expected = random_baseline(200, EVALUATION_SEED).unwrap().to_string();
    let (heading, body) = text.split_once('\n').unwrap();
    assert!(
        heading.starts_with("random legal policy: 200 games in ") && heading.ends_with(" s"),
        "{heading}"
    );
    assert_eq!(body, expected.split_once('\n').unwrap().1);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("  score     mean "));
    assert!(lines[1].starts_with("  moves     mean "));
    assert!(lines[2].starts_with("  max tile   "));
    assert!(lines[3].starts_with("  reached    128: "));
    assert!(lines[3].ends_with("  4096: 0.0%"));
}

const TINY: [&str; 8] = [
    "--updates",
    "2",
    "--envs",
    "8",
    "--steps",
    "8",
    "--hidden",
    "16,16",
];

fn metric_iterations(path: &Path) -> Vec<(u64, u64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                value["iteration"].as_u64().unwrap(),
                value["env_steps"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The greedy evaluation block of a training run's output (from its heading to the blank line).
fn greedy_block(text: &str) -> String {
    let start = text.find("greedy policy").expect("an evaluation block");
    let end = text[start..]
        .find("\n\n")
        .map_or(text.len(), |e| start + e + 1);
    text[start..end].to_string()
}

#[test]
fn a_tiny_run_writes_logs_metrics_and_checkpoints_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = TINY.to_vec();
    args.extend(["--eval-games", "20"]);
    let output = trainer(dir.path(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let logs = dir.path().join("logs");
    let header = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status";
    for log in ["ppo_training_timing.log", "training_manager_timing.log"] {
        let content = std::fs::read_to_string(logs.join(log)).unwrap();
        assert_eq!(content.lines().next(), Some(header), "{log}");
    }
    let manager_log = std::fs::read_to_string(logs.join("training_manager_timing.log")).unwrap();
    assert_eq!(
        manager_log
            .lines()
            .filter(|l| l.contains(",parallel_training,training,"))
            .count(),
        2
    );
    for (summary, component) in [
        ("ppo_timing_summary.json", "ppo_trainer"),
        ("training_manager_timing_summary.json", "training_manager"),
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(logs.join(summary)).unwrap()).unwrap();
        assert_eq!(json["component"], component);
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(logs.join("training_manager_timing_summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["operations"]["parallel_training"]["count"], 2);
    assert_eq!(summary["operations"]["process_metrics"]["count"], 2);
    assert_eq!(summary["operations"]["broadcast_metrics"]["count"], 2);
    assert_eq!(summary["operations"]["evaluate_policy"]["count"], 1);
    assert_eq!(
        metric_iterations(&logs.join("metrics.jsonl")),
        [(1, 64), (2, 128)]
    );
    assert!(logs.join("performance_analysis_report.json").is_file());

    let final_path = dir.path().join("checkpoints").join("final.ckpt");
    let saved = load_checkpoint(&final_path).unwrap();
    assert_eq!(saved.metadata.counters.updates, 2);
    assert_eq!(saved.metadata.counters.env_steps, 128);
    assert_eq!(saved.metadata.config.hidden, [16, 16]);
    assert_eq!(
        load_checkpoint(&dir.path().join("checkpoints").join("latest.ckpt"))
            .unwrap()
            .metadata,
        saved.metadata
    );

    for part in [
        "=== Training summary ===",
        "updates:          2 (2 in this run)",
        "env steps:        128 (128 in this run, ",
        "final checkpoint: checkpoints/final.ckpt",
        "greedy policy: 20 games in ",
        "=== Where the time went (",
        "PERFORMANCE ANALYSIS SUMMARY",
    ] {
        assert!(text.contains(part), "no {part:?} in\n{text}");
    }

    // `eval` plays the same games as the run's evaluation, with the same results.
    let eval = trainer(
        dir.path(),
        &[
            "eval",
            "--checkpoint",
            "checkpoints/final.ckpt",
            "--games",
            "20",
        ],
    );
    assert!(eval.status.success(), "{}", stderr(&eval));
    let eval_text = stdout(&eval);
    let body = |block: &str| block.split_once('\n').unwrap().1.to_string();
    assert!(eval_text.starts_with("greedy policy of checkpoints/final.ckpt: 20 games in "));
    assert_eq!(body(&eval_text), body(&greedy_block(&text)));

    // Resuming runs 2 more updates; counters and the metrics stream continue, in a new run:
    // the first run's files are kept, whole, under its id.
    let first_id = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(logs.join("run.json")).unwrap(),
    )
    .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_metrics = std::fs::read(logs.join("metrics.jsonl")).unwrap();
    let first_final = std::fs::read(&final_path).unwrap();
    let mut args = TINY.to_vec();
    args.extend([
        "--resume",
        "checkpoints/final.ckpt",
        "--no-report",
        "--eval-games",
        "0",
    ]);
    let resumed = trainer(dir.path(), &args);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let resumed_text = stdout(&resumed);
    assert!(resumed_text.contains("resuming checkpoints/final.ckpt at update 2 (128 env steps)"));
    assert!(resumed_text.contains("updates:          4 (2 in this run)"));
    assert!(!resumed_text.contains("PERFORMANCE ANALYSIS SUMMARY"));
    assert!(!resumed_text.contains("greedy policy"));
    let after = load_checkpoint(&final_path).unwrap();
    assert_eq!(after.metadata.counters.updates, 4);
    assert_eq!(after.metadata.counters.env_steps, 256);
    let kept_logs = logs.join("runs").join(&first_id);
    let kept_checkpoints = dir.path().join("checkpoints/runs").join(&first_id);
    assert!(
        resumed_text.contains(&format!(
            "continuing run {first_id} from {}\n",
            kept_checkpoints
                .join("final.ckpt")
                .strip_prefix(dir.path())
                .unwrap()
                .display()
        )),
        "{resumed_text}"
    );
    // The metrics, over both runs: the first run's lines where it is kept, the resumed run's
    // (numbered on) at the top.
    assert_eq!(
        metric_iterations(&kept_logs.join("metrics.jsonl")),
        [(1, 64), (2, 128)]
    );
    assert_eq!(
        metric_iterations(&logs.join("metrics.jsonl")),
        [(3, 192), (4, 256)]
    );
    assert_eq!(
        std::fs::read(kept_logs.join("metrics.jsonl")).unwrap(),
        first_metrics
    );
    assert_eq!(
        std::fs::read(kept_checkpoints.join("final.ckpt")).unwrap(),
        first_final
    );
}

#[test]
fn a_corrupt_checkpoint_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = trainer(
        dir.path(),
        &[
            "--updates",
            "1",
            "--envs",
            "4",
            "--steps",
            "4",
            "--hidden",
            "8",
            "--eval-games",
            "0",
            "--no-report",
            "--timing-mode",
            "off",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let mut bytes = std::fs::read(dir.path().join("checkpoints/final.ckpt")).unwrap();
    let stored = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let computed = crc32fast::hash(&bytes[24..]);
    std::fs::write(dir.path().join("bad.ckpt"), &bytes).unwrap();
    let expected = format!(
        "error: checkpoint bad.ckpt: checksum mismatch (stored {stored:08x}, computed \
         {computed:08x}): the file is corrupt\n"
    );
    for args in [
        &["--resume", "bad.ckpt", "--updates", "1", "--no-report"][..],
        &["eval", "--checkpoint", "bad.ckpt", "--games", "5"][..],
    ] {
        let failed = trainer(dir.path(), args);
        assert_eq!(failed.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&failed), expected, "{args:?}");
    }

    let mismatch = trainer(
        dir.path(),
        &[
            "--resume",
            "checkpoints/final.ckpt",
            "--hidden",
            "16,16",
            "--updates",
            "1",
        ],
    );
    assert_eq!(mismatch.status.code(), Some(2));
    assert_eq!(
        stderr(&mismatch),
        "error: checkpoint checkpoints/final.ckpt: holds a network with hidden sizes 8, but \
         hidden sizes 16,16 were requested\n"
    );
    let missing = trainer(dir.path(), &["eval", "--checkpoint", "nowhere.ckpt"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "error: checkpoint nowhere.ckpt: cannot read: No such file or directory (os error 2)\n"
    );
}

#[test]
fn bad_flags_get_clap_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--reward", "cubic"],
            "error: invalid value 'cubic' for '--reward <REWARD>'",
        ),
        (
            &["--minutes", "1", "--updates", "2"],
            "error: the argument '--minutes <MINUTES>' cannot be used with '--updates <UPDATES>'",
        ),
        (
            &["--hidden", "16,x"],
            "error: invalid value '16,x' for '--hidden <HIDDEN>': `x` is not a layer width",
        ),
        (
            &["--checkpoint-every", "5h"],
            "error: invalid value '5h' for '--checkpoint-every <CHECKPOINT_EVERY>'",
        ),
        (
            &["eval"],
            "error: the following required arguments were not provided:",
        ),
    ];
    for (args, start) in cases {
        let output = trainer(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).starts_with(start),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // A configuration PPO refuses is also a usage error, and nothing is trained.
    let output = trainer(
        dir.path(),
        &["--envs", "3", "--threads", "2", "--updates", "1"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: invalid PPO configuration: num_envs 3 must be a multiple of threads 2 (each \
         thread steps an equal shard)\n"
    );
    assert!(!dir.path().join("checkpoints").exists());
}

#[test]
fn ctrl_c_finishes_the_iteration_and_writes_the_final_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args([
            "--minutes",
            "10",
            "--envs",
            "8",
            "--steps",
            "8",
            "--hidden",
            "16,16",
            "--no-report",
            "--timing-mode",
            "summary",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let metrics = dir.path().join("logs").join("metrics.jsonl");
    // Wait (without a deadline that a loaded machine could miss) for training to be under way,
    // i.e. past the point where the handler is installed.
    while std::fs::read_to_string(&metrics).map_or(true, |t| t.lines().count() < 3) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the trainer exited early: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: kill(2) touches no memory of ours. The pid is our own child's, not yet waited for
    // (we still hold `child`), so it cannot have been recycled for another process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("stopped:          interrupted"), "{text}");
    assert!(
        text.contains("evaluation skipped: training was interrupted"),
        "{text}"
    );
    let lines = metric_iterations(&metrics);
    let saved = load_checkpoint(&dir.path().join("checkpoints").join("final.ckpt")).unwrap();
    assert_eq!(saved.metadata.counters.updates, lines.last().unwrap().0);
    assert_eq!(
        saved.metadata.counters.env_steps,
        64 * saved.metadata.counters.updates
    );
    assert!(saved.metadata.schedule.done_seconds < 600.0);
    assert!(
        dir.path()
            .join("logs")
            .join("training_manager_timing_summary.json")
            .is_file()
    );
}
