//! The live dashboard in a real browser: headless Chromium opens the page, starts a short run
//! from its form (after the server refused a bad field, shown under that field),
//! and the `data-metric` figures advance and equal `metrics.jsonl` for the same iteration, the live
//! timing and the evaluation show up, the report link works, and screenshots are saved (their
//! paths are printed) for a person to look at. (A page that connects mid-run gets the history
//! first: `trainer/tests/dashboard.rs` checks that message by message.)

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::cdp::Browser;
use trainer::dashboard::{Dashboard, DashboardOptions};
use trainer::manager::TrainSettings;

const WIDTH: u32 = 1440;
const HEIGHT: u32 = 1000;
const PATIENCE: Duration = Duration::from_secs(90);

/// Every figure of the page: `data-metric` -> (`data-value`, text shown).
const READ_FIGURES: &str = r#"JSON.stringify(Object.fromEntries(
    [...document.querySelectorAll('[data-metric]')]
        .map(e => [e.dataset.metric, [e.dataset.value ?? '', e.textContent]])))"#;

type Figures = BTreeMap<String, (String, String)>;

async fn figures(browser: &mut Browser) -> Figures {
    let text = browser.evaluate(READ_FIGURES).await.unwrap();
    let map: BTreeMap<String, (String, String)> =
        serde_json::from_str(text.as_str().unwrap()).unwrap();
    map
}

fn number(figures: &Figures, metric: &str) -> Option<f64> {
    figures
        .get(metric)
        .and_then(|(value, _)| value.parse::<f64>().ok())
}

/// Waits until `ready` holds for the page's figures.
async fn wait_for(browser: &mut Browser, what: &str, ready: impl Fn(&Figures) -> bool) -> Figures {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = figures(browser).await;
        if ready(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed {what}: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The `metrics.jsonl` line of `iteration`, as text.
/// Waits until a JavaScript expression gives a non-empty string, and returns it.
async fn wait_for_value(browser: &mut Browser, what: &str, expression: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let value = browser.evaluate(expression).await.unwrap();
        if let Some(text) = value.as_str().filter(|t| !t.is_empty()) {
            return text.to_string();
        }
        assert!(Instant::now() < deadline, "the page never showed {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn metrics_line(log_dir: &Path, iteration: u64) -> String {
    let text = std::fs::read_to_string(log_dir.join("metrics.jsonl")).unwrap();
    let needle = format!("\"iteration\":{iteration},");
    text.lines()
        .find(|line| line.starts_with(&format!("{{{needle}")))
        .unwrap_or_else(|| panic!("metrics.jsonl has no iteration {iteration}"))
        .to_string()
}

/// The number written for `key` in `json` (the first occurrence), read with the standard
/// library's correctly rounded parser: serde_json's default float parsing can be one unit in
/// the last place off, the browser's is not.
fn raw_number(json: &str, key: &str) -> Option<f64> {
    let start = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let text: String = json[start..]
        .chars()
        .take_while(|c| !matches!(c, ',' | '}'))
        .collect();
    text.trim().parse().ok()
}

/// The shown text as a number: digits, sign, point and exponent kept, `%` scaled.
fn shown(text: &str) -> f64 {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | '+'))
        .collect();
    let value: f64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a number"));
    if text.ends_with('%') {
        value / 100.0
    } else {
        value
    }
}

/// The page's figures for one iteration equal that iteration's line of `metrics.jsonl`, and
/// what is shown is that value, rounded as the page rounds it.
fn check_against_metrics(figures: &Figures, log_dir: &Path) -> u64 {
    let iteration = number(figures, "iteration").expect("an iteration on the page") as u64;
    let line = metrics_line(log_dir, iteration);
    let mut checked = 0;
    let exact = [
        "score_avg_100",
        "score_avg_1000",
        "best_score",
        "best_tile",
        "steps_per_s",
        "steps_per_s_overall",
        "env_steps",
        "episodes",
        "learning_rate",
        "reach_window",
        "policy_loss",
        "value_loss",
        "entropy",
        "approx_kl",
        "clip_fraction",
        "elapsed_s",
    ];
    for metric in exact {
        let expected = raw_number(&line, metric);
        assert_eq!(
            number(figures, metric),
            expected,
            "{metric} at iteration {iteration}: page {:?}, metrics.jsonl {line}",
            figures.get(metric),
        );
        checked += 1;
    }
    let reach = &line[line.find("\"reach_rates\":{").expect("reach rates")..];
    let tiles: Value = serde_json::from_str(&line).unwrap();
    for tile in tiles["reach_rates"].as_object().unwrap().keys() {
        let metric = format!("reach_rates.{tile}");
        let rate = raw_number(reach, tile).unwrap();
        assert_eq!(number(figures, &metric), Some(rate), "{metric}");
        let (_, text) = &figures[&metric];
        assert!(
            (shown(text) - rate).abs() <= 0.0005 + 1e-12,
            "{metric}: {text}"
        );
    }
    // Rounded as shown: one decimal for scores, whole steps and counts.
    for (metric, within) in [
        ("score_avg_100", 0.05),
        ("score_avg_1000", 0.05),
        ("steps_per_s", 0.5),
        ("env_steps", 0.5),
        ("episodes", 0.5),
        ("iteration", 0.5),
    ] {
        let (_, text) = &figures[metric];
        let Some(value) = raw_number(&line, metric) else {
            // `null` before any episode has finished.
            assert_eq!(text, "–", "{metric}");
            continue;
        };
        assert!(
            (shown(text) - value).abs() <= within + 1e-9,
            "{metric}: shown {text}, value {value}"
        );
    }
    assert_eq!(checked, exact.len());
    iteration
}

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn the_page_follows_a_run_and_its_figures_are_metrics_jsonls() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("logs");
    let mut options = DashboardOptions::new("127.0.0.1:0".parse().unwrap());
    options.base_settings = TrainSettings {
        log_dir: log_dir.clone(),
        checkpoint_dir: dir.path().join("checkpoints"),
        ..TrainSettings::default()
    };
    let dashboard = Dashboard::start(options).unwrap();
    let url = dashboard.url();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut browser = Browser::launch(WIDTH, HEIGHT).await.unwrap();
        browser.open(&url, WIDTH, HEIGHT).await.unwrap();
        // The page is open (and connected) before the run starts, however long the browser
        // took to start.
        wait_for(&mut browser, "the idle state", |f| {
            f.get("state").is_some_and(|(state, _)| state == "idle")
        })
        .await;
        let connected = Instant::now() + PATIENCE;
        while dashboard.clients().connected == 0 {
            assert!(Instant::now() < connected, "the page never connected");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The run starts from the page's form: first with a hidden size no network can have,
        // which the server refuses naming the field, then as it should be.
        let submit = |hidden: &str| {
            format!(
                r#"(() => {{
                    const form = document.querySelector('#run-form');
                    if (!document.querySelector('#run-dialog').open) document.querySelector('#new-run').click();
                    const set = (name, value) => {{ form.elements[name].value = value; }};
                    set('budget', '0.2'); set('budget_unit', 'minutes'); set('envs', '32');
                    set('steps', '16'); set('threads', '2'); set('hidden', '{hidden}');
                    set('eval_games', '200'); set('timing_mode', 'full');
                    form.requestSubmit();
                    return true;
                }})()"#
            )
        };
        browser.evaluate(&submit("64,0")).await.unwrap();
        let refusal = wait_for_value(
            &mut browser,
            "the refusal under the hidden sizes",
            "document.querySelector('.field-error[data-for~=\"hidden\"]').textContent",
        )
        .await;
        assert_eq!(
            refusal,
            "invalid setting `hidden`: [64, 0] are not layer widths: expected positive integers, e.g. [256, 256]"
        );
        let refused = screenshot_path("dashboard-form-refused.png");
        browser.screenshot(&refused).await.unwrap();
        println!("screenshot of the form's refusal: {}", refused.display());
        assert_eq!(dashboard.clients().connected, 1);
        assert!(!dashboard.is_running());
        browser.evaluate(&submit("64,64")).await.unwrap();
        wait_for_value(
            &mut browser,
            "the dialog closed",
            "document.querySelector('#run-dialog').open ? '' : 'closed'",
        )
        .await;

        let first = wait_for(&mut browser, "an iteration", |f| {
            number(f, "iteration").is_some_and(|i| i >= 1.0)
        })
        .await;
        let first_iteration = check_against_metrics(&first, &log_dir);
        let later = wait_for(&mut browser, "a later iteration and the live timing", |f| {
            number(f, "iteration").is_some_and(|i| i > first_iteration as f64 + 2.0)
                && f.keys().any(|k| k.starts_with("timing.") && k.ends_with(".share"))
                && f.get("state").is_some_and(|(state, _)| state == "training")
        })
        .await;
        let later_iteration = check_against_metrics(&later, &log_dir);
        assert!(later_iteration > first_iteration);
        assert!(number(&later, "env_steps") > number(&first, "env_steps"));
        assert!(number(&later, "elapsed_s") > number(&first, "elapsed_s"));
        // The live timing: each operation's share of the interval's self time, summing to 1.
        let shares: f64 = later
            .iter()
            .filter(|(k, _)| k.starts_with("timing.") && k.ends_with(".share"))
            .map(|(_, (v, _))| v.parse::<f64>().unwrap())
            .sum();
        assert!((shares - 1.0).abs() < 1e-9 || shares == 0.0, "shares sum to {shares}");
        assert!(later.contains_key("timing.training_manager.parallel_training.calls_per_s"));
        let training = screenshot_path("dashboard-training.png");
        browser.screenshot(&training).await.unwrap();
        println!("screenshot while training: {}", training.display());

        let done = wait_for(&mut browser, "the finished run and its evaluation", |f| {
            f.get("state").is_some_and(|(state, _)| state == "finished")
                && number(f, "evaluation.mean_score").is_some()
        })
        .await;
        let status = browser
            .evaluate("fetch('/api/status').then(r => r.json())")
            .await
            .unwrap();
        assert_eq!(status["state"], "finished");
        assert_eq!(status["finished"]["reason"], "budget_spent");
        assert_eq!(
            number(&done, "evaluation.mean_score"),
            status["evaluation"]["mean_score"].as_f64()
        );
        assert_eq!(number(&done, "evaluation.games"), Some(200.0));
        // The last iteration on the page is the run's last line.
        let last = check_against_metrics(&done, &log_dir);
        let lines = std::fs::read_to_string(log_dir.join("metrics.jsonl")).unwrap();
        assert_eq!(lines.lines().count() as u64, last);
        let report = browser
            .evaluate(
                "(async () => { const a = document.querySelector('#result-links a');
                   const r = await fetch(a.href);
                   return [a.textContent, r.status, r.headers.get('content-type'), (await r.text()).length]; })()",
            )
            .await
            .unwrap();
        assert_eq!(report[0], "timing report ↗");
        assert_eq!(report[1], 200);
        assert_eq!(report[2], "text/html; charset=utf-8");
        assert!(report[3].as_u64().unwrap() > 1000);
        let finished = screenshot_path("dashboard-finished.png");
        browser.screenshot(&finished).await.unwrap();
        browser.color_scheme("dark").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let dark = screenshot_path("dashboard-finished-dark.png");
        browser.screenshot(&dark).await.unwrap();
        println!("screenshots after the run: {} and {}", finished.display(), dark.display());
    });
    assert!(dashboard.wait_idle(Duration::from_secs(5)));
    // The run the page started is the one asked for.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(log_dir.join("run.json")).unwrap()).unwrap();
    let config = &manifest["metadata"]["settings"]["config"];
    assert_eq!(
        (&config["num_envs"], &config["num_steps"]),
        (&Value::from(32), &Value::from(16))
    );
    assert_eq!(config["hidden"], serde_json::json!([64, 64]));
}
