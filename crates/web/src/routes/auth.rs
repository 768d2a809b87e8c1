//! Login, token refresh with rotation, logout, and who-am-I.

use crate::views::User;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use frontdesk_store::accounts::{self, RefreshOutcome};
use frontdesk_store::audit::Actor;
use frontdesk_store::{StoreError, now_ms};
use serde::{Deserialize, Serialize};

use super::{JsonBody, RequestId, audit};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use frontdesk_desk::accounts::{
    NO_PASSWORD, REFRESH_PREFIX, hash_password, random_secret, sha256_hex, verify_password,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: exchange it at /auth/refresh for a new pair.
    pub refresh_token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

async fn issue_pair(
    st: &AppState,
    user: &accounts::User,
    family: Option<String>,
) -> ApiResult<TokenResponse> {
    let (access_token, expires_in) = st.tokens.issue(&user.id, user.is_operator, None)?;
    let refresh_token = random_secret(REFRESH_PREFIX);
    let now = now_ms();
    let expires = now + i64::from(st.cfg.auth.refresh_token_days) * 86_400_000;
    let family = family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut db = st.db.clone();
    accounts::insert_refresh(
        &mut db,
        &user.id,
        &family,
        &sha256_hex(&refresh_token),
        expires,
        now,
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
    })
}

/// Exchanges an e-mail and password for an access token and a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn login(
    State(st): State<AppState>,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    rid: RequestId,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    st.check_login_rate(ip, &req.email)?;
    let mut db = st.db.clone();
    let found = match accounts::user_by_email(&mut db, &req.email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Verify against a dummy hash when the user is unknown, so timing does not reveal accounts.
    let hash = match &found {
        Some(u) if u.password_hash != NO_PASSWORD => u.password_hash.clone(),
        _ => dummy_hash().await,
    };
    let ok = verify_password(req.password, hash).await && found.is_some();
    let Some(found) = found.filter(|_| ok) else {
        return Err(ApiError::Unauthorized("wrong e-mail or password"));
    };
    let actor = Actor {
        kind: "user",
        id: Some(found.user.id.to_string()),
    };
    audit(
        &mut db,
        &actor,
        &rid,
        None,
        "auth.login",
        ("user", found.user.id.as_str()),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(issue_pair(&st, &found.user, None).await?))
}

/// An argon2 hash of a random string, verified when the e-mail is unknown.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { hash_password(random_secret("")).await.unwrap_or_default() })
        .await
        .clone()
}

/// Exchanges a refresh token for a new pair. Reusing a spent token revokes its whole family.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody)))]
async fn refresh(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let mut tx = st.db.begin().await?;
    let outcome =
        accounts::spend_refresh(&mut tx, &sha256_hex(&req.refresh_token), now_ms()).await?;
    tx.commit().await?;
    match outcome {
        RefreshOutcome::Rotated { user, family } => {
            let mut db = st.db.clone();
            let user = accounts::user(&mut db, &user).await?;
            Ok(Json(issue_pair(&st, &user, Some(family)).await?))
        }
        RefreshOutcome::Reused => Err(ApiError::Unauthorized(
            "refresh token already used; sign in again",
        )),
        RefreshOutcome::Expired => Err(ApiError::Unauthorized(
            "refresh token expired; sign in again",
        )),
        RefreshOutcome::Unknown => Err(ApiError::Unauthorized("unknown refresh token")),
    }
}

/// Revokes the refresh token's family (signs this session out everywhere it was refreshed).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204)))]
async fn logout(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> ApiResult<axum::http::StatusCode> {
    let mut tx = st.db.begin().await?;
    if let RefreshOutcome::Rotated { family, .. } =
        accounts::spend_refresh(&mut tx, &sha256_hex(&req.refresh_token), now_ms()).await?
    {
        accounts::revoke_family(&mut tx, &family, now_ms()).await?;
    }
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// `user` or `api_key`.
    pub kind: &'static str,
    pub id: Option<String>,
    pub operator: bool,
    pub user: Option<User>,
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Me)))]
async fn me(State(st): State<AppState>, p: Principal) -> ApiResult<Json<Me>> {
    let user = match p.user_id() {
        Some(id) => Some(accounts::user(&mut st.db.clone(), id).await?.into()),
        None => None,
    };
    let actor = p.actor();
    Ok(Json(Me {
        kind: actor.kind,
        id: actor.id,
        operator: p.is_operator(),
        user,
    }))
}
