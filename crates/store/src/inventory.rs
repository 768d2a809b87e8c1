//! Storage-unit inventory: how many units of each type are free, kept out of the profile
//! document so that a reservation neither rewrites the profile (and with it every cached index)
//! nor can be undone by saving a profile read before it. The count is changed only by
//! reservations, releases and explicit owner adjustments (an import that gives `available` is
//! one), and every change is recorded. A unit type with no row yet counts what its profile
//! says; a row is made for it the first time its count is set or changed.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{BusinessId, RecordId, Result, StoreError, Tenant, params};
use frontdesk_engine::profile::Unit;

/// Why a count changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Reservation,
    Release,
    Owner,
    Import,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Reservation => "reservation",
            Reason::Release => "release",
            Reason::Owner => "owner",
            Reason::Import => "import",
        }
    }
}

/// One recorded change of a count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    pub id: RecordId,
    pub unit_type: String,
    /// reservation, release, owner or import.
    pub reason: String,
    pub before: i64,
    pub after: i64,
    /// The reservation, or who adjusted it.
    pub reference: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

impl FromRow for Adjustment {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            unit_type: r.text(1)?,
            reason: r.text(2)?,
            before: r.int(3)?,
            after: r.int(4)?,
            reference: r.opt_text(5)?,
            note: r.opt_text(6)?,
            created_at: r.int(7)?,
        })
    }
}

struct Count(String, i64);

impl FromRow for Count {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self(r.text(0)?, r.int(1)?))
    }
}

/// A change to record with a count.
pub struct Change<'a> {
    pub reason: Reason,
    pub reference: Option<&'a str>,
    pub note: Option<&'a str>,
}

impl<E: Exec> Tenant<E> {
    /// The counts kept so far, by unit type.
    pub async fn inventory(&mut self) -> Result<Vec<(String, u32)>> {
        let rows: Vec<Count> = self
            .exec
            .fetch_all(
                I,
                "SELECT unit_type, available FROM unit_inventory WHERE business_id = $1 ORDER BY unit_type",
                &params![&self.business],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|Count(t, n)| (t, u32::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The recorded changes, newest first.
    pub async fn inventory_adjustments(&mut self, limit: u32) -> Result<Vec<Adjustment>> {
        self.exec
            .fetch_all(
                I,
                "SELECT id, unit_type, reason, before, after, reference, note, created_at FROM inventory_adjustments
                 WHERE business_id = $1 ORDER BY id DESC LIMIT $2",
                &params![&self.business, limit],
            )
            .await
    }

    async fn count(&mut self, unit_type: &str) -> Result<Option<i64>> {
        self.exec
            .fetch_optional(
                I,
                "SELECT available FROM unit_inventory WHERE business_id = $1 AND unit_type = $2",
                &params![&self.business, unit_type],
            )
            .await
    }

    async fn record(
        &mut self,
        unit_type: &str,
        before: i64,
        after: i64,
        c: &Change<'_>,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO inventory_adjustments (id, business_id, unit_type, reason, before, after, reference, note, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &params![&RecordId::new(), &self.business, unit_type, c.reason.as_str(), before, after, c.reference, c.note, now],
            )
            .await?;
        Ok(())
    }

    /// Sets the count of a unit type the profile has, recording the change (nothing is recorded
    /// when the count is already that). Returns the count before.
    pub async fn set_available(
        &mut self,
        unit_type: &str,
        available: u32,
        c: &Change<'_>,
        now: i64,
    ) -> Result<u32> {
        let unit = self
            .stored_profile()
            .await?
            .units
            .into_iter()
            .find(|u| u.unit_type == unit_type)
            .ok_or(StoreError::NotFound)?;
        if available > unit.total {
            return Err(StoreError::Invalid(format!(
                "available: {available} is more than the {} units of {unit_type}",
                unit.total
            )));
        }
        let before = match self.count(unit_type).await? {
            Some(n) => n,
            None => i64::from(unit.available),
        };
        let after = i64::from(available);
        self.exec
            .execute(
                I,
                "INSERT INTO unit_inventory (business_id, unit_type, available, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (business_id, unit_type) DO UPDATE SET available = $3, updated_at = $4",
                &params![&self.business, unit_type, after, now],
            )
            .await?;
        if before != after {
            self.record(unit_type, before, after, c, now).await?;
        }
        Ok(u32::try_from(before).unwrap_or(0))
    }

    async fn ensure_count(&mut self, unit_type: &str, available: u32, now: i64) -> Result<()> {
        ensure_count(&mut self.exec, &self.business, unit_type, available, now).await
    }

    /// Takes one unit of a type (`from_profile` is its count when it has no row yet);
    /// `Conflict` when none is left.
    pub(crate) async fn take_unit(
        &mut self,
        unit_type: &str,
        from_profile: u32,
        reservation: &str,
        now: i64,
    ) -> Result<()> {
        self.ensure_count(unit_type, from_profile, now).await?;
        let taken = self
            .exec
            .execute(
                I,
                "UPDATE unit_inventory SET available = available - 1, updated_at = $3
                 WHERE business_id = $1 AND unit_type = $2 AND available > 0",
                &params![&self.business, unit_type, now],
            )
            .await?;
        if taken == 0 {
            return Err(StoreError::Conflict(format!(
                "no {unit_type} units are left"
            )));
        }
        let after = self.count(unit_type).await?.unwrap_or(0);
        let c = Change {
            reason: Reason::Reservation,
            reference: Some(reservation),
            note: None,
        };
        self.record(unit_type, after + 1, after, &c, now).await
    }

    /// Gives one unit of a type back, never above `total`.
    pub(crate) async fn release_unit(
        &mut self,
        unit_type: &str,
        from_profile: u32,
        total: u32,
        reservation: &str,
        now: i64,
    ) -> Result<()> {
        self.ensure_count(unit_type, from_profile, now).await?;
        let before = self.count(unit_type).await?.unwrap_or(0);
        let after = (before + 1).min(i64::from(total));
        if after == before {
            return Ok(());
        }
        self.exec
            .execute(
                I,
                "UPDATE unit_inventory SET available = $3, updated_at = $4 WHERE business_id = $1 AND unit_type = $2",
                &params![&self.business, unit_type, after, now],
            )
            .await?;
        let c = Change {
            reason: Reason::Release,
            reference: Some(reservation),
            note: None,
        };
        self.record(unit_type, before, after, &c, now).await
    }
}

/// Makes sure a unit type has its row, starting from `available` (what its profile says).
async fn ensure_count(
    e: &mut impl Exec,
    business: &BusinessId,
    unit_type: &str,
    available: u32,
    now: i64,
) -> Result<()> {
    e.execute(
        I,
        "INSERT INTO unit_inventory (business_id, unit_type, available, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (business_id, unit_type) DO NOTHING",
        &params![business, unit_type, i64::from(available), now],
    )
    .await?;
    Ok(())
}

/// Gives every unit type of a profile just stored its row (a new type starts from what the
/// profile says), so that from then on only reservations, releases and adjustments move its
/// count: saving a profile read before a reservation does not put the unit back.
pub(crate) async fn ensure_inventory(
    e: &mut impl Exec,
    business: &BusinessId,
    units: &[Unit],
    now: i64,
) -> Result<()> {
    for u in units {
        ensure_count(e, business, &u.unit_type, u.available, now).await?;
    }
    Ok(())
}

/// The live count of `u`, when `counts` has one.
fn live(u: &Unit, counts: &[(String, u32)]) -> Option<u32> {
    counts
        .iter()
        .find(|(t, _)| *t == u.unit_type)
        .map(|(_, n)| (*n).min(u.total))
}

/// Puts the live counts on a profile's units.
pub fn overlay(units: &mut [Unit], counts: &[(String, u32)]) {
    for u in units {
        if let Some(n) = live(u, counts) {
            u.available = n;
        }
    }
}

/// `units` with the live counts, or `None` when they already show them (nothing to copy).
pub fn overlaid(units: &[Unit], counts: &[(String, u32)]) -> Option<Vec<Unit>> {
    let stale = units
        .iter()
        .any(|u| live(u, counts).is_some_and(|n| n != u.available));
    stale.then(|| {
        let mut units = units.to_vec();
        overlay(&mut units, counts);
        units
    })
}
