//! End-to-end tests live in `tests/`; `cdp` drives the headless browser they use.

pub mod cdp;
