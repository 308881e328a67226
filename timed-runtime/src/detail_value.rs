//! A detail's value: what `detail(key, value)` takes, and how the log prints it.

use std::borrow::Cow;
use std::fmt;

/// A detail's value. Numbers and static strings are stored without allocating.
///
/// Your own types can become details with `impl From<MyType> for DetailValue`; the conversion runs
/// before the recorder is touched, so it may itself call timed functions or attach details.
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
