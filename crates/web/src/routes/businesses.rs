//! Businesses and their profiles: list, create, get, update (JSON merge patch over the
//! profile), delete, profile get/put in JSON or YAML, and import by slug.

use crate::views::Business;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::time::Duration;

use axum::body::Body;
use frontdesk_engine::Profile;
use frontdesk_engine::profile::MAX_PROFILE_BYTES;
use frontdesk_store::accounts::Role;
use frontdesk_store::businesses;
use frontdesk_store::{StoreError, now_ms};
use serde::{Deserialize, Serialize};

use super::{Page, PageParams, RequestId, audit, clamp_limit, page};
use frontdesk_desk::admin::import_profile_in;

use crate::AppState;
use crate::auth::Principal;
use crate::auth::resolve_business;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses", get(list_businesses).post(create_business))
        .route("/businesses/import", post(import_profile))
        .route(
            "/businesses/{business}",
            get(get_business)
                .patch(update_business)
                .delete(delete_business),
        )
        .route(
            "/businesses/{business}/profile",
            get(get_profile).put(put_profile),
        )
}

/// How long a profile may wait for a parsing slot, and then take to parse, before the request
/// gives up. Within the reader's budgets a 1 MiB profile parses in milliseconds: these bound
/// a flood, not a single request.
const PARSE_QUEUE_WAIT: Duration = Duration::from_secs(10);
const PARSE_DEADLINE: Duration = Duration::from_secs(10);

/// Reads a profile from a body that is YAML or JSON, as its Content-Type says. Call it only
/// after the caller's role is checked: it reads at most [`MAX_PROFILE_BYTES`], and parses on a
/// blocking thread (a few at a time, with a deadline) so the server keeps answering.
async fn read_profile(st: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<Profile> {
    let bytes = axum::body::to_bytes(body, MAX_PROFILE_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let permit = tokio::time::timeout(PARSE_QUEUE_WAIT, st.profile_parses.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::RateLimited(PARSE_QUEUE_WAIT))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let parse = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        parse_profile(json, &text)
    });
    match tokio::time::timeout(PARSE_DEADLINE, parse).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(ApiError::Internal(e.to_string())),
        Err(_) => Err(ApiError::invalid(
            "the profile took too long to read; simplify it",
        )),
    }
}

fn parse_profile(json: bool, body: &str) -> ApiResult<Profile> {
    if json {
        let v: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))?;
        Ok(Profile::from_json_value(v)?)
    } else {
        Ok(Profile::from_yaml(body)?)
    }
}

/// Businesses the caller can see: all for operators, their own for members.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "businesses", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<Business>)))]
async fn list_businesses(
    State(st): State<AppState>,
    p: Principal,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<Page<Business>>> {
    let limit = clamp_limit(q.limit)?;
    let mut db = st.db.clone();
    let rows = match &p {
        Principal::Key {
            business: Some(b), ..
        } => {
            let b = businesses::get(&mut db, b).await?;
            if q.cursor.as_deref().is_some_and(|c| c >= b.id.as_str()) {
                vec![]
            } else {
                vec![b]
            }
        }
        _ if p.is_operator() => {
            businesses::list(&mut db, None, q.cursor.as_deref(), limit + 1).await?
        }
        _ => businesses::list(&mut db, p.user_id(), q.cursor.as_deref(), limit + 1).await?,
    };
    Ok(Json(page(rows, limit, |b| b.id.to_string())))
}

/// Creates a business from a profile (JSON or YAML). Operators only.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "businesses", security(("bearer" = [])),
    request_body(content = Object, description = "A business profile (spec/business-profile.md), as JSON or YAML"),
    responses((status = 201, body = Business), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_business(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Business>)> {
    p.require_operator()?;
    let profile = read_profile(&st, &headers, body).await?;
    let mut tx = st.db.begin().await?;
    if businesses::get_by_slug(&mut tx, profile.slug.as_str())
        .await
        .is_ok()
    {
        return Err(ApiError::Conflict(format!(
            "a business with slug {} already exists; PUT its profile to change it",
            profile.slug
        )));
    }
    let b = import_profile_in(&mut tx, &p.actor(), rid.0.as_deref(), &profile)
        .await?
        .business;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub business: Business,
    /// True when the import created the business, false when it updated it.
    pub created: bool,
    /// The unit types whose count of free units the file set (it gave `available`); the
    /// others kept their counts.
    pub available_set: Vec<UnitCount>,
}

/// A unit type and how many of it are free.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitCount {
    pub unit_type: String,
    pub available: u32,
}

/// Creates or updates (by slug) a business from a profile file; the records it owns are kept.
/// Operators may import any profile; a business's owners and managers may re-import theirs.
#[utoipa::path(post, path = "/api/v1/businesses/import", tag = "businesses", security(("bearer" = [])),
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::ErrorBody)))]
async fn import_profile(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ImportResult>> {
    // Who may import anything at all is known before the body is read; which business it is
    // only after.
    p.require_somewhere(&st, Role::Manager).await?;
    let profile = read_profile(&st, &headers, body).await?;
    let mut tx = st.db.begin().await?;
    match businesses::get_by_slug(&mut tx, profile.slug.as_str()).await {
        Ok(existing) => p.access(&st, &existing.id).await?.require(Role::Manager)?,
        Err(StoreError::NotFound) => p.require_operator()?,
        Err(e) => return Err(e.into()),
    }
    let i = import_profile_in(&mut tx, &p.actor(), rid.0.as_deref(), &profile).await?;
    tx.commit().await?;
    Ok(Json(ImportResult {
        business: i.business.into(),
        created: i.created,
        available_set: i
            .available_set
            .into_iter()
            .map(|(unit_type, available)| UnitCount {
                unit_type,
                available,
            })
            .collect(),
    }))
}

/// One business, by id or slug.
#[utoipa::path(get, path = "/api/v1/businesses/{business}", tag = "businesses", security(("bearer" = [])),
    params(("business" = String, Path, description = "Business id or slug")),
    responses((status = 200, body = Business), (status = 404, body = crate::error::ErrorBody)))]
async fn get_business(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
) -> ApiResult<Json<Business>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(st.db.tenant(&id).business().await?.into()))
}

/// Changes part of a business's profile: the body is a JSON merge patch (RFC 7386) over the
/// profile, e.g. `{"name": "New name", "hours": {"sun": "10:00-14:00"}}`.
#[utoipa::path(patch, path = "/api/v1/businesses/{business}", tag = "businesses", security(("bearer" = [])),
    params(("business" = String, Path, description = "Business id or slug")),
    request_body = Object,
    responses((status = 200, body = Business), (status = 422, body = crate::error::ErrorBody)))]
async fn update_business(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    super::JsonBody(patch): super::JsonBody<serde_json::Value>,
) -> ApiResult<Json<Business>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object (a merge patch over the profile)".into(),
        ));
    }
    let mut tx = st.db.begin().await?;
    let current = tx.tenant(&id).profile().await?;
    let mut v = serde_json::to_value(&current).map_err(|e| ApiError::Internal(e.to_string()))?;
    merge_patch(&mut v, &patch);
    let profile = Profile::from_json_value(v)?;
    let b = tx.tenant(&id).put_profile(&profile, now_ms()).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "business.update",
        ("business", id.as_str()),
        patch,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(b.into()))
}

/// RFC 7386: objects merge recursively, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
    }
}

/// Deletes a business and everything it owns. Operators only.
#[utoipa::path(delete, path = "/api/v1/businesses/{business}", tag = "businesses", security(("bearer" = [])),
    params(("business" = String, Path, description = "Business id or slug")), responses((status = 204)))]
async fn delete_business(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let id = resolve_business(&st, &key).await?;
    let mut tx = st.db.begin().await?;
    let b = businesses::get(&mut tx, &id).await?;
    businesses::delete(&mut tx, &id).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "business.delete",
        ("business", id.as_str()),
        serde_json::json!({"slug": b.slug}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatParam {
    /// `json` (default) or `yaml`; `Accept: application/yaml` also selects YAML.
    pub format: Option<String>,
}

/// The business's profile, in JSON or in the YAML file format.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/profile", tag = "businesses", security(("bearer" = [])),
    params(("business" = String, Path, description = "Business id or slug"), FormatParam), responses((status = 200, body = Object)))]
async fn get_profile(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(f): Query<FormatParam>,
) -> ApiResult<Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let profile = st.db.tenant(&id).profile().await?;
    let wants_yaml = match f.format.as_deref() {
        Some("yaml") => true,
        Some("json") | None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("yaml")),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "format: {other:?} is not json or yaml"
            )));
        }
    };
    Ok(if wants_yaml {
        (
            [(header::CONTENT_TYPE, "application/yaml")],
            profile.to_yaml(),
        )
            .into_response()
    } else {
        Json(profile).into_response()
    })
}

/// Replaces the business's profile (JSON or YAML). Owners and managers.
#[utoipa::path(put, path = "/api/v1/businesses/{business}/profile", tag = "businesses", security(("bearer" = [])),
    params(("business" = String, Path, description = "Business id or slug")),
    request_body(content = Object, description = "A whole business profile, as JSON or YAML"),
    responses((status = 200, body = Business), (status = 422, body = crate::error::ErrorBody)))]
async fn put_profile(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Body,
) -> ApiResult<Json<Business>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let profile = read_profile(&st, &headers, body).await?;
    let mut tx = st.db.begin().await?;
    let b = tx.tenant(&id).put_profile(&profile, now_ms()).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "profile.put",
        ("business", id.as_str()),
        serde_json::json!({"slug": b.slug}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(b.into()))
}
