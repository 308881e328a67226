//! Statistics per operation and per phase, exact where the samples fit in memory.

pub mod accumulator;
pub mod distribution;
pub mod histogram;
pub mod order_statistics;
pub mod sampler;
pub mod summary;
pub mod tallies;
