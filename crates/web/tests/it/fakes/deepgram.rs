//! Deepgram's live streaming protocol as a local server.

use frontdesk_desk::providers::audio::decode_mulaw;
use frontdesk_desk::providers::speech::vad::level_db;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// What the local Deepgram saw.
#[derive(Default)]
pub struct DeepgramLog {
    pub urls: Vec<String>,
    pub auth: Vec<String>,
    pub audio_bytes: usize,
    pub utterances: usize,
    pub closed_by_client: bool,
}

/// A server speaking Deepgram's live streaming protocol: binary μ-law frames in; `Results`
/// (an interim after 200 ms of speech, a final with `speech_final` after 500 ms of quiet) and
/// `UtteranceEnd` out. It cannot understand words, so each utterance it finds is answered with
/// the next line of the script the caller reads from.
pub struct Deepgram {
    pub url: String,
    pub log: Arc<Mutex<DeepgramLog>>,
    script: Arc<Mutex<VecDeque<String>>>,
}

impl Deepgram {
    /// `fail_after`: utterances after which the connection drops, as in an outage.
    pub async fn start(fail_after: Option<usize>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/v1/listen", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(DeepgramLog::default()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (l, s) = (log.clone(), script.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(deepgram_conn(tcp, l.clone(), s.clone(), fail_after));
            }
        });
        Self { url, log, script }
    }

    /// What the caller is about to say.
    pub fn will_hear(&self, text: &str) {
        self.script.lock().unwrap().push_back(text.into());
    }
}

fn results(text: &str, is_final: bool) -> Message {
    let v = json!({"type": "Results", "channel_index": [0, 1], "duration": 1.0, "start": 0.0,
        "is_final": is_final, "speech_final": is_final,
        "channel": {"alternatives": [{"transcript": text, "confidence": 0.97, "words": []}]},
        "metadata": {"request_id": "test", "model_info": {"name": "nova-2-phonecall"}}});
    Message::Text(v.to_string().into())
}

async fn deepgram_conn(
    tcp: tokio::net::TcpStream,
    log: Arc<Mutex<DeepgramLog>>,
    script: Arc<Mutex<VecDeque<String>>>,
    fail_after: Option<usize>,
) {
    let l = log.clone();
    #[allow(clippy::result_large_err)] // the handshake callback's type is tungstenite's
    let callback = move |req: &Request, resp: Response| {
        let mut g = l.lock().unwrap();
        g.urls.push(req.uri().to_string());
        g.auth.push(
            req.headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
        );
        Ok(resp)
    };
    let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
        .await
        .unwrap();
    let (mut loud, mut quiet, mut speaking, mut interim) = (0u32, 0u32, false, false);
    let mut current = String::new();
    while let Some(Ok(m)) = ws.next().await {
        let audio = match m {
            Message::Binary(b) => b,
            Message::Text(t) => {
                if t.as_str().contains("CloseStream") {
                    log.lock().unwrap().closed_by_client = true;
                    return;
                }
                continue;
            }
            _ => continue,
        };
        log.lock().unwrap().audio_bytes += audio.len();
        for frame in audio.chunks(160) {
            if level_db(&decode_mulaw(frame)) > -40.0 {
                loud += 1;
                quiet = 0;
            } else {
                quiet += 1;
                loud = if speaking { loud } else { 0 };
            }
            if !speaking && loud >= 3 {
                speaking = true;
                current = script.lock().unwrap().pop_front().unwrap_or_default();
            }
            if speaking && loud >= 10 && !interim && !current.is_empty() {
                interim = true;
                // The first words, as an interim result.
                let first: Vec<&str> = current.split_whitespace().take(2).collect();
                ws.send(results(&first.join(" "), false)).await.unwrap();
            }
            if speaking && quiet >= 25 {
                speaking = false;
                interim = false;
                loud = 0;
                ws.send(results(&current, true)).await.unwrap();
                let end = json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 1.0});
                ws.send(Message::Text(end.to_string().into()))
                    .await
                    .unwrap();
                let n = {
                    let mut g = log.lock().unwrap();
                    g.utterances += 1;
                    g.utterances
                };
                if fail_after == Some(n) {
                    // An outage: the connection just drops.
                    return;
                }
            }
        }
    }
}
