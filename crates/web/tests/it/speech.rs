//! The speech providers' adapters against local servers that speak their documented wire
//! formats: ElevenLabs' and OpenAI's text-to-speech, and an OpenAI-compatible transcription API.
//! Each server checks what it was sent (path, key, body) and answers as the real one does.

use std::time::Duration;

use axum::routing::post;
use frontdesk_desk::config::{SpeechConfig, SttProvider, TtsProvider};
use frontdesk_desk::providers::audio::{decode_mulaw, encode_mulaw};
use frontdesk_desk::providers::speech::vad::level_db;
use frontdesk_desk::providers::speech::{Stt, SttEvent, SttInput, Tts};
use frontdesk_web::Secret;
use serde_json::{Value, json};

use crate::fakes::speech::{KEY, Seen, elevenlabs, openai_speech, serve, tone, transcriptions};

fn cfg(tts: TtsProvider, url: &str, key: &str) -> SpeechConfig {
    SpeechConfig {
        tts,
        tts_url: url.into(),
        tts_api_key: Secret::new(key),
        ..SpeechConfig::default()
    }
}

#[tokio::test]
async fn elevenlabs_speech_is_asked_for_in_the_lines_own_format() {
    let seen = Seen::default();
    let url = serve(
        axum::Router::new()
            .route("/v1/text-to-speech/{voice}", post(elevenlabs))
            .with_state(seen.clone()),
    )
    .await;
    let tts = Tts::from_config(&cfg(TtsProvider::ElevenLabs, &url, KEY)).unwrap();
    let audio = tts
        .synthesize("Thanks for calling.", "en-US")
        .await
        .unwrap();
    assert_eq!(audio, encode_mulaw(&tone(8000, 500, 440.0)));
    {
        let r = seen.requests.lock().unwrap();
        let (path, headers, body) = &r[0];
        assert_eq!(path, "21m00Tcm4TlvDq8ikWAM?output_format=ulaw_8000");
        assert_eq!(headers["content-type"], "application/json");
        let b: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            b,
            json!({"text": "Thanks for calling.", "model_id": "eleven_flash_v2_5"})
        );
    }
    // A refused key is an error that quotes the provider and never the key.
    let bad = Tts::from_config(&cfg(TtsProvider::ElevenLabs, &url, "wrong-key")).unwrap();
    let e = bad.synthesize("Hello.", "en-US").await.unwrap_err();
    assert!(e.contains("401") && e.contains("invalid_api_key"), "{e}");
    assert!(!e.contains("wrong-key"), "{e}");
}

#[tokio::test]
async fn openai_speech_pcm_at_24_khz_comes_back_at_the_lines_8_khz() {
    let seen = Seen::default();
    let url = serve(
        axum::Router::new()
            .route("/v1/audio/speech", post(openai_speech))
            .with_state(seen.clone()),
    )
    .await;
    let tts = Tts::from_config(&cfg(TtsProvider::OpenAi, &format!("{url}/v1"), KEY)).unwrap();
    let audio = tts.synthesize("One moment.", "en-US").await.unwrap();
    // Half a second at 8 kHz, and the tone's level kept through resampling and μ-law.
    assert_eq!(audio.len(), 4000);
    let level = level_db(&decode_mulaw(&audio[400..3600]));
    let want = level_db(&tone(8000, 400, 440.0));
    assert!((level - want).abs() < 0.5, "{level} dB, want {want}");
    {
        let r = seen.requests.lock().unwrap();
        let b: Value = serde_json::from_slice(&r[0].2).unwrap();
        assert_eq!(
            b,
            json!({"model": "gpt-4o-mini-tts", "input": "One moment.", "voice": "alloy", "response_format": "pcm"})
        );
    }
    let bad = Tts::from_config(&cfg(TtsProvider::OpenAi, &format!("{url}/v1"), "nope")).unwrap();
    let e = bad.synthesize("Hello.", "en-US").await.unwrap_err();
    assert!(e.contains("401") && e.contains("Incorrect API key"), "{e}");
}

#[tokio::test]
async fn an_openai_compatible_recogniser_gets_each_utterance_as_a_wav_file() {
    let seen = Seen::default();
    let url = serve(
        axum::Router::new()
            .route("/v1/audio/transcriptions", post(transcriptions))
            .with_state(seen.clone()),
    )
    .await;
    let c = SpeechConfig {
        stt: SttProvider::OpenAi,
        stt_url: format!("{url}/v1"),
        stt_api_key: Secret::new(KEY),
        ..SpeechConfig::default()
    };
    let stt = Stt::from_config(&c).unwrap().unwrap();
    let mut s = stt
        .open("en-US", &["water heater repair".into()])
        .await
        .unwrap();
    let speech = encode_mulaw(&tone(8000, 600, 300.0));
    let silence = vec![0xFFu8; 160];
    // Quiet before, then the utterance the detector marks, then quiet.
    for _ in 0..20 {
        s.input
            .send(SttInput::Audio(silence.clone()))
            .await
            .unwrap();
    }
    s.input.send(SttInput::SpeechStarted).await.unwrap();
    for f in speech.chunks(160) {
        s.input.send(SttInput::Audio(f.to_vec())).await.unwrap();
    }
    s.input.send(SttInput::SpeechEnded).await.unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(10), s.events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ev,
        SttEvent::Final {
            text: "Do you do water heaters?".into(),
            end_of_turn: true
        }
    );
    let r = seen.requests.lock().unwrap();
    let (_, headers, body) = &r[0];
    assert_eq!(headers["authorization"], format!("Bearer {KEY}"));
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let text = String::from_utf8_lossy(body);
    for part in [
        "name=\"model\"\r\n\r\nwhisper-1",
        "name=\"language\"\r\n\r\nen",
        "name=\"prompt\"\r\n\r\nwater heater repair",
        "filename=\"speech.wav\"",
    ] {
        assert!(text.contains(part), "{part} in the form");
    }
    // The file: 8 kHz PCM with 300 ms of lead-in and the utterance (0.9 s in all).
    let at = body.windows(4).position(|w| w == b"RIFF").unwrap();
    let wav = &body[at..];
    assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
    let data = u32::from_le_bytes(wav[40..44].try_into().unwrap());
    assert_eq!(data, (2400 + 4800) * 2);
}

#[tokio::test]
async fn espeak_ng_speaks_offline_in_the_lines_format() {
    if std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("FRONTDESK_TEST_REQUIRE_ESPEAK").is_none(),
            "FRONTDESK_TEST_REQUIRE_ESPEAK is set but espeak-ng cannot be run"
        );
        return;
    }
    let tts = Tts::from_config(&SpeechConfig::default()).unwrap();
    let audio = tts
        .synthesize("Rapid Rooter Plumbing, this is Riley.", "en-US")
        .await
        .unwrap();
    // About two seconds of speech at 8 kHz: loud where it speaks, quiet at the end.
    assert!(
        (8000..40_000).contains(&audio.len()),
        "{} bytes",
        audio.len()
    );
    let frames: Vec<f32> = audio
        .chunks(160)
        .map(|f| level_db(&decode_mulaw(f)))
        .collect();
    let loud = frames.iter().filter(|&&l| l > -35.0).count();
    assert!(loud * 2 > frames.len(), "{loud} of {} frames", frames.len());
    // A program that is not there is an error, not a hang or a panic.
    let c = SpeechConfig {
        espeak_command: "/nonexistent/espeak-ng".into(),
        ..SpeechConfig::default()
    };
    let e = Tts::from_config(&c)
        .unwrap()
        .synthesize("Hello.", "en-US")
        .await
        .unwrap_err();
    assert!(e.contains("cannot run"), "{e}");
}
