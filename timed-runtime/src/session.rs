//! A recording session, from `Config::init` to the drop of its `Session`: starting it (the files,
//! the shared state, the background writer), the handle that ends it, and the writer thread.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::clock::{self, ClockKind, Epoch};
use crate::config::Config;
use crate::error::{Error, ErrorChain};
use crate::hooks;
use crate::output::Output;
use crate::shared::{self, SessionShared};
use crate::site::site_table;
use crate::state::{self, Mode};
use crate::writer::{OpenOutput, Writer};

/// Generations of sessions in this process, counting from 1.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

impl Config {
    /// Starts recording. Fails if a session is live, if the directory or a file cannot be
    /// created (the error names the path), or if an override variable is malformed.
    pub fn init(self) -> Result<Session, Error> {
        start(self.with_env_overrides()?)
    }
}

/// The live recording session. Dropping it stops recording and writes everything recorded:
/// the logs' last rows and the summaries.
#[must_use = "recording stops when the Session is dropped"]
pub struct Session {
    shared: Arc<SessionShared>,
    writer: Option<JoinHandle<()>>,
    finished: bool,
}

impl Session {
    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Which clock the guards read.
    pub fn clock(&self) -> ClockKind {
        self.shared.clock
    }

    /// Writes every row recorded so far, and the summaries, before returning.
    pub fn flush(&self) -> Result<(), Error> {
        self.shared.flush()
    }

    /// The log file of `component` (`None` if it has none in this session).
    pub fn log_path(&self, component: &str) -> Option<PathBuf> {
        self.output_path(component, |output| output.log_path.clone())
    }

    /// The summary file of `component`.
    pub fn summary_path(&self, component: &str) -> Option<PathBuf> {
        self.output_path(component, |output| output.summary_path.clone())
    }

    fn output_path(&self, component: &str, path: impl Fn(&Output) -> PathBuf) -> Option<PathBuf> {
        let writer = self.shared.lock_writer();
        writer
            .outputs
            .iter()
            .find(|output| output.component == component)
            .map(path)
    }

    /// Rows that could not be written because a write failed (a full or failing disk).
    pub fn rows_lost(&self) -> u64 {
        let writer = self.shared.lock_writer();
        writer.outputs.iter().map(|output| output.rows_lost).sum()
    }

    /// Stops recording and writes everything, returning the first write error if any.
    pub fn finish(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        if std::mem::replace(&mut self.finished, true) {
            return Ok(());
        }
        let shared = &self.shared;
        state::retire(shared.generation);
        shared.stop.store(true, Ordering::Release);
        if let Some(writer_thread) = self.writer.take() {
            shared.wake_writer();
            let _ = writer_thread.join();
        }
        let result = shared.flush_last();
        for problem in shared.write_problems() {
            eprintln!("timed-runtime: {problem}");
        }
        let mut current = shared::lock_current();
        if current
            .as_ref()
            .is_some_and(|live| Arc::ptr_eq(live, shared))
        {
            *current = None;
        }
        result
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            eprintln!("timed-runtime: {}", ErrorChain(&error));
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("mode", &self.shared.mode)
            .field("dir", &self.shared.dir)
            .field("clock", &self.shared.clock)
            .finish()
    }
}

fn start(config: Config) -> Result<Session, Error> {
    let mut current = shared::lock_current();
    if current.is_some() {
        return Err(Error::AlreadyInitialized);
    }
    let clock = clock::calibrate(config.clock);
    hooks::install();
    let outputs = if config.mode == Mode::Off {
        Vec::new()
    } else {
        std::fs::create_dir_all(&config.dir).map_err(|source| Error::CreateDir {
            path: config.dir.clone(),
            source,
        })?;
        open_outputs(&config)?
    };
    #[allow(unused_mut)]
    let mut writer = Writer::new(outputs, output_opener(&config), Epoch::now());
    #[cfg(feature = "otlp")]
    if let Some(otlp) = config.otlp_settings()?
        && config.mode == Mode::Full
    {
        let consumer = crate::otlp::OtlpConsumer::start(&otlp).map_err(Error::SpawnExporter)?;
        writer.export_to(consumer);
    }
    let generation = GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1;
    let shared = Arc::new(SessionShared::new(
        generation,
        config.mode,
        clock,
        config.dir.clone(),
        config.flush_interval,
        writer,
    ));
    let writer_thread = if config.mode == Mode::Off {
        None
    } else {
        let background = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("timed-writer".into())
            .spawn(move || run_writer(background))
            .map_err(Error::SpawnWriter)?;
        shared.set_writer_thread(handle.thread().clone());
        // Summaries exist (every site at count 0) from the start.
        shared.flush()?;
        Some(handle)
    };
    *current = Some(Arc::clone(&shared));
    state::publish(generation, config.mode);
    Ok(Session {
        shared,
        writer: writer_thread,
        finished: false,
    })
}

/// One log per component: every component that has a site, and every one the configuration
/// names.
fn open_outputs(config: &Config) -> Result<Vec<Output>, Error> {
    let components: BTreeSet<&str> = site_table()
        .iter()
        .map(|site| site.component())
        .chain(config.stems.keys().map(String::as_str))
        .collect();
    components
        .into_iter()
        .map(|component| {
            let (log_path, summary_path) = config.output_paths(component)?;
            Output::open(component, log_path, summary_path, config.append)
        })
        .collect()
}

/// Opens the log of a component first met while recording, as `open_outputs` would have.
fn output_opener(config: &Config) -> OpenOutput {
    let config = config.clone();
    Box::new(move |component| {
        let opened = config
            .output_paths(component)
            .and_then(|(log_path, summary_path)| {
                Output::open(component, log_path, summary_path, config.append)
            });
        opened.unwrap_or_else(|error| Output::failed(component, &config.dir, &error))
    })
}

/// The background writer: drains when woken (a producer's ring is a quarter full, a thread
/// exited, a call panicked) and at least every flush interval.
fn run_writer(shared: Arc<SessionShared>) {
    let mut last_summary = Instant::now();
    while !shared.stop.load(Ordering::Acquire) {
        std::thread::park_timeout(shared.flush_interval);
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let cycle = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut writer = shared.lock_writer();
            let due = last_summary.elapsed() >= shared.flush_interval;
            let with_summaries = due && writer.changed;
            // Failures are counted in the outputs, reported by `finish` and the summaries.
            let _ = shared.flush_locked(&mut writer, with_summaries);
            if with_summaries {
                last_summary = Instant::now();
            }
        }));
        if cycle.is_err() {
            // A bug in the writer must not leave producers waiting on full rings forever.
            shared.accepting.store(false, Ordering::Release);
            eprintln!("timed-runtime: the background writer stopped after an internal error");
            return;
        }
    }
}
