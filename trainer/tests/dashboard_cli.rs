//! `trainer --dashboard` and `trainer serve` end to end: the printed URL, the run served live,
//! the server kept until Ctrl-C, the exit codes, and the flags' refusals.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(60);

fn trainer(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trainer"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("TIMED_MODE")
        .env_remove("TIMED_DIR");
    command
}

fn output(dir: &Path, args: &[&str]) -> Output {
    trainer(dir, args)
        .output()
        .expect("the trainer binary runs")
}

/// A trainer whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn spawn(dir: &Path, args: &[&str]) -> Running {
        let mut child = trainer(dir, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the trainer binary runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Running { child, lines }
    }

    /// The first line starting with `prefix`.
    fn line(&self, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line starting with `{prefix}`"));
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// The dashboard's address and token, from the URL it printed.
    fn dashboard(&self) -> (String, Option<String>) {
        let line = self.line("dashboard: http://");
        let url = line["dashboard: http://".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let (addr, rest) = url.split_once('/').unwrap();
        let token = rest.strip_prefix("?token=").map(str::to_string);
        (addr.to_string(), token)
    }

    /// Ctrl-C, then the exit code.
    fn interrupt(mut self) -> i32 {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: `kill` has no memory-safety preconditions; `pid` is this test's own child,
        // which has not been waited for, so the id still names it.
        let sent = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(sent, 0);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("an exit code, not a signal");
            }
            assert!(
                Instant::now() < deadline,
                "the trainer did not end after Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: &str, path: &str, token: Option<&str>, method: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn wait_finished(addr: &str, token: Option<&str>) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, body) = get(addr, "/api/status", token, "GET", "");
        assert_eq!(status, 200);
        if body["state"] == "finished" {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the run never finished: {body:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const TINY: [&str; 10] = [
    "--envs",
    "4",
    "--steps",
    "8",
    "--threads",
    "2",
    "--hidden",
    "8,8",
    "--eval-games",
    "10",
];

#[test]
fn dashboard_serves_the_command_lines_run_and_stays_until_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--dashboard",
        "--dashboard-addr",
        "127.0.0.1:0",
        "--updates",
        "3",
    ];
    args.extend(TINY);
    args.push("--no-report");
    let running = Running::spawn(dir.path(), &args);
    let (addr, token) = running.dashboard();
    assert_eq!(token, None);
    let status = wait_finished(&addr, None);
    assert_eq!(status["finished"]["reason"], "budget_spent");
    assert_eq!(status["latest"]["iteration"], 3);
    assert_eq!(status["evaluation"]["games"], 10);
    assert_eq!(status["server"]["log_dir"], "logs");
    running.line("the dashboard stays at http://");
    // Still serving after the run.
    assert_eq!(get(&addr, "/api/status", None, "GET", "").0, 200);
    assert_eq!(running.interrupt(), 0);
    let metrics = std::fs::read_to_string(dir.path().join("logs/metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 3);
    assert!(dir.path().join("checkpoints/final.ckpt").is_file());
}

#[test]
fn serve_starts_runs_from_the_api_and_ctrl_c_stops_the_one_going() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::spawn(
        dir.path(),
        &[
            "serve",
            "--dashboard-addr",
            "127.0.0.1:0",
            "--dashboard-allow-remote",
            "--log-dir",
            "served",
        ],
    );
    let (addr, token) = running.dashboard();
    let token = token.expect("a token with --dashboard-allow-remote");
    assert_eq!(token.len(), 32);
    assert_eq!(get(&addr, "/api/status", None, "GET", "").0, 401);
    let (status, body) = get(&addr, "/api/status", Some(&token), "GET", "");
    assert_eq!((status, &body["state"]), (200, &Value::from("idle")));
    assert_eq!(body["server"]["log_dir"], "served");
    let settings = r#"{"updates": 1000000, "envs": 4, "steps": 8, "threads": 2, "hidden": [8, 8]}"#;
    let (status, body) = get(&addr, "/api/runs", Some(&token), "POST", settings);
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + PATIENCE;
    while get(&addr, "/api/status", Some(&token), "GET", "").1["latest"]["iteration"].as_u64()
        < Some(2)
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ctrl-C stops the run gracefully, then the server: 130, as an interrupted run.
    assert_eq!(running.interrupt(), 130);
    assert!(dir.path().join("checkpoints/final.ckpt").is_file());
    assert!(dir.path().join("served/metrics.jsonl").is_file());
}

#[test]
fn dashboard_flags_are_checked_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let remote = output(
        dir.path(),
        &[
            "--dashboard",
            "--dashboard-addr",
            "0.0.0.0:0",
            "--updates",
            "1",
        ],
    );
    assert_eq!(remote.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&remote.stderr),
        "error: dashboard address 0.0.0.0:0 is not a loopback address: add \
         --dashboard-allow-remote to serve other machines (every request then needs the token \
         printed at start)\n"
    );
    let without = output(
        dir.path(),
        &["--dashboard-addr", "127.0.0.1:0", "--updates", "1"],
    );
    assert_eq!(without.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without.stderr).contains("--dashboard"));
    let mut args = vec![
        "--dashboard",
        "--dashboard-addr",
        "127.0.0.1:0",
        "--updates",
        "1",
    ];
    args.extend(["--envs", "3", "--threads", "2"]);
    let invalid = output(dir.path(), &args);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&invalid.stderr).ends_with(
            "error: invalid PPO configuration: num_envs 3 must be a multiple of threads 2 (each \
             thread steps an equal shard)\n"
        ),
        "{}",
        String::from_utf8_lossy(&invalid.stderr)
    );
    assert!(!dir.path().join("logs").exists());
    // Refused before the server starts: no URL printed.
    assert_eq!(String::from_utf8_lossy(&invalid.stdout), "");
}

#[test]
fn a_run_that_fails_ends_the_program_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "a file where the logs would go").unwrap();
    let mut args = vec![
        "--dashboard",
        "--dashboard-addr",
        "127.0.0.1:0",
        "--updates",
        "2",
    ];
    args.extend(TINY);
    args.extend(["--log-dir", "taken"]);
    let failed = trainer(dir.path(), &args)
        .stdin(Stdio::null())
        .output()
        .expect("the trainer binary runs");
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.starts_with("error: timing: "), "{stderr}");
    assert!(String::from_utf8_lossy(&failed.stdout).starts_with("dashboard: http://127.0.0.1:"));
}
