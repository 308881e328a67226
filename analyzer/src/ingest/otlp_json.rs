//! Reads OTLP JSON trace files: what the OpenTelemetry collector's file exporter writes, one
//! `ExportTraceServiceRequest` per line (`resourceSpans` > `scopeSpans` > `spans`), and, as the
//! specification's examples are printed, one or more such objects spread over lines. Decoded
//! with the OpenTelemetry project's own types (`opentelemetry-proto`, whose JSON mapping takes
//! the hex ids, and 64-bit times as strings or numbers). A request that does not parse, or a
//! span that cannot become a call, is a problem with its line; reading goes on at the next
//! request.

use std::collections::HashMap;
use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

use super::dataset::LogFile;
use super::detect::LogFormat;
use super::problems::{ProblemKind, excerpt};
use crate::stats::accumulator::Status;

/// The OTLP status code of a failed span.
const STATUS_CODE_ERROR: i32 = 2;

/// Who emitted spans: the attributes of an OTLP resource that tell processes apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResourceKey {
    pub service: Option<String>,
    pub instance: Option<String>,
    pub host: Option<String>,
    pub pid: Option<u64>,
}

/// One span, as a call needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpSpan {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
    pub operation: String,
    /// `timed.component`, else the resource's `service.name`.
    pub component: String,
    /// `timed.phase`, else `default`.
    pub phase: String,
    pub start_unix_ns: u64,
    pub end_unix_ns: u64,
    pub status: Status,
    /// `timed.self_ns`, when the span came from `timed-runtime`.
    pub self_ns: Option<u64>,
    /// `thread.id`, when the span says which thread ran it.
    pub thread: Option<u32>,
    /// Index into [`OtlpFile::resources`].
    pub resource: usize,
}

/// One OTLP file: its spans and the resources they came from, and what was wrong with it.
pub struct OtlpFile {
    pub file: LogFile,
    pub resources: Vec<ResourceKey>,
    pub spans: Vec<OtlpSpan>,
}

/// Reads `path`. Never fails: an unreadable file, a request that does not parse or a span
/// that cannot be used is a problem of the returned file.
pub fn read_otlp_file(path: &Path) -> OtlpFile {
    let mut out = OtlpFile {
        file: LogFile::new(path, LogFormat::Otlp),
        resources: Vec::new(),
        spans: Vec::new(),
    };
    let buf = match std::fs::read(path) {
        Ok(buf) => buf,
        Err(error) => {
            out.file
                .problems
                .record(0, ProblemKind::UnreadableFile, || error.to_string());
            return out;
        }
    };
    out.file.bytes = buf.len() as u64;
    out.file.lines = memchr::memchr_iter(b'\n', &buf).count() as u64
        + u64::from(!buf.is_empty() && buf.last() != Some(&b'\n'));
    let lines = LineIndex::new(&buf);
    let mut resources: HashMap<ResourceKey, usize> = HashMap::new();
    let mut position = 0;
    while let Some(start) = next_value(&buf, position) {
        let mut stream = serde_json::Deserializer::from_slice(&buf[start..])
            .into_iter::<ExportTraceServiceRequest>();
        match stream.next() {
            Some(Ok(request)) => {
                let end = start + stream.byte_offset();
                let line = lines.line_of(start);
                for resource_spans in request.resource_spans {
                    let key = resource_key(
                        resource_spans
                            .resource
                            .as_ref()
                            .map_or(&[][..], |resource| &resource.attributes),
                    );
                    let next = resources.len();
                    let resource = *resources.entry(key.clone()).or_insert_with(|| {
                        out.resources.push(key);
                        next
                    });
                    for span in resource_spans
                        .scope_spans
                        .into_iter()
                        .flat_map(|scope| scope.spans)
                    {
                        match convert(span, resource, &out.resources[resource]) {
                            Ok(span) => out.spans.push(span),
                            Err((kind, message)) => {
                                out.file.problems.record(line, kind, || message)
                            }
                        }
                    }
                }
                position = end;
            }
            Some(Err(error)) => {
                let at = start + stream.byte_offset().max(offset_of(&buf[start..], &error));
                let line = lines.line_of(at.min(buf.len().saturating_sub(1)));
                out.file.problems.record(line, ProblemKind::OtlpJson, || {
                    format!("not an ExportTraceServiceRequest: {error}")
                });
                // Go on at the next line that starts a top-level object; a line skipped on the
                // way that cannot be the rest of the broken one is a problem of its own.
                let resume = next_object_line(&buf, lines.start_of_next(at));
                let mut skipped = lines.start_of_next(at);
                while skipped < resume {
                    let line_end = memchr::memchr(b'\n', &buf[skipped..resume])
                        .map_or(resume, |offset| skipped + offset + 1);
                    let text = &buf[skipped..line_end];
                    let stray = text.first().is_some_and(|first| {
                        !first.is_ascii_whitespace() && !matches!(first, b'}' | b']' | b',')
                    });
                    if stray {
                        out.file.problems.record(
                            lines.line_of(skipped),
                            ProblemKind::OtlpJson,
                            || {
                                format!(
                                    "not an ExportTraceServiceRequest: {} does not start a JSON \
                                     object",
                                    excerpt(text.trim_ascii_end())
                                )
                            },
                        );
                    }
                    skipped = line_end;
                }
                position = resume;
            }
            None => break,
        }
    }
    out
}

/// The first byte of the next JSON value at or after `from`, skipping white space.
fn next_value(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .map(|offset| from + offset)
}

/// The start of the first line at or after `from` that opens an object in its first column.
fn next_object_line(buf: &[u8], mut from: usize) -> usize {
    while from < buf.len() {
        if buf[from] == b'{' {
            return from;
        }
        from = match memchr::memchr(b'\n', &buf[from..]) {
            Some(offset) => from + offset + 1,
            None => buf.len(),
        };
    }
    buf.len()
}

/// Where in `text` serde_json's error points (its line and column).
fn offset_of(text: &[u8], error: &serde_json::Error) -> usize {
    let mut line_start = 0;
    for _ in 1..error.line() {
        match memchr::memchr(b'\n', &text[line_start..]) {
            Some(offset) => line_start += offset + 1,
            None => break,
        }
    }
    (line_start + error.column().saturating_sub(1)).min(text.len())
}

/// Byte offsets of line starts, for 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(buf: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', buf).map(|offset| offset + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> u64 {
        self.starts.partition_point(|&start| start <= offset) as u64
    }

    fn start_of_next(&self, offset: usize) -> usize {
        let line = self.line_of(offset) as usize;
        self.starts.get(line).copied().unwrap_or(usize::MAX)
    }
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|pair| pair.key == key)
        .and_then(|pair| pair.value.as_ref())
        .and_then(|value| value.value.as_ref())
}

fn text_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attribute(attributes, key)? {
        Value::StringValue(text) => Some(text.clone()),
        Value::IntValue(number) => Some(number.to_string()),
        _ => None,
    }
}

fn int_attribute(attributes: &[KeyValue], key: &str) -> Option<u64> {
    match attribute(attributes, key)? {
        Value::IntValue(number) => u64::try_from(*number).ok(),
        Value::StringValue(text) => text.parse().ok(),
        _ => None,
    }
}

fn resource_key(attributes: &[KeyValue]) -> ResourceKey {
    ResourceKey {
        service: text_attribute(attributes, "service.name"),
        instance: text_attribute(attributes, "service.instance.id"),
        host: text_attribute(attributes, "host.name"),
        pid: int_attribute(attributes, "process.pid"),
    }
}

type Rejection = (ProblemKind, String);

fn convert(span: Span, resource: usize, key: &ResourceKey) -> Result<OtlpSpan, Rejection> {
    let unusable = |what: String| {
        (
            ProblemKind::OtlpSpan,
            format!("span {:?}: {what}", span.name),
        )
    };
    let trace_id: [u8; 16] = span
        .trace_id
        .as_slice()
        .try_into()
        .map_err(|_| unusable(format!("traceId has {} bytes, not 16", span.trace_id.len())))?;
    let span_id: [u8; 8] = span
        .span_id
        .as_slice()
        .try_into()
        .map_err(|_| unusable(format!("spanId has {} bytes, not 8", span.span_id.len())))?;
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        8 => span.parent_span_id.as_slice().try_into().ok(),
        other => return Err(unusable(format!("parentSpanId has {other} bytes, not 8"))),
    };
    if span.name.is_empty() {
        return Err((
            ProblemKind::EmptyOperation,
            "span without a name".to_string(),
        ));
    }
    if span.end_time_unix_nano < span.start_time_unix_nano {
        return Err((
            ProblemKind::NegativeDuration,
            format!(
                "span {:?} ends ({}) before it starts ({})",
                span.name, span.end_time_unix_nano, span.start_time_unix_nano
            ),
        ));
    }
    let attributes = &span.attributes;
    let status = match text_attribute(attributes, "timed.status").as_deref() {
        Some("panicked") => Status::Panicked,
        Some("cancelled") => Status::Cancelled,
        Some(_) => Status::Ok,
        None if span
            .status
            .as_ref()
            .is_some_and(|status| status.code == STATUS_CODE_ERROR) =>
        {
            Status::Panicked
        }
        None => Status::Ok,
    };
    Ok(OtlpSpan {
        trace_id,
        span_id,
        parent_span_id,
        component: text_attribute(attributes, "timed.component")
            .or_else(|| key.service.clone())
            .unwrap_or_else(|| "unknown_service".to_string()),
        phase: text_attribute(attributes, "timed.phase").unwrap_or_else(|| "default".to_string()),
        start_unix_ns: span.start_time_unix_nano,
        end_unix_ns: span.end_time_unix_nano,
        status,
        self_ns: int_attribute(attributes, "timed.self_ns"),
        thread: int_attribute(attributes, "thread.id").and_then(|id| u32::try_from(id).ok()),
        resource,
        operation: span.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> OtlpFile {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.otlp.json");
        std::fs::write(&path, text).unwrap();
        read_otlp_file(&path)
    }

    const LINE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"get","startTimeUnixNano":"1000","endTimeUnixNano":2500,"kind":2}]}]}]}"#;

    #[test]
    fn reads_one_request_per_line_with_times_as_strings_or_numbers() {
        let file = read(&format!("{LINE}\n{LINE}\n"));
        assert!(file.file.problems.is_empty(), "{:?}", file.file.problems);
        assert_eq!(file.spans.len(), 2);
        assert_eq!(file.file.lines, 2);
        assert_eq!(file.file.format, LogFormat::Otlp);
        let span = &file.spans[0];
        assert_eq!((span.start_unix_ns, span.end_unix_ns), (1000, 2500));
        assert_eq!(span.span_id, 0xeee19b7ec3c1b174u64.to_be_bytes());
        assert_eq!(
            (span.component.as_str(), span.phase.as_str()),
            ("api", "default")
        );
        assert_eq!(file.resources.len(), 1);
    }

    #[test]
    fn a_bad_line_is_located_and_the_next_ones_are_read() {
        let bad_id = LINE.replace("eee19b7ec3c1b174", "eee19b");
        let text = format!("{LINE}\n{{\"resourceSpans\": [oops\n{bad_id}\n{LINE}\n");
        let file = read(&text);
        assert_eq!(file.spans.len(), 2);
        let problems: Vec<(u64, ProblemKind)> = file
            .file
            .problems
            .examples()
            .iter()
            .map(|problem| (problem.line, problem.kind))
            .collect();
        assert_eq!(
            problems,
            [(2, ProblemKind::OtlpJson), (3, ProblemKind::OtlpSpan)]
        );
        assert_eq!(
            file.file.problems.examples()[1].message,
            "span \"get\": spanId has 3 bytes, not 8"
        );
    }

    #[test]
    fn garbage_and_missing_files_are_problems_not_panics() {
        for text in [
            "",
            "\n\n",
            "not json at all\n",
            "[1, 2]\n",
            "{\"resourceSpans\": 5}",
        ] {
            let file = read(text);
            assert!(file.spans.is_empty(), "{text:?}");
            assert_eq!(
                file.file.problems.total(),
                u64::from(!text.trim().is_empty()),
                "{text:?}"
            );
        }
        let missing = read_otlp_file(Path::new("/nonexistent/x.otlp.json"));
        assert_eq!(missing.file.problems.count(ProblemKind::UnreadableFile), 1);
    }
}
