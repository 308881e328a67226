//! The one word every guard reads: the recording mode and the session's generation.
//!
//! Packing both into one atomic makes the `off` check a single relaxed load, and lets a thread
//! notice with that same load that a new session started and its buffers belong to an old one.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the guards record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Nothing: a guard costs one relaxed atomic load.
    Off,
    /// Per-site statistics only, in constant memory; no log rows.
    Summary,
    /// Statistics plus one log row per call.
    Full,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Summary => "summary",
            Mode::Full => "full",
        }
    }

    pub(crate) fn bits(self) -> u64 {
        match self {
            Mode::Off => OFF,
            Mode::Summary => SUMMARY,
            Mode::Full => FULL,
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = ();

    fn from_str(text: &str) -> Result<Mode, ()> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "summary" => Ok(Mode::Summary),
            "full" => Ok(Mode::Full),
            _ => Err(()),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) const OFF: u64 = 0;
pub(crate) const SUMMARY: u64 = 1;
pub(crate) const FULL: u64 = 2;
const MODE_MASK: u64 = 0b11;

static STATE: AtomicU64 = AtomicU64::new(OFF);

#[inline(always)]
pub(crate) fn load() -> u64 {
    STATE.load(Ordering::Relaxed)
}

#[inline(always)]
pub(crate) fn mode_bits(state: u64) -> u64 {
    state & MODE_MASK
}

#[inline(always)]
pub(crate) fn generation(state: u64) -> u64 {
    state >> 2
}

pub(crate) fn publish(generation: u64, mode: Mode) {
    STATE.store(generation << 2 | mode.bits(), Ordering::Release);
}

/// Turns recording off if `generation` is still the live session.
pub(crate) fn retire(generation: u64) {
    let _ = STATE.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |state| {
        (self::generation(state) == generation).then_some(generation << 2 | OFF)
    });
}
