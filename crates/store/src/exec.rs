//! The portable executor: parameters, rows, the database handle and transactions.

use std::future::Future;
use std::sync::Arc;

use crate::postgres::Pg;
pub use crate::row::{FromRow, Row, RowSink, Value};
use crate::sqlite::{Lite, LiteTx};
use crate::{BusinessId, Result, StoreError, Tenant};

/// Proof that a call comes from inside this crate. Raw SQL is not part of the public API: other
/// crates reach data through the typed functions here, and tenant-owned data only through
/// [`Tenant`](crate::Tenant), so a query without its tenant cannot be written outside this crate.
#[derive(Clone, Copy)]
pub struct Internal(());

pub(crate) const I: Internal = Internal(());

/// Runs statements: the database itself or an open transaction. Other crates use it as a bound
/// (`&mut impl Exec`) to pass either one to the typed functions of this crate.
pub trait Exec: Send {
    fn fetch_into<S: RowSink>(
        &mut self,
        _: Internal,
        sql: &str,
        p: &[Value],
    ) -> impl Future<Output = Result<S>> + Send;
    fn fetch_all<T: FromRow>(
        &mut self,
        _: Internal,
        sql: &str,
        p: &[Value],
    ) -> impl Future<Output = Result<Vec<T>>> + Send {
        self.fetch_into(I, sql, p)
    }
    fn execute(
        &mut self,
        _: Internal,
        sql: &str,
        p: &[Value],
    ) -> impl Future<Output = Result<u64>> + Send;
    fn is_postgres(&self) -> bool;

    fn fetch_optional<T: FromRow>(
        &mut self,
        _: Internal,
        sql: &str,
        p: &[Value],
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        async move { Ok(self.fetch_all(I, sql, p).await?.into_iter().next()) }
    }
    fn fetch_one<T: FromRow>(
        &mut self,
        _: Internal,
        sql: &str,
        p: &[Value],
    ) -> impl Future<Output = Result<T>> + Send {
        async move {
            self.fetch_optional(I, sql, p)
                .await?
                .ok_or(StoreError::NotFound)
        }
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Lite>),
    Postgres(Pg),
}

/// The database: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
}

impl Db {
    /// Opens (creating if needed) the database that `url` names and applies pending migrations.
    /// `sqlite://PATH` or a bare path means SQLite; `postgres://…` means PostgreSQL.
    pub async fn connect(url: &str) -> Result<Self> {
        let db = Self::open(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens without migrating (for `migrate --status`-like tooling and tests of migrations).
    pub async fn open(url: &str) -> Result<Self> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(Pg::connect(url).await?)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Backend::Sqlite(Arc::new(Lite::open(path)?))
        };
        Ok(Self { backend })
    }

    /// Which engine this is, for logs and `/readyz`.
    /// Tells the installation's servers listening on `channel` (see [`Db::listen`]) `payload`
    /// (PostgreSQL: NOTIFY; at most about 8,000 bytes). On SQLite there is one server, which
    /// knows already: nothing is sent.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(p) => p.notify(channel, payload).await,
        }
    }

    /// What the installation's servers tell on `channel` (PostgreSQL: LISTEN, on a connection of
    /// its own while the receiver is kept); `None` on SQLite, where one server serves.
    pub fn listen(&self, channel: &str) -> Option<tokio::sync::mpsc::Receiver<String>> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(p) => Some(p.listen(channel)),
        }
    }

    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Starts a transaction. On SQLite it holds the single writer until commit or drop.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(l) => Tx::Sqlite(l.begin().await?),
            Backend::Postgres(p) => Tx::Postgres(Box::new(p.begin().await?)),
        })
    }

    /// A business's view of the store.
    pub fn tenant(&self, business: &BusinessId) -> Tenant<Db> {
        Tenant {
            exec: self.clone(),
            business: business.clone(),
        }
    }

    /// Writes a consistent copy of an SQLite database to the new file `dest` while it is in use
    /// (`frontdesk backup`). PostgreSQL is backed up with `pg_dump`.
    pub async fn backup_to(&self, dest: &std::path::Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(l) => {
                let (l, dest) = (l.clone(), dest.to_owned());
                tokio::task::spawn_blocking(move || l.backup_to(&dest))
                    .await
                    .map_err(|e| StoreError::backend("backup", e))?
            }
            Backend::Postgres(_) => Err(StoreError::Invalid(
                "a PostgreSQL database is backed up with pg_dump (see the README)".into(),
            )),
        }
    }

    /// Replaces an SQLite database's contents with a backup made by [`Db::backup_to`]
    /// (`frontdesk restore`; stop the servers first). PostgreSQL is restored with `pg_restore`.
    pub async fn restore_from(&self, src: &std::path::Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(l) => l.restore_from(src).await,
            Backend::Postgres(_) => Err(StoreError::Invalid(
                "a PostgreSQL database is restored with pg_restore (see the README)".into(),
            )),
        }
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        let mut db = self.clone();
        db.fetch_one::<i64>(I, "SELECT 1", &[]).await.map(|_| ())
    }
}

impl Exec for Db {
    async fn fetch_into<S: RowSink>(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<S> {
        match &self.backend {
            Backend::Sqlite(l) => {
                if is_read(sql) {
                    l.read(sql, p)
                } else {
                    l.write(sql, p).await
                }
            }
            Backend::Postgres(pg) => pg.fetch_into(sql, p).await,
        }
    }

    async fn execute(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(l) => l.execute(sql, p).await,
            Backend::Postgres(pg) => pg.execute(sql, p).await,
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }
}

fn is_read(sql: &str) -> bool {
    let s = sql.trim_start();
    s.len() >= 6 && (s[..6].eq_ignore_ascii_case("select") || s[..4].eq_ignore_ascii_case("with"))
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls it back.
pub enum Tx {
    Sqlite(LiteTx),
    Postgres(Box<crate::postgres::PgTx>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit(),
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// A business's view of this transaction.
    pub fn tenant(&mut self, business: &BusinessId) -> Tenant<&mut Tx> {
        Tenant {
            exec: self,
            business: business.clone(),
        }
    }
}

impl Exec for Tx {
    async fn fetch_into<S: RowSink>(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<S> {
        match self {
            Tx::Sqlite(t) => t.fetch_into(sql, p),
            Tx::Postgres(t) => t.fetch_into(sql, p).await,
        }
    }
    async fn execute(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<u64> {
        match self {
            Tx::Sqlite(t) => t.execute(sql, p),
            Tx::Postgres(t) => t.execute(sql, p).await,
        }
    }
    fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }
}

impl Exec for &mut Tx {
    async fn fetch_into<S: RowSink>(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<S> {
        (**self).fetch_into(I, sql, p).await
    }
    async fn execute(&mut self, _: Internal, sql: &str, p: &[Value]) -> Result<u64> {
        (**self).execute(I, sql, p).await
    }
    fn is_postgres(&self) -> bool {
        (**self).is_postgres()
    }
}
