//! Appointments booked by the agent or the owner. Overlaps are refused inside the booking
//! transaction, with the business row locked, so two callers cannot take the same slot; and
//! the database refuses them by itself (migration 0019: an exclusion constraint on PostgreSQL,
//! triggers on SQLite), whatever path writes the row.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::AppointmentStatus;
use crate::{ConversationId, CustomerId, RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appointment {
    pub id: RecordId,
    pub customer_id: Option<CustomerId>,
    pub conversation_id: Option<ConversationId>,
    pub service: String,
    pub staff: Option<String>,
    /// Start and end, milliseconds since the epoch (UTC).
    pub start_at: i64,
    pub end_at: i64,
    /// `booked`, `cancelled`, `completed` or `no_show`.
    pub status: AppointmentStatus,
    /// The customer's phone number, for finding a caller's own appointments.
    pub phone: Option<frontdesk_engine::PhoneE164>,
    pub name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// How many times it has changed since it was booked (moved, cancelled, marked): a
    /// calendar's `SEQUENCE`.
    pub revision: i64,
    /// Who cancelled it, and why when they said (a cancelled appointment only).
    pub cancelled_by: Option<crate::states::CancelledBy>,
    pub cancel_reason: Option<String>,
}

const COLS: &str = "a.id, a.customer_id, a.conversation_id, a.service, a.staff, a.start_at, a.end_at, a.status, c.phone, c.name, a.created_at, a.updated_at, a.revision, a.cancelled_by, a.cancel_reason";

impl FromRow for Appointment {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            customer_id: r.opt_text(1)?.map(CustomerId::from_db),
            conversation_id: r.opt_text(2)?.map(ConversationId::from_db),
            service: r.text(3)?,
            staff: r.opt_text(4)?,
            start_at: r.int(5)?,
            end_at: r.int(6)?,
            status: crate::states::read(r, 7)?,
            phone: r.opt_phone(8)?,
            name: r.opt_text(9)?,
            created_at: r.int(10)?,
            updated_at: r.int(11)?,
            revision: r.int(12)?,
            cancelled_by: match r.opt_text(13)? {
                Some(_) => Some(crate::states::read(r, 13)?),
                None => None,
            },
            cancel_reason: r.opt_text(14)?,
        })
    }
}

/// A booking to make.
#[derive(Debug, Clone)]
pub struct NewAppointment<'a> {
    pub customer: Option<&'a CustomerId>,
    pub conversation: Option<&'a ConversationId>,
    pub service: &'a str,
    pub staff: Option<&'a str>,
    pub start_at: i64,
    pub end_at: i64,
    /// Time kept free around appointments, in milliseconds.
    pub buffer_ms: i64,
}

/// The business an appointment belongs to, whatever it is (a self-service link names only the
/// appointment; its signature then says whether the link was made for that business).
pub async fn business_of(e: &mut impl Exec, id: &RecordId) -> Result<crate::BusinessId> {
    let b: String = e
        .fetch_one(
            I,
            "SELECT business_id FROM appointments WHERE id = $1",
            &params![id],
        )
        .await?;
    Ok(crate::BusinessId::from_db(b))
}

impl<E: Exec> Tenant<E> {
    /// Booked appointments that end after `from`, soonest first.
    pub async fn upcoming_appointments(
        &mut self,
        from: i64,
        until: i64,
    ) -> Result<Vec<Appointment>> {
        self.exec
            .fetch_all(I, &format!(
                    "SELECT {COLS} FROM appointments a LEFT JOIN customers c ON c.id = a.customer_id
                     WHERE a.business_id = $1 AND a.status = 'booked' AND a.end_at > $2 AND a.start_at < $3
                     ORDER BY a.start_at"
                ),
                &params![&self.business, from, until],
            )
            .await
    }

    /// Appointments in any state that overlap `[from, until)`, by start (a calendar's span).
    pub async fn appointments_between(
        &mut self,
        from: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<Appointment>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM appointments a LEFT JOIN customers c ON c.id = a.customer_id
                     WHERE a.business_id = $1 AND a.end_at > $2 AND a.start_at < $3
                     ORDER BY a.start_at, a.id LIMIT $4"
                ),
                &params![&self.business, from, until, limit],
            )
            .await
    }

    /// Appointments in any state that overlap `[from, until)`, by start: `staff`'s when given
    /// (a staff member's calendar feed), every one otherwise.
    pub async fn staff_appointments_between(
        &mut self,
        from: i64,
        until: i64,
        staff: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Appointment>> {
        let Some(staff) = staff else {
            return self.appointments_between(from, until, limit).await;
        };
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM appointments a LEFT JOIN customers c ON c.id = a.customer_id
                     WHERE a.business_id = $1 AND a.staff = $4 AND a.end_at > $2 AND a.start_at < $3
                     ORDER BY a.start_at, a.id LIMIT $5"
                ),
                &params![&self.business, from, until, staff, limit],
            )
            .await
    }

    pub async fn appointments(&mut self, from: i64, limit: u32) -> Result<Vec<Appointment>> {
        self.appointments_after(from, None, limit).await
    }

    /// Appointments that end after `from`, soonest first (then by id), after the cursor (the
    /// start and id of the last one of the page before) when given.
    pub async fn appointments_after(
        &mut self,
        from: i64,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<Appointment>> {
        let (start, id) = after.unwrap_or((i64::MIN, ""));
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM appointments a LEFT JOIN customers c ON c.id = a.customer_id
                     WHERE a.business_id = $1 AND a.end_at > $2 AND (a.start_at > $3 OR (a.start_at = $3 AND a.id > $4))
                     ORDER BY a.start_at, a.id LIMIT $5"
                ),
                &params![&self.business, from, start, id, limit],
            )
            .await
    }

    pub async fn appointment(&mut self, id: &RecordId) -> Result<Appointment> {
        self.exec
            .fetch_one(
                I,
                &format!(
                    "SELECT {COLS} FROM appointments a LEFT JOIN customers c ON c.id = a.customer_id
                     WHERE a.business_id = $1 AND a.id = $2"
                ),
                &params![&self.business, id],
            )
            .await
    }

    /// Whether a booked appointment (for the same staff member, or any when the business has
    /// none) overlaps the span, buffers included.
    async fn overlaps(
        &mut self,
        staff: Option<&str>,
        start: i64,
        end: i64,
        buffer: i64,
        except: &str,
    ) -> Result<bool> {
        let n: i64 = self
            .exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM appointments
                 WHERE business_id = $1 AND status = 'booked' AND id <> $5
                   AND COALESCE(staff, '') = COALESCE($2, '')
                   AND start_at < $4 AND end_at > $3",
                &params![&self.business, staff, start - buffer, end + buffer, except],
            )
            .await?;
        Ok(n > 0)
    }

    /// Books an appointment; `Conflict` if the time was taken meanwhile. Call inside a
    /// transaction after [`Tenant::lock_business`].
    pub async fn book_appointment(
        &mut self,
        a: &NewAppointment<'_>,
        now: i64,
    ) -> Result<Appointment> {
        if a.end_at <= a.start_at {
            return Err(StoreError::Invalid(
                "an appointment must end after it starts".into(),
            ));
        }
        if self
            .overlaps(a.staff, a.start_at, a.end_at, a.buffer_ms, "")
            .await?
        {
            return Err(StoreError::time_taken());
        }
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO appointments (id, business_id, customer_id, conversation_id, service, staff, start_at, end_at, buffer_ms, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', $10, $10)",
                &params![&id, &self.business, a.customer.map(|c| c.as_str()), a.conversation.map(|c| c.as_str()), a.service, a.staff, a.start_at, a.end_at, a.buffer_ms.max(0), now],
            )
            .await?;
        self.appointment(&id).await
    }

    /// Moves a booked appointment; `Conflict` if the new time is taken.
    pub async fn reschedule_appointment(
        &mut self,
        id: &RecordId,
        staff: Option<&str>,
        start: i64,
        end: i64,
        buffer: i64,
        now: i64,
    ) -> Result<Appointment> {
        let current = self.appointment(id).await?;
        if current.status != AppointmentStatus::Booked {
            return Err(StoreError::Conflict(format!(
                "the appointment is {}",
                current.status
            )));
        }
        if self
            .overlaps(staff, start, end, buffer, id.as_str())
            .await?
        {
            return Err(StoreError::time_taken());
        }
        self.exec
            .execute(
                I,
                "UPDATE appointments SET staff = $3, start_at = $4, end_at = $5, buffer_ms = $6, updated_at = $7, revision = revision + 1 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, staff, start, end, buffer.max(0), now],
            )
            .await?;
        self.appointment(id).await
    }

    /// Marks a booked appointment completed or a no-show; `Conflict` if it is not booked.
    pub async fn set_appointment_status(
        &mut self,
        id: &RecordId,
        status: AppointmentStatus,
        now: i64,
    ) -> Result<()> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE appointments SET status = $3, updated_at = $4, revision = revision + 1 WHERE business_id = $1 AND id = $2 AND status = 'booked'",
                &params![&self.business, id, status, now],
            )
            .await?;
        if n == 1 {
            Ok(())
        } else {
            self.appointment(id).await?;
            Err(StoreError::Conflict("the appointment is not booked".into()))
        }
    }

    /// Cancels a booked appointment, saying by whom and (when given) why.
    pub async fn cancel_appointment(
        &mut self,
        id: &RecordId,
        by: crate::states::CancelledBy,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Appointment> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let n = self
            .exec
            .execute(
                I,
                "UPDATE appointments SET status = 'cancelled', updated_at = $3, revision = revision + 1, cancelled_by = $4, cancel_reason = $5
                 WHERE business_id = $1 AND id = $2 AND status = 'booked'",
                &params![&self.business, id, now, by, reason],
            )
            .await?;
        if n == 0 {
            self.appointment(id).await?;
            return Err(StoreError::Conflict("the appointment is not booked".into()));
        }
        self.appointment(id).await
    }
}
