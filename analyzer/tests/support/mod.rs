//! Helpers shared by the integration tests.

pub mod runs;
pub mod synthetic;
