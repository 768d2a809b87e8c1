//! Phone calls over Twilio Media Streams under load: how many calls one core carries with the
//! outbound audio still paced in real time, and the memory each call takes.
//!
//! The server (the real app on loopback, SQLite, the demo plumber in `media_streams` mode) runs
//! on a single-threaded runtime in its own thread: one core. Everything else runs on another
//! thread: the simulated Twilio side of each call (the signed incoming-call webhook, the signed
//! WebSocket, `connected` and `start`, then a 20 ms μ-law frame every 20 ms, as a phone line
//! sends, with marks echoed), a local server speaking Deepgram's live protocol that takes every
//! frame, and a local OpenAI-format speech server (24 kHz PCM, resampled by the server) whose
//! greeting lasts a little longer than the run, so that every call is being spoken to the whole
//! time. Measured:
//! - at each caller, the gaps between the audio frames it receives (20 ms when paced right), and
//!   frames that arrive ahead of the real-time schedule (a burst);
//! - the server thread's own CPU time, so calls per core = calls ÷ the share of the core used;
//! - the process's resident memory with every call up, less before: per call, an upper bound
//!   (it includes the simulated callers and the Deepgram server's side of each call).
//!
//! Run: `cargo bench -p frontdesk-web --bench media` (`-- CALLS SECONDS` to vary; default 200 10).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use frontdesk_engine::profile::CallMode;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN: &str = "bench-token";
const ROOTER: &str = "+13035550140";

mod common;

use common::{demo_app_with, dial, http_client, percentile};

fn attr(xml: &str, tag: &str, name: &str) -> Option<String> {
    let c = &xml[xml.find(&format!("<{tag} "))?..];
    let a = c.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = c[a..].find('"')?;
    Some(c[a..a + end].replace("&amp;", "&"))
}

/// This thread's time on a CPU (Linux), in seconds.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// The process's resident memory, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

/// A Deepgram live endpoint that takes the audio and hears nothing in it (the line is quiet).
async fn deepgram() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/v1/listen", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.next().await {
                    if matches!(m, Message::Close(_)) {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

/// OpenAI's `/audio/speech` with `response_format: pcm`: `secs` of a tone at 24 kHz for each
/// sentence.
async fn speech_server(secs: u64) -> anyhow::Result<String> {
    let pcm: Vec<i16> = (0..24_000 * secs as u32)
        .map(|i| (6000.0 * (f64::from(i) * 0.05).sin()) as i16)
        .collect();
    let body = Arc::new(frontdesk_desk::providers::audio::pcm16_to_bytes(&pcm));
    let app = axum::Router::new().route(
        "/v1/audio/speech",
        axum::routing::post(move || {
            let b = body.clone();
            async move { b.as_ref().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// What one caller measured: gaps between frames (ms), frames ahead of real time.
#[derive(Default)]
struct Heard {
    gaps: Vec<f64>,
    ahead: usize,
    frames: usize,
}

async fn call(
    http: reqwest::Client,
    base: String,
    n: usize,
    run: Duration,
    up: Arc<tokio::sync::Barrier>,
) -> anyhow::Result<Heard> {
    let sid = format!("CAbench{n:06}");
    let from = format!("+1720555{:04}", n % 10_000);
    let twiml = dial(&http, &base, TOKEN, &sid, &from, ROOTER).await?;
    let ws_url = attr(&twiml, "Stream", "url").ok_or_else(|| anyhow::anyhow!("{twiml}"))?;
    let business = attr(&twiml, "Parameter", "value").unwrap_or_default();
    let mut req = ws_url.as_str().into_client_request()?;
    req.headers_mut().insert(
        "x-twilio-signature",
        frontdesk_desk::providers::twilio::signature(TOKEN, &ws_url, &[]).parse()?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (mut tx, mut rx) = ws.split();
    let stream = format!("MZ{sid}");
    tx.send(Message::Text(
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            .to_string()
            .into(),
    ))
    .await?;
    let start = json!({"event": "start", "sequenceNumber": "1", "streamSid": stream,
        "start": {"accountSid": "AC0bench", "streamSid": stream, "callSid": sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"business": business}}});
    tx.send(Message::Text(start.to_string().into())).await?;
    let (marks_tx, mut marks_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The line: a frame every 20 ms, and the marks echoed.
    let silence = B64.encode([0xFFu8; 160]);
    let line_stream = stream.clone();
    let done = Arc::new(tokio::sync::Notify::new());
    let stop = done.clone();
    let line = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seq = 2u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let m = format!(
                        r#"{{"event":"media","sequenceNumber":"{seq}","streamSid":"{line_stream}","media":{{"track":"inbound","chunk":"{}","timestamp":"{}","payload":"{silence}"}}}}"#,
                        seq - 1,
                        (seq - 2) * 20
                    );
                    seq += 1;
                    if tx.send(Message::Text(m.into())).await.is_err() {
                        return;
                    }
                }
                Some(name) = marks_rx.recv() => {
                    let m = json!({"event": "mark", "streamSid": line_stream, "mark": {"name": name}});
                    let _ = tx.send(Message::Text(m.to_string().into())).await;
                }
                _ = stop.notified() => {
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
            }
        }
    });
    up.wait().await;
    let mut heard = Heard::default();
    let mut times: Vec<Instant> = Vec::new();
    let until = Instant::now() + run;
    while let Ok(Some(Ok(m))) = tokio::time::timeout_at(until.into(), rx.next()).await {
        let Message::Text(t) = m else { continue };
        let v: Value = serde_json::from_str(t.as_str())?;
        match v["event"].as_str() {
            Some("media") => times.push(Instant::now()),
            Some("mark") => {
                let _ = marks_tx.send(v["mark"]["name"].as_str().unwrap_or("").to_owned());
            }
            _ => {}
        }
    }
    done.notify_one();
    let _ = line.await;
    // The first second is the greeting starting: measured from then on.
    let from = times.len().min(50);
    let t = &times[from..];
    for w in t.windows(2) {
        heard.gaps.push((w[1] - w[0]).as_secs_f64() * 1000.0);
    }
    if let Some(&t0) = t.first() {
        for (k, at) in t.iter().enumerate() {
            if Duration::from_millis(20 * k as u64).saturating_sub(*at - t0)
                > Duration::from_millis(25)
            {
                heard.ahead += 1;
            }
        }
    }
    heard.frames = times.len();
    Ok(heard)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let calls: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let secs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let run = Duration::from_secs(secs);

    // The callers, Deepgram and the speech server: one runtime on its own thread.
    let others = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // The greeting's two sentences last a little longer than the run: every second of audio
    // synthesized is played, as on a real call.
    let sentence = secs / 2 + 1;
    let (dg, tts) = others
        .block_on(async { anyhow::Ok((deepgram().await?, speech_server(sentence).await?)) })?;

    // The server: one thread, one core.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let cpu = Arc::new(Mutex::new((0.0f64, 0.0f64)));
    let cpu_probe = cpu.clone();
    let (mark_tx, mark_rx) = std::sync::mpsc::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let (st, listener, base, dir) = demo_app_with(
                "media",
                TOKEN,
                |ps| {
                    for p in ps.iter_mut() {
                        p.calls.mode = CallMode::MediaStreams;
                    }
                },
                |c| {
                    c.speech.stt = frontdesk_desk::config::SttProvider::Deepgram;
                    c.speech.stt_url = dg;
                    c.speech.tts = frontdesk_desk::config::TtsProvider::OpenAi;
                    c.speech.tts_url = tts;
                },
            )
            .await?;
            let app = frontdesk_web::router(st);
            tokio::spawn(frontdesk_web::serve(listener, app, async {
                let _ = stop_rx.await;
            }));
            ready_tx.send(base)?;
            // The CPU clock is read on this thread when the callers say they are all up, and
            // when they are done.
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                match mark_rx.try_recv() {
                    Ok(()) => {
                        let mut c = cpu_probe.lock().map_err(|_| anyhow::anyhow!("lock"))?;
                        if c.0 == 0.0 {
                            c.0 = thread_cpu();
                        } else {
                            c.1 = thread_cpu();
                            break;
                        }
                    }
                    Err(std::sync::mpsc::TryRecvError::Empty) => {}
                    Err(_) => break,
                }
            }
            let _ = std::fs::remove_dir_all(dir);
            anyhow::Ok(())
        })
    });
    let base = ready_rx.recv()?;

    let rss_before = rss_mb();
    let http = http_client(calls)?;
    let up = Arc::new(tokio::sync::Barrier::new(calls + 1));
    let (results, wall, rss_up) = others.block_on(async {
        let mut tasks = Vec::new();
        for n in 0..calls {
            tasks.push(tokio::spawn(call(
                http.clone(),
                base.clone(),
                n,
                run,
                up.clone(),
            )));
        }
        up.wait().await;
        let _ = mark_tx.send(());
        let t = Instant::now();
        tokio::time::sleep(run / 2).await;
        let rss_up = rss_mb();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await?);
        }
        let _ = mark_tx.send(());
        anyhow::Ok((out, t.elapsed(), rss_up))
    })?;
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;

    let mut gaps = Vec::new();
    let (mut ahead, mut frames, mut failed) = (0usize, 0usize, 0usize);
    for r in results {
        match r {
            Ok(h) => {
                gaps.extend(h.gaps);
                ahead += h.ahead;
                frames += h.frames;
            }
            Err(e) => {
                failed += 1;
                eprintln!("call failed: {e:#}");
            }
        }
    }
    gaps.sort_by(f64::total_cmp);
    let (c0, c1) = *cpu.lock().map_err(|_| anyhow::anyhow!("lock"))?;
    let share = (c1 - c0) / wall.as_secs_f64();
    let late = gaps.iter().filter(|&&g| g > 30.0).count();
    println!(
        "{calls} Media Streams calls on one server core for {secs} s ({failed} failed): {frames} frames sent",
    );
    if !gaps.is_empty() {
        println!(
            "frame gaps at the caller: p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms; over 30 ms: {:.3}%; ahead of real time: {ahead}",
            percentile(&gaps, 0.5),
            percentile(&gaps, 0.99),
            percentile(&gaps, 0.999),
            gaps[gaps.len() - 1],
            100.0 * late as f64 / gaps.len() as f64,
        );
    }
    println!(
        "server core busy {:.1}% → about {:.0} calls per core",
        share * 100.0,
        calls as f64 / share.max(1e-9)
    );
    println!(
        "memory: {:.1} MB before, {:.1} MB with every call up: {:.2} MB per call (callers and Deepgram's side included)",
        rss_before,
        rss_up,
        (rss_up - rss_before) / calls as f64
    );
    Ok(())
}
