//! Appointments through the API: the free times, a booking made without the agent (the same
//! slots, confirmation and reminders; a time just taken is refused with the next free ones),
//! and what staff do to one: cancel it, move it, mark it completed or a no-show (the customer
//! told of a cancellation or a move, as when the agent does it).

use crate::views::Appointment;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use frontdesk_desk::booking;
use frontdesk_desk::host::AppointmentChange;
use frontdesk_store::accounts::Role;
use frontdesk_store::states::AppointmentStatus;
use frontdesk_store::{BusinessId, RecordId, now_ms};
use serde::{Deserialize, Serialize};

use super::{JsonBody, PageParams, RequestId, audit, clamp_limit, listed};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/appointments",
            get(list_appointments).post(book_appointment),
        )
        .route("/businesses/{business}/slots", get(list_slots))
        .route(
            "/businesses/{business}/appointments/{appointment}/cancel",
            post(cancel_appointment),
        )
        .route(
            "/businesses/{business}/appointments/{appointment}/move",
            post(move_appointment),
        )
        .route(
            "/businesses/{business}/appointments/{appointment}/status",
            post(mark_appointment),
        )
}

/// Makes `change` to appointment `id` of `business` for `p`, audited as `action` in the same
/// transaction; the senders are woken for the customer's notice.
pub(crate) async fn change(
    st: &AppState,
    actor: &frontdesk_store::audit::Actor,
    rid: &RequestId,
    business: &BusinessId,
    id: &str,
    change: AppointmentChange,
) -> ApiResult<frontdesk_store::appointments::Appointment> {
    let id = RecordId::parse(id).ok_or(ApiError::NotFound)?;
    let action = match &change {
        AppointmentChange::Cancel { .. } => "appointment.cancel",
        AppointmentChange::Move { .. } => "appointment.move",
        AppointmentChange::Mark(_) => "appointment.mark",
    };
    let detail = match &change {
        AppointmentChange::Cancel { reason, .. } => serde_json::json!({"reason": reason}),
        AppointmentChange::Move { start, staff } => {
            serde_json::json!({"start_at": start, "staff": staff})
        }
        AppointmentChange::Mark(s) => serde_json::json!({"status": s.as_str()}),
    };
    let mut tx = st.db.begin().await?;
    let a = st
        .desk
        .host
        .change_appointment(&mut tx, business, &id, change, Utc::now())
        .await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(business),
        action,
        ("appointment", id.as_str()),
        detail,
    )
    .await?;
    tx.commit().await?;
    st.desk.host.wake();
    Ok(a)
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Why, kept with the appointment and shown to staff (at most 200 characters).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// Cancels a booked appointment (by staff; a JSON body may say why) and tells the customer.
/// Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/appointments/{appointment}/cancel", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("appointment" = String, Path)), request_body(content = Option<CancelInput>),
    responses((status = 200, body = Appointment), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn cancel_appointment(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Appointment>> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let input: CancelInput = if body.iter().all(u8::is_ascii_whitespace) {
        CancelInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?
    };
    let reason = input
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(ApiError::invalid("reason: at most 200 characters"));
    }
    let by = frontdesk_store::states::CancelledBy::Staff;
    let a = change(
        &st,
        &p.actor(),
        &rid,
        &b,
        &id,
        AppointmentChange::Cancel { by, reason },
    )
    .await?;
    Ok(Json(a.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// The new start, RFC 3339 (`2026-12-04T15:00:00-07:00`); the length stays.
    pub start: String,
    /// Another staff member, by name; the same one when absent.
    pub staff: Option<String>,
}

/// Moves a booked appointment (refused with 409 if the time is taken) and tells the customer.
/// Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/appointments/{appointment}/move", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("appointment" = String, Path)), request_body = MoveInput,
    responses((status = 200, body = Appointment), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn move_appointment(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
    JsonBody(input): JsonBody<MoveInput>,
) -> ApiResult<Json<Appointment>> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let start = DateTime::parse_from_rfc3339(input.start.trim())
        .map_err(|e| {
            ApiError::invalid(format!(
                "start: {e}: expected RFC 3339 such as 2026-12-04T15:00:00-07:00"
            ))
        })?
        .timestamp_millis();
    let staff = input
        .staff
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let a = change(
        &st,
        &p.actor(),
        &rid,
        &b,
        &id,
        AppointmentChange::Move { start, staff },
    )
    .await?;
    Ok(Json(a.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkInput {
    /// `completed` or `no_show`.
    #[schema(pattern = "^(completed|no_show)$")]
    pub status: String,
}

/// Marks a booked appointment completed or a no-show. Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/appointments/{appointment}/status", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("appointment" = String, Path)), request_body = MarkInput,
    responses((status = 200, body = Appointment), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn mark_appointment(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
    JsonBody(input): JsonBody<MarkInput>,
) -> ApiResult<Json<Appointment>> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let status = match input.status.as_str() {
        "completed" => AppointmentStatus::Completed,
        "no_show" => AppointmentStatus::NoShow,
        other => {
            return Err(ApiError::invalid(format!(
                "status: {other:?} is not completed or no_show"
            )));
        }
    };
    let a = change(
        &st,
        &p.actor(),
        &rid,
        &b,
        &id,
        AppointmentChange::Mark(status),
    )
    .await?;
    Ok(Json(a.into()))
}

/// A free time, in the business's time zone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FreeSlot {
    /// RFC 3339 with the business's offset (`2026-12-04T09:00:00-07:00`).
    pub start: String,
    pub end: String,
    /// Epoch milliseconds (UTC).
    pub start_at: i64,
    pub end_at: i64,
    /// Who would do it; null when the business has no staff list.
    pub staff: Option<String>,
}

fn free_slot(s: &frontdesk_engine::schedule::Slot) -> FreeSlot {
    FreeSlot {
        start: s.start.to_rfc3339(),
        end: s.end.to_rfc3339(),
        start_at: s.start.timestamp_millis(),
        end_at: s.end.timestamp_millis(),
        staff: s.staff.clone(),
    }
}

/// The most days one request for free times covers.
const SLOT_DAYS_MAX: u32 = 31;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotQuery {
    /// A service of the profile, by name (required).
    pub service: Option<String>,
    /// The first local day, `YYYY-MM-DD`; today when absent.
    pub day: Option<String>,
    /// How many days (1 to 31, default 7).
    pub days: Option<u32>,
    /// One staff member's free times, by name.
    pub staff: Option<String>,
}

/// Free times for a service, as the agent offers them (hours, closures, staff days, buffers,
/// notice and how far ahead bookings go). Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/slots", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), SlotQuery),
    responses((status = 200, body = Vec<FreeSlot>), (status = 422, body = crate::error::ErrorBody)))]
async fn list_slots(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<SlotQuery>,
) -> ApiResult<Json<Vec<FreeSlot>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let days = q.days.unwrap_or(7);
    if !(1..=SLOT_DAYS_MAX).contains(&days) {
        return Err(ApiError::invalid(format!(
            "days: from 1 to {SLOT_DAYS_MAX}"
        )));
    }
    let mut t = st.db.tenant(&id);
    let loaded = st.desk.host.load(&mut t).await?;
    let now = Utc::now();
    let day = match q.day.as_deref() {
        None | Some("") => now.with_timezone(&loaded.profile.timezone.0).date_naive(),
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid("day: expected YYYY-MM-DD"))?,
    };
    let staff = q.staff.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let service = q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("service: required, a service of the profile by name"))?;
    let slots = booking::free(&mut t, &loaded.profile, service, staff, day, days, now).await?;
    Ok(Json(slots.iter().map(free_slot).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    /// A service of the profile, by name.
    pub service: String,
    /// The start, RFC 3339: one of the free times (`GET …/slots`).
    pub start: String,
    /// A staff member by name; whoever is free first at that time when absent.
    pub staff: Option<String>,
    /// The customer's name (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Their mobile number (E.164 or national), for the confirmation and reminders by text.
    pub phone: Option<String>,
    /// Their e-mail address, for the confirmation by e-mail.
    pub email: Option<String>,
}

/// Books an appointment without the agent: at one of the free times only, with the same
/// confirmation and reminders. A time that is not free (or was just taken) is refused with
/// 409 and the next free times in `error.detail.next`. Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/appointments", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = BookInput,
    responses((status = 201, body = Appointment), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn book_appointment(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<BookInput>,
) -> ApiResult<(axum::http::StatusCode, Json<Appointment>)> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let start = DateTime::parse_from_rfc3339(input.start.trim())
        .map_err(|e| {
            ApiError::invalid(format!(
                "start: {e}: expected RFC 3339 such as 2026-12-04T15:00:00-07:00"
            ))
        })?
        .with_timezone(&Utc);
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name: 1 to 100 characters"));
    }
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => {
            let loaded = st.desk.host.load(&mut st.db.tenant(&b)).await?;
            Some(booking::read_phone(s, &loaded.profile).ok_or_else(|| {
                ApiError::invalid(
                    "phone: not a phone number (E.164, or national in the business's country)",
                )
            })?)
        }
        None => None,
    };
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(
            frontdesk_engine::Email::parse(s)
                .map_err(|e| ApiError::invalid(format!("email: {e}")))?,
        ),
        None => None,
    };
    if phone.is_none() && email.is_none() {
        return Err(ApiError::invalid(
            "phone or email: one is needed, to confirm the booking",
        ));
    }
    let request = booking::Request {
        service: input.service,
        start,
        staff: input
            .staff
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        contact: frontdesk_engine::agent::Contact {
            name: Some(name.to_owned()),
            phone,
            email,
        },
    };
    let mut tx = st.db.begin().await?;
    match booking::book(&st.desk.host, &mut tx, &b, &request, Utc::now()).await {
        Ok(booking::Outcome::Booked(a)) => {
            audit(
                &mut tx,
                &p.actor(),
                &rid,
                Some(&b),
                "appointment.book",
                ("appointment", a.id.as_str()),
                serde_json::json!({"service": a.service, "start_at": a.start_at, "staff": a.staff}),
            )
            .await?;
            tx.commit().await?;
            st.desk.host.wake();
            Ok((axum::http::StatusCode::CREATED, Json((*a).into())))
        }
        Ok(booking::Outcome::Taken { next }) => Err(taken(&next)),
        // Another server's booking won the race at the database's own rule: the transaction
        // is spent, so the next free times are read afresh.
        Err(frontdesk_desk::Error::Store(frontdesk_store::StoreError::Conflict(_))) => {
            drop(tx);
            let mut t = st.db.tenant(&b);
            let loaded = st.desk.host.load(&mut t).await?;
            let (service, staff) = (&request.service, request.staff.as_deref());
            let next =
                booking::next_free(&mut t, &loaded.profile, service, staff, start, Utc::now())
                    .await?;
            Err(taken(&next))
        }
        Err(e) => Err(e.into()),
    }
}

/// The refusal of a time that is not free, with the next free ones in `error.detail.next`.
fn taken(next: &[frontdesk_engine::schedule::Slot]) -> ApiError {
    ApiError::ConflictWith {
        message: "that time is not free (it may have just been taken)".into(),
        detail: serde_json::json!({"next": next.iter().map(free_slot).collect::<Vec<_>>()}),
    }
}

/// Appointments that have not ended yet, soonest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/appointments", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), PageParams), responses((status = 200, body = Vec<Appointment>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more follow (RFC 8288)")))))]
async fn list_appointments(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<axum::response::Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    // The cursor is the last one's start and id: `1733000000000_<id>`.
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.split_once('_')
                .and_then(|(s, id)| Some((s.parse::<i64>().ok()?, id)))
                .ok_or_else(|| ApiError::invalid("cursor: not one this list gave"))?,
        ),
    };
    let rows = st
        .db
        .tenant(&id)
        .appointments_after(now_ms(), after, limit + 1)
        .await?;
    Ok(listed::<_, Appointment>(
        rows,
        limit,
        |a| format!("{}_{}", a.start_at, a.id),
        &uri,
    ))
}
