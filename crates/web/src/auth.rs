//! Who is calling and what they may do: an access token or an API key (see
//! [`frontdesk_desk::accounts`] for how they are made). Business roles are checked live on every
//! request, and a business the caller has no part in answers 404, so its existence does not
//! leak.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use frontdesk_desk::accounts::{API_KEY_PREFIX, sha256_hex};
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::audit::Actor;
use frontdesk_store::states::KeyRole;
use frontdesk_store::{ApiKeyId, BusinessId, UserId, now_ms};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

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
        role: KeyRole,
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
        let id = resolve_business(st, key).await?;
        self.access(st, &id).await?.require(role)?;
        // Many keys of one business cannot together take more than its share.
        st.business_limiter
            .check(id.as_str())
            .map_err(ApiError::RateLimited)?;
        Ok(id)
    }

    /// Fails with 403 unless the caller holds at least `min` somewhere (or is an operator):
    /// a cheap check made before a request's body is read, when the business it concerns is
    /// only known from the body.
    pub async fn require_somewhere(&self, st: &AppState, min: Role) -> ApiResult<()> {
        let held = match self {
            _ if self.is_operator() => return Ok(()),
            Principal::User { id, .. } => {
                let mut db = st.db.clone();
                accounts::highest_role(&mut db, id).await?
            }
            Principal::Key { role, .. } => role.member(),
        };
        match held {
            Some(r) if r >= min => Ok(()),
            _ => Err(ApiError::Forbidden("your role does not allow this")),
        }
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
                Ok(Access::Member(role.member().ok_or_else(|| {
                    ApiError::Internal(format!("business key with role {role}"))
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
            st.api_limiter
                .check(key.id.as_str())
                .map_err(ApiError::RateLimited)?;
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
        st.api_limiter
            .check(id.as_str())
            .map_err(ApiError::RateLimited)?;
        Ok(Principal::User {
            id,
            operator: claims.op,
        })
    }
}

/// Resolves a business by id or slug; one that does not exist is `NotFound`, whichever way it
/// was named.
pub async fn resolve_business(st: &AppState, key: &str) -> ApiResult<BusinessId> {
    let mut db = st.db.clone();
    if let Some(id) = BusinessId::parse(key) {
        return Ok(frontdesk_store::businesses::get(&mut db, &id).await?.id);
    }
    Ok(frontdesk_store::businesses::get_by_slug(&mut db, key)
        .await?
        .id)
}
