//! Orders the agent took, through the API.

use crate::views::Order;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;

use super::{LimitParams, clamp_limit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/businesses/{business}/orders", get(list_orders))
}

/// Orders, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/orders", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), LimitParams), responses((status = 200, body = Vec<Order>)))]
async fn list_orders(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<Order>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(views(
        st.db.tenant(&id).orders(0, clamp_limit(q.limit)?).await?,
    )))
}
