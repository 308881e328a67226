//! `tracing` in: a `tracing_subscriber::Layer` that records every closed span as a timed call,
//! so code instrumented with `tracing` gets the same logs, summaries and exports as `#[timed]`.
//!
//! A span maps onto the recorder's async calls: its call (id, parent) is taken when the span is
//! created, its clock starts at its first enter, every enter opens a frame on the entering
//! thread (so `#[timed]` calls and spans made meanwhile are its children and count towards its
//! children's time), every exit closes it, and the close records the call. An async span,
//! entered and exited once per poll, is therefore one call from its first enter to its close,
//! as a `#[timed] async fn` is.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let subscriber = tracing_subscriber::registry().with(timed_runtime::TimedLayer::new());
//! tracing::subscriber::with_default(subscriber, || {
//!     let _span = tracing::info_span!("load", component = "store", phase = "io", rows = 8)
//!         .entered();
//! });
//! ```

use std::borrow::Cow;

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::detail_value::DetailValue;
use crate::local::{self, AsyncCall, CallParent};
use crate::site::{SiteKey, dynamic_site};
use crate::state::{self, FULL, OFF};

/// Records every closed `tracing` span as a timed call (see the module documentation of
/// `timed_runtime` for what each span becomes):
/// - operation: the span's name;
/// - component: its `component` field, else the crate of its target;
/// - phase: its `phase` field, else `default`;
/// - details: its other fields, and values recorded later (full mode);
/// - parent: the span's parent as `tracing` links it (across threads too), or the `#[timed]`
///   call it was created in;
/// - status: `panicked` when the span is exited or closed while its thread unwinds.
///
/// Spans are recorded into the live session; a span created while no session records is not
/// recorded. Each (name, component, phase, location) is a site, listed by
/// [`sites`](crate::sites) and in the summaries from its first call on.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimedLayer {
    _private: (),
}

impl TimedLayer {
    pub fn new() -> TimedLayer {
        TimedLayer::default()
    }
}

/// What the layer keeps in a span's extensions.
struct SpanCall {
    call: AsyncCall,
    entered: bool,
    component: Option<Cow<'static, str>>,
    phase: Option<Cow<'static, str>>,
}

/// Reads a span's fields: `component` and `phase` label the call, the others become details
/// (only when the session keeps details).
struct FieldVisitor<'a> {
    span: &'a mut SpanCall,
    details: bool,
}

impl FieldVisitor<'_> {
    fn value(&mut self, field: &Field, value: DetailValue) {
        match field.name() {
            "component" => self.span.component = Some(text(value)),
            "phase" => self.span.phase = Some(text(value)),
            name if self.details => self.span.call.set_detail(name, value),
            _ => {}
        }
    }
}

fn text(value: DetailValue) -> Cow<'static, str> {
    match value {
        DetailValue::Text(text) => text,
        other => Cow::Owned(other.to_string()),
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, DetailValue::F64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, DetailValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, DetailValue::U64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.value(field, DetailValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.value(field, DetailValue::Text(Cow::Owned(value.to_owned())));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.value(field, DetailValue::Text(Cow::Owned(format!("{value:?}"))));
    }
}

fn keeps_details() -> bool {
    state::mode_bits(state::load()) == FULL
}

/// The crate a target such as `my_crate::module` names.
fn crate_of(target: &'static str) -> &'static str {
    target.split("::").next().unwrap_or(target)
}

impl<S> Layer<S> for TimedLayer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        if state::mode_bits(state::load()) == OFF {
            return;
        }
        let parent = if attributes.is_root() {
            CallParent::Explicit(None)
        } else if let Some(parent) = attributes.parent() {
            // Named explicitly (a span handed to another thread, say): its call, if recorded.
            let call = context.span(parent).and_then(|parent| {
                parent
                    .extensions()
                    .get::<SpanCall>()
                    .map(|span| span.call.open_call())
            });
            CallParent::Explicit(call)
        } else {
            // The contextual parent: the innermost call open on this thread, which is the
            // current span when it is recorded, or a `#[timed]` call made inside it.
            CallParent::Current
        };
        let Some(call) = local::begin_call(parent) else {
            return;
        };
        let mut span = SpanCall {
            call,
            entered: false,
            component: None,
            phase: None,
        };
        attributes.record(&mut FieldVisitor {
            span: &mut span,
            details: keeps_details(),
        });
        if let Some(created) = context.span(id) {
            created.extensions_mut().insert(span);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(span) = extensions.get_mut::<SpanCall>() {
            values.record(&mut FieldVisitor {
                span,
                details: keeps_details(),
            });
        }
    }

    fn on_enter(&self, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(span) = extensions.get_mut::<SpanCall>() {
            if !std::mem::replace(&mut span.entered, true) {
                span.call.restart_clock();
            }
            local::enter_call(&span.call);
        }
    }

    fn on_exit(&self, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(span) = extensions.get_mut::<SpanCall>() {
            local::leave_call(&mut span.call);
        }
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        let Some(span) = context.span(&id) else {
            return;
        };
        let Some(mut closed) = span.extensions_mut().remove::<SpanCall>() else {
            return;
        };
        closed.call.note_unwinding();
        let metadata: &'static Metadata<'static> = span.metadata();
        let key = SiteKey {
            name: Cow::Borrowed(metadata.name()),
            phase: closed.phase.unwrap_or(Cow::Borrowed("default")),
            component: closed
                .component
                .unwrap_or(Cow::Borrowed(crate_of(metadata.target()))),
            module_path: metadata.module_path().unwrap_or(""),
            file: metadata.file().unwrap_or(""),
            line: metadata.line().unwrap_or(0),
        };
        if let Some(site) = dynamic_site(key) {
            local::finish_async(site, closed.call, true);
        }
    }
}
