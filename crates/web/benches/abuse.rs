//! What abuse costs everyone else. First `/healthz` latency on its own, then while clients flood
//! the import endpoint with hostile 1 MiB profiles (a mebibyte of `[`, the document that once
//! took 21 s of CPU): each is read within the YAML reader's budgets on a blocking thread and
//! refused. Then the money guards on the SMS path: the per-text segment cap and the store reads
//! made before each send (the hourly cap on one number, the order wait, the lead-alert window,
//! the daily budget), against a table of 20,000 texts; and the call budget read when a call
//! comes in, against 3,000 calls. Run: `cargo bench -p frontdesk-web --bench abuse`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use frontdesk_desk::admin as manage;
use frontdesk_desk::outbox;
use frontdesk_desk::providers::twilio::segments;
use frontdesk_engine::agent::Channel;
use frontdesk_store::now_ms;

mod common;

use common::{percentile, print_latencies};

const PROBES: usize = 2_000;
const FLOODERS: usize = 4;

async fn healthz(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<f64>> {
    let mut v = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let t = Instant::now();
        let r = http.get(format!("{base}/healthz")).send().await?;
        anyhow::ensure!(r.status() == 200, "healthz {}", r.status());
        r.bytes().await?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(f64::total_cmp);
    Ok(v)
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        // No API rate limit here: every upload is read and parsed, the worst case.
        let (st, listener, base, dir) = common::demo_app_with(
            "abuse",
            "unused",
            |_| {},
            |c| {
                c.server.api_requests_per_minute = u32::MAX;
            },
        )
        .await?;
        manage::create_operator(&st.db, "op@bench.test", None, "bench password").await?;
        let mut db = st.db.clone();
        let op = frontdesk_store::accounts::user_by_email(&mut db, "op@bench.test").await?;
        let (token, _) = st.tokens.issue(&op.user.id, true, None)?;
        let app = frontdesk_web::router(st.clone());
        tokio::spawn(frontdesk_web::serve(listener, app, std::future::pending()));
        let http = common::http_client(FLOODERS + 1)?;

        println!("/healthz, {PROBES} requests one after another");
        let alone = healthz(&http, &base).await?;
        print_latencies("alone", &alone);

        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let hostile = "[".repeat(1 << 20);
        let mut floods = Vec::new();
        for _ in 0..FLOODERS {
            let (http, base, token, body) =
                (http.clone(), base.clone(), token.clone(), hostile.clone());
            let (stop, refused) = (stop.clone(), refused.clone());
            floods.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let r = http
                        .post(format!("{base}/api/v1/businesses/import"))
                        .bearer_auth(&token)
                        .header("content-type", "application/yaml")
                        .body(body.clone())
                        .send()
                        .await;
                    if let Ok(r) = r {
                        if r.status().is_client_error() {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = r.bytes().await;
                    }
                }
            }));
        }
        let started = Instant::now();
        let flooded = healthz(&http, &base).await?;
        let secs = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for f in floods {
            let _ = f.await;
        }
        println!(
            "/healthz while {FLOODERS} clients upload hostile 1 MiB profiles ({} refused, {:.0}/s)",
            refused.load(Ordering::Relaxed),
            refused.load(Ordering::Relaxed) as f64 / secs
        );
        print_latencies("flooded", &flooded);
        println!(
            "  p99 flooded / alone: {:.2}",
            percentile(&flooded, 0.99) / percentile(&alone, 0.99)
        );

        // The money guards.
        let b = frontdesk_store::businesses::get_by_slug(&mut db, "tonys-pizza")
            .await?
            .id;
        let now = now_ms();
        let mut tx = st.db.begin().await?;
        for i in 0..20_000 {
            let to = format!("+1617555{:04}", i % 2_000);
            let mut t = tx.tenant(&b);
            outbox::queue_text(
                &mut t,
                None,
                Channel::Sms,
                "reply",
                "+16175550120",
                &to,
                "Your order is ready for pickup.",
                None,
                now - (i as i64) * 1_000,
            )
            .await?;
        }
        tx.commit().await?;
        // Every one of them handed to Twilio, as the send job does: tallied for the budget.
        let mut tx = st.db.begin().await?;
        {
            let mut t = tx.tenant(&b);
            for m in t.texts(None, None, 20_000).await? {
                t.text_in_flight(&m.id, m.created_at).await?;
            }
        }
        tx.commit().await?;
        let reply =
            "So that's one large margherita pizza, for pickup. Shall I place the order? ".repeat(3);
        let n = 20_000;
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::black_box(segments::cap(
                std::hint::black_box(&reply),
                outbox::MAX_SEGMENTS_PER_TEXT,
            ));
        }
        let cap_us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        let texts = st.db.tenant(&b).texts(None, None, 100).await?;
        let probe = texts
            .last()
            .map(|m| m.id.clone())
            .ok_or_else(|| anyhow::anyhow!("no texts"))?;
        let n = 2_000;
        let mut per = Vec::with_capacity(n);
        let mut parts = [0f64; 4];
        for i in 0..n {
            let to = format!("+1617555{:04}", i % 2_000);
            let mut t = st.db.tenant(&b);
            let t0 = Instant::now();
            t.segments_sent_to(&to, now - 3_600_000).await?;
            let t1 = Instant::now();
            t.earlier_unsent_to(&to, &probe, now - 86_400_000).await?;
            let t2 = Instant::now();
            t.last_notice_at("lead_alert").await?;
            let t3 = Instant::now();
            t.segments_sent_since(now - 86_400_000).await?;
            let t4 = Instant::now();
            parts[0] += (t1 - t0).as_secs_f64() * 1e6;
            parts[1] += (t2 - t1).as_secs_f64() * 1e6;
            parts[2] += (t3 - t2).as_secs_f64() * 1e6;
            parts[3] += (t4 - t3).as_secs_f64() * 1e6;
            per.push((t4 - t0).as_secs_f64() * 1e6);
        }
        per.sort_by(f64::total_cmp);
        println!("money guards per outbound text (20,000 texts stored, SQLite)");
        println!("  segment cap: {cap_us:.2} µs");
        println!(
            "  store reads: p50 {:.1} µs, p99 {:.1} µs (mean: hourly cap {:.1}, order wait {:.1}, lead window {:.1}, daily budget {:.1})",
            percentile(&per, 0.5),
            percentile(&per, 0.99),
            parts[0] / n as f64,
            parts[1] / n as f64,
            parts[2] / n as f64,
            parts[3] / n as f64
        );

        // The call budget, read when a call comes in: 3,000 calls in the last day.
        let mut tx = st.db.begin().await?;
        for i in 0..3_000i64 {
            let sid = format!("CA{i:032}");
            let from = format!("+1617556{:04}", i % 2_000);
            let mut t = tx.tenant(&b);
            t.create_call(
                &frontdesk_store::calls::NewCall {
                    call_sid: &sid,
                    conversation: None,
                    from: &from,
                    to: "+16175550120",
                    direction: "inbound",
                    mode: "gather",
                    status: frontdesk_store::states::CallStatus::Completed,
                },
                now - i * 20_000,
            )
            .await?;
        }
        tx.commit().await?;
        let mut per = Vec::with_capacity(n);
        for _ in 0..n {
            let mut t = st.db.tenant(&b);
            let t0 = Instant::now();
            std::hint::black_box(t.call_seconds_since(now - 86_400_000, now).await?);
            per.push(t0.elapsed().as_secs_f64() * 1e6);
        }
        per.sort_by(f64::total_cmp);
        println!(
            "call budget per incoming call (3,000 calls in the day): p50 {:.1} µs, p99 {:.1} µs",
            percentile(&per, 0.5),
            percentile(&per, 0.99)
        );
        let _ = std::fs::remove_dir_all(dir);
        anyhow::Ok(())
    })
}
