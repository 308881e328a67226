//! What the recording threads, the writer and the `Session` handle of one session share: the
//! registry of recording threads, the call-id counter, the writer behind its lock, and the rules
//! for getting rows to disk (flush; flush patiently, from a panic hook, an exit handler or a
//! dying thread). The live session is the one in `CURRENT`: a thread joins it with its first
//! recorded call.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::clock::ClockKind;
use crate::error::Error;
use crate::manifest::{Ending, RunFacts};
use crate::output::Output;
use crate::site::{site_count, site_table};
use crate::state::Mode;
use crate::stats::Stats;
use crate::summary::{self, SessionFacts, SummaryInput};
use crate::thread::ThreadShared;
use crate::writer::Writer;

pub(crate) struct SessionShared {
    pub generation: u64,
    pub mode: Mode,
    pub clock: ClockKind,
    pub dir: PathBuf,
    pub flush_interval: Duration,
    started: Instant,
    threads: Mutex<Vec<Arc<ThreadShared>>>,
    next_thread_index: AtomicU32,
    /// Call ids are handed to threads in blocks from here; 0 means "no parent".
    pub call_ids: AtomicU64,
    writer: Mutex<Writer>,
    writer_thread: OnceLock<Thread>,
    /// Cleared at shutdown: a producer facing a full ring then gives up instead of waiting for
    /// a writer that will not come.
    pub accepting: AtomicBool,
    /// Tells the background writer to end.
    pub stop: AtomicBool,
    pub run_id: String,
    /// What the run's manifest says, when the session writes one.
    manifest: Option<RunFacts>,
    metadata: Mutex<BTreeMap<String, Value>>,
    /// Metadata was set since the summaries and the manifest were last written.
    pub metadata_changed: AtomicBool,
}

/// The run a session records: its id, its manifest (if it writes one) and its metadata.
pub(crate) struct RunRecord {
    pub id: String,
    pub manifest: Option<RunFacts>,
    pub metadata: BTreeMap<String, Value>,
}

static CURRENT: Mutex<Option<Arc<SessionShared>>> = Mutex::new(None);

thread_local! {
    /// How many of the runtime's locks this thread holds.
    static LOCKS_HELD: Cell<u32> = const { Cell::new(0) };
}

/// One of the runtime's locks, held by this thread. Code that runs while it is held (the
/// allocator, which may itself call timed functions) must not take a lock of the runtime again,
/// nor wait for the writer: `holds_lock` tells the recorder not to join a session (which locks)
/// or wait for ring space (which the writer frees under its lock) on this thread meanwhile.
pub(crate) struct Locked<'a, T> {
    guard: MutexGuard<'a, T>,
    _held: Held,
}

struct Held;

impl Held {
    fn mark() -> Held {
        let _ = LOCKS_HELD.try_with(|held| held.set(held.get() + 1));
        Held
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = LOCKS_HELD.try_with(|held| held.set(held.get().saturating_sub(1)));
    }
}

/// Whether this thread holds one of the runtime's locks (see `Locked`).
pub(crate) fn holds_lock() -> bool {
    LOCKS_HELD.try_with(|held| held.get() > 0).unwrap_or(true)
}

impl<T> Deref for Locked<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Locked<'_, T> {
    let held = Held::mark();
    // A panic while holding a lock cannot leave these structures half-updated in a way that
    // matters more than losing the rows: keep going.
    let guard = mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Locked { guard, _held: held }
}

fn try_lock<T>(mutex: &Mutex<T>) -> Option<Locked<'_, T>> {
    let held = Held::mark();
    let guard = match mutex.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return None,
    };
    Some(Locked { guard, _held: held })
}

/// The live session, if any.
pub(crate) fn current() -> Option<Arc<SessionShared>> {
    lock(&CURRENT).clone()
}

/// As `current`, without blocking: for the panic hook and exit handler, which may run while
/// this thread already holds the lock.
pub(crate) fn try_current() -> Option<Arc<SessionShared>> {
    try_lock(&CURRENT).and_then(|current| current.clone())
}

/// The slot of the live session, held by a session starting (so two cannot) or ending.
pub(crate) fn lock_current() -> Locked<'static, Option<Arc<SessionShared>>> {
    lock(&CURRENT)
}

impl SessionShared {
    pub(crate) fn new(
        generation: u64,
        mode: Mode,
        clock: ClockKind,
        dir: PathBuf,
        flush_interval: Duration,
        writer: Writer,
        run: RunRecord,
    ) -> SessionShared {
        SessionShared {
            generation,
            mode,
            clock,
            dir,
            flush_interval,
            started: Instant::now(),
            threads: Mutex::new(Vec::new()),
            next_thread_index: AtomicU32::new(1),
            call_ids: AtomicU64::new(1),
            writer: Mutex::new(writer),
            writer_thread: OnceLock::new(),
            accepting: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            run_id: run.id,
            manifest: run.manifest,
            metadata: Mutex::new(run.metadata),
            metadata_changed: AtomicBool::new(false),
        }
    }

    /// The run's manifest file, if the session writes one.
    pub(crate) fn manifest_path(&self) -> Option<&std::path::Path> {
        self.manifest.as_ref().map(|facts| facts.path.as_path())
    }

    /// Sets a metadata value, written with the next summaries and manifest.
    pub(crate) fn set_metadata(&self, key: String, value: Value) {
        lock(&self.metadata).insert(key, value);
        self.metadata_changed.store(true, Ordering::Release);
    }

    fn metadata(&self) -> BTreeMap<String, Value> {
        self.metadata_changed.store(false, Ordering::Release);
        lock(&self.metadata).clone()
    }

    /// Rewrites the manifest, saying the run ended now when `ended`; `outputs` are the logs
    /// and summaries open now, some of which may have been created after the start.
    fn write_manifest(
        &self,
        metadata: &BTreeMap<String, Value>,
        ended: bool,
        outputs: &[Output],
    ) -> Result<(), Error> {
        let Some(facts) = &self.manifest else {
            return Ok(());
        };
        let ending = ended.then(|| Ending::now(facts, unix_now_ns()));
        let files: Vec<String> = outputs
            .iter()
            .flat_map(|output| [&output.log_path, &output.summary_path])
            .filter_map(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        facts.write(metadata, ending.as_ref(), &files)
    }

    /// Adds the calling thread to the session: its rings, which the writer drains from now on.
    pub(crate) fn register_thread(&self) -> Arc<ThreadShared> {
        let index = self.next_thread_index.fetch_add(1, Ordering::Relaxed);
        let name = std::thread::current().name().map(str::to_owned);
        let thread = Arc::new(ThreadShared::new(index, name, self.mode));
        lock(&self.threads).push(Arc::clone(&thread));
        thread
    }

    fn threads(&self) -> Vec<Arc<ThreadShared>> {
        lock(&self.threads).clone()
    }

    /// The background writer, woken by producers.
    pub(crate) fn set_writer_thread(&self, thread: Thread) {
        let _ = self.writer_thread.set(thread);
    }

    #[inline]
    pub(crate) fn wake_writer(&self) {
        if let Some(writer) = self.writer_thread.get() {
            writer.unpark();
        }
    }

    pub(crate) fn lock_writer(&self) -> Locked<'_, Writer> {
        lock(&self.writer)
    }

    /// Drains every thread, writes the logs and, if asked, the summaries and the manifest.
    pub(crate) fn flush_locked(
        &self,
        writer: &mut Writer,
        with_summaries: bool,
    ) -> Result<(), Error> {
        let exited = writer.drain(&self.threads());
        if !exited.is_empty() {
            lock(&self.threads)
                .retain(|thread| !exited.iter().any(|gone| Arc::ptr_eq(gone, thread)));
        }
        let logs = writer
            .write_files()
            .map_err(|(path, source)| Error::Write { path, source });
        let summaries = if with_summaries {
            self.write_summaries(writer, false)
        } else {
            Ok(())
        };
        logs.and(summaries)
    }

    /// Writes the summaries, then the manifest (saying the run ended when `ended`).
    fn write_summaries(&self, writer: &mut Writer, ended: bool) -> Result<(), Error> {
        let sites = site_table();
        writer.cover(&sites);
        let stats = writer.stats(sites.len());
        let metadata = self.metadata();
        let facts = SessionFacts {
            mode: self.mode,
            clock: self.clock,
            elapsed: self.started.elapsed(),
            now_unix_ns: unix_now_ns(),
            otlp: writer.otlp_counts(),
        };
        let written = summary::write_summaries(&SummaryInput {
            facts,
            run_id: &self.run_id,
            metadata: &metadata,
            sites: &sites,
            stats: &stats,
            outputs: &writer.outputs,
            thread_names: &writer.thread_names,
        });
        writer.changed = false;
        written.and(self.write_manifest(&metadata, ended, &writer.outputs))
    }

    /// Every site's statistics, after taking in everything recorded so far (which also writes
    /// pending rows), by site index.
    pub(crate) fn statistics(&self) -> Vec<Stats> {
        let mut writer = self.lock_writer();
        if self.mode != Mode::Off {
            // A failed write is counted in its output and reported by the next flush.
            let _ = self.flush_locked(&mut writer, false);
        }
        writer.stats(site_count())
    }

    pub(crate) fn flush(&self) -> Result<(), Error> {
        if self.mode == Mode::Off {
            return self.write_manifest(&self.metadata(), false, &[]);
        }
        let mut writer = self.lock_writer();
        self.flush_locked(&mut writer, true)
    }

    /// Flushes if the writer lock can be had within `patience`: for the panic hook and the
    /// exit handler, where the lock may be held by this very thread. `last` closes the files.
    pub(crate) fn flush_patiently(&self, patience: Duration, last: bool) {
        if self.mode == Mode::Off {
            if last {
                // Best effort on the way out.
                let _ = self.write_manifest(&self.metadata(), true, &[]);
            }
            return;
        }
        let deadline = Instant::now() + patience;
        loop {
            if let Some(mut writer) = try_lock(&self.writer) {
                // Best effort on the way out: failures are counted in the outputs.
                if last {
                    let _ = self.flush_final(&mut writer);
                    self.accepting.store(false, Ordering::Release);
                    writer.close_files();
                } else {
                    let _ = self.flush_locked(&mut writer, true);
                }
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The final flush: everything recorded goes to disk, the manifest says the run ended,
    /// then the files close and producers stop waiting for room.
    pub(crate) fn flush_last(&self) -> Result<(), Error> {
        let mut writer = self.lock_writer();
        let result = if self.mode == Mode::Off {
            self.write_manifest(&self.metadata(), true, &[])
        } else {
            self.flush_final(&mut writer)
        };
        self.accepting.store(false, Ordering::Release);
        writer.close_files();
        result
    }

    /// The last flush: the logs, then the end of the export (a bounded wait), then the
    /// summaries with the export's final counters.
    fn flush_final(&self, writer: &mut Writer) -> Result<(), Error> {
        let logs = self.flush_locked(writer, false);
        if let Some((url, otlp)) = writer.finish_export() {
            eprintln!(
                "timed-runtime: OTLP export to {url}: {} spans exported, {} dropped, {} failed \
                 requests",
                otlp.exported, otlp.dropped, otlp.errors
            );
        }
        logs.and(self.write_summaries(writer, true))
    }

    /// One line per log that lost rows.
    pub(crate) fn write_problems(&self) -> Vec<String> {
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

fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}
