//! The game's randomness: `rand_xoshiro`'s xoshiro256++ seeded through SplitMix64, and the
//! unbiased bounded draw that places tiles and picks random moves.
//!
//! A game is reproducible from one `u64` seed on any machine: xoshiro256++ and SplitMix64 are
//! fixed algorithms, and the bounded draw is ours rather than `rand`'s `gen_range`, whose method
//! differs between `rand` versions. In `rand` 0.8, `gen_range(0..bound)` also rejects a draw
//! whenever its low product half exceeds `(bound << bound.leading_zeros()) - 1`: half of all draws
//! for 16 cells, 37.5% for the 1-in-10 choice of a 4; `below` rejects fewer than `bound / 2^32`.

use rand::RngCore;

pub use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// Uniform integers below a bound, for any generator.
pub trait UniformBelow {
    /// A uniform integer in `0..bound`, without modulo bias (Lemire's multiply-and-reject on
    /// the high 32 bits of one output).
    ///
    /// Rejection happens with probability below `bound / 2^32`, so for the game's bounds (at
    /// most 16) it is practically never taken and the call costs one multiplication.
    ///
    /// # Panics
    /// If `bound` is 0 (an empty range has no uniform element).
    fn below(&mut self, bound: u32) -> u32;
}

impl<R: RngCore + ?Sized> UniformBelow for R {
    #[inline]
    fn below(&mut self, bound: u32) -> u32 {
        assert!(bound > 0, "below needs a bound of at least 1");
        let mut product = u64::from(self.next_u32()) * u64::from(bound);
        let mut low = product as u32;
        if low < bound {
            // 2^32 mod bound: the products whose low half falls below it are the surplus that
            // would make small results more likely.
            let threshold = bound.wrapping_neg() % bound;
            while low < threshold {
                product = u64::from(self.next_u32()) * u64::from(bound);
                low = product as u32;
            }
        }
        (product >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn below_one_is_always_zero() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        assert!((0..1000).all(|_| rng.below(1) == 0));
    }

    #[test]
    fn below_takes_the_rejection_path_for_a_bound_that_does_not_divide_2_pow_32() {
        // With bound = 3 * 2^30 the threshold is 2^30, so about a quarter of draws are rejected;
        // the result must still be in range and each third of the range about equally likely.
        let bound = 3u32 << 30;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut thirds = [0u32; 3];
        for _ in 0..30_000 {
            let value = rng.below(bound);
            assert!(value < bound);
            thirds[(value >> 30) as usize] += 1;
        }
        for count in thirds {
            assert!((9_400..=10_600).contains(&count), "{thirds:?}");
        }
    }

    #[test]
    #[should_panic(expected = "needs a bound of at least 1")]
    fn below_zero_panics_with_a_clear_message() {
        Xoshiro256PlusPlus::seed_from_u64(0).below(0);
    }
}
