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
pub mod businesses;
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
    /// A uniqueness rule was broken (e.g. a slug or phone already taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database refused the data as invalid (e.g. a foreign key).
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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
