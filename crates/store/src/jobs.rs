//! The tables behind the durable job queue (the runner lives in `frontdesk-jobs`).
//!
//! A job is claimed by setting a lease (`locked_until`); a worker that dies loses its lease and
//! the job becomes claimable again, so execution is at-least-once. On PostgreSQL the claim uses
//! `FOR UPDATE SKIP LOCKED` so several servers never take the same job; on SQLite every write
//! already goes through one writer.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::JobStatus;
use crate::{BusinessId, Result, Tenant, params};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub business: Option<BusinessId>,
    /// Milliseconds since the epoch; the job does not run before then.
    pub run_at: i64,
    pub max_attempts: u32,
    /// A second enqueue with the same key is a no-op that returns the first job's id.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub business_id: Option<String>,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub idempotency_key: Option<String>,
}

const COLS: &str = "id, kind, business_id, payload, status, attempts, max_attempts, run_at, last_error, idempotency_key";

impl FromRow for Job {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: r.text(0)?,
            kind: r.text(1)?,
            business_id: r.opt_text(2)?,
            payload: serde_json::from_str(&r.text(3)?).unwrap_or(serde_json::Value::Null),
            status: crate::states::read(r, 4)?,
            attempts: r.int(5)?,
            max_attempts: r.int(6)?,
            run_at: r.int(7)?,
            last_error: r.opt_text(8)?,
            idempotency_key: r.opt_text(9)?,
        })
    }
}

/// Enqueues a job in whatever transaction `e` is; returns its id (the existing job's id when the
/// idempotency key was seen before).
pub async fn enqueue(e: &mut impl Exec, j: &NewJob, now: i64) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = e
        .execute(I, "INSERT INTO jobs (id, kind, business_id, payload, status, attempts, max_attempts, run_at, idempotency_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $8) ON CONFLICT (idempotency_key) DO NOTHING",
            &params![&id, &j.kind, j.business.as_ref(), j.payload.to_string(), j.max_attempts, j.run_at, &j.idempotency_key, now],
        )
        .await?;
    if inserted == 1 {
        return Ok(id);
    }
    e.fetch_one(
        I,
        "SELECT id FROM jobs WHERE idempotency_key = $1",
        &params![&j.idempotency_key],
    )
    .await
}

/// Claims up to `limit` due jobs of `kind` for `worker`, leasing them until `lease_until`.
pub async fn claim(
    e: &mut impl Exec,
    kind: &str,
    worker: &str,
    limit: u32,
    lease_until: i64,
    now: i64,
) -> Result<Vec<Job>> {
    let lock = if e.is_postgres() {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    e.fetch_all(I, &format!(
            "UPDATE jobs SET status = 'running', locked_by = $2, locked_until = $3, attempts = attempts + 1, updated_at = $4
             WHERE id IN (
                SELECT id FROM jobs WHERE kind = $1
                  AND ((status = 'queued' AND run_at <= $4) OR (status = 'running' AND locked_until < $4))
                ORDER BY run_at, id LIMIT $5 {lock})
             RETURNING {COLS}"
        ),
        &params![kind, worker, lease_until, now, limit],
    )
    .await
}

/// Marks a job done, if `worker` still holds it.
pub async fn complete(e: &mut impl Exec, id: &str, worker: &str, now: i64) -> Result<bool> {
    let n = e
        .execute(I, "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, finished_at = $3, updated_at = $3
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            &params![id, worker, now],
        )
        .await?;
    Ok(n == 1)
}

/// Records a failed attempt: queued again at `retry_at`, or dead when `retry_at` is `None`.
pub async fn fail(
    e: &mut impl Exec,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    let n = match retry_at {
        Some(at) => {
            e.execute(I, "UPDATE jobs SET status = 'queued', run_at = $4, last_error = $3, locked_by = NULL, locked_until = NULL, updated_at = $5
                 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
                &params![id, worker, error, at, now],
            )
            .await?
        }
        None => {
            e.execute(I, "UPDATE jobs SET status = 'dead', last_error = $3, locked_by = NULL, locked_until = NULL, finished_at = $4, updated_at = $4
                 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
                &params![id, worker, error, now],
            )
            .await?
        }
    };
    Ok(n == 1)
}

/// Extends the lease of jobs `worker` is still running.
pub async fn extend_leases(e: &mut impl Exec, worker: &str, lease_until: i64) -> Result<u64> {
    e.execute(
        I,
        "UPDATE jobs SET locked_until = $2 WHERE locked_by = $1 AND status = 'running'",
        &params![worker, lease_until],
    )
    .await
}

/// Gives a job back to the queue unrun (graceful shutdown); the attempt is not counted.
pub async fn release(e: &mut impl Exec, id: &str, worker: &str, now: i64) -> Result<bool> {
    let n = e
        .execute(I, "UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, updated_at = $3
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            &params![id, worker, now],
        )
        .await?;
    Ok(n == 1)
}

pub async fn get(e: &mut impl Exec, id: &str) -> Result<Job> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM jobs WHERE id = $1"),
        &params![id],
    )
    .await
}

/// Jobs by status (for the operator and tests), oldest first.
pub async fn by_status(e: &mut impl Exec, status: JobStatus, limit: u32) -> Result<Vec<Job>> {
    e.fetch_all(
        I,
        &format!("SELECT {COLS} FROM jobs WHERE status = $1 ORDER BY run_at, id LIMIT $2"),
        &params![status, limit],
    )
    .await
}

/// A recurring job definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurring {
    pub name: String,
    pub schedule: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub next_run_at: i64,
}

impl FromRow for Recurring {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            name: r.text(0)?,
            schedule: r.text(1)?,
            kind: r.text(2)?,
            payload: serde_json::from_str(&r.text(3)?).unwrap_or(serde_json::Value::Null),
            next_run_at: r.int(4)?,
        })
    }
}

/// Defines (or redefines) a recurring job; `next_run_at` is only set when the schedule changed.
pub async fn upsert_recurring(e: &mut impl Exec, r: &Recurring) -> Result<()> {
    e.execute(I, "INSERT INTO recurring_jobs (name, schedule, kind, payload, next_run_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, payload = excluded.payload,
           next_run_at = CASE WHEN recurring_jobs.schedule = excluded.schedule THEN recurring_jobs.next_run_at ELSE excluded.next_run_at END,
           schedule = excluded.schedule",
        &params![&r.name, &r.schedule, &r.kind, r.payload.to_string(), r.next_run_at],
    )
    .await
    .map(|_| ())
}

pub async fn due_recurring(e: &mut impl Exec, now: i64) -> Result<Vec<Recurring>> {
    e.fetch_all(I, "SELECT name, schedule, kind, payload, next_run_at FROM recurring_jobs WHERE next_run_at <= $1", &params![now]).await
}

/// Moves a recurring job's next run from `from` to `to`; false when another server already did.
pub async fn advance_recurring(e: &mut impl Exec, name: &str, from: i64, to: i64) -> Result<bool> {
    let n = e
        .execute(
            I,
            "UPDATE recurring_jobs SET next_run_at = $3 WHERE name = $1 AND next_run_at = $2",
            &params![name, from, to],
        )
        .await?;
    Ok(n == 1)
}

/// Gives back every job `worker` still holds from a previous life of the same process (it
/// crashed while running them): they run again at once instead of waiting for their leases to
/// lapse; the interrupted attempts are not counted. Returns how many.
pub async fn reclaim(e: &mut impl Exec, worker: &str, now: i64) -> Result<u64> {
    e.execute(I, "UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, run_at = $2, updated_at = $2
         WHERE locked_by = $1 AND status = 'running'",
        &params![worker, now],
    )
    .await
}

/// Ids of the jobs `worker` holds.
pub async fn held_by(e: &mut impl Exec, worker: &str) -> Result<Vec<String>> {
    e.fetch_all(
        I,
        "SELECT id FROM jobs WHERE locked_by = $1 AND status = 'running'",
        &params![worker],
    )
    .await
}

/// Puts a dead job back in the queue with fresh attempts; false when it is not dead.
pub async fn retry_dead(e: &mut impl Exec, id: &str, now: i64) -> Result<bool> {
    let n = e
        .execute(
            I,
            "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $2, finished_at = NULL, updated_at = $2
             WHERE id = $1 AND status = 'dead'",
            &params![id, now],
        )
        .await?;
    Ok(n == 1)
}

impl<E: Exec> Tenant<E> {
    /// Enqueues a job for this business in whatever transaction the tenant is in (see
    /// [`enqueue`]); the job's `business` is this one.
    pub async fn enqueue_job(&mut self, mut j: NewJob, now: i64) -> Result<String> {
        j.business = Some(self.business.clone());
        enqueue(&mut self.exec, &j, now).await
    }

    /// Whether this business has a job with the idempotency key `key`, in any state.
    pub async fn job_exists(&mut self, key: &str) -> Result<bool> {
        let n: i64 = self
            .exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM jobs WHERE business_id = $1 AND idempotency_key = $2",
                &params![&self.business, key],
            )
            .await?;
        Ok(n > 0)
    }

    /// Cancels this business's queued jobs whose idempotency key starts with `prefix`; returns
    /// how many. A job already running finishes (its handler checks that it is still wanted).
    pub async fn cancel_jobs(&mut self, prefix: &str, now: i64) -> Result<u64> {
        self.exec
            .execute(
                I,
                "UPDATE jobs SET status = 'cancelled', finished_at = $3, updated_at = $3
                 WHERE business_id = $1 AND status = 'queued'
                   AND substr(idempotency_key, 1, length($2)) = $2",
                &params![&self.business, prefix, now],
            )
            .await
    }
}
