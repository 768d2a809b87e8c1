//! Who is calling and what they may do. Passwords are argon2 hashes (computed off the reactor);
//! access tokens are short-lived HS256 JWTs; refresh tokens and API keys are random secrets of
//! which only a SHA-256 hash is stored. Business roles are checked live on every request, and a
//! business the caller has no part in answers 404, so its existence does not leak.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::audit::Actor;
use frontdesk_store::{ApiKeyId, BusinessId, UserId, now_ms};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A password must be at least this long.
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn check_password_rules(p: &str) -> ApiResult<()> {
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::invalid(format!(
            "password: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// A random secret with a recognisable prefix, such as `fd_…` for API keys.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    /// Operator admin.
    op: bool,
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_minutes: u32) -> Self {
        Self {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            ttl_secs: i64::from(ttl_minutes) * 60,
        }
    }

    /// An access token for `user`, valid for the configured lifetime (or `ttl_secs`).
    pub fn issue(
        &self,
        user: &UserId,
        operator: bool,
        ttl_secs: Option<i64>,
    ) -> ApiResult<(String, i64)> {
        let iat = now_ms() / 1000;
        let ttl = ttl_secs.unwrap_or(self.ttl_secs);
        let claims = Claims {
            sub: user.to_string(),
            op: operator,
            iat,
            exp: iat + ttl,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((token, ttl))
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.dec, &v)
            .ok()
            .map(|d| d.claims)
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    User {
        id: UserId,
        operator: bool,
    },
    Key {
        id: ApiKeyId,
        business: Option<BusinessId>,
        role: String,
    },
}

/// What the caller may do in one business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Operator,
    Member(Role),
}

impl Access {
    /// Fails with 403 unless the caller holds at least `min`.
    pub fn require(self, min: Role) -> ApiResult<()> {
        match self {
            Access::Operator => Ok(()),
            Access::Member(r) if r >= min => Ok(()),
            Access::Member(_) => Err(ApiError::Forbidden("your role does not allow this")),
        }
    }
}

impl Principal {
    pub fn is_operator(&self) -> bool {
        match self {
            Principal::User { operator, .. } => *operator,
            Principal::Key { business, .. } => business.is_none(),
        }
    }

    pub fn require_operator(&self) -> ApiResult<()> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("operator access required"))
        }
    }

    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Principal::User { id, .. } => Some(id),
            Principal::Key { .. } => None,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::User { id, .. } => Actor {
                kind: "user",
                id: Some(id.to_string()),
            },
            Principal::Key { id, .. } => Actor {
                kind: "api_key",
                id: Some(id.to_string()),
            },
        }
    }

    /// The caller's access to `business`; `NotFound` when they have none.
    /// The business that `key` (an id or a slug) names, when this principal holds at least
    /// `role` there; an unknown business and one the principal may not see both look missing.
    pub async fn business(&self, st: &AppState, key: &str, role: Role) -> ApiResult<BusinessId> {
        let id = crate::routes::resolve_business(st, key).await?;
        self.access(st, &id).await?.require(role)?;
        Ok(id)
    }

    pub async fn access(&self, st: &AppState, business: &BusinessId) -> ApiResult<Access> {
        match self {
            Principal::User { operator: true, .. } => Ok(Access::Operator),
            Principal::User { id, .. } => match st.db.tenant(business).member_role(id).await? {
                Some(r) => Ok(Access::Member(r)),
                None => Err(ApiError::NotFound),
            },
            Principal::Key { business: None, .. } => Ok(Access::Operator),
            Principal::Key {
                business: Some(b),
                role,
                ..
            } if b == business => {
                Ok(Access::Member(role.parse().map_err(|_| {
                    ApiError::Internal(format!("stored key role {role}"))
                })?))
            }
            Principal::Key { .. } => Err(ApiError::NotFound),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized(
                "send Authorization: Bearer <token or API key>",
            ))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized("use the Bearer scheme"))?;
        if token.starts_with(API_KEY_PREFIX) {
            let mut db = st.db.clone();
            let key = match accounts::key_by_hash(&mut db, &sha256_hex(token)).await {
                Ok(k) => k,
                Err(frontdesk_store::StoreError::NotFound) => {
                    return Err(ApiError::Unauthorized("unknown or revoked API key"));
                }
                Err(e) => return Err(e.into()),
            };
            let now = now_ms();
            // Record use at most once a minute, so reads stay reads.
            if key.last_used_at.is_none_or(|t| now - t > 60_000) {
                accounts::touch_key(&mut db, &key.id, now).await?;
            }
            return Ok(Principal::Key {
                id: key.id,
                business: key.business_id,
                role: key.role,
            });
        }
        let claims = st
            .tokens
            .verify(token)
            .ok_or(ApiError::Unauthorized("invalid or expired token"))?;
        let id =
            UserId::parse(&claims.sub).ok_or(ApiError::Unauthorized("invalid token subject"))?;
        Ok(Principal::User {
            id,
            operator: claims.op,
        })
    }
}

/// Every API key starts with this, so it can be told apart from a JWT and found by scanners.
pub const API_KEY_PREFIX: &str = "fd_";
/// Refresh tokens start with this.
pub const REFRESH_PREFIX: &str = "fdr_";
