//! The root of a call's tree, which the OTLP exporter needs (one trace per root call) and
//! nothing else does: carried through frames, contexts and records only when the `otlp` feature
//! is on, and a zero-sized value that costs nothing otherwise.

/// The call id of the root call of the tree a call belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RootId {
    #[cfg(feature = "otlp")]
    call_id: u64,
}

impl RootId {
    /// The root of a call whose parent's root is `parent` (`None` for a root call).
    #[inline(always)]
    #[cfg_attr(not(feature = "otlp"), allow(unused_variables))]
    pub(crate) fn of(call_id: u64, parent: Option<RootId>) -> RootId {
        parent.unwrap_or(RootId {
            #[cfg(feature = "otlp")]
            call_id,
        })
    }

    #[cfg(feature = "otlp")]
    pub(crate) fn call_id(self) -> u64 {
        self.call_id
    }
}
