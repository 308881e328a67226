//! The OTLP exporter's own thread: it takes the requests the writer batches from a bounded
//! queue and POSTs them (protobuf, `/v1/traces`). Nothing here can hold up the writer (which
//! also writes the logs, and which producers wait for when their rings fill): the writer only
//! ever queues without waiting, and a full queue drops the new request, counted. A collector
//! that is down, slow or answers 5xx costs retries with back-off on this thread alone; at the
//! end, the session waits a bounded time for the queue to drain and counts the rest as dropped.

use std::collections::VecDeque;
use std::io::Read as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;

use crate::summary::OtlpCounts;

/// Spans waiting to be sent, at most: about 20 MB of requests. Beyond, new spans are dropped.
pub(crate) const QUEUE_SPANS: usize = 65_536;
/// A request that gets no complete answer within this is a failed attempt (the OTLP
/// exporters' default, `OTEL_EXPORTER_OTLP_TIMEOUT`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per request before its spans are dropped; the waits between them double from
/// `FIRST_BACKOFF` up to `MAX_BACKOFF` (about 3 s in all).
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long the end of a session waits for queued spans to reach the collector.
pub(crate) const FINAL_WAIT: Duration = Duration::from_secs(2);

/// One request on its way, with its span count for the counters.
struct Queued {
    request: ExportTraceServiceRequest,
    spans: u64,
}

#[derive(Default)]
struct Queue {
    requests: VecDeque<Queued>,
    queued_spans: u64,
    /// Spans of the request being sent.
    in_flight: u64,
    /// The session has ended: no more requests come, and the thread ends when the queue is
    /// empty.
    closing: bool,
    /// The final wait is over: whatever is queued or in flight was counted as dropped.
    abandoned: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a request is queued, taken, or done, and at the end.
    changed: Condvar,
    exported: AtomicU64,
    dropped: AtomicU64,
    errors: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The writer's handle on the exporter thread.
pub(crate) struct Exporter {
    url: String,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Exporter {
    /// Starts the thread that sends to `endpoint` (`http://host:port`, to which `/v1/traces` is
    /// added unless it ends with it).
    pub(crate) fn start(endpoint: &str) -> std::io::Result<Exporter> {
        let endpoint = endpoint.trim_end_matches('/');
        let url = if endpoint.ends_with("/v1/traces") {
            endpoint.to_owned()
        } else {
            format!("{endpoint}/v1/traces")
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            exported: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        });
        let sender = Sender {
            url: url.clone(),
            shared: Arc::clone(&shared),
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(REQUEST_TIMEOUT))
                .http_status_as_error(false)
                .build()
                .into(),
        };
        let thread = std::thread::Builder::new()
            .name("timed-otlp".into())
            .spawn(move || sender.run())?;
        Ok(Exporter {
            url,
            shared,
            thread: Some(thread),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Queues a request without waiting: when it would overflow the queue's bound, its spans
    /// are dropped (counted) instead.
    pub(crate) fn send(&self, request: ExportTraceServiceRequest, spans: u64) {
        let mut queue = self.shared.lock();
        if queue.closing || queue.queued_spans + spans > QUEUE_SPANS as u64 {
            drop(queue);
            self.shared.dropped.fetch_add(spans, Ordering::Relaxed);
            return;
        }
        queue.queued_spans += spans;
        queue.requests.push_back(Queued { request, spans });
        drop(queue);
        self.shared.changed.notify_all();
    }

    pub(crate) fn counts(&self) -> OtlpCounts {
        OtlpCounts {
            exported: self.shared.exported.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            errors: self.shared.errors.load(Ordering::Relaxed),
        }
    }

    /// Ends the export: waits up to `patience` for every queued span to be sent (or given up),
    /// then counts whatever is still queued or in flight as dropped. The thread is joined only
    /// when it has finished; one stuck in a request to a stalled collector is left to end on its
    /// own when the request times out.
    pub(crate) fn finish(&mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        let mut queue = self.shared.lock();
        queue.closing = true;
        self.shared.changed.notify_all();
        while !queue.requests.is_empty() || queue.in_flight > 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            queue = self
                .shared
                .changed
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        let stranded = queue.queued_spans + queue.in_flight;
        queue.requests.clear();
        queue.queued_spans = 0;
        queue.in_flight = 0;
        queue.abandoned = true;
        drop(queue);
        self.shared.dropped.fetch_add(stranded, Ordering::Relaxed);
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take()
            && (thread.is_finished() || stranded == 0)
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.finish(Duration::ZERO);
        }
    }
}

/// The exporter thread.
struct Sender {
    url: String,
    shared: Arc<Shared>,
    agent: ureq::Agent,
}

/// How one attempt went.
enum Outcome {
    /// Taken; `rejected` spans of it refused by the collector (a partial success).
    Accepted { rejected: u64 },
    /// Worth another attempt: no connection, a timeout, 429, 502, 503 or 504.
    Retry,
    /// Refused for good (another 4xx or 5xx).
    Refused,
}

impl Sender {
    fn run(self) {
        while let Some(queued) = self.next() {
            let body = queued.request.encode_to_vec();
            let mut backoff = FIRST_BACKOFF;
            let mut attempt = 1;
            let delivered = loop {
                match self.post(&body) {
                    Outcome::Accepted { rejected } => break Some(rejected),
                    Outcome::Refused => {
                        self.shared.errors.fetch_add(1, Ordering::Relaxed);
                        break None;
                    }
                    Outcome::Retry => {
                        self.shared.errors.fetch_add(1, Ordering::Relaxed);
                        if attempt == ATTEMPTS || !self.back_off(backoff) {
                            break None;
                        }
                        attempt += 1;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            };
            self.done(queued.spans, delivered);
        }
    }

    /// Takes the next request, waiting for one; `None` once the session has ended and the queue
    /// is empty, or the final wait is over.
    fn next(&self) -> Option<Queued> {
        let mut queue = self.shared.lock();
        loop {
            if queue.abandoned {
                return None;
            }
            if let Some(queued) = queue.requests.pop_front() {
                queue.queued_spans -= queued.spans;
                queue.in_flight = queued.spans;
                return Some(queued);
            }
            if queue.closing {
                return None;
            }
            queue = self
                .shared
                .changed
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Waits before the next attempt; false when the final wait ended meanwhile.
    fn back_off(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut queue = self.shared.lock();
        loop {
            if queue.abandoned {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            queue = self
                .shared
                .changed
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Counts a request's spans once it is settled: exported (less those the collector
    /// rejected) or dropped. After the final wait they were already counted as dropped.
    fn done(&self, spans: u64, delivered: Option<u64>) {
        let mut queue = self.shared.lock();
        if queue.abandoned {
            return;
        }
        queue.in_flight = 0;
        drop(queue);
        match delivered {
            Some(rejected) => {
                let rejected = rejected.min(spans);
                self.shared
                    .exported
                    .fetch_add(spans - rejected, Ordering::Relaxed);
                self.shared.dropped.fetch_add(rejected, Ordering::Relaxed);
            }
            None => {
                self.shared.dropped.fetch_add(spans, Ordering::Relaxed);
            }
        }
        self.shared.changed.notify_all();
    }

    fn post(&self, body: &[u8]) -> Outcome {
        let response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/x-protobuf")
            .send(body);
        let mut response = match response {
            Ok(response) => response,
            Err(_) => return Outcome::Retry,
        };
        let status = response.status().as_u16();
        match status {
            200..=299 => {
                let mut answer = Vec::new();
                let read = response
                    .body_mut()
                    .as_reader()
                    .take(1 << 20)
                    .read_to_end(&mut answer);
                let rejected = read
                    .ok()
                    .and_then(|_| ExportTraceServiceResponse::decode(answer.as_slice()).ok())
                    .and_then(|answer| answer.partial_success)
                    .map_or(0, |partial| partial.rejected_spans.max(0) as u64);
                Outcome::Accepted { rejected }
            }
            429 | 502..=504 => Outcome::Retry,
            _ => Outcome::Refused,
        }
    }
}
