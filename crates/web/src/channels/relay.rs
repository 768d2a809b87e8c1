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
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::State as DialogueState;
use frontdesk_store::{BusinessId, ConversationId, businesses};
use serde_json::{Value, json};

use super::received;
use super::voice::{
    Line, call_conversation, close, hints, keypad_or_speech, open, transfer_target,
};
use crate::AppState;
use crate::agent::{Also, TurnError};
use crate::error::ApiError;
use crate::twilio::twiml::{Twiml, Voice};
use crate::twilio::webhook::{Webhook, base_url};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/relay", get(relay_socket))
        .route("/twilio/voice/relay-ended", post(relay_ended))
}

/// The WebSocket form of one of our URLs.
pub(super) fn ws_url(http: &str) -> String {
    if let Some(rest) = http.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http.to_owned()
    }
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
    let loaded = match st.host.loaded(&st.db, &id).await {
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

/// Checks the signature on a WebSocket handshake from Twilio (ConversationRelay, Media Streams):
/// signed like a webhook, over the URL it opened, with no parameters. The refusal, if any.
pub(super) fn refused_socket(st: &AppState, headers: &HeaderMap, uri: &Uri) -> Option<Response> {
    let token = &st.cfg.twilio.auth_token;
    if token.is_empty() {
        return Some(
            ApiError::Forbidden("Twilio webhooks are refused: no auth token is configured")
                .into_response(),
        );
    }
    let path_q = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let url = ws_url(&format!("{}{path_q}", base_url(st, headers)));
    let sig = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::twilio::verify(token.expose(), &url, &[], sig) {
        metrics::counter!("twilio_webhooks_rejected_total").increment(1);
        return Some(ApiError::Forbidden("bad or missing X-Twilio-Signature").into_response());
    }
    None
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
        .host
        .turn_with(&st.db, &line.business.id, &s.conv, said, also, Utc::now())
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

/// What happens to a call when its socket session ended, by the session's hand-off
/// (`reasonCode`: `transfer` with `to` and `reason`, `goodbye`); anything else (a failure, a
/// dropped socket) carries the call on over the TwiML loop, repeating the last reply.
pub(super) async fn after_session(
    st: &AppState,
    hook: &Webhook,
    line: &Line,
    handoff: &Value,
) -> anyhow::Result<String> {
    let mut tw = Twiml::new();
    match handoff["reasonCode"].as_str() {
        Some("transfer") => {
            let to = handoff["to"]
                .as_str()
                .and_then(|t| PhoneE164::parse(t).ok());
            let reason = handoff["reason"].as_str().unwrap_or("");
            match to {
                Some(to) => line.dial(&mut tw, &to, reason),
                None => line.goodbye(&mut tw, "I'm sorry, I couldn't put you through. Goodbye."),
            }
        }
        Some("goodbye") => tw.hangup(),
        // The session failed or dropped: the call carries on over the TwiML loop.
        _ => {
            let sid = hook.param("CallSid");
            let (conv, _) = call_conversation(st, line, sid).await?;
            let (_, state) = st
                .db
                .tenant(&line.business.id)
                .conversation_state(&conv)
                .await?;
            let state: DialogueState = serde_json::from_str(&state).unwrap_or_default();
            let again = state
                .last_reply
                .unwrap_or_else(|| "How can I help you today?".into());
            tracing::warn!(
                status = hook.param("SessionStatus"),
                call_sid = sid,
                "the call's socket session ended without a hand-off: continuing on the TwiML loop"
            );
            metrics::counter!("socket_fallbacks_total").increment(1);
            line.gather(&mut tw, 1, &format!("Sorry about that. {again}"));
        }
    }
    Ok(tw.finish())
}
