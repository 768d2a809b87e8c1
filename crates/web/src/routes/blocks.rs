//! Blocked time through the API: a staff member's time off or the whole business's, which
//! nobody can book (the agent, the API and the booking pages leave it out of the free times).
//! Managers and owners add and remove blocks; every member sees them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::DateTime;
use frontdesk_store::accounts::Role;
use frontdesk_store::blocks::{NewBlock, TimeBlock as Row};
use frontdesk_store::{BusinessId, RecordId, now_ms};
use serde::{Deserialize, Serialize};

use super::{JsonBody, RequestId, audit};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/blocks",
            get(list_blocks).post(add_block),
        )
        .route(
            "/businesses/{business}/blocks/{block}",
            delete(remove_block),
        )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimeBlock {
    #[schema(value_type = String)]
    pub id: RecordId,
    /// The staff member it is for; the whole business when null.
    pub staff: Option<String>,
    /// Start and end, milliseconds since the epoch (UTC).
    pub start_at: i64,
    pub end_at: i64,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

impl From<Row> for TimeBlock {
    fn from(r: Row) -> Self {
        let Row {
            id,
            staff,
            start_at,
            end_at,
            reason,
            created_by,
            created_at,
        } = r;
        Self {
            id,
            staff,
            start_at,
            end_at,
            reason,
            created_by,
            created_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTimeBlock {
    /// A staff member of the profile, by name; the whole business when absent.
    pub staff: Option<String>,
    /// Start and end, RFC 3339 (`2026-12-24T12:00:00-07:00`).
    pub start: String,
    pub end: String,
    /// Why, for the calendar (at most 200 characters).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// The longest one block may be.
const BLOCK_DAYS_MAX: i64 = 366;

#[allow(clippy::too_many_arguments)]
/// Adds a block after checking it (a staff member of the profile, a span that ends after it
/// starts and within a year), audited in the same transaction.
pub(crate) async fn add(
    st: &AppState,
    actor: &frontdesk_store::audit::Actor,
    rid: &RequestId,
    business: &BusinessId,
    staff: Option<&str>,
    start: i64,
    end: i64,
    reason: &str,
) -> ApiResult<Row> {
    let staff = staff.map(str::trim).filter(|s| !s.is_empty());
    let reason = reason.trim();
    if reason.chars().count() > 200 {
        return Err(ApiError::invalid("reason: at most 200 characters"));
    }
    if end <= start {
        return Err(ApiError::invalid("end: must be after the start"));
    }
    if end - start > BLOCK_DAYS_MAX * 86_400_000 {
        return Err(ApiError::invalid("end: a block is at most a year long"));
    }
    let mut tx = st.db.begin().await?;
    if let Some(name) = staff {
        let loaded = st.desk.host.load(&mut tx.tenant(business)).await?;
        if !loaded.profile.staff.iter().any(|s| s.name.as_str() == name) {
            return Err(ApiError::invalid(format!(
                "staff: {name:?} is not a staff member of this business"
            )));
        }
    }
    let block = tx
        .tenant(business)
        .add_block(
            &NewBlock {
                staff,
                start_at: start,
                end_at: end,
                reason,
                created_by: actor.id.as_deref(),
            },
            now_ms(),
        )
        .await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(business),
        "block.add",
        ("block", block.id.as_str()),
        serde_json::json!({"staff": staff, "start_at": start, "end_at": end}),
    )
    .await?;
    tx.commit().await?;
    Ok(block)
}

/// Removes a block, audited.
pub(crate) async fn remove(
    st: &AppState,
    actor: &frontdesk_store::audit::Actor,
    rid: &RequestId,
    business: &BusinessId,
    id: &str,
) -> ApiResult<()> {
    let id = RecordId::parse(id).ok_or(ApiError::NotFound)?;
    let mut tx = st.db.begin().await?;
    tx.tenant(business).remove_block(&id).await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(business),
        "block.remove",
        ("block", id.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn rfc3339(field: &str, v: &str) -> ApiResult<i64> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.timestamp_millis())
        .map_err(|e| {
            ApiError::invalid(format!(
                "{field}: {e}: expected RFC 3339 such as 2026-12-24T12:00:00-07:00"
            ))
        })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BlockQuery {
    /// From (epoch ms); now when absent.
    pub from: Option<i64>,
    /// Until (epoch ms); 60 days after `from` when absent.
    pub until: Option<i64>,
}

/// Blocks that overlap the span, by start (at most 1,000). Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/blocks", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), BlockQuery), responses((status = 200, body = Vec<TimeBlock>)))]
async fn list_blocks(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<BlockQuery>,
) -> ApiResult<Json<Vec<TimeBlock>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let from = q.from.unwrap_or_else(now_ms);
    let until = q.until.unwrap_or(from.saturating_add(60 * 86_400_000));
    Ok(Json(super::views(
        st.db.tenant(&id).blocks_between(from, until).await?,
    )))
}

/// Blocks time: nobody can book it from now on (appointments already in it stay). Managers
/// and owners.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/blocks", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = NewTimeBlock,
    responses((status = 201, body = TimeBlock), (status = 422, body = crate::error::ErrorBody)))]
async fn add_block(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<NewTimeBlock>,
) -> ApiResult<(StatusCode, Json<TimeBlock>)> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let start = rfc3339("start", &input.start)?;
    let end = rfc3339("end", &input.end)?;
    let block = add(
        &st,
        &p.actor(),
        &rid,
        &id,
        input.staff.as_deref(),
        start,
        end,
        input.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(block.into())))
}

/// Removes a block: its time can be booked again. Managers and owners.
#[utoipa::path(delete, path = "/api/v1/businesses/{business}/blocks/{block}", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("block" = String, Path)), responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn remove_block(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, block)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.business(&st, &key, Role::Manager).await?;
    remove(&st, &p.actor(), &rid, &id, &block).await?;
    Ok(StatusCode::NO_CONTENT)
}
