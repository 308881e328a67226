//! `cargo bench -p timed-runtime --bench rows`: what the hand-written CSV row writer
//! (`src/row.rs`) saves the writer thread per row, against writing the same rows with `write!`
//! and with the `csv` crate. All three produce the same bytes (checked before anything is
//! measured); each keeps what can be kept across rows (escaped site names, the date and time of
//! the current second), so what differs is the writing of each row.
//!
//! Prints the median of `BENCH_REPEATS` (default 7) repeats of `BENCH_ROWS` (default 1,000,000)
//! rows, in ns per row. Without `--bench` (`cargo test --benches`), one small pass of each.
//!
//! Instructions per row, a figure a busy machine does not move: run the binary under callgrind
//! and read the inclusive cost of each `write_*` function, divided by the rows:
//!
//! ```text
//! cargo bench -p timed-runtime --bench rows --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/rows.out target/release/deps/rows-<hash> 100000
//! callgrind_annotate --inclusive=yes /tmp/rows.out | grep 'rows::write_'
//! ```

#[allow(dead_code, unused_imports)]
#[path = "../src/digits.rs"]
mod digits;
#[allow(dead_code, unused_imports)]
#[path = "../src/row.rs"]
mod row;
#[allow(dead_code, unused_imports)]
#[path = "../src/timestamp.rs"]
mod timestamp;

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::time::Instant;

use row::{Row, SiteText, StatusText};
use timestamp::TimestampFormatter;

/// One call as the writer sees it.
struct Call {
    site: usize,
    end_unix_ns: u64,
    duration_ns: u64,
    self_ns: u64,
    start_ns: u64,
    thread: u32,
    call_id: u64,
    parent_id: u64,
    details: Option<&'static str>,
    status: &'static str,
}

const SITES: [(&str, &str, &str); 3] = [
    ("update_policy", "training", "ppo_trainer"),
    ("batch_forward", "rollout", "ppo_trainer"),
    ("save, then prune", "checkpoint \"io\"", "training_manager"),
];

const DETAILS: [&str; 3] = [
    "updates=8, policy_loss=0.1234",
    "path=checkpoints/latest.ckpt",
    "note=said \"done\"",
];

/// Rows shaped like the trainer's: mostly short calls from a few threads, some with details,
/// a few panicked or cancelled. A fixed generator: every run formats the same rows.
fn calls(n: usize) -> Vec<Call> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut end = 1_764_040_532_123_456_789u64;
    (0..n)
        .map(|i| {
            let random = next();
            let duration_ns = random % 2_000_000 + (random >> 40) % 300;
            end += random % 50_000;
            Call {
                site: i % SITES.len(),
                end_unix_ns: end,
                duration_ns,
                self_ns: duration_ns - duration_ns / 3,
                start_ns: end - 1_764_040_000_000_000_000 - duration_ns,
                thread: (random % 4) as u32 + 1,
                call_id: i as u64 + 1,
                parent_id: if i % 5 == 0 { 0 } else { i as u64 / 5 * 5 + 1 },
                details: (i % 8 == 0).then(|| DETAILS[i / 8 % DETAILS.len()]),
                status: match i % 97 {
                    0 => "panicked",
                    1 => "cancelled",
                    _ => "ok",
                },
            }
        })
        .collect()
}

fn status_text(status: &str) -> &'static StatusText {
    match status {
        "panicked" => &row::PANICKED,
        "cancelled" => &row::CANCELLED,
        _ => &row::OK,
    }
}

#[inline(never)]
fn write_ours(calls: &[Call], out: &mut Vec<u8>) {
    let sites: Vec<SiteText> = SITES
        .iter()
        .map(|(operation, phase, component)| SiteText::new(operation, phase, component))
        .collect();
    let mut timestamps = TimestampFormatter::new();
    let mut details = Vec::new();
    for call in calls {
        details.clear();
        if let Some(text) = call.details {
            row::push_field(&mut details, text);
        }
        Row {
            end_unix_ns: call.end_unix_ns,
            site: &sites[call.site],
            duration_ns: call.duration_ns,
            details: &details,
            thread: call.thread,
            call_id: call.call_id,
            parent_id: call.parent_id,
            self_ns: call.self_ns,
            start_ns: call.start_ns,
            status: status_text(call.status),
        }
        .write(&mut timestamps, out);
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of the current second, recomputed when the second changes.
struct Seconds {
    second: u64,
    text: String,
}

impl Seconds {
    fn new() -> Seconds {
        Seconds {
            second: u64::MAX,
            text: String::new(),
        }
    }

    fn of(&mut self, unix_ns: u64) -> &str {
        let second = unix_ns / 1_000_000_000;
        if second != self.second {
            self.second = second;
            let full = TimestampFormatter::new().format(second * 1_000_000_000);
            self.text = full[..19].to_owned();
        }
        &self.text
    }
}

fn escaped(text: &str) -> String {
    let mut out = Vec::new();
    row::push_field(&mut out, text);
    String::from_utf8(out).unwrap()
}

#[inline(never)]
fn write_std_fmt(calls: &[Call], out: &mut Vec<u8>) {
    let sites: Vec<(String, String)> = SITES
        .iter()
        .map(|(operation, phase, component)| {
            (
                format!("{},{}", escaped(operation), escaped(phase)),
                escaped(component),
            )
        })
        .collect();
    let mut seconds = Seconds::new();
    let mut details = String::new();
    for call in calls {
        details.clear();
        if let Some(text) = call.details {
            details.push_str(&escaped(text));
        }
        let (operation_phase, component) = &sites[call.site];
        let parent = if call.parent_id == 0 {
            String::new()
        } else {
            call.parent_id.to_string()
        };
        let _ = writeln!(
            out,
            "{}.{:06}Z,{operation_phase},{}.{:06},{details},{component},{},{},{parent},{}.{:06},{},{}",
            seconds.of(call.end_unix_ns),
            call.end_unix_ns / 1_000 % 1_000_000,
            call.duration_ns / 1_000_000,
            call.duration_ns % 1_000_000,
            call.thread,
            call.call_id,
            call.self_ns / 1_000_000,
            call.self_ns % 1_000_000,
            call.start_ns,
            call.status,
        );
    }
}

/// Milliseconds with six decimals, as a field `csv` writes (and quotes if needed) itself.
struct Ms(u64);

impl serde::Serialize for Ms {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = String::with_capacity(28);
        let _ = write!(text, "{}.{:06}", self.0 / 1_000_000, self.0 % 1_000_000);
        serializer.serialize_str(&text)
    }
}

#[inline(never)]
fn write_csv(calls: &[Call], out: &mut Vec<u8>) {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(std::mem::take(out));
    let mut seconds = Seconds::new();
    let mut timestamp = String::with_capacity(32);
    for call in calls {
        let (operation, phase, component) = SITES[call.site];
        timestamp.clear();
        let _ = write!(
            timestamp,
            "{}.{:06}Z",
            seconds.of(call.end_unix_ns),
            call.end_unix_ns / 1_000 % 1_000_000
        );
        let parent = (call.parent_id != 0).then_some(call.parent_id);
        let _ = writer.serialize((
            &timestamp,
            operation,
            phase,
            Ms(call.duration_ns),
            call.details.unwrap_or(""),
            component,
            call.thread,
            call.call_id,
            parent,
            Ms(call.self_ns),
            call.start_ns,
            call.status,
        ));
    }
    *out = writer.into_inner().unwrap_or_default();
}

type Way = fn(&[Call], &mut Vec<u8>);

const WAYS: [(&str, Way); 3] = [
    ("row.rs (ours)", write_ours),
    ("write!", write_std_fmt),
    ("csv crate", write_csv),
];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let timing = args.iter().any(|arg| arg == "--bench");
    let explicit_rows = args.iter().find_map(|arg| arg.parse::<usize>().ok());
    let rows = explicit_rows.unwrap_or(if timing {
        env_number("BENCH_ROWS", 1_000_000)
    } else {
        10_000
    });
    let repeats = if timing {
        env_number("BENCH_REPEATS", 7).max(1)
    } else {
        1
    };
    let calls = calls(rows);

    let mut reference = Vec::new();
    write_ours(&calls, &mut reference);
    for (name, way) in &WAYS[1..] {
        let mut out = Vec::new();
        way(&calls, &mut out);
        assert!(
            out == reference,
            "{name} writes different bytes:\n{}\nvs ours:\n{}",
            String::from_utf8_lossy(&out[..out.len().min(400)]),
            String::from_utf8_lossy(&reference[..reference.len().min(400)])
        );
    }
    if !timing {
        println!(
            "rows: the three writers agree on {rows} rows ({} bytes); `--bench` to time them",
            reference.len()
        );
        return;
    }

    println!(
        "{rows} rows ({} bytes), median of {repeats} repeats",
        reference.len()
    );
    let mut out = Vec::with_capacity(reference.len() + 4096);
    for (name, way) in WAYS {
        let per_row: Vec<f64> = (0..repeats)
            .map(|_| {
                out.clear();
                let start = Instant::now();
                way(black_box(&calls), &mut out);
                black_box(&out);
                start.elapsed().as_nanos() as f64 / rows as f64
            })
            .collect();
        println!("{name:<16} {:>7.1} ns per row", median(per_row));
    }
}
