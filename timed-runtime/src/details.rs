//! Key=value details attached to the current call (the seed's `updates=8, policy_loss=0.1234`).

use crate::detail_value::DetailValue;
use crate::local;
use crate::state;

/// Attaches `key=value` to the innermost `#[timed]` call running on this thread; written in that
/// call's `details` column. Does nothing outside a timed call or unless the mode is `full`.
///
/// ```
/// #[timed_runtime::timed(phase = "training")]
/// fn update_policy(updates: u32) -> f64 {
///     let policy_loss = 0.1234;
///     timed_runtime::detail("updates", updates);
///     timed_runtime::detail("policy_loss", policy_loss);
///     policy_loss
/// }
/// # update_policy(8);
/// ```
#[inline]
pub fn detail(key: &'static str, value: impl Into<DetailValue>) {
    if state::mode_bits(state::load()) != state::FULL {
        return;
    }
    // Converted here, before the recorder's state is touched: the conversion is the caller's
    // code, and may itself call timed functions or attach details.
    local::attach_detail(key, value.into());
}

/// Attaches several details at once: `details!(updates = 8, policy_loss = loss)`.
#[macro_export]
macro_rules! details {
    ($($key:ident = $value:expr),+ $(,)?) => {{
        $( $crate::detail(::core::stringify!($key), $value); )+
    }};
}
