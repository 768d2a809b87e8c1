//! Storage-unit reservations the agent took, through the API.

use crate::views::Reservation;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use frontdesk_store::accounts::Role;

use super::{PageParams, clamp_limit, listed};
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
    params(("business" = String, Path), PageParams), responses((status = 200, body = Vec<Reservation>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more follow (RFC 8288)")))))]
async fn list_reservations(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<axum::response::Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .reservations_before(q.cursor.as_deref(), None, limit + 1)
        .await?;
    Ok(listed::<_, Reservation>(
        rows,
        limit,
        |r| r.id.to_string(),
        &uri,
    ))
}
