//! Every kind of durable job, and their registration with the runner in one place. A job is a
//! payload struct implementing [`Job`]: its kind, how many run at once, how often it is tried,
//! and what it does. Jobs are queued only through [`enqueue`], in the transaction of the work
//! that calls for them.

use std::future::Future;

use frontdesk_jobs::Runner;
use frontdesk_store::jobs::NewJob;
use frontdesk_store::{Exec, StoreError, Tenant};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::Desk;

pub use crate::actions::appointments::Remind;
pub use crate::calls::FetchCallPrice;
pub use crate::emails::SendEmail;
pub use crate::texts::{HandleText, SendText};

/// A kind of job: the payload is this struct, stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// The kind's name in the queue (and the API's job listings).
    const KIND: &'static str;
    /// At most this many run at once in one process.
    const CONCURRENCY: usize;
    /// Tries before the job is dead (kept, with its last error, for a person to look at).
    const MAX_ATTEMPTS: u32 = 10;

    /// Does the work. Runs at least once: it must be safe to run again after a crash.
    fn run(self, desk: Desk) -> impl Future<Output = Result<(), String>> + Send;
}

/// Tries for a job that sends to a customer or the owner: with the queue's default backoff (2 s
/// doubling to an hour) they span more than a day, so a provider's outage of hours delays a
/// reply but does not drop it.
pub const SEND_ATTEMPTS: u32 = 40;

/// Queues `job` for the tenant's business in whatever transaction the tenant is in, to run at
/// `run_at` (milliseconds since the epoch). A second job with the same `key` is not queued.
pub async fn enqueue<J: Job, E: Exec>(
    t: &mut Tenant<E>,
    job: &J,
    run_at: i64,
    key: String,
    now: i64,
) -> Result<String, StoreError> {
    let payload = serde_json::to_value(job).map_err(|e| StoreError::backend("encoding job", e))?;
    t.enqueue_job(
        NewJob {
            kind: J::KIND.to_owned(),
            payload,
            business: None,
            run_at,
            max_attempts: J::MAX_ATTEMPTS,
            idempotency_key: Some(key),
        },
        now,
    )
    .await
}

/// Deletes expired refresh tokens (daily).
#[derive(Serialize, serde::Deserialize)]
pub struct PurgeRefreshTokens {}

impl Job for PurgeRefreshTokens {
    const KIND: &'static str = "auth.purge_refresh_tokens";
    const CONCURRENCY: usize = 1;

    async fn run(self, desk: Desk) -> Result<(), String> {
        frontdesk_store::accounts::purge_refresh_tokens(&desk.db, frontdesk_store::now_ms())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Runs `J` jobs with the runner.
fn add<J: Job>(r: &mut Runner, desk: &Desk) {
    let d = desk.clone();
    r.register(J::KIND, J::CONCURRENCY, move |job| {
        let desk = d.clone();
        let span = tracing::info_span!(
            "job",
            kind = J::KIND,
            id = %job.id,
            business = job.business_id.as_deref().unwrap_or(""),
            attempt = job.attempts
        );
        async move {
            let payload: J = serde_json::from_value(job.payload)
                .map_err(|e| format!("{} payload: {e}", J::KIND))?;
            payload.run(desk).await
        }
        .instrument(span)
    });
}

/// Registers every job kind, and the recurring ones, with the runner.
pub fn register(r: &mut Runner, desk: &Desk) -> Result<(), String> {
    add::<SendEmail>(r, desk);
    add::<Remind>(r, desk);
    add::<HandleText>(r, desk);
    add::<SendText>(r, desk);
    add::<FetchCallPrice>(r, desk);
    add::<PurgeRefreshTokens>(r, desk);
    add::<crate::alerts::Digest>(r, desk);
    r.recurring(
        "purge-refresh-tokens",
        "17 3 * * *",
        PurgeRefreshTokens::KIND,
        serde_json::json!({}),
    )
}

#[cfg(test)]
mod send_retry_tests {
    use super::*;

    #[test]
    fn sends_are_retried_for_more_than_a_day() {
        let cfg = frontdesk_jobs::RunnerConfig::default();
        let span: std::time::Duration = (1..i64::from(SEND_ATTEMPTS))
            .map(|a| frontdesk_jobs::backoff(&cfg, a))
            .sum();
        assert!(
            span >= std::time::Duration::from_secs(24 * 3600),
            "{span:?}"
        );
        assert_eq!(SendText::MAX_ATTEMPTS, SEND_ATTEMPTS);
        assert_eq!(SendEmail::MAX_ATTEMPTS, SEND_ATTEMPTS);
    }
}
