//! Processes: a report may merge the runs of several processes or hosts (several `--logs`
//! directories, OTLP resources). Each keeps its own threads and call ids in the merged dataset:
//! a process's threads are numbered after the previous processes' (so thread ids never collide
//! and a single process keeps its own numbers), and its call ids get the process's index in
//! their high bits (so parent links stay within the process, except where a trace context
//! links them across processes: OTLP spans, whose ids are shared by every process).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Call ids of the log-directory process `p` (from 0) are `p << PROCESS_SHIFT | id`: our ids
/// are dense from 1 per session, far below 2^48.
pub const PROCESS_SHIFT: u32 = 48;
/// OTLP spans' call ids start here, above every log-directory process's.
pub const OTLP_CALL_IDS: u64 = 1 << 62;

/// Where a process's calls came from, and what its manifest or resource says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Process {
    /// Position among the report's processes, from 0.
    pub index: usize,
    /// How the report names it: the directory, or the OTLP service.
    pub label: String,
    /// The log directory, for a process read from one.
    pub dir: Option<PathBuf>,
    pub pid: Option<u64>,
    pub host: Option<String>,
    /// `service.name`, for a process read from OTLP spans.
    pub service: Option<String>,
    /// Its threads are `thread_base + 1 ..= thread_base + threads` in the dataset.
    pub thread_base: u32,
    pub threads: u32,
}

impl Process {
    /// The process whose logs are in `dir` (one process per input directory): its process id
    /// and host from the run manifest (`run.json`) when there is one.
    pub fn of_dir(dir: &Path, index: usize, thread_base: u32) -> Process {
        let manifest = std::fs::read(dir.join("run.json"))
            .ok()
            .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok());
        let field = |names: &[&str]| {
            manifest.as_ref().and_then(|manifest| {
                names.iter().find_map(|name| {
                    manifest
                        .get(*name)
                        .or_else(|| manifest.get("process").and_then(|p| p.get(*name)))
                        .filter(|value| !value.is_null())
                })
            })
        };
        Process {
            index,
            label: dir.display().to_string(),
            dir: Some(dir.to_path_buf()),
            pid: field(&["pid", "process_id"]).and_then(serde_json::Value::as_u64),
            host: field(&["host", "host_name", "hostname"])
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            service: None,
            thread_base,
            threads: 0,
        }
    }

    /// The dataset's id of this process's thread `thread` (0, unknown, stays 0).
    pub fn thread(&self, thread: u32) -> u32 {
        if thread == 0 {
            0
        } else {
            self.thread_base + thread
        }
    }

    /// The dataset's id of a call id of this log-directory process (0, no parent, stays 0).
    pub fn call_id(&self, call_id: u64) -> u64 {
        if call_id == 0 {
            0
        } else {
            (self.index as u64) << PROCESS_SHIFT | call_id
        }
    }

    /// Notes a thread seen in this process (its own numbering).
    pub fn saw_thread(&mut self, thread: u32) {
        self.threads = self.threads.max(thread);
    }

    /// Where the next process's threads start.
    pub fn next_thread_base(&self) -> u32 {
        self.thread_base + self.threads
    }

    pub fn owns_thread(&self, thread: u32) -> bool {
        thread > self.thread_base && thread <= self.thread_base + self.threads
    }

    /// Names for the threads of a process known from OTLP spans (which no summary names): the
    /// process's label, with the thread when it has several.
    pub fn thread_names(&self) -> Vec<(u32, String)> {
        if self.dir.is_some() {
            return Vec::new();
        }
        (1..=self.threads)
            .map(|thread| {
                let name = if self.threads == 1 {
                    self.label.clone()
                } else {
                    format!("{} thread {thread}", self.label)
                };
                (self.thread(thread), name)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_gives_the_process_id_and_host() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("run.json"),
            r#"{"id": "20261201T201809Z", "pid": 4242, "host": "trainer-1"}"#,
        )
        .unwrap();
        let process = Process::of_dir(dir.path(), 1, 7);
        assert_eq!(process.pid, Some(4242));
        assert_eq!(process.host.as_deref(), Some("trainer-1"));
        assert_eq!((process.thread(0), process.thread(2)), (0, 9));
        assert_eq!(process.call_id(5), 1 << 48 | 5);
        assert_eq!(process.call_id(0), 0);
        let bare = Process::of_dir(&dir.path().join("missing"), 0, 0);
        assert_eq!((bare.pid, bare.host.as_deref()), (None, None));
        assert_eq!((bare.thread(3), bare.call_id(5)), (3, 5));
    }
}
