//! Phone calls on the TwiML loop under load: the real server on loopback with SQLite, and 200
//! simulated calls at once, each dialling in (the signed incoming-call webhook) and then speaking
//! scripted turns into each `<Gather>` it gets back, with a pause between turns as a caller
//! has. Measured: the server-side time from a webhook's arrival to its TwiML answer (a layer
//! around the whole router, so signature checking, storing the webhook and the turn's
//! transaction are all inside), and the same seen by the caller up to the response headers.
//! Run: `cargo bench -p frontdesk-web --bench calls` (`-- CALLS THINK_MS ROUNDS` to vary).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::{self, Next};

const TOKEN: &str = "bench-token";

mod common;

use common::{SCRIPTS, call_args, demo_app, http_client, print_latencies};

fn gather_action(twiml: &str) -> Option<String> {
    let g = &twiml[twiml.find("<Gather ")?..];
    let a = g.find(" action=\"")? + 9;
    let end = g[a..].find('"')?;
    Some(g[a..a + end].replace("&amp;", "&"))
}

/// One simulated call; returns the caller-side latencies of its webhooks in ms.
async fn call(
    http: reqwest::Client,
    base: String,
    sid: String,
    from: String,
    script: usize,
    think: Duration,
) -> anyhow::Result<Vec<f64>> {
    let (_, to, turns) = SCRIPTS[script];
    let mut lat = Vec::new();
    let post = |url: String, extra: Vec<(&'static str, String)>| {
        let http = http.clone();
        let mut params: Vec<(String, String)> = vec![
            ("AccountSid".into(), "AC0bench".into()),
            ("CallSid".into(), sid.clone()),
            ("From".into(), from.clone()),
            ("To".into(), to.into()),
            ("Direction".into(), "inbound".into()),
        ];
        params.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        async move {
            let sig = frontdesk_desk::providers::twilio::signature(TOKEN, &url, &params);
            let t = Instant::now();
            let resp = http
                .post(&url)
                .header("x-twilio-signature", sig)
                .form(&params)
                .send()
                .await?;
            let first = t.elapsed().as_secs_f64() * 1e3;
            anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
            let body = resp.text().await?;
            anyhow::Ok((first, body))
        }
    };
    let (ms, mut twiml) = post(
        format!("{base}/twilio/voice"),
        vec![("CallStatus", "ringing".into())],
    )
    .await?;
    lat.push(ms);
    for text in turns {
        tokio::time::sleep(think).await;
        let Some(action) = gather_action(&twiml) else {
            break;
        };
        let (ms, body) = post(
            action,
            vec![
                ("CallStatus", "in-progress".into()),
                ("SpeechResult", (*text).into()),
                ("Confidence", "0.9".into()),
            ],
        )
        .await?;
        lat.push(ms);
        twiml = body;
    }
    let (ms, _) = post(
        format!("{base}/twilio/voice/status"),
        vec![
            ("CallStatus", "completed".into()),
            ("CallDuration", "60".into()),
        ],
    )
    .await?;
    lat.push(ms);
    Ok(lat)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (calls, think, rounds) = call_args();
    let (st, listener, base, dir) = demo_app("calls", TOKEN, |_| {}).await?;
    let server_ms = Arc::new(Mutex::new(Vec::<f64>::new()));
    let rec = server_ms.clone();
    let app =
        frontdesk_web::router(st).layer(middleware::from_fn(move |req: Request, next: Next| {
            let rec = rec.clone();
            async move {
                let t = Instant::now();
                let resp = next.run(req).await;
                if let Ok(mut v) = rec.lock() {
                    v.push(t.elapsed().as_secs_f64() * 1e3);
                }
                resp
            }
        }));
    tokio::spawn(frontdesk_web::serve(listener, app, std::future::pending()));

    let http = http_client(calls)?;
    let mut client_ms = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..calls {
            let sid = format!("CA{round:04}{i:06}");
            let from = format!("+1720555{:04}", (round * calls + i) % 10_000);
            // Callers do not all speak on the same beat.
            let stagger = think.mul_f64(i as f64 / calls as f64);
            let (http, base) = (http.clone(), base.clone());
            tasks.spawn(async move {
                tokio::time::sleep(stagger).await;
                call(http, base, sid, from, i % SCRIPTS.len(), think).await
            });
        }
        while let Some(r) = tasks.join_next().await {
            client_ms.extend(r??);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let mut server = server_ms.lock().map(|v| v.clone()).unwrap_or_default();
    server.sort_by(f64::total_cmp);
    client_ms.sort_by(f64::total_cmp);
    println!(
        "{calls} concurrent calls, {} ms between turns, {rounds} rounds: {} webhooks in {secs:.1} s ({:.0}/s)",
        think.as_millis(),
        server.len(),
        server.len() as f64 / secs
    );
    for (label, v) in [
        ("server: webhook in -> TwiML out", &server),
        ("caller: request sent -> headers", &client_ms),
    ] {
        print_latencies(label, v);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
