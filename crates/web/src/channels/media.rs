//! Phone calls over Twilio Media Streams: the call's audio itself comes here over a WebSocket
//! (`<Connect><Stream>`, chosen per business: `calls.mode: media_streams`), and we hear, decide
//! and speak. In: `connected`, `start`, `media` (8 kHz μ-law, 20 ms frames), `mark`, `dtmf`,
//! `stop`. Out: `media`, `mark`, `clear`.
//!
//! - **Hearing**: every frame goes to the speech-to-text provider ([`frontdesk_desk::providers::speech::stt`]) and
//!   to a voice activity detector. The caller's turn ends at the provider's end of speech, or
//!   when the detector has heard the end-of-turn silence after final words.
//! - **Speaking**: the reply is synthesized a sentence at a time (the next while the first
//!   plays) and sent in real time, one 20 ms frame every 20 ms on a fixed clock: no bursts, no
//!   gaps. A `mark` follows each sentence; Twilio echoes it when the caller has heard it.
//! - **Barge-in**: when the caller speaks over the agent, words that are not a backchannel
//!   ("mhm", "okay", a cough that produced none) send `clear`, and the reply is kept in the
//!   transcript as far as the caller heard it: the sentences whose marks came back, and of the
//!   sentence under way, the share of its audio that had played.
//! - **Filler**: a reply that takes longer than `speech.filler_after_ms` is preceded by a short
//!   "One moment."
//! - **Hand-off**: a transfer or goodbye is played to its end, recorded, and the socket closed;
//!   Twilio then asks the `<Connect>` action what to do, which dials the person or hangs up. If a
//!   provider fails mid-call the session records nothing and closes, and the action carries the
//!   call on over the TwiML `<Gather>` loop, repeating the last reply.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::uri::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use frontdesk_store::states::MessageRole;
use frontdesk_store::{BusinessId, ConversationId, businesses, webhooks};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::call::{Line, call_conversation, close, hints, keypad_or_speech, open, transfer_target};
use super::call::{after_session, refused_socket, ws_url};
use super::{handled, received};
use crate::AppState;
use crate::channels::webhook::{Webhook, base_url};
use frontdesk_desk::host::{Also, TurnError, TurnReply};
use frontdesk_desk::providers::audio::{FRAME_SAMPLES, decode_mulaw};
use frontdesk_desk::providers::speech::vad::{Vad, VadEvent, is_backchannel};
use frontdesk_desk::providers::speech::{SttEvent, SttInput, SttStream};
use frontdesk_desk::providers::twilio::twiml::{Twiml, Voice};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/media", get(media_socket))
        .route("/twilio/voice/stream-ended", post(stream_ended))
}

/// One frame of the line: 20 ms.
const FRAME: Duration = Duration::from_millis(20);
/// A frame this late is sent at once and the clock starts again from now, rather than sending
/// the frames it missed in a burst.
const LATE_RESET: Duration = Duration::from_millis(60);
/// Frames Twilio holds before the caller hears them: the share of a sentence heard when it
/// was cut is counted without them.
const PLAYOUT_FRAMES: usize = 2;
/// Voice this long with no words recognised yet interrupts the agent (a cough or an "mhm" is
/// shorter).
const BARGE_IN_VOICE_MS: u32 = 1200;
/// How long to wait for Twilio to echo the last marks before handing off anyway.
const MARK_WAIT: Duration = Duration::from_secs(3);
/// The largest message accepted from Twilio; a media message is about 400 bytes.
const MAX_MESSAGE: usize = 64 * 1024;
/// What is said when a reply is slow.
const FILLER: &str = "One moment.";
/// The kind of the stored event that says how a session handed its call off.
const HANDOFF_KIND: &str = "media.handoff";

/// Answers a call with `<Connect><Stream>`; the business rides along as a custom parameter
/// (Twilio takes no query string on a stream URL). Without a speech-to-text provider the call
/// cannot be heard here, so it is answered on the TwiML loop instead.
pub(super) fn connect(st: &AppState, line: &Line, t: &mut Twiml, greeting: &str) {
    if st.speech.stt.is_none() {
        tracing::warn!(
            business = %line.business.id,
            "calls.mode is media_streams but speech.stt is not set: answering on the TwiML loop"
        );
        line.gather(t, 1, greeting);
        return;
    }
    let url = ws_url(&format!("{}/twilio/media", line.base));
    let action = line.url("/twilio/voice/stream-ended", &[]);
    t.nest(
        "Connect",
        &[("action", action.as_str()), ("method", "POST")],
        |t| {
            t.nest("Stream", &[("url", url.as_str())], |t| {
                t.element(
                    "Parameter",
                    &[("name", "business"), ("value", line.business.id.as_str())],
                    None,
                );
            });
        },
    );
}

async fn media_socket(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(r) = refused_socket(&st, &headers, &uri) {
        return r;
    }
    let base = base_url(&st, &headers);
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| session(st, base, socket))
}

/// The `<Connect>` action: the stream is over; the session's recorded hand-off says what
/// happens to the call, and without one the call carries on over the TwiML loop.
async fn stream_ended(State(st): State<AppState>, hook: Webhook) -> Response {
    let (line, event) = match open(&st, &hook, "voice.stream_ended").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut db = st.db.clone();
    let handoff = match webhooks::latest(
        &mut db,
        &line.business.id,
        HANDOFF_KIND,
        hook.param("CallSid"),
    )
    .await
    {
        Ok(h) => h
            .and_then(|h| serde_json::from_str::<Value>(&h).ok())
            .unwrap_or(Value::Null),
        Err(e) => return close(&st, &event, Err(e.into())).await,
    };
    let r = after_session(&st, &hook, &line, &handoff).await;
    close(&st, &event, r).await
}

/// A frame or a mark waiting to be sent.
enum Out {
    /// 20 ms of audio; `sentence` is its place in the reply (`None`: a filler).
    Frame {
        audio: [u8; FRAME_SAMPLES],
        sentence: Option<usize>,
    },
    Mark(String),
}

/// A sentence of the reply being spoken.
struct Sentence {
    text: String,
    mark: String,
    frames: usize,
    sent: usize,
    heard: bool,
}

/// What happens once the reply has been heard to its end.
enum After {
    Goodbye,
    Transfer { to: String, reason: String },
}

/// Work finished elsewhere, reported to the session.
enum Work {
    Reply(u32, Box<Result<TurnReply, TurnError>>),
    Audio {
        reply: u32,
        sentence: usize,
        audio: Vec<u8>,
    },
    Filler(u32, Arc<Vec<u8>>),
    SpeechFailed(String),
}

/// The call, once `start` has named it.
struct Call {
    st: AppState,
    line: Arc<Line>,
    stream_sid: String,
    call_sid: String,
    conv: ConversationId,
    stt: mpsc::Sender<SttInput>,
    vad: Vad,
    /// Voice heard while the agent talks, in milliseconds, since the caller began speaking.
    over_voice_ms: u32,
    work: mpsc::Sender<Work>,
    /// Final words of the caller's turn so far.
    pending: String,
    /// The latest words of the utterance under way.
    partial: String,
    /// Turns taken, for each turn's idempotency key; a turn is running while `thinking`.
    turns: u32,
    thinking: bool,
    turn_task: Option<JoinHandle<()>>,
    filler_at: Option<Instant>,
    /// Replies started: audio for an older one (interrupted) is dropped.
    reply: u32,
    sentences: Vec<Sentence>,
    synth: Option<JoinHandle<()>>,
    queue: VecDeque<Out>,
    next_frame: Option<Instant>,
    /// Marks sent and not yet echoed: audio the caller has not heard yet.
    marks_out: Vec<String>,
    after: Option<After>,
    after_deadline: Option<Instant>,
}

async fn send(socket: &mut WebSocket, v: &Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

/// `at`, or never.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[tracing::instrument(name = "media", skip_all, fields(business = tracing::field::Empty, call = tracing::field::Empty))]
async fn session(st: AppState, base: String, mut socket: WebSocket) {
    let (work_tx, work_rx) = mpsc::channel(64);
    // Before `start`: the messages that name the call.
    let (mut call, stt_events) = loop {
        let Some(Ok(msg)) = socket.recv().await else {
            return;
        };
        let Message::Text(text) = msg else { continue };
        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
            tracing::warn!("Media Streams: unreadable message");
            continue;
        };
        match v["event"].as_str() {
            Some("connected") => continue,
            Some("start") => match begin(&st, &base, &v, work_tx.clone()).await {
                Ok(started) => break started,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "Media Streams: cannot start");
                    // Nothing recorded: the `<Connect>` action carries the call on over the
                    // TwiML loop.
                    metrics::counter!("media_fallbacks_total").increment(1);
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            Some("stop") => return,
            _ => continue,
        }
    };
    metrics::counter!("media_calls_total").increment(1);
    call.greet().await;
    run(&mut call, &mut socket, stt_events, work_rx).await;
    if let Some(s) = call.synth.take() {
        s.abort();
    }
}

/// Reads `start`: the business, the call and its conversation; opens the recogniser.
async fn begin(
    st: &AppState,
    base: &str,
    v: &Value,
    work: mpsc::Sender<Work>,
) -> anyhow::Result<(Call, mpsc::Receiver<SttEvent>)> {
    let start = &v["start"];
    let stream_sid = v["streamSid"]
        .as_str()
        .or(start["streamSid"].as_str())
        .unwrap_or("")
        .to_owned();
    let call_sid = start["callSid"].as_str().unwrap_or("").to_owned();
    tracing::Span::current().record("call", call_sid.as_str());
    anyhow::ensure!(
        !stream_sid.is_empty() && !call_sid.is_empty(),
        "start without its sids"
    );
    let format = &start["mediaFormat"];
    anyhow::ensure!(
        format["encoding"].as_str().unwrap_or("audio/x-mulaw") == "audio/x-mulaw"
            && format["sampleRate"].as_u64().unwrap_or(8000) == 8000,
        "unexpected media format {format}"
    );
    let id = start["customParameters"]["business"]
        .as_str()
        .and_then(BusinessId::parse)
        .ok_or_else(|| anyhow::anyhow!("start without a business"))?;
    tracing::Span::current().record("business", id.as_str());
    let mut db = st.db.clone();
    let business = businesses::get(&mut db, &id).await?;
    let loaded = st.desk.host.load(&mut st.db.tenant(&id)).await?;
    let p = &loaded.profile;
    let line = Line {
        voice: Voice {
            voice: p.persona.as_ref().and_then(|p| p.voice.clone()),
            language: p.locale.clone(),
        },
        base: base.to_owned(),
        business,
        loaded: loaded.clone(),
    };
    let ev = received(
        st,
        Some(&line.business.id),
        "media.start",
        &v.to_string(),
        &call_sid,
    )
    .await?;
    handled(st, &ev, None).await;
    let (conv, _) = call_conversation(st, &line, &call_sid).await?;
    let stt = st
        .speech
        .stt
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no speech-to-text provider"))?;
    let hints: Vec<String> = hints(line.profile())
        .split(", ")
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let SttStream { input, events } = stt
        .open(&line.voice.language, &hints)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok((
        Call {
            st: st.clone(),
            line: Arc::new(line),
            stream_sid,
            call_sid,
            conv,
            stt: input,
            vad: Vad::new(st.speech.end_of_turn_ms),
            over_voice_ms: 0,
            work,
            pending: String::new(),
            partial: String::new(),
            turns: 0,
            thinking: false,
            turn_task: None,
            filler_at: None,
            reply: 0,
            sentences: Vec::new(),
            synth: None,
            queue: VecDeque::new(),
            next_frame: None,
            marks_out: Vec::new(),
            after: None,
            after_deadline: None,
        },
        events,
    ))
}

async fn run(
    call: &mut Call,
    socket: &mut WebSocket,
    mut stt: mpsc::Receiver<SttEvent>,
    mut work: mpsc::Receiver<Work>,
) {
    loop {
        if call.ready_to_hand_off() {
            call.hand_off(socket).await;
            return;
        }
        tokio::select! {
            m = socket.recv() => {
                let Some(Ok(m)) = m else { return };
                let text = match m {
                    Message::Text(t) => t,
                    Message::Close(_) => return,
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    tracing::warn!("Media Streams: unreadable message");
                    continue;
                };
                if !call.inbound(&v, socket).await {
                    return;
                }
            }
            _ = sleep_until(call.next_frame) => {
                if !call.play(socket).await {
                    return;
                }
            }
            e = stt.recv() => {
                let e = e.unwrap_or_else(|| SttEvent::Failed("the recogniser stopped".into()));
                if !call.heard(e, socket).await {
                    return;
                }
            }
            w = work.recv() => {
                let Some(w) = w else { return };
                if !call.done(w, socket).await {
                    return;
                }
            }
            _ = sleep_until(call.filler_at) => {
                call.filler_at = None;
                call.filler();
            }
            _ = sleep_until(call.after_deadline) => {
                // Twilio did not echo the last marks: hand off anyway.
                call.marks_out.clear();
                call.after_deadline = None;
            }
        }
    }
}

impl Call {
    /// Speaks the greeting the call was answered with (the last thing the agent said).
    async fn greet(&mut self) {
        let t = self
            .st
            .db
            .tenant(&self.line.business.id)
            .transcript(&self.conv)
            .await;
        let greeting = t
            .ok()
            .and_then(|m| m.into_iter().rev().find(|m| m.role == MessageRole::Agent))
            .map(|m| m.text)
            .unwrap_or_else(|| "How can I help you today?".into());
        self.speak(&greeting);
    }

    /// One message from Twilio; `false` when the call is over.
    async fn inbound(&mut self, v: &Value, socket: &mut WebSocket) -> bool {
        match v["event"].as_str().unwrap_or("") {
            "media" => {
                let m = &v["media"];
                if m["track"].as_str().is_some_and(|t| t != "inbound") {
                    return true;
                }
                let Ok(audio) = B64.decode(m["payload"].as_str().unwrap_or("")) else {
                    metrics::counter!("media_bad_frames_total").increment(1);
                    return true;
                };
                if audio.is_empty() || audio.len() > 8 * FRAME_SAMPLES {
                    metrics::counter!("media_bad_frames_total").increment(1);
                    return true;
                }
                let pcm = decode_mulaw(&audio);
                if self.stt.try_send(SttInput::Audio(audio)).is_err() {
                    return self
                        .fail("the speech-to-text provider is not keeping up", socket)
                        .await;
                }
                match self.vad.push(&pcm) {
                    Some(VadEvent::Started) => {
                        let _ = self.stt.try_send(SttInput::SpeechStarted);
                    }
                    Some(VadEvent::Ended) => {
                        let _ = self.stt.try_send(SttInput::SpeechEnded);
                        self.end_of_turn();
                    }
                    None => {}
                }
                // Long speech over the agent before any words were recognised.
                if !self.vad.speaking() {
                    self.over_voice_ms = 0;
                } else if self.vad.voiced() && self.playing() {
                    self.over_voice_ms += 20;
                }
                if self.playing()
                    && self.partial.is_empty()
                    && self.over_voice_ms >= BARGE_IN_VOICE_MS
                {
                    self.interrupt(socket).await;
                }
                true
            }
            "mark" => {
                let name = v["mark"]["name"].as_str().unwrap_or("");
                self.marks_out.retain(|m| m != name);
                if let Some(s) = self.sentences.iter_mut().find(|s| s.mark == name) {
                    s.heard = true;
                }
                true
            }
            "dtmf" => {
                let digit = v["dtmf"]["digit"].as_str().unwrap_or("");
                if let Some(said) = keypad_or_speech("", digit) {
                    if self.playing() {
                        self.interrupt(socket).await;
                    }
                    self.pending = said;
                    self.end_of_turn();
                }
                true
            }
            "stop" => false,
            "start" | "connected" => true,
            other => {
                tracing::debug!(kind = other, "Media Streams: message ignored");
                true
            }
        }
    }

    /// What the recogniser heard; `false` when the call is over.
    async fn heard(&mut self, e: SttEvent, socket: &mut WebSocket) -> bool {
        match e {
            SttEvent::Partial(text) => {
                if self.playing() && !is_backchannel(&text) {
                    self.interrupt(socket).await;
                }
                self.partial = text;
            }
            SttEvent::Final { text, end_of_turn } => {
                self.partial.clear();
                if !text.is_empty() {
                    if self.playing() {
                        if is_backchannel(&text) {
                            // "mhm" over the agent: listening, not taking the turn.
                            metrics::counter!("media_backchannels_total").increment(1);
                            return true;
                        }
                        self.interrupt(socket).await;
                    }
                    if !self.pending.is_empty() {
                        self.pending.push(' ');
                    }
                    self.pending.push_str(&text);
                }
                if end_of_turn {
                    self.end_of_turn();
                }
            }
            SttEvent::UtteranceEnd => self.end_of_turn(),
            SttEvent::Failed(why) => return self.fail(&why, socket).await,
        }
        true
    }

    /// The caller has stopped: their words so far are a turn, unless one is being answered.
    fn end_of_turn(&mut self) {
        if self.thinking || self.pending.trim().is_empty() {
            return;
        }
        let said = std::mem::take(&mut self.pending);
        self.turns += 1;
        self.thinking = true;
        self.filler_at =
            Some(Instant::now() + Duration::from_millis(self.st.speech.filler_after_ms));
        let st = self.st.clone();
        let b = self.line.business.id.clone();
        let conv = self.conv.clone();
        let sid = self.call_sid.clone();
        let n = self.turns;
        let tx = self.work.clone();
        self.turn_task = Some(tokio::spawn(async move {
            let key = format!("{sid}:media{n}");
            let also = Also {
                external_id: Some(&key),
                call_sid: Some(&sid),
                event: None,
            };
            let r = st
                .desk
                .host
                .turn(&st.db, &b, &conv, &said, also, Utc::now())
                .await;
            let _ = tx.send(Work::Reply(n, Box::new(r))).await;
        }));
    }

    /// The reply is slow: say the filler while it comes.
    fn filler(&mut self) {
        if !self.thinking {
            return;
        }
        let speech = self.st.speech.clone();
        let locale = self.line.voice.language.clone();
        let tx = self.work.clone();
        let turn = self.turns;
        tokio::spawn(async move {
            match speech.cached(FILLER, &locale).await {
                Ok(a) => {
                    let _ = tx.send(Work::Filler(turn, a)).await;
                }
                Err(e) => tracing::warn!(error = %e, "Media Streams: the filler failed"),
            }
        });
    }

    /// Work finished elsewhere; `false` when the call is over.
    async fn done(&mut self, w: Work, socket: &mut WebSocket) -> bool {
        match w {
            Work::Reply(n, r) => {
                if n != self.turns {
                    return true;
                }
                self.thinking = false;
                self.filler_at = None;
                match *r {
                    Ok(r) => {
                        if let Some((to, reason)) = transfer_target(&r) {
                            self.after = Some(After::Transfer {
                                to: to.as_str().to_owned(),
                                reason,
                            });
                        } else if r.ended {
                            self.after = Some(After::Goodbye);
                        }
                        self.speak(&r.reply);
                    }
                    Err(TurnError::Invalid(_)) => {
                        self.speak("Sorry, I didn't catch that. Could you say it again?");
                    }
                    Err(TurnError::Ended) => self.after = Some(After::Goodbye),
                    Err(e) => {
                        tracing::error!(error = %e, "Media Streams turn failed");
                        return self.fail("the turn failed", socket).await;
                    }
                }
                // Words that came while the reply was being worked out are the next turn.
                if !self.pending.is_empty() && !self.vad.speaking() {
                    self.end_of_turn();
                }
            }
            Work::Audio {
                reply,
                sentence,
                audio,
            } => {
                if reply != self.reply {
                    return true;
                }
                let frames = self.enqueue(&audio, Some(sentence));
                if let Some(s) = self.sentences.get_mut(sentence) {
                    s.frames = frames;
                    self.queue.push_back(Out::Mark(s.mark.clone()));
                }
            }
            Work::Filler(turn, audio) => {
                if self.thinking && turn == self.turns && self.queue.is_empty() {
                    self.enqueue(&audio, None);
                }
            }
            Work::SpeechFailed(why) => return self.fail(&why, socket).await,
        }
        true
    }

    /// Queues audio as 20 ms frames (the last one filled out with silence); how many.
    fn enqueue(&mut self, audio: &[u8], sentence: Option<usize>) -> usize {
        let mut n = 0;
        for chunk in audio.chunks(FRAME_SAMPLES) {
            let mut frame = [0xFFu8; FRAME_SAMPLES]; // μ-law silence
            frame[..chunk.len()].copy_from_slice(chunk);
            self.queue.push_back(Out::Frame {
                audio: frame,
                sentence,
            });
            n += 1;
        }
        if self.next_frame.is_none() {
            self.next_frame = Some(Instant::now());
        }
        n
    }

    /// Starts speaking `text`: each sentence synthesized in turn while the one before plays.
    fn speak(&mut self, text: &str) {
        if let Some(s) = self.synth.take() {
            s.abort();
        }
        self.reply += 1;
        let reply = self.reply;
        let parts: Vec<String> = text
            .split_inclusive(['.', '?', '!'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        self.sentences = parts
            .iter()
            .enumerate()
            .map(|(i, p)| Sentence {
                text: p.clone(),
                mark: format!("r{reply}s{i}"),
                frames: 0,
                sent: 0,
                heard: false,
            })
            .collect();
        let speech = self.st.speech.clone();
        let locale = self.line.voice.language.clone();
        let tx = self.work.clone();
        self.synth = Some(tokio::spawn(async move {
            for (i, p) in parts.iter().enumerate() {
                match speech.tts.synthesize(p, &locale).await {
                    Ok(audio) => {
                        let w = Work::Audio {
                            reply,
                            sentence: i,
                            audio,
                        };
                        if tx.send(w).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Work::SpeechFailed(e)).await;
                        return;
                    }
                }
            }
        }));
    }

    /// The agent is talking: audio waits to be sent, is being synthesized, or has not been
    /// heard to its end.
    fn playing(&self) -> bool {
        !self.queue.is_empty()
            || !self.marks_out.is_empty()
            || self.synth.as_ref().is_some_and(|s| !s.is_finished())
    }

    /// Sends the frame that is due, and the marks right after it; `false` if the socket is gone.
    async fn play(&mut self, socket: &mut WebSocket) -> bool {
        let Some(due) = self.next_frame else {
            return true;
        };
        let mut sent_frame = false;
        while let Some(out) = self.queue.front() {
            match out {
                Out::Mark(name) => {
                    let m = json!({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}});
                    self.marks_out.push(name.clone());
                    self.queue.pop_front();
                    if !send(socket, &m).await {
                        return false;
                    }
                }
                Out::Frame { .. } if sent_frame => break,
                Out::Frame { audio, sentence } => {
                    if let Some(s) = sentence.and_then(|i| self.sentences.get_mut(i)) {
                        s.sent += 1;
                    }
                    let m = json!({
                        "event": "media",
                        "streamSid": self.stream_sid,
                        "media": {"payload": B64.encode(audio)},
                    });
                    self.queue.pop_front();
                    sent_frame = true;
                    if !send(socket, &m).await {
                        return false;
                    }
                }
            }
        }
        let now = Instant::now();
        self.next_frame = if self.queue.is_empty() {
            None
        } else if now > due + LATE_RESET {
            metrics::counter!("media_frames_late_total").increment(1);
            Some(now + FRAME)
        } else {
            Some(due + FRAME)
        };
        if self.queue.is_empty() && self.after.is_some() {
            self.after_deadline = Some(now + MARK_WAIT);
        }
        true
    }

    /// The caller spoke over the agent: stop the audio where it is, and keep the reply in the
    /// transcript as far as they heard it.
    async fn interrupt(&mut self, socket: &mut WebSocket) {
        if !self.playing() {
            return;
        }
        let _ = send(
            socket,
            &json!({"event": "clear", "streamSid": self.stream_sid}),
        )
        .await;
        metrics::counter!("media_barge_ins_total").increment(1);
        if let Some(s) = self.synth.take() {
            s.abort();
        }
        self.queue.clear();
        self.next_frame = None;
        // Marks still out were for audio just cleared: Twilio sends them back now.
        self.marks_out.clear();
        self.reply += 1;
        let heard = heard_of(&self.sentences);
        let whole = self.sentences.iter().all(|s| s.heard);
        self.sentences.clear();
        if !whole {
            let r = self
                .st
                .db
                .tenant(&self.line.business.id)
                .cut_last_reply(&self.conv, &heard)
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "Media Streams: recording an interruption");
            }
        }
    }

    fn ready_to_hand_off(&self) -> bool {
        self.after.is_some() && !self.playing()
    }

    /// Records how the call goes on and closes the stream; Twilio then asks the `<Connect>`
    /// action.
    async fn hand_off(&mut self, socket: &mut WebSocket) {
        let handoff = match self.after.take() {
            Some(After::Transfer { to, reason }) => {
                json!({"reasonCode": "transfer", "to": to, "reason": reason})
            }
            _ => json!({"reasonCode": "goodbye"}),
        };
        match received(
            &self.st,
            Some(&self.line.business.id),
            HANDOFF_KIND,
            &handoff.to_string(),
            &self.call_sid,
        )
        .await
        {
            Ok(ev) => handled(&self.st, &ev, None).await,
            Err(e) => tracing::error!(error = %e, "Media Streams: recording the hand-off"),
        }
        let _ = socket.send(Message::Close(None)).await;
    }

    /// A provider failed: close the stream without a hand-off, so the `<Connect>` action
    /// carries the call on over the TwiML loop. Always `false`.
    async fn fail(&mut self, why: &str, socket: &mut WebSocket) -> bool {
        tracing::warn!(
            call_sid = self.call_sid,
            error = why,
            "Media Streams: a speech provider failed; the call continues on the TwiML loop"
        );
        metrics::counter!("media_fallbacks_total").increment(1);
        // A turn under way is finished first, so the TwiML loop repeats its reply.
        if self.thinking
            && let Some(t) = self.turn_task.take()
        {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        let _ = socket.send(Message::Close(None)).await;
        false
    }
}

/// What the caller heard of a reply: the sentences whose marks came back, and the played share
/// of the sentence under way, in whole words.
fn heard_of(sentences: &[Sentence]) -> String {
    let mut out: Vec<String> = Vec::new();
    for s in sentences {
        if s.heard {
            out.push(s.text.clone());
            continue;
        }
        let played = s.sent.saturating_sub(PLAYOUT_FRAMES);
        if s.frames > 0 && played > 0 {
            let words: Vec<&str> = s.text.split_whitespace().collect();
            let n = words.len() * played.min(s.frames) / s.frames;
            if n > 0 {
                out.push(words[..n].join(" "));
            }
        }
        break;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, frames: usize, sent: usize, heard: bool) -> Sentence {
        Sentence {
            text: text.into(),
            mark: String::new(),
            frames,
            sent,
            heard,
        }
    }

    #[test]
    fn what_was_heard_is_the_marked_sentences_and_the_played_share_of_the_next() {
        let r = [
            s("I can book that.", 50, 50, true),
            s("Tuesday at nine or Wednesday at ten?", 102, 62, false),
            s("Which suits you?", 40, 0, false),
        ];
        assert_eq!(heard_of(&r), "I can book that. Tuesday at nine or");
        let none = [s("Hello there.", 40, 1, false)];
        assert_eq!(heard_of(&none), "");
        let all = [s("One.", 10, 10, true), s("Two.", 10, 10, true)];
        assert_eq!(heard_of(&all), "One. Two.");
    }
}
