//! Private calendar feeds: a secret URL per business or per staff member that a calendar app
//! subscribes to. Only the secret's hash is kept; a feed lives until it is revoked.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{BusinessId, RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarFeed {
    pub id: RecordId,
    pub business_id: BusinessId,
    /// The staff member whose appointments it carries; every appointment when `None`.
    pub staff: Option<String>,
    /// Who made it (a user id or an API key's name), for the list.
    pub created_by: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const COLS: &str = "id, business_id, staff, created_by, created_at, revoked_at";

impl FromRow for CalendarFeed {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            business_id: BusinessId::from_db(r.text(1)?),
            staff: r.opt_text(2)?,
            created_by: r.opt_text(3)?,
            created_at: r.int(4)?,
            revoked_at: r.opt_int(5)?,
        })
    }
}

/// The live feed whose secret hashes to `token_hash`, whatever its business (the secret is
/// the only credential a calendar app presents).
pub async fn feed_by_hash(e: &mut impl Exec, token_hash: &str) -> Result<CalendarFeed> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL"),
        &params![token_hash],
    )
    .await
}

impl<E: Exec> Tenant<E> {
    /// A new feed for `staff` (or the whole business), known by the hash of its secret.
    pub async fn create_calendar_feed(
        &mut self,
        staff: Option<&str>,
        token_hash: &str,
        created_by: Option<&str>,
        now: i64,
    ) -> Result<CalendarFeed> {
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO calendar_feeds (id, business_id, staff, token_hash, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &params![&id, &self.business, staff, token_hash, created_by, now],
            )
            .await?;
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM calendar_feeds WHERE business_id = $1 AND id = $2"),
                &params![&self.business, &id],
            )
            .await
    }

    /// The business's live feeds, newest first.
    pub async fn calendar_feeds(&mut self) -> Result<Vec<CalendarFeed>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM calendar_feeds WHERE business_id = $1 AND revoked_at IS NULL
                     ORDER BY created_at DESC, id LIMIT 200"
                ),
                &params![&self.business],
            )
            .await
    }

    /// Stops a feed: its URL answers "not found" from now on. `NotFound` if it is not live.
    pub async fn revoke_calendar_feed(&mut self, id: &RecordId, now: i64) -> Result<()> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE calendar_feeds SET revoked_at = $3 WHERE business_id = $1 AND id = $2 AND revoked_at IS NULL",
                &params![&self.business, id, now],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
