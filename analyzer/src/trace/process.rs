//! The process id a trace gives a run's events: the manifest's `pid` when the run has one,
//! else 1. One per input directory: a trace of several processes (merged logs) gives each
//! its own here.

use crate::ingest::manifest::Manifest;

/// The `pid` of the trace events of the run whose manifest is `manifest`.
pub fn process_id(manifest: Option<&Manifest>) -> u64 {
    manifest.and_then(|manifest| manifest.pid).unwrap_or(1)
}

/// The process's name in the viewer: the program, else the log directory's name.
pub fn process_name(manifest: Option<&Manifest>, fallback: &str) -> String {
    manifest
        .and_then(|manifest| manifest.program.clone())
        .unwrap_or_else(|| fallback.to_string())
}
