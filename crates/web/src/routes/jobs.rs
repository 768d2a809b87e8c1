//! The job queue as an operator sees it: what is queued, running, done or dead, and a retry for
//! dead jobs once their cause is fixed.

use crate::views::Job;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use frontdesk_store::jobs;
use frontdesk_store::{StoreError, now_ms};
use serde::Deserialize;

use super::{RequestId, audit, clamp_limit, views};
use frontdesk_store::states::JobStatus;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list_jobs))
        .route("/jobs/{job}/retry", post(retry_job))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobParams {
    /// queued, running, done, dead or cancelled (default dead).
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

/// Jobs in one state, oldest first. Operators only.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])), params(JobParams),
    responses((status = 200, body = Vec<Job>)))]
async fn list_jobs(
    State(st): State<AppState>,
    p: Principal,
    Query(q): Query<JobParams>,
) -> ApiResult<Json<Vec<Job>>> {
    p.require_operator()?;
    let asked = q.status.as_deref().unwrap_or("dead");
    let status = JobStatus::parse(asked).ok_or_else(|| {
        ApiError::invalid(format!(
            "status: {asked:?} is not queued, running, done, dead or cancelled"
        ))
    })?;
    Ok(Json(views(
        jobs::by_status(&mut st.db.clone(), status, clamp_limit(q.limit)?).await?,
    )))
}

/// Queues a dead job again with fresh attempts. Operators only.
#[utoipa::path(post, path = "/api/v1/jobs/{job}/retry", tag = "jobs", security(("bearer" = [])),
    params(("job" = String, Path)), responses((status = 200, body = Job), (status = 409, body = crate::error::ErrorBody)))]
async fn retry_job(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    p.require_operator()?;
    let mut tx = st.db.begin().await?;
    let job = match jobs::get(&mut tx, &id).await {
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        other => other?,
    };
    if !jobs::retry_dead(&mut tx, &id, now_ms()).await? {
        return Err(ApiError::Conflict(format!(
            "job is {}, not dead",
            job.status
        )));
    }
    let detail = serde_json::json!({"kind": job.kind, "last_error": job.last_error});
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        None,
        "job.retry",
        ("job", &id),
        detail,
    )
    .await?;
    let job = jobs::get(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(Json(job.into()))
}
