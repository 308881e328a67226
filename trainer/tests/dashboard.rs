//! The dashboard's API and WebSocket protocol, over real sockets: settings refused naming the
//! field, one run at a time, a graceful stop, the history first for a client that connects
//! mid-run, every message in order, a client that never reads holding nothing up, a slow one
//! told exactly what it missed, a stalled one disconnected, the token and Origin rules, and
//! bad input that harms nothing. Runs are tiny; `run_training` owns the process's timing
//! session, so tests that train take turns.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trainer::dashboard::{Dashboard, DashboardOptions};
use trainer::manager::TrainSettings;

static TRAINING: Mutex<()> = Mutex::new(());

/// One run at a time in this process (a failed test leaves the lock usable).
fn training_turn() -> MutexGuard<'static, ()> {
    TRAINING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const PATIENCE: Duration = Duration::from_secs(60);

struct Served {
    dashboard: Dashboard,
    dir: tempfile::TempDir,
}

impl Served {
    fn start(configure: impl FnOnce(&mut DashboardOptions)) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let mut options = DashboardOptions::new("127.0.0.1:0".parse().unwrap());
        options.base_settings = TrainSettings {
            log_dir: dir.path().join("logs"),
            checkpoint_dir: dir.path().join("checkpoints"),
            eval_games: 10,
            report: false,
            ..TrainSettings::default()
        };
        configure(&mut options);
        Served {
            dashboard: Dashboard::start(options).unwrap(),
            dir,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.dashboard.local_addr()
    }

    fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    fn checkpoint_dir(&self) -> PathBuf {
        self.dir.path().join("checkpoints")
    }

    fn status(&self) -> Value {
        let answer = http(self.addr(), "GET", "/api/status", &[], "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    }

    /// Waits until the status satisfies `ready`.
    fn wait_status(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let status = self.status();
            if ready(&status) {
                return status;
            }
            assert!(Instant::now() < deadline, "never {what}: {status:#}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_finished(&self) -> Value {
        self.wait_status("finished", |s| s["state"] == "finished")
    }
}

/// A tiny run: 4 environments on 2 threads, 8 steps, an 8x8 network.
fn tiny(budget: Value) -> String {
    let mut settings = json!({
        "envs": 4, "steps": 8, "threads": 2, "hidden": [8, 8], "timing_mode": "full"
    });
    for (key, value) in budget.as_object().unwrap() {
        settings[key] = value.clone();
    }
    settings.to_string()
}

// ---- a plain HTTP/1.1 client: any header, any bytes --------------------------------------------

struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let answer = raw(addr, request.as_bytes());
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"));
    Answer {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

fn post_run(addr: SocketAddr, body: &str) -> Answer {
    http(
        addr,
        "POST",
        "/api/runs",
        &[("Content-Type", "application/json")],
        body,
    )
}

// ---- WebSocket clients ------------------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: SocketAddr, query: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws{query}"))
        .await
        .unwrap();
    socket
}

/// A client whose receive buffer is as small as the kernel allows: it fills after a few
/// messages when the client does not read.
async fn connect_small(addr: SocketAddr) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), stream)
        .await
        .unwrap();
    socket
}

async fn next_message(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
        {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Reads until the `finished` message (and the status after it); returns everything after
/// the hello.
async fn read_to_the_end(socket: &mut Socket) -> Vec<Value> {
    let mut messages = Vec::new();
    while let Some(message) = next_message(socket).await {
        let done = message["type"] == "status" && message["state"] == "finished";
        messages.push(message);
        if done {
            break;
        }
    }
    messages
}

fn metrics_lines(log_dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(log_dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// An iteration message without what the protocol adds to the metrics line.
fn as_metrics(message: &Value) -> Value {
    let mut fields = message.as_object().unwrap().clone();
    for added in ["type", "seq", "progress", "dropped"] {
        fields.remove(added);
    }
    Value::Object(fields)
}

// ---- the tests --------------------------------------------------------------------------------

#[test]
fn settings_no_run_can_use_are_refused_naming_the_field() {
    let served = Served::start(|_| {});
    let addr = served.addr();
    for (body, field, message) in [
        (
            r#"{"updates": 0}"#,
            json!("updates"),
            "invalid setting `updates`: must be at least 1",
        ),
        (
            r#"{"envs": -4}"#,
            json!("envs"),
            "invalid setting `envs`: invalid value: integer `-4`, expected usize",
        ),
        (
            r#"{"hidden": [8, 0]}"#,
            json!("hidden"),
            "invalid setting `hidden`: [8, 0] are not layer widths: expected positive integers, e.g. [256, 256]",
        ),
        (
            r#"{"minutes": 1, "updates": 2}"#,
            json!("minutes"),
            "invalid setting `minutes`: cannot be given with `updates`: the budget is one or the other",
        ),
        (
            r#"{"reward": "cubic"}"#,
            json!("reward"),
            "invalid setting `reward`: unknown variant `cubic`, expected one of `raw`, `scaled`, `log`, `log2`",
        ),
        (
            r#"{"envs": 3, "threads": 2}"#,
            Value::Null,
            "invalid PPO configuration: num_envs 3 must be a multiple of threads 2 (each thread steps an equal shard)",
        ),
        (
            "[1, 2]",
            Value::Null,
            "the request body must be a JSON object of settings, e.g. {\"updates\": 50}",
        ),
    ] {
        let answer = post_run(addr, body);
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(
            answer.json(),
            json!({"error": message, "field": field}),
            "{body}"
        );
    }
    let unknown = post_run(addr, r#"{"update": 5}"#).json();
    assert_eq!(unknown["field"], "update");
    let not_json = post_run(addr, r#"{"updates": 5"#);
    assert_eq!(not_json.status, 400);
    assert!(
        not_json.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("the request body is not JSON: EOF while parsing an object"),
        "{}",
        not_json.body
    );
    // Over the size limit: refused before it is read.
    let huge = format!(r#"{{"log_dir": "{}"}}"#, "x".repeat(128 * 1024));
    assert_eq!(post_run(addr, &huge).status, 413);
    // Nothing started, nothing written.
    assert_eq!(served.status()["state"], "idle");
    assert!(!served.log_dir().exists());
}

#[test]
fn one_run_at_a_time_and_stop_ends_it_as_ctrl_c_does() {
    let _turn = training_turn();
    let served = Served::start(|_| {});
    let addr = served.addr();
    let started = post_run(addr, &tiny(json!({"updates": 1_000_000})));
    assert_eq!(started.status, 202, "{}", started.body);
    assert_eq!(started.json()["settings"]["updates"], 1_000_000);
    served.wait_status("training", |s| s["latest"]["iteration"].as_u64() >= Some(3));
    let busy = post_run(addr, &tiny(json!({"updates": 5})));
    assert_eq!(busy.status, 409);
    assert_eq!(
        busy.json()["error"],
        "a run is going: stop it (POST /api/stop) or wait for it to finish"
    );
    let stop = http(addr, "POST", "/api/stop", &[], "");
    assert_eq!(stop.status, 202, "{}", stop.body);
    assert_eq!(stop.json()["state"], "stopping");
    let status = served.wait_finished();
    assert_eq!(status["finished"]["reason"], "interrupted");
    assert_eq!(status["finished"]["error"], Value::Null);
    // What Ctrl-C leaves: the final checkpoint, every iteration's metrics.
    assert!(served.checkpoint_dir().join("final.ckpt").is_file());
    let lines = metrics_lines(&served.log_dir());
    assert_eq!(
        lines.last().unwrap()["iteration"],
        status["latest"]["iteration"]
    );
    assert_eq!(http(addr, "POST", "/api/stop", &[], "").status, 409);
    // The slot is free again.
    let again = post_run(addr, &tiny(json!({"updates": 2})));
    assert_eq!(again.status, 202, "{}", again.body);
    let status = served.wait_finished();
    assert_eq!(status["finished"]["reason"], "budget_spent");
    assert_eq!(status["latest"]["iteration"], 2);
}

#[test]
fn a_client_connecting_mid_run_gets_the_history_first_then_every_message_in_order() {
    let _turn = training_turn();
    let served = Served::start(|options| options.timing_interval = Duration::from_millis(200));
    let addr = served.addr();
    let started = post_run(addr, &tiny(json!({"minutes": 0.04, "eval_games": 20})));
    assert_eq!(started.status, 202, "{}", started.body);
    served.wait_status("a few iterations", |s| {
        s["latest"]["iteration"].as_u64() >= Some(5)
    });
    let (hello, messages) = runtime().block_on(async {
        let mut socket = connect(addr, "").await;
        let hello = next_message(&mut socket).await.unwrap();
        (hello, read_to_the_end(&mut socket).await)
    });
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], 1);
    assert_eq!(hello["status"]["state"], "training");
    assert_eq!(hello["status"]["settings"]["config"]["num_envs"], 4);
    let history = hello["history"].as_array().unwrap();
    assert!(history.len() >= 5);
    // The history starts at the run's first iteration and has every one up to the hello.
    for (i, iteration) in history.iter().enumerate() {
        assert_eq!(iteration["type"], "iteration");
        assert_eq!(iteration["iteration"], i as u64 + 1);
    }
    let hello_seq = hello["seq"].as_u64().unwrap();
    assert!(history.last().unwrap()["seq"].as_u64().unwrap() <= hello_seq);
    // Then every message once, in order: each seq one more than the last.
    for (seq, message) in (hello_seq + 1..).zip(&messages) {
        assert_eq!(message["seq"].as_u64(), Some(seq), "{message}");
        assert_eq!(message.get("dropped"), None);
    }
    let iterations: Vec<&Value> = history
        .iter()
        .chain(messages.iter().filter(|m| m["type"] == "iteration"))
        .collect();
    // Each iteration message is its metrics.jsonl line, plus the budget's progress.
    let lines = metrics_lines(&served.log_dir());
    assert_eq!(iterations.len(), lines.len());
    for (message, line) in iterations.iter().zip(&lines) {
        assert_eq!(&as_metrics(message), line);
        assert!((0.0..=1.0).contains(&message["progress"].as_f64().unwrap()));
    }
    let progress: Vec<f64> = iterations
        .iter()
        .map(|m| m["progress"].as_f64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|p| p[0] <= p[1]), "{progress:?}");
    // The run's end, in its order.
    let kinds: Vec<String> = messages
        .iter()
        .filter(|m| m["type"] != "iteration" && m["type"] != "timing")
        .map(|m| {
            format!(
                "{} {}",
                m["type"].as_str().unwrap(),
                m["state"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "status finishing",
            "evaluation ",
            "finished ",
            "status finished"
        ]
    );
    let evaluation = messages.iter().find(|m| m["type"] == "evaluation").unwrap();
    assert_eq!(evaluation["games"], 20);
    assert_eq!(evaluation["policy"], "greedy policy");
    let finished = messages.iter().find(|m| m["type"] == "finished").unwrap();
    assert_eq!(finished["reason"], "budget_spent");
    // Live timing while training: shares of the interval's self time.
    let timing: Vec<&Value> = messages.iter().filter(|m| m["type"] == "timing").collect();
    assert!(
        !timing.is_empty(),
        "no timing message in a 2.4 s run sampled every 0.2 s"
    );
    let last = timing.last().unwrap();
    assert_eq!(last["mode"], "full");
    let operations = last["operations"].as_array().unwrap();
    assert!(
        operations
            .iter()
            .any(|o| o["operation"] == "parallel_training")
    );
    let shares: f64 = operations
        .iter()
        .map(|o| o["share"].as_f64().unwrap())
        .sum();
    assert!(shares == 0.0 || (shares - 1.0).abs() < 1e-9, "{shares}");
}

#[test]
fn a_client_that_never_reads_holds_nothing_up() {
    let _turn = training_turn();
    // Queues long enough for a reading client to ride out a few hundred milliseconds
    // without the CPU, short beside the run's 300 iterations.
    let served = Served::start(|options| {
        options.client_queue = 128;
        options.send_buffer_bytes = Some(4096);
        options.stall_timeout = Duration::from_secs(600);
    });
    let addr = served.addr();
    runtime().block_on(async {
        let mut stalled = connect_small(addr).await;
        let mut reader = connect(addr, "").await;
        let hello = next_message(&mut reader).await.unwrap();
        assert_eq!(hello["type"], "hello");
        served.wait_status("two clients", |s| s["clients"]["connected"] == 2);
        let started = post_run(addr, &tiny(json!({"updates": 300, "envs": 8, "steps": 16})));
        assert_eq!(started.status, 202, "{}", started.body);
        let messages = read_to_the_end(&mut reader).await;
        // The run ended while the stalled client was still connected, its queue full: the
        // run never waited for it.
        let status = served.status();
        assert_eq!(status["finished"]["reason"], "budget_spent");
        assert_eq!(status["clients"]["connected"], 2);
        assert_eq!(status["clients"]["disconnected_stalled"], 0);
        assert!(
            status["clients"]["dropped_messages"].as_u64().unwrap() > 0,
            "{status:#}"
        );
        // The reading client lost nothing.
        let iterations = messages.iter().filter(|m| m["type"] == "iteration").count();
        assert_eq!(iterations, 300);
        assert!(messages.iter().all(|m| m.get("dropped").is_none()));
        assert_eq!(metrics_lines(&served.log_dir()).len(), 300);
        drop(stalled.close(None));
    });
}

#[test]
fn a_slow_client_is_told_what_it_missed_and_a_stalled_one_is_disconnected() {
    let _turn = training_turn();
    let served = Served::start(|options| {
        options.client_queue = 4;
        options.send_buffer_bytes = Some(4096);
        options.stall_timeout = Duration::from_secs(3);
    });
    let addr = served.addr();
    runtime().block_on(async {
        let _stalled = connect_small(addr).await;
        let mut slow = connect_small(addr).await;
        let hello = next_message(&mut slow).await.unwrap();
        let started = post_run(addr, &tiny(json!({"minutes": 0.08})));
        assert_eq!(started.status, 202, "{}", started.body);
        served.wait_status("training", |s| {
            s["latest"]["iteration"].as_u64() >= Some(20)
        });
        // Not reading for a while: the socket and the queue fill, later messages are dropped.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let messages = read_to_the_end(&mut slow).await;
        // Every message either arrived or was counted: the `dropped` a message carries is
        // exactly the gap in seq before it.
        let mut seq = hello["seq"].as_u64().unwrap();
        let mut dropped = 0;
        for message in &messages {
            let gap = message["seq"].as_u64().unwrap() - seq - 1;
            assert_eq!(message["dropped"].as_u64().unwrap_or(0), gap, "{message}");
            dropped += gap;
            seq = message["seq"].as_u64().unwrap();
        }
        assert!(dropped > 0, "the slow client missed nothing in 1.5 s");
        let status = served.wait_status("the stalled client disconnected", |s| {
            s["clients"]["disconnected_stalled"] == 1
        });
        assert_eq!(status["clients"]["connected"], 1);
        assert!(status["clients"]["dropped_messages"].as_u64().unwrap() >= dropped);
        assert_eq!(status["finished"]["reason"], "budget_spent");
    });
}

#[test]
fn the_token_is_needed_everywhere_when_remote_access_is_allowed() {
    let served = Served::start(|options| options.allow_remote = true);
    let addr = served.addr();
    let token = served.dashboard.token().unwrap().to_string();
    assert_eq!(token.len(), 32);
    // One digit off.
    let wrong = format!(
        "{}{}",
        if token.starts_with('0') { '1' } else { '0' },
        &token[1..]
    );
    assert_eq!(
        served.dashboard.url(),
        format!("http://{addr}/?token={token}")
    );
    for path in [
        "/",
        "/api/status",
        "/api/runs",
        "/runs/latest/report.html",
        "/nowhere",
    ] {
        let answer = http(addr, "GET", path, &[], "");
        assert_eq!(answer.status, 401, "{path}");
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("this dashboard needs its token")
        );
        assert_eq!(
            http(addr, "GET", &format!("{path}?token={wrong}"), &[], "").status,
            401
        );
    }
    assert_eq!(http(addr, "POST", "/api/runs", &[], "{}").status, 401);
    assert_eq!(http(addr, "POST", "/api/stop", &[], "").status, 401);
    assert_eq!(
        http(addr, "GET", &format!("/?token={token}"), &[], "").status,
        200
    );
    let bearer = format!("Bearer {token}");
    assert_eq!(
        http(
            addr,
            "GET",
            "/api/status",
            &[("Authorization", &bearer)],
            ""
        )
        .status,
        200
    );
    // With the token, another machine's host name is fine; a foreign page still is not.
    let host = ("Host", "buildbox:8050");
    assert_eq!(
        http(
            addr,
            "GET",
            "/api/status",
            &[host, ("Authorization", &bearer)],
            ""
        )
        .status,
        200
    );
    let foreign = http(
        addr,
        "POST",
        &format!("/api/runs?token={token}"),
        &[host, ("Origin", "http://evil.example")],
        "{}",
    );
    assert_eq!(foreign.status, 403);
    let own = http(
        addr,
        "POST",
        &format!("/api/runs?token={token}"),
        &[host, ("Origin", "http://buildbox:8050")],
        r#"{"updates": 0}"#,
    );
    assert_eq!(own.status, 400, "{}", own.body);
    runtime().block_on(async {
        let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await;
        assert!(
            matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
            "{refused:?}"
        );
        let mut request = format!("ws://{addr}/ws?token={token}").into_client_request().unwrap();
        request.headers_mut().insert("Origin", "http://evil.example".parse().unwrap());
        let refused = tokio_tungstenite::connect_async(request).await;
        assert!(
            matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
            "{refused:?}"
        );
        let mut socket = connect(addr, &format!("?token={token}")).await;
        assert_eq!(next_message(&mut socket).await.unwrap()["type"], "hello");
    });
}

#[test]
fn on_loopback_foreign_pages_and_rebound_host_names_are_refused() {
    let served = Served::start(|_| {});
    let addr = served.addr();
    assert_eq!(served.dashboard.token(), None);
    assert_eq!(served.dashboard.url(), format!("http://{addr}/"));
    assert_eq!(http(addr, "GET", "/api/status", &[], "").status, 200);
    let own_origin = format!("http://{addr}");
    let own = http(
        addr,
        "POST",
        "/api/runs",
        &[("Origin", &own_origin)],
        r#"{"updates": 0}"#,
    );
    assert_eq!(own.status, 400);
    let foreign = http(
        addr,
        "POST",
        "/api/runs",
        &[("Origin", "http://evil.example")],
        r#"{"updates": 1}"#,
    );
    assert_eq!(foreign.status, 403);
    assert_eq!(
        foreign.json()["error"],
        "requests from the page at http://evil.example may not control this dashboard: open the dashboard itself"
    );
    assert_eq!(
        http(addr, "POST", "/api/stop", &[("Origin", "null")], "").status,
        403
    );
    // DNS rebinding: a page of another site whose name now resolves to 127.0.0.1.
    let rebound = http(
        addr,
        "GET",
        "/api/status",
        &[("Host", "evil.example:8050")],
        "",
    );
    assert_eq!(rebound.status, 403);
    runtime().block_on(async {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        request.headers_mut().insert("Origin", "http://evil.example".parse().unwrap());
        let refused = tokio_tungstenite::connect_async(request).await;
        assert!(
            matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
            "{refused:?}"
        );
    });
    assert_eq!(served.status()["state"], "idle");
}

#[test]
fn bad_requests_and_vanishing_clients_cost_the_run_nothing() {
    let _turn = training_turn();
    let served = Served::start(|options| options.max_request_bytes = 1024);
    let addr = served.addr();
    runtime().block_on(async {
        let mut watcher = connect(addr, "").await;
        next_message(&mut watcher).await.unwrap();
        let started = post_run(addr, &tiny(json!({"updates": 150})));
        assert_eq!(started.status, 202, "{}", started.body);
        // Not HTTP at all; a path that is not there; a method the path does not take.
        assert!(raw(addr, b"GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
        let missing = http(addr, "GET", "/api/nothing", &[], "");
        assert_eq!(
            (missing.status, missing.json()),
            (404, json!({"error": "no such path: /api/nothing"}))
        );
        assert_eq!(http(addr, "DELETE", "/api/runs", &[], "").status, 405);
        assert_eq!(
            http(addr, "GET", "/runs/../../etc/passwd", &[], "").status,
            404
        );
        assert_eq!(
            http(addr, "GET", "/runs/latest/ppo_training_timing.log", &[], "").status,
            404
        );
        // A message over the limit closes that client only.
        let mut oversized = connect(addr, "").await;
        next_message(&mut oversized).await.unwrap();
        oversized
            .send(Message::text("x".repeat(4096)))
            .await
            .unwrap();
        while next_message(&mut oversized).await.is_some() {}
        // A client that vanishes in the middle of a frame: a header promising 100 bytes,
        // 3 sent.
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(
            format!(
                "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
        half.write_all(&[0x81, 0xE4, 1, 2, 3, 4, b'a', b'b', b'c'])
            .unwrap();
        drop(half);
        let messages = read_to_the_end(&mut watcher).await;
        let iterations = messages.iter().filter(|m| m["type"] == "iteration").count();
        assert_eq!(iterations, 150);
        assert_eq!(metrics_lines(&served.log_dir()).len(), 150);
        assert_eq!(served.status()["finished"]["reason"], "budget_spent");
    });
}

#[test]
fn the_history_of_runs_and_their_reports_are_served() {
    let _turn = training_turn();
    let served = Served::start(|options| options.base_settings.report = true);
    let addr = served.addr();
    let mut ids = Vec::new();
    for updates in [3, 2] {
        let started = post_run(addr, &tiny(json!({ "updates": updates })));
        assert_eq!(started.status, 202, "{}", started.body);
        let status = served.wait_finished();
        let id = status["run_id"]
            .as_str()
            .expect("the run's id, from its manifest")
            .to_string();
        assert_eq!(status["finished"]["run_id"], id.as_str());
        assert_eq!(
            status["finished"]["report"].as_str(),
            Some(format!("/runs/{id}/report.html").as_str())
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
    // Newest first: the latest at the top of the log directory, the first kept under runs/.
    let listing = http(addr, "GET", "/api/runs", &[], "").json();
    let runs = listing["runs"].as_array().unwrap();
    let listed: Vec<(&str, bool)> = runs
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["latest"].as_bool().unwrap()))
        .collect();
    assert_eq!(listed, [(ids[1].as_str(), true), (ids[0].as_str(), false)]);
    assert_eq!(
        runs[1]["dir"],
        json!(served.log_dir().join("runs").join(&ids[0]))
    );
    for (run, updates) in runs.iter().zip([2, 3]) {
        assert_eq!(run["settings"]["schedule"]["budget"]["updates"], updates);
        assert!(
            run["started_at"].is_string() && run["duration_s"].is_number(),
            "{run}"
        );
        let report = run["report"].as_str().unwrap();
        let page = http(addr, "GET", report, &[], "");
        assert_eq!(page.status, 200, "{report}");
        assert!(
            page.headers
                .contains("content-type: text/html; charset=utf-8")
        );
        assert!(page.body.contains("<html"));
        let metrics = http(
            addr,
            "GET",
            &report.replace("report.html", "metrics.jsonl"),
            &[],
            "",
        );
        assert_eq!(metrics.status, 200);
        assert_eq!(metrics.body.lines().count(), updates);
        let manifest = http(
            addr,
            "GET",
            &report.replace("report.html", "run.json"),
            &[],
            "",
        );
        assert_eq!(manifest.json()["id"], run["id"]);
    }
    assert_eq!(
        http(addr, "GET", "/runs/20990101T000000Z/report.html", &[], "").status,
        404
    );
}

#[test]
fn the_page_is_served_whole() {
    let served = Served::start(|_| {});
    let page = http(served.addr(), "GET", "/", &[], "");
    assert_eq!(page.status, 200);
    assert!(
        page.headers
            .contains("content-type: text/html; charset=utf-8")
    );
    assert!(page.body.contains("data-metric=\"score_avg_100\""));
    assert!(page.body.contains("new WebSocket("));
}
