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
use crate::run;
use crate::runs::KeptRun;
use crate::shared::{self, RunRecord, SessionShared};
use crate::site::site_table;
use crate::state::{self, Mode};
use crate::writer::{OpenOutput, Writer};

/// Generations of sessions in this process, counting from 1.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

impl Config {
    /// Starts recording, as a new run: the earlier run at the top of the directory (the files
    /// its `run.json` lists, or without one the files that look like a run's) is first moved
    /// into `runs/<its id>/`, then this run's logs and `run.json` are created. In mode `off` no
    /// file is touched unless the configuration declares run files of its own. Fails if a
    /// session is live, if a directory or a file cannot be created or moved (the error names
    /// the paths), if an override variable is malformed, or if a run file or metadata value
    /// is refused.
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
    kept: Option<KeptRun>,
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

    /// The run's id: its UTC start second, `YYYYMMDDTHHMMSSZ`, with `-2`, `-3`, ... when a
    /// run of the directory already has it.
    pub fn run_id(&self) -> &str {
        &self.shared.run_id
    }

    /// The run's manifest, `<dir>/run.json` (`None` when the session writes no file).
    pub fn manifest_path(&self) -> Option<&Path> {
        self.shared.manifest_path()
    }

    /// The earlier run this session moved out of the top of the directory, if there was one.
    pub fn previous_run(&self) -> Option<&KeptRun> {
        self.kept.as_ref()
    }

    /// Attaches `value`, as JSON, under `key` in the run's `metadata` (replacing the key's
    /// earlier value): written into the manifest and the summaries at the next flush and at
    /// the end.
    pub fn metadata(
        &self,
        key: impl Into<String>,
        value: impl serde::Serialize,
    ) -> Result<(), Error> {
        set_metadata_of(&self.shared, key.into(), value)
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

/// Sets a metadata value of `shared`'s run: what `Session::metadata` and
/// `timed_runtime::set_metadata` do.
pub(crate) fn set_metadata_of(
    shared: &SessionShared,
    key: String,
    value: impl serde::Serialize,
) -> Result<(), Error> {
    let value = serde_json::to_value(value).map_err(|error| Error::Metadata {
        key: key.clone(),
        problem: error.to_string(),
    })?;
    shared.set_metadata(key, value);
    Ok(())
}

fn start(config: Config) -> Result<Session, Error> {
    let mut current = shared::lock_current();
    if current.is_some() {
        return Err(Error::AlreadyInitialized);
    }
    let clock = clock::calibrate(config.clock);
    hooks::install();
    let paths = if config.mode == Mode::Off {
        Vec::new()
    } else {
        output_paths(&config)?
    };
    let own_files = paths
        .iter()
        .flat_map(|(_, log, summary)| [log, summary])
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let run = run::begin(&config, clock, own_files)?;
    if let Some(facts) = &run.manifest {
        facts.write(&run.metadata, None, &[])?;
    }
    let outputs = paths
        .into_iter()
        .map(|(component, log_path, summary_path)| {
            Output::open(component, log_path, summary_path, config.append)
        })
        .collect::<Result<Vec<_>, _>>()?;
    #[allow(unused_mut)]
    let mut writer = Writer::new(
        outputs,
        output_opener(&config),
        Epoch::now(),
        config.mode == Mode::Full,
    );
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
        RunRecord {
            id: run.id,
            manifest: run.manifest,
            metadata: run.metadata,
        },
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
        kept: run.kept,
        finished: false,
    })
}

/// One log and one summary per component: every component that has a site, and every one the
/// configuration names.
fn output_paths(config: &Config) -> Result<Vec<(&str, PathBuf, PathBuf)>, Error> {
    let components: BTreeSet<&str> = site_table()
        .iter()
        .map(|site| site.component())
        .chain(config.stems.keys().map(String::as_str))
        .collect();
    components
        .into_iter()
        .map(|component| {
            let (log_path, summary_path) = config.output_paths(component)?;
            Ok((component, log_path, summary_path))
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
            let with_summaries =
                due && (writer.changed || shared.metadata_changed.load(Ordering::Acquire));
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
