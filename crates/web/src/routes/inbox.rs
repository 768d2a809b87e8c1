//! The owner's inbox through the API: messages callers left, and questions the agent could
//! not answer from the business's data.

use crate::views::{CallerMessage, UnansweredQuestion};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;

use super::{LimitParams, clamp_limit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/messages", get(list_messages))
        .route("/businesses/{business}/unanswered", get(list_unanswered))
}

/// Messages callers left, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/messages", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), LimitParams), responses((status = 200, body = Vec<CallerMessage>)))]
async fn list_messages(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<CallerMessage>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(views(
        st.db
            .tenant(&id)
            .caller_messages(clamp_limit(q.limit)?)
            .await?,
    )))
}

/// Questions the agent could not answer from the business's data, newest first.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/unanswered", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), LimitParams), responses((status = 200, body = Vec<UnansweredQuestion>)))]
async fn list_unanswered(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<UnansweredQuestion>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(views(
        st.db
            .tenant(&id)
            .unanswered_questions(clamp_limit(q.limit)?)
            .await?,
    )))
}
