//! The durable job queue's runner. Jobs live in the main database (see `frontdesk_store::jobs`),
//! are enqueued inside the transaction that creates the work, and run at least once: a worker
//! holds a lease that it renews while the job runs; if the worker dies, the lease lapses and
//! another worker takes the job. Failures retry with exponential backoff until the job's
//! `max_attempts`, then the job is dead (kept, with its last error, for a person to look at).
//! Handlers must therefore be idempotent, using the job id or the idempotency key. The product's
//! jobs are typed and queued through `frontdesk_desk::jobs`; this crate only runs them.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use frontdesk_store::jobs::{self as store, Job, NewJob, Recurring};
use frontdesk_store::{Db, now_ms};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

/// What a handler returns: `Err` with a message retries (or kills) the job.
pub type JobResult = Result<(), String>;
type BoxFut = Pin<Box<dyn Future<Output = JobResult> + Send>>;
type Handler = Arc<dyn Fn(Job) -> BoxFut + Send + Sync>;

/// Settings for a runner.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How long a claimed job stays leased without a heartbeat.
    pub lease: Duration,
    /// How often to look for due jobs when nothing wakes the runner.
    pub poll_interval: Duration,
    /// First retry delay; doubles with every attempt.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long shutdown waits for running jobs before giving them back to the queue.
    pub shutdown_grace: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(3600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The delay before the retry that follows attempt `attempt` (1-based).
pub fn backoff(cfg: &RunnerConfig, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 32) - 1).unwrap_or(0);
    cfg.backoff_base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(cfg.backoff_max)
}

/// Tries a recurring job gets before it is dead.
const RECURRING_MAX_ATTEMPTS: u32 = 10;

/// Parses a cron schedule: standard five fields (`min hour dom mon dow`), or six with seconds.
pub fn parse_schedule(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let full = if fields == 5 {
        format!("0 {expr}")
    } else {
        expr.to_owned()
    };
    cron::Schedule::from_str(&full).map_err(|e| format!("invalid schedule {expr:?}: {e}"))
}

fn next_after(s: &cron::Schedule, after_ms: i64) -> Option<i64> {
    let after = Utc.timestamp_millis_opt(after_ms).single()?;
    s.after(&after).next().map(|t| t.timestamp_millis())
}

struct Kind {
    handler: Handler,
    slots: Arc<Semaphore>,
    concurrency: usize,
}

/// Runs registered handlers for due jobs. Build one per process with [`Runner::new`].
pub struct Runner {
    db: Db,
    cfg: RunnerConfig,
    worker: String,
    kinds: HashMap<String, Kind>,
    recurring: Vec<(String, String, String, serde_json::Value)>,
    wake: Arc<Notify>,
}

impl Runner {
    pub fn new(db: Db, cfg: RunnerConfig) -> Self {
        let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Self {
            db,
            cfg,
            worker,
            kinds: HashMap::new(),
            recurring: Vec::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Names this runner by a stable identity that no other live process can share (the
    /// binary uses its host and listening address), so that after a crash the restarted
    /// process takes back at once the jobs it held, instead of waiting out their leases.
    pub fn with_identity(mut self, identity: &str) -> Self {
        self.worker = identity.to_owned();
        self
    }

    /// Runs `kind` jobs with `handler`, at most `concurrency` at once in this process.
    pub fn register<F, Fut>(&mut self, kind: &str, concurrency: usize, handler: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        let concurrency = concurrency.max(1);
        let handler: Handler = Arc::new(move |j| Box::pin(handler(j)));
        self.kinds.insert(
            kind.to_owned(),
            Kind {
                handler,
                slots: Arc::new(Semaphore::new(concurrency)),
                concurrency,
            },
        );
    }

    /// Enqueues `kind` with `payload` at every occurrence of the cron `schedule`, once across all
    /// servers sharing the database.
    pub fn recurring(
        &mut self,
        name: &str,
        schedule: &str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<(), String> {
        parse_schedule(schedule)?;
        self.recurring
            .push((name.into(), schedule.into(), kind.into(), payload));
        Ok(())
    }

    /// Shares `wake` as this runner's waker, so that code built before the runner (the web
    /// state) can wake it.
    pub fn with_waker(mut self, wake: Arc<Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// A handle that wakes the runner at once (after enqueueing work it should not wait for).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    async fn install_recurring(&self) -> frontdesk_store::Result<()> {
        let mut db = self.db.clone();
        for (name, schedule, kind, payload) in &self.recurring {
            let s = parse_schedule(schedule).map_err(frontdesk_store::StoreError::Invalid)?;
            let next_run_at = next_after(&s, now_ms()).unwrap_or(i64::MAX);
            let r = Recurring {
                name: name.clone(),
                schedule: schedule.clone(),
                kind: kind.clone(),
                payload: payload.clone(),
                next_run_at,
            };
            store::upsert_recurring(&mut db, &r).await?;
        }
        Ok(())
    }

    /// Enqueues every due occurrence of recurring jobs; returns how many were enqueued.
    pub async fn tick_recurring(&self) -> frontdesk_store::Result<usize> {
        let now = now_ms();
        let mut db = self.db.clone();
        let mut n = 0;
        for r in store::due_recurring(&mut db, now).await? {
            let Ok(s) = parse_schedule(&r.schedule) else {
                continue;
            };
            // Catch up at most to the next future occurrence: missed runs collapse into one.
            let next = next_after(&s, now).unwrap_or(i64::MAX);
            let mut tx = self.db.begin().await?;
            if store::advance_recurring(&mut tx, &r.name, r.next_run_at, next).await? {
                let j = NewJob {
                    kind: r.kind.clone(),
                    payload: r.payload.clone(),
                    business: None,
                    run_at: now,
                    max_attempts: RECURRING_MAX_ATTEMPTS,
                    idempotency_key: Some(format!("cron:{}:{}", r.name, r.next_run_at)),
                };
                store::enqueue(&mut tx, &j, now).await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Claims due jobs for every kind that has free slots and starts them in `set`.
    async fn claim_into(
        &self,
        set: &mut JoinSet<(String, JobResult)>,
    ) -> frontdesk_store::Result<usize> {
        let mut started = 0;
        for (kind, k) in &self.kinds {
            let free = k.slots.available_permits();
            if free == 0 {
                continue;
            }
            let now = now_ms();
            let lease_until = now + self.cfg.lease.as_millis() as i64;
            let mut db = self.db.clone();
            let jobs =
                store::claim(&mut db, kind, &self.worker, free as u32, lease_until, now).await?;
            for job in jobs {
                let Ok(permit) = k.slots.clone().try_acquire_owned() else {
                    break;
                };
                let handler = k.handler.clone();
                started += 1;
                set.spawn(async move {
                    let id = job.id.clone();
                    // A panicking handler is a failed attempt, not a dead runner.
                    let result = match tokio::spawn(handler(job)).await {
                        Ok(r) => r,
                        Err(e) => Err(format!("handler panicked: {e}")),
                    };
                    drop(permit);
                    (id, result)
                });
            }
        }
        Ok(started)
    }

    async fn finish(&self, id: &str, result: JobResult) -> frontdesk_store::Result<()> {
        let mut db = self.db.clone();
        let now = now_ms();
        match result {
            Ok(()) => {
                store::complete(&mut db, id, &self.worker, now).await?;
            }
            Err(msg) => {
                let job = store::get(&mut db, id).await?;
                let retry_at = (job.attempts < job.max_attempts)
                    .then(|| now + backoff(&self.cfg, job.attempts).as_millis() as i64);
                if retry_at.is_none() {
                    tracing::warn!(
                        job = id,
                        kind = job.kind,
                        attempts = job.attempts,
                        error = msg,
                        "job is dead"
                    );
                } else {
                    tracing::info!(
                        job = id,
                        kind = job.kind,
                        attempt = job.attempts,
                        error = msg,
                        "job failed, will retry"
                    );
                }
                store::fail(&mut db, id, &self.worker, &msg, retry_at, now).await?;
            }
        }
        Ok(())
    }

    /// Runs until nothing is due: claims, runs and settles jobs. For tests and one-shot use.
    pub async fn drain(&self) -> frontdesk_store::Result<usize> {
        let mut total = 0;
        loop {
            self.tick_recurring().await?;
            let mut set = JoinSet::new();
            let started = self.claim_into(&mut set).await?;
            if started == 0 {
                return Ok(total);
            }
            while let Some(r) = set.join_next().await {
                if let Ok((id, result)) = r {
                    self.finish(&id, result).await?;
                }
            }
            total += started;
        }
    }

    /// Runs until `shutdown` turns true; then stops claiming, waits up to the grace period for
    /// running jobs and gives the rest back to the queue.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if let Err(e) = self.install_recurring().await {
            tracing::error!(error = %e, "installing recurring jobs");
        }
        let mut db = self.db.clone();
        match store::reclaim(&mut db, &self.worker, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                worker = self.worker,
                jobs = n,
                "took back jobs held when this process last stopped"
            ),
            Err(e) => tracing::error!(error = %e, "taking back jobs held before a restart"),
        }
        let kinds: Vec<(&String, usize)> =
            self.kinds.iter().map(|(k, v)| (k, v.concurrency)).collect();
        tracing::info!(worker = self.worker, ?kinds, "job runner started");
        let mut set: JoinSet<(String, JobResult)> = JoinSet::new();
        let mut heartbeat = tokio::time::interval(self.cfg.lease / 3);
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.tick_recurring().await {
                tracing::warn!(error = %e, "recurring jobs");
            }
            if let Err(e) = self.claim_into(&mut set).await {
                tracing::warn!(error = %e, "claiming jobs");
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                _ = heartbeat.tick() => {
                    let mut db = self.db.clone();
                    let until = now_ms() + self.cfg.lease.as_millis() as i64;
                    if let Err(e) = store::extend_leases(&mut db, &self.worker, until).await {
                        tracing::warn!(error = %e, "renewing job leases");
                    }
                }
                Some(Ok((id, result))) = set.join_next(), if !set.is_empty() => {
                    if let Err(e) = self.finish(&id, result).await {
                        tracing::warn!(job = id, error = %e, "recording job result");
                    }
                }
            }
        }
        tracing::info!(running = set.len(), "job runner stopping");
        let deadline = tokio::time::sleep(self.cfg.shutdown_grace);
        tokio::pin!(deadline);
        while !set.is_empty() {
            tokio::select! {
                _ = &mut deadline => break,
                Some(Ok((id, result))) = set.join_next() => {
                    let _ = self.finish(&id, result).await;
                }
            }
        }
        set.abort_all();
        let mut db = self.db.clone();
        for id in self.running_ids().await {
            if let Ok(true) = store::release(&mut db, &id, &self.worker, now_ms()).await {
                tracing::info!(job = id, "job given back to the queue");
            }
        }
    }

    async fn running_ids(&self) -> Vec<String> {
        let mut db = self.db.clone();
        store::held_by(&mut db, &self.worker)
            .await
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
