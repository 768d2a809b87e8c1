//! The append-only audit log: who changed what, when, through which request. The database
//! refuses updates and deletes of entries (triggers in the migrations).

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{BusinessId, Result, Tenant, params};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    /// `user`, `api_key`, `cli` or `system`.
    pub kind: &'static str,
    pub id: Option<String>,
}

impl Actor {
    /// `kind:id` (`user:…`, `api_key:…`), or the kind alone (`cli`), as records name who did it.
    pub fn reference(&self) -> String {
        match &self.id {
            Some(id) => format!("{}:{id}", self.kind),
            None => self.kind.to_owned(),
        }
    }
}

/// An entry to write.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub business: Option<&'a BusinessId>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub business_id: Option<String>,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub request_id: Option<String>,
    pub detail: serde_json::Value,
}

const COLS: &str = "seq, at, business_id, actor_kind, actor_id, action, target_type, target_id, request_id, detail";

impl FromRow for Entry {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            seq: r.int(0)?,
            at: r.int(1)?,
            business_id: r.opt_text(2)?,
            actor_kind: r.text(3)?,
            actor_id: r.opt_text(4)?,
            action: r.text(5)?,
            target_type: r.opt_text(6)?,
            target_id: r.opt_text(7)?,
            request_id: r.opt_text(8)?,
            detail: serde_json::from_str(&r.text(9)?).unwrap_or(serde_json::Value::Null),
        })
    }
}

/// Appends an entry; call it in the transaction that makes the change.
pub async fn record(e: &mut impl Exec, n: &NewEntry<'_>, now: i64) -> Result<()> {
    e.execute(I, "INSERT INTO audit_log (at, business_id, actor_kind, actor_id, action, target_type, target_id, request_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &params![now, n.business, n.actor.kind, &n.actor.id, n.action, n.target_type, n.target_id, n.request_id, n.detail.to_string()],
    )
    .await
    .map(|_| ())
}

/// The whole installation's log (operators only), newest first, before `before`.
pub async fn all(e: &mut impl Exec, before: Option<i64>, limit: u32) -> Result<Vec<Entry>> {
    e.fetch_all(
        I,
        &format!("SELECT {COLS} FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2"),
        &params![before.unwrap_or(i64::MAX), limit],
    )
    .await
}

impl<E: Exec> Tenant<E> {
    /// This business's log, newest first, before `before`.
    pub async fn audit_log(&mut self, before: Option<i64>, limit: u32) -> Result<Vec<Entry>> {
        self.exec
            .fetch_all(I, &format!("SELECT {COLS} FROM audit_log WHERE business_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"),
                &params![&self.business, before.unwrap_or(i64::MAX), limit],
            )
            .await
    }
}
