//! Phone calls on the TwiML loop, which needs nothing but a Twilio account: Twilio recognises
//! the caller's speech (`<Gather input="dtmf speech">`, hinted with the business's own words),
//! each result is a turn of the engine, and the reply is spoken with `<Say>` in the persona's
//! voice inside the next `<Gather>`.
//!
//! - Silence or nothing understood: asked again once, then offered voicemail (`<Record>`).
//! - Keypad: 0 asks for a person; other digits are read as typed.
//! - Transfers and emergencies: `<Dial>` to the business's transfer number, with a whisper that
//!   tells the person answering what the call is about; a transfer nobody takes goes to
//!   voicemail.
//! - Status callbacks record the call's status, duration and outcome, and a job fetches its
//!   price; recordings (when the business records calls) are kept with their URL.
//!
//! Every call has a row in `calls` and its words are the transcript of its conversation.

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use frontdesk_engine::agent::{Action, Channel, State as DialogueState};
use frontdesk_engine::profile::CallMode;
use frontdesk_engine::{PhoneE164, Profile};
use frontdesk_store::businesses::Business;
use frontdesk_store::calls::{NewCall, is_final_status};
use frontdesk_store::conversations::NewMessage;
use frontdesk_store::{ConversationId, CustomerId, now_ms};
use serde_json::json;

use super::{apology, business_for, handled, received, twiml, unavailable};
use crate::AppState;
use crate::agent::{Also, Loaded, TurnError, TurnReply};
use crate::notify::{Event, Notices, Recipient};
use crate::twilio::twiml::{Twiml, Voice};
use crate::twilio::webhook::Webhook;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(incoming_call))
        .route("/twilio/voice/gather", post(gathered))
        .route("/twilio/voice/dial", post(dial_ended))
        .route("/twilio/voice/whisper", post(whisper))
        .route("/twilio/voice/voicemail", post(voicemail))
        .route("/twilio/voice/status", post(call_status))
        .route("/twilio/voice/recording", post(recording_status))
}

/// Seconds of silence before a `<Gather>` gives up.
const GATHER_TIMEOUT: &str = "6";
/// How long the transfer number rings.
const DIAL_TIMEOUT: &str = "25";
/// Longest voicemail, in seconds.
const VOICEMAIL_MAX: &str = "120";
/// Speech hints Twilio accepts: up to this many phrases.
const MAX_HINTS: usize = 100;

/// The business a call is for, as the TwiML needs it.
pub(super) struct Line {
    pub(super) business: Business,
    pub(super) loaded: Arc<Loaded>,
    pub(super) voice: Voice,
    pub(super) base: String,
}

impl Line {
    pub(super) fn profile(&self) -> &Profile {
        &self.loaded.profile
    }

    /// One of our callback URLs, naming the business (the URL is signed, so it cannot be forged).
    pub(super) fn url(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut q = vec![("b", self.business.id.as_str())];
        q.extend_from_slice(extra);
        let query = serde_urlencoded::to_string(&q).unwrap_or_default();
        format!("{}{path}?{query}", self.base)
    }

    /// `say`, then listen for the caller's next words (turn `n`).
    pub(super) fn gather(&self, t: &mut Twiml, n: i64, say: &str) {
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
    async fn offer_voicemail(
        &self,
        st: &AppState,
        conv: &ConversationId,
        t: &mut Twiml,
        say: &str,
    ) -> anyhow::Result<()> {
        let m = NewMessage {
            role: "agent",
            text: say,
            ..Default::default()
        };
        st.db
            .tenant(&self.business.id)
            .add_message(conv, &m, now_ms())
            .await?;
        self.voicemail(t, say);
        Ok(())
    }

    /// `say`, then record a voicemail.
    fn voicemail(&self, t: &mut Twiml, say: &str) {
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
    pub(super) fn dial(&self, t: &mut Twiml, to: &PhoneE164, reason: &str) {
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

    pub(super) fn goodbye(&self, t: &mut Twiml, say: &str) {
        t.say(say, &self.voice);
        t.hangup();
    }
}

fn mode_name(m: CallMode) -> &'static str {
    match m {
        CallMode::Gather => "gather",
        CallMode::ConversationRelay => "conversation_relay",
        CallMode::MediaStreams => "media_streams",
    }
}

/// The business's own words, so that speech recognition hears "ten by ten" and "calzone".
pub(super) fn hints(p: &Profile) -> String {
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
pub(super) async fn open(
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
    let loaded = match st.host.loaded(&st.db, &business.id).await {
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
pub(super) async fn close(st: &AppState, event: &str, r: anyhow::Result<String>) -> Response {
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

async fn incoming_call(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.incoming").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = answer(&st, &hook, &line).await;
    close(&st, &event, r).await
}

/// Opens the call's conversation and greets the caller.
async fn answer(st: &AppState, hook: &Webhook, line: &Line) -> anyhow::Result<String> {
    let sid = hook.param("CallSid");
    anyhow::ensure!(!sid.is_empty(), "no CallSid");
    let b = &line.business.id;
    let mut t = st.db.tenant(b);
    let greeting = match t.call_by_sid(sid).await {
        // A retried webhook: the call is already answered; greet again with the same words.
        Ok(call) => {
            let conv = call
                .conversation_id
                .as_deref()
                .and_then(ConversationId::parse)
                .context("call without a conversation")?;
            t.transcript(&conv)
                .await?
                .into_iter()
                .find(|m| m.role == "agent")
                .map(|m| m.text)
                .unwrap_or_default()
        }
        Err(frontdesk_store::StoreError::NotFound) => {
            let caller = PhoneE164::parse(hook.param("From")).ok();
            let (conv, greeting) = st
                .host
                .start(&st.db, b, Channel::Voice, caller.as_ref(), Utc::now())
                .await?;
            let direction = hook.get("Direction").unwrap_or("inbound");
            t.create_call(
                &NewCall {
                    call_sid: sid,
                    conversation: Some(&conv.id),
                    from: hook.param("From"),
                    to: hook.param("To"),
                    direction,
                    mode: mode_name(line.profile().calls.mode),
                    status: hook.get("CallStatus").unwrap_or("ringing"),
                },
                now_ms(),
            )
            .await?;
            metrics::counter!("calls_total", "mode" => mode_name(line.profile().calls.mode))
                .increment(1);
            greeting
        }
        Err(e) => return Err(e.into()),
    };
    let mut tw = Twiml::new();
    if line.profile().calls.record {
        let cb = line.url("/twilio/voice/recording", &[]);
        tw.nest("Start", &[], |t| {
            t.element(
                "Recording",
                &[
                    ("recordingStatusCallback", cb.as_str()),
                    ("recordingStatusCallbackEvent", "completed"),
                    ("channels", "dual"),
                ],
                None,
            );
        });
    }
    match line.profile().calls.mode {
        CallMode::Gather => line.gather(&mut tw, 1, &greeting),
        CallMode::ConversationRelay => super::relay::connect(line, &mut tw, &greeting),
        CallMode::MediaStreams => super::media::connect(st, line, &mut tw, &greeting),
    }
    Ok(tw.finish())
}

async fn gathered(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.gather").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match take_turn(&st, &hook, &line, &event).await {
        // The turn's transaction marked the webhook handled.
        Ok((body, true)) => twiml(body),
        r => close(&st, &event, r.map(|(body, _)| body)).await,
    }
}

/// What the caller's input says, as the turn's text: their words, or the keys they pressed.
fn input_text(hook: &Webhook) -> Option<String> {
    keypad_or_speech(hook.param("SpeechResult"), hook.param("Digits"))
}

/// The turn's text for speech or keys pressed: 0 asks for a person.
pub(super) fn keypad_or_speech(speech: &str, digits: &str) -> Option<String> {
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
pub(super) async fn call_conversation(
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
        .as_deref()
        .and_then(ConversationId::parse)
        .context("call without a conversation")?;
    Ok((conv, call))
}

/// Takes the caller's turn and answers it; `true` when the turn's own transaction marked the
/// webhook handled.
async fn take_turn(
    st: &AppState,
    hook: &Webhook,
    line: &Line,
    event: &str,
) -> anyhow::Result<(String, bool)> {
    let sid = hook.param("CallSid");
    let n: i64 = hook
        .query
        .get("n")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    let (conv, _) = call_conversation(st, line, sid).await?;
    let b = &line.business.id;
    let mut tw = Twiml::new();
    let Some(text) = input_text(hook) else {
        return Ok((silence(st, line, &conv, sid, n).await?, false));
    };
    let key = format!("{sid}:{n}");
    let also = Also {
        external_id: Some(&key),
        call_sid: Some(sid),
        event: Some(event),
    };
    let r = match st
        .host
        .turn_with(&st.db, b, &conv, &text, also, Utc::now())
        .await
    {
        Ok(r) => r,
        Err(TurnError::Ended) => {
            line.goodbye(&mut tw, "Thank you for calling. Goodbye.");
            return Ok((tw.finish(), false));
        }
        // Too long to be a turn: as if nothing was understood.
        Err(TurnError::Invalid(_)) => {
            return Ok((silence(st, line, &conv, sid, n).await?, false));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some((to, reason)) = transfer_target(&r) {
        tw.say(&r.reply, &line.voice);
        line.dial(&mut tw, &to, &reason);
    } else if r.ended {
        line.goodbye(&mut tw, &r.reply);
    } else {
        line.gather(&mut tw, n + 1, &r.reply);
    }
    // A replayed turn's transaction did not run.
    Ok((tw.finish(), !r.duplicate))
}

/// Nothing was heard: ask again once, then offer voicemail.
async fn silence(
    st: &AppState,
    line: &Line,
    conv: &ConversationId,
    sid: &str,
    n: i64,
) -> anyhow::Result<String> {
    let mut t = st.db.tenant(&line.business.id);
    let silences = t.count_silence(sid, now_ms()).await?;
    let mut tw = Twiml::new();
    if silences <= 1 {
        let (_, state) = t.conversation_state(conv).await?;
        let state: DialogueState = serde_json::from_str(&state).unwrap_or_default();
        let again = state
            .last_reply
            .unwrap_or_else(|| "How can I help you today?".into());
        line.gather(&mut tw, n, &format!("Sorry, I didn't catch that. {again}"));
    } else {
        let say = "I'm having trouble hearing you. Please leave your name, number and a short message after the tone, and we'll get back to you.";
        line.offer_voicemail(st, conv, &mut tw, say).await?;
    }
    Ok(tw.finish())
}

/// Where to put the caller through, and why, when the turn hands the call to a person.
pub(super) fn transfer_target(r: &TurnReply) -> Option<(PhoneE164, String)> {
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

async fn dial_ended(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.dial").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = after_transfer(&st, &hook, &line).await;
    close(&st, &event, r).await
}

/// The person answered (the call is over when they hang up), or nobody did: voicemail.
async fn after_transfer(st: &AppState, hook: &Webhook, line: &Line) -> anyhow::Result<String> {
    let sid = hook.param("CallSid");
    let status = hook.param("DialCallStatus");
    let (conv, _) = call_conversation(st, line, sid).await?;
    let mut t = st.db.tenant(&line.business.id);
    t.set_call_transfer(sid, status, now_ms()).await?;
    let mut tw = Twiml::new();
    if matches!(status, "completed" | "answered") {
        tw.hangup();
        return Ok(tw.finish());
    }
    let say = "I'm sorry, nobody could take your call right now. Please leave your name, number and message after the tone, and we'll call you back as soon as we can.";
    line.offer_voicemail(st, &conv, &mut tw, say).await?;
    Ok(tw.finish())
}

async fn whisper(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.whisper").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let reason = hook.query.get("reason").map_or("", String::as_str);
    let mut tw = Twiml::new();
    tw.say(
        &format!(
            "A call from the {} front desk. {reason}. Connecting you now.",
            line.business.name
        ),
        &line.voice,
    );
    close(&st, &event, Ok(tw.finish())).await
}

async fn voicemail(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.voicemail").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = keep_voicemail(&st, &hook, &line).await;
    close(&st, &event, r).await
}

/// Keeps a voicemail as a message for the owner, with the recording's URL.
async fn keep_voicemail(st: &AppState, hook: &Webhook, line: &Line) -> anyhow::Result<String> {
    let sid = hook.param("CallSid");
    let url = hook.param("RecordingUrl");
    let mut tw = Twiml::new();
    if url.is_empty() {
        line.goodbye(&mut tw, "We didn't get a message. Goodbye.");
        return Ok(tw.finish());
    }
    let secs: i64 = hook.param("RecordingDuration").parse().unwrap_or(0);
    let (conv, _) = call_conversation(st, line, sid).await?;
    let mut tx = st.db.begin().await?;
    let mut t = tx.tenant(&line.business.id);
    let c = t.conversation(&conv).await?;
    let customer = c.customer_id.as_deref().and_then(CustomerId::parse);
    let from = PhoneE164::parse(hook.param("From")).ok();
    let now = now_ms();
    let text = format!("Voicemail ({secs} s): {url}");
    let id = t
        .take_message(
            customer.as_ref(),
            Some(&conv),
            None,
            from.as_ref().map(PhoneE164::as_str),
            &text,
            now,
        )
        .await?;
    t.add_activity(
        customer.as_ref(),
        Some(&conv),
        "message_taken",
        &format!("Voicemail, {secs} seconds"),
        &json!({"message_id": id, "recording_url": url}),
        now,
    )
    .await?;
    t.add_message(
        &conv,
        &NewMessage {
            role: "caller",
            text: &format!("(voicemail, {secs} seconds: {url})"),
            ..Default::default()
        },
        now,
    )
    .await?;
    t.set_call_outcome(sid, "voicemail", now).await?;
    let name = match &customer {
        Some(c) => t.customer(c).await?.name,
        None => None,
    };
    let notices = Notices {
        senders: st.host.senders(),
        profile: line.profile(),
        conversation: Some(&conv),
        to: Recipient {
            channel: "voice",
            name: name.as_deref(),
            phone: from.as_ref().map(PhoneE164::as_str),
            email: None,
        },
        now,
    };
    let queued = notices
        .queue(&mut t, &Event::Message { text: &text })
        .await?;
    tx.commit().await?;
    if queued.messages > 0 {
        st.jobs_wake.notify_one();
    }
    line.goodbye(
        &mut tw,
        "Thank you, we have your message and will get back to you soon. Goodbye.",
    );
    Ok(tw.finish())
}

async fn call_status(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.status").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = record_status(&st, &hook, &line).await;
    // Twilio reads nothing from a status callback's answer.
    close(&st, &event, r.map(|()| Twiml::new().finish())).await
}

/// Records the status; a finished call ends its conversation, gets its outcome, and has its
/// price fetched.
async fn record_status(st: &AppState, hook: &Webhook, line: &Line) -> anyhow::Result<()> {
    let sid = hook.param("CallSid");
    let status = hook.param("CallStatus");
    anyhow::ensure!(!status.is_empty(), "no CallStatus");
    let duration = hook.get("CallDuration").and_then(|d| d.parse().ok());
    let b = &line.business.id;
    let mut tx = st.db.begin().await?;
    let mut t = tx.tenant(b);
    let call = t
        .update_call_status(sid, status, duration, now_ms())
        .await?;
    if is_final_status(status) {
        let conv = call
            .conversation_id
            .as_deref()
            .and_then(ConversationId::parse);
        let mut turns = 0;
        if let Some(conv) = &conv {
            t.end_conversation(conv, now_ms()).await?;
            turns = t.conversation(conv).await?.turns;
        }
        if call.outcome.is_none() {
            let o = if status == "completed" && turns > 0 {
                "answered"
            } else {
                "abandoned"
            };
            t.set_call_outcome(sid, o, now_ms()).await?;
        }
        if st.twilio.is_some() {
            frontdesk_jobs::enqueue(
                &mut tx,
                super::CALL_PRICE_JOB,
                json!({"business": b, "call_sid": sid}),
                frontdesk_jobs::Options {
                    business: Some(b.clone()),
                    idempotency_key: Some(format!("call-price:{sid}")),
                    max_attempts: 10,
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    st.jobs_wake.notify_one();
    Ok(())
}

async fn recording_status(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.recording").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = async {
        if hook.param("RecordingStatus") == "completed" {
            let secs = hook.get("RecordingDuration").and_then(|d| d.parse().ok());
            st.db
                .tenant(&line.business.id)
                .set_call_recording(
                    hook.param("CallSid"),
                    hook.param("RecordingSid"),
                    hook.param("RecordingUrl"),
                    secs,
                    now_ms(),
                )
                .await?;
        }
        Ok(Twiml::new().finish())
    }
    .await;
    close(&st, &event, r).await
}
