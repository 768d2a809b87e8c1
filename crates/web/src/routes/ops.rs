//! Operations endpoints: liveness, readiness (checks the database) and Prometheus metrics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

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

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, body = String, content_type = "text/plain")))]
async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    crate::render_metrics(&st)
}
