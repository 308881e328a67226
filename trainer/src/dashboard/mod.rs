//! The live dashboard: a page that shows a training run as it goes (scores, reach rates,
//! throughput, losses, where the time goes), starts and stops runs, and an API and a
//! WebSocket for scripts (README "The live dashboard").
//!
//! Data flows one way. The run's thread tells a [`observer::DashboardObserver`] what happens;
//! it publishes each message once through the [`hub::Hub`], which hands it to every client's
//! bounded queue without waiting. [`live_timing`] turns the timing runtime's live statistics
//! into timing messages on a sampler thread. [`control`] starts and stops runs, [`state`]
//! keeps them one at a time. The server ([`server::Dashboard`]) routes HTTP ([`api`]) and
//! WebSocket ([`ws`]) requests behind [`security`]'s rules, on a tokio runtime in a thread of
//! its own; [`protocol`] is the messages' format, [`files`] a log directory's runs, [`page`]
//! the page.

pub mod api;
pub mod app;
pub mod control;
pub mod error;
pub mod files;
pub mod hub;
pub mod live_timing;
pub mod observer;
pub mod options;
pub mod page;
pub mod protocol;
pub mod security;
pub mod server;
pub mod state;
pub mod ws;

pub use control::RunHandle;
pub use error::{DashboardError, StartError};
pub use hub::ClientCounts;
pub use options::{DEFAULT_ADDR, DashboardOptions};
pub use server::Dashboard;
