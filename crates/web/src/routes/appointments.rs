//! Appointments the agent booked, through the API, and what staff do to one: cancel it, move
//! it, mark it completed or a no-show (the customer told of a cancellation or a move, as when
//! the agent does it).

use crate::views::Appointment;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use frontdesk_desk::host::AppointmentChange;
use frontdesk_store::accounts::Role;
use frontdesk_store::states::AppointmentStatus;
use frontdesk_store::{BusinessId, RecordId, now_ms};
use serde::Deserialize;

use super::{JsonBody, PageParams, RequestId, audit, clamp_limit, listed};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/appointments",
            get(list_appointments),
        )
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
        AppointmentChange::Cancel => "appointment.cancel",
        AppointmentChange::Move { .. } => "appointment.move",
        AppointmentChange::Mark(_) => "appointment.mark",
    };
    let detail = match &change {
        AppointmentChange::Cancel => serde_json::json!({}),
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

/// Cancels a booked appointment and tells the customer. Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/appointments/{appointment}/cancel", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("appointment" = String, Path)),
    responses((status = 200, body = Appointment), (status = 409, body = crate::error::ErrorBody)))]
async fn cancel_appointment(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<Appointment>> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let a = change(&st, &p.actor(), &rid, &b, &id, AppointmentChange::Cancel).await?;
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
