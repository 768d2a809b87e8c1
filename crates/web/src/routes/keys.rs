//! API keys: per business with a role (owners manage them) and per operator. The secret is
//! returned once, at creation; only its hash is stored.

use crate::views::ApiKey;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use frontdesk_desk::accounts::{IssuedKey, issue_key};
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::{ApiKeyId, now_ms};
use serde::{Deserialize, Serialize};

use super::{JsonBody, RequestId, audit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api-keys",
            get(list_operator_keys).post(create_operator_key),
        )
        .route("/api-keys/{key}", delete(revoke_operator_key))
        .route(
            "/businesses/{business}/api-keys",
            get(list_keys).post(create_key),
        )
        .route("/businesses/{business}/api-keys/{key}", delete(revoke_key))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// What the key is for, to tell keys apart (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// For business keys: the role the key acts with (default viewer).
    #[schema(schema_with = crate::views::nullable_state::<Role>)]
    pub role: Option<Role>,
}

/// An operator key: it acts as the operator everywhere, so it has no business role.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOperatorKey {
    /// What the key is for, to tell keys apart (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    pub key: ApiKey,
    /// The key itself. Shown only now: store it safely.
    pub secret: String,
}

impl From<IssuedKey> for CreatedKey {
    fn from(k: IssuedKey) -> Self {
        Self {
            key: k.key.into(),
            secret: k.secret,
        }
    }
}

fn key_id(s: &str) -> ApiResult<ApiKeyId> {
    ApiKeyId::parse(s).ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/businesses/{business}/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Vec<ApiKey>)))]
async fn list_keys(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<ApiKey>>> {
    let id = p.business(&st, &key, Role::Owner).await?;
    Ok(Json(views(st.db.tenant(&id).api_keys().await?)))
}

/// Creates a business key. Owners only.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = CreateKey, responses((status = 201, body = CreatedKey)))]
async fn create_key(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    JsonBody(req): JsonBody<CreateKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let created = issue_key(
        &st.db,
        &p.actor(),
        rid.0.as_deref(),
        &req.name,
        Some((&id, req.role.unwrap_or(Role::Viewer))),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(delete, path = "/api/v1/businesses/{business}/api-keys/{key}", tag = "api-keys", security(("bearer" = [])),
    params(("business" = String, Path), ("key" = String, Path)), responses((status = 204)))]
async fn revoke_key(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, kid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let kid = key_id(&kid)?;
    let mut tx = st.db.begin().await?;
    tx.tenant(&id).revoke_api_key(&kid, now_ms()).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "api_key.revoke",
        ("api_key", kid.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])), responses((status = 200, body = Vec<ApiKey>)))]
async fn list_operator_keys(
    State(st): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<ApiKey>>> {
    p.require_operator()?;
    Ok(Json(views(
        accounts::operator_keys(&mut st.db.clone()).await?,
    )))
}

/// Creates an operator key (acts as the operator everywhere). Operators only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = CreateOperatorKey,
    responses((status = 201, body = CreatedKey)))]
async fn create_operator_key(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    JsonBody(req): JsonBody<CreateOperatorKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    p.require_operator()?;
    let created = issue_key(&st.db, &p.actor(), rid.0.as_deref(), &req.name, None).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{key}", tag = "api-keys", security(("bearer" = [])), params(("key" = String, Path)), responses((status = 204)))]
async fn revoke_operator_key(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(kid): Path<String>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let kid = key_id(&kid)?;
    let mut tx = st.db.begin().await?;
    accounts::revoke_operator_key(&mut tx, &kid, now_ms()).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        None,
        "api_key.revoke",
        ("api_key", kid.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
