//! The worker threads: a rayon pool of the size the options ask for, and a panic in a worker
//! turned into a value, so that the caller can fail the report naming what the worker was
//! reading or analysing instead of losing that work or crashing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::Error;

/// Runs `work` with rayon's parallel iterators on `threads` threads (0: rayon's global pool,
/// one thread per core).
pub fn in_pool<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> Result<T, Error> {
    if threads == 0 {
        return Ok(work());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|index| format!("analyzer-{index}"))
        .build()
        .map_err(|source| Error::ThreadPool { threads, source })?;
    Ok(pool.install(work))
}

/// Runs `work`, returning the panic's message if it panics.
///
/// Unwind safety: whatever `work` was mutating when it panicked is never read again, because
/// every caller turns the message into an error that fails the whole report.
pub fn catch_panic<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        assert_eq!(
            catch_panic(|| -> u8 { panic!("bad row at {}", 3) }),
            Err("bad row at 3".to_string())
        );
        assert_eq!(
            catch_panic(|| -> u8 { panic!("static text") }),
            Err("static text".to_string())
        );
        assert_eq!(
            catch_panic(|| -> u8 { std::panic::panic_any(42u32) }),
            Err("a panic without a message".to_string())
        );
    }

    #[test]
    fn the_pool_has_the_threads_asked_for() {
        let sizes = in_pool(3, || {
            (0..64)
                .into_par_iter()
                .map(|_| rayon::current_num_threads())
                .collect::<Vec<_>>()
        })
        .unwrap();
        assert!(sizes.iter().all(|&size| size == 3));
    }
}
