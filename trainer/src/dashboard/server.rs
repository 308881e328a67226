//! The dashboard server: axum on a single-threaded tokio runtime in a thread of its own (the
//! training threads stay as they are), and a sampler thread that turns the runtime's live
//! statistics into timing messages once per interval.

use super::api;
use super::app::App;
use super::control::{Control, RunHandle};
use super::error::{DashboardError, StartError};
use super::hub::{ClientCounts, Hub};
use super::live_timing::{TimingTracker, operation_totals};
use super::options::DashboardOptions;
use super::page;
use super::protocol::Kind;
use super::security::{Access, generate_token, guard};
use super::state::RunStatus;
use super::ws;
use crate::manager::TrainSettings;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

/// How long a shutting-down server waits for connections to finish their answers.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running dashboard. Dropping it shuts the server down (a run it started goes on).
#[derive(Debug)]
pub struct Dashboard {
    addr: SocketAddr,
    token: Option<String>,
    hub: Arc<Hub>,
    control: Arc<Control>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    stop_sampler: Option<mpsc::Sender<()>>,
    sampler: Option<JoinHandle<()>>,
}

fn bind(addr: SocketAddr, send_buffer: Option<u32>) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    if let Some(bytes) = send_buffer {
        // Accepted connections inherit it.
        socket.set_send_buffer_size(bytes)?;
    }
    socket.bind(addr)?;
    socket.listen(1024)
}

fn router(app: App, access: Arc<Access>, max_body: usize) -> Router {
    Router::new()
        .route("/", get(api::page))
        .route("/api/status", get(api::status))
        .route("/api/runs", get(api::runs).post(api::start_run))
        .route("/api/stop", post(api::stop))
        .route("/runs/{id}/{file}", get(api::run_file))
        .route("/ws", get(ws::upgrade))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(access, guard))
        .with_state(app)
}

/// Samples the live statistics every `interval` while a run is going, until told to stop.
fn sample_timing(
    hub: Arc<Hub>,
    control: Arc<Control>,
    interval: Duration,
    window: usize,
    stop: mpsc::Receiver<()>,
) {
    let mut tracker = TimingTracker::new(window);
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(interval) {
        if !control.status().is_running() {
            tracker.reset();
            continue;
        }
        let totals = operation_totals(&timed_runtime::snapshot());
        let mode = timed_runtime::mode().as_str();
        if let Some(body) = tracker.sample(Instant::now(), mode, totals) {
            hub.publish_value(Kind::Timing, &body);
        }
    }
}

impl Dashboard {
    /// Listens on `options.addr` (port 0: any free port) and serves until dropped.
    pub fn start(options: DashboardOptions) -> Result<Dashboard, DashboardError> {
        options.check()?;
        let token = options.needs_token().then(generate_token);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(DashboardError::Start)?;
        let bound = {
            let _entered = runtime.enter();
            bind(options.addr, options.send_buffer_bytes).and_then(|listener| {
                let addr = listener.local_addr()?;
                Ok((listener, addr))
            })
        };
        let (listener, addr) = match bound {
            Ok(bound) => bound,
            Err(source) => {
                // Dropping a runtime blocks, which a caller inside another runtime may not.
                runtime.shutdown_background();
                return Err(DashboardError::Bind {
                    addr: options.addr,
                    source,
                });
            }
        };
        let hub = Arc::new(Hub::new(options.client_queue, options.history_points));
        let status = Arc::new(RunStatus::default());
        let control = Arc::new(Control::new(
            Arc::clone(&hub),
            status,
            options.base_settings.clone(),
        ));
        let (shutdown, shutdown_seen) = watch::channel(false);
        let app = App {
            hub: Arc::clone(&hub),
            control: Arc::clone(&control),
            page: page::html().into(),
            token_required: token.is_some(),
            stall_timeout: options.stall_timeout,
            max_message_bytes: options.max_request_bytes,
            shutdown: shutdown_seen.clone(),
        };
        let routes = router(
            app,
            Arc::new(Access::new(token.clone())),
            options.max_request_bytes,
        );
        let server = thread::Builder::new()
            .name("dashboard".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut signal = shutdown_seen.clone();
                    let serving =
                        axum::serve(listener, routes).with_graceful_shutdown(async move {
                            let _ = signal.wait_for(|&stop| stop).await;
                        });
                    let mut deadline = shutdown_seen;
                    tokio::select! {
                        // Serving errors are per connection: the server itself goes on.
                        _ = serving => {}
                        _ = async {
                            let _ = deadline.wait_for(|&stop| stop).await;
                            tokio::time::sleep(SHUTDOWN_GRACE).await;
                        } => {}
                    }
                });
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            })
            .map_err(DashboardError::Start)?;
        let (stop_sampler, stop) = mpsc::channel();
        let sampler = {
            let (hub, control) = (Arc::clone(&hub), Arc::clone(&control));
            let (interval, window) = (options.timing_interval, options.findings_window);
            thread::Builder::new()
                .name("dashboard-timing".into())
                .spawn(move || sample_timing(hub, control, interval, window, stop))
                .map_err(DashboardError::Start)?
        };
        Ok(Dashboard {
            addr,
            token,
            hub,
            control,
            shutdown,
            server: Some(server),
            stop_sampler: Some(stop_sampler),
            sampler: Some(sampler),
        })
    }

    /// The address it listens on (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token every request needs, when remote access is allowed.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The page's URL (with the token when one is needed).
    pub fn url(&self) -> String {
        match &self.token {
            Some(token) => format!("http://{}/?token={token}", self.addr),
            None => format!("http://{}/", self.addr),
        }
    }

    /// Starts a run, as `POST /api/runs` does, with these settings as they are.
    pub fn start_run(&self, settings: TrainSettings) -> Result<RunHandle, StartError> {
        self.control.start(settings)
    }

    /// Asks the running run to stop after its current iteration; `false` when none is going.
    pub fn request_stop(&self) -> bool {
        self.control.request_stop()
    }

    pub fn is_running(&self) -> bool {
        self.control.status().is_running()
    }

    /// Waits until no run is going, at most `timeout`; whether none is.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.control.wait_idle(timeout)
    }

    /// The server's clients so far.
    pub fn clients(&self) -> ClientCounts {
        self.hub.counts()
    }

    fn stop_threads(&mut self) {
        let _ = self.shutdown.send(true);
        drop(self.stop_sampler.take());
        for thread in [self.sampler.take(), self.server.take()]
            .into_iter()
            .flatten()
        {
            let _ = thread.join();
        }
    }

    /// Closes the clients' connections and stops serving.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.stop_threads();
    }
}
