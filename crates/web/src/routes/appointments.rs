//! Appointments the agent booked, through the API.

use crate::views::Appointment;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;
use frontdesk_store::now_ms;

use super::{LimitParams, clamp_limit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/businesses/{business}/appointments",
        get(list_appointments),
    )
}

/// Appointments that have not ended yet, soonest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/appointments", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), LimitParams), responses((status = 200, body = Vec<Appointment>)))]
async fn list_appointments(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<Appointment>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(views(
        st.db
            .tenant(&id)
            .appointments(now_ms(), clamp_limit(q.limit)?)
            .await?,
    )))
}
