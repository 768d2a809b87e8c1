//! Operations endpoints: liveness, readiness (checks the database) and Prometheus metrics.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Object)))]
async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "uptime_secs": crate::uptime(&st).as_secs()}),
    )
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, body = Object), (status = 503, body = Object)))]
async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    match st.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": st.db.engine()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": st.db.engine()})),
            )
        }
    }
}

/// Prometheus text exposition, for the operator: an operator's token or key, or the
/// configured `server.metrics_token`, as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "ops", security(("bearer" = [])),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn metrics(
    State(st): State<AppState>,
    headers: HeaderMap,
    who: Result<Principal, ApiError>,
) -> ApiResult<Response> {
    let token = &st.cfg.server.metrics_token;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let by_token = !token.is_empty()
        && bearer.is_some_and(|b| {
            let (b, t) = (b.as_bytes(), token.expose().as_bytes());
            // Compared in time that does not depend on where they differ.
            b.len() == t.len() && b.iter().zip(t).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        });
    if !by_token {
        who?.require_operator()?;
    }
    Ok(crate::render_metrics(&st))
}
