//! PostgreSQL through tokio-postgres with a deadpool connection pool; statements are prepared
//! once per connection and cached.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::row::{Row, RowSink, Value};
use crate::{Result, StoreError};

const POOL_SIZE: usize = 16;

#[derive(Clone)]
pub struct Pg {
    pool: Pool,
    /// For a connection of its own (LISTEN holds one).
    cfg: std::sync::Arc<tokio_postgres::Config>,
}

impl Pg {
    pub async fn connect(url: &str) -> Result<Self> {
        let cfg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::backend("bad database URL", e))?;
        let mgr = Manager::from_config(
            cfg.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::backend("PostgreSQL", e))?;
        // Fail at start, not at the first request, when the server is unreachable.
        drop(get(&pool).await?);
        Ok(Self {
            pool,
            cfg: std::sync::Arc::new(cfg),
        })
    }

    /// Tells every session listening on `channel` (this server's and others') `payload`, now.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        get(&self.pool)
            .await?
            .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Listens on `channel` on a connection of its own, for as long as the receiver is kept:
    /// each notification's payload, in order. A lost connection is opened again (after a pause
    /// that doubles to half a minute); notifications sent while it was down are missed.
    pub fn listen(&self, channel: &str) -> tokio::sync::mpsc::Receiver<String> {
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let (cfg, channel) = (self.cfg.clone(), channel.to_owned());
        tokio::spawn(async move {
            let mut pause = std::time::Duration::from_millis(250);
            while !tx.is_closed() {
                if let Err(e) = listen_once(&cfg, &channel, &tx).await {
                    tracing::warn!(error = %e, channel, "LISTEN connection lost; opening it again");
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(30));
            }
        });
        rx
    }

    pub async fn fetch_into<S: RowSink>(&self, sql: &str, p: &[Value]) -> Result<S> {
        fetch_into(&get(&self.pool).await?, sql, p).await
    }

    pub async fn execute(&self, sql: &str, p: &[Value]) -> Result<u64> {
        execute(&get(&self.pool).await?, sql, p).await
    }

    pub async fn begin(&self) -> Result<PgTx> {
        let conn = get(&self.pool).await?;
        conn.batch_execute("BEGIN").await.map_err(map_err)?;
        Ok(PgTx { conn: Some(conn) })
    }
}

/// One LISTEN connection: forwards notifications until it fails or nobody receives.
async fn listen_once(
    cfg: &tokio_postgres::Config,
    channel: &str,
    tx: &tokio::sync::mpsc::Sender<String>,
) -> std::result::Result<(), tokio_postgres::Error> {
    let (client, mut conn) = cfg.connect(NoTls).await?;
    let (msgs_tx, mut msgs) = tokio::sync::mpsc::unbounded_channel();
    // The connection is driven here; its messages (notifications) are passed on.
    let driver = tokio::spawn(async move {
        while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
            match m {
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                    if msgs_tx.send(Ok(n.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = msgs_tx.send(Err(e));
                    return;
                }
            }
        }
    });
    // The channel's name is quoted as an identifier.
    let quoted = format!("\"{}\"", channel.replace('"', "\"\""));
    let r = async {
        client.batch_execute(&format!("LISTEN {quoted}")).await?;
        while let Some(m) = msgs.recv().await {
            if tx.send(m?).await.is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    driver.abort();
    r
}

async fn get(pool: &Pool) -> Result<Object> {
    pool.get()
        .await
        .map_err(|e| StoreError::backend("connecting to PostgreSQL", e))
}

/// A transaction holding one pooled connection; rolled back if dropped before commit.
pub struct PgTx {
    conn: Option<Object>,
}

impl PgTx {
    fn conn(&self) -> Result<&Object> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::broken("transaction already finished"))
    }
    pub async fn fetch_into<S: RowSink>(&mut self, sql: &str, p: &[Value]) -> Result<S> {
        fetch_into(self.conn()?, sql, p).await
    }
    pub async fn execute(&mut self, sql: &str, p: &[Value]) -> Result<u64> {
        execute(self.conn()?, sql, p).await
    }
    pub async fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn()?.batch_execute(sql).await.map_err(map_err)
    }
    pub async fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::broken("transaction already finished"))?;
        conn.batch_execute("COMMIT").await.map_err(map_err)
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Cannot await in drop: roll back on the runtime, then the connection returns to the pool.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if conn.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(conn));
                    }
                });
            } else {
                drop(Object::take(conn));
            }
        }
    }
}

fn refs(p: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    p.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

async fn fetch_into<S: RowSink>(c: &Object, sql: &str, p: &[Value]) -> Result<S> {
    let stmt = c.prepare_cached(sql).await.map_err(map_err)?;
    let rows = c.query(&stmt, &refs(p)).await.map_err(map_err)?;
    let mut out = S::default();
    for r in &rows {
        out.push(&PgRow(r))?;
    }
    Ok(out)
}

async fn execute(c: &Object, sql: &str, p: &[Value]) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(map_err)?;
    c.execute(&stmt, &refs(p)).await.map_err(map_err)
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

fn check<T: ToSql>(ty: &Type) -> std::result::Result<(), BoxError> {
    if T::accepts(ty) {
        Ok(())
    } else {
        Err(format!(
            "cannot bind {} to a {ty} column",
            std::any::type_name::<T>()
        )
        .into())
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) => {
                check::<i64>(ty)?;
                i.to_sql(ty, out)
            }
            Value::Float(f) => {
                check::<f64>(ty)?;
                f.to_sql(ty, out)
            }
            Value::Bool(b) => {
                check::<bool>(ty)?;
                b.to_sql(ty, out)
            }
            Value::Text(s) => {
                check::<String>(ty)?;
                s.to_sql(ty, out)
            }
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

struct PgRow<'a>(&'a tokio_postgres::Row);

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a tokio_postgres::Row,
    i: usize,
) -> Result<T> {
    r.try_get(i)
        .map_err(|e| StoreError::backend(format!("column {i}"), e))
}

impl Row for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String> {
        col(self.0, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        col(self.0, i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        // INT4 results (literals, some functions) widen; our own columns are BIGINT.
        col::<i64>(self.0, i).or_else(|e| col::<i32>(self.0, i).map(i64::from).map_err(|_| e))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        col::<Option<i64>>(self.0, i).or_else(|e| {
            col::<Option<i32>>(self.0, i)
                .map(|v| v.map(i64::from))
                .map_err(|_| e)
        })
    }
    fn float(&self, i: usize) -> Result<f64> {
        col(self.0, i)
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        col(self.0, i)
    }
    fn str_ref(&self, i: usize) -> Result<Option<&str>> {
        col(self.0, i)
    }
}

fn map_err(e: tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::backend("PostgreSQL", e);
    };
    let msg = db.message().to_owned();
    match *db.code() {
        SqlState::UNIQUE_VIOLATION => StoreError::Taken(crate::Unique::from_constraint(
            db.constraint().unwrap_or(""),
        )),
        SqlState::EXCLUSION_VIOLATION if db.constraint() == Some(crate::NO_OVERLAP) => {
            StoreError::time_taken()
        }
        SqlState::FOREIGN_KEY_VIOLATION
        | SqlState::CHECK_VIOLATION
        | SqlState::NOT_NULL_VIOLATION
        | SqlState::RAISE_EXCEPTION => StoreError::Invalid(msg),
        _ => StoreError::backend("PostgreSQL", e),
    }
}
