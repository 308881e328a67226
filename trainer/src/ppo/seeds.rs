//! Independent seeds for every random stream (model init, shuffling, each shard's sampling and
//! environments) from the one configured seed.

/// SplitMix64's output function on `seed + stream * golden gamma`: nearby streams get unrelated
/// seeds.
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub const MODEL_STREAM: u64 = 0;
pub const SHUFFLE_STREAM: u64 = 1;
pub fn sampling_stream(shard: usize) -> u64 {
    1_000 + shard as u64
}
pub fn env_stream(shard: usize) -> u64 {
    2_000 + shard as u64
}
