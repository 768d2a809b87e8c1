//! Storage for frontdesk: one portable code path over embedded SQLite and PostgreSQL.
//!
//! SQL is written once, with `$N` placeholders that both engines accept, and runs on one of two
//! small executors: rusqlite for SQLite (synchronous, microseconds per query, so reads run inline
//! from a pool of reader connections and writes go through a single writer connection behind an
//! async lock, which also removes `SQLITE_BUSY`), and tokio-postgres for PostgreSQL. Types are
//! kept portable: ids and JSON are TEXT, times are BIGINT milliseconds since the epoch.
//!
//! Raw SQL is private to this crate. Tenant-owned data is reachable only through [`Tenant`],
//! which is built from a [`BusinessId`] and binds it into every statement, so a query that forgets
//! its tenant cannot be written from outside.

mod exec;
mod migrate;
mod postgres;
mod row;
mod sqlite;
pub mod states;

pub mod accounts;
pub mod appointments;
pub mod audit;
pub mod blocks;
pub mod businesses;
pub mod calendars;
pub mod calls;
pub mod conversations;
pub mod customers;
pub mod emails;
pub mod ids;
pub mod inbox;
pub mod inventory;
pub mod jobs;
pub mod orders;
pub mod reservations;
pub mod stats;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod texts;
pub mod webhooks;

use exec::I;
pub use exec::{Db, Exec, Internal, Tx};
pub use ids::{ApiKeyId, BusinessId, ConversationId, CustomerId, RecordId, UserId};
pub use row::{FromRow, Row, RowSink, Value};

/// What went wrong in storage, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The record's state does not allow it (a time already booked, no unit left); the words
    /// say why.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value that must be unique is already in use, by the database's uniqueness rule.
    #[error("already in use: {0}")]
    Taken(Unique),
    /// The database refused the data as invalid (e.g. a foreign key).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Storage itself failed (connection, bad column, undecodable stored value): `what` says
    /// where, `source` keeps the cause.
    #[error("database error: {what}")]
    Backend {
        what: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// The cause of a backend error, kept whole so logs show the full chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// A storage failure with its cause.
    pub fn backend(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError::Backend {
            what: what.into(),
            source: Some(source.into()),
        }
    }
    /// A storage failure that has no underlying error (a broken invariant of our own).
    pub fn broken(what: impl Into<String>) -> Self {
        StoreError::Backend {
            what: what.into(),
            source: None,
        }
    }
    /// This error and its causes, outermost first, joined by ": " (for logs).
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The rule that keeps one staff member from being booked twice for overlapping time (an
/// exclusion constraint on PostgreSQL, triggers raising this name on SQLite).
pub(crate) const NO_OVERLAP: &str = "appointments_no_overlap";

impl StoreError {
    /// The refusal of a booking or move onto time that is already booked.
    pub fn time_taken() -> Self {
        StoreError::Conflict("that time is already booked".into())
    }
}

/// Which uniqueness rule a write broke, known by the constraint's name (PostgreSQL) or the
/// columns or index SQLite names, never by the wording of the database's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unique {
    /// Another business has this slug.
    BusinessSlug,
    /// Another business has this phone number.
    BusinessPhone,
    /// A user with this e-mail address exists.
    UserEmail,
    /// Another of the business's customers has this phone number.
    CustomerPhone,
    /// Another of the business's customers has this e-mail address.
    CustomerEmail,
    /// Another rule: its name, as the database gives it.
    Other(String),
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unique::BusinessSlug => f.write_str("business slug"),
            Unique::BusinessPhone => f.write_str("business phone number"),
            Unique::UserEmail => f.write_str("user e-mail address"),
            Unique::CustomerPhone => f.write_str("customer phone number"),
            Unique::CustomerEmail => f.write_str("customer e-mail address"),
            Unique::Other(name) => f.write_str(name),
        }
    }
}

/// The uniqueness rules, by their PostgreSQL constraint name and by what SQLite names in its
/// error (`table.column` list, or `index 'name'` for an index on an expression).
const UNIQUE_RULES: [(&str, &str, Unique); 5] = [
    (
        "businesses_slug_key",
        "businesses.slug",
        Unique::BusinessSlug,
    ),
    (
        "businesses_phone_key",
        "businesses.phone",
        Unique::BusinessPhone,
    ),
    ("users_email_key", "users.email", Unique::UserEmail),
    (
        "customers_phone",
        "customers.business_id, customers.phone",
        Unique::CustomerPhone,
    ),
    (
        "customers_email",
        "index 'customers_email'",
        Unique::CustomerEmail,
    ),
];

impl Unique {
    /// The rule PostgreSQL names `constraint`.
    pub(crate) fn from_constraint(constraint: &str) -> Self {
        UNIQUE_RULES
            .iter()
            .find(|(pg, _, _)| *pg == constraint)
            .map_or_else(
                || Unique::Other(constraint.to_owned()),
                |(_, _, u)| u.clone(),
            )
    }

    /// The rule SQLite names in `UNIQUE constraint failed: <what>`.
    pub(crate) fn from_sqlite(what: &str) -> Self {
        UNIQUE_RULES
            .iter()
            .find(|(_, lite, _)| *lite == what)
            .map_or_else(|| Unique::Other(what.to_owned()), |(_, _, u)| u.clone())
    }
}

/// A tenant's view of the store: every query binds this business id.
pub struct Tenant<E> {
    exec: E,
    business: BusinessId,
}

impl<E> Tenant<E> {
    /// The business every query of this view binds.
    pub fn business_id(&self) -> &BusinessId {
        &self.business
    }
}

/// Milliseconds since the Unix epoch: the portable time column type.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Replaces the installation setting `key`.
pub async fn set_setting(db: &Db, key: &str, value: &str) -> Result<()> {
    let mut db = db.clone();
    db.execute(
        I,
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &params![key, value],
    )
    .await?;
    Ok(())
}

/// Returns the installation setting `key`, storing `init` first if it has none, so that every
/// server sharing the database agrees on the value.
pub async fn setting_or_init(db: &Db, key: &str, init: &str) -> Result<String> {
    let mut db = db.clone();
    db.execute(
        I,
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &params![key, init],
    )
    .await?;
    db.fetch_one(
        I,
        "SELECT value FROM settings WHERE key = $1",
        &params![key],
    )
    .await
}
