//! OpenTelemetry out: the writer's third consumer turns each recorded call into an OTLP span and
//! batches them into `ExportTraceServiceRequest`s, which the exporter thread (`otlp_export.rs`)
//! sends. Runs on the writer thread, never on a calling thread.
//!
//! A call becomes a span of the trace of its root call: the trace id is a per-session random
//! prefix followed by the root's call id, the span id is the call id, the parent span id the
//! parent's call id (across threads too). Attributes: `timed.phase`, `timed.component`,
//! `timed.status`, `timed.self_ns`, `thread.id`, `thread.name`, and every detail under its key.
//! The resource names the service (`service.name`), the host and the process.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status as SpanStatus,
};

use crate::clock::Epoch;
use crate::detail_value::DetailValue;
use crate::otlp_export::Exporter;
use crate::record::{Detail, Record, Status};
use crate::summary::OtlpCounts;

/// Spans per request: large enough to amortise a request, small enough to bound one.
const BATCH_SPANS: usize = 512;

/// Where spans go, and how the process is described to the collector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OtlpSettings {
    pub endpoint: String,
    /// `service.name`; the executable's name when not set.
    pub service_name: Option<String>,
}

/// The writer's side of the export: the batch being filled.
pub(crate) struct OtlpConsumer {
    exporter: Exporter,
    resource: Resource,
    /// The high half of every trace id of this session.
    trace_prefix: [u8; 8],
    spans: Vec<Span>,
}

impl OtlpConsumer {
    pub(crate) fn start(settings: &OtlpSettings) -> std::io::Result<OtlpConsumer> {
        Ok(OtlpConsumer {
            exporter: Exporter::start(&settings.endpoint)?,
            resource: resource(settings.service_name.as_deref()),
            trace_prefix: session_prefix(),
            spans: Vec::with_capacity(BATCH_SPANS),
        })
    }

    /// The span of one record (`details` are its own); a full batch is queued for sending.
    pub(crate) fn add(
        &mut self,
        record: &Record,
        details: &[Detail],
        thread: u32,
        thread_name: Option<&str>,
        epoch: &Epoch,
    ) {
        let start = epoch.unix_ns + epoch.since(record.start_ticks);
        let mut attributes = vec![
            text("timed.phase", record.site.phase()),
            text("timed.component", record.site.component()),
            text("timed.status", record.status.as_str()),
            int("timed.self_ns", record.self_ns),
            int("thread.id", u64::from(thread)),
        ];
        if let Some(name) = thread_name {
            attributes.push(text("thread.name", name));
        }
        for detail in details {
            attributes.push(KeyValue {
                key: detail.key.to_owned(),
                value: Some(any_value(&detail.value)),
                ..KeyValue::default()
            });
        }
        let mut trace_id = Vec::with_capacity(16);
        trace_id.extend_from_slice(&self.trace_prefix);
        trace_id.extend_from_slice(&record.root.call_id().to_be_bytes());
        self.spans.push(Span {
            trace_id,
            span_id: record.call_id.to_be_bytes().to_vec(),
            parent_span_id: if record.parent_id == 0 {
                Vec::new()
            } else {
                record.parent_id.to_be_bytes().to_vec()
            },
            name: record.site.name().to_owned(),
            kind: SpanKind::Internal as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: start + record.duration_ns,
            attributes,
            status: Some(match record.status {
                Status::Panicked => SpanStatus {
                    message: "panicked".to_owned(),
                    code: StatusCode::Error as i32,
                },
                Status::Ok | Status::Cancelled => SpanStatus {
                    message: String::new(),
                    code: StatusCode::Unset as i32,
                },
            }),
            ..Span::default()
        });
        if self.spans.len() >= BATCH_SPANS {
            self.send();
        }
    }

    /// Queues the spans batched so far (at every flush of the writer).
    pub(crate) fn send(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        let spans = std::mem::replace(&mut self.spans, Vec::with_capacity(BATCH_SPANS));
        let count = spans.len() as u64;
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(self.resource.clone()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "timed-runtime".to_owned(),
                        version: env!("CARGO_PKG_VERSION").to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        };
        self.exporter.send(request, count);
    }

    /// Sends what is batched and waits (a bounded time) for the queue to drain.
    pub(crate) fn finish(&mut self) {
        self.send();
        self.exporter.finish(crate::otlp_export::FINAL_WAIT);
    }

    pub(crate) fn counts(&self) -> OtlpCounts {
        self.exporter.counts()
    }

    pub(crate) fn url(&self) -> &str {
        self.exporter.url()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: u64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(i64::try_from(value).unwrap_or(i64::MAX))),
        }),
        ..KeyValue::default()
    }
}

fn any_value(value: &DetailValue) -> AnyValue {
    let value = match value {
        DetailValue::I64(v) => Value::IntValue(*v),
        DetailValue::U64(v) => match i64::try_from(*v) {
            Ok(v) => Value::IntValue(v),
            // OTLP integers are signed: a larger value keeps its digits as text.
            Err(_) => Value::StringValue(v.to_string()),
        },
        DetailValue::F64(v) => Value::DoubleValue(*v),
        DetailValue::Bool(v) => Value::BoolValue(*v),
        DetailValue::Text(v) => Value::StringValue(v.to_string()),
    };
    AnyValue { value: Some(value) }
}

/// The process as the collector sees it.
fn resource(service_name: Option<&str>) -> Resource {
    let executable = std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "unknown_service".to_owned());
    let mut attributes = vec![
        text("service.name", service_name.unwrap_or(&executable)),
        int("process.pid", u64::from(std::process::id())),
        text("process.executable.name", &executable),
        text("telemetry.sdk.name", "timed-runtime"),
        text("telemetry.sdk.language", "rust"),
    ];
    if let Some(host) = host_name() {
        attributes.push(text("host.name", &host));
    }
    Resource {
        attributes,
        ..Resource::default()
    }
}

fn host_name() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: `buffer` is writable for its whole length, which is what is passed; gethostname
    // writes at most that many bytes and nothing else.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if result != 0 {
        return None;
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

/// A per-session random prefix for trace ids, so traces of different sessions and processes
/// (whose call ids all start at 1) never share an id. Not cryptographic: it only needs to differ.
fn session_prefix() -> [u8; 8] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    let stack_address = &now as *const u64 as u64;
    let mut z = now ^ u64::from(std::process::id()).rotate_left(32) ^ stack_address;
    // SplitMix64's finaliser.
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    // The trace id must not be all zeros.
    z.max(1).to_be_bytes()
}
