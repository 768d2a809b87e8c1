//! The dashboard's server time with a busy business: 5,000 customers, 10,000 conversations and
//! 50,000 messages (and a call for every fifth conversation), on SQLite and on PostgreSQL (a
//! throw-away server, when PostgreSQL is installed). Each main page is asked for 300 times
//! through the router, signed in as the owner; then the live feed's delay: from a call's turn
//! webhook arriving to its event reaching a client of `/app/live` over a served port.
//! Run: `cargo bench -p frontdesk-web --bench pages`.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use frontdesk_desk::admin as manage;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::Channel;
use frontdesk_store::calls::NewCall;
use frontdesk_store::conversations::NewMessage;
use frontdesk_store::customers::CustomerFields;
use frontdesk_store::states::{CallStatus, MessageRole};
use frontdesk_store::{Db, now_ms};
use frontdesk_web::{AppState, Config, Secret};
use tower::ServiceExt;

mod common;
use common::{percentile, print_latencies};

const CUSTOMERS: usize = 5_000;
const CONVERSATIONS: usize = 10_000;
const MESSAGES_EACH: usize = 5;
const ASKS: usize = 300;
const TOKEN: &str = "bench-twilio-token";
const ACCOUNT: &str = "AC00000000000000000000000000000042";

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("fd-bench-pages-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let sqlite = format!("sqlite://{}", dir.join("b.db").display());
        run("SQLite", &sqlite, &dir).await?;
        match frontdesk_store::testing::postgres_url().await {
            Some(url) => run("PostgreSQL", &url, &dir).await?,
            None => println!("PostgreSQL: not installed here; skipped"),
        }
        let _ = std::fs::remove_dir_all(&dir);
        anyhow::Ok(())
    })
}

async fn run(backend: &str, url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    let businesses = manage::load_demo(&db, &manage::demo_profiles()?, &[], true).await?;
    let rooter = businesses
        .iter()
        .find(|b| b.slug == "rapid-rooter")
        .ok_or_else(|| anyhow::anyhow!("no rapid-rooter"))?
        .clone();
    let t0 = Instant::now();
    let (probe, customer) = seed(&db, &rooter.id).await?;
    println!(
        "{backend}: seeded {CUSTOMERS} customers, {CONVERSATIONS} conversations, {} messages in {:.1} s",
        CONVERSATIONS * MESSAGES_EACH,
        t0.elapsed().as_secs_f64()
    );
    manage::demo_owner(&db, &rooter.id, "owner@bench.test", "bench owner password").await?;
    let owner =
        frontdesk_store::accounts::user_by_email(&mut db.clone(), "owner@bench.test").await?;
    let sid = "fds_bench-session";
    let now = now_ms();
    frontdesk_store::accounts::create_web_session(
        &mut db.clone(),
        &frontdesk_desk::accounts::sha256_hex(sid),
        &owner.user.id,
        "bench-csrf",
        now,
        now + 3_600_000,
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut cfg = Config::default();
    cfg.twilio.auth_token = Secret::new(TOKEN);
    cfg.public_url = base.clone();
    cfg.data_dir = dir.to_path_buf();
    // One person asks for thousands of pages here; the per-person limit is for people.
    cfg.server.api_requests_per_minute = 1_000_000;
    cfg.server.api_requests_per_minute_per_business = 1_000_000;
    let st = AppState::new(db.clone(), cfg).await?;
    let app = frontdesk_web::router(st.clone());
    tokio::spawn(frontdesk_web::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));

    let cookie = format!("fd_session={sid}");
    println!("{backend}: server time of each page, {ASKS} asks, signed in as the owner");
    for (label, path) in [
        ("home", "/app?b=rapid-rooter".to_owned()),
        (
            "conversations",
            "/app/conversations?b=rapid-rooter".to_owned(),
        ),
        (
            "a conversation",
            format!("/app/conversations/{probe}?b=rapid-rooter"),
        ),
        ("questions", "/app/questions?b=rapid-rooter".to_owned()),
        ("messages", "/app/messages?b=rapid-rooter".to_owned()),
        ("customers", "/app/customers?b=rapid-rooter".to_owned()),
        (
            "customers by name, searched",
            "/app/customers?b=rapid-rooter&sort=name&q=customer+12".to_owned(),
        ),
        (
            "a customer",
            format!("/app/customers/{customer}?b=rapid-rooter"),
        ),
        (
            "appointments, a week",
            "/app/appointments?b=rapid-rooter".to_owned(),
        ),
        (
            "analytics, 30 days",
            "/app/analytics?b=rapid-rooter".to_owned(),
        ),
        ("settings", "/app/settings?b=rapid-rooter".to_owned()),
    ] {
        let mut times = Vec::with_capacity(ASKS);
        let mut size = 0;
        for _ in 0..ASKS {
            let req = Request::get(path.as_str())
                .header("cookie", &cookie)
                .body(Body::empty())?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await?;
            let status = resp.status();
            size = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await?
                .len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(status == 200, "{path}: {status}");
        }
        if path.starts_with("/app/analytics") {
            // The first ask counts the closed days and keeps them; the rest read what was kept.
            println!("  {label}: first ask {:.2} ms", times[0]);
        }
        times.sort_by(f64::total_cmp);
        print_latencies(&format!("{label} ({:.1} KB)", size as f64 / 1024.0), &times);
    }
    live_delay(backend, &st, &base, &cookie).await?;
    Ok(())
}

/// Customers, conversations with their messages, and calls for some.
async fn seed(db: &Db, b: &frontdesk_store::BusinessId) -> anyhow::Result<(String, String)> {
    let start = now_ms() - 20 * 86_400_000;
    let mut tx = db.begin().await?;
    let mut customers = Vec::with_capacity(CUSTOMERS);
    for i in 0..CUSTOMERS {
        let f = CustomerFields {
            name: Some(format!("Customer {i}")),
            phone: Some(PhoneE164::parse(&format!("+1720{:07}", 1_000_000 + i))?),
            email: None,
            notes: None,
            tags: vec![],
        };
        customers.push(tx.tenant(b).create_customer(&f, start).await?.id);
    }
    let mut probe = String::new();
    for i in 0..CONVERSATIONS {
        let at = start + (i as i64) * 150_000;
        let channel = [Channel::Voice, Channel::Sms, Channel::Web][i % 3];
        let address = format!("+1720{:07}", 1_000_000 + i % CUSTOMERS);
        let mut t = tx.tenant(b);
        let c = t
            .create_conversation(
                channel,
                Some(&address),
                Some(&customers[i % CUSTOMERS]),
                "{}",
                at,
            )
            .await?;
        for m in 0..MESSAGES_EACH {
            let role = if m % 2 == 0 {
                MessageRole::Agent
            } else {
                MessageRole::Caller
            };
            t.add_message(
                &c.id,
                &NewMessage::new(role, "Thanks for calling, how can I help you today?"),
                at + m as i64,
            )
            .await?;
        }
        if i % 5 == 0 {
            let sid = format!("CA{i:032}");
            t.create_call(
                &NewCall {
                    call_sid: &sid,
                    conversation: Some(&c.id),
                    from: &address,
                    to: "+13035550140",
                    direction: "inbound",
                    mode: "gather",
                    status: CallStatus::Completed,
                },
                at,
            )
            .await?;
        }
        probe = c.id.to_string();
    }
    tx.commit().await?;
    Ok((probe, customers[CUSTOMERS / 2].to_string()))
}

/// From a turn's webhook arriving to its event at a client of the live feed.
async fn live_delay(backend: &str, st: &AppState, base: &str, cookie: &str) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{base}/app/live?b=rapid-rooter"))
        .header("cookie", cookie)
        .send()
        .await?;
    anyhow::ensure!(resp.status() == 200, "live: {}", resp.status());
    let mut events = resp;
    let hook = |path: &str, params: Vec<(&str, String)>| {
        let mut all: Vec<(String, String)> = vec![("AccountSid".into(), ACCOUNT.into())];
        all.extend(params.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let url = format!("{base}{path}");
        let sig = frontdesk_desk::providers::twilio::signature(TOKEN, &url, &all);
        http.post(url)
            .header("x-twilio-signature", sig)
            .form(&all)
            .send()
    };
    let rounds = 200;
    let mut delays = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let sid = format!("CA{:032}", 9_000_000 + i);
        let base_params = |extra: Vec<(&'static str, String)>| {
            let mut p = vec![
                ("CallSid", sid.clone()),
                ("From", format!("+1303555{:04}", i % 10_000)),
                ("To", "+13035550140".to_owned()),
                ("Direction", "inbound".to_owned()),
            ];
            p.extend(extra);
            p
        };
        // The call opens (its `started` event is read and dropped), then one turn is timed.
        hook(
            "/twilio/voice",
            base_params(vec![("CallStatus", "ringing".into())]),
        )
        .await?;
        next_event(&mut events, "started").await?;
        let t = Instant::now();
        let gather = format!("/twilio/voice/gather?b={}&n=1", rapid(st).await?.as_str());
        let sent = hook(
            &gather,
            base_params(vec![
                ("CallStatus", "in-progress".into()),
                ("SpeechResult", "what areas do you serve".into()),
                ("Confidence", "0.9".into()),
            ]),
        );
        let (r, e) = tokio::join!(sent, next_event(&mut events, "turn"));
        r?;
        e?;
        delays.push(t.elapsed().as_secs_f64() * 1e3);
    }
    delays.sort_by(f64::total_cmp);
    println!(
        "{backend}: live feed, from a turn's webhook to its event at the client ({rounds} turns)"
    );
    print_latencies("webhook → event", &delays);
    println!("  p99: {:.2} ms", percentile(&delays, 0.99));
    Ok(())
}

async fn rapid(st: &AppState) -> anyhow::Result<frontdesk_store::BusinessId> {
    Ok(
        frontdesk_store::businesses::get_by_slug(&mut st.db.clone(), "rapid-rooter")
            .await?
            .id,
    )
}

/// Reads the stream until an event of `kind` has come whole.
async fn next_event(events: &mut reqwest::Response, kind: &str) -> anyhow::Result<()> {
    let want = format!("event: {kind}\n");
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .map_err(|_| anyhow::anyhow!("no {kind} event"))??
            .ok_or_else(|| anyhow::anyhow!("the feed ended"))?;
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(at) = seen.find(&want)
            && seen[at..].contains("\n\n")
        {
            return Ok(());
        }
    }
}
