//! Embedded SQLite: WAL, foreign keys on, one writer connection behind an async lock, and a
//! small pool of reader connections used inline (WAL readers never wait for the writer).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::row::{Row, RowSink, Value};
use crate::{Result, StoreError};

const MAX_IDLE_READERS: usize = 16;

pub struct Lite {
    path: String,
    writer: Arc<AsyncMutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
}

fn open_conn(path: &str) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(map_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;",
    )
    .map_err(map_err)?;
    // Plans must not depend on bound values: otherwise SQLite marks statements (e.g. any with
    // `LIMIT $n`) to re-prepare when bindings change, and since cached statements have their
    // bindings cleared, every execution would parse and plan the SQL again.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// The database holds the token signing key and every customer's data: a directory made for it
/// is owner-only (0700) and the file itself is made owner-only (0600) before SQLite opens it;
/// an existing file that other users can read is refused, with the command that fixes it.
#[cfg(unix)]
fn private_files(db: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
    // An existing directory is the operator's choice (a temporary directory is often
    // world-readable); what it holds is protected by the files' own modes.
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::backend(format!("creating {}", dir.display()), e))?;
    }
    let sibling = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    for file in [db.to_path_buf(), sibling("-wal"), sibling("-shm")] {
        if let Ok(m) = mode(&file)
            && m & 0o077 != 0
        {
            return Err(StoreError::broken(format!(
                "the database file {} can be read by other users (mode {m:03o}): run `chmod 600 {}`",
                file.display(),
                file.display()
            )));
        }
    }
    if !db.exists() {
        // SQLite gives its -wal and -shm files the main file's permissions.
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(db)
            .map_err(|e| StoreError::backend(format!("creating {}", db.display()), e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_files(db: &Path) -> Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::backend(format!("creating {}", dir.display()), e))?;
    }
    Ok(())
}

impl Lite {
    /// Copies the database to `dest` (a new file, made owner-only) page by page with SQLite's
    /// online backup: a consistent snapshot while the server keeps reading and writing.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists; back up to a new file",
                dest.display()
            )));
        }
        private_files(dest)?;
        let src = open_conn(&self.path)?;
        let mut dst = Connection::open(dest).map_err(map_err)?;
        rusqlite::backup::Backup::new(&src, &mut dst)
            .and_then(|b| b.run_to_completion(256, std::time::Duration::ZERO, None))
            .map_err(map_err)
    }

    /// Replaces the database's contents with the backup at `src`, in one step under the writer
    /// lock. The backup must be a frontdesk database this version can read.
    pub async fn restore_from(&self, src: &Path) -> Result<()> {
        let from = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::backend(format!("opening {}", src.display()), e))?;
        let version: i64 = from
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|_| {
                StoreError::Invalid(format!("{} is not a frontdesk database", src.display()))
            })?;
        let known = crate::migrate::latest_version();
        if version > known {
            return Err(StoreError::Invalid(format!(
                "{} is from a newer frontdesk (schema {version}; this one knows {known})",
                src.display()
            )));
        }
        let mut writer = self.writer.lock().await;
        rusqlite::backup::Backup::new(&from, &mut writer)
            .and_then(|b| b.run_to_completion(256, std::time::Duration::ZERO, None))
            .map_err(map_err)
    }

    pub fn open(path: &str) -> Result<Self> {
        private_files(Path::new(path))?;
        let writer = open_conn(path)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Arc::new(AsyncMutex::new(writer)),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn read<S: RowSink>(&self, sql: &str, p: &[Value]) -> Result<S> {
        let conn = match self.readers.lock().map_err(|_| poisoned())?.pop() {
            Some(c) => c,
            None => open_conn(&self.path)?,
        };
        let out = query(&conn, sql, p);
        let mut idle = self.readers.lock().map_err(|_| poisoned())?;
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// A statement that writes and returns rows (`INSERT … RETURNING`), in autocommit.
    pub async fn write<S: RowSink>(&self, sql: &str, p: &[Value]) -> Result<S> {
        let conn = self.writer.lock().await;
        query(&conn, sql, p)
    }

    pub async fn execute(&self, sql: &str, p: &[Value]) -> Result<u64> {
        let conn = self.writer.lock().await;
        execute(&conn, sql, p)
    }

    pub async fn begin(&self) -> Result<LiteTx> {
        let conn = self.writer.clone().lock_owned().await;
        // IMMEDIATE takes the write lock now, so a transaction never fails half-way with BUSY
        // because another process (e.g. `frontdesk import` beside a server) wrote meanwhile.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        Ok(LiteTx { conn, open: true })
    }
}

fn poisoned() -> StoreError {
    StoreError::broken("reader pool lock poisoned")
}

/// A transaction on the writer connection; rolled back if dropped before commit.
pub struct LiteTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl LiteTx {
    pub fn fetch_into<S: RowSink>(&mut self, sql: &str, p: &[Value]) -> Result<S> {
        query(&self.conn, sql, p)
    }
    pub fn execute(&mut self, sql: &str, p: &[Value]) -> Result<u64> {
        execute(&self.conn, sql, p)
    }
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(map_err)
    }
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT").map_err(map_err)
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    p: &[Value],
) -> Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    // Placeholders are `$N`; SQLite numbers named parameters by first appearance, so bind by name.
    for idx in 1..=stmt.parameter_count() {
        let n: usize = stmt
            .parameter_name(idx)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::broken(format!("placeholder {idx} is not $N in: {sql}")))?;
        let v = p
            .get(n - 1)
            .ok_or_else(|| StoreError::broken(format!("missing parameter ${n} for: {sql}")))?;
        stmt.raw_bind_parameter(idx, v).map_err(map_err)?;
    }
    Ok(stmt)
}

fn query<S: RowSink>(conn: &Connection, sql: &str, p: &[Value]) -> Result<S> {
    let mut stmt = prepare(conn, sql, p)?;
    let mut rows = stmt.raw_query();
    let mut out = S::default();
    while let Some(r) = rows.next().map_err(map_err)? {
        out.push(&LiteRow(r))?;
    }
    Ok(out)
}

fn execute(conn: &Connection, sql: &str, p: &[Value]) -> Result<u64> {
    let mut stmt = prepare(conn, sql, p)?;
    stmt.raw_execute().map(|n| n as u64).map_err(map_err)
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Float(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

struct LiteRow<'a, 'b>(&'a rusqlite::Row<'b>);

fn col<T: rusqlite::types::FromSql>(r: &rusqlite::Row<'_>, i: usize) -> Result<T> {
    r.get(i)
        .map_err(|e| StoreError::backend(format!("column {i}"), e))
}

impl Row for LiteRow<'_, '_> {
    fn text(&self, i: usize) -> Result<String> {
        col(self.0, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        col(self.0, i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        col(self.0, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        col(self.0, i)
    }
    fn float(&self, i: usize) -> Result<f64> {
        col(self.0, i)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        col(self.0, i)
    }
    fn str_ref(&self, i: usize) -> Result<Option<&str>> {
        self.0
            .get_ref(i)
            .and_then(|v| v.as_str_or_null().map_err(Into::into))
            .map_err(|e| StoreError::backend(format!("column {i}"), e))
    }
}

fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let msg = msg.clone().unwrap_or_else(|| f.to_string());
        return match f.extended_code {
            // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
            2067 | 1555 => StoreError::Taken(crate::Unique::from_sqlite(
                msg.strip_prefix("UNIQUE constraint failed: ")
                    .unwrap_or(&msg),
            )),
            // SQLITE_CONSTRAINT_TRIGGER raised by the no-overlap rule
            1811 if msg == crate::NO_OVERLAP => StoreError::time_taken(),
            // FOREIGNKEY, CHECK, NOTNULL, TRIGGER
            787 | 275 | 1299 | 1811 => StoreError::Invalid(msg),
            _ => StoreError::backend("SQLite", e),
        };
    }
    StoreError::backend("SQLite", e)
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_database_is_created_owner_only_and_an_open_one_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        let db = dir.join("frontdesk.db");
        let lite = Lite::open(db.to_str().unwrap()).unwrap();
        drop(lite);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        let wal = dir.join("frontdesk.db-wal");
        if wal.exists() {
            assert_eq!(mode(&wal) & 0o077, 0);
        }
        // Someone loosened the file: refused, saying how to fix it.
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Lite::open(db.to_str().unwrap()).err().unwrap().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = Lite::open(db.to_str().unwrap()).err().unwrap().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Lite::open(db.to_str().unwrap()).is_ok());
    }
}
