//! Why the dashboard could not start, and why a run could not be started from it.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// The dashboard server could not start.
#[derive(Debug)]
pub enum DashboardError {
    /// The address is not a loopback one and remote access was not asked for.
    NotLoopback { addr: SocketAddr },
    /// The address cannot be listened on; the I/O error is the source.
    Bind { addr: SocketAddr, source: io::Error },
    /// The server's runtime or threads could not be created; the I/O error is the source.
    Start(io::Error),
}

impl DashboardError {
    /// 2 for an address the request should not have given, 1 for a failure to serve.
    pub fn exit_code(&self) -> i32 {
        match self {
            DashboardError::NotLoopback { .. } => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for DashboardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DashboardError::NotLoopback { addr } => write!(
                f,
                "dashboard address {addr} is not a loopback address: add \
                 --dashboard-allow-remote to serve other machines (every request then needs the \
                 token printed at start)"
            ),
            DashboardError::Bind { addr, .. } => {
                write!(f, "cannot serve the dashboard on {addr}")
            }
            DashboardError::Start(_) => write!(f, "cannot start the dashboard server"),
        }
    }
}

impl Error for DashboardError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            DashboardError::NotLoopback { .. } => None,
            DashboardError::Bind { source, .. } => Some(source),
            DashboardError::Start(source) => Some(source),
        }
    }
}

/// Why `POST /api/runs` (or [`super::Dashboard::start_run`]) did not start a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// The settings cannot be used: `field` names the setting when one is to blame (the
    /// settings' JSON name, e.g. `envs`, `hidden[1]`), `message` says why.
    Settings {
        field: Option<String>,
        message: String,
    },
    /// A run is going: one at a time.
    Busy,
    /// The run's thread could not be created.
    Spawn(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Settings { message, .. } => write!(f, "{message}"),
            StartError::Busy => write!(
                f,
                "a run is going: stop it (POST /api/stop) or wait for it to finish"
            ),
            StartError::Spawn(why) => write!(f, "cannot start the run's thread: {why}"),
        }
    }
}

impl Error for StartError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Chain;

    #[test]
    fn messages_name_the_address_and_give_the_cause_once() {
        let addr: SocketAddr = "0.0.0.0:8050".parse().unwrap();
        let refused = DashboardError::NotLoopback { addr };
        assert_eq!(
            refused.to_string(),
            "dashboard address 0.0.0.0:8050 is not a loopback address: add \
             --dashboard-allow-remote to serve other machines (every request then needs the \
             token printed at start)"
        );
        assert_eq!(refused.exit_code(), 2);
        let taken = DashboardError::Bind {
            addr: "127.0.0.1:8050".parse().unwrap(),
            source: io::Error::from_raw_os_error(98),
        };
        assert_eq!(
            Chain(&taken).to_string(),
            "cannot serve the dashboard on 127.0.0.1:8050: Address already in use (os error 98)"
        );
        assert_eq!(taken.exit_code(), 1);
    }
}
