//! Checkpoints: the model, Adam's state, the counters and the configuration needed to continue
//! a run, in a versioned, checksummed file written atomically (see `format.rs`); each run's
//! checkpoints kept apart from the next run's (see `runs.rs`).

pub mod atomic;
pub mod error;
pub mod format;
pub mod metadata;
pub mod runs;
pub mod store;

pub use error::{CheckpointError, CheckpointErrorKind};
pub use format::{DecodeError, FORMAT_VERSION, MAGIC, OwnedTensor};
pub use metadata::{Counters, EpisodeRecord, Metadata, SavedBudget, SavedConfig, ScheduleState};
pub use store::CheckpointStore;

use crate::model::{AdamTensorNames, NamedTensor};
use crate::ppo::{GameEnv, PpoConfig, Trainer};
use std::path::Path;
use timed_runtime::timed;

/// Adam's tensors are named `adam.m.<param>` / `adam.v.<param>`; the rest are the model's.
const ADAM_PREFIX: &str = "adam.";

/// A checkpoint read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub metadata: Metadata,
    pub tensors: Vec<OwnedTensor>,
}

/// The tensors a checkpoint of `trainer` holds: the model's, then Adam's moments.
pub fn trainer_tensors<'a>(
    trainer: &'a Trainer<GameEnv>,
    adam_names: &'a AdamTensorNames,
) -> Vec<NamedTensor<'a>> {
    let mut tensors = trainer.model().tensors();
    tensors.extend(trainer.adam().tensors(adam_names));
    tensors
}

/// Writes a checkpoint atomically: a failed save leaves any previous file at `path` intact.
/// Returns the file's size in bytes.
#[timed(component = "ppo_trainer", phase = "checkpoint")]
pub fn save_checkpoint(
    path: &Path,
    metadata: &Metadata,
    tensors: &[NamedTensor<'_>],
) -> Result<u64, CheckpointError> {
    let bytes = format::encode(metadata, tensors);
    timed_runtime::details!(
        path = path.display().to_string(),
        bytes = bytes.len(),
        updates = metadata.counters.updates
    );
    atomic::write_atomically(path, |file| std::io::Write::write_all(file, &bytes))
        .map_err(|e| CheckpointError::new(path, CheckpointErrorKind::Write(e)))?;
    Ok(bytes.len() as u64)
}

/// Reads and verifies a checkpoint (magic, version, length, checksum, structure).
#[timed(component = "ppo_trainer", phase = "checkpoint")]
pub fn load_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    timed_runtime::details!(path = path.display().to_string());
    let bytes = std::fs::read(path)
        .map_err(|e| CheckpointError::new(path, CheckpointErrorKind::Read(e)))?;
    let (metadata, tensors) = format::decode(&bytes)
        .map_err(|e| CheckpointError::new(path, CheckpointErrorKind::Decode(e)))?;
    Ok(Checkpoint { metadata, tensors })
}

impl Checkpoint {
    /// The stored configuration (`path` names the file in errors).
    pub fn config(&self, path: &Path) -> Result<PpoConfig, CheckpointError> {
        let config = self.metadata.config.to_config().map_err(|what| {
            CheckpointError::new(
                path,
                CheckpointErrorKind::Decode(DecodeError::Malformed {
                    offset: format::HEADER_LEN,
                    what,
                }),
            )
        })?;
        config
            .validate()
            .map_err(|e| CheckpointError::new(path, CheckpointErrorKind::Config(e)))?;
        Ok(config)
    }

    /// Fails unless the stored network has the `requested` hidden sizes.
    pub fn check_hidden(&self, path: &Path, requested: &[usize]) -> Result<(), CheckpointError> {
        let stored = &self.metadata.config.hidden;
        if stored.as_slice() == requested {
            return Ok(());
        }
        Err(CheckpointError::new(
            path,
            CheckpointErrorKind::HiddenMismatch {
                stored: stored.clone(),
                requested: requested.to_vec(),
            },
        ))
    }

    /// Loads the model parameters and Adam's state into `trainer`, whose network must have the
    /// stored shape. Nothing changes on error.
    pub fn restore_into(
        &self,
        trainer: &mut Trainer<GameEnv>,
        path: &Path,
    ) -> Result<(), CheckpointError> {
        let fail = |e| CheckpointError::new(path, CheckpointErrorKind::Tensors(e));
        let (adam, model): (Vec<_>, Vec<_>) = self
            .tensors
            .iter()
            .map(OwnedTensor::view)
            .partition(|t| t.name.starts_with(ADAM_PREFIX));
        // Both are validated before either is changed: a scratch copy of Adam takes the first
        // attempt, so a bad Adam tensor cannot leave a loaded model with a stale optimiser.
        let mut scratch_adam = trainer.adam().clone();
        scratch_adam
            .load_tensors(&adam, self.metadata.adam_steps)
            .map_err(fail)?;
        trainer.model_mut().load_tensors(&model).map_err(fail)?;
        *trainer.adam_mut() = scratch_adam;
        Ok(())
    }
}
