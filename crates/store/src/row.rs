//! Statement parameters and result rows, shared by both engines and the executor above them.

use crate::Result;

/// A statement parameter. The column types we use map onto these on both engines.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        v.as_deref().map_or(Value::Null, Into::into)
    }
}
impl From<&frontdesk_engine::PhoneE164> for Value {
    fn from(v: &frontdesk_engine::PhoneE164) -> Self {
        Value::Text(v.as_str().to_owned())
    }
}
impl From<&frontdesk_engine::Email> for Value {
    fn from(v: &frontdesk_engine::Email) -> Self {
        Value::Text(v.as_str().to_owned())
    }
}
impl From<&Option<frontdesk_engine::PhoneE164>> for Value {
    fn from(v: &Option<frontdesk_engine::PhoneE164>) -> Self {
        v.as_ref().map_or(Value::Null, Into::into)
    }
}
impl From<&Option<frontdesk_engine::Email>> for Value {
    fn from(v: &Option<frontdesk_engine::Email>) -> Self {
        v.as_ref().map_or(Value::Null, Into::into)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds an array of statement parameters.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { [$($crate::Value::from($v)),*] };
}

/// One result row, read by column position.
pub trait Row {
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn float(&self, i: usize) -> Result<f64>;
    fn boolean(&self, i: usize) -> Result<bool>;
    /// Text borrowed from the row, without copying (`None` for NULL).
    fn str_ref(&self, i: usize) -> Result<Option<&str>>;
    /// A phone number the store wrote itself; one that no longer parses is a broken row.
    fn opt_phone(&self, i: usize) -> Result<Option<frontdesk_engine::PhoneE164>> {
        self.str_ref(i)?
            .map(|p| {
                frontdesk_engine::PhoneE164::parse(p)
                    .map_err(|e| crate::StoreError::backend("phone", e))
            })
            .transpose()
    }
    /// An e-mail address the store wrote itself, as [`Row::opt_phone`].
    fn opt_email(&self, i: usize) -> Result<Option<frontdesk_engine::Email>> {
        self.str_ref(i)?
            .map(|m| {
                frontdesk_engine::Email::parse(m)
                    .map_err(|e| crate::StoreError::backend("email", e))
            })
            .transpose()
    }
}

/// A type built from a row.
pub trait FromRow: Sized + Send {
    fn from_row(r: &dyn Row) -> Result<Self>;
}

/// Where rows go as they are read: a `Vec` of typed rows, or anything that consumes rows one by
/// one (e.g. writing them straight into a response buffer).
pub trait RowSink: Default + Send {
    fn push(&mut self, r: &dyn Row) -> Result<()>;
}

impl<T: FromRow> RowSink for Vec<T> {
    fn push(&mut self, r: &dyn Row) -> Result<()> {
        Vec::push(self, T::from_row(r)?);
        Ok(())
    }
}

impl FromRow for i64 {
    fn from_row(r: &dyn Row) -> Result<Self> {
        r.int(0)
    }
}
impl FromRow for String {
    fn from_row(r: &dyn Row) -> Result<Self> {
        r.text(0)
    }
}
