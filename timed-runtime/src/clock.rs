//! The nanosecond clock of the hot path: the CPU's time-stamp counter where it is invariant and
//! the kernel trusts it, `Instant` otherwise.
//!
//! Ticks are converted to nanoseconds with a 32.32 fixed-point multiplier so that the conversion
//! is a single widening multiply on the calling thread and exactly reproducible: a parent's
//! self time is its duration minus its children's converted durations, to the nanosecond.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Which source `now()` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockKind {
    /// The invariant time-stamp counter, calibrated against `Instant` at first use.
    Tsc,
    /// `std::time::Instant` (the OS monotonic clock), in nanoseconds.
    Instant,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Tsc => "tsc",
            ClockKind::Instant => "instant",
        }
    }
}

/// Hot globals share one cache line: the guard reads them on every call.
#[repr(align(64))]
struct HotClock {
    use_tsc: AtomicBool,
    /// Nanoseconds per tick in 32.32 fixed point.
    ns_per_tick_q32: AtomicU64,
}

static HOT: HotClock = HotClock {
    use_tsc: AtomicBool::new(false),
    ns_per_tick_q32: AtomicU64::new(1 << 32),
};

static INSTANT_BASE: OnceLock<Instant> = OnceLock::new();
static CALIBRATION: OnceLock<ClockKind> = OnceLock::new();

#[inline(always)]
pub(crate) fn now() -> u64 {
    match Tsc::get() {
        Some(tsc) => tsc.now(),
        None => instant_ticks(),
    }
}

/// Proof that the clock is the time-stamp counter: the guards check it once, before anything
/// else, and leave the `Instant` clock (a call, and the registers it needs saved) to their slow
/// paths.
#[derive(Clone, Copy)]
pub(crate) struct Tsc(());

impl Tsc {
    /// `Some` when the clock is the time-stamp counter. (It never stops being: calibration
    /// chooses once.)
    #[inline(always)]
    pub(crate) fn get() -> Option<Tsc> {
        #[cfg(target_arch = "x86_64")]
        if HOT.use_tsc.load(Ordering::Relaxed) {
            return Some(Tsc(()));
        }
        None
    }

    /// The clock's reading, as `now()` would give it.
    #[inline(always)]
    pub(crate) fn now(self) -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions. (`use_tsc`, set
            // only once it is known to be invariant, is why its value is worth reading.)
            unsafe { core::arch::x86_64::_rdtsc() }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            // Never made elsewhere (`get` is always `None`); the clock's reading if it were.
            now()
        }
    }
}

#[inline]
fn instant_ticks() -> u64 {
    match INSTANT_BASE.get() {
        Some(base) => base.elapsed().as_nanos() as u64,
        None => 0,
    }
}

#[inline(always)]
pub(crate) fn ticks_to_ns(ticks: u64) -> u64 {
    let q32 = HOT.ns_per_tick_q32.load(Ordering::Relaxed);
    ((ticks as u128 * q32 as u128) >> 32) as u64
}

/// Chooses and calibrates the clock once per process. `requested` comes from `TIMED_CLOCK` or the
/// builder; `None` means "the TSC if it is trustworthy".
pub(crate) fn calibrate(requested: Option<ClockKind>) -> ClockKind {
    *CALIBRATION.get_or_init(|| {
        INSTANT_BASE.get_or_init(Instant::now);
        let want_tsc = requested.unwrap_or(ClockKind::Tsc) == ClockKind::Tsc;
        if want_tsc
            && tsc_is_trustworthy()
            && let Some(q32) = measure_tsc_q32()
        {
            HOT.ns_per_tick_q32.store(q32, Ordering::Relaxed);
            HOT.use_tsc.store(true, Ordering::Relaxed);
            return ClockKind::Tsc;
        }
        ClockKind::Instant
    })
}

/// Pairs a tick reading with the wall clock, so ticks can be printed as UTC timestamps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Epoch {
    pub ticks: u64,
    pub unix_ns: u64,
}

impl Epoch {
    pub(crate) fn now() -> Epoch {
        let ticks = now();
        let unix_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Epoch { ticks, unix_ns }
    }

    /// Nanoseconds from this epoch to `ticks` (0 for readings taken before it).
    pub(crate) fn since(&self, ticks: u64) -> u64 {
        ticks_to_ns(ticks.saturating_sub(self.ticks))
    }
}

#[cfg(target_arch = "x86_64")]
fn tsc_is_trustworthy() -> bool {
    use core::arch::x86_64::__cpuid;
    // CPUID 0x8000_0007 EDX bit 8: the TSC runs at a constant rate in every P- and C-state.
    let max_extended = __cpuid(0x8000_0000).eax;
    if max_extended < 0x8000_0007 {
        return false;
    }
    let invariant = __cpuid(0x8000_0007).edx & (1 << 8) != 0;
    invariant && kernel_agrees()
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_is_trustworthy() -> bool {
    false
}

/// Linux demotes the TSC from clock source when it finds it unsynchronised across cores (and
/// some hypervisors never offer it): follow its judgement where it is readable.
#[cfg(target_arch = "x86_64")]
fn kernel_agrees() -> bool {
    match std::fs::read_to_string(
        "/sys/devices/system/clocksource/clocksource0/current_clocksource",
    ) {
        Ok(source) => source.trim() == "tsc",
        Err(_) => !cfg!(target_os = "linux"),
    }
}

#[cfg(target_arch = "x86_64")]
fn measure_tsc_q32() -> Option<u64> {
    fn paired() -> (Instant, u64) {
        // Bracket the Instant reading so the tick value sits in its middle.
        // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
        let before = unsafe { core::arch::x86_64::_rdtsc() };
        let instant = Instant::now();
        // SAFETY: as above.
        let after = unsafe { core::arch::x86_64::_rdtsc() };
        (instant, before + (after - before) / 2)
    }
    let (i0, t0) = paired();
    std::thread::sleep(Duration::from_millis(20));
    let (i1, t1) = paired();
    let ticks = t1.checked_sub(t0)?;
    let ns = i1.duration_since(i0).as_nanos();
    if ticks == 0 {
        return None;
    }
    let q32 = (ns << 32) / ticks as u128;
    // A counter slower than 100 MHz or faster than 20 GHz is not a TSC we understand.
    let plausible = (1u128 << 32) / 20..=(10u128 << 32);
    plausible.contains(&q32).then_some(q32 as u64)
}

#[cfg(not(target_arch = "x86_64"))]
fn measure_tsc_q32() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_ticks_track_instant_within_a_percent() {
        calibrate(None);
        // Bracket each Instant reading with two ticks, and keep the tightest of a few tries, so
        // a preemption between the readings cannot pass for a clock error.
        fn paired() -> (Instant, u64, u64) {
            (0..5)
                .map(|_| {
                    let before = now();
                    let instant = Instant::now();
                    (instant, before, now())
                })
                .min_by_key(|&(_, before, after)| after - before)
                .unwrap()
        }
        let (i0, b0, a0) = paired();
        std::thread::sleep(Duration::from_millis(200));
        let (i1, b1, a1) = paired();
        let reference = i1.duration_since(i0).as_nanos() as f64;
        let shortest = ticks_to_ns(b1.saturating_sub(a0)) as f64;
        let longest = ticks_to_ns(a1 - b0) as f64;
        assert!(
            shortest <= reference * 1.01 && longest >= reference * 0.99,
            "{shortest}..{longest} ns by {:?} vs {reference} ns by Instant",
            CALIBRATION.get()
        );
    }

    #[test]
    fn epoch_since_saturates_for_earlier_readings() {
        let epoch = Epoch {
            ticks: 1_000,
            unix_ns: 0,
        };
        assert_eq!(epoch.since(10), 0);
    }
}
