//! Phone calls over ConversationRelay under load: the real server on loopback with SQLite, the
//! demo businesses answering in `conversation_relay` mode, and 200 simulated calls at once. Each
//! dials in (the signed incoming-call webhook), opens the WebSocket the TwiML names with a signed
//! handshake, sends `setup`, then speaks scripted turns as final `prompt`s with a pause between
//! them, reading the streamed `text` tokens. Measured at the caller's side of the socket: from
//! sending a prompt to the first token of the reply (that includes the loopback and the client's
//! own scheduling, so it bounds the server's time from above), and to the last token.
//! Run: `cargo bench -p frontdesk-web --bench relay` (`-- CALLS THINK_MS ROUNDS` to vary).

use std::time::{Duration, Instant};

use frontdesk_engine::profile::CallMode;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN: &str = "bench-token";

mod common;

use common::{SCRIPTS, call_args, demo_app, dial, http_client, print_latencies};

fn relay_url(twiml: &str) -> Option<String> {
    let c = &twiml[twiml.find("<ConversationRelay ")?..];
    let a = c.find(" url=\"")? + 6;
    let end = c[a..].find('"')?;
    Some(c[a..a + end].replace("&amp;", "&"))
}

/// One simulated call; returns (first token, last token) latencies of its turns in ms.
async fn call(
    http: reqwest::Client,
    base: String,
    sid: String,
    from: String,
    script: usize,
    think: Duration,
) -> anyhow::Result<Vec<(f64, f64)>> {
    let (_, to, turns) = SCRIPTS[script];
    let twiml = dial(&http, &base, TOKEN, &sid, &from, to).await?;
    let ws_url = relay_url(&twiml).ok_or_else(|| anyhow::anyhow!("no relay in {twiml}"))?;
    let mut req = ws_url.as_str().into_client_request()?;
    req.headers_mut().insert(
        "x-twilio-signature",
        frontdesk_desk::providers::twilio::signature(TOKEN, &ws_url, &[]).parse()?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let setup = json!({"type": "setup", "sessionId": format!("VX{sid}"), "accountSid": "AC0bench",
        "callSid": sid, "from": from, "to": to, "direction": "inbound", "callStatus": "RINGING",
        "customParameters": {}});
    ws.send(Message::Text(setup.to_string().into())).await?;
    let mut lat = Vec::new();
    for text in turns {
        tokio::time::sleep(think).await;
        let p = json!({"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": true});
        let t = Instant::now();
        ws.send(Message::Text(p.to_string().into())).await?;
        let mut first = None;
        loop {
            let Some(m) = ws.next().await else {
                anyhow::bail!("the socket closed mid-reply");
            };
            let Message::Text(m) = m? else { continue };
            let v: Value = serde_json::from_str(&m)?;
            if v["type"] == "end" {
                return Ok(lat);
            }
            if v["type"] != "text" {
                continue;
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            first.get_or_insert(ms);
            if v["last"] == true {
                lat.push((first.unwrap_or(ms), ms));
                break;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(lat)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (calls, think, rounds) = call_args();
    let (st, listener, base, dir) = demo_app("relay", TOKEN, |profiles| {
        for p in profiles {
            p.calls.mode = CallMode::ConversationRelay;
        }
    })
    .await?;
    tokio::spawn(frontdesk_web::serve(
        listener,
        frontdesk_web::router(st),
        std::future::pending(),
    ));

    let http = http_client(calls)?;
    let mut lat = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..calls {
            let sid = format!("CA{round:04}{i:06}");
            let from = format!("+1720555{:04}", (round * calls + i) % 10_000);
            let stagger = think.mul_f64(i as f64 / calls as f64);
            let (http, base) = (http.clone(), base.clone());
            tasks.spawn(async move {
                tokio::time::sleep(stagger).await;
                call(http, base, sid, from, i % SCRIPTS.len(), think).await
            });
        }
        while let Some(r) = tasks.join_next().await {
            lat.extend(r??);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let mut first: Vec<f64> = lat.iter().map(|l| l.0).collect();
    let mut last: Vec<f64> = lat.iter().map(|l| l.1).collect();
    first.sort_by(f64::total_cmp);
    last.sort_by(f64::total_cmp);
    println!(
        "{calls} concurrent ConversationRelay calls, {} ms between turns, {rounds} rounds: {} prompts in {secs:.1} s ({:.0}/s)",
        think.as_millis(),
        lat.len(),
        lat.len() as f64 / secs
    );
    for (label, v) in [
        ("prompt sent -> first token", &first),
        ("prompt sent -> last token", &last),
    ] {
        print_latencies(label, v);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
