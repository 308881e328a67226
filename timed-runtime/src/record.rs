//! What a finished call leaves behind for the writer: a fixed-size record, and its details.

use crate::detail_value::DetailValue;
use crate::root::RootId;
use crate::site::Site;

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// It returned (including early returns and `?`).
    Ok,
    /// It unwound from a panic.
    Panicked,
    /// An async call whose future was dropped before it completed.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Panicked => "panicked",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One completed call, as handed from the recording thread to the writer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    pub site: &'static Site,
    pub call_id: u64,
    /// 0 for a root call.
    pub parent_id: u64,
    /// Zero-sized unless the OTLP exporter needs it.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub root: RootId,
    /// Clock ticks at the call's start (converted by the writer, off the hot path).
    pub start_ticks: u64,
    pub duration_ns: u64,
    pub self_ns: u64,
    pub status: Status,
    /// How many entries of the thread's detail ring belong to this call.
    pub details: u16,
}

/// A `key=value` detail of a call, on its way to the writer.
#[derive(Debug)]
pub(crate) struct Detail {
    pub key: &'static str,
    pub value: DetailValue,
}
