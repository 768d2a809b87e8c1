//! Storage-unit reservations the agent took, through the API.

use crate::views::Reservation;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;

use super::{LimitParams, clamp_limit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/businesses/{business}/reservations",
        get(list_reservations),
    )
}

/// Unit reservations, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/reservations", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), LimitParams), responses((status = 200, body = Vec<Reservation>)))]
async fn list_reservations(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<Reservation>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(views(
        st.db
            .tenant(&id)
            .reservations(clamp_limit(q.limit)?)
            .await?,
    )))
}
