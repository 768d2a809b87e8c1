//! Blocked time: a staff member's time off, or the whole business's, that nobody can book.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeBlock {
    pub id: RecordId,
    /// The staff member it is for; the whole business when `None`.
    pub staff: Option<String>,
    /// Start and end, milliseconds since the epoch (UTC).
    pub start_at: i64,
    pub end_at: i64,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

const COLS: &str = "id, staff, start_at, end_at, reason, created_by, created_at";

impl FromRow for TimeBlock {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            staff: r.opt_text(1)?,
            start_at: r.int(2)?,
            end_at: r.int(3)?,
            reason: r.text(4)?,
            created_by: r.opt_text(5)?,
            created_at: r.int(6)?,
        })
    }
}

/// A block to add.
#[derive(Debug, Clone)]
pub struct NewBlock<'a> {
    pub staff: Option<&'a str>,
    pub start_at: i64,
    pub end_at: i64,
    pub reason: &'a str,
    pub created_by: Option<&'a str>,
}

/// The most blocks one list returns.
pub const BLOCKS_MAX: u32 = 1000;

impl<E: Exec> Tenant<E> {
    pub async fn add_block(&mut self, b: &NewBlock<'_>, now: i64) -> Result<TimeBlock> {
        if b.end_at <= b.start_at {
            return Err(StoreError::Invalid(
                "a block must end after it starts".into(),
            ));
        }
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO time_blocks (id, business_id, staff, start_at, end_at, reason, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &params![&id, &self.business, b.staff, b.start_at, b.end_at, b.reason, b.created_by, now],
            )
            .await?;
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM time_blocks WHERE business_id = $1 AND id = $2"),
                &params![&self.business, &id],
            )
            .await
    }

    /// Blocks that overlap `[from, until)`, by start.
    pub async fn blocks_between(&mut self, from: i64, until: i64) -> Result<Vec<TimeBlock>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM time_blocks WHERE business_id = $1 AND end_at > $2 AND start_at < $3
                     ORDER BY start_at, id LIMIT $4"
                ),
                &params![&self.business, from, until, BLOCKS_MAX],
            )
            .await
    }

    /// Removes a block; `NotFound` if the business has no such block.
    pub async fn remove_block(&mut self, id: &RecordId) -> Result<()> {
        let n = self
            .exec
            .execute(
                I,
                "DELETE FROM time_blocks WHERE business_id = $1 AND id = $2",
                &params![&self.business, id],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
