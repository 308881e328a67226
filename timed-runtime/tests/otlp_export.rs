//! The OTLP exporter against an in-process OTLP/HTTP receiver that decodes every request with
//! the OpenTelemetry project's protobuf types: the spans, their parents, times and attributes
//! exactly; and a receiver that is down, one that stalls, one that answers 503 and then 200.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use timed_runtime::{CallContext, Config, Mode, Session};

/// What the receiver does with each request.
#[derive(Clone, Copy)]
enum Behaviour {
    Accept,
    /// Answers 503 to this many requests, then 200.
    UnavailableFirst(usize),
    /// Answers 200 after this long.
    Stall(Duration),
}

struct Received {
    method: String,
    path: String,
    content_type: Option<String>,
    status: u16,
    request: ExportTraceServiceRequest,
}

struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(behaviour: Behaviour) -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("a loopback port");
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for (index, mut request) in server.incoming_requests().enumerate() {
                let mut body = Vec::new();
                request.as_reader().read_to_end(&mut body).unwrap();
                let status = match behaviour {
                    Behaviour::UnavailableFirst(failures) if index < failures => 503,
                    _ => 200,
                };
                log.lock().unwrap().push(Received {
                    method: request.method().to_string(),
                    path: request.url().to_string(),
                    content_type: request
                        .headers()
                        .iter()
                        .find(|header| header.field.equiv("Content-Type"))
                        .map(|header| header.value.to_string()),
                    status,
                    request: ExportTraceServiceRequest::decode(body.as_slice())
                        .expect("every request decodes as an ExportTraceServiceRequest"),
                });
                let respond = move || {
                    let _ = request.respond(tiny_http::Response::empty(status));
                };
                match behaviour {
                    Behaviour::Stall(wait) => {
                        std::thread::spawn(move || {
                            std::thread::sleep(wait);
                            respond();
                        });
                    }
                    _ => respond(),
                }
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}"),
            received,
        }
    }

    /// The spans of the requests answered with 200, in arrival order.
    fn accepted_spans(&self) -> Vec<Span> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|received| received.status == 200)
            .flat_map(|received| received.request.resource_spans.clone())
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans)
            .collect()
    }
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn session(dir: &std::path::Path, endpoint: &str) -> Session {
    Config::new()
        .mode(Mode::Full)
        .dir(dir)
        .otlp_endpoint(endpoint)
        .service_name("otlp-test")
        .ignore_env()
        .init()
        .unwrap()
}

#[timed(phase = "export", component = "otlp_app")]
fn root_call() {
    timed_runtime::details!(
        batch = 3u32,
        loss = 0.25,
        tag = "a,b",
        big = u64::MAX,
        flag = true,
        neg = -4i64
    );
    child_call();
    let parent = timed_runtime::current_call();
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let _in_parent = parent.map(CallContext::enter);
                worker_call();
            })
            .join()
            .unwrap();
    });
}

#[timed(phase = "export", component = "otlp_app")]
fn child_call() {
    std::thread::sleep(Duration::from_millis(1));
}

#[timed(phase = "work", component = "otlp_app")]
fn worker_call() {
    std::thread::sleep(Duration::from_millis(1));
}

#[timed(phase = "export", component = "otlp_app")]
fn failing_call() {
    panic!("expected by the test");
}

#[timed(phase = "bulk", component = "otlp_bulk")]
fn bulk_call(i: u64) -> u64 {
    i.rotate_left(3)
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, Value> {
    list.iter()
        .map(|pair| {
            let value = pair
                .value
                .clone()
                .and_then(|value: AnyValue| value.value)
                .expect("every attribute has a value");
            (pair.key.clone(), value)
        })
        .collect()
}

fn text(value: &str) -> Value {
    Value::StringValue(value.to_owned())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn every_call_reaches_the_collector_as_a_span_of_its_roots_trace() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let receiver = Receiver::start(Behaviour::Accept);
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let session = session(dir.path(), &receiver.url);
    root_call();
    assert!(std::panic::catch_unwind(failing_call).is_err());
    session.finish().unwrap();
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();

    let rows = read_log(&log_path(dir.path(), "otlp_app"));
    assert_eq!(rows.len(), 4);
    let spans = receiver.accepted_spans();
    assert_eq!(spans.len(), rows.len());
    let received = receiver.received.lock().unwrap();
    for request in received.iter() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/traces");
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-protobuf")
        );
        for resource in &request.request.resource_spans {
            let resource_attributes = attributes(&resource.resource.as_ref().unwrap().attributes);
            assert_eq!(resource_attributes["service.name"], text("otlp-test"));
            assert_eq!(
                resource_attributes["process.pid"],
                Value::IntValue(i64::from(std::process::id()))
            );
            assert_eq!(resource_attributes["host.name"], text(&host_name()));
            for scope in &resource.scope_spans {
                assert_eq!(scope.scope.as_ref().unwrap().name, "timed-runtime");
            }
        }
    }
    drop(received);

    let summary = summary(dir.path(), "otlp_app");
    let thread_names = summary["threads"].as_object().unwrap().clone();
    let by_call: BTreeMap<u64, &LogRow> = rows.iter().map(|row| (row.call_id, row)).collect();
    let root_of = |row: &LogRow| {
        let (mut root, mut parent) = (row.call_id, row.parent_id);
        while let Some(id) = parent {
            root = id;
            parent = by_call[&id].parent_id;
        }
        root
    };
    let mut prefixes = Vec::new();
    let mut epoch_offsets = Vec::new();
    for span in &spans {
        let call_id = u64::from_be_bytes(span.span_id.as_slice().try_into().unwrap());
        let row = by_call[&call_id];
        assert_eq!(span.name, row.operation);
        assert_eq!(span.kind, 1, "internal");
        assert_eq!(
            span.parent_span_id,
            row.parent_id
                .map_or(Vec::new(), |parent| parent.to_be_bytes().to_vec())
        );
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(span.trace_id[8..], root_of(row).to_be_bytes());
        prefixes.push(span.trace_id[..8].to_vec());
        assert_eq!(
            span.end_time_unix_nano - span.start_time_unix_nano,
            row.duration_ns
        );
        epoch_offsets.push(span.start_time_unix_nano - row.start_ns);
        let mut expected = BTreeMap::from([
            ("timed.phase".to_owned(), text(&row.phase)),
            ("timed.component".to_owned(), text("otlp_app")),
            ("timed.status".to_owned(), text(&row.status)),
            (
                "timed.self_ns".to_owned(),
                Value::IntValue(row.self_ns as i64),
            ),
            (
                "thread.id".to_owned(),
                Value::IntValue(i64::from(row.thread)),
            ),
        ]);
        if let Some(name) = thread_names[&row.thread.to_string()].as_str() {
            expected.insert("thread.name".to_owned(), text(name));
        }
        if row.operation == "root_call" {
            expected.extend([
                ("batch".to_owned(), Value::IntValue(3)),
                ("loss".to_owned(), Value::DoubleValue(0.25)),
                ("tag".to_owned(), text("a,b")),
                ("big".to_owned(), text(&u64::MAX.to_string())),
                ("flag".to_owned(), Value::BoolValue(true)),
                ("neg".to_owned(), Value::IntValue(-4)),
            ]);
        }
        assert_eq!(attributes(&span.attributes), expected, "{}", row.operation);
        let status = span.status.as_ref().unwrap();
        if row.status == "panicked" {
            assert_eq!((status.code, status.message.as_str()), (2, "panicked"));
        } else {
            assert_eq!((status.code, status.message.as_str()), (0, ""));
        }
    }
    // One session, one prefix; one clock: every span's start is the session's epoch plus the
    // row's start_ns, and that epoch lies within the test.
    prefixes.dedup();
    assert_eq!(prefixes.len(), 1);
    epoch_offsets.dedup();
    assert_eq!(epoch_offsets.len(), 1);
    let epoch = epoch_offsets[0];
    assert!(epoch >= before.as_nanos() as u64 && epoch <= after.as_nanos() as u64);
    // The worker ran on another thread, under the root call.
    let worker = rows
        .iter()
        .find(|row| row.operation == "worker_call")
        .unwrap();
    let root = rows
        .iter()
        .find(|row| row.operation == "root_call")
        .unwrap();
    assert_eq!(worker.parent_id, Some(root.call_id));
    assert_ne!(worker.thread, root.thread);

    assert_eq!(summary["otlp_exported"], 4);
    assert_eq!(summary["otlp_dropped"], 0);
    assert_eq!(summary["otlp_errors"], 0);
}

#[test]
fn a_collector_that_answers_503_is_retried_and_loses_nothing() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let receiver = Receiver::start(Behaviour::UnavailableFirst(2));
    let session = session(dir.path(), &receiver.url);
    for i in 0..3000 {
        bulk_call(i);
    }
    session.finish().unwrap();
    let spans = receiver.accepted_spans();
    assert_eq!(spans.len(), 3000);
    let mut ids: Vec<Vec<u8>> = spans.into_iter().map(|span| span.span_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3000, "each span once");
    let statuses: Vec<u16> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|received| received.status)
        .collect();
    assert_eq!(statuses[..2], [503, 503]);
    let summary = summary(dir.path(), "otlp_bulk");
    assert_eq!(summary["otlp_exported"], 3000);
    assert_eq!(summary["otlp_dropped"], 0);
    assert_eq!(summary["otlp_errors"], 2);
}

#[test]
fn a_collector_that_is_down_costs_the_program_nothing_and_its_spans_are_counted() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = session(dir.path(), &closed_port_url());
    for i in 0..2000 {
        bulk_call(i);
    }
    let finishing = Instant::now();
    session.finish().unwrap();
    // The final wait is bounded (2 s), whatever the retries still had to do.
    assert!(
        finishing.elapsed() < Duration::from_secs(4),
        "{:?}",
        finishing.elapsed()
    );
    assert_eq!(count_rows(&log_path(dir.path(), "otlp_bulk")), 2000);
    let summary = summary(dir.path(), "otlp_bulk");
    assert_eq!(summary["rows_written"], 2000);
    assert_eq!(summary["otlp_exported"], 0);
    assert_eq!(summary["otlp_dropped"], 2000);
    assert!(summary["otlp_errors"].as_u64().unwrap() >= 1);
}

#[test]
fn a_collector_that_stalls_holds_up_neither_the_logs_nor_the_end() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    // Answers after 10 s: as long as a request may take by default.
    let receiver = Receiver::start(Behaviour::Stall(Duration::from_secs(10)));
    let session = session(dir.path(), &receiver.url);
    for i in 0..1000 {
        bulk_call(i);
    }
    session.flush().unwrap();
    // The exporter is now stuck in its first request: the writer goes on writing the logs.
    let deadline = Instant::now() + Duration::from_secs(5);
    while receiver.received.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the first request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    for i in 0..1000 {
        bulk_call(i);
    }
    let flushing = Instant::now();
    session.flush().unwrap();
    assert!(flushing.elapsed() < Duration::from_secs(1));
    assert_eq!(count_rows(&log_path(dir.path(), "otlp_bulk")), 2000);
    let finishing = Instant::now();
    session.finish().unwrap();
    assert!(
        finishing.elapsed() < Duration::from_secs(4),
        "{:?}",
        finishing.elapsed()
    );
    let summary = summary(dir.path(), "otlp_bulk");
    assert_eq!(summary["otlp_exported"], 0);
    assert_eq!(summary["otlp_dropped"], 2000);
    assert_eq!(summary["otlp_errors"], 0);
}

#[test]
fn an_endpoint_that_is_not_http_host_port_is_refused_at_init() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let error = Config::new()
        .dir(dir.path())
        .otlp_endpoint("https://collector:4318")
        .ignore_env()
        .init()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "OTLP endpoint \"https://collector:4318\" is not valid: expected http://host:port"
    );
}
