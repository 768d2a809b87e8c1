//! What the web benches share: the three demo conversations they replay, percentiles, and (for
//! the call benches) their arguments and the demo server they call.

use std::path::PathBuf;
use std::time::Duration;

use frontdesk_desk::admin as manage;
use frontdesk_web::{AppState, Config, Secret};

/// A booking, a reservation and an order, each with a question and a goodbye: the business's
/// slug, its phone number, and the caller's turns.
#[allow(dead_code)] // the media bench's calls are quiet
pub const SCRIPTS: [(&str, &str, &[&str]); 3] = [
    (
        "rapid-rooter",
        "+13035550140",
        &[
            "my bathroom sink won't drain, can somebody come take a look",
            "monday morning if you can",
            "the first one",
            "Robin Ayers",
            "yes",
            "is the estimate free",
            "ok thanks, bye",
        ],
    ),
    (
        "sunny-storage",
        "+15125550100",
        &[
            "what's the smallest unit you have",
            "how much is it a month",
            "i'll take it",
            "starting next friday",
            "Sam Ortiz",
            "yes",
            "bye now",
        ],
    ),
    (
        "tonys-pizza",
        "+16175550120",
        &[
            "a medium pepperoni and a caesar salad please",
            "that's all",
            "pickup",
            "Lou",
            "yes",
            "how long will it take",
            "bye",
        ],
    ),
];

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `CALLS THINK_MS ROUNDS` from the command line: defaults 200 calls, 300 ms, 3 rounds.
#[allow(dead_code)] // the call benches' helpers; `turn` has no calls
pub fn call_args() -> (usize, Duration, usize) {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let calls = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let think = Duration::from_millis(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300));
    let rounds = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    (calls, think, rounds)
}

/// The demo businesses (their profiles as `adjust` leaves them) on SQLite in a fresh temporary
/// directory, and the app state for a loopback listener, with Twilio's auth token `token` and
/// the public URL set to the listener. Returns the state, the listener, its base URL and the
/// directory to remove afterwards.
#[allow(dead_code)]
pub async fn demo_app(
    name: &str,
    token: &str,
    adjust: impl FnOnce(&mut Vec<frontdesk_engine::Profile>),
) -> anyhow::Result<(AppState, tokio::net::TcpListener, String, PathBuf)> {
    demo_app_with(name, token, adjust, |_| {}).await
}

/// [`demo_app`] with its settings as `edit` leaves them.
#[allow(dead_code)]
pub async fn demo_app_with(
    name: &str,
    token: &str,
    adjust: impl FnOnce(&mut Vec<frontdesk_engine::Profile>),
    edit: impl FnOnce(&mut Config),
) -> anyhow::Result<(AppState, tokio::net::TcpListener, String, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("fd-bench-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let db =
        frontdesk_store::Db::connect(&format!("sqlite://{}", dir.join("b.db").display())).await?;
    let mut profiles = manage::demo_profiles()?;
    adjust(&mut profiles);
    manage::load_demo(&db, &profiles, &[], true).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut cfg = Config::default();
    cfg.twilio.auth_token = Secret::new(token);
    cfg.public_url = base.clone();
    cfg.data_dir = dir.clone();
    edit(&mut cfg);
    let st = AppState::new(db, cfg).await?;
    Ok((st, listener, base, dir))
}

/// An HTTP client keeping a connection per simulated call.
#[allow(dead_code)]
pub fn http_client(calls: usize) -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(calls)
        .build()?)
}

/// Prints a latency line: percentiles of `v`, which is sorted.
#[allow(dead_code)]
pub fn print_latencies(label: &str, v: &[f64]) {
    println!(
        "  {label}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(v, 0.5),
        percentile(v, 0.9),
        percentile(v, 0.99),
        v[v.len() - 1]
    );
}

/// Dials `to` as Twilio does (the signed incoming-call webhook); the TwiML that answers.
#[allow(dead_code)]
pub async fn dial(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    sid: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<String> {
    let url = format!("{base}/twilio/voice");
    let params: Vec<(String, String)> = vec![
        ("AccountSid".into(), "AC0bench".into()),
        ("CallSid".into(), sid.into()),
        ("From".into(), from.into()),
        ("To".into(), to.into()),
        ("Direction".into(), "inbound".into()),
        ("CallStatus".into(), "ringing".into()),
    ];
    let sig = frontdesk_desk::providers::twilio::signature(token, &url, &params);
    Ok(http
        .post(&url)
        .header("x-twilio-signature", sig)
        .form(&params)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}
