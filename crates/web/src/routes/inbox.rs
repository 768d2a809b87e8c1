//! The owner's inbox through the API: messages callers left, and questions the agent could
//! not answer from the business's data.

use crate::views::{CallerMessage, UnansweredQuestion};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use frontdesk_store::RecordId;
use frontdesk_store::accounts::Role;
use frontdesk_store::states::{MessageStatus, QuestionStatus};
use serde::Deserialize;

use axum::response::Response;

use super::{JsonBody, PageParams, RequestId, audit, clamp_limit, listed};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/messages", get(list_messages))
        .route(
            "/businesses/{business}/messages/{message}/status",
            post(mark_message),
        )
        .route("/businesses/{business}/unanswered", get(list_unanswered))
        .route(
            "/businesses/{business}/unanswered/{question}/dismiss",
            post(dismiss_question),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageMark {
    /// `done` (handled) or `new` again.
    #[schema(pattern = "^(done|new)$")]
    pub status: String,
}

/// Marks a message done, or new again. Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/messages/{message}/status", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("message" = String, Path)), request_body = MessageMark,
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn mark_message(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
    JsonBody(input): JsonBody<MessageMark>,
) -> ApiResult<StatusCode> {
    let b = p.business(&st, &key, Role::Agent).await?;
    let status = match input.status.as_str() {
        "done" => MessageStatus::Done,
        "new" => MessageStatus::New,
        other => {
            return Err(ApiError::invalid(format!(
                "status: {other:?} is not done or new"
            )));
        }
    };
    let mid = RecordId::parse(&id).ok_or(ApiError::NotFound)?;
    let mut tx = st.db.begin().await?;
    if !tx.tenant(&b).set_message_status(&mid, status).await? {
        return Err(ApiError::NotFound);
    }
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&b),
        "message.mark",
        ("message", mid.as_str()),
        serde_json::json!({"status": status.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes an unanswered question without an answer. Managers and up (an answer goes into the
/// profile's FAQs, through the profile).
#[utoipa::path(post, path = "/api/v1/businesses/{business}/unanswered/{question}/dismiss", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("question" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn dismiss_question(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let b = p.business(&st, &key, Role::Manager).await?;
    let qid = RecordId::parse(&id).ok_or(ApiError::NotFound)?;
    let mut tx = st.db.begin().await?;
    if !tx
        .tenant(&b)
        .close_question(&qid, QuestionStatus::Dismissed)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&b),
        "question.dismiss",
        ("question", qid.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Messages callers left, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/messages", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), PageParams), responses((status = 200, body = Vec<CallerMessage>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more follow (RFC 8288)")))))]
async fn list_messages(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .caller_messages_before(q.cursor.as_deref(), limit + 1)
        .await?;
    Ok(listed::<_, CallerMessage>(
        rows,
        limit,
        |m| m.id.to_string(),
        &uri,
    ))
}

/// Questions the agent could not answer from the business's data, newest first.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/unanswered", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), PageParams), responses((status = 200, body = Vec<UnansweredQuestion>, headers(("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` when more follow (RFC 8288)")))))]
async fn list_unanswered(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .unanswered_before(q.cursor.as_deref(), limit + 1)
        .await?;
    Ok(listed::<_, UnansweredQuestion>(
        rows,
        limit,
        |m| m.id.to_string(),
        &uri,
    ))
}
