//! A whole booking through the public booking page, server time: a business with 10 staff
//! members, 5,000 future appointments and 2,000 blocks (standing for a synced calendar's busy
//! times), on SQLite and on PostgreSQL (a throw-away server, when installed). Each of 300
//! bookings is the page's form posted for the next free time (found first, unmeasured, from the
//! page itself), through the router: token check, the free times of that day, the business
//! lock, the customer, the appointment, the confirmation and reminders queued, the audit entry,
//! the commit and the page. Run: `cargo bench -p frontdesk-web --bench booking`.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use frontdesk_engine::Profile;
use frontdesk_store::appointments::NewAppointment;
use frontdesk_store::blocks::NewBlock;
use frontdesk_store::{Db, businesses, now_ms};
use frontdesk_web::{AppState, Config, Secret};
use tower::ServiceExt;

mod common;
use common::print_latencies;

const BOOKINGS: usize = 300;

fn profile() -> anyhow::Result<Profile> {
    let mut y = String::from(
        "version: 1\nslug: busy-salon\nname: Busy Salon\nkind: appointments\ntimezone: America/Chicago\nphone: \"+13125550100\"\n\
         hours: {mon: \"08:00-20:00\", tue: \"08:00-20:00\", wed: \"08:00-20:00\", thu: \"08:00-20:00\", fri: \"08:00-20:00\", sat: \"08:00-20:00\", sun: \"08:00-20:00\"}\n\
         services:\n  - {name: Cut, duration_min: 45}\nstaff:\n",
    );
    for i in 0..10 {
        y.push_str(&format!("  - {{name: Stylist{i}, services: [Cut]}}\n"));
    }
    y.push_str(
        "booking: {slot_step_min: 15, min_notice_min: 60, max_days_ahead: 90, buffer_min: 10}\n",
    );
    Ok(Profile::from_yaml(&y)?)
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("fd-bench-booking-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let sqlite = format!("sqlite://{}", dir.join("b.db").display());
        run("SQLite", &sqlite, &dir).await?;
        match frontdesk_store::testing::postgres_url().await {
            Some(url) => {
                run("PostgreSQL", &url, &dir).await?;
                // The same with commits not waiting for the disk's flush: what is the server's
                // own work, and what is this machine's fsync.
                let quick = frontdesk_store::testing::postgres_url()
                    .await
                    .ok_or_else(|| anyhow::anyhow!("a second database"))?;
                let db = Db::connect(&quick).await?;
                let name = quick
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .split('?')
                    .next()
                    .unwrap_or("");
                frontdesk_store::testing::raw_execute(
                    &db,
                    &format!("ALTER DATABASE {name} SET synchronous_commit = off"),
                )
                .await?;
                drop(db);
                run("PostgreSQL, synchronous_commit off", &quick, &dir).await?;
            }
            None => println!("PostgreSQL: not installed here; skipped"),
        }
        let _ = std::fs::remove_dir_all(&dir);
        anyhow::Ok(())
    })
}

async fn run(backend: &str, url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    let p = profile()?;
    let mut tx = db.begin().await?;
    let (b, _) = businesses::upsert_profile(&mut tx, &p, now_ms()).await?;
    tx.commit().await?;
    // 5,000 appointments: each stylist's days filled from the morning, a day ahead onwards,
    // with the afternoons left free; and 2,000 short blocks among them.
    let t0 = Instant::now();
    let start = (Utc::now() + Duration::days(1)).date_naive();
    let mut tx = db.begin().await?;
    let mut t = tx.tenant(&b.id);
    let tz = p.timezone.0;
    for i in 0..5_000_i64 {
        let (staff, k) = (i % 10, i / 10);
        let day = start + Duration::days(k / 6);
        let at = chrono::TimeZone::from_local_datetime(
            &tz,
            &day.and_hms_opt(8, 0, 0).unwrap_or_default(),
        )
        .earliest()
        .map_or(0, |d| d.timestamp_millis())
            + (k % 6) * 55 * 60_000;
        t.book_appointment(
            &NewAppointment {
                customer: None,
                conversation: None,
                service: "Cut",
                staff: Some(&format!("Stylist{staff}")),
                start_at: at,
                end_at: at + 45 * 60_000,
                buffer_ms: 10 * 60_000,
            },
            now_ms(),
        )
        .await?;
    }
    for i in 0..2_000_i64 {
        let day = start + Duration::days(i / 40);
        let at = chrono::TimeZone::from_local_datetime(
            &tz,
            &day.and_hms_opt(19, 0, 0).unwrap_or_default(),
        )
        .earliest()
        .map_or(0, |d| d.timestamp_millis());
        t.add_block(
            &NewBlock {
                staff: Some(&format!("Stylist{}", i % 10)),
                start_at: at,
                end_at: at + 30 * 60_000,
                reason: "busy in the synced calendar",
                created_by: None,
            },
            now_ms(),
        )
        .await?;
    }
    tx.commit().await?;
    println!(
        "{backend}: seeded 5,000 appointments and 2,000 blocks in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut cfg = Config {
        public_url: "http://bench.test".into(),
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    cfg.auth.secret_key = Secret::new("YSBiZW5jaCBrZXkgdGhhdCBpcyAzMiBieXRlcyEhISE");
    cfg.server.booking_page_per_address_per_hour = 1_000_000;
    cfg.server.booking_page_per_business_per_hour = 1_000_000;
    let st = AppState::new(db.clone(), cfg).await?;
    let app = frontdesk_web::router(st);
    let get = |path: String| {
        let app = app.clone();
        async move {
            let resp = app.oneshot(Request::get(path).body(Body::empty())?).await?;
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            anyhow::Ok(String::from_utf8_lossy(&body).into_owned())
        }
    };
    let mut times = Vec::with_capacity(BOOKINGS);
    for i in 0..BOOKINGS {
        // The page's first free time (unmeasured): the time link's start.
        let html = get("/book/busy-salon?service=Cut".into()).await?;
        let at = html
            .find("&amp;start=")
            .ok_or_else(|| anyhow::anyhow!("no free time offered"))?
            + "&amp;start=".len();
        let start_q = &html[at..at + html[at..].find('"').unwrap_or(0)];
        let start: String =
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("s={start_q}"))?
                .pop()
                .map(|(_, v)| v)
                .unwrap_or_default();
        let body = serde_urlencoded::to_string([
            ("csrf", "bench-token"),
            ("service", "Cut"),
            ("start", start.as_str()),
            ("name", &format!("Bench Customer{i}")),
            ("phone", &format!("+1312555{:04}", i)),
        ])?;
        let req = Request::post("/book/busy-salon")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", "fd_book_csrf=bench-token")
            .body(Body::from(body))?;
        let t = Instant::now();
        let resp = app.clone().oneshot(req).await?;
        let status = resp.status();
        let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(status == 201, "booking {i} at {start}: {status}");
    }
    times.sort_by(f64::total_cmp);
    print_latencies(
        &format!("{backend}: a whole booking through the page, {BOOKINGS} bookings"),
        &times,
    );
    Ok(())
}
