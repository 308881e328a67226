//! A bounded single-producer single-consumer ring: the recording thread pushes without locks or
//! allocation, the writer takes everything published so far in one batch.
//!
//! The producer keeps its own copy of the head and how far it may write (a tail it has seen plus
//! the capacity, in `Producer`), so a push is one comparison, a slot write and one release store;
//! it reads the shared tail only when it reaches that limit.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

#[repr(align(64))]
struct Padded(AtomicUsize);

pub(crate) struct Ring<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    mask: usize,
    /// Next slot the producer will write; everything before it is published.
    head: Padded,
    /// Next slot the consumer will read; everything before it is free.
    tail: Padded,
}

// SAFETY: a ring owns its values (`T: Send`), and moving it to another thread moves them.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: shared between one producer thread and one consumer thread at a time (the callers'
// obligations on `push` and `consume`), a slot is only ever accessed by one of them:
// the producer writes a slot only when it is free (before `tail + capacity`) and publishes it
// with a release store of `head`; the consumer reads only slots published so (acquire load of
// `head`) and frees them with a release store of `tail`, which the producer's acquire load
// pairs with before it writes the slot again. Values cross threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Ring<T> {}

/// The producer's private cursor over a ring.
#[derive(Default)]
pub(crate) struct Producer {
    head: usize,
    /// A tail loaded from the ring, plus its capacity: the slots before it are free.
    limit: usize,
}

impl Producer {
    pub(crate) const fn new() -> Producer {
        Producer { head: 0, limit: 0 }
    }
}

impl<T> Ring<T> {
    pub(crate) fn with_capacity(capacity: usize) -> Ring<T> {
        let capacity = capacity.next_power_of_two();
        Ring {
            slots: (0..capacity)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            mask: capacity - 1,
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
        }
    }

    /// Pushes if there is room; gives the value back otherwise. Returns the new head.
    ///
    /// # Safety
    /// Only one thread may ever push to a ring, always with the same `Producer`.
    #[cfg(test)]
    pub(crate) unsafe fn try_push(&self, producer: &mut Producer, value: T) -> Result<usize, T> {
        if !self.has_room(producer) {
            return Err(value);
        }
        // SAFETY: the caller's promise, and `has_room` just said so.
        Ok(unsafe { self.push(producer, value) })
    }

    /// Whether the slot at the producer's head is free (looking at the tail again when the
    /// producer reached its limit). Once it is, it stays free until the producer pushes.
    #[inline(always)]
    pub(crate) fn has_room(&self, producer: &mut Producer) -> bool {
        producer.head != producer.limit || self.reload_limit(producer)
    }

    /// Writes `value` in the slot at the head and publishes it. Returns the new head.
    ///
    /// # Safety
    /// Only one thread may ever push to a ring, always with the same `Producer`, and
    /// `has_room` with that producer returned true since its last push.
    #[inline(always)]
    pub(crate) unsafe fn push(&self, producer: &mut Producer, value: T) -> usize {
        // SAFETY: `head & mask` is below the capacity, the slots' length. The slot at `head` is
        // free: `head < limit` (`has_room`), a tail loaded with acquire plus the capacity, so the
        // consumer has finished reading it (or never used it). By the caller's promise this
        // thread is the only producer, so nothing else writes it, and the consumer does not
        // read it until the release store of `head` below publishes it.
        unsafe {
            let slot = self.slots.get_unchecked(producer.head & self.mask);
            (*slot.get()).write(value);
        }
        producer.head += 1;
        self.head.0.store(producer.head, Ordering::Release);
        producer.head
    }

    /// The producer reached its limit: looks at the tail again. Whether there is room.
    #[cold]
    #[inline(never)]
    fn reload_limit(&self, producer: &mut Producer) -> bool {
        producer.limit = self.tail.0.load(Ordering::Acquire) + self.capacity();
        producer.head != producer.limit
    }

    pub(crate) fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// How many values are published and not yet consumed.
    pub(crate) fn len(&self) -> usize {
        let head = self.head.0.load(Ordering::Acquire);
        head - self.tail.0.load(Ordering::Relaxed)
    }

    /// Takes up to `limit` published values, oldest first, freeing their slots.
    ///
    /// # Safety
    /// Only one thread at a time may consume (the writer holds its lock).
    pub(crate) unsafe fn consume(&self, limit: usize, mut each: impl FnMut(T)) -> usize {
        /// Frees the slots read so far even if `each` panics, so none is read twice.
        struct Release<'a> {
            tail: &'a AtomicUsize,
            read: usize,
        }
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.tail.store(self.read, Ordering::Release);
            }
        }
        let head = self.head.0.load(Ordering::Acquire);
        let start = self.tail.0.load(Ordering::Relaxed);
        let taken = (head - start).min(limit);
        let end = start + taken;
        let mut release = Release {
            tail: &self.tail.0,
            read: start,
        };
        while release.read != end {
            // SAFETY: slots in tail..head were written and published by the producer (acquire
            // load of `head` above), and by the caller's promise this is the only consumer; each
            // is read once, here, and the tail moves past it (`release`) before any other read.
            let value = unsafe { (*self.slots[release.read & self.mask].get()).assume_init_read() };
            release.read += 1;
            each(value);
            if release.read & 1023 == 0 {
                // Free space early so a producer waiting on a full ring resumes sooner.
                self.tail.0.store(release.read, Ordering::Release);
            }
        }
        taken
    }
}

impl<T: Copy> Ring<T> {
    /// Hands up to `limit` published values to `read` without moving them, oldest first, as one
    /// or two slices (two when they wrap around the end of the ring), then frees their slots.
    /// Returns how many were read, and what `read` returned.
    ///
    /// # Safety
    /// Only one thread at a time may consume (the writer holds its lock).
    pub(crate) unsafe fn read_in_place<R>(
        &self,
        limit: usize,
        read: impl FnOnce(&[T], &[T]) -> R,
    ) -> (usize, R) {
        let head = self.head.0.load(Ordering::Acquire);
        let tail = self.tail.0.load(Ordering::Relaxed);
        let taken = (head - tail).min(limit);
        let start = tail & self.mask;
        let first_len = taken.min(self.capacity() - start);
        let first = &self.slots[start..start + first_len];
        let second = &self.slots[..taken - first_len];
        // SAFETY: `UnsafeCell<MaybeUninit<T>>` has the layout of `T` (both are
        // `repr(transparent)`), so the slices may be viewed as `[T]`. The slots in tail..head are
        // initialised: the producer wrote them before its release store of `head`, which the
        // acquire load above pairs with. Nothing writes them while the slices live: the
        // producer writes only free slots, and these are freed by the tail store below, after
        // `read` returns; by the caller's promise no other consumer frees them meanwhile.
        let (first, second) = unsafe {
            (
                std::slice::from_raw_parts(first.as_ptr().cast::<T>(), first.len()),
                std::slice::from_raw_parts(second.as_ptr().cast::<T>(), second.len()),
            )
        };
        let result = read(first, second);
        self.tail.0.store(tail + taken, Ordering::Release);
        (taken, result)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = *self.head.0.get_mut();
        let mut tail = *self.tail.0.get_mut();
        while tail != head {
            // SAFETY: slots in tail..head were published and never consumed, so they hold
            // initialised values; `&mut self` rules out any producer or consumer, and each is
            // dropped once.
            unsafe { self.slots[tail & self.mask].get_mut().assume_init_drop() };
            tail += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    // The tests below push from one thread at a time with one `Producer` per ring, and consume
    // from one thread at a time: the contracts of `try_push` and `consume`.

    fn push<T>(ring: &Ring<T>, producer: &mut Producer, value: T) -> Result<usize, T> {
        // SAFETY: see above.
        unsafe { ring.try_push(producer, value) }
    }

    fn take<T>(ring: &Ring<T>, limit: usize, each: impl FnMut(T)) -> usize {
        // SAFETY: see above.
        unsafe { ring.consume(limit, each) }
    }

    #[test]
    fn fills_drains_and_wraps_in_order() {
        let ring = Ring::with_capacity(4);
        let mut producer = Producer::default();
        for round in 0..3 {
            for i in 0..4 {
                assert!(push(&ring, &mut producer, round * 10 + i).is_ok());
            }
            assert_eq!(push(&ring, &mut producer, 99), Err(99));
            let mut seen = Vec::new();
            assert_eq!(take(&ring, usize::MAX, |v| seen.push(v)), 4);
            assert_eq!(seen, (0..4).map(|i| round * 10 + i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn consume_respects_its_limit() {
        let ring = Ring::with_capacity(8);
        let mut producer = Producer::default();
        for i in 0..6 {
            push(&ring, &mut producer, i).unwrap();
        }
        let mut seen = Vec::new();
        take(&ring, 4, |v| seen.push(v));
        assert_eq!(seen, [0, 1, 2, 3]);
        assert_eq!(ring.len(), 2);
    }

    #[test]
    fn drops_unconsumed_values() {
        let value = Arc::new(());
        {
            let ring = Ring::with_capacity(2);
            let mut producer = Producer::default();
            push(&ring, &mut producer, Arc::clone(&value)).unwrap();
        }
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn a_consumer_that_panics_never_reads_a_value_twice() {
        let value = Arc::new(());
        let ring = Ring::with_capacity(4);
        let mut producer = Producer::default();
        for _ in 0..3 {
            push(&ring, &mut producer, Arc::clone(&value)).unwrap();
        }
        let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            take(&ring, usize::MAX, |_| panic!("a bug in the writer"))
        }));
        assert!(first.is_err());
        // The value handed to the panicking consumer was dropped once, and is gone.
        assert_eq!(ring.len(), 2);
        assert_eq!(take(&ring, usize::MAX, drop), 2);
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn reads_in_place_across_the_wrap_then_frees() {
        let ring = Ring::with_capacity(4);
        let mut producer = Producer::default();
        for i in 0..3 {
            push(&ring, &mut producer, i).unwrap();
        }
        take(&ring, 2, drop);
        for i in 3..6 {
            push(&ring, &mut producer, i).unwrap();
        }
        // SAFETY: one consumer, as in `take`.
        let (taken, parts) =
            unsafe { ring.read_in_place(usize::MAX, |a, b| (a.to_vec(), b.to_vec())) };
        assert_eq!((taken, parts), (4, (vec![2, 3], vec![4, 5])));
        assert_eq!(ring.len(), 0);
        assert!(push(&ring, &mut producer, 6).is_ok());
    }

    #[test]
    fn hands_every_value_across_threads_exactly_once() {
        let ring = Arc::new(Ring::with_capacity(1024));
        let producer_ring = Arc::clone(&ring);
        let total = 100_000u64;
        let producer = std::thread::spawn(move || {
            let mut cursor = Producer::default();
            for i in 0..total {
                let mut value = i;
                while let Err(back) = push(&producer_ring, &mut cursor, value) {
                    value = back;
                    std::thread::yield_now();
                }
            }
        });
        let mut expected = 0u64;
        while expected < total {
            take(&ring, usize::MAX, |v| {
                assert_eq!(v, expected);
                expected += 1;
            });
        }
        producer.join().unwrap();
    }
}
