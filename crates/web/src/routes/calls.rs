//! Phone calls through the API: the call log with each call's outcome, duration, price,
//! recording and transcript.

use crate::views::{Call, Message};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::RecordId;
use frontdesk_store::accounts::Role;
use serde::Serialize;

use super::{Page, PageParams, clamp_limit, page, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/calls", get(list_calls))
        .route("/businesses/{business}/calls/{call}", get(get_call))
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
    Ok(Json(page(rows, limit, |c| c.id.to_string())))
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
    let call = t
        .call(&RecordId::parse(&call).ok_or(ApiError::NotFound)?)
        .await?;
    let transcript = match &call.conversation_id {
        Some(c) => t.transcript(c).await?,
        None => Vec::new(),
    };
    Ok(Json(CallDetail {
        call: call.into(),
        transcript: views(transcript),
    }))
}
