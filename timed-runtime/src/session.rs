//! A recording session: from `init` to the drop of its `Session`. It owns the thread registry,
//! the writer state, the background writer thread, and the rules for getting rows to disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::clock::{self, ClockKind, Epoch};
use crate::config::Config;
use crate::error::{Error, ErrorChain};
use crate::hooks;
use crate::site::site_table;
use crate::state::{self, Mode};
use crate::summary;
use crate::thread::ThreadShared;
use crate::writer::WriterState;

pub(crate) struct SessionShared {
    pub generation: u64,
    pub mode: Mode,
    pub epoch: Epoch,
    pub clock: ClockKind,
    pub dir: PathBuf,
    pub flush_interval: Duration,
    pub started: Instant,
    threads: Mutex<Vec<Arc<ThreadShared>>>,
    next_thread_index: AtomicU32,
    /// Call ids are handed to threads in blocks from here; 0 means "no parent".
    pub call_ids: AtomicU64,
    pub writer: Mutex<WriterState>,
    writer_thread: OnceLock<Thread>,
    /// Cleared at shutdown: a producer facing a full ring then gives up instead of waiting for
    /// a writer that will not come.
    pub accepting: AtomicBool,
    stop: AtomicBool,
}

static CURRENT: Mutex<Option<Arc<SessionShared>>> = Mutex::new(None);
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave these structures half-updated in a way that
    // matters more than losing the rows: keep going.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The live session, if any.
pub(crate) fn current() -> Option<Arc<SessionShared>> {
    lock(&CURRENT).clone()
}

/// As `current`, without blocking: for the panic hook and exit handler, which may run while
/// this thread already holds the lock.
pub(crate) fn try_current() -> Option<Arc<SessionShared>> {
    match CURRENT.try_lock() {
        Ok(guard) => guard.clone(),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner().clone(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

impl SessionShared {
    pub(crate) fn register_thread(&self) -> Arc<ThreadShared> {
        let index = self.next_thread_index.fetch_add(1, Ordering::Relaxed);
        let name = std::thread::current().name().map(str::to_owned);
        let thread = Arc::new(ThreadShared::new(
            index,
            name,
            self.mode,
            site_table().len(),
        ));
        lock(&self.threads).push(Arc::clone(&thread));
        thread
    }

    pub(crate) fn threads_snapshot(&self) -> Vec<Arc<ThreadShared>> {
        lock(&self.threads).clone()
    }

    pub(crate) fn forget_thread(&self, thread: &Arc<ThreadShared>) {
        lock(&self.threads).retain(|other| !Arc::ptr_eq(other, thread));
    }

    #[inline]
    pub(crate) fn wake_writer(&self) {
        if let Some(writer) = self.writer_thread.get() {
            writer.unpark();
        }
    }

    pub(crate) fn lock_writer(&self) -> MutexGuard<'_, WriterState> {
        lock(&self.writer)
    }

    /// Drains every thread, writes the logs and, if asked, the summaries.
    pub(crate) fn flush_locked(
        &self,
        writer: &mut WriterState,
        with_summaries: bool,
    ) -> Result<(), Error> {
        writer.drain(self);
        let logs = writer.write_files();
        let summaries = if with_summaries {
            summary::write_summaries(self, writer)
        } else {
            Ok(())
        };
        logs.and(summaries)
    }

    pub(crate) fn flush(&self) -> Result<(), Error> {
        if self.mode == Mode::Off {
            return Ok(());
        }
        let mut writer = self.lock_writer();
        self.flush_locked(&mut writer, true)
    }

    /// Flushes if the writer lock can be had within `patience`: for the panic hook and the
    /// exit handler, where the lock may be held by this very thread.
    pub(crate) fn flush_patiently(&self, patience: Duration, last: bool) {
        if self.mode == Mode::Off {
            return;
        }
        let deadline = Instant::now() + patience;
        loop {
            let guard = match self.writer.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            if let Some(mut writer) = guard {
                let _ = self.flush_locked(&mut writer, true);
                if last {
                    self.accepting.store(false, Ordering::Release);
                    writer.close_files();
                }
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn total_write_problems(&self) -> Vec<String> {
        let writer = self.lock_writer();
        writer
            .outputs
            .iter()
            .filter(|output| output.write_errors > 0)
            .map(|output| {
                format!(
                    "{} rows could not be written to {} ({} failed writes, last: {})",
                    output.rows_lost,
                    output.log_path.display(),
                    output.write_errors,
                    output.last_error.as_deref().unwrap_or("unknown error")
                )
            })
            .collect()
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

    fn output_path(
        &self,
        component: &str,
        path: impl Fn(&crate::writer::Output) -> PathBuf,
    ) -> Option<PathBuf> {
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
        let result = {
            let mut writer = shared.lock_writer();
            let result = if shared.mode == Mode::Off {
                Ok(())
            } else {
                shared.flush_locked(&mut writer, true)
            };
            shared.accepting.store(false, Ordering::Release);
            writer.close_files();
            result
        };
        for problem in shared.total_write_problems() {
            eprintln!("timed-runtime: {problem}");
        }
        let mut current = lock(&CURRENT);
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

pub(crate) fn start(config: Config) -> Result<Session, Error> {
    let mut current = lock(&CURRENT);
    if current.is_some() {
        return Err(Error::AlreadyInitialized);
    }
    let sites = site_table();
    let clock = clock::calibrate(config.clock);
    hooks::install();
    let writer = if config.mode == Mode::Off {
        WriterState::empty()
    } else {
        std::fs::create_dir_all(&config.dir).map_err(|source| Error::CreateDir {
            path: config.dir.clone(),
            source,
        })?;
        WriterState::open(&config, sites)?
    };
    let generation = GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1;
    let shared = Arc::new(SessionShared {
        generation,
        mode: config.mode,
        epoch: Epoch::now(),
        clock,
        dir: config.dir.clone(),
        flush_interval: config.flush_interval,
        started: Instant::now(),
        threads: Mutex::new(Vec::new()),
        next_thread_index: AtomicU32::new(1),
        call_ids: AtomicU64::new(1),
        writer: Mutex::new(writer),
        writer_thread: OnceLock::new(),
        accepting: AtomicBool::new(true),
        stop: AtomicBool::new(false),
    });
    let writer_thread = if config.mode == Mode::Off {
        None
    } else {
        let background = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("timed-writer".into())
            .spawn(move || run_writer(background))
            .map_err(Error::SpawnWriter)?;
        let _ = shared.writer_thread.set(handle.thread().clone());
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
