//! Reads each log (memory-mapped, parsed in parallel chunks) and merges the chunks, then the
//! files, into one dataset keyed by (component, operation, phase).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::Serialize;

use super::callgraph::CallGraphSample;
use super::chunk::{ChunkContext, ChunkOutput, EventTally};
use super::detect::{LogFormat, detect};
use super::discover::stem;
use super::interner::OpKey;
use super::nesting::NestingJoin;
use super::problems::{ProblemKind, ProblemLog};
use super::process::Process;
use super::split::parse_parallel;
use super::summary_json::SummaryFile;
use crate::error::Error;
use crate::options::{InjectedPanic, Options};
use crate::stats::accumulator::{Limits, OpAccumulator};

/// How legacy nesting (self time) worked out for one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NestingReport {
    pub end_rows: u64,
    pub partial_overlaps: u64,
    /// Parent calls whose children had been folded together to bound memory: their self
    /// time is approximate.
    pub approximate_parents: u64,
    pub never_ended_starts: u64,
    /// Self time was derived (false: too many partial overlaps, so it is unavailable).
    pub self_time_derived: bool,
}

/// What one log file contributed, and what was wrong with it.
#[derive(Clone, Debug)]
pub struct LogFile {
    pub path: PathBuf,
    pub stem: String,
    pub format: LogFormat,
    pub bytes: u64,
    pub lines: u64,
    pub rows: u64,
    pub header_lines: u64,
    pub problems: ProblemLog,
    pub components: Vec<String>,
    pub first_start_us: Option<i64>,
    pub last_end_us: Option<i64>,
    pub nesting: Option<NestingReport>,
}

/// Operations with their accumulators, in first-seen order.
#[derive(Default)]
pub struct OpTable {
    ids: HashMap<OpKey, u32>,
    pub keys: Vec<OpKey>,
    pub ops: Vec<OpAccumulator>,
}

impl OpTable {
    pub fn id(&mut self, key: &OpKey, limits: Limits) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.clone(), id);
        self.keys.push(key.clone());
        self.ops.push(OpAccumulator::new(limits));
        id
    }

    /// Merges another table's operations; returns their new ids.
    fn absorb(&mut self, keys: &[OpKey], ops: Vec<OpAccumulator>, limits: Limits) -> Vec<u32> {
        let ids: Vec<u32> = keys.iter().map(|key| self.id(key, limits)).collect();
        for (local, accumulator) in ops.into_iter().enumerate() {
            self.ops[ids[local] as usize].merge(accumulator, limits);
        }
        ids
    }
}

#[derive(Default)]
struct EventTable {
    ids: HashMap<OpKey, usize>,
    events: Vec<(OpKey, EventTally)>,
}

impl EventTable {
    fn add(&mut self, key: &OpKey, tally: EventTally) {
        match self.ids.get(key) {
            Some(&index) => {
                let kept = &mut self.events[index].1;
                kept.count += tally.count;
                kept.first_us = kept.first_us.min(tally.first_us);
                kept.last_us = kept.last_us.max(tally.last_us);
            }
            None => {
                self.ids.insert(key.clone(), self.events.len());
                self.events.push((key.clone(), tally));
            }
        }
    }
}

/// Everything read from a log directory.
pub struct Dataset {
    pub dir: PathBuf,
    pub table: OpTable,
    /// Legacy `EVENT_x` rows: counts and first/last time.
    pub events: Vec<(OpKey, EventTally)>,
    pub files: Vec<LogFile>,
    pub summaries: Vec<SummaryFile>,
    pub callgraph: CallGraphSample,
    pub limits: Limits,
    /// The processes the calls come from (one per log directory, one per OTLP resource).
    pub processes: Vec<Process>,
}

impl Dataset {
    pub fn new(dir: &Path, options: &Options) -> Self {
        Dataset {
            dir: dir.to_path_buf(),
            table: OpTable::default(),
            events: Vec::new(),
            files: Vec::new(),
            summaries: Vec::new(),
            callgraph: CallGraphSample::new(options.call_graph_budget),
            limits: options.limits(),
            processes: Vec::new(),
        }
    }

    /// Reads one log of the dataset's first process (created for `self.dir` if there is none
    /// yet) and merges it in. Fails only when a reader thread fails.
    pub fn add_log(&mut self, path: &Path, options: &Options) -> Result<(), Error> {
        if self.processes.is_empty() {
            self.processes.push(Process::of_dir(&self.dir, 0, 0));
        }
        self.add_log_of(path, options, 0)
    }

    /// Reads one log of process `process` (an index into `processes`) and merges it in, its
    /// threads and call ids made the dataset's. Fails only when a reader thread fails.
    pub fn add_log_of(
        &mut self,
        path: &Path,
        options: &Options,
        process: usize,
    ) -> Result<(), Error> {
        let (file, mut table, events, mut callgraph) = read_log(path, options)?;
        let process = &mut self.processes[process];
        for op in &mut table.ops {
            for totals in &mut op.threads {
                process.saw_thread(totals.thread);
                totals.thread = process.thread(totals.thread);
            }
        }
        for call in &mut callgraph.calls {
            process.saw_thread(call.thread);
            call.thread = process.thread(call.thread);
            call.call_id = process.call_id(call.call_id);
            call.parent_id = process.call_id(call.parent_id);
        }
        self.absorb(file, table, events, callgraph);
        Ok(())
    }

    /// Merges in a file read elsewhere (OTLP spans) whose calls already carry the dataset's
    /// threads and call ids.
    pub fn add_parsed(&mut self, mut file: LogFile, outputs: Vec<ChunkOutput>) {
        let callgraph = CallGraphSample::new(self.callgraph_budget());
        let (table, events, callgraph) = merge_chunks(&mut file, outputs, self.limits, callgraph);
        self.absorb(file, table, events, callgraph);
    }

    /// The process a thread of the dataset belongs to.
    pub fn process_of_thread(&self, thread: u32) -> Option<&Process> {
        self.processes
            .iter()
            .find(|process| process.owns_thread(thread))
    }

    fn callgraph_budget(&self) -> usize {
        self.callgraph.budget()
    }

    fn absorb(
        &mut self,
        file: LogFile,
        table: OpTable,
        events: Vec<(OpKey, EventTally)>,
        callgraph: CallGraphSample,
    ) {
        let ids = self.table.absorb(&table.keys, table.ops, self.limits);
        let mut callgraph = callgraph;
        callgraph.remap_keys(&ids);
        self.callgraph.merge(callgraph);
        let mut merged = EventTable::default();
        for (key, tally) in std::mem::take(&mut self.events).into_iter().chain(events) {
            merged.add(&key, tally);
        }
        self.events = merged.events;
        self.files.push(file);
    }
}

type FileData = (LogFile, OpTable, Vec<(OpKey, EventTally)>, CallGraphSample);

impl LogFile {
    /// A file before reading: nothing known but its path.
    pub fn new(path: &Path, format: LogFormat) -> LogFile {
        LogFile {
            path: path.to_path_buf(),
            stem: stem(path),
            format,
            bytes: 0,
            lines: 0,
            rows: 0,
            header_lines: 0,
            problems: ProblemLog::default(),
            components: Vec::new(),
            first_start_us: None,
            last_end_us: None,
            nesting: None,
        }
    }
}

fn read_log(path: &Path, options: &Options) -> Result<FileData, Error> {
    let mut file = LogFile::new(path, LogFormat::Empty);
    let stem = file.stem.clone();
    let callgraph = CallGraphSample::new(options.call_graph_budget);
    let map = match map_file(path) {
        Ok(map) => map,
        Err(error) => {
            file.problems
                .record(0, ProblemKind::UnreadableFile, || error.to_string());
            return Ok((file, OpTable::default(), Vec::new(), callgraph));
        }
    };
    let buf: &[u8] = map.as_deref().unwrap_or(&[]);
    file.bytes = buf.len() as u64;
    let (format, header_missing) = detect(buf);
    file.format = format;
    if format == LogFormat::Empty {
        return Ok((file, OpTable::default(), Vec::new(), callgraph));
    }
    if header_missing {
        let name = if format == LogFormat::Ours {
            "our format"
        } else {
            "the original's format"
        };
        file.problems.record(1, ProblemKind::MissingHeader, || {
            format!("no header line; read as {name}")
        });
    }
    let context = ChunkContext {
        stem: stem.as_bytes(),
        limits: options.limits(),
        callgraph_budget: options.call_graph_budget,
        release_pages: true,
        inject_panic: match options.inject_panic {
            Some(InjectedPanic::ReaderChunk(chunk)) => Some(chunk),
            _ => None,
        },
    };
    let outputs =
        parse_parallel(format, buf, rayon::current_num_threads(), &context).map_err(|failure| {
            Error::ReaderPanicked {
                path: path.to_path_buf(),
                start: failure.start,
                end: failure.end,
                message: failure.message,
            }
        })?;
    let (table, events, callgraph) = merge_chunks(&mut file, outputs, options.limits(), callgraph);
    Ok((file, table, events, callgraph))
}

fn map_file(path: &Path) -> std::io::Result<Option<Mmap>> {
    let handle = File::open(path)?;
    if handle.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the mapped bytes must not change while the slice over them is borrowed, i.e.
    // no process may rewrite or truncate the log while it is read (truncation would even
    // fault the reader with SIGBUS). That holds for the logs the analyzer is given: finished
    // runs (the trainer analyses its logs after its writer has stopped). A writer still
    // appending is harmless: the map covers the length at open. A log truncated while it is
    // read (a new run starting in the same directory) is not guarded against; this function
    // is the only place that maps a log, so a reader that tolerates it can replace it alone.
    let map = unsafe { Mmap::map(&handle)? };
    Ok(Some(map))
}

pub(crate) fn merge_chunks(
    file: &mut LogFile,
    outputs: Vec<ChunkOutput>,
    limits: Limits,
    mut callgraph: CallGraphSample,
) -> (OpTable, Vec<(OpKey, EventTally)>, CallGraphSample) {
    let mut table = OpTable::default();
    let mut events = EventTable::default();
    let mut join = NestingJoin::default();
    let mut line_base = 0u64;
    let mut first_start_us = i64::MAX;
    let mut last_end_us = i64::MIN;
    for output in outputs {
        let ChunkOutput {
            interner,
            ops,
            events: event_names,
            event_tallies,
            mut problems,
            rows,
            header_lines,
            lines,
            callgraph: mut chunk_graph,
            first_start_us: chunk_first,
            last_end_us: chunk_last,
            legacy,
            ..
        } = output;
        let ids = table.absorb(interner.keys(), ops, limits);
        chunk_graph.remap_keys(&ids);
        callgraph.merge(chunk_graph);
        for (key, tally) in event_names.keys().iter().zip(event_tallies) {
            events.add(key, tally);
        }
        problems.shift_lines(line_base);
        file.problems.merge(problems);
        if let Some(mut nesting) = legacy {
            nesting.remap_keys(&ids, table.keys.len());
            for starts in &mut nesting.open_starts {
                starts.iter_mut().for_each(|start| start.line += line_base);
            }
            join.push(nesting, |key, delta| {
                table.ops[key as usize].adjust_self(delta)
            });
        }
        file.rows += rows;
        file.header_lines += header_lines;
        line_base += lines;
        first_start_us = first_start_us.min(chunk_first);
        last_end_us = last_end_us.max(chunk_last);
    }
    file.lines = line_base;
    if first_start_us <= last_end_us {
        file.first_start_us = Some(first_start_us);
        file.last_end_us = Some(last_end_us);
    }
    if file.format == LogFormat::Legacy {
        finish_legacy(file, &mut table, &join);
    }
    let mut components: Vec<String> = table
        .keys
        .iter()
        .zip(&table.ops)
        .filter(|(_, op)| op.count > 0)
        .map(|(key, _)| key.component.clone())
        .chain(events.events.iter().map(|(key, _)| key.component.clone()))
        .collect();
    components.sort();
    components.dedup();
    file.components = components;
    (table, events.events, callgraph)
}

/// Reports STARTs that never ended, and drops derived self time when nesting is unreliable.
fn finish_legacy(file: &mut LogFile, table: &mut OpTable, join: &NestingJoin) {
    let keys = &table.keys;
    let mut never_ended: Vec<(u64, &str)> = join
        .open_starts
        .iter()
        .enumerate()
        .flat_map(|(key, starts)| {
            starts
                .iter()
                .map(move |start| (start.line, keys[key].operation.as_str()))
        })
        .collect();
    never_ended.sort_unstable();
    let mut problems = ProblemLog::default();
    for &(line, name) in &never_ended {
        problems.record(line, ProblemKind::NeverEndedStart, || {
            format!("START_{name} never ended")
        });
    }
    let never_ended_count = never_ended.len() as u64;
    file.problems.merge(problems);
    let reliable = join.reliable();
    if !reliable {
        for op in &mut table.ops {
            op.self_ns = 0;
            op.self_known = 0;
            op.threads.iter_mut().for_each(|thread| thread.self_ns = 0);
        }
    }
    file.nesting = Some(NestingReport {
        end_rows: join.ends,
        partial_overlaps: join.partial_overlaps,
        approximate_parents: join.approximate_parents,
        never_ended_starts: never_ended_count,
        self_time_derived: reliable,
    });
}
