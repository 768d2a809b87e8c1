//! Twilio's REST API as a local server: the Messages and Calls resources, basic auth, form
//! bodies, JSON answers and Twilio's error bodies; it records what it accepted.

use crate::voice::{ACCOUNT, TOKEN};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A number the fake Twilio refuses, as the real one refuses an invalid `To`.
pub const INVALID: &str = "+15005550009";

/// A message the fake Twilio accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    pub status_callback: Option<String>,
}

#[derive(Default)]
pub struct Twilio {
    pub sent: Mutex<Vec<Sent>>,
    /// Answer this many message requests with 503 before accepting.
    pub fail: AtomicUsize,
    /// Accept this many messages but lose the answer (a 503 after the message was taken), as
    /// when the sender dies or the connection drops mid-request.
    pub lose_answer: AtomicUsize,
    /// Message list requests (GET Messages.json).
    pub lists: AtomicUsize,
    pub requests: AtomicUsize,
    pub price_polls: AtomicUsize,
    /// Recordings' MP3 audio by Recording SID.
    pub recordings: Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

/// A voicemail spoken by espeak-ng and encoded as MP3 (16 kbit/s mono), as a recording's audio.
pub const VOICEMAIL_MP3: &[u8] = include_bytes!("voicemail.mp3");

pub type Shared = Arc<Twilio>;

fn authorized(h: &HeaderMap) -> bool {
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str())
}

fn twilio_error(status: StatusCode, code: i64, message: &str) -> (StatusCode, axum::Json<Value>) {
    (
        status,
        axum::Json(json!({"code": code, "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status.as_u16()})),
    )
}

async fn create_message(
    State(f): State<Shared>,
    Path(account): Path<String>,
    h: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    f.requests.fetch_add(1, Ordering::SeqCst);
    if !authorized(&h) || account != ACCOUNT {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if f.fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return twilio_error(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Internal Server Error",
        );
    }
    let to = get("To").unwrap_or_default();
    if to.ends_with(INVALID) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            "The 'To' number is not a valid phone number.",
        );
    }
    let mut sent = f.sent.lock().unwrap();
    let sid = format!("SM{:032}", sent.len() + 1);
    sent.push(Sent {
        sid: sid.clone(),
        to: to.clone(),
        from: get("From").unwrap_or_default(),
        body: get("Body").unwrap_or_default(),
        status_callback: get("StatusCallback"),
    });
    if f.lose_answer
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return twilio_error(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Internal Server Error",
        );
    }
    (
        StatusCode::CREATED,
        axum::Json(
            json!({"sid": sid, "status": "queued", "to": to, "num_segments": "1",
            "error_code": null, "account_sid": ACCOUNT, "api_version": "2010-04-01"}),
        ),
    )
}

/// The Messages list: the newest first, filtered by `To` and `From` as Twilio filters them.
async fn list_messages(
    State(f): State<Shared>,
    Path(account): Path<String>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, axum::Json<Value>) {
    f.lists.fetch_add(1, Ordering::SeqCst);
    if !authorized(&h) || account != ACCOUNT {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let now = chrono::Utc::now().to_rfc2822();
    let messages: Vec<Value> = f
        .sent
        .lock()
        .unwrap()
        .iter()
        .rev()
        .filter(|m| {
            q.get("To").is_none_or(|t| *t == m.to) && q.get("From").is_none_or(|t| *t == m.from)
        })
        .map(|m| {
            json!({"sid": m.sid, "status": "sent", "to": m.to, "from": m.from, "body": m.body,
            "date_created": now, "account_sid": ACCOUNT, "api_version": "2010-04-01"})
        })
        .collect();
    (
        StatusCode::OK,
        axum::Json(json!({"messages": messages, "page": 0, "page_size": 50})),
    )
}

async fn fetch_call(
    State(f): State<Shared>,
    Path((_, call)): Path<(String, String)>,
    h: HeaderMap,
) -> (StatusCode, axum::Json<Value>) {
    if !authorized(&h) {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let sid = call.trim_end_matches(".json").to_owned();
    // Twilio rates a call a little after it ends.
    let price = (f.price_polls.fetch_add(1, Ordering::SeqCst) >= 1).then_some("-0.01700");
    (
        StatusCode::OK,
        axum::Json(json!({"sid": sid, "status": "completed", "duration": "12",
            "price": price, "price_unit": "USD"})),
    )
}

/// A Recording's media as MP3 (`Recordings/{sid}.mp3`), whole or one byte range, as a file
/// server answers: 206 with `Content-Range`, or 416 for a range past the end.
async fn recording_media(
    State(f): State<Shared>,
    Path((account, file)): Path<(String, String)>,
    h: HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !authorized(&h) || account != ACCOUNT {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate").into_response();
    }
    let audio = file
        .strip_suffix(".mp3")
        .and_then(|sid| f.recordings.lock().unwrap().get(sid).cloned());
    let Some(audio) = audio else {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )
        .into_response();
    };
    let total = audio.len();
    let range = h
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| {
            let a: usize = a.parse().ok()?;
            let b: usize = if b.is_empty() {
                total - 1
            } else {
                b.parse().ok()?
            };
            Some((a, b.min(total - 1)))
        });
    match range {
        None => (
            [("content-type", "audio/mpeg"), ("accept-ranges", "bytes")],
            audio,
        )
            .into_response(),
        Some((a, b)) if a > b || a >= total => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [("content-range", format!("bytes */{total}"))],
        )
            .into_response(),
        Some((a, b)) => (
            StatusCode::PARTIAL_CONTENT,
            [
                ("content-type", "audio/mpeg".to_owned()),
                ("accept-ranges", "bytes".to_owned()),
                ("content-range", format!("bytes {a}-{b}/{total}")),
            ],
            audio[a..=b].to_vec(),
        )
            .into_response(),
    }
}

impl Twilio {
    /// Starts a server answering the Messages and Calls resources; returns it and its address.
    pub async fn start() -> (Shared, std::net::SocketAddr) {
        let fake = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message).get(list_messages),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Calls/{call}",
                get(fetch_call),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Recordings/{file}",
                get(recording_media),
            )
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (fake, addr)
    }
}
