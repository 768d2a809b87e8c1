//! Every SMS and WhatsApp message, both ways, with its delivery state, through the API.

use crate::views::TextMessage;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;
use serde::Deserialize;

use super::{Page, clamp_limit, page};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/businesses/{business}/texts", get(list_texts))
}

/// `limit`, `cursor` and the conversation to list messages of.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TextParams {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only the messages of this conversation.
    pub conversation: Option<String>,
}

/// SMS and WhatsApp messages both ways, newest first, with their delivery state. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/texts", tag = "calls", security(("bearer" = [])),
    params(("business" = String, Path), TextParams), responses((status = 200, body = Page<TextMessage>)))]
async fn list_texts(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<TextParams>,
) -> ApiResult<Json<Page<TextMessage>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .texts(q.conversation.as_deref(), q.cursor.as_deref(), limit + 1)
        .await?;
    Ok(Json(page(rows, limit, |m| m.id.to_string())))
}
