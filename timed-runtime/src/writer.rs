//! The writer: takes every thread's published records in batches and hands each batch to what
//! the session produces from it: the per-site statistics, and in full mode the rows of the
//! component logs. It runs on the background thread and, for an explicit flush, on the flushing
//! thread (one at a time, under the session's writer lock).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::clock::Epoch;
#[cfg(feature = "otlp")]
use crate::otlp::OtlpConsumer;
use crate::output::{Output, WRITE_CHUNK};
use crate::record::{Detail, Record, Status};
use crate::row::{self, Row, SiteText, StatusText};
use crate::site::Site;
use crate::stats::Stats;
use crate::summary::OtlpCounts;
use crate::thread::ThreadShared;
use crate::timestamp::TimestampFormatter;

/// Records taken from one thread's rings in one go, with their details: what every consumer of
/// the writer is handed (today the statistics and the log rows; an exporter would be one more).
pub(crate) struct Batch<'a> {
    /// The `thread` column of the thread the records come from.
    pub thread: u32,
    /// The records, read in place from the ring: one or two runs, oldest first.
    runs: [&'a [Record]; 2],
    /// The records' details in order: the first `details` of the first record belong to it, the
    /// next ones to the second, and so on.
    pub details: &'a [Detail],
}

impl<'a> Batch<'a> {
    pub(crate) fn records(&self) -> impl Iterator<Item = &'a Record> + use<'a> {
        self.runs[0].iter().chain(self.runs[1])
    }

    fn is_empty(&self) -> bool {
        self.runs[0].is_empty() && self.runs[1].is_empty()
    }
}

/// At most this many records per batch: bounds the batch's memory, and frees ring space for a
/// waiting producer sooner.
const BATCH: usize = 1024;

/// Opens the log of a component first met while recording (a `tracing` span's): the writer
/// cannot fail, so a log that cannot be opened comes back closed, its error noted.
pub(crate) type OpenOutput = Box<dyn FnMut(&str) -> Output + Send>;

/// What the writer keeps per site, made when it first meets the site.
struct SiteOutput {
    /// Index into `outputs`.
    output: usize,
    text: SiteText,
}

pub(crate) struct Writer {
    pub outputs: Vec<Output>,
    open_output: OpenOutput,
    /// The session's start, to print ticks as times.
    pub epoch: Epoch,
    /// By site index; grows as sites are met.
    sites: Vec<Option<SiteOutput>>,
    /// By site index (grows as sites are met).
    stats: Vec<Stats>,
    /// Each call is also a row of its component's log (full mode).
    rows: bool,
    pub thread_names: BTreeMap<u32, Option<String>>,
    timestamps: TimestampFormatter,
    details_text: String,
    details_field: Vec<u8>,
    /// The details of the batch being delivered (taken out of their ring: they own text).
    batch_details: Vec<Detail>,
    /// Something was recorded since the summaries were last written.
    pub changed: bool,
    /// Every call also goes out as an OTLP span.
    #[cfg(feature = "otlp")]
    otlp: Option<OtlpConsumer>,
}

impl Writer {
    /// A writer into `outputs`, one per component; with `rows`, each site's rows go to its
    /// component's, opened with `open_output` for a component that has none yet.
    pub(crate) fn new(
        outputs: Vec<Output>,
        open_output: OpenOutput,
        epoch: Epoch,
        rows: bool,
    ) -> Writer {
        Writer {
            outputs,
            open_output,
            epoch,
            sites: Vec::new(),
            stats: Vec::new(),
            rows,
            thread_names: BTreeMap::new(),
            timestamps: TimestampFormatter::new(),
            details_text: String::new(),
            details_field: Vec::new(),
            batch_details: Vec::new(),
            changed: false,
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }

    /// Exports every call from now on.
    #[cfg(feature = "otlp")]
    pub(crate) fn export_to(&mut self, consumer: OtlpConsumer) {
        self.otlp = Some(consumer);
    }

    /// The export's counters so far (`None` when not exporting).
    pub(crate) fn otlp_counts(&self) -> Option<OtlpCounts> {
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &self.otlp {
            return Some(otlp.counts());
        }
        None
    }

    /// Sends the last spans and waits a bounded time for them to reach the collector; returns
    /// where they went and the final counters.
    pub(crate) fn finish_export(&mut self) -> Option<(String, OtlpCounts)> {
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &mut self.otlp {
            otlp.finish();
            return Some((otlp.url().to_owned(), otlp.counts()));
        }
        None
    }

    /// The output and escaped text of a site, made on first sight (opening its component's log
    /// if it is the component's first site).
    #[inline]
    fn ensure_site(&mut self, site: &'static Site, index: usize) {
        if matches!(self.sites.get(index), Some(Some(_))) {
            return;
        }
        if self.sites.len() <= index {
            self.sites.resize_with(index + 1, || None);
        }
        if self.sites[index].is_none() {
            let output = match self
                .outputs
                .iter()
                .position(|output| output.component == site.component())
            {
                Some(output) => output,
                None => {
                    self.outputs.push((self.open_output)(site.component()));
                    self.outputs.len() - 1
                }
            };
            self.sites[index] = Some(SiteOutput {
                output,
                text: SiteText::new(site.name(), site.phase(), site.component()),
            });
        }
    }

    /// Opens the log of every component of `sites` that has none yet: sites created at run time
    /// (in summary mode no row opens it, and a site created in an earlier session has its
    /// component's log and summary in this one too, as linked-in sites do).
    pub(crate) fn cover(&mut self, sites: &[&'static Site]) {
        for site in sites {
            if !self
                .outputs
                .iter()
                .any(|output| output.component == site.component())
            {
                self.outputs.push((self.open_output)(site.component()));
            }
        }
    }

    /// Takes everything the threads have published. Returns the threads that had exited: they
    /// are now fully drained.
    pub(crate) fn drain(&mut self, threads: &[Arc<ThreadShared>]) -> Vec<Arc<ThreadShared>> {
        let mut exited = Vec::new();
        for thread in threads {
            // Read before draining: whatever an exited thread pushed is then visible.
            let has_exited = thread.exited.load(Ordering::Acquire);
            self.thread_names
                .entry(thread.index)
                .or_insert_with(|| thread.name.clone());
            self.drain_thread(thread);
            if has_exited {
                exited.push(Arc::clone(thread));
            }
        }
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &mut self.otlp {
            // Each drain ends a batch: spans wait on the writer at most one flush interval.
            otlp.send();
        }
        exited
    }

    fn drain_thread(&mut self, thread: &ThreadShared) {
        let Some(records) = &thread.records else {
            return;
        };
        loop {
            let deliver = |first: &[Record], second: &[Record]| {
                let mut batch_details = std::mem::take(&mut self.batch_details);
                let detail_count: usize = first
                    .iter()
                    .chain(second)
                    .map(|record| usize::from(record.details))
                    .sum();
                if detail_count > 0
                    && let Some(details) = &thread.details
                {
                    // SAFETY: the caller holds the session's writer lock (this `&mut Writer`
                    // lives inside it), so this is the only thread consuming the thread's rings.
                    // A record's details were published before the record, so all of this
                    // batch's are there.
                    unsafe { details.consume(detail_count, |detail| batch_details.push(detail)) };
                }
                self.deliver(&Batch {
                    thread: thread.index,
                    runs: [first, second],
                    details: &batch_details,
                });
                batch_details.clear();
                self.batch_details = batch_details;
            };
            // SAFETY: as above: the only consumer.
            let (taken, ()) = unsafe { records.read_in_place(BATCH, deliver) };
            thread.wake_if_room();
            if taken < BATCH {
                break;
            }
        }
    }

    /// Hands one batch to each consumer.
    fn deliver(&mut self, batch: &Batch<'_>) {
        if batch.is_empty() {
            return;
        }
        self.changed = true;
        self.fold_statistics(batch);
        if self.rows {
            self.write_rows(batch);
        }
        #[cfg(feature = "otlp")]
        self.export(batch);
    }

    #[cfg(feature = "otlp")]
    fn export(&mut self, batch: &Batch<'_>) {
        let Some(otlp) = &mut self.otlp else {
            return;
        };
        let thread_name = self
            .thread_names
            .get(&batch.thread)
            .and_then(Option::as_deref);
        let mut details = batch.details;
        for record in batch.records() {
            let (own, rest) = details.split_at(usize::from(record.details).min(details.len()));
            details = rest;
            otlp.add(record, own, batch.thread, thread_name, &self.epoch);
        }
    }

    fn fold_statistics(&mut self, batch: &Batch<'_>) {
        for record in batch.records() {
            let Some(site) = record.site.index() else {
                continue;
            };
            if self.stats.len() <= site {
                self.stats.resize_with(site + 1, Stats::default);
            }
            self.stats[site].record(record.duration_ns, record.self_ns, record.status);
        }
    }

    fn write_rows(&mut self, batch: &Batch<'_>) {
        let mut details = batch.details;
        for record in batch.records() {
            let (own, rest) = details.split_at(usize::from(record.details).min(details.len()));
            details = rest;
            let Some(site) = record.site.index() else {
                continue;
            };
            self.ensure_site(record.site, site);
            let Some(Some(SiteOutput {
                output,
                text: site_text,
            })) = self.sites.get(site)
            else {
                continue;
            };
            let output = *output;
            self.details_field.clear();
            if !own.is_empty() {
                format_details(own, &mut self.details_text, &mut self.details_field);
            }
            let start_ns = self.epoch.since(record.start_ticks);
            let row = Row {
                end_unix_ns: self.epoch.unix_ns + start_ns + record.duration_ns,
                site: site_text,
                duration_ns: record.duration_ns,
                details: &self.details_field,
                thread: batch.thread,
                call_id: record.call_id,
                parent_id: record.parent_id,
                self_ns: record.self_ns,
                start_ns,
                status: status_text(record.status),
            };
            let output = &mut self.outputs[output];
            row.write(&mut self.timestamps, &mut output.buffer);
            output.pending_rows += 1;
            if output.buffer.len() >= WRITE_CHUNK {
                // A failure is counted in the output and reported at the next flush.
                let _ = output.write_pending();
            }
        }
    }

    /// The statistics of each of the first `sites` sites so far.
    pub(crate) fn stats(&self, sites: usize) -> Vec<Stats> {
        (0..sites)
            .map(|site| self.stats.get(site).cloned().unwrap_or_default())
            .collect()
    }

    /// Writes buffered rows to every log. Returns the first failure with its log's path (all
    /// are counted in their outputs).
    pub(crate) fn write_files(&mut self) -> Result<(), (std::path::PathBuf, std::io::Error)> {
        let mut first_error = None;
        for output in &mut self.outputs {
            if let Err(error) = output.write_pending() {
                first_error.get_or_insert((output.log_path.clone(), error));
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    pub(crate) fn close_files(&mut self) {
        for output in &mut self.outputs {
            output.close();
        }
    }
}

fn status_text(status: Status) -> &'static StatusText {
    match status {
        Status::Ok => &row::OK,
        Status::Panicked => &row::PANICKED,
        Status::Cancelled => &row::CANCELLED,
    }
}

/// `key=value` pairs joined by `, `, as one escaped field.
fn format_details(details: &[Detail], text: &mut String, field: &mut Vec<u8>) {
    text.clear();
    for detail in details {
        if !text.is_empty() {
            text.push_str(", ");
        }
        let _ = write!(text, "{}={}", detail.key, detail.value);
    }
    row::push_field(field, text);
}
