//! The API's one error type and its one mapping to HTTP. Bodies have a stable shape:
//! `{"error": {"code": "snake_case", "message": "…"}}`; internal causes are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use frontdesk_store::{StoreError, Unique};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A field failed validation; the message names it.
    #[error("{message}")]
    Invalid {
        message: String,
        detail: Option<serde_json::Value>,
    },
    #[error("authentication required")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A conflict with what the client can do instead (the next free times), sent as the
    /// body's `detail`.
    #[error("{message}")]
    ConflictWith {
        message: String,
        detail: serde_json::Value,
    },
    #[error("request body is too large")]
    PayloadTooLarge,
    /// Too many requests; try again after the given wait (sent as `Retry-After`).
    #[error("too many requests; try again in {} s", retry_secs(*.0))]
    RateLimited(std::time::Duration),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            message: message.into(),
            detail: None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::ConflictWith { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The one table from an HTTP status to the error body's stable code, for our own errors and
/// for those the framework produces (a wrong method, an unreadable body).
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        429 => "rate_limited",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

/// The error body, as documented in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// Every `code` an error body can carry: [`code_for`]'s values (every error body gets its
/// code there).
pub const ERROR_CODES: [&str; 11] = [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "invalid",
    "rate_limited",
    "internal",
];

fn error_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ERROR_CODES))
        .description(Some("Stable and machine-readable."))
        .build()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    #[schema(schema_with = error_code_schema)]
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

pub fn error_response(
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<serde_json::Value>,
) -> Response {
    (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code,
                message,
                detail,
            },
        }),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = code_for(status);
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(cause, "internal error");
                "internal error".to_owned()
            }
            ApiError::Unauthorized(why) => format!("authentication required: {why}"),
            other => other.to_string(),
        };
        let retry_after = match &self {
            ApiError::RateLimited(wait) => Some(retry_secs(*wait)),
            _ => None,
        };
        let detail = match self {
            ApiError::Invalid { detail, .. } => detail,
            ApiError::ConflictWith { detail, .. } => Some(detail),
            _ => None,
        };
        let mut resp = error_response(status, code, message, detail);
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Taken(u) => ApiError::Conflict(taken_message(&u)),
            StoreError::Invalid(m) => ApiError::invalid(m),
            e @ StoreError::Backend { .. } => ApiError::Internal(e.chain()),
        }
    }
}

/// Words a client can act on for a value already in use.
fn taken_message(u: &Unique) -> String {
    match u {
        Unique::BusinessSlug => "a business with this slug already exists",
        Unique::BusinessPhone | Unique::CustomerPhone => "this phone number is already in use",
        Unique::UserEmail | Unique::CustomerEmail => "this e-mail address is already in use",
        Unique::Other(_) => "this conflicts with an existing record",
    }
    .to_owned()
}

impl From<frontdesk_desk::Error> for ApiError {
    fn from(e: frontdesk_desk::Error) -> Self {
        match e {
            frontdesk_desk::Error::Store(e) => e.into(),
            frontdesk_desk::Error::Invalid(m) => ApiError::invalid(m),
            frontdesk_desk::Error::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<frontdesk_engine::ProfileError> for ApiError {
    fn from(e: frontdesk_engine::ProfileError) -> Self {
        let detail = serde_json::to_value(&e).ok();
        ApiError::Invalid {
            message: format!("invalid profile: {e}"),
            detail,
        }
    }
}

/// Whole seconds to wait, rounded up and at least one: `Retry-After` has no fractions.
pub fn retry_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn every_status_maps_to_a_documented_code() {
        for s in 400..600u16 {
            let status = StatusCode::from_u16(s).unwrap();
            assert!(ERROR_CODES.contains(&code_for(status)), "{s}");
        }
        for code in ERROR_CODES {
            assert!(
                (400..600u16).any(|s| code_for(StatusCode::from_u16(s).unwrap()) == code),
                "{code} is never given"
            );
        }
    }
}
