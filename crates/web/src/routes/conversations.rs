//! Conversations through the API: start one for a business and channel, post the caller's
//! turns, read transcripts. The records the agent creates are read in their own domains'
//! modules (appointments, reservations, orders, inbox, customers).

use crate::views::{Conversation, Message, TurnReply};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::Channel;
use frontdesk_store::accounts::Role;
use frontdesk_store::conversations::ConversationFilter;
use frontdesk_store::{ConversationId, CustomerId};
use serde::{Deserialize, Serialize};

use super::{JsonBody, Page, clamp_limit, page, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use frontdesk_desk::host::{Also, Opening, TurnError};
use frontdesk_store::states::ConversationStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/conversations",
            get(list_conversations).post(start_conversation),
        )
        .route(
            "/businesses/{business}/conversations/{conversation}",
            get(get_conversation),
        )
        .route(
            "/businesses/{business}/conversations/{conversation}/turns",
            post(post_turn),
        )
}

impl From<TurnError> for ApiError {
    fn from(e: TurnError) -> Self {
        match e {
            TurnError::Store(s) => s.into(),
            TurnError::Ended => {
                ApiError::Conflict("the conversation has ended; start a new one".into())
            }
            TurnError::Invalid(m) => ApiError::invalid(m),
        }
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// `voice`, `sms`, `whatsapp`, `web`, `cli` or `api` (default).
    #[schema(schema_with = channel_schema)]
    pub channel: Option<String>,
    /// The caller's phone number (E.164), when known.
    #[schema(pattern = r"^\+[1-9][0-9]{6,14}$")]
    pub caller: Option<String>,
}

fn channel_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(Channel::ALL.iter().map(|c| c.as_str())))
        .build()
        .into()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Started {
    pub conversation: Conversation,
    /// The agent's greeting.
    pub reply: String,
}

/// Starts a conversation and returns the greeting. Agents and up (or an agent API key).
#[utoipa::path(post, path = "/api/v1/businesses/{business}/conversations", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = StartInput, responses((status = 201, body = Started), (status = 422, body = crate::error::ErrorBody)))]
async fn start_conversation(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let id = p.business(&st, &key, Role::Agent).await?;
    // The body is optional: none means an API conversation with no caller number.
    let input: StartInput = if body.iter().all(u8::is_ascii_whitespace) {
        StartInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!("Failed to deserialize the JSON body: {e}"))
        })?
    };
    let channel = match input.channel.as_deref() {
        None => Channel::Api,
        Some(c) => Channel::parse(c)
            .ok_or_else(|| ApiError::invalid(format!("channel: unknown channel {c:?}")))?,
    };
    let caller = input
        .caller
        .as_deref()
        .map(|c| PhoneE164::parse(c.trim()).map_err(|e| ApiError::invalid(format!("caller: {e}"))))
        .transpose()?;
    let (conversation, reply) = st
        .desk
        .host
        .open(
            &st.db,
            &id,
            Opening::new(channel, caller.as_ref()),
            Utc::now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            conversation: conversation.into(),
            reply,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnInput {
    /// What the caller said or typed (at most 2,000 characters, not only spaces).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub text: String,
}

/// Posts the caller's turn and returns the agent's reply with the actions it committed.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/conversations/{conversation}/turns", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("conversation" = String, Path)), request_body = TurnInput,
    responses((status = 200, body = TurnReply), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn post_turn(
    State(st): State<AppState>,
    p: Principal,
    Path((key, cid)): Path<(String, String)>,
    JsonBody(input): JsonBody<TurnInput>,
) -> ApiResult<Json<TurnReply>> {
    let id = p.business(&st, &key, Role::Agent).await?;
    let cid = ConversationId::parse(&cid).ok_or(ApiError::NotFound)?;
    Ok(Json(
        st.desk
            .host
            .turn(&st.db, &id, &cid, &input.text, Also::default(), Utc::now())
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConversationParams {
    /// voice, sms, whatsapp, web, cli or api.
    #[param(value_type = Option<String>)]
    pub channel: Option<Channel>,
    #[param(value_type = Option<String>)]
    pub status: Option<ConversationStatus>,
    #[param(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Conversations, newest first. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/conversations", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ConversationParams), responses((status = 200, body = Page<Conversation>)))]
async fn list_conversations(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<ConversationParams>,
) -> ApiResult<Json<Page<Conversation>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let f = ConversationFilter {
        channel: q.channel,
        status: q.status,
        customer_id: q.customer_id,
        before: q.cursor,
        limit: limit + 1,
        ..ConversationFilter::default()
    };
    let rows = st.db.tenant(&id).conversations(&f).await?;
    Ok(Json(page(rows, limit, |c| c.id.to_string())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Transcript {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// A conversation with its whole transcript. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/conversations/{conversation}", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("conversation" = String, Path)), responses((status = 200, body = Transcript), (status = 404, body = crate::error::ErrorBody)))]
async fn get_conversation(
    State(st): State<AppState>,
    p: Principal,
    Path((key, cid)): Path<(String, String)>,
) -> ApiResult<Json<Transcript>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let cid = ConversationId::parse(&cid).ok_or(ApiError::NotFound)?;
    let mut t = st.db.tenant(&id);
    let conversation = t.conversation(&cid).await?;
    let messages = t.transcript(&cid).await?;
    Ok(Json(Transcript {
        conversation: conversation.into(),
        messages: views(messages),
    }))
}
