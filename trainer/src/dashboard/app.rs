//! What every request handler shares.

use super::control::Control;
use super::hub::Hub;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct App {
    pub hub: Arc<Hub>,
    pub control: Arc<Control>,
    /// The page, assembled once.
    pub page: Arc<str>,
    pub token_required: bool,
    pub stall_timeout: Duration,
    pub max_message_bytes: usize,
    /// Becomes `true` when the server shuts down: WebSocket clients are told and closed.
    pub shutdown: watch::Receiver<bool>,
}
