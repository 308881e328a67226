//! Key=value details attached to the current call (the seed's `updates=8, policy_loss=0.1234`).

use std::borrow::Cow;
use std::fmt;

/// A detail's value. Numbers and static strings are stored without allocating.
#[derive(Clone, Debug, PartialEq)]
pub enum DetailValue {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Text(Cow<'static, str>),
}

impl fmt::Display for DetailValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DetailValue::I64(v) => write!(f, "{v}"),
            DetailValue::U64(v) => write!(f, "{v}"),
            DetailValue::F64(v) => write!(f, "{v}"),
            DetailValue::Bool(v) => write!(f, "{v}"),
            DetailValue::Text(v) => f.write_str(v),
        }
    }
}

macro_rules! detail_from {
    ($variant:ident as $target:ty: $($source:ty),*) => {$(
        impl From<$source> for DetailValue {
            fn from(value: $source) -> Self {
                DetailValue::$variant(value as $target)
            }
        }
    )*};
}

detail_from!(I64 as i64: i8, i16, i32, i64, isize);
detail_from!(U64 as u64: u8, u16, u32, u64, usize);
detail_from!(F64 as f64: f32, f64);

impl From<bool> for DetailValue {
    fn from(value: bool) -> Self {
        DetailValue::Bool(value)
    }
}

impl From<&'static str> for DetailValue {
    fn from(value: &'static str) -> Self {
        DetailValue::Text(Cow::Borrowed(value))
    }
}

impl From<String> for DetailValue {
    fn from(value: String) -> Self {
        DetailValue::Text(Cow::Owned(value))
    }
}

impl From<Cow<'static, str>> for DetailValue {
    fn from(value: Cow<'static, str>) -> Self {
        DetailValue::Text(value)
    }
}

/// A detail on its way to the writer.
#[derive(Debug)]
pub(crate) struct Detail {
    pub key: &'static str,
    pub value: DetailValue,
}

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
    crate::local::attach_detail(key, value);
}

/// Attaches several details at once: `details!(updates = 8, policy_loss = loss)`.
#[macro_export]
macro_rules! details {
    ($($key:ident = $value:expr),+ $(,)?) => {{
        $( $crate::detail(::core::stringify!($key), $value); )+
    }};
}
