//! Text-to-speech: a sentence in, the phone line's audio out (μ-law at 8 kHz), ready to send.
//!
//! - **espeak-ng** (the default): the Debian package's program on this machine, offline and
//!   free. The text goes in on standard input (never on a command line), the WAV it writes at
//!   22.05 kHz is resampled to the line's rate.
//! - **ElevenLabs**: `POST /v1/text-to-speech/{voice_id}?output_format=ulaw_8000` with the
//!   `xi-api-key` header; the answer is the line's own μ-law.
//! - **OpenAI** (`/audio/speech`): `response_format: pcm`, 16-bit little-endian at 24 kHz,
//!   resampled to the line's rate.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt as _;

use super::{http_client, or, short};
use crate::config::{SpeechConfig, TtsProvider};
use crate::providers::audio::{LINE_RATE, encode_mulaw, pcm16_from_bytes, resample};

/// Longest a provider may take for one sentence.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest answer read: two minutes of 24 kHz PCM.
const MAX_AUDIO_BYTES: usize = 6 * 1024 * 1024;
/// OpenAI's `pcm` format rate.
const OPENAI_PCM_RATE: u32 = 24_000;

pub enum Tts {
    Espeak {
        command: String,
        voice: String,
    },
    ElevenLabs {
        http: reqwest::Client,
        url: String,
        key: String,
        voice: String,
        model: String,
    },
    OpenAi {
        http: reqwest::Client,
        url: String,
        key: String,
        voice: String,
        model: String,
    },
}

impl Tts {
    pub fn from_config(cfg: &SpeechConfig) -> Result<Self, String> {
        Ok(match cfg.tts {
            TtsProvider::Espeak => Self::Espeak {
                command: cfg.espeak_command.clone(),
                voice: cfg.tts_voice.clone(),
            },
            TtsProvider::ElevenLabs => Self::ElevenLabs {
                http: http_client()?,
                url: or(&cfg.tts_url, "https://api.elevenlabs.io"),
                key: cfg.tts_api_key.expose().to_owned(),
                // "Rachel", one of ElevenLabs' premade voices.
                voice: or(&cfg.tts_voice, "21m00Tcm4TlvDq8ikWAM"),
                model: or(&cfg.tts_model, "eleven_flash_v2_5"),
            },
            TtsProvider::OpenAi => Self::OpenAi {
                http: http_client()?,
                url: format!(
                    "{}/audio/speech",
                    or(&cfg.tts_url, "https://api.openai.com/v1")
                ),
                key: cfg.tts_api_key.expose().to_owned(),
                voice: or(&cfg.tts_voice, "alloy"),
                model: or(&cfg.tts_model, "gpt-4o-mini-tts"),
            },
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Espeak { .. } => "espeak",
            Self::ElevenLabs { .. } => "elevenlabs",
            Self::OpenAi { .. } => "openai",
        }
    }

    /// `text` spoken in `locale` (`en-US`), as μ-law at 8 kHz.
    pub async fn synthesize(&self, text: &str, locale: &str) -> Result<Vec<u8>, String> {
        match self {
            Self::Espeak { command, voice } => {
                let voice = if voice.is_empty() {
                    espeak_voice(locale)
                } else {
                    voice.clone()
                };
                let (rate, pcm) = espeak(command, &voice, text).await?;
                Ok(encode_mulaw(&resample(&pcm, rate, LINE_RATE)))
            }
            Self::ElevenLabs {
                http,
                url,
                key,
                voice,
                model,
            } => {
                let url = format!("{url}/v1/text-to-speech/{voice}?output_format=ulaw_8000");
                let req = http
                    .post(url)
                    .header("xi-api-key", key)
                    .header("accept", "audio/basic")
                    .json(&json!({"text": text, "model_id": model}));
                fetch(req, "elevenlabs").await
            }
            Self::OpenAi {
                http,
                url,
                key,
                voice,
                model,
            } => {
                let mut req = http.post(url).json(&json!({
                    "model": model,
                    "input": text,
                    "voice": voice,
                    "response_format": "pcm",
                }));
                if !key.is_empty() {
                    req = req.bearer_auth(key);
                }
                let bytes = fetch(req, "openai speech").await?;
                let pcm = pcm16_from_bytes(&bytes);
                Ok(encode_mulaw(&resample(&pcm, OPENAI_PCM_RATE, LINE_RATE)))
            }
        }
    }
}

/// espeak-ng's voice for a locale: `en-US` is `en-us`; other languages by their language.
fn espeak_voice(locale: &str) -> String {
    let l = locale.to_lowercase().replace('_', "-");
    if l.starts_with("en-") {
        l
    } else {
        l.split('-').next().unwrap_or("en").to_owned()
    }
}

async fn fetch(req: reqwest::RequestBuilder, who: &str) -> Result<Vec<u8>, String> {
    let mut resp = req
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("{who}: {}", e.without_url()))?;
    let status = resp.status();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("{who}: {}", e.without_url()))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_AUDIO_BYTES {
            return Err(format!("{who}: the answer is too long"));
        }
    }
    if !status.is_success() {
        return Err(format!(
            "{who}: HTTP {status}: {}",
            short(&String::from_utf8_lossy(&body))
        ));
    }
    if body.is_empty() {
        return Err(format!("{who}: no audio"));
    }
    Ok(body)
}

/// Runs espeak-ng; its WAV's rate and samples.
async fn espeak(command: &str, voice: &str, text: &str) -> Result<(u32, Vec<i16>), String> {
    let mut child = tokio::process::Command::new(command)
        .args(["--stdin", "--stdout", "-v", voice, "-s", "165"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("espeak-ng: cannot run {command:?}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // One line: espeak-ng reads standard input to its end.
        let line = text.replace(['\n', '\r'], " ");
        stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("espeak-ng: {e}"))?;
    }
    let out = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| "espeak-ng timed out".to_owned())?
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "espeak-ng failed: {}",
            short(String::from_utf8_lossy(&out.stderr).trim())
        ));
    }
    read_wav(&out.stdout)
}

/// A mono 16-bit PCM WAV: its rate and samples. A streamed WAV (espeak-ng's `--stdout`) does not
/// know its length, so the data runs to the end of the file.
pub fn read_wav(w: &[u8]) -> Result<(u32, Vec<i16>), String> {
    let bad = || "not a mono 16-bit PCM WAV file".to_owned();
    if w.len() < 12 || &w[0..4] != b"RIFF" || &w[8..12] != b"WAVE" {
        return Err(bad());
    }
    let u16_at = |i: usize| u16::from_le_bytes([w[i], w[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([w[i], w[i + 1], w[i + 2], w[i + 3]]);
    let mut at = 12;
    let mut rate = None;
    while at + 8 <= w.len() {
        let id = &w[at..at + 4];
        let len = u32_at(at + 4) as usize;
        let body = at + 8;
        if id == b"fmt " {
            if body + 16 > w.len() || u16_at(body) != 1 || u16_at(body + 2) != 1 {
                return Err(bad());
            }
            if u16_at(body + 14) != 16 {
                return Err(bad());
            }
            rate = Some(u32_at(body + 4));
        } else if id == b"data" {
            let rate = rate.ok_or_else(bad)?;
            let end = body.saturating_add(len).min(w.len());
            return Ok((rate, pcm16_from_bytes(&w[body..end])));
        }
        at = body.saturating_add(len + (len & 1));
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::speech::stt::wav_pcm16;

    #[test]
    fn a_wav_file_is_read_back_and_a_streamed_one_runs_to_its_end() {
        let samples: Vec<i16> = (0..100).map(|i| (i * 300 - 15000) as i16).collect();
        let w = wav_pcm16(&samples, 22050);
        assert_eq!(read_wav(&w), Ok((22050, samples.clone())));
        // espeak-ng's --stdout: the sizes are 0x7ffff000, unknown.
        let mut streamed = w.clone();
        streamed[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        assert_eq!(read_wav(&streamed), Ok((22050, samples)));
        assert!(read_wav(b"RIFF....WAVEjunk").is_err());
        assert!(read_wav(b"hello").is_err());
    }

    #[test]
    fn espeak_voices_follow_the_locale() {
        assert_eq!(espeak_voice("en-US"), "en-us");
        assert_eq!(espeak_voice("en_GB"), "en-gb");
        assert_eq!(espeak_voice("es-MX"), "es");
    }
}
