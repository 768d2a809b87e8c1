//! Speech providers as local servers: ElevenLabs' and OpenAI's text-to-speech and an
//! OpenAI-compatible transcription API, each checking the key and recording what it was sent.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_desk::providers::audio::{encode_mulaw, pcm16_to_bytes};
use serde_json::json;
use std::sync::{Arc, Mutex};

pub const KEY: &str = "speech-test-key";

/// What a provider received.
#[derive(Clone, Default)]
pub struct Seen {
    pub requests: Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>,
}

pub fn tone(rate: u32, ms: u32, hz: f64) -> Vec<i16> {
    (0..rate * ms / 1000)
        .map(|i| {
            (8000.0 * (2.0 * std::f64::consts::PI * hz * f64::from(i) / f64::from(rate)).sin())
                as i16
        })
        .collect()
}

pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

pub async fn elevenlabs(
    State(seen): State<Seen>,
    Path(voice): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    seen.requests.lock().unwrap().push((
        format!("{voice}?{}", serde_urlencoded::to_string(&q).unwrap()),
        headers.clone(),
        body.clone(),
    ));
    if headers.get("xi-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        let detail = json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}});
        return (StatusCode::UNAUTHORIZED, axum::Json(detail)).into_response();
    }
    // ulaw_8000: the phone line's own audio, half a second of a tone.
    (
        [("content-type", "audio/basic")],
        encode_mulaw(&tone(8000, 500, 440.0)),
    )
        .into_response()
}

pub async fn openai_speech(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    seen.requests
        .lock()
        .unwrap()
        .push(("speech".into(), headers.clone(), body.clone()));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}"))
    {
        let e = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
        return (StatusCode::UNAUTHORIZED, axum::Json(e)).into_response();
    }
    // response_format pcm: 16-bit little-endian at 24 kHz, half a second.
    pcm16_to_bytes(&tone(24_000, 500, 440.0)).into_response()
}

pub async fn transcriptions(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    seen.requests
        .lock()
        .unwrap()
        .push(("transcriptions".into(), headers.clone(), body.clone()));
    axum::Json(json!({"text": " Do you do water heaters? "})).into_response()
}
