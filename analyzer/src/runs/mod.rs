//! Runs: each kept with its manifest under `<logs>/runs/<id>/`, the latest at the top of the
//! log directory. Finding them, reading their manifests and metrics, and telling which
//! settings differ.

pub mod listing;
pub mod locate;

pub mod metrics;
pub mod settings;

pub use crate::ingest::manifest::{MANIFEST_FILE, Manifest, read_manifest};
pub use listing::{RunListing, RunSummary, list};
pub use locate::{LATEST, RUNS_DIR, RunDir, previous_and_latest, resolve};
