//! Web chat: the widget a business puts on its site with one tag,
//! `<script src="{public}/widget.js" data-key="{widget key}" async></script>`, and the WebSocket
//! it talks over. The key only opens conversations with its own business; each visitor is
//! rate-limited.
//!
//! `GET /widget/ws?key=…&visitor=…` (WebSocket; `visitor` is a random id the widget keeps in the
//! browser, 16–64 of `A-Z a-z 0-9 - _`, so a reload or reconnect continues the same thread).
//!
//! - Server first: `{"type":"history","business","conversation","messages":[{"role","text"}],
//!   "asking","ended"}`: the thread so far (a new one starts with the greeting).
//! - Client: `{"type":"say","id","text"}`. `id` (1–64 of the same characters) names the message:
//!   one sent again after a reconnect is answered without being taken twice.
//! - Server: `{"type":"delta","id","text"}` pieces of the reply, a sentence at a time, then
//!   `{"type":"reply","id","text","asking","ended","duplicate"}`; `asking` is what the agent
//!   waits for (`name` and `phone` make the widget offer its contact form); `duplicate` marks
//!   the answer to a message taken before (the history already shows it).
//! - Server: `{"type":"error","id","code","message"}` for a message refused (`rate_limited`,
//!   `invalid`) or not taken (`unavailable`, safe to send again).
//! - Server: `{"type":"staff","text"}` a person of the business answering by hand (take-over);
//!   while they hold the thread, a `reply` has an empty `text` and `held: true`.

use std::collections::HashMap;
use std::num::NonZeroU32;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use frontdesk_engine::agent::Channel;
use frontdesk_store::businesses::{self, Business};
use frontdesk_store::states::ConversationStatus;
use frontdesk_store::{ConversationId, StoreError, now_ms};
use governor::Quota;
use tokio::sync::broadcast::error::RecvError;

use crate::Limiter;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use frontdesk_desk::host::{Also, MAX_TURN_CHARS, Opening, TurnError};

const WIDGET_JS: &str = include_str!("webchat/widget.js");

/// Messages a visitor may send per minute (a burst of this many, then one every few seconds).
const MESSAGES_PER_MINUTE: u32 = 20;
/// WebSocket connections one client address may open per minute.
const CONNECTIONS_PER_MINUTE: u32 = 60;
/// How many visitors or addresses the limiters track before forgetting idle ones.
const MAX_TRACKED: usize = 100_000;
/// The largest message a widget may send, in bytes.
const MAX_FRAME: usize = 16 * 1024;

/// Per-visitor and per-address limits, shared by every connection.
pub struct Limits {
    pub(crate) messages: Limiter,
    connections: Limiter,
}

impl Default for Limits {
    fn default() -> Self {
        let per = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            messages: Limiter::tracking(per(MESSAGES_PER_MINUTE), MAX_TRACKED),
            connections: Limiter::tracking(per(CONNECTIONS_PER_MINUTE), MAX_TRACKED),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/widget/ws", get(socket))
        .route("/widget/try/{key}", get(try_page))
}

async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

/// A page with nothing but the widget, for an owner to try it (and for the browser tests).
async fn try_page(State(st): State<AppState>, Path(key): Path<String>) -> Response {
    let business = match business_for_key(&st, &key).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let name = frontdesk_desk::providers::twilio::twiml::escape(&business.name);
    let key = frontdesk_desk::providers::twilio::twiml::escape(&key);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{name}: chat</title></head>\
         <body style=\"font-family: system-ui, sans-serif; margin: 2rem\">\
         <h1>{name}</h1><p>The chat button is in the corner. Put it on your own site with:</p>\
         <pre style=\"white-space: pre-wrap; word-break: break-all\">&lt;script src=\"/widget.js\" data-key=\"{key}\" async&gt;&lt;/script&gt;</pre>\
         <script src=\"/widget.js\" data-key=\"{key}\" async></script></body></html>"
    ))
    .into_response()
}

async fn business_for_key(st: &AppState, key: &str) -> Result<Business, ApiError> {
    if !valid_id(key, 8, 128) {
        return Err(ApiError::NotFound);
    }
    let mut db = st.db.clone();
    match businesses::get_by_widget_key(&mut db, key).await {
        Ok(b) => Ok(b),
        Err(StoreError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Ids the widget makes up: letters, digits, `-` and `_`.
fn valid_id(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

struct Connect {
    key: String,
    visitor: String,
}

async fn socket(
    State(st): State<AppState>,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let q = match (q.get("key"), q.get("visitor")) {
        (Some(k), Some(v)) => Connect {
            key: k.clone(),
            visitor: v.clone(),
        },
        _ => return ApiError::invalid("key and visitor are required").into_response(),
    };
    if !valid_id(&q.visitor, 16, 64) {
        return ApiError::invalid("visitor: 16 to 64 letters, digits, - or _").into_response();
    }
    if let Some(ip) = &ip
        && let Err(wait) = st.chat_limits.connections.check(ip)
    {
        return ApiError::RateLimited(wait).into_response();
    }
    let business = match business_for_key(&st, &q.key).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    ws.max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| session(st, business, q.visitor, socket))
}

async fn send(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

/// One visitor's connection: the thread so far, then a turn for each message.
async fn session(st: AppState, business: Business, visitor: String, mut socket: WebSocket) {
    let b = business.id.clone();
    let mut conv = match history(&st, &business, &visitor).await {
        Ok((conv, h)) => {
            if !send(&mut socket, h).await {
                return;
            }
            conv
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "web chat could not start");
            let _ = send(
                &mut socket,
                json!({"type": "error", "code": "unavailable", "message": "The chat is unavailable. Please try again shortly."}),
            )
            .await;
            return;
        }
    };
    metrics::counter!("webchat_sessions_total").increment(1);
    // A person's answers on this thread (take-over) arrive through the live feed.
    let mut live = st.desk.host.listen();
    loop {
        let msg = tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(m)) => m,
                _ => break,
            },
            l = live.recv() => {
                match l {
                    Ok(l) if l.kind == "staff" && l.business == b && l.conversation == conv.as_str() => {
                        if !send(&mut socket, json!({"type": "staff", "text": l.reply})).await {
                            return;
                        }
                    }
                    // Missed ones are in the history the next connection shows.
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
                continue;
            }
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            let _ = send(&mut socket, error(None, "invalid", "not JSON")).await;
            continue;
        };
        if v["type"] != "say" {
            continue;
        }
        let id = v["id"].as_str().unwrap_or("");
        if !valid_id(id, 1, 64) {
            let _ = send(
                &mut socket,
                error(None, "invalid", "id: 1 to 64 letters, digits, - or _"),
            )
            .await;
            continue;
        }
        let said = v["text"].as_str().unwrap_or("").trim();
        if said.is_empty() || said.chars().count() > MAX_TURN_CHARS {
            let m = format!("text: 1 to {MAX_TURN_CHARS} characters");
            let _ = send(&mut socket, error(Some(id), "invalid", &m)).await;
            continue;
        }
        let key = format!("{}:{visitor}", b);
        if st.chat_limits.messages.check(&key).is_err() {
            let _ = send(
                &mut socket,
                error(
                    Some(id),
                    "rate_limited",
                    "You're sending messages too quickly. Please wait a moment.",
                ),
            )
            .await;
            continue;
        }
        match turn(&st, &business, &visitor, &mut conv, id, said).await {
            Ok(r) => {
                for piece in r
                    .reply
                    .split_inclusive(['.', '?', '!'])
                    .filter(|p| !p.trim().is_empty())
                {
                    if !send(
                        &mut socket,
                        json!({"type": "delta", "id": id, "text": piece}),
                    )
                    .await
                    {
                        return;
                    }
                }
                let done = json!({"type": "reply", "id": id, "text": r.reply,
                    "asking": r.asking, "ended": r.ended, "duplicate": r.duplicate, "held": r.held});
                if !send(&mut socket, done).await {
                    return;
                }
            }
            Err(TurnError::Invalid(m)) => {
                let _ = send(&mut socket, error(Some(id), "invalid", &m)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "web chat turn failed");
                let _ = send(
                    &mut socket,
                    error(
                        Some(id),
                        "unavailable",
                        "Sorry, something went wrong on our side. Please send that again.",
                    ),
                )
                .await;
            }
        }
    }
}

fn error(id: Option<&str>, code: &str, message: &str) -> Value {
    json!({"type": "error", "id": id, "code": code, "message": message})
}

/// The visitor's thread (opened with the greeting when new) and the message that shows it.
async fn history(
    st: &AppState,
    business: &Business,
    visitor: &str,
) -> anyhow::Result<(ConversationId, Value)> {
    let b = &business.id;
    let mut t = st.db.tenant(b);
    let conv = match t.latest_conversation(Channel::Web, visitor).await? {
        Some((id, _)) => id,
        None => {
            let (c, _) = st
                .desk
                .host
                .open(
                    &st.db,
                    b,
                    Opening::new(Channel::Web, None).at(Some(visitor)),
                    Utc::now(),
                )
                .await?;
            c.id
        }
    };
    let messages: Vec<Value> = t
        .transcript(&conv)
        .await?
        .into_iter()
        .map(|m| json!({"role": m.role, "text": m.text}))
        .collect();
    let (c, state) = t.conversation_state(&conv).await?;
    let asking = serde_json::from_str::<frontdesk_engine::agent::State>(&state)
        .ok()
        .and_then(|s| s.flow.as_ref().and_then(|f| f.asking()));
    Ok((
        conv.clone(),
        json!({"type": "history", "business": business.name, "conversation": conv.to_string(),
            "messages": messages, "asking": asking, "ended": c.status != ConversationStatus::Open}),
    ))
}

/// Takes one message as a turn; a thread that had ended is opened again first.
async fn turn(
    st: &AppState,
    business: &Business,
    visitor: &str,
    conv: &mut ConversationId,
    id: &str,
    said: &str,
) -> Result<frontdesk_desk::host::TurnReply, TurnError> {
    let b = &business.id;
    let mut t = st.db.tenant(b);
    let c = t.conversation(conv).await?;
    if c.status != ConversationStatus::Open {
        let state = st
            .desk
            .host
            .fresh_state(&st.db, b, Channel::Web, None, Utc::now())
            .await?;
        t.reopen_conversation(conv, &state, now_ms()).await?;
    }
    let external = format!("web:{visitor}:{id}");
    st.desk
        .host
        .turn(
            &st.db,
            b,
            conv,
            said,
            Also {
                external_id: Some(&external),
                ..Also::default()
            },
            Utc::now(),
        )
        .await
}
