//! Speech-to-text, streaming: a call's audio goes in frame by frame ([`SttInput`]) and words
//! come out as they are recognised ([`SttEvent`]). Each provider is a task per call that owns
//! its connection, so a slow provider never holds up the call's audio.
//!
//! - **Deepgram** (live streaming): a WebSocket to `/v1/listen` with the line's own encoding
//!   (`mulaw`, 8 kHz), binary audio frames in, `Results` (interim and final, with
//!   `speech_final` at Deepgram's end of speech) and `UtteranceEnd` out; `CloseStream` ends it.
//! - **OpenAI-compatible** (`/audio/transcriptions`, OpenAI, a local Whisper server): not
//!   streaming, so each utterance our voice activity detector marks is sent as a WAV file when
//!   it ends, and its text is the final result.

use std::collections::VecDeque;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use super::{http_client, or, short};
use crate::config::{SpeechConfig, SttProvider};
use crate::providers::audio::{LINE_RATE, decode_mulaw, pcm16_to_bytes};

/// What the call sends its recogniser.
#[derive(Debug)]
pub enum SttInput {
    /// One frame of the caller's audio, μ-law at 8 kHz.
    Audio(Vec<u8>),
    /// Our voice activity detector heard the caller start, or stop, speaking.
    SpeechStarted,
    SpeechEnded,
}

/// What the recogniser heard.
#[derive(Debug, Clone, PartialEq)]
pub enum SttEvent {
    /// Words so far, which may still change.
    Partial(String),
    /// Words that will not change; `end_of_turn` when the provider also heard the speaker stop.
    Final { text: String, end_of_turn: bool },
    /// The provider heard the end of an utterance (after its last final).
    UtteranceEnd,
    /// The provider failed or went away; the call cannot be heard any more.
    Failed(String),
}

/// One call's recogniser: audio in, words out.
pub struct SttStream {
    pub input: mpsc::Sender<SttInput>,
    pub events: mpsc::Receiver<SttEvent>,
}

/// Frames that may wait for the recogniser: ten seconds of audio.
const INPUT_FRAMES: usize = 500;

pub enum Stt {
    Deepgram {
        url: String,
        key: String,
        model: String,
        endpointing_ms: u64,
    },
    OpenAi {
        http: reqwest::Client,
        url: String,
        key: String,
        model: String,
    },
}

impl Stt {
    pub fn from_config(cfg: &SpeechConfig) -> Result<Option<Self>, String> {
        Ok(match cfg.stt {
            SttProvider::None => None,
            SttProvider::Deepgram => Some(Self::Deepgram {
                url: or(&cfg.stt_url, "wss://api.deepgram.com/v1/listen"),
                key: cfg.stt_api_key.expose().to_owned(),
                model: or(&cfg.stt_model, "nova-2-phonecall"),
                endpointing_ms: cfg.end_of_turn_ms,
            }),
            SttProvider::OpenAi => Some(Self::OpenAi {
                http: http_client()?,
                url: format!(
                    "{}/audio/transcriptions",
                    or(&cfg.stt_url, "https://api.openai.com/v1")
                ),
                key: cfg.stt_api_key.expose().to_owned(),
                model: or(&cfg.stt_model, "whisper-1"),
            }),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Deepgram { .. } => "deepgram",
            Self::OpenAi { .. } => "openai",
        }
    }

    /// Opens a recogniser for one call in `locale` (`en-US`), hinted with the business's words.
    pub async fn open(&self, locale: &str, hints: &[String]) -> Result<SttStream, String> {
        let (input, input_rx) = mpsc::channel(INPUT_FRAMES);
        let (events_tx, events) = mpsc::channel(64);
        match self {
            Self::Deepgram {
                url,
                key,
                model,
                endpointing_ms,
            } => {
                let url = deepgram_url(url, model, locale, *endpointing_ms, hints);
                let ws = deepgram_connect(&url, key).await?;
                tokio::spawn(deepgram_session(ws, input_rx, events_tx));
            }
            Self::OpenAi {
                http,
                url,
                key,
                model,
            } => {
                let t = Transcriber {
                    http: http.clone(),
                    url: url.clone(),
                    key: key.clone(),
                    model: model.clone(),
                    language: locale
                        .split(['-', '_'])
                        .next()
                        .unwrap_or("en")
                        .to_lowercase(),
                    prompt: hints.join(", ").chars().take(800).collect(),
                };
                tokio::spawn(openai_session(t, input_rx, events_tx));
            }
        }
        Ok(SttStream { input, events })
    }
}

/// Deepgram's live URL for the phone line: μ-law at 8 kHz, interim results, its end-of-speech
/// detection after `endpointing_ms` of silence, and the business's words as keywords.
fn deepgram_url(
    base: &str,
    model: &str,
    locale: &str,
    endpointing_ms: u64,
    hints: &[String],
) -> String {
    let endpointing = endpointing_ms.to_string();
    let mut q: Vec<(&str, &str)> = vec![
        ("model", model),
        ("encoding", "mulaw"),
        ("sample_rate", "8000"),
        ("channels", "1"),
        ("language", locale),
        ("interim_results", "true"),
        ("punctuate", "true"),
        ("smart_format", "true"),
        ("endpointing", &endpointing),
        ("utterance_end_ms", "1000"),
        ("vad_events", "true"),
    ];
    for h in hints.iter().take(50) {
        q.push(("keywords", h.as_str()));
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn deepgram_connect(url: &str, key: &str) -> Result<Ws, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut req = url
        .into_client_request()
        .map_err(|e| format!("deepgram: bad URL: {e}"))?;
    if !key.is_empty() {
        let v = format!("Token {key}")
            .parse()
            .map_err(|_| "deepgram: the API key is not a valid header value".to_owned())?;
        req.headers_mut().insert("authorization", v);
    }
    let connect = tokio_tungstenite::connect_async(req);
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok((ws, _))) => Ok(ws),
        // The error names the host and status, never the key.
        Ok(Err(e)) => Err(format!("deepgram: connecting failed: {e}")),
        Err(_) => Err("deepgram: connecting timed out".into()),
    }
}

/// Reads one Deepgram message.
pub fn deepgram_event(text: &str) -> Option<SttEvent> {
    let v: Value = serde_json::from_str(text).ok()?;
    match v["type"].as_str()? {
        "Results" => {
            let said = v["channel"]["alternatives"][0]["transcript"]
                .as_str()
                .unwrap_or("")
                .trim()
                .to_owned();
            if v["is_final"].as_bool() == Some(true) {
                Some(SttEvent::Final {
                    text: said,
                    end_of_turn: v["speech_final"].as_bool() == Some(true),
                })
            } else if said.is_empty() {
                None
            } else {
                Some(SttEvent::Partial(said))
            }
        }
        "UtteranceEnd" => Some(SttEvent::UtteranceEnd),
        "Error" => Some(SttEvent::Failed(format!(
            "deepgram: {}",
            short(v["description"].as_str().unwrap_or("error"))
        ))),
        _ => None,
    }
}

async fn deepgram_session(
    ws: Ws,
    mut input: mpsc::Receiver<SttInput>,
    events: mpsc::Sender<SttEvent>,
) {
    let (mut tx, mut rx) = ws.split();
    let failed = loop {
        tokio::select! {
            i = input.recv() => match i {
                Some(SttInput::Audio(a)) => {
                    if let Err(e) = tx.send(Message::Binary(a.into())).await {
                        break Some(format!("deepgram: sending audio failed: {e}"));
                    }
                }
                Some(_) => {}
                // The call is over: ask Deepgram to finish, and stop.
                None => {
                    let _ = tx.send(Message::Text(r#"{"type":"CloseStream"}"#.into())).await;
                    let _ = tx.close().await;
                    break None;
                }
            },
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Some(ev) = deepgram_event(t.as_str()) {
                        let fatal = matches!(ev, SttEvent::Failed(_));
                        if events.send(ev).await.is_err() || fatal {
                            break None;
                        }
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    break Some(format!(
                        "deepgram closed the stream: {}",
                        f.map(|f| short(f.reason.as_str())).unwrap_or_default()
                    ));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Some(format!("deepgram: {e}")),
                None => break Some("deepgram closed the connection".into()),
            },
        }
    };
    if let Some(f) = failed {
        let _ = events.send(SttEvent::Failed(f)).await;
    }
}

struct Transcriber {
    http: reqwest::Client,
    url: String,
    key: String,
    model: String,
    language: String,
    prompt: String,
}

/// Audio kept from before the detector heard speech start, so a first syllable is not cut: 300 ms.
const LEAD_BYTES: usize = 2400;
/// Shortest utterance worth transcribing: 200 ms.
const MIN_UTTERANCE_BYTES: usize = 1600;
/// Longest utterance sent at once: 30 s.
const MAX_UTTERANCE_BYTES: usize = 240_000;

async fn openai_session(
    t: Transcriber,
    mut input: mpsc::Receiver<SttInput>,
    events: mpsc::Sender<SttEvent>,
) {
    let mut lead: VecDeque<u8> = VecDeque::with_capacity(LEAD_BYTES);
    let mut utterance: Option<Vec<u8>> = None;
    while let Some(i) = input.recv().await {
        match i {
            SttInput::Audio(a) => match utterance.as_mut() {
                Some(u) if u.len() < MAX_UTTERANCE_BYTES => u.extend_from_slice(&a),
                Some(_) => {}
                None => {
                    lead.extend(a);
                    let extra = lead.len().saturating_sub(LEAD_BYTES);
                    lead.drain(..extra);
                }
            },
            SttInput::SpeechStarted => {
                utterance = Some(lead.drain(..).collect());
            }
            SttInput::SpeechEnded => {
                let Some(u) = utterance.take() else { continue };
                if u.len() < MIN_UTTERANCE_BYTES {
                    continue;
                }
                match t.transcribe(&u).await {
                    Ok(text) => {
                        let ev = SttEvent::Final {
                            text,
                            end_of_turn: true,
                        };
                        if events.send(ev).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = events.send(SttEvent::Failed(e)).await;
                        return;
                    }
                }
            }
        }
    }
}

impl Transcriber {
    async fn transcribe(&self, mulaw: &[u8]) -> Result<String, String> {
        let wav = wav_pcm16(&decode_mulaw(mulaw), LINE_RATE);
        let file = reqwest::multipart::Part::bytes(wav)
            .file_name("speech.wav")
            .mime_str("audio/wav")
            .map_err(|e| e.to_string())?;
        let mut form = reqwest::multipart::Form::new()
            .text("model", self.model.clone())
            .text("response_format", "json")
            .text("language", self.language.clone())
            .part("file", file);
        if !self.prompt.is_empty() {
            form = form.text("prompt", self.prompt.clone());
        }
        let mut req = self
            .http
            .post(&self.url)
            .timeout(std::time::Duration::from_secs(15))
            .multipart(form);
        if !self.key.is_empty() {
            req = req.bearer_auth(&self.key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("transcription: {}", e.without_url()))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| format!("transcription: {}", e.without_url()))?;
        if !status.is_success() {
            return Err(format!("transcription: HTTP {status}: {}", short(&body)));
        }
        let v: Value = serde_json::from_str(&body)
            .map_err(|_| format!("transcription: not JSON: {}", short(&body)))?;
        Ok(v["text"].as_str().unwrap_or("").trim().to_owned())
    }
}

/// A mono 16-bit PCM WAV file.
pub fn wav_pcm16(samples: &[i16], rate: u32) -> Vec<u8> {
    let data = pcm16_to_bytes(samples);
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut w = Vec::with_capacity(44 + data.len());
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * 2).to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&len.to_le_bytes());
    w.extend_from_slice(&data);
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepgram_results_are_read_as_its_documents_say() {
        let interim = r#"{"type":"Results","channel_index":[0,1],"duration":1.2,"start":0.0,"is_final":false,"speech_final":false,"channel":{"alternatives":[{"transcript":"I'd like to","confidence":0.9,"words":[]}]}}"#;
        assert_eq!(
            deepgram_event(interim),
            Some(SttEvent::Partial("I'd like to".into()))
        );
        let fin = r#"{"type":"Results","is_final":true,"speech_final":true,"channel":{"alternatives":[{"transcript":"I'd like to book a drain cleaning.","confidence":0.98}]}}"#;
        assert_eq!(
            deepgram_event(fin),
            Some(SttEvent::Final {
                text: "I'd like to book a drain cleaning.".into(),
                end_of_turn: true
            })
        );
        let empty_interim =
            r#"{"type":"Results","is_final":false,"channel":{"alternatives":[{"transcript":""}]}}"#;
        assert_eq!(deepgram_event(empty_interim), None);
        assert_eq!(
            deepgram_event(r#"{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.4}"#),
            Some(SttEvent::UtteranceEnd)
        );
        assert_eq!(
            deepgram_event(r#"{"type":"Metadata","request_id":"x"}"#),
            None
        );
        assert_eq!(deepgram_event("not json"), None);
    }

    #[test]
    fn the_deepgram_url_asks_for_the_phone_lines_audio() {
        let u = deepgram_url(
            "wss://api.deepgram.com/v1/listen",
            "nova-2-phonecall",
            "en-US",
            700,
            &["drain cleaning".into()],
        );
        assert!(u.starts_with("wss://api.deepgram.com/v1/listen?model=nova-2-phonecall&"));
        for p in [
            "encoding=mulaw",
            "sample_rate=8000",
            "interim_results=true",
            "endpointing=700",
            "language=en-US",
            "keywords=drain+cleaning",
        ] {
            assert!(u.contains(p), "{p} in {u}");
        }
    }

    #[test]
    fn a_wav_file_has_the_header_players_expect() {
        let w = wav_pcm16(&[0, 1, -1, 32767], 8000);
        assert_eq!(w.len(), 44 + 8);
        assert_eq!(&w[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([w[4], w[5], w[6], w[7]]), 36 + 8);
        assert_eq!(&w[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes([w[24], w[25], w[26], w[27]]), 8000);
        assert_eq!(&w[36..40], b"data");
        assert_eq!(&w[44..46], &[0, 0]);
        assert_eq!(&w[50..52], &[0xff, 0x7f]);
    }
}
