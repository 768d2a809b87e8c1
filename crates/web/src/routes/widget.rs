//! The web chat widget's public key for a business, and the tag that puts the widget on a site.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use frontdesk_store::accounts::Role;
use frontdesk_store::{BusinessId, Db, businesses};
use serde::Serialize;

use super::{RequestId, audit};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/businesses/{business}/widget", get(get_widget))
        .route("/businesses/{business}/widget/rotate", post(rotate_widget))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Widget {
    /// The public key: it allows chatting with this business and nothing else.
    pub key: String,
    /// The tag to put on the business's site.
    pub script: String,
    /// A page with the widget, to try it.
    pub try_url: String,
}

/// The business's widget key (created on first use) and its tag. Any member.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/widget", tag = "widget", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Widget)))]
async fn get_widget(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult<Json<Widget>> {
    let id = p.business(&st, &key, Role::Viewer).await?;
    let k = widget_key(&st.db, &id, false).await?;
    Ok(Json(widget(&st, &headers, k)))
}

/// Replaces the widget key (the old one stops working at once). Owners only.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/widget/rotate", tag = "widget", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Widget)))]
async fn rotate_widget(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult<Json<Widget>> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let mut tx = st.db.begin().await?;
    let k = businesses::widget_key(&mut tx, &id, &fresh(), true).await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "widget.rotate",
        ("business", id.as_str()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(widget(&st, &headers, k)))
}

fn fresh() -> String {
    frontdesk_desk::accounts::random_secret("pk_")
}

/// The business's widget key, made on first use (or replaced, with `rotate`).
pub async fn widget_key(db: &Db, id: &BusinessId, rotate: bool) -> ApiResult<String> {
    let mut db = db.clone();
    Ok(businesses::widget_key(&mut db, id, &fresh(), rotate).await?)
}

fn widget(st: &AppState, headers: &HeaderMap, key: String) -> Widget {
    let base = crate::channels::webhook::base_url(st, headers);
    Widget {
        script: format!("<script src=\"{base}/widget.js\" data-key=\"{key}\" async></script>"),
        try_url: format!("{base}/widget/try/{key}"),
        key,
    }
}
