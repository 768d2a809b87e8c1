//! Phone calls and text messages through the API: the call log with each call's outcome,
//! duration, price, recording and transcript, and every SMS and WhatsApp message with its
//! delivery state, and every e-mail sent (confirmations, reminders, owner alerts).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::ConversationId;
use frontdesk_store::accounts::Role;
use frontdesk_store::calls::Call;
use frontdesk_store::conversations::Message;
use frontdesk_store::emails::Email;
use frontdesk_store::texts::TextMessage;
use serde::{Deserialize, Serialize};

use super::{Page, PageParams, clamp_limit, page};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/calls", get(list_calls))
        .route("/businesses/{business}/calls/{call}", get(get_call))
        .route("/businesses/{business}/texts", get(list_texts))
        .route("/businesses/{business}/emails", get(list_emails))
}

/// Calls, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/calls", tag = "calls", security(("bearer" = [])),
    params(("business" = String, Path), PageParams), responses((status = 200, body = Page<Call>)))]
async fn list_calls(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<Page<Call>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .calls(q.cursor.as_deref(), limit + 1)
        .await?;
    Ok(Json(page(rows, limit, |c| c.id.clone())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallDetail {
    pub call: Call,
    /// What was said, in order.
    pub transcript: Vec<Message>,
}

/// One call with its transcript. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/calls/{call}", tag = "calls", security(("bearer" = [])),
    params(("business" = String, Path), ("call" = String, Path)), responses((status = 200, body = CallDetail), (status = 404, body = crate::error::ErrorBody)))]
async fn get_call(
    State(st): State<AppState>,
    p: Principal,
    Path((key, call)): Path<(String, String)>,
) -> ApiResult<Json<CallDetail>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let mut t = st.db.tenant(&id);
    let call = t.call(&call).await?;
    let transcript = match call
        .conversation_id
        .as_deref()
        .and_then(ConversationId::parse)
    {
        Some(c) => t.transcript(&c).await?,
        None => Vec::new(),
    };
    Ok(Json(CallDetail { call, transcript }))
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
    Ok(Json(page(rows, limit, |m| m.id.clone())))
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
    Ok(Json(page(rows, limit, |m| m.id.clone())))
}
