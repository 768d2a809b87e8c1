//! The job queue on both engines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontdesk_store::jobs::{self as store, Recurring};
use frontdesk_store::states::JobStatus;
use frontdesk_store::{Db, Exec, both_backends, now_ms};
use serde_json::json;
use tokio::sync::watch;

use super::*;

/// Options for [`enqueue`], the queue's tests' way to put any job in.
#[derive(Debug, Clone)]
struct Options {
    run_at: Option<i64>,
    max_attempts: u32,
    idempotency_key: Option<String>,
    business: Option<frontdesk_store::BusinessId>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            run_at: None,
            max_attempts: 8,
            idempotency_key: None,
            business: None,
        }
    }
}

/// Enqueues a job in the transaction (or database) `e`; returns the job id.
async fn enqueue(
    e: &mut impl Exec,
    kind: &str,
    payload: serde_json::Value,
    o: Options,
) -> frontdesk_store::Result<String> {
    let now = now_ms();
    let j = NewJob {
        kind: kind.to_owned(),
        payload,
        business: o.business,
        run_at: o.run_at.unwrap_or(now),
        max_attempts: o.max_attempts.max(1),
        idempotency_key: o.idempotency_key,
    };
    store::enqueue(e, &j, now).await
}

fn quick() -> RunnerConfig {
    RunnerConfig {
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        backoff_base: Duration::ZERO,
        backoff_max: Duration::ZERO,
        shutdown_grace: Duration::from_millis(200),
    }
}

async fn status(db: &Db, id: &str) -> store::Job {
    store::get(&mut db.clone(), id).await.unwrap()
}

both_backends!(
    job_enqueued_in_rolled_back_transaction_never_exists,
    idempotency_key_enqueues_once,
    failing_job_retries_with_backoff_then_dies,
    scheduled_job_waits_for_its_time,
    job_of_a_dead_worker_is_taken_over_after_its_lease,
    two_runners_never_run_a_job_twice,
    recurring_job_is_enqueued_once_per_occurrence,
    shutdown_gives_unfinished_jobs_back,
    panicking_handler_is_a_failed_attempt,
    concurrency_limit_is_respected,
);

async fn job_enqueued_in_rolled_back_transaction_never_exists(db: Db) {
    let id = {
        let mut tx = db.begin().await.unwrap();
        enqueue(&mut tx, "k", json!({}), Options::default())
            .await
            .unwrap()
    };
    // Never committed, so never visible, whenever the rollback itself runs.
    assert!(store::get(&mut db.clone(), &id).await.is_err());
    let mut tx = db.begin().await.unwrap();
    let id = enqueue(&mut tx, "k", json!({"n": 1}), Options::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let j = status(&db, &id).await;
    assert_eq!(
        (j.status.as_str(), j.payload.clone()),
        ("queued", json!({"n": 1}))
    );
}

async fn idempotency_key_enqueues_once(db: Db) {
    let o = || Options {
        idempotency_key: Some("order-42-confirmation".into()),
        ..Options::default()
    };
    let a = enqueue(&mut db.clone(), "sms", json!({"to": 1}), o())
        .await
        .unwrap();
    let b = enqueue(&mut db.clone(), "sms", json!({"to": 2}), o())
        .await
        .unwrap();
    assert_eq!(a, b);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let mut r = Runner::new(db.clone(), quick());
    let seen = ran.clone();
    r.register("sms", 2, move |j| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(j.payload);
            Ok(())
        }
    });
    assert_eq!(r.drain().await.unwrap(), 1);
    assert_eq!(*ran.lock().unwrap(), vec![json!({"to": 1})]);
}

async fn failing_job_retries_with_backoff_then_dies(db: Db) {
    let id = enqueue(
        &mut db.clone(),
        "flaky",
        json!({}),
        Options {
            max_attempts: 3,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut r = Runner::new(db.clone(), quick());
    r.register("flaky", 1, |j| async move {
        Err(format!("boom on attempt {}", j.attempts))
    });
    r.drain().await.unwrap();
    let j = status(&db, &id).await;
    assert_eq!(j.status, JobStatus::Dead);
    assert_eq!(j.attempts, 3);
    assert_eq!(j.last_error.as_deref(), Some("boom on attempt 3"));
    // Backoff doubles and is capped.
    let cfg = RunnerConfig {
        backoff_base: Duration::from_secs(2),
        backoff_max: Duration::from_secs(60),
        ..quick()
    };
    let delays: Vec<u64> = (1..=7).map(|a| backoff(&cfg, a).as_secs()).collect();
    assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60]);
    // A retry is scheduled in the future, not run at once.
    let id2 = enqueue(
        &mut db.clone(),
        "slow-retry",
        json!({}),
        Options {
            max_attempts: 5,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut r = Runner::new(
        db.clone(),
        RunnerConfig {
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(600),
            ..quick()
        },
    );
    r.register("slow-retry", 1, |_| async { Err("down".into()) });
    assert_eq!(r.drain().await.unwrap(), 1);
    let j = status(&db, &id2).await;
    assert_eq!((j.status.as_str(), j.attempts), ("queued", 1));
    assert!(j.run_at >= now_ms() + 55_000, "retry waits for its backoff");
}

async fn scheduled_job_waits_for_its_time(db: Db) {
    let later = now_ms() + 3_600_000;
    let id = enqueue(
        &mut db.clone(),
        "remind",
        json!({}),
        Options {
            run_at: Some(later),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut r = Runner::new(db.clone(), quick());
    r.register("remind", 1, |_| async { Ok(()) });
    assert_eq!(r.drain().await.unwrap(), 0);
    assert_eq!(status(&db, &id).await.status, JobStatus::Queued);
    enqueue(
        &mut db.clone(),
        "remind",
        json!({}),
        Options {
            run_at: Some(now_ms() - 1),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.drain().await.unwrap(), 1);
}

async fn job_of_a_dead_worker_is_taken_over_after_its_lease(db: Db) {
    let id = enqueue(&mut db.clone(), "work", json!({}), Options::default())
        .await
        .unwrap();
    // A worker claims it with a lease that has already lapsed, then "dies".
    let now = now_ms();
    let claimed = store::claim(&mut db.clone(), "work", "dead-worker", 1, now - 1, now)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let mut r = Runner::new(db.clone(), quick());
    r.register("work", 1, |_| async { Ok(()) });
    assert_eq!(r.drain().await.unwrap(), 1);
    let j = status(&db, &id).await;
    assert_eq!((j.status.as_str(), j.attempts), ("done", 2));
    // The dead worker cannot overwrite the outcome when it comes back.
    assert!(
        !store::complete(&mut db.clone(), &id, "dead-worker", now_ms())
            .await
            .unwrap()
    );
    assert!(
        !store::fail(&mut db.clone(), &id, "dead-worker", "late", None, now_ms())
            .await
            .unwrap()
    );
    assert_eq!(status(&db, &id).await.status, JobStatus::Done);
}

async fn two_runners_never_run_a_job_twice(db: Db) {
    const N: usize = 120;
    for i in 0..N {
        enqueue(
            &mut db.clone(),
            "count",
            json!({"i": i}),
            Options::default(),
        )
        .await
        .unwrap();
    }
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let make = |name: &'static str| {
        let mut r = Runner::new(db.clone(), quick());
        let runs = runs.clone();
        r.register("count", 4, move |j| {
            let runs = runs.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                *runs.lock().unwrap().entry(j.id).or_default() += 1;
                let _ = name;
                Ok(())
            }
        });
        r
    };
    let (a, b) = (make("a"), make("b"));
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    assert_eq!(ra.unwrap() + rb.unwrap(), N);
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), N);
    assert!(runs.values().all(|&n| n == 1), "every job ran exactly once");
    assert_eq!(
        store::by_status(&mut db.clone(), JobStatus::Done, 1000)
            .await
            .unwrap()
            .len(),
        N
    );
}

async fn recurring_job_is_enqueued_once_per_occurrence(db: Db) {
    let due = now_ms() - 1_000;
    let r = Recurring {
        name: "nightly".into(),
        schedule: "0 3 * * *".into(),
        kind: "report".into(),
        payload: json!({}),
        next_run_at: due,
    };
    store::upsert_recurring(&mut db.clone(), &r).await.unwrap();
    let (a, b) = (
        Runner::new(db.clone(), quick()),
        Runner::new(db.clone(), quick()),
    );
    let (na, nb) = tokio::join!(a.tick_recurring(), b.tick_recurring());
    assert_eq!(
        na.unwrap() + nb.unwrap(),
        1,
        "one enqueue across both servers"
    );
    assert_eq!(
        a.tick_recurring().await.unwrap(),
        0,
        "the next occurrence is in the future"
    );
    let queued = store::by_status(&mut db.clone(), JobStatus::Queued, 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].idempotency_key.as_deref(),
        Some(format!("cron:nightly:{due}").as_str())
    );
    assert!(parse_schedule("61 * * * *").is_err());
    assert!(parse_schedule("*/5 * * * *").is_ok());
}

async fn shutdown_gives_unfinished_jobs_back(db: Db) {
    let id = enqueue(&mut db.clone(), "stuck", json!({}), Options::default())
        .await
        .unwrap();
    let done = enqueue(&mut db.clone(), "fast", json!({}), Options::default())
        .await
        .unwrap();
    let (tx, rx) = watch::channel(false);
    let (started_tx, mut started_rx) = tokio::sync::mpsc::channel(1);
    let mut r = Runner::new(db.clone(), quick());
    r.register("stuck", 1, move |_| {
        let started = started_tx.clone();
        async move {
            let _ = started.send(()).await;
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    r.register("fast", 1, |_| async { Ok(()) });
    let handle = tokio::spawn(r.run(rx));
    started_rx.recv().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    let j = status(&db, &id).await;
    assert_eq!(
        (j.status.as_str(), j.attempts),
        ("queued", 0),
        "released, attempt not counted"
    );
    assert_eq!(status(&db, &done).await.status, JobStatus::Done);
}

async fn panicking_handler_is_a_failed_attempt(db: Db) {
    let id = enqueue(
        &mut db.clone(),
        "bad",
        json!({}),
        Options {
            max_attempts: 1,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut r = Runner::new(db.clone(), quick());
    r.register("bad", 1, |_| async { panic!("handler bug") });
    r.drain().await.unwrap();
    let j = status(&db, &id).await;
    assert_eq!(j.status, JobStatus::Dead);
    assert!(j.last_error.unwrap().contains("panicked"));
}

async fn concurrency_limit_is_respected(db: Db) {
    for _ in 0..12 {
        enqueue(&mut db.clone(), "limited", json!({}), Options::default())
            .await
            .unwrap();
    }
    let current = Arc::new(Mutex::new((0usize, 0usize)));
    let mut r = Runner::new(db.clone(), quick());
    let c = current.clone();
    r.register("limited", 3, move |_| {
        let c = c.clone();
        async move {
            {
                let mut g = c.lock().unwrap();
                g.0 += 1;
                g.1 = g.1.max(g.0);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            c.lock().unwrap().0 -= 1;
            Ok(())
        }
    });
    assert_eq!(r.drain().await.unwrap(), 12);
    assert_eq!(
        current.lock().unwrap().1,
        3,
        "at most 3 at once, and 3 were used"
    );
}
