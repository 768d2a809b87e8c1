//! Calendar feeds: a private iCalendar URL per business or staff member that the owner's
//! calendar app subscribes to (managers make and revoke them), and the feed itself, served to
//! whoever holds the URL's secret.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use frontdesk_desk::calendars;
use frontdesk_store::accounts::Role;
use frontdesk_store::calendars::CalendarFeed as Row;
use frontdesk_store::{BusinessId, RecordId, now_ms};
use serde::{Deserialize, Serialize};

use super::{JsonBody, RequestId, audit};
use crate::AppState;
use crate::auth::Principal;
use crate::channels::webhook::base_url;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/calendar-feeds",
            get(list_feeds).post(create_feed),
        )
        .route(
            "/businesses/{business}/calendar-feeds/{feed}/revoke",
            post(revoke_feed),
        )
}

/// The public face: `/calendar/{secret}.ics`.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/calendar/{file}", get(feed))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    #[schema(value_type = String)]
    pub id: RecordId,
    /// The staff member whose appointments it carries; all of the business's when null.
    pub staff: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

impl From<Row> for CalendarFeed {
    fn from(r: Row) -> Self {
        let Row {
            id,
            business_id: _,
            staff,
            created_by,
            created_at,
            revoked_at: _,
        } = r;
        Self {
            id,
            staff,
            created_by,
            created_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    /// A staff member of the profile, by name; the whole business when absent.
    pub staff: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedFeed {
    pub feed: CalendarFeed,
    /// The feed's address, to subscribe to in a calendar app. Shown only now: whoever has it
    /// sees the appointments (with customers' names and numbers) until it is revoked.
    pub url: String,
}

/// A new feed: checks the staff member is in the profile, audits it, returns the URL.
pub(crate) async fn make(
    st: &AppState,
    actor: &frontdesk_store::audit::Actor,
    rid: &RequestId,
    business: &BusinessId,
    staff: Option<&str>,
    base: &str,
) -> ApiResult<(Row, String)> {
    let staff = staff.map(str::trim).filter(|s| !s.is_empty());
    let mut tx = st.db.begin().await?;
    if let Some(name) = staff {
        let loaded = st.desk.host.load(&mut tx.tenant(business)).await?;
        if !loaded.profile.staff.iter().any(|s| s.name.as_str() == name) {
            return Err(ApiError::invalid(format!(
                "staff: {name:?} is not a staff member of this business"
            )));
        }
    }
    let (feed, token) = calendars::create(
        &mut tx.tenant(business),
        staff,
        actor.id.as_deref(),
        now_ms(),
    )
    .await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(business),
        "calendar_feed.create",
        ("calendar_feed", feed.id.as_str()),
        serde_json::json!({"staff": staff}),
    )
    .await?;
    tx.commit().await?;
    Ok((feed, format!("{base}{}", calendars::path(&token))))
}

/// Stops a feed at once, audited.
pub(crate) async fn revoke(
    st: &AppState,
    actor: &frontdesk_store::audit::Actor,
    rid: &RequestId,
    business: &BusinessId,
    id: &str,
) -> ApiResult<()> {
    let id = RecordId::parse(id).ok_or(ApiError::NotFound)?;
    let mut tx = st.db.begin().await?;
    tx.tenant(business)
        .revoke_calendar_feed(&id, now_ms())
        .await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(business),
        "calendar_feed.revoke",
        ("calendar_feed", id.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The business's live calendar feeds. Managers and owners.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/calendar-feeds", tag = "calendars", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Vec<CalendarFeed>)))]
async fn list_feeds(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<CalendarFeed>>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    Ok(Json(super::views(
        st.db.tenant(&id).calendar_feeds().await?,
    )))
}

/// Makes a private iCalendar feed of the business's appointments, or one staff member's.
/// Managers and owners. The URL is returned once.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/calendar-feeds", tag = "calendars", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = NewFeed,
    responses((status = 201, body = CreatedFeed), (status = 422, body = crate::error::ErrorBody)))]
async fn create_feed(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<NewFeed>,
) -> ApiResult<(StatusCode, Json<CreatedFeed>)> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let (feed, url) = make(
        &st,
        &p.actor(),
        &rid,
        &id,
        input.staff.as_deref(),
        &base_url(&st, &headers),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedFeed {
            feed: feed.into(),
            url,
        }),
    ))
}

/// Revokes a feed: its URL answers 404 from now on. Managers and owners.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/calendar-feeds/{feed}/revoke", tag = "calendars", security(("bearer" = [])),
    params(("business" = String, Path), ("feed" = String, Path)), responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke_feed(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, feed)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.business(&st, &key, Role::Manager).await?;
    revoke(&st, &p.actor(), &rid, &id, &feed).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The feed itself, for calendar apps: no account, the secret in the URL is the credential.
async fn feed(State(st): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let token = file.strip_suffix(".ics").ok_or(ApiError::NotFound)?;
    let body = calendars::render(&st.db, &st.desk.host, token, Utc::now()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response())
}
