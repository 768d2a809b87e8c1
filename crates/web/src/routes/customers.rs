//! Customers: create, get, update, delete, and list with search by phone, e-mail or name.

use crate::views::Customer;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_engine::{Email, PhoneE164};
use frontdesk_store::accounts::Role;
use frontdesk_store::customers::{CustomerFields, CustomerFilter, CustomerSort};
use frontdesk_store::{CustomerId, now_ms};
use serde::Deserialize;

use crate::views::Activity;

use super::{JsonBody, LimitParams, Page, RequestId, audit, clamp_limit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/customers/{customer}/timeline",
            get(customer_timeline),
        )
        .route(
            "/businesses/{business}/customers",
            get(list_customers).post(create_customer),
        )
        .route(
            "/businesses/{business}/customers/{customer}",
            get(get_customer)
                .patch(update_customer)
                .delete(delete_customer),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Exact phone number (E.164).
    pub phone: Option<String>,
    /// Exact e-mail address.
    pub email: Option<String>,
    /// Part of a name, e-mail or phone number, any case.
    pub q: Option<String>,
    /// `oldest` (first recorded first, the default), `newest` or `name`.
    #[param(pattern = "^(oldest|newest|name)$")]
    pub sort: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A customer as a client sends it. Unknown fields are refused.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<String>,
    /// E.164, e.g. +15125550100.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A list's order by its name in a query.
pub(crate) fn parse_sort(s: Option<&str>) -> ApiResult<CustomerSort> {
    match s.unwrap_or("oldest") {
        "oldest" => Ok(CustomerSort::Oldest),
        "newest" => Ok(CustomerSort::Newest),
        "name" => Ok(CustomerSort::Name),
        other => Err(ApiError::invalid(format!(
            "sort: {other:?} is not one of oldest, newest, name"
        ))),
    }
}

fn parse_phone(s: &str) -> ApiResult<PhoneE164> {
    PhoneE164::parse(s.trim()).map_err(|e| ApiError::invalid(format!("phone: {e}")))
}

fn parse_email(s: &str) -> ApiResult<Email> {
    Email::parse(s).map_err(|e| ApiError::invalid(format!("email: {e}")))
}

fn clean_text(field: &str, v: Option<String>, max: usize) -> ApiResult<Option<String>> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(ApiError::invalid(format!(
            "{field}: longer than {max} characters"
        )));
    }
    Ok(v)
}

impl CustomerInput {
    pub(crate) fn into_fields(self) -> ApiResult<CustomerFields> {
        let f = CustomerFields {
            name: clean_text("name", self.name, 200)?,
            phone: self.phone.as_deref().map(parse_phone).transpose()?,
            email: self.email.as_deref().map(parse_email).transpose()?,
            notes: clean_text("notes", self.notes, 10_000)?,
            tags: self
                .tags
                .into_iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        };
        if f.tags.len() > 50 || f.tags.iter().any(|t| t.len() > 50) {
            return Err(ApiError::invalid(
                "tags: at most 50 tags of at most 50 characters",
            ));
        }
        if f.name.is_none() && f.phone.is_none() && f.email.is_none() {
            return Err(ApiError::invalid("a customer needs a name, phone or email"));
        }
        Ok(f)
    }
}

fn customer_id(s: &str) -> ApiResult<CustomerId> {
    CustomerId::parse(s).ok_or(ApiError::NotFound)
}

/// Customers in creation order, optionally filtered. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/customers", tag = "customers", security(("bearer" = [])),
    params(("business" = String, Path), ListParams), responses((status = 200, body = Page<Customer>)))]
async fn list_customers(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<ListParams>,
) -> ApiResult<Response> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let limit = clamp_limit(q.limit)?;
    let filter = CustomerFilter {
        sort: parse_sort(q.sort.as_deref())?,
        phone: q.phone.as_deref().map(parse_phone).transpose()?,
        email: q.email.as_deref().map(parse_email).transpose()?,
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        after: q.cursor,
        limit: limit + 1,
    };
    // The hottest read: rows are written as JSON as they are read, then framed as a page.
    let page = st.db.tenant(&id).customers_json(&filter).await?;
    let (items, next) = page.finish(limit as usize);
    let mut body = Vec::with_capacity(items.len() + 80);
    body.extend_from_slice(b"{\"items\":");
    body.extend_from_slice(&items);
    if let Some(cursor) = next {
        body.extend_from_slice(b",\"next_cursor\":");
        serde_json::to_writer(&mut body, &cursor).map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    body.push(b'}');
    let mut resp = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    // The rows were written with their RFC 3339 times (`CustomerPage`).
    resp.extensions_mut().insert(super::times::Written);
    Ok(resp)
}

/// Adds a customer. Agents and up.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/customers", tag = "customers", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = CustomerInput,
    responses((status = 201, body = Customer), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_customer(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<CustomerInput>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let id = p.business(&st, &key, Role::Agent).await?;
    let fields = input.into_fields()?;
    let mut tx = st.db.begin().await?;
    let c = tx.tenant(&id).create_customer(&fields, now_ms()).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "customer.create",
        ("customer", c.id.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/businesses/{business}/customers/{customer}", tag = "customers", security(("bearer" = [])),
    params(("business" = String, Path), ("customer" = String, Path)), responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody)))]
async fn get_customer(
    State(st): State<AppState>,
    p: Principal,
    Path((key, cid)): Path<(String, String)>,
) -> ApiResult<Json<Customer>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    Ok(Json(
        st.db
            .tenant(&id)
            .customer(&customer_id(&cid)?)
            .await?
            .into(),
    ))
}

/// Changes the fields given; `null` clears a field. Agents and up.
#[utoipa::path(patch, path = "/api/v1/businesses/{business}/customers/{customer}", tag = "customers", security(("bearer" = [])),
    params(("business" = String, Path), ("customer" = String, Path)), request_body = CustomerInput, responses((status = 200, body = Customer)))]
async fn update_customer(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, cid)): Path<(String, String)>,
    JsonBody(patch): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<Customer>> {
    let id = p.business(&st, &key, Role::Agent).await?;
    let cid = customer_id(&cid)?;
    let mut tx = st.db.begin().await?;
    let cur = tx.tenant(&id).customer(&cid).await?;
    let mut merged = serde_json::json!({"name": cur.name, "phone": cur.phone, "email": cur.email, "notes": cur.notes, "tags": cur.tags});
    for (k, v) in &patch {
        merged[k] = v.clone();
    }
    let input: CustomerInput =
        serde_json::from_value(merged).map_err(|e| ApiError::invalid(e.to_string()))?;
    let c = tx
        .tenant(&id)
        .update_customer(&cid, &input.into_fields()?, now_ms())
        .await?;
    let changed: Vec<&String> = patch.keys().collect();
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "customer.update",
        ("customer", cid.as_str()),
        serde_json::json!({"fields": changed}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(c.into()))
}

/// Deletes a customer. Managers and up.
#[utoipa::path(delete, path = "/api/v1/businesses/{business}/customers/{customer}", tag = "customers", security(("bearer" = [])),
    params(("business" = String, Path), ("customer" = String, Path)), responses((status = 204)))]
async fn delete_customer(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, cid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.business(&st, &key, Role::Manager).await?;
    let cid = customer_id(&cid)?;
    let mut tx = st.db.begin().await?;
    tx.tenant(&id).delete_customer(&cid).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "customer.delete",
        ("customer", cid.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything the agent did for one customer, newest first.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/customers/{customer}/timeline", tag = "conversations", security(("bearer" = [])),
    params(("business" = String, Path), ("customer" = String, Path), LimitParams), responses((status = 200, body = Vec<Activity>)))]
async fn customer_timeline(
    State(st): State<AppState>,
    p: Principal,
    Path((key, cid)): Path<(String, String)>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<Activity>>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let cid = CustomerId::parse(&cid).ok_or(ApiError::NotFound)?;
    let mut t = st.db.tenant(&id);
    t.customer(&cid).await?;
    Ok(Json(views(t.timeline(&cid, clamp_limit(q.limit)?).await?)))
}
