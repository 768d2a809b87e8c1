//! API areas, one module each, and the small helpers they share.

pub mod appointments;
pub mod audit;
pub mod auth;
pub mod blocks;
pub mod businesses;
pub mod calendars;
pub mod calls;
pub mod conversations;
pub mod customers;
pub mod emails;
pub mod inbox;
pub mod inventory;
pub mod jobs;
pub mod keys;
pub mod members;
pub mod ops;
pub mod orders;
pub mod reservations;
pub mod texts;
pub mod times;
pub mod widget;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use frontdesk_store::audit::Actor;
use frontdesk_store::{BusinessId, Exec};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(businesses::router())
        .merge(members::router())
        .merge(keys::router())
        .merge(customers::router())
        .merge(inventory::router())
        .merge(conversations::router())
        .merge(appointments::router())
        .merge(calendars::router())
        .merge(blocks::router())
        .merge(reservations::router())
        .merge(orders::router())
        .merge(inbox::router())
        .merge(calls::router())
        .merge(texts::router())
        .merge(emails::router())
        .merge(audit::router())
        .merge(jobs::router())
        .merge(widget::router())
        .layer(axum::middleware::from_fn(times::middleware))
}

/// A JSON body whose rejections use our error shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, st: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, st).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// The request id that the middleware assigned (or the client sent).
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

/// A `limit` query parameter.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LimitParams {
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

/// A page of results with the cursor for the next one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `limit` and `cursor` query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

pub fn clamp_limit(limit: Option<u32>) -> ApiResult<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::invalid(format!(
            "limit: {l} is out of range 1-{MAX_LIMIT}"
        ))),
    }
}

/// Builds a page of response items from `limit + 1` fetched rows.
pub fn page<R, T: From<R>>(
    mut rows: Vec<R>,
    limit: u32,
    cursor_of: impl Fn(&R) -> String,
) -> Page<T> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: views(rows),
        next_cursor,
    }
}

/// A list answered as a JSON array of at most `limit` items, built from `limit + 1` fetched
/// rows; when more follow, a `Link` header (RFC 8288) with `rel="next"` carries the URL of
/// the next page: the same request with `cursor` set. The body stays a plain array.
pub fn listed<R, T: From<R> + Serialize>(
    mut rows: Vec<R>,
    limit: u32,
    cursor_of: impl Fn(&R) -> String,
    uri: &axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    let items: Vec<T> = views(rows);
    let mut resp = axum::Json(items).into_response();
    if let Some(cursor) = next {
        let kept: Vec<(String, String)> = uri
            .query()
            .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .chain([("cursor".to_owned(), cursor)])
            .collect();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        if let Ok(v) =
            axum::http::HeaderValue::from_str(&format!("<{}?{query}>; rel=\"next\"", uri.path()))
        {
            resp.headers_mut().insert(axum::http::header::LINK, v);
        }
    }
    resp
}

/// Rows as the API's response items.
pub fn views<R, T: From<R>>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

/// Writes an audit entry in the transaction that makes the change.
pub async fn audit(
    e: &mut impl Exec,
    actor: &Actor,
    rid: &RequestId,
    business: Option<&BusinessId>,
    action: &str,
    target: (&str, &str),
    detail: serde_json::Value,
) -> ApiResult<()> {
    frontdesk_desk::accounts::audit(e, actor, rid.0.as_deref(), business, action, target, detail)
        .await?;
    Ok(())
}
