//! What every kind of phone call shares, whichever way its words travel (the TwiML loop in
//! [`super::voice`], ConversationRelay in [`super::relay`], Media Streams in [`super::media`]):
//! the business a call is for and the TwiML built for it ([`Line`]), opening and closing a
//! call's webhook, the conversation of a call, the keypad, transfers, the signed WebSocket
//! handshake, and what happens to a call when its socket session ends.

use std::sync::Arc;

use anyhow::Context as _;
use axum::http::HeaderMap;
use axum::http::uri::Uri;
use axum::response::{IntoResponse, Response};
use frontdesk_desk::host::{Loaded, TurnReply};
use frontdesk_desk::providers::twilio::twiml::{Twiml, Voice};
use frontdesk_engine::agent::{Action, State as DialogueState};
use frontdesk_engine::{PhoneE164, Profile};
use frontdesk_store::businesses::Business;
use frontdesk_store::conversations::NewMessage;
use frontdesk_store::states::MessageRole;
use frontdesk_store::{ConversationId, now_ms};
use serde_json::Value;

use super::webhook::{Webhook, base_url};
use super::{apology, business_for, handled, received, twiml, unavailable};
use crate::AppState;
use crate::error::ApiError;

/// Seconds of silence before a `<Gather>` gives up.
const GATHER_TIMEOUT: &str = "6";
/// How long the transfer number rings.
const DIAL_TIMEOUT: &str = "25";
/// Longest voicemail, in seconds.
const VOICEMAIL_MAX: &str = "120";
/// Speech hints Twilio accepts: up to this many phrases.
const MAX_HINTS: usize = 100;

/// The business a call is for, as the TwiML needs it.
pub(crate) struct Line {
    pub(crate) business: Business,
    pub(crate) loaded: Arc<Loaded>,
    pub(crate) voice: Voice,
    pub(crate) base: String,
}

impl Line {
    pub(crate) fn profile(&self) -> &Profile {
        &self.loaded.profile
    }

    /// One of our callback URLs, naming the business (the URL is signed, so it cannot be forged).
    pub(crate) fn url(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut q = vec![("b", self.business.id.as_str())];
        q.extend_from_slice(extra);
        let query = serde_urlencoded::to_string(&q).unwrap_or_default();
        format!("{}{path}?{query}", self.base)
    }

    /// `say`, then listen for the caller's next words (turn `n`).
    pub(crate) fn gather(&self, t: &mut Twiml, n: i64, say: &str) {
        let action = self.url("/twilio/voice/gather", &[("n", &n.to_string())]);
        let hints = hints(self.profile());
        let mut attrs = vec![
            ("input", "dtmf speech"),
            ("action", action.as_str()),
            ("method", "POST"),
            ("timeout", GATHER_TIMEOUT),
            ("speechTimeout", "auto"),
            ("actionOnEmptyResult", "true"),
            ("language", self.voice.language.as_str()),
        ];
        if !hints.is_empty() {
            attrs.push(("hints", hints.as_str()));
        }
        t.nest("Gather", &attrs, |t| t.say(say, &self.voice));
    }

    /// Says `say` (kept in the transcript), then records a voicemail.
    pub(crate) async fn offer_voicemail(
        &self,
        st: &AppState,
        conv: &ConversationId,
        t: &mut Twiml,
        say: &str,
    ) -> anyhow::Result<()> {
        let m = NewMessage::new(MessageRole::Agent, say);
        st.db
            .tenant(&self.business.id)
            .add_message(conv, &m, now_ms())
            .await?;
        self.voicemail(t, say);
        Ok(())
    }

    /// `say`, then record a voicemail.
    pub(crate) fn voicemail(&self, t: &mut Twiml, say: &str) {
        t.say(say, &self.voice);
        let action = self.url("/twilio/voice/voicemail", &[]);
        t.element(
            "Record",
            &[
                ("action", action.as_str()),
                ("method", "POST"),
                ("maxLength", VOICEMAIL_MAX),
                ("timeout", "5"),
                ("playBeep", "true"),
                ("finishOnKey", "#"),
            ],
            None,
        );
        // Reached only when nothing was recorded.
        t.say("We didn't get a message. Goodbye.", &self.voice);
        t.hangup();
    }

    /// Puts the caller through to `to`; the person answering first hears `reason`.
    pub(crate) fn dial(&self, t: &mut Twiml, to: &PhoneE164, reason: &str) {
        let action = self.url("/twilio/voice/dial", &[]);
        let reason: String = reason.chars().take(200).collect();
        let whisper = self.url("/twilio/voice/whisper", &[("reason", &reason)]);
        t.nest(
            "Dial",
            &[
                ("action", action.as_str()),
                ("method", "POST"),
                ("timeout", DIAL_TIMEOUT),
                ("answerOnBridge", "true"),
            ],
            |t| t.element("Number", &[("url", whisper.as_str())], Some(to.as_str())),
        );
    }

    pub(crate) fn goodbye(&self, t: &mut Twiml, say: &str) {
        t.say(say, &self.voice);
        t.hangup();
    }
}

/// The business's own words, so that speech recognition hears "ten by ten" and "calzone".
pub(crate) fn hints(p: &Profile) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        let s = s.trim().replace(',', " ");
        if !s.is_empty() && s.chars().count() <= 100 && !out.contains(&s) && out.len() < MAX_HINTS {
            out.push(s);
        }
    };
    for s in &p.services {
        add(s.name.as_str());
    }
    for s in &p.staff {
        add(s.name.as_str());
    }
    for u in &p.units {
        add(&u.unit_type);
        if let Some((w, l)) = u.unit_type.split_once('x') {
            add(&format!("{w} by {l}"));
        }
    }
    for m in &p.menu {
        add(m.name.as_str());
    }
    add(p.name.as_str());
    out.join(", ")
}

/// Resolves the business, stores the webhook, and builds the line; an unknown number or a
/// storage failure is answered here.
pub(crate) async fn open(
    st: &AppState,
    hook: &Webhook,
    kind: &str,
) -> Result<(Line, String), Response> {
    let sid = hook.param("CallSid");
    let business = match business_for(st, hook).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "voice webhook: looking up the business failed");
            return Err(unavailable());
        }
    };
    let event = match received(st, business.as_ref().map(|b| &b.id), kind, &hook.body, sid).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "voice webhook: storing it failed");
            return Err(unavailable());
        }
    };
    let Some(business) = business else {
        handled(st, &event, Some("no business has this number")).await;
        let mut t = Twiml::new();
        t.say(
            "Thank you for calling. This number isn't set up to take calls yet. Goodbye.",
            &Voice::default(),
        );
        t.hangup();
        return Err(twiml(t.finish()));
    };
    let loaded = match st.desk.host.load(&mut st.db.tenant(&business.id)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "voice webhook: loading the profile failed");
            handled(st, &event, Some(&e.to_string())).await;
            return Err(apology());
        }
    };
    let p = &loaded.profile;
    let voice = Voice {
        voice: p.persona.as_ref().and_then(|p| p.voice.clone()),
        language: p.locale.clone(),
    };
    Ok((
        Line {
            business,
            loaded: loaded.clone(),
            voice,
            base: hook.base.clone(),
        },
        event,
    ))
}

/// Marks the webhook handled and answers with the TwiML, or apologises.
pub(crate) async fn close(st: &AppState, event: &str, r: anyhow::Result<String>) -> Response {
    match r {
        Ok(body) => {
            handled(st, event, None).await;
            twiml(body)
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "voice webhook failed");
            handled(st, event, Some(&format!("{e:#}"))).await;
            apology()
        }
    }
}

/// The turn's text for speech or keys pressed: 0 asks for a person.
pub(crate) fn keypad_or_speech(speech: &str, digits: &str) -> Option<String> {
    let speech = speech.trim();
    if !speech.is_empty() {
        return Some(speech.to_owned());
    }
    let digits: String = digits
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .collect();
    match digits.as_str() {
        "" => None,
        "0" => Some("[keypad 0] speak to a person".to_owned()),
        d => Some(format!("[keypad] {d}")),
    }
}

/// The conversation of a call we answered.
pub(crate) async fn call_conversation(
    st: &AppState,
    line: &Line,
    sid: &str,
) -> anyhow::Result<(ConversationId, frontdesk_store::calls::Call)> {
    let call = st
        .db
        .tenant(&line.business.id)
        .call_by_sid(sid)
        .await
        .with_context(|| format!("call {sid:?}"))?;
    let conv = call
        .conversation_id
        .clone()
        .context("call without a conversation")?;
    Ok((conv, call))
}

/// Where to put the caller through, and why, when the turn hands the call to a person.
pub(crate) fn transfer_target(r: &TurnReply) -> Option<(PhoneE164, String)> {
    r.actions.iter().find_map(|a| match a {
        Action::Transfer {
            to: Some(to),
            reason,
        } => Some((to.clone(), reason.clone())),
        Action::Escalate {
            transfer: true,
            to: Some(to),
            text,
            ..
        } => Some((to.clone(), format!("emergency: {text}"))),
        _ => None,
    })
}

/// The WebSocket form of one of our URLs.
pub(crate) fn ws_url(http: &str) -> String {
    if let Some(rest) = http.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http.to_owned()
    }
}

/// Checks the signature on a WebSocket handshake from Twilio (ConversationRelay, Media Streams):
/// signed like a webhook, over the URL it opened, with no parameters. The refusal, if any.
pub(crate) fn refused_socket(st: &AppState, headers: &HeaderMap, uri: &Uri) -> Option<Response> {
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
    if !frontdesk_desk::providers::twilio::verify(token.expose(), &url, &[], sig) {
        metrics::counter!("twilio_webhooks_rejected_total").increment(1);
        return Some(ApiError::Forbidden("bad or missing X-Twilio-Signature").into_response());
    }
    None
}

/// What happens to a call when its socket session ended, by the session's hand-off
/// (`reasonCode`: `transfer` with `to` and `reason`, `goodbye`); anything else (a failure, a
/// dropped socket) carries the call on over the TwiML loop, repeating the last reply.
pub(crate) async fn after_session(
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
