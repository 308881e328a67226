//! A small, seeded, self-contained PRNG for the game: xoshiro256++ seeded through SplitMix64.
//!
//! The engine owns its randomness so that a game is reproducible from one `u64` seed on any
//! machine and any version of `rand`, and so that the hot loop (one spawn per move) stays a few
//! nanoseconds.

/// SplitMix64: turns one `u64` seed into a stream of well-mixed words.
///
/// Used to expand a seed into xoshiro's 256-bit state (xoshiro must not start from all zeros,
/// and nearby seeds must not give correlated streams) and to derive per-environment seeds.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ (Blackman and Vigna): 256 bits of state, period 2^256 - 1, passes BigCrush.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xoshiro256PlusPlus {
    state: [u64; 4],
}

impl Xoshiro256PlusPlus {
    /// Expands `seed` with SplitMix64, so every seed (including 0) gives a valid, distinct state.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut mixer = SplitMix64::new(seed);
        Self {
            state: [
                mixer.next_u64(),
                mixer.next_u64(),
                mixer.next_u64(),
                mixer.next_u64(),
            ],
        }
    }

    /// Uses `state` verbatim; returns `None` for the all-zero state, which xoshiro never leaves.
    pub fn from_state(state: [u64; 4]) -> Option<Self> {
        (state != [0; 4]).then_some(Self { state })
    }

    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.state;
        let result = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = s3.rotate_left(45);
        self.state = [s0, s1, s2, s3];
        result
    }

    /// The high half of a 64-bit output: xoshiro's high bits are its strongest.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A uniform integer in `0..bound`, without modulo bias (Lemire's multiply-and-reject).
    ///
    /// Rejection happens with probability below `bound / 2^32`, so for the game's bounds
    /// (at most 16) it is practically never taken and the call costs one multiplication.
    ///
    /// # Panics
    /// If `bound` is 0 (an empty range has no uniform element).
    pub fn below(&mut self, bound: u32) -> u32 {
        assert!(
            bound > 0,
            "Xoshiro256PlusPlus::below needs a bound of at least 1"
        );
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

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_reference_outputs_from_state_1_2_3_4() {
        // First outputs of the reference C implementation for state {1, 2, 3, 4}.
        let mut rng = Xoshiro256PlusPlus::from_state([1, 2, 3, 4]).unwrap();
        let outputs: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            outputs,
            [41943041, 58720359, 3588806011781223, 3591011842654386]
        );
    }

    #[test]
    fn splitmix_matches_reference_outputs_for_seed_0() {
        let mut mixer = SplitMix64::new(0);
        assert_eq!(mixer.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mixer.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn all_zero_state_is_rejected() {
        assert_eq!(Xoshiro256PlusPlus::from_state([0; 4]), None);
    }

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
    fn f64_is_in_unit_interval() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        assert!(
            (0..10_000)
                .map(|_| rng.next_f64())
                .all(|x| (0.0..1.0).contains(&x))
        );
    }

    #[test]
    #[should_panic(expected = "needs a bound of at least 1")]
    fn below_zero_panics_with_a_clear_message() {
        Xoshiro256PlusPlus::seed_from_u64(0).below(0);
    }
}
