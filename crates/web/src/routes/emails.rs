//! Every e-mail sent (confirmations, reminders, owner alerts), through the API.

use crate::views::Email;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;

use super::{Page, PageParams, clamp_limit, page};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/businesses/{business}/emails", get(list_emails))
}

/// E-mails sent to customers and the owner, newest first, with whether the relay took them.
/// Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/emails", tag = "calls", security(("bearer" = [])),
    params(("business" = String, Path), PageParams), responses((status = 200, body = Page<Email>)))]
async fn list_emails(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<Page<Email>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .emails(q.cursor.as_deref(), limit + 1)
        .await?;
    Ok(Json(page(rows, limit, |m| m.id.to_string())))
}
