//! A bounded single-producer single-consumer ring: the recording thread pushes without locks or
//! allocation, the writer takes everything published so far in one batch.
//!
//! The producer (`Producer`) keeps its own copy of the head, how far it may write (a tail it has
//! seen plus the capacity) and where the slots are, so a push is one comparison, a slot write
//! and one release store, with nothing of the ring's to load on the way; it reads the shared tail
//! only when it reaches that limit.

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
// obligations on `Producer::new` and `consume`), a slot is only ever accessed by one of them:
// the producer writes a slot only when it is free (before `tail + capacity`) and publishes it
// with a release store of `head`; the consumer reads only slots published so (acquire load of
// `head`) and frees them with a release store of `tail`, which the producer's acquire load
// pairs with before it writes the slot again. Values cross threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Ring<T> {}

/// The producer end of one ring (or of none: `Producer::none`, which never has room).
pub(crate) struct Producer<T> {
    /// The ring's slots; null for no ring.
    slots: *mut T,
    mask: usize,
    head: usize,
    /// A tail loaded from the ring, plus its capacity: the slots before it are free.
    limit: usize,
    ring: *const Ring<T>,
}

impl<T> Producer<T> {
    /// A producer of no ring.
    pub(crate) const fn none() -> Producer<T> {
        Producer {
            slots: std::ptr::null_mut(),
            mask: 0,
            head: 0,
            limit: 0,
            ring: std::ptr::null(),
        }
    }

    /// The producer of `ring`, which has not been pushed to yet.
    ///
    /// # Safety
    /// `ring` outlives the producer, and nothing else ever pushes to it.
    pub(crate) unsafe fn new(ring: &Ring<T>) -> Producer<T> {
        Producer {
            // `UnsafeCell<MaybeUninit<T>>` has the layout of `T` (both are `repr(transparent)`).
            slots: UnsafeCell::raw_get(ring.slots.as_ptr()).cast(),
            mask: ring.mask,
            head: 0,
            limit: 0,
            ring,
        }
    }

    /// Whether this produces into a ring.
    #[inline(always)]
    pub(crate) fn is_connected(&self) -> bool {
        !self.slots.is_null()
    }

    /// The ring, if any.
    pub(crate) fn ring(&self) -> Option<&Ring<T>> {
        // SAFETY: a non-null `ring` outlives the producer (`new`'s contract).
        unsafe { self.ring.as_ref() }
    }

    /// Whether the slot at the head is free (looking at the tail again when the producer
    /// reached its limit). Once it is, it stays free until the producer pushes.
    #[inline(always)]
    pub(crate) fn has_room(&mut self) -> bool {
        self.head != self.limit || self.reload_limit()
    }

    /// The producer reached its limit: looks at the tail again. Whether there is room.
    #[cold]
    #[inline(never)]
    fn reload_limit(&mut self) -> bool {
        let Some(ring) = self.ring() else {
            return false;
        };
        self.limit = ring.tail.0.load(Ordering::Acquire) + ring.capacity();
        self.head != self.limit
    }

    /// Writes `value` in the slot at the head and publishes it. Returns the new head.
    ///
    /// # Safety
    /// `has_room` returned true since the last push.
    #[inline(always)]
    pub(crate) unsafe fn push(&mut self, value: T) -> usize {
        let head = self.head + 1;
        // SAFETY: `has_room` found a ring (`limit` is only ever moved off 0 with one), whose
        // slots `slots` points to, and which outlives the producer (`new`'s contract).
        // `self.head & mask` is below the capacity, the slots' length. The slot at `self.head`
        // is free: `self.head < limit`, a tail loaded with acquire plus the capacity, so the
        // consumer has finished reading it (or never used it). No one else pushes (`new`'s
        // contract), so nothing else writes it, and the consumer does not read it until the
        // release store of the new head below publishes it.
        unsafe {
            self.slots.add(self.head & self.mask).write(value);
            (*self.ring).head.0.store(head, Ordering::Release);
        }
        self.head = head;
        head
    }

    /// Pushes if there is room; gives the value back otherwise. Returns the new head.
    #[cfg(test)]
    pub(crate) fn try_push(&mut self, value: T) -> Result<usize, T> {
        if !self.has_room() {
            return Err(value);
        }
        // SAFETY: `has_room` just said so.
        Ok(unsafe { self.push(value) })
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

    // The tests below make one `Producer` per ring, which outlives none of them, and consume
    // from one thread at a time: the contracts of `Producer::new` and `consume`.

    fn producer<T>(ring: &Ring<T>) -> Producer<T> {
        // SAFETY: see above.
        unsafe { Producer::new(ring) }
    }

    fn take<T>(ring: &Ring<T>, limit: usize, each: impl FnMut(T)) -> usize {
        // SAFETY: see above.
        unsafe { ring.consume(limit, each) }
    }

    #[test]
    fn fills_drains_and_wraps_in_order() {
        let ring = Ring::with_capacity(4);
        let mut producer = producer(&ring);
        for round in 0..3 {
            for i in 0..4 {
                assert!(producer.try_push(round * 10 + i).is_ok());
            }
            assert_eq!(producer.try_push(99), Err(99));
            let mut seen = Vec::new();
            assert_eq!(take(&ring, usize::MAX, |v| seen.push(v)), 4);
            assert_eq!(seen, (0..4).map(|i| round * 10 + i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn consume_respects_its_limit() {
        let ring = Ring::with_capacity(8);
        let mut producer = producer(&ring);
        for i in 0..6 {
            producer.try_push(i).unwrap();
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
            let mut producer = producer(&ring);
            producer.try_push(Arc::clone(&value)).unwrap();
        }
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn a_consumer_that_panics_never_reads_a_value_twice() {
        let value = Arc::new(());
        let ring = Ring::with_capacity(4);
        let mut producer = producer(&ring);
        for _ in 0..3 {
            producer.try_push(Arc::clone(&value)).unwrap();
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
        let mut producer = producer(&ring);
        for i in 0..3 {
            producer.try_push(i).unwrap();
        }
        take(&ring, 2, drop);
        for i in 3..6 {
            producer.try_push(i).unwrap();
        }
        // SAFETY: one consumer, as in `take`.
        let (taken, parts) =
            unsafe { ring.read_in_place(usize::MAX, |a, b| (a.to_vec(), b.to_vec())) };
        assert_eq!((taken, parts), (4, (vec![2, 3], vec![4, 5])));
        assert_eq!(ring.len(), 0);
        assert!(producer.try_push(6).is_ok());
    }

    #[test]
    fn hands_every_value_across_threads_exactly_once() {
        let ring = Arc::new(Ring::with_capacity(1024));
        let producer_ring = Arc::clone(&ring);
        let total = 100_000u64;
        let producing = std::thread::spawn(move || {
            let mut cursor = producer(&producer_ring);
            for i in 0..total {
                let mut value = i;
                while let Err(back) = cursor.try_push(value) {
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
        producing.join().unwrap();
    }
}
