//! How the dashboard serves: where, to whom, and the bounds that keep a slow client from ever
//! costing the run anything.

use super::error::DashboardError;
use crate::manager::TrainSettings;
use std::net::SocketAddr;
use std::time::Duration;

/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8050";

#[derive(Clone, Debug)]
pub struct DashboardOptions {
    pub addr: SocketAddr,
    /// Serve an address other than loopback. Every request then needs the token the server
    /// makes at start (and prints in the page's URL).
    pub allow_remote: bool,
    /// What a run started from the page or `POST /api/runs` starts from; the request's fields
    /// override it. Its `log_dir` is also where `GET /api/runs` lists the history.
    pub base_settings: TrainSettings,
    /// Messages waiting for one client; beyond, that client's newest messages are dropped
    /// (and counted, and the count told in the next message it gets).
    pub client_queue: usize,
    /// A client whose socket accepts nothing for this long is disconnected.
    pub stall_timeout: Duration,
    /// How often the live timing is sampled and sent.
    pub timing_interval: Duration,
    /// Timing intervals whose sum the live bottlenecks and recommendations are found on.
    pub findings_window: usize,
    /// Iterations kept for a client that connects mid-run; beyond, the history is thinned
    /// evenly (every other point), so it still starts at the first iteration.
    pub history_points: usize,
    /// The kernel's send buffer per connection (`SO_SNDBUF`, inherited from the listening
    /// socket): what a stalled client can hold besides its queue. `None`: the system's.
    pub send_buffer_bytes: Option<u32>,
    /// The largest request body (`POST /api/runs`) and WebSocket message accepted.
    pub max_request_bytes: usize,
}

impl DashboardOptions {
    pub fn new(addr: SocketAddr) -> Self {
        DashboardOptions {
            addr,
            allow_remote: false,
            base_settings: TrainSettings::default(),
            client_queue: 256,
            stall_timeout: Duration::from_secs(10),
            timing_interval: Duration::from_secs(1),
            findings_window: 10,
            history_points: 2000,
            send_buffer_bytes: Some(256 * 1024),
            max_request_bytes: 64 * 1024,
        }
    }

    /// Whether requests need the token: whenever remote access is allowed, whatever the
    /// address.
    pub fn needs_token(&self) -> bool {
        self.allow_remote
    }

    /// Refuses an address other than loopback unless remote access was asked for.
    pub fn check(&self) -> Result<(), DashboardError> {
        if !self.addr.ip().is_loopback() && !self.allow_remote {
            return Err(DashboardError::NotLoopback { addr: self.addr });
        }
        Ok(())
    }
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions::new(DEFAULT_ADDR.parse().expect("a socket address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_served_without_asking() {
        for addr in ["127.0.0.1:8050", "127.0.0.2:0", "[::1]:8050"] {
            let options = DashboardOptions::new(addr.parse().unwrap());
            assert!(options.check().is_ok(), "{addr}");
            assert!(!options.needs_token());
        }
        let mut options = DashboardOptions::new("0.0.0.0:8050".parse().unwrap());
        assert!(matches!(
            options.check(),
            Err(DashboardError::NotLoopback { addr }) if addr.port() == 8050
        ));
        options.allow_remote = true;
        assert!(options.check().is_ok());
        assert!(options.needs_token());
        assert_eq!(DashboardOptions::default().addr.to_string(), DEFAULT_ADDR);
    }
}
