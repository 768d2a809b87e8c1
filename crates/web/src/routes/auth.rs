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
use frontdesk_desk::secrets::Opened;
use frontdesk_desk::totp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/me/totp", post(start_totp))
        .route("/me/totp/confirm", post(confirm_totp))
        .route("/me/totp/disable", post(disable_totp))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The six-digit code from the authenticator app, for an account with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
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
    let found = authenticate(
        &st,
        ip.as_deref(),
        &req.email,
        req.password,
        req.totp.as_deref(),
    )
    .await?;
    audit_login(
        &mut st.db.clone(),
        &rid,
        &found.user.id,
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(issue_pair(&st, &found.user, None).await?))
}

/// Records a sign-in in the audit log, as the person who signed in.
pub(crate) async fn audit_login(
    e: &mut impl frontdesk_store::Exec,
    rid: &RequestId,
    user: &frontdesk_store::UserId,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let actor = Actor {
        kind: "user",
        id: Some(user.to_string()),
    };
    audit(
        e,
        &actor,
        rid,
        None,
        "auth.login",
        ("user", user.as_str()),
        detail,
    )
    .await
}

/// Checks an e-mail, password and (for an account with a second factor) TOTP code, within the
/// login limits: the API's login and the dashboard's sign-in both come here.
pub(crate) async fn authenticate(
    st: &AppState,
    ip: Option<&str>,
    email: &str,
    password: String,
    totp: Option<&str>,
) -> ApiResult<accounts::UserWithHash> {
    let account = crate::login_key(email, ip);
    st.check_login_rate(ip, &account)?;
    let mut db = st.db.clone();
    let found = match accounts::user_by_email(&mut db, email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Verify against a dummy hash when the user is unknown, so timing does not reveal accounts.
    let hash = match &found {
        Some(u) if u.password_hash != NO_PASSWORD => u.password_hash.clone(),
        _ => dummy_hash().await,
    };
    let ok = verify_password(password, hash).await && found.is_some();
    let Some(found) = found.filter(|_| ok) else {
        st.login_backoff.failed(&account, std::time::Instant::now());
        return Err(ApiError::Unauthorized("wrong e-mail or password"));
    };
    if found.totp.enabled {
        let Some(code) = totp.filter(|c| !c.trim().is_empty()) else {
            return Err(ApiError::Unauthorized(
                "this account has a second factor: send totp, the code from the authenticator app",
            ));
        };
        if !totp_accepted(st, &found, code).await? {
            st.login_backoff.failed(&account, std::time::Instant::now());
            return Err(ApiError::Unauthorized("wrong or already used totp code"));
        }
    }
    st.login_backoff.succeeded(&account);
    Ok(found)
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

/// Whether `code` is right for the user's second factor now, and not used before (the step is
/// recorded, so the same code never works twice).
async fn totp_accepted(st: &AppState, u: &accounts::UserWithHash, code: &str) -> ApiResult<bool> {
    let Some(sealed) = &u.totp.secret else {
        return Ok(false);
    };
    let secret = match st.sealer.open(sealed).map_err(ApiError::Internal)? {
        Opened::Sealed(s) | Opened::Plain(s) => s,
    };
    let Some(step) = totp::verify(&secret, code, now_ms() / 1000) else {
        return Ok(false);
    };
    let mut db = st.db.clone();
    Ok(accounts::use_totp_step(&mut db, &u.user.id, step).await?)
}

/// A signed-in person (not an API key): their account with its second factor.
async fn signed_in(st: &AppState, p: &Principal) -> ApiResult<accounts::UserWithHash> {
    let id = p.user_id().ok_or(ApiError::Forbidden(
        "a second factor belongs to a person: sign in instead of using an API key",
    ))?;
    Ok(accounts::user_with_hash(&mut st.db.clone(), id).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// The same as an `otpauth://` link (what a QR code carries).
    pub uri: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// A six-digit code from the authenticator app.
    pub code: String,
}

/// Starts setting up a second factor: a new secret for the authenticator app. It is required at
/// sign-in only once confirmed with a code from the app.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpSetup), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn start_totp(State(st): State<AppState>, p: Principal) -> ApiResult<Json<TotpSetup>> {
    let u = signed_in(&st, &p).await?;
    if u.totp.enabled {
        return Err(ApiError::Conflict(
            "a second factor is already on; disable it first to replace it".into(),
        ));
    }
    let secret = totp::new_secret();
    let mut db = st.db.clone();
    accounts::set_totp(&mut db, &u.user.id, Some(&st.sealer.seal(&secret)), false).await?;
    Ok(Json(TotpSetup {
        uri: totp::otpauth_uri(&secret, &u.user.email),
        secret,
    }))
}

/// Confirms the second factor with a code from the app; from then on sign-in asks for one.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", security(("bearer" = [])),
    request_body = TotpCode, responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn confirm_totp(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    JsonBody(req): JsonBody<TotpCode>,
) -> ApiResult<axum::http::StatusCode> {
    let u = signed_in(&st, &p).await?;
    if u.totp.secret.is_none() {
        return Err(ApiError::invalid("start with POST /api/v1/me/totp"));
    }
    if !totp_accepted(&st, &u, &req.code).await? {
        return Err(ApiError::invalid("code: wrong or already used"));
    }
    save_totp(&st, &p, &rid, &u.user.id, u.totp.secret.as_deref(), true).await
}

/// Turns the second factor off, with a current code from the app.
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "auth", security(("bearer" = [])),
    request_body = TotpCode, responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn disable_totp(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    JsonBody(req): JsonBody<TotpCode>,
) -> ApiResult<axum::http::StatusCode> {
    let u = signed_in(&st, &p).await?;
    if !u.totp.enabled {
        return Ok(axum::http::StatusCode::NO_CONTENT);
    }
    if !totp_accepted(&st, &u, &req.code).await? {
        return Err(ApiError::invalid("code: wrong or already used"));
    }
    save_totp(&st, &p, &rid, &u.user.id, None, false).await
}

/// Stores a user's second factor as turned on or off, with its audit entry.
async fn save_totp(
    st: &AppState,
    p: &Principal,
    rid: &RequestId,
    user: &frontdesk_store::UserId,
    sealed_secret: Option<&str>,
    enabled: bool,
) -> ApiResult<axum::http::StatusCode> {
    let mut tx = st.db.begin().await?;
    accounts::set_totp(&mut tx, user, sealed_secret, enabled).await?;
    let action = if enabled {
        "auth.totp_on"
    } else {
        "auth.totp_off"
    };
    audit(
        &mut tx,
        &p.actor(),
        rid,
        None,
        action,
        ("user", user.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
