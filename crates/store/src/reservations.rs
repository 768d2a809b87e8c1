//! Storage-unit reservations. A reservation takes one unit of its type off the inventory (see
//! [`crate::inventory`]) in the same transaction, and refuses when none is left.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::ReservationStatus;
use crate::{ConversationId, CustomerId, RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reservation {
    pub id: RecordId,
    pub customer_id: Option<CustomerId>,
    pub conversation_id: Option<ConversationId>,
    pub unit_type: String,
    /// Local date, YYYY-MM-DD.
    pub move_in: String,
    pub monthly_rate_cents: i64,
    pub promotion: Option<String>,
    pub status: ReservationStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, customer_id, conversation_id, unit_type, move_in, monthly_rate_cents, promotion, status, created_at, updated_at";

impl FromRow for Reservation {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            customer_id: r.opt_text(1)?.map(CustomerId::from_db),
            conversation_id: r.opt_text(2)?.map(ConversationId::from_db),
            unit_type: r.text(3)?,
            move_in: r.text(4)?,
            monthly_rate_cents: r.int(5)?,
            promotion: r.opt_text(6)?,
            status: crate::states::read(r, 7)?,
            created_at: r.int(8)?,
            updated_at: r.int(9)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewReservation<'a> {
    pub customer: Option<&'a CustomerId>,
    pub conversation: Option<&'a ConversationId>,
    pub unit_type: &'a str,
    pub move_in: chrono::NaiveDate,
    pub monthly_rate_cents: i64,
    pub promotion: Option<&'a str>,
}

impl<E: Exec> Tenant<E> {
    /// Reserves a unit: takes one off its type's count and records the reservation.
    /// `Conflict` when the type is sold out. Call after [`Tenant::lock_business`].
    pub async fn reserve_unit(&mut self, r: &NewReservation<'_>, now: i64) -> Result<Reservation> {
        let unit = self
            .stored_profile()
            .await?
            .units
            .into_iter()
            .find(|u| u.unit_type == r.unit_type)
            .ok_or_else(|| {
                StoreError::Invalid(format!("there is no unit type {:?}", r.unit_type))
            })?;
        let id = RecordId::new();
        self.take_unit(r.unit_type, unit.available, id.as_str(), now)
            .await?;
        self.exec
            .execute(
                I,
                "INSERT INTO reservations (id, business_id, customer_id, conversation_id, unit_type, move_in, monthly_rate_cents, promotion, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'reserved', $9, $9)",
                &params![&id, &self.business, r.customer.map(|c| c.as_str()), r.conversation.map(|c| c.as_str()), r.unit_type, r.move_in.to_string(), r.monthly_rate_cents, r.promotion, now],
            )
            .await?;
        self.reservation(&id).await
    }

    /// Cancels a reservation and gives its unit back.
    pub async fn cancel_reservation(&mut self, id: &RecordId, now: i64) -> Result<Reservation> {
        let r = self.reservation(id).await?;
        if r.status != ReservationStatus::Reserved {
            return Err(StoreError::Conflict(format!(
                "the reservation is {}",
                r.status
            )));
        }
        let unit = self
            .stored_profile()
            .await?
            .units
            .into_iter()
            .find(|u| u.unit_type == r.unit_type);
        if let Some(u) = unit {
            self.release_unit(&r.unit_type, u.available, u.total, id.as_str(), now)
                .await?;
        }
        self.exec
            .execute(
                I,
                "UPDATE reservations SET status = 'cancelled', updated_at = $3 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, now],
            )
            .await?;
        self.reservation(id).await
    }

    pub async fn reservation(&mut self, id: &RecordId) -> Result<Reservation> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM reservations WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    pub async fn reservations(&mut self, limit: u32) -> Result<Vec<Reservation>> {
        self.reservations_before(None, None, limit).await
    }

    /// Reservations newest first, older than the cursor (an id) when given.
    pub async fn reservations_before(
        &mut self,
        before: Option<&str>,
        status: Option<ReservationStatus>,
        limit: u32,
    ) -> Result<Vec<Reservation>> {
        let status = status.map_or("", |s| s.as_str());
        self.exec
            .fetch_all(I, &format!("SELECT {COLS} FROM reservations WHERE business_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR status = $3) ORDER BY id DESC LIMIT $4"),
                &params![&self.business, before.unwrap_or(""), status, limit])
            .await
    }
}
