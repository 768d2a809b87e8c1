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

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::CallOutcome;
use frontdesk_engine::agent::{Channel, State as DialogueState};
use frontdesk_engine::profile::CallMode;
use frontdesk_store::calls::NewCall;
use frontdesk_store::conversations::NewMessage;
use frontdesk_store::states::CallStatus;
use frontdesk_store::states::MessageRole;
use frontdesk_store::{ConversationId, now_ms};
use serde_json::json;

use super::call::{Line, call_conversation, close, keypad_or_speech, open, transfer_target};
use super::twiml;
use crate::AppState;
use crate::channels::webhook::Webhook;
use frontdesk_desk::actions::messages::{self, Message};
use frontdesk_desk::actions::{Cx, Done};
use frontdesk_desk::host::{Also, Opening, TurnError};
use frontdesk_desk::jobs::{self, FetchCallPrice};
use frontdesk_desk::notify::{Notices, Recipient};
use frontdesk_desk::providers::twilio::rest::{recording_sid, recording_sid_in};
use frontdesk_desk::providers::twilio::twiml::Twiml;

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

fn mode_name(m: CallMode) -> &'static str {
    match m {
        CallMode::Gather => "gather",
        CallMode::ConversationRelay => "conversation_relay",
        CallMode::MediaStreams => "media_streams",
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
        Ok(call) if call.mode == OVER_BUDGET => return over_budget(&mut t, hook, line).await,
        Ok(call) => {
            let conv = call
                .conversation_id
                .context("call without a conversation")?;
            t.transcript(&conv)
                .await?
                .into_iter()
                .find(|m| m.role == MessageRole::Agent)
                .map(|m| m.text)
                .unwrap_or_default()
        }
        Err(frontdesk_store::StoreError::NotFound) => {
            if !frontdesk_desk::calls::within_call_budget(&st.desk, b, &mut t, line.profile())
                .await?
            {
                return over_budget(&mut t, hook, line).await;
            }
            let caller = PhoneE164::parse(hook.param("From")).ok();
            let (conv, greeting) = st
                .desk
                .host
                .open(
                    &st.db,
                    b,
                    Opening::new(Channel::Voice, caller.as_ref()),
                    Utc::now(),
                )
                .await?;
            let mode = mode_name(line.profile().calls.mode);
            t.create_call(&new_call(hook, Some(&conv.id), mode), now_ms())
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

/// A call past the business's daily call budget: recorded (mode `over_budget`, no
/// conversation), told so in a few seconds, and hung up.
async fn over_budget(
    t: &mut frontdesk_store::Tenant<frontdesk_store::Db>,
    hook: &Webhook,
    line: &Line,
) -> anyhow::Result<String> {
    t.create_call(&new_call(hook, None, OVER_BUDGET), now_ms())
        .await?;
    let mut tw = Twiml::new();
    line.goodbye(
        &mut tw,
        &format!(
            "Thank you for calling {}. We can't take more calls on this line today. Please try again later.",
            line.profile().name
        ),
    );
    Ok(tw.finish())
}

/// The call the incoming-call webhook announces, on its conversation, handled in `mode`.
fn new_call<'a>(hook: &'a Webhook, conv: Option<&'a ConversationId>, mode: &'a str) -> NewCall<'a> {
    NewCall {
        call_sid: hook.param("CallSid"),
        conversation: conv,
        from: hook.param("From"),
        to: hook.param("To"),
        direction: hook.get("Direction").unwrap_or("inbound"),
        mode,
        status: hook
            .get("CallStatus")
            .and_then(CallStatus::parse)
            .unwrap_or(CallStatus::Ringing),
    }
}

/// The mode of a call refused by the daily call budget.
const OVER_BUDGET: &str = "over_budget";

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
        .desk
        .host
        .turn(&st.db, b, &conv, &text, also, Utc::now())
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
    let customer = c.customer_id;
    let from = PhoneE164::parse(hook.param("From")).ok();
    let now = now_ms();
    let name = match &customer {
        Some(c) => t.customer(c).await?.name,
        None => None,
    };
    let cx = Cx {
        notices: Notices {
            senders: st.desk.host.senders(),
            profile: line.profile(),
            conversation: Some(&conv),
            to: Recipient {
                channel: Channel::Voice,
                name: name.as_deref(),
                phone: from.as_ref().map(PhoneE164::as_str),
                email: None,
            },
            now,
            links: st.desk.host.links(),
        },
        customer: customer.as_ref(),
    };
    let message = Message {
        text: &format!("Voicemail ({secs} s): {url}"),
        name: None,
        phone: from.as_ref(),
        summary: &format!("Voicemail, {secs} seconds"),
        detail: json!({"recording_url": url}),
    };
    let (id, done) = messages::take(&mut t, &cx, &cx.notices, &message).await?;
    let recording = Some(hook.param("RecordingSid"))
        .filter(|s| recording_sid(s))
        .or_else(|| recording_sid_in(url));
    if let Some(sid) = recording {
        t.set_message_recording(&id, sid).await?;
    }
    t.add_message(
        &conv,
        &NewMessage::new(
            MessageRole::Caller,
            &format!("(voicemail, {secs} seconds: {url})"),
        ),
        now,
    )
    .await?;
    t.set_call_outcome(sid, CallOutcome::Voicemail, now).await?;
    tx.commit().await?;
    if matches!(done, Done::Kept(q) if q.messages > 0) {
        st.desk.wake_jobs();
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
    let raw = hook.param("CallStatus");
    anyhow::ensure!(!raw.is_empty(), "no CallStatus");
    let Some(status) = CallStatus::parse(raw) else {
        // A status Twilio did not document when this was written: kept in the webhook log,
        // and the call is left as it was.
        tracing::warn!(status = raw, "unknown call status, ignored");
        return Ok(());
    };
    let duration = hook.get("CallDuration").and_then(|d| d.parse().ok());
    let b = &line.business.id;
    let mut tx = st.db.begin().await?;
    let mut t = tx.tenant(b);
    let call = t
        .update_call_status(sid, status, duration, now_ms())
        .await?;
    if status.is_final() {
        let conv = call.conversation_id;
        let mut turns = 0;
        if let Some(conv) = &conv {
            t.end_conversation(conv, now_ms()).await?;
            turns = t.conversation(conv).await?.turns;
        }
        if call.outcome.is_none() {
            let o = if status == CallStatus::Completed && turns > 0 {
                CallOutcome::Answered
            } else {
                CallOutcome::Abandoned
            };
            t.set_call_outcome(sid, o, now_ms()).await?;
        }
        if st.desk.twilio.is_some() {
            let job = FetchCallPrice {
                business: b.clone(),
                call_sid: sid.to_owned(),
            };
            let now = now_ms();
            jobs::enqueue(
                &mut tx.tenant(b),
                &job,
                now,
                format!("call-price:{sid}"),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    st.desk.wake_jobs();
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
