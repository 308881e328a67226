//! The checkpoint directory: numbered periodic checkpoints (the last `keep` are kept),
//! `latest.ckpt` (the newest of all) and `final.ckpt` (the end of the last run). Pruning sees
//! only the top of the directory: a training run moves the earlier run's checkpoints into
//! `runs/<id>/` before it writes any (see `runs.rs`), so it prunes only its own.

use super::atomic::link_atomically;
use super::error::{CheckpointError, CheckpointErrorKind};
use super::metadata::Metadata;
use super::save_checkpoint;
use crate::model::NamedTensor;
use std::path::{Path, PathBuf};

pub const LATEST: &str = "latest.ckpt";
pub const FINAL: &str = "final.ckpt";
const PERIODIC_PREFIX: &str = "checkpoint-";
pub const EXTENSION: &str = ".ckpt";

#[derive(Clone, Debug)]
pub struct CheckpointStore {
    dir: PathBuf,
    keep: usize,
}

impl CheckpointStore {
    /// Creates the directory if needed. `keep` periodic checkpoints are kept (at least 1).
    pub fn open(dir: &Path, keep: usize) -> Result<Self, CheckpointError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CheckpointError::new(dir, CheckpointErrorKind::Write(e)))?;
        Ok(CheckpointStore {
            dir: dir.to_path_buf(),
            keep: keep.max(1),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `checkpoint-<updates, 8 digits>.ckpt`: names sort by update count.
    pub fn periodic_path(&self, updates: u64) -> PathBuf {
        self.dir
            .join(format!("{PERIODIC_PREFIX}{updates:08}{EXTENSION}"))
    }

    pub fn latest_path(&self) -> PathBuf {
        self.dir.join(LATEST)
    }

    pub fn final_path(&self) -> PathBuf {
        self.dir.join(FINAL)
    }

    /// Saves a periodic checkpoint, points `latest` at it and deletes the oldest ones beyond
    /// `keep`. Returns the new file's path.
    pub fn save_periodic(
        &self,
        metadata: &Metadata,
        tensors: &[NamedTensor<'_>],
    ) -> Result<PathBuf, CheckpointError> {
        let path = self.periodic_path(metadata.counters.updates);
        self.save_and_publish(&path, metadata, tensors)?;
        self.prune()?;
        Ok(path)
    }

    /// Saves `final.ckpt` and points `latest` at it.
    pub fn save_final(
        &self,
        metadata: &Metadata,
        tensors: &[NamedTensor<'_>],
    ) -> Result<PathBuf, CheckpointError> {
        let path = self.final_path();
        self.save_and_publish(&path, metadata, tensors)?;
        Ok(path)
    }

    fn save_and_publish(
        &self,
        path: &Path,
        metadata: &Metadata,
        tensors: &[NamedTensor<'_>],
    ) -> Result<(), CheckpointError> {
        save_checkpoint(path, metadata, tensors)?;
        let latest = self.latest_path();
        link_atomically(path, &latest)
            .map_err(|e| CheckpointError::new(&latest, CheckpointErrorKind::Write(e)))
    }

    /// The periodic checkpoints in the directory, oldest first, with their update counts.
    pub fn periodic(&self) -> Result<Vec<(u64, PathBuf)>, CheckpointError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| CheckpointError::new(&self.dir, CheckpointErrorKind::Read(e)))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| CheckpointError::new(&self.dir, CheckpointErrorKind::Read(e)))?;
            let name = entry.file_name();
            let Some(updates) = name
                .to_str()
                .and_then(|n| n.strip_prefix(PERIODIC_PREFIX))
                .and_then(|n| n.strip_suffix(EXTENSION))
                .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|digits| digits.parse::<u64>().ok())
            else {
                continue;
            };
            found.push((updates, entry.path()));
        }
        found.sort();
        Ok(found)
    }

    fn prune(&self) -> Result<(), CheckpointError> {
        let periodic = self.periodic()?;
        let excess = periodic.len().saturating_sub(self.keep);
        for (_, path) in &periodic[..excess] {
            std::fs::remove_file(path)
                .map_err(|e| CheckpointError::new(path, CheckpointErrorKind::Write(e)))?;
        }
        Ok(())
    }
}
