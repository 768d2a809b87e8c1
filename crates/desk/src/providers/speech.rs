//! Speech for phone calls whose audio comes to us (Twilio Media Streams): the providers that
//! turn the caller's audio into words ([`stt`]) and our replies into audio ([`tts`]), and the
//! voice activity detector that hears when the caller speaks and stops ([`vad`]).
//!
//! Every provider works on the phone line's own audio, 8 kHz G.711 μ-law: speech-to-text is
//! fed the frames as they arrive, and text-to-speech returns them ready to send.

pub mod stt;
pub mod tts;
pub mod vad;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::SpeechConfig;

pub use stt::{Stt, SttEvent, SttInput, SttStream};
pub use tts::Tts;

/// The configured providers.
pub struct Speech {
    /// `None`: no speech-to-text is configured, so calls cannot be heard here.
    pub stt: Option<Stt>,
    pub tts: Tts,
    pub end_of_turn_ms: u64,
    pub filler_after_ms: u64,
    /// Short phrases spoken often (fillers), synthesized once per voice.
    cache: Mutex<PhraseCache>,
}

/// Audio by (text, locale).
type PhraseCache = HashMap<(String, String), Arc<Vec<u8>>>;

/// Most phrases kept in the cache; fillers are a handful.
const CACHE_MAX: usize = 64;

impl Speech {
    pub fn from_config(cfg: &SpeechConfig) -> Result<Self, String> {
        Ok(Self {
            stt: Stt::from_config(cfg)?,
            tts: Tts::from_config(cfg)?,
            end_of_turn_ms: cfg.end_of_turn_ms,
            filler_after_ms: cfg.filler_after_ms,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// `text` as μ-law audio, from the cache when it was spoken before in `locale`.
    pub async fn cached(&self, text: &str, locale: &str) -> Result<Arc<Vec<u8>>, String> {
        let key = (text.to_owned(), locale.to_owned());
        if let Some(a) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(a);
        }
        let audio = Arc::new(self.tts.synthesize(text, locale).await?);
        if let Ok(mut c) = self.cache.lock()
            && c.len() < CACHE_MAX
        {
            c.insert(key, audio.clone());
        }
        Ok(audio)
    }
}

/// An HTTP client for a provider's API.
fn http_client() -> Result<reqwest::Client, String> {
    // reqwest is built without a default TLS provider; install ring's once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| format!("speech client: {e}"))
}

/// A provider setting, or its default when empty (URLs without a trailing slash).
fn or(setting: &str, default: &str) -> String {
    if setting.is_empty() {
        default.to_owned()
    } else {
        setting.trim_end_matches('/').to_owned()
    }
}

/// The first 200 characters of a provider's error body.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}
