//! Phone calls over Twilio ConversationRelay, the low-latency path: Twilio recognises the
//! caller's speech and speaks our words, and the two sides talk over a WebSocket. The call is
//! answered with `<Connect><ConversationRelay>` (chosen per business: `calls.mode:
//! conversation_relay`), Twilio speaks the greeting, and the socket carries, in, `setup`,
//! `prompt`, `dtmf`, `interrupt` and `error` messages, and, out, the reply as `text` tokens and
//! `end` with hand-off data. When the session ends Twilio posts the `<Connect>` action, which
//! puts the caller through to a person (`<Dial>`), hangs up, or, if the session failed, carries
//! the call on over the TwiML `<Gather>` loop instead of dropping it.

use std::collections::HashMap;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::uri::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use frontdesk_store::{BusinessId, ConversationId, businesses};
use serde_json::{Value, json};

use super::call::{
    Line, after_session, call_conversation, close, hints, keypad_or_speech, open, refused_socket,
    transfer_target, ws_url,
};
use super::received;
use crate::AppState;
use crate::channels::webhook::{Webhook, base_url};
use crate::error::ApiError;
use frontdesk_desk::host::{Also, TurnError};
use frontdesk_desk::providers::twilio::twiml::{Twiml, Voice};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/relay", get(relay_socket))
        .route("/twilio/voice/relay-ended", post(relay_ended))
}

/// Answers a call with ConversationRelay: Twilio speaks `greeting`, then connects the socket.
pub(super) fn connect(line: &Line, t: &mut Twiml, greeting: &str) {
    let url = ws_url(&line.url("/twilio/relay", &[]));
    let action = line.url("/twilio/voice/relay-ended", &[]);
    let hints = hints(line.profile());
    let mut attrs = vec![
        ("url", url.as_str()),
        ("welcomeGreeting", greeting),
        ("language", line.voice.language.as_str()),
        ("dtmfDetection", "true"),
        ("interruptible", "any"),
    ];
    // A persona voice named for Twilio's `<Say>` (`Polly.Joanna`) is Amazon's voice here.
    if let Some(v) = &line.voice.voice {
        match v.strip_prefix("Polly.") {
            Some(name) => {
                attrs.push(("ttsProvider", "Amazon"));
                attrs.push(("voice", name));
            }
            None => attrs.push(("voice", v.as_str())),
        }
    }
    if !hints.is_empty() {
        attrs.push(("hints", hints.as_str()));
    }
    t.nest(
        "Connect",
        &[("action", action.as_str()), ("method", "POST")],
        |t| t.element("ConversationRelay", &attrs, None),
    );
}

/// Twilio signs the WebSocket handshake like a webhook: the URL it opened, with no parameters.
async fn relay_socket(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(r) = refused_socket(&st, &headers, &uri) {
        return r;
    }
    let Some(id) = q.get("b").and_then(|b| BusinessId::parse(b)) else {
        return ApiError::NotFound.into_response();
    };
    let mut db = st.db.clone();
    let business = match businesses::get(&mut db, &id).await {
        Ok(b) => b,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let loaded = match st.desk.host.load(&mut st.db.tenant(&id)).await {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let p = &loaded.profile;
    let line = Line {
        voice: Voice {
            voice: p.persona.as_ref().and_then(|p| p.voice.clone()),
            language: p.locale.clone(),
        },
        base: base_url(&st, &headers),
        business,
        loaded: loaded.clone(),
    };
    ws.on_upgrade(move |socket| session(st, line, socket))
}

/// The call a session is about, once `setup` has named it.
struct Session {
    sid: String,
    conv: ConversationId,
    /// Turns taken, for each prompt's idempotency key.
    turns: u32,
    /// A prompt arriving in pieces (`last: false`).
    pending: String,
}

async fn send(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

/// The reply as tokens, a sentence at a time, the last one marked.
async fn speak(socket: &mut WebSocket, reply: &str) -> bool {
    let parts: Vec<&str> = reply
        .split_inclusive(['.', '?', '!'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if !send(socket, json!({"type": "text", "token": p, "last": last})).await {
            return false;
        }
    }
    true
}

async fn end(socket: &mut WebSocket, handoff: Value) {
    let _ = send(
        socket,
        json!({"type": "end", "handoffData": handoff.to_string()}),
    )
    .await;
}

#[tracing::instrument(name = "relay", skip_all, fields(business = %line.business.id, call = tracing::field::Empty))]
async fn session(st: AppState, line: Line, mut socket: WebSocket) {
    let mut s: Option<Session> = None;
    while let Some(Ok(msg)) = socket.recv().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let v: Value = match serde_json::from_str(text.as_str()) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "ConversationRelay: unreadable message");
                continue;
            }
        };
        match v["type"].as_str().unwrap_or("") {
            "setup" => {
                let sid = v["callSid"].as_str().unwrap_or("").to_owned();
                tracing::Span::current().record("call", sid.as_str());
                let _ = record(&st, &line, "relay.setup", &sid, &v).await;
                match call_conversation(&st, &line, &sid).await {
                    Ok((conv, _)) => {
                        s = Some(Session {
                            sid,
                            conv,
                            turns: 0,
                            pending: String::new(),
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "ConversationRelay: unknown call");
                        end(&mut socket, json!({"reasonCode": "error"})).await;
                        break;
                    }
                }
            }
            "prompt" => {
                let Some(ss) = s.as_mut() else { continue };
                ss.pending.push_str(v["voicePrompt"].as_str().unwrap_or(""));
                if v["last"].as_bool() == Some(false) {
                    continue;
                }
                let said = std::mem::take(&mut ss.pending);
                if !turn(&st, &line, ss, &said, &mut socket).await {
                    break;
                }
            }
            "dtmf" => {
                let Some(ss) = s.as_mut() else { continue };
                let Some(said) = keypad_or_speech("", v["digit"].as_str().unwrap_or("")) else {
                    continue;
                };
                if !turn(&st, &line, ss, &said, &mut socket).await {
                    break;
                }
            }
            "interrupt" => {
                let Some(ss) = s.as_ref() else { continue };
                let heard = v["utteranceUntilInterrupt"].as_str().unwrap_or("");
                metrics::counter!("relay_interruptions_total").increment(1);
                if let Err(e) = st
                    .db
                    .tenant(&line.business.id)
                    .cut_last_reply(&ss.conv, heard)
                    .await
                {
                    tracing::warn!(error = %e, "ConversationRelay: recording an interruption");
                }
            }
            "error" => {
                let sid = s.as_ref().map_or("", |ss| ss.sid.as_str());
                let _ = record(&st, &line, "relay.error", sid, &v).await;
                tracing::warn!(
                    description = v["description"].as_str().unwrap_or(""),
                    "ConversationRelay reported an error"
                );
            }
            other => tracing::debug!(kind = other, "ConversationRelay: message ignored"),
        }
    }
}

/// Stores a relay message as a webhook event, handled at once.
async fn record(
    st: &AppState,
    line: &Line,
    kind: &str,
    sid: &str,
    v: &Value,
) -> anyhow::Result<()> {
    let ev = received(st, Some(&line.business.id), kind, &v.to_string(), sid).await?;
    super::handled(st, &ev, None).await;
    Ok(())
}

/// One turn: the reply streamed back, then the end of the session when the turn hands the call
/// to a person or says goodbye. `false` once the session is over.
async fn turn(
    st: &AppState,
    line: &Line,
    s: &mut Session,
    said: &str,
    socket: &mut WebSocket,
) -> bool {
    if said.trim().is_empty() {
        return true;
    }
    s.turns += 1;
    let key = format!("{}:relay{}", s.sid, s.turns);
    let also = Also {
        external_id: Some(&key),
        call_sid: Some(&s.sid),
        event: None,
    };
    let r = st
        .desk
        .host
        .turn(&st.db, &line.business.id, &s.conv, said, also, Utc::now())
        .await;
    let r = match r {
        Ok(r) => r,
        Err(TurnError::Invalid(_)) => {
            return speak(
                socket,
                "Sorry, I didn't catch that. Could you say it again?",
            )
            .await;
        }
        Err(TurnError::Ended) => {
            end(socket, json!({"reasonCode": "goodbye"})).await;
            return false;
        }
        Err(e) => {
            tracing::error!(error = %e, "ConversationRelay turn failed");
            end(socket, json!({"reasonCode": "error"})).await;
            return false;
        }
    };
    if !speak(socket, &r.reply).await {
        return false;
    }
    if let Some((to, reason)) = transfer_target(&r) {
        end(
            socket,
            json!({"reasonCode": "transfer", "to": to.as_str(), "reason": reason}),
        )
        .await;
        return false;
    }
    if r.ended {
        end(socket, json!({"reasonCode": "goodbye"})).await;
        return false;
    }
    true
}

/// The `<Connect>` action: the session is over; what happens to the call now.
async fn relay_ended(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.relay_ended").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let handoff: Value = serde_json::from_str(hook.param("HandoffData")).unwrap_or(Value::Null);
    let r = after_session(&st, &hook, &line, &handoff).await;
    close(&st, &event, r).await
}
