//! A bounded single-producer single-consumer ring: the recording thread pushes without locks or
//! allocation, the writer takes everything published so far in one batch.
//!
//! The producer keeps its own copy of the head and a cached tail (in `Producer`), so a push is a
//! slot write and one release store; it reads the shared tail only when the ring looks full.

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

// SAFETY: slots are handed over through the head/tail protocol: the producer writes a slot only
// when it is free (before `tail + capacity`) and publishes it with a release store of `head`;
// the consumer reads only published slots and frees them with a release store of `tail`.
unsafe impl<T: Send> Send for Ring<T> {}
unsafe impl<T: Send> Sync for Ring<T> {}

/// The producer's private cursor over a ring.
#[derive(Default)]
pub(crate) struct Producer {
    head: usize,
    cached_tail: usize,
}

impl Producer {
    pub(crate) const fn new() -> Producer {
        Producer {
            head: 0,
            cached_tail: 0,
        }
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

    /// Pushes if there is room; gives the value back otherwise.
    ///
    /// # Safety
    /// Only one thread may ever push to a ring, always with the same `Producer`.
    #[inline(always)]
    pub(crate) unsafe fn try_push(&self, producer: &mut Producer, value: T) -> Result<usize, T> {
        if producer.head - producer.cached_tail > self.mask {
            producer.cached_tail = self.tail.0.load(Ordering::Acquire);
            if producer.head - producer.cached_tail > self.mask {
                return Err(value);
            }
        }
        // SAFETY: the slot is free (checked above) and only this producer writes slots.
        unsafe { (*self.slots[producer.head & self.mask].get()).write(value) };
        producer.head += 1;
        self.head.0.store(producer.head, Ordering::Release);
        Ok(producer.head)
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
    /// Only one thread at a time may consume (the writer holds its state lock).
    pub(crate) unsafe fn consume(&self, limit: usize, mut each: impl FnMut(T)) -> usize {
        let head = self.head.0.load(Ordering::Acquire);
        let mut tail = self.tail.0.load(Ordering::Relaxed);
        let taken = (head - tail).min(limit);
        let end = tail + taken;
        while tail != end {
            // SAFETY: slots in tail..head were written and published by the producer and are
            // read exactly once, here, before the tail store frees them.
            let value = unsafe { (*self.slots[tail & self.mask].get()).assume_init_read() };
            tail += 1;
            each(value);
            if tail & 1023 == 0 {
                // Free space early so a producer waiting on a full ring resumes sooner.
                self.tail.0.store(tail, Ordering::Release);
            }
        }
        self.tail.0.store(tail, Ordering::Release);
        taken
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = *self.head.0.get_mut();
        let mut tail = *self.tail.0.get_mut();
        while tail != head {
            // SAFETY: unconsumed published values are still initialised; we own the ring now.
            unsafe { self.slots[tail & self.mask].get_mut().assume_init_drop() };
            tail += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn fills_drains_and_wraps_in_order() {
        let ring = Ring::with_capacity(4);
        let mut producer = Producer::default();
        for round in 0..3 {
            for i in 0..4 {
                assert!(unsafe { ring.try_push(&mut producer, round * 10 + i) }.is_ok());
            }
            assert_eq!(unsafe { ring.try_push(&mut producer, 99) }, Err(99));
            let mut seen = Vec::new();
            assert_eq!(unsafe { ring.consume(usize::MAX, |v| seen.push(v)) }, 4);
            assert_eq!(seen, (0..4).map(|i| round * 10 + i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn consume_respects_its_limit() {
        let ring = Ring::with_capacity(8);
        let mut producer = Producer::default();
        for i in 0..6 {
            unsafe { ring.try_push(&mut producer, i) }.unwrap();
        }
        let mut seen = Vec::new();
        unsafe { ring.consume(4, |v| seen.push(v)) };
        assert_eq!(seen, [0, 1, 2, 3]);
        assert_eq!(ring.len(), 2);
    }

    #[test]
    fn drops_unconsumed_values() {
        let value = Arc::new(());
        {
            let ring = Ring::with_capacity(2);
            let mut producer = Producer::default();
            unsafe { ring.try_push(&mut producer, Arc::clone(&value)) }.unwrap();
        }
        assert_eq!(Arc::strong_count(&value), 1);
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
                loop {
                    match unsafe { producer_ring.try_push(&mut cursor, value) } {
                        Ok(_) => break,
                        Err(back) => {
                            value = back;
                            std::thread::yield_now();
                        }
                    }
                }
            }
        });
        let mut expected = 0u64;
        while expected < total {
            unsafe {
                ring.consume(usize::MAX, |v| {
                    assert_eq!(v, expected);
                    expected += 1;
                })
            };
        }
        producer.join().unwrap();
    }
}
