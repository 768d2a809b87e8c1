//! Storage-unit inventory: how many units of each type are free, and the owner's adjustments
//! (a unit out of service, a count corrected after a walk-through). Reservations and their
//! cancellations move the counts by themselves; every change is recorded.

use crate::views::Adjustment;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use frontdesk_store::accounts::Role;
use frontdesk_store::inventory::{Change, Reason};
use frontdesk_store::now_ms;
use serde::{Deserialize, Serialize};

use super::{JsonBody, RequestId, audit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/inventory", get(get_inventory))
        .route(
            "/businesses/{business}/inventory/{unit_type}",
            put(adjust_inventory),
        )
}

/// A unit type's count.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitStock {
    pub unit_type: String,
    pub total: u32,
    pub available: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Inventory {
    pub units: Vec<UnitStock>,
    /// The latest changes, newest first (at most 100).
    pub adjustments: Vec<Adjustment>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    /// How many units of this type are free now (0 to the type's total).
    pub available: u32,
    /// Why, for the record (at most 200 characters).
    pub note: Option<String>,
}

/// Free units of each type, and the latest changes. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/inventory", tag = "inventory", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Inventory)))]
async fn get_inventory(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
) -> ApiResult<Json<Inventory>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let mut t = st.db.tenant(&id);
    let units = t
        .profile()
        .await?
        .units
        .into_iter()
        .map(|u| UnitStock {
            unit_type: u.unit_type,
            total: u.total,
            available: u.available,
        })
        .collect();
    let adjustments = t.inventory_adjustments(100).await?;
    Ok(Json(Inventory {
        units,
        adjustments: views(adjustments),
    }))
}

/// Sets how many units of a type are free, recording who did it and why. Managers and owners.
#[utoipa::path(put, path = "/api/v1/businesses/{business}/inventory/{unit_type}", tag = "inventory", security(("bearer" = [])),
    params(("business" = String, Path), ("unit_type" = String, Path)), request_body = Adjust,
    responses((status = 200, body = UnitStock), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn adjust_inventory(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, unit_type)): Path<(String, String)>,
    JsonBody(req): JsonBody<Adjust>,
) -> ApiResult<Json<UnitStock>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 200) {
        return Err(ApiError::invalid("note: at most 200 characters"));
    }
    let actor = p.actor();
    let who = actor.reference();
    let change = Change {
        reason: Reason::Owner,
        reference: Some(&who),
        note,
    };
    let mut tx = st.db.begin().await?;
    let mut t = tx.tenant(&id);
    t.lock_business().await?;
    let before = t
        .set_available(&unit_type, req.available, &change, now_ms())
        .await?;
    let total = t
        .profile()
        .await?
        .units
        .into_iter()
        .find(|u| u.unit_type == unit_type)
        .map_or(0, |u| u.total);
    audit(
        &mut tx,
        &actor,
        &rid,
        Some(&id),
        "inventory.adjust",
        ("unit_type", &unit_type),
        serde_json::json!({"before": before, "after": req.available, "note": note}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(UnitStock {
        unit_type,
        total,
        available: req.available,
    }))
}
