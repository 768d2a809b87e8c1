//! Phone calls over Twilio Media Streams, end to end with real audio: the caller's words are
//! spoken by espeak-ng and sent as Twilio sends them (μ-law, one 20 ms frame every 20 ms, over
//! a signed WebSocket); a local server that speaks Deepgram's live protocol hears them (it finds
//! the utterances in the audio by their level and answers each with the next line of its
//! script, as interim and final `Results`); and what comes back is checked as audio: real
//! speech, paced in real time, with marks, and `clear` when the caller speaks over it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use frontdesk_desk::config::{SpeechConfig, SttProvider};
use frontdesk_desk::providers::audio::decode_mulaw;
use frontdesk_desk::providers::speech::Tts;
use frontdesk_desk::providers::speech::vad::level_db;
use frontdesk_store::testing::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::App;
use crate::fakes::deepgram::Deepgram;
use crate::voice::{ACCOUNT, Caller, TOKEN, attr, call_detail, texts};

const ROOTER_PHONE: &str = "+13035550140";
const DEEPGRAM_KEY: &str = "dg-test-key";

/// espeak-ng is on this machine, or the run requires it.
fn espeak_here() -> bool {
    let here = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !here && std::env::var_os("FRONTDESK_TEST_REQUIRE_ESPEAK").is_some() {
        panic!("FRONTDESK_TEST_REQUIRE_ESPEAK is set but espeak-ng cannot be run");
    }
    here
}

crate::on_both!(
    a_caller_books_by_voice_and_speaking_over_the_agent_clears_it => |t, test| with_speech(t, None, test),
    a_recogniser_outage_carries_the_call_on_over_the_twiml_loop => |t, test| with_speech(t, Some(1), test),
    a_slow_reply_is_preceded_by_a_filler => with_slow_model,
    garbage_on_the_stream_does_not_break_the_call => |t, test| with_speech(t, None, test),
);

/// Runs `test` with a stand-in Deepgram (which fails after `fail_after` utterances) and the
/// app served on a port; skipped without espeak-ng unless CI requires it.
async fn with_speech<F: std::future::Future<Output = ()>>(
    t: TestDb,
    fail_after: Option<usize>,
    test: impl FnOnce(App, String, Deepgram) -> F,
) {
    if !espeak_here() {
        return;
    }
    let dg = Deepgram::start(fail_after).await;
    let (app, base) = serve(t, &dg.url).await;
    test(app, base, dg).await
}

async fn serve(t: TestDb, deepgram: &str) -> (App, String) {
    let mut cfg = crate::voice::twilio_cfg();
    cfg.speech.stt = SttProvider::Deepgram;
    cfg.speech.stt_url = deepgram.into();
    cfg.speech.stt_api_key = frontdesk_web::Secret::new(DEEPGRAM_KEY);
    crate::serve_on_port(t, cfg).await
}

fn media_profile() -> String {
    include_str!("../../../../demo/rapid-rooter.yaml")
        .replace("persona:", "calls:\n  mode: media_streams\npersona:")
}

/// One message from the server, when it arrived.
struct Got {
    at: Instant,
    v: Value,
}

/// Twilio's side of the stream: a line that sends a frame every 20 ms (the caller's words when
/// they speak, silence otherwise), and everything the server sends, with its time. Marks are
/// echoed as Twilio echoes them once the audio before them has played.
struct Line {
    stream_sid: String,
    frames: Arc<Mutex<VecDeque<Vec<u8>>>>,
    got: Arc<Mutex<Vec<Got>>>,
    closed: Arc<Mutex<bool>>,
    out: mpsc::UnboundedSender<Message>,
}

async fn open_stream(url: &str, token: &str) -> Result<Line, String> {
    let sig = frontdesk_desk::providers::twilio::signature(token, url, &[]);
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("x-twilio-signature", sig.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| e.to_string())?;
    let (mut tx, mut rx) = ws.split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if tx.send(m).await.is_err() {
                return;
            }
        }
    });
    let line = Line {
        stream_sid: "MZ00000000000000000000000000000001".into(),
        frames: Arc::default(),
        got: Arc::default(),
        closed: Arc::default(),
        out,
    };
    let (got, closed, echo, sid) = (
        line.got.clone(),
        line.closed.clone(),
        line.out.clone(),
        line.stream_sid.clone(),
    );
    tokio::spawn(async move {
        while let Some(Ok(m)) = rx.next().await {
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["event"] == "mark" {
                let m = json!({"event": "mark", "sequenceNumber": "9", "streamSid": sid,
                    "mark": {"name": v["mark"]["name"]}});
                let _ = echo.send(Message::Text(m.to_string().into()));
            }
            got.lock().unwrap().push(Got {
                at: Instant::now(),
                v,
            });
        }
        *closed.lock().unwrap() = true;
    });
    Ok(line)
}

impl Line {
    fn send(&self, v: Value) {
        self.out.send(Message::Text(v.to_string().into())).unwrap();
    }

    /// `connected`, `start` as Twilio sends them, then the line's 20 ms clock.
    fn start(&self, call_sid: &str, business: &str) {
        self.send(json!({"event": "connected", "protocol": "Call", "version": "1.0.0"}));
        self.send(
            json!({"event": "start", "sequenceNumber": "1", "streamSid": self.stream_sid,
            "start": {"accountSid": ACCOUNT, "streamSid": self.stream_sid, "callSid": call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": {"business": business}}}),
        );
        let (frames, out, sid) = (
            self.frames.clone(),
            self.out.clone(),
            self.stream_sid.clone(),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            for n in 2u64.. {
                tick.tick().await;
                let f = frames.lock().unwrap().pop_front();
                let payload = B64.encode(f.unwrap_or_else(|| vec![0xFF; 160]));
                let m = json!({"event": "media", "sequenceNumber": n.to_string(),
                    "streamSid": sid, "media": {"track": "inbound", "chunk": (n - 1).to_string(),
                    "timestamp": ((n - 2) * 20).to_string(), "payload": payload}});
                if out.send(Message::Text(m.to_string().into())).is_err() {
                    return;
                }
            }
        });
    }

    /// Puts audio on the line and waits until it has been sent.
    async fn say(&self, audio: &[u8]) {
        {
            let mut f = self.frames.lock().unwrap();
            for c in audio.chunks(160) {
                let mut frame = vec![0xFF; 160];
                frame[..c.len()].copy_from_slice(c);
                f.push_back(frame);
            }
        }
        while !self.frames.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits until a message after the first `from` matches.
    async fn until(&self, from: usize, what: &str, f: impl Fn(&Value) -> bool) -> usize {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(i) = self.got.lock().unwrap()[from..]
                .iter()
                .position(|g| f(&g.v))
            {
                return from + i;
            }
            if Instant::now() >= deadline {
                let kinds: Vec<String> = self.got.lock().unwrap()[from..]
                    .iter()
                    .map(|g| g.v["event"].as_str().unwrap_or("").to_owned())
                    .collect();
                panic!("waited 20 s for {what}; after {from}: {kinds:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `n` events of a kind have come after the first `from`.
    async fn until_events(&self, from: usize, kind: &str, n: usize, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.events(from, kind) < n {
            assert!(Instant::now() < deadline, "waited 20 s for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the agent has finished speaking: the last message is a mark and nothing came
    /// for 400 ms.
    async fn until_quiet(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let g = self.got.lock().unwrap();
                if let Some(last) = g.last()
                    && last.v["event"] == "mark"
                    && last.at.elapsed() > Duration::from_millis(400)
                {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the agent never stopped talking");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The audio frames from `from` up to `to`, with their arrival times.
    fn media(&self, from: usize, to: usize) -> Vec<(Instant, Vec<u8>)> {
        self.got.lock().unwrap()[from..to]
            .iter()
            .filter(|g| g.v["event"] == "media")
            .map(|g| {
                assert_eq!(g.v["streamSid"], self.stream_sid);
                let a = B64
                    .decode(g.v["media"]["payload"].as_str().unwrap())
                    .unwrap();
                (g.at, a)
            })
            .collect()
    }

    fn events(&self, from: usize, kind: &str) -> usize {
        self.got.lock().unwrap()[from..]
            .iter()
            .filter(|g| g.v["event"] == kind)
            .count()
    }
}

/// The caller's words as the phone line carries them.
async fn speech(text: &str) -> Vec<u8> {
    let tts = Tts::from_config(&SpeechConfig::default()).unwrap();
    tts.synthesize(text, "en-US").await.unwrap()
}

/// A cough: 200 ms of loud noise.
fn cough() -> Vec<u8> {
    let mut x: u32 = 12345;
    let pcm: Vec<i16> = (0..1600)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            ((x >> 16) as i16) / 3
        })
        .collect();
    frontdesk_desk::providers::audio::encode_mulaw(&pcm)
}

/// Real speech, sent no faster than real time: frame `k` never arrives before `k × 20 ms`
/// after the first (a burst would), each 160 bytes.
fn assert_spoken_in_real_time(frames: &[(Instant, Vec<u8>)]) {
    assert!(frames.len() >= 25, "{} frames", frames.len());
    let t0 = frames[0].0;
    for (k, (at, a)) in frames.iter().enumerate() {
        assert_eq!(a.len(), 160);
        let ahead = Duration::from_millis(20 * k as u64).saturating_sub(*at - t0);
        assert!(
            ahead <= Duration::from_millis(25),
            "frame {k} arrived {ahead:?} ahead of real time"
        );
    }
    let loud = frames
        .iter()
        .filter(|(_, a)| level_db(&decode_mulaw(a)) > -35.0)
        .count();
    assert!(
        loud * 3 >= frames.len(),
        "{loud} of {} frames are speech",
        frames.len()
    );
}

async fn a_caller_books_by_voice_and_speaking_over_the_agent_clears_it(
    app: App,
    base: String,
    dg: Deepgram,
) {
    let b = app.business(&media_profile()).await;
    let mut c = Caller::dial_at(&app, &base, "CA0300", "+13035550190", ROOTER_PHONE).await;
    let url = attr(&c.twiml, "Stream", "url").expect("a <Stream> url");
    assert_eq!(
        url,
        format!("{}/twilio/media", base.replace("http://", "ws://"))
    );
    assert_eq!(
        attr(&c.twiml, "Parameter", "value").as_deref(),
        Some(b.as_str())
    );
    assert!(attr(&c.twiml, "Connect", "action").is_some());
    // A handshake signed with the wrong token is refused.
    let refused = open_stream(&url, "not-the-token").await;
    assert!(refused.is_err_and(|e| e.contains("403")));

    let line = open_stream(&url, TOKEN).await.unwrap();
    line.start("CA0300", &b);
    // The greeting, spoken: real speech, in real time, a mark after each sentence.
    let first_mark = line
        .until(0, "the greeting's mark", |v| v["event"] == "mark")
        .await;
    assert_spoken_in_real_time(&line.media(0, first_mark));
    line.until_quiet().await;

    let n = line.count();
    dg.will_hear("I need a drain cleaning for my clogged kitchen sink.");
    line.say(&speech("I need a drain cleaning for my clogged kitchen sink").await)
        .await;
    line.until(n, "a reply", |v| v["event"] == "media").await;
    line.until_quiet().await;
    let n = line.count();
    dg.will_hear("Whatever is soonest.");
    line.say(&speech("whatever is soonest").await).await;
    let (mhm, bark, first) = (
        speech("mhm").await,
        cough(),
        speech("the first one works").await,
    );
    let reply = line.until(n, "a reply", |v| v["event"] == "media").await;
    // While the reply plays the caller says "mhm" and coughs: neither interrupts it.
    dg.will_hear("Mhm.");
    line.say(&mhm).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    dg.will_hear("");
    line.say(&bark).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        line.events(n, "clear"),
        0,
        "a backchannel or a cough cleared the reply"
    );
    let playing = line.count();
    line.until_events(playing, "media", 5, "the reply to go on playing")
        .await;

    // Now the caller talks over it: `clear`, at the first words.
    dg.will_hear("The first one works.");
    line.say(&first).await;
    let cleared = line.until(reply, "clear", |v| v["event"] == "clear").await;
    assert_spoken_in_real_time(&line.media(reply, cleared));
    // Nothing of the cleared reply follows: the next audio is the answer to the new turn,
    // after a pause while it is worked out.
    line.until_quiet().await;
    let t = call_detail(&app, &b, "CA0300").await;
    let cut: Vec<&str> = t["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .filter(|m| m.ends_with("[interrupted]"))
        .collect();
    assert_eq!(cut.len(), 1, "{t}");
    assert!(
        cut[0].len() > "[interrupted]".len() + 10 && !cut[0].contains("?"),
        "the reply is kept as far as it was heard: {cut:?}"
    );

    for (said, text) in [
        ("Casey Morgan.", "Casey Morgan"),
        ("Yes, please.", "yes please"),
    ] {
        let n = line.count();
        dg.will_hear(said);
        line.say(&speech(text).await).await;
        line.until(n, "a reply", |v| v["event"] == "media").await;
        line.until_quiet().await;
    }
    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(appts.json.as_array().unwrap().len(), 1, "{}", appts.text);

    // Pressing 0 asks for a person: the reply plays to its end, then the stream closes and
    // Twilio's <Connect> action dials the transfer number.
    let n = line.count();
    line.send(
        json!({"event": "dtmf", "streamSid": line.stream_sid, "sequenceNumber": "900",
        "dtmf": {"track": "inbound_track", "digit": "0"}}),
    );
    line.until(n, "the transfer message", |v| v["event"] == "mark")
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !*line.closed.lock().unwrap() {
        assert!(Instant::now() < deadline, "the stream was not closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let action = attr(&c.twiml, "Connect", "action").unwrap();
    c.post(
        &action,
        &[
            ("CallStatus", "in-progress"),
            ("StreamSid", &line.stream_sid),
        ],
    )
    .await;
    assert_eq!(
        texts(&c.twiml, "Number"),
        vec!["+13035550141".to_owned()],
        "{}",
        c.twiml
    );

    let d = call_detail(&app, &b, "CA0300").await;
    assert_eq!(d["call"]["mode"], "media_streams");
    // Deepgram was asked for the phone line's audio, with the key, and heard all of it.
    let log = dg.log.lock().unwrap();
    assert_eq!(log.auth, vec![format!("Token {DEEPGRAM_KEY}")]);
    for p in [
        "encoding=mulaw",
        "sample_rate=8000",
        "interim_results=true",
        "model=nova-2-phonecall",
    ] {
        assert!(log.urls[0].contains(p), "{p}: {}", log.urls[0]);
    }
    assert_eq!(log.utterances, 7, "utterances heard");
    assert!(log.audio_bytes > 8000 * 5, "{} bytes", log.audio_bytes);
    assert!(
        log.closed_by_client,
        "the recogniser was closed with CloseStream"
    );
}

async fn a_recogniser_outage_carries_the_call_on_over_the_twiml_loop(
    app: App,
    base: String,
    dg: Deepgram,
) {
    app.business(&media_profile()).await;
    let mut c = Caller::dial_at(&app, &base, "CA0301", "+13035550191", ROOTER_PHONE).await;
    let url = attr(&c.twiml, "Stream", "url").unwrap();
    let b = attr(&c.twiml, "Parameter", "value").unwrap();
    let line = open_stream(&url, TOKEN).await.unwrap();
    line.start("CA0301", &b);
    line.until_quiet().await;
    let n = line.count();
    dg.will_hear("Do you charge for estimates?");
    line.say(&speech("do you charge for estimates").await).await;
    // The recogniser drops after the first utterance: the reply may begin, but the stream is
    // closed without a hand-off...
    let deadline = Instant::now() + Duration::from_secs(10);
    while !*line.closed.lock().unwrap() {
        assert!(Instant::now() < deadline, "the stream was not closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(line.events(n, "clear"), 0);
    // ...and Twilio's <Connect> action carries the call on over the TwiML loop, saying the last
    // reply again.
    let action = attr(&c.twiml, "Connect", "action").unwrap();
    c.post(&action, &[("CallStatus", "in-progress")]).await;
    assert!(c.heard().starts_with("Sorry about that."), "{}", c.twiml);
    assert!(c.heard().to_lowercase().contains("estimate"), "{}", c.twiml);
    let r = c.say("what areas do you serve").await;
    assert!(r.contains("Denver"), "{r}");
}

/// Runs `test` with a stand-in Deepgram and a model that takes 2.5 s to read a turn, the
/// filler due after 300 ms.
async fn with_slow_model<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String, Deepgram) -> F,
) {
    use crate::fakes::llm::{Answer, Model};
    if !espeak_here() {
        return;
    }
    let dg = Deepgram::start(None).await;
    let model = Model::start().await;
    model.then(Answer::Slow(std::time::Duration::from_millis(2500)));
    let mut cfg = model.config(5000);
    cfg.twilio.auth_token = frontdesk_web::Secret::new(crate::voice::TOKEN);
    cfg.speech.stt = SttProvider::Deepgram;
    cfg.speech.stt_url = dg.url.clone();
    cfg.speech.filler_after_ms = 300;
    let (app, base) = crate::serve_on_port(t, cfg).await;
    test(app, base, dg).await;
    drop(model);
}

async fn a_slow_reply_is_preceded_by_a_filler(app: App, base: String, dg: Deepgram) {
    let b = app.business(&media_profile()).await;
    let c = Caller::dial_at(&app, &base, "CA0302", "+13035550192", ROOTER_PHONE).await;
    let url = attr(&c.twiml, "Stream", "url").unwrap();
    let line = open_stream(&url, TOKEN).await.unwrap();
    line.start("CA0302", &b);
    line.until_quiet().await;
    let n = line.count();
    dg.will_hear("What are your hours?");
    line.say(&speech("what are your hours").await).await;
    let said = Instant::now();
    // The recogniser's final comes 500 ms after the words; the reply cannot start before the
    // model answers 2.5 s later. Audio well before that is the filler.
    let first = line.until(n, "audio", |v| v["event"] == "media").await;
    let at = line.got.lock().unwrap()[first].at;
    assert!(
        at - said < Duration::from_millis(2000),
        "the first audio came {:?} after the caller stopped",
        at - said
    );
    line.until(first, "the reply's mark", |v| v["event"] == "mark")
        .await;
    line.until_quiet().await;
    let d = call_detail(&app, &b, "CA0302").await;
    let agent: Vec<&str> = d["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "agent")
        .filter_map(|m| m["text"].as_str())
        .collect();
    // The filler is not part of the transcript; the answer is.
    assert!(agent.iter().all(|t| !t.contains("One moment")), "{agent:?}");
    assert_eq!(agent.len(), 2, "{agent:?}");
}

/// What a broken or hostile peer could put on the stream, generated from a fixed seed: text
/// that is not JSON, JSON of the wrong shapes, media with payloads that are not base64 or not
/// 160 bytes (empty, huge, odd), marks and DTMF with missing or strange fields, a second
/// `start` for another call, unknown events, binary and ping frames. The call goes on: the next
/// thing the caller says is answered.
async fn garbage_on_the_stream_does_not_break_the_call(app: App, base: String, dg: Deepgram) {
    let b = app.business(&media_profile()).await;
    let c = Caller::dial_at(&app, &base, "CA0310", "+13035550191", ROOTER_PHONE).await;
    let url = attr(&c.twiml, "Stream", "url").expect("a <Stream> url");
    let line = open_stream(&url, TOKEN).await.unwrap();
    line.start("CA0310", &b);
    line.until(0, "the greeting's mark", |v| v["event"] == "mark")
        .await;
    line.until_quiet().await;

    let mut seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261202);
    let mut next = move || {
        // xorshift64*: a fixed sequence from the seed.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let sid = line.stream_sid.clone();
    for _ in 0..400 {
        let r = next();
        let bytes: Vec<u8> = (0..(r % 4000) as usize).map(|_| next() as u8).collect();
        let m = match r % 11 {
            0 => Message::Text(String::from_utf8_lossy(&bytes).into_owned().into()),
            1 => Message::Text(json!({"event": r % 1000}).to_string().into()),
            2 => Message::Text(
                json!({"event": "media", "streamSid": sid,
                "media": {"payload": "%%% not base64 %%%"}})
                .to_string()
                .into(),
            ),
            3 => Message::Text(
                json!({"event": "media", "streamSid": sid,
                "media": {"payload": B64.encode(&bytes)}})
                .to_string()
                .into(),
            ),
            4 => Message::Text(
                json!({"event": "media", "streamSid": sid,
                "media": {"payload": r, "track": []}})
                .to_string()
                .into(),
            ),
            5 => Message::Text(
                json!({"event": "mark", "streamSid": sid})
                    .to_string()
                    .into(),
            ),
            6 => Message::Text(
                json!({"event": "dtmf", "streamSid": sid,
                "dtmf": {"digit": String::from_utf8_lossy(&bytes[..bytes.len().min(3)])}})
                .to_string()
                .into(),
            ),
            7 => Message::Text(
                json!({"event": "start", "streamSid": "MZ-other",
                "start": {"callSid": "CA-not-this-one", "customParameters": {"business": "nope"}}})
                .to_string()
                .into(),
            ),
            8 => Message::Text(
                json!({"event": "no-such-event", "payload": [1, 2, {"x": null}]})
                    .to_string()
                    .into(),
            ),
            9 => Message::Binary(bytes.into()),
            _ => Message::Ping(vec![1, 2, 3].into()),
        };
        line.out.send(m).unwrap();
    }
    // The line's own clock keeps sending silence; a moment of it ends any "utterance" the
    // noise made before the caller speaks.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !*line.closed.lock().unwrap(),
        "the server hung up on garbage"
    );
    let n = line.count();
    dg.will_hear("What are your hours?");
    line.say(&speech("what are your hours").await).await;
    line.until(n, "an answer after the garbage", |v| v["event"] == "media")
        .await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, axum::http::StatusCode::OK);
}
