//! The timing session of a training run, with the original system's file names, and the list
//! of instrumented sites.

use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::Path;
use timed_runtime::{Config, Mode};

/// What the timing runtime records during a run (`timed_runtime::Mode`, as settings name it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimingMode {
    Off,
    Summary,
    #[default]
    Full,
}

impl From<TimingMode> for Mode {
    fn from(mode: TimingMode) -> Self {
        match mode {
            TimingMode::Off => Mode::Off,
            TimingMode::Summary => Mode::Summary,
            TimingMode::Full => Mode::Full,
        }
    }
}

/// The program and version a run's manifest names.
pub const PROGRAM: &str = "trainer";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const PPO_COMPONENT: &str = "ppo_trainer";
pub const MANAGER_COMPONENT: &str = "training_manager";

/// Records into `dir`: `ppo_training_timing.log`, `ppo_timing_summary.json`,
/// `training_manager_timing.log`, `training_manager_timing_summary.json`, and the run's
/// `run.json` naming the trainer and its version. The `TIMED_*` environment variables still
/// override the mode and directory.
pub fn session_config(mode: Mode, dir: &Path) -> Config {
    Config::new()
        .program(PROGRAM, VERSION)
        .mode(mode)
        .dir(dir)
        .component(PPO_COMPONENT, "ppo_training", "ppo")
        .component(MANAGER_COMPONENT, "training_manager", "training_manager")
}

/// One instrumented function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteRow {
    pub component: &'static str,
    pub name: &'static str,
    pub phase: &'static str,
    pub file: &'static str,
    pub line: u32,
}

/// Every `#[timed]` site linked into this program, by component, name, file and line.
pub fn site_rows() -> Vec<SiteRow> {
    timed_runtime::sites()
        .iter()
        .map(|site| SiteRow {
            component: site.component(),
            name: site.name(),
            phase: site.phase(),
            file: site.file(),
            line: site.line(),
        })
        .collect()
}

/// The sites as an aligned table with a header line.
pub fn format_sites(rows: &[SiteRow]) -> String {
    let width = |header: &str, column: fn(&SiteRow) -> &str| {
        rows.iter()
            .map(|r| column(r).len())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let component = width("component", |r| r.component);
    let name = width("name", |r| r.name);
    let phase = width("phase", |r| r.phase);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<component$}  {:<name$}  {:<phase$}  location",
        "component", "name", "phase"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<component$}  {:<name$}  {:<phase$}  {}:{}",
            r.component, r.name, r.phase, r.file, r.line
        );
    }
    out
}
