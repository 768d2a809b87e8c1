//! Reading the audit log: a business's (managers and owners) or the whole installation's
//! (operators).

use crate::views::Entry;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_store::accounts::Role;
use frontdesk_store::audit;
use serde::Deserialize;

use super::{Page, clamp_limit, page};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list_all))
        .route("/businesses/{business}/audit", get(list_business))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    /// Entries older than this one (the `next_cursor` of the previous page).
    pub cursor: Option<String>,
}

fn cursor(c: Option<&str>) -> ApiResult<Option<i64>> {
    c.map(|c| {
        c.parse()
            .map_err(|_| ApiError::invalid("cursor: not a cursor from this list"))
    })
    .transpose()
}

/// The business's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/audit", tag = "audit", security(("bearer" = [])),
    params(("business" = String, Path), AuditParams), responses((status = 200, body = Page<Entry>)))]
async fn list_business(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<Page<Entry>>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let limit = clamp_limit(q.limit)?;
    let rows = st
        .db
        .tenant(&id)
        .audit_log(cursor(q.cursor.as_deref())?, limit + 1)
        .await?;
    Ok(Json(page(rows, limit, |e| e.seq.to_string())))
}

/// The installation's audit log, newest first. Operators only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditParams), responses((status = 200, body = Page<Entry>)))]
async fn list_all(
    State(st): State<AppState>,
    p: Principal,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<Page<Entry>>> {
    p.require_operator()?;
    let limit = clamp_limit(q.limit)?;
    let rows = audit::all(&mut st.db.clone(), cursor(q.cursor.as_deref())?, limit + 1).await?;
    Ok(Json(page(rows, limit, |e| e.seq.to_string())))
}
