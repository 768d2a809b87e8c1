//! Settings: one typed struct. Layered defaults → TOML file (`--config`) → `FRONTDESK_*`
//! environment variables → command-line flags. The variable for a setting is its path in
//! upper case joined by `_`: `[database] url` is `FRONTDESK_DATABASE_URL`, `data_dir` is
//! `FRONTDESK_DATA_DIR`. `frontdesk.example.toml` documents every setting (a test keeps it whole).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the embedded database and other local files; created on first run.
    pub data_dir: PathBuf,
    /// The base URL outside callers (Twilio, browsers) use to reach this server, e.g. behind a
    /// proxy. Empty: each request's own host.
    pub public_url: String,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub llm: LlmConfig,
    pub twilio: TwilioConfig,
    pub email: EmailConfig,
    pub speech: SpeechConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed, as
    /// comma-separated addresses or networks ("127.0.0.1, 10.0.0.0/8"). Empty: none; every
    /// client is the address that connected.
    pub trusted_proxies: String,
    /// API requests allowed per minute per API key or signed-in user (a minute's worth may come
    /// at once); more get 429 with `Retry-After`.
    pub api_requests_per_minute: u32,
    /// API requests allowed per minute on one business, from all its credentials together.
    pub api_requests_per_minute_per_business: u32,
    /// Bookings the public booking page accepts per hour from one client address.
    pub booking_page_per_address_per_hour: u32,
    /// Bookings the public booking page accepts per hour for one business, from everyone.
    pub booking_page_per_business_per_hour: u32,
    /// A bearer token that may read `/metrics` besides operator credentials. Secret.
    pub metrics_token: Secret,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…` for PostgreSQL; empty for SQLite at `<data_dir>/frontdesk.db`.
    pub url: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Key that signs access tokens. Empty: one is generated and kept in the database, sealed
    /// with `secret_key`, so every server on that database shares it.
    pub jwt_secret: Secret,
    /// Key that seals the secrets kept in the database (base64 of 32 bytes). Empty:
    /// `<data_dir>/secret.key`, made owner-only on first start. Servers sharing one PostgreSQL
    /// database must share it.
    pub secret_key: Secret,
    /// Lifetime of an access token.
    pub access_token_minutes: u32,
    /// Lifetime of a refresh token (each use replaces it).
    pub refresh_token_days: u32,
    /// Login attempts allowed per minute, per client address and per account from one
    /// address (so strangers elsewhere cannot lock an owner out).
    pub login_attempts_per_minute: u32,
    /// The longest lifetime the server gives or accepts for an access token, in minutes;
    /// `token create --minutes` cannot exceed it.
    pub max_token_minutes: u32,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format must be text or json, not {other:?}")),
        }
    }
}

/// Who turns a caller's audio into words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SttProvider {
    /// None: calls in `media_streams` mode use the TwiML loop.
    #[default]
    #[serde(rename = "")]
    None,
    #[serde(rename = "deepgram")]
    Deepgram,
    #[serde(rename = "openai")]
    OpenAi,
}

/// Who turns replies into audio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TtsProvider {
    /// espeak-ng on this machine, offline.
    #[default]
    #[serde(rename = "espeak")]
    Espeak,
    #[serde(rename = "elevenlabs")]
    ElevenLabs,
    #[serde(rename = "openai")]
    OpenAi,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (human-readable) or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `frontdesk=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Run the job queue in this process.
    pub enabled: bool,
    /// How often to look for due jobs, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long a claimed job stays leased without a heartbeat, in seconds.
    pub lease_secs: u64,
    /// How long shutdown waits for running jobs before giving them back, in seconds.
    pub shutdown_grace_secs: u64,
}

/// The optional LLM mode: an OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM)
/// that reads callers' turns through the agent's skills as tools and phrases the replies. The
/// built-in engine still runs the flows, checks for emergencies first and takes over whenever
/// the model is slow, fails or states a fact that is not in the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// The API's base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    /// Empty: LLM mode is off.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`; empty sends none (Ollama, a local vLLM).
    pub api_key: Secret,
    /// The model name the endpoint knows.
    pub model: String,
    /// Time the model has for one turn (understanding and phrasing together) before the
    /// built-in engine answers instead.
    pub timeout_ms: u64,
    /// Let the model phrase the replies too; off: it only reads the turns.
    pub phrase: bool,
}

/// The Twilio account that phone calls, SMS and WhatsApp come through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwilioConfig {
    /// The account SID (`AC…`), for the REST API.
    pub account_sid: String,
    /// Signs Twilio's webhooks and authenticates REST calls. Empty: every webhook is refused.
    pub auth_token: Secret,
    /// The REST API's base URL; another one points the adapter at a test server.
    pub api_base: String,
    /// SMS segments one business may send in 24 hours; past it, texts are refused
    /// (`daily_budget`) and the owner was told by e-mail at 80%. 0: no limit.
    pub daily_segments_per_business: u32,
    /// Minutes of calls one business may take in 24 hours, transfers included; past it, a new
    /// call hears a short apology and is hung up, and the owner was told by e-mail at 80%.
    /// 0: no limit.
    pub daily_call_minutes_per_business: u32,
    /// After five failures in a row, Twilio is left alone this long (milliseconds) before one
    /// send probes it; texts wait meanwhile, in order.
    pub breaker_cool_down_ms: u64,
}

/// Outgoing e-mail: confirmations and reminders to customers, alerts to owners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP relay: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS from the start) or `smtp://host:25` (plain, for a relay
    /// on the same machine). Empty: no e-mail is sent.
    pub smtp_url: Secret,
    /// The sender address; the business's name is shown with it.
    pub from: String,
    /// How long one delivery to the relay may take, in seconds.
    pub timeout_secs: u64,
    /// After five failures in a row, the relay is left alone this long (milliseconds) before
    /// one e-mail probes it; e-mails wait meanwhile.
    pub breaker_cool_down_ms: u64,
}

/// Speech for phone calls in `media_streams` mode, where the call's audio comes to us: who turns
/// the caller's audio into words, who turns our replies into audio, and when a turn is over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechConfig {
    /// Speech-to-text: `deepgram` (streaming WebSocket) or `openai` (an OpenAI-compatible
    /// `/audio/transcriptions` API). Empty: calls in `media_streams` mode use the TwiML loop.
    pub stt: SttProvider,
    /// The speech-to-text API's base URL. Empty: the provider's own
    /// (`wss://api.deepgram.com/v1/listen`, `https://api.openai.com/v1`).
    pub stt_url: String,
    /// The speech-to-text API key.
    pub stt_api_key: Secret,
    /// The speech-to-text model. Empty: `nova-2-phonecall` (Deepgram), `whisper-1` (OpenAI).
    pub stt_model: String,
    /// Text-to-speech: `espeak` (espeak-ng on this machine, offline), `elevenlabs` or `openai`.
    pub tts: TtsProvider,
    /// The text-to-speech API's base URL. Empty: the provider's own
    /// (`https://api.elevenlabs.io`, `https://api.openai.com/v1`).
    pub tts_url: String,
    /// The text-to-speech API key.
    pub tts_api_key: Secret,
    /// The voice: an espeak-ng voice (empty: from the business's locale), an ElevenLabs voice
    /// id, or an OpenAI voice name (`alloy`).
    pub tts_voice: String,
    /// The text-to-speech model. Empty: `eleven_flash_v2_5` (ElevenLabs), `gpt-4o-mini-tts`
    /// (OpenAI).
    pub tts_model: String,
    /// The espeak-ng program.
    pub espeak_command: String,
    /// Silence after the caller's last words that ends their turn, in milliseconds.
    pub end_of_turn_ms: u64,
    /// When a reply takes longer than this, in milliseconds, a short filler is spoken.
    pub filler_after_ms: u64,
}

impl Default for SpeechConfig {
    fn default() -> Self {
        Self {
            stt: SttProvider::None,
            stt_url: String::new(),
            stt_api_key: Secret::default(),
            stt_model: String::new(),
            tts: TtsProvider::Espeak,
            tts_url: String::new(),
            tts_api_key: Secret::default(),
            tts_voice: String::new(),
            tts_model: String::new(),
            espeak_command: "espeak-ng".into(),
            end_of_turn_ms: 700,
            filler_after_ms: 1200,
        }
    }
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_url: Secret::default(),
            from: "frontdesk@localhost".into(),
            timeout_secs: 30,
            breaker_cool_down_ms: 30_000,
        }
    }
}

impl Default for TwilioConfig {
    fn default() -> Self {
        Self {
            account_sid: String::new(),
            auth_token: Secret::default(),
            api_base: "https://api.twilio.com".into(),
            daily_segments_per_business: 2_000,
            daily_call_minutes_per_business: 600,
            breaker_cool_down_ms: 30_000,
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            api_key: Secret::default(),
            model: String::new(),
            timeout_ms: 6000,
            phrase: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            public_url: String::new(),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            auth: AuthConfig::default(),
            log: LogConfig::default(),
            jobs: JobsConfig::default(),
            llm: LlmConfig::default(),
            twilio: TwilioConfig::default(),
            email: EmailConfig::default(),
            speech: SpeechConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 2 * 1024 * 1024,
            trusted_proxies: String::new(),
            api_requests_per_minute: 600,
            api_requests_per_minute_per_business: 3_000,
            booking_page_per_address_per_hour: 10,
            booking_page_per_business_per_hour: 120,
            metrics_token: Secret::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: Secret::default(),
            secret_key: Secret::default(),
            access_token_minutes: 15,
            refresh_token_days: 30,
            login_attempts_per_minute: 10,
            max_token_minutes: 24 * 60,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_interval_ms: 500,
            lease_secs: 60,
            shutdown_grace_secs: 10,
        }
    }
}

/// A secret setting: printed as `[redacted]` by `Debug` and `Display`, so it never reaches logs.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "[redacted]"
        })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then `FRONTDESK_*` variables from `env`.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("reading {}: {e}", p.display()))?;
                toml::from_str::<toml::Table>(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => toml::Table::new(),
        };
        let defaults = toml::Table::try_from(Config::default()).map_err(|e| e.to_string())?;
        overlay_env(&defaults, &mut table, "FRONTDESK", &env)?;
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| match file {
                Some(p) => format!("{}: {e}", p.display()),
                None => e.to_string(),
            })?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks values that parse but make no sense; call again after overriding any setting.
    pub fn check(&self) -> Result<(), String> {
        let url = self.database.url.expose();
        if !(url.is_empty()
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite://"))
        {
            return Err(
                "database.url must start with postgres://, postgresql:// or sqlite://".into(),
            );
        }
        if self.auth.access_token_minutes == 0
            || self.auth.refresh_token_days == 0
            || self.auth.login_attempts_per_minute == 0
        {
            return Err("auth lifetimes and login_attempts_per_minute must be more than 0".into());
        }
        let llm = &self.llm;
        if !llm.base_url.is_empty() {
            if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) {
                return Err("llm.base_url must start with http:// or https://".into());
            }
            if llm.model.trim().is_empty() {
                return Err("llm.model must be set when llm.base_url is".into());
            }
            if llm.timeout_ms == 0 {
                return Err("llm.timeout_ms must be more than 0".into());
            }
        }
        let sp = &self.speech;
        if sp.end_of_turn_ms < 100 || sp.end_of_turn_ms > 5000 {
            return Err("speech.end_of_turn_ms must be between 100 and 5000".into());
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("frontdesk.db").display())
        } else {
            self.database.url.expose().to_owned()
        }
    }

    /// Every setting's dotted name, for the example-file test.
    pub fn keys() -> Vec<String> {
        fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<String>) {
            for (k, v) in t {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    toml::Value::Table(t) => walk(&name, t, out),
                    _ => out.push(name),
                }
            }
        }
        let mut out = Vec::new();
        if let Ok(t) = toml::Table::try_from(Config::default()) {
            walk("", &t, &mut out);
        }
        out
    }
}

/// Sets each leaf of `defaults` in `table` from the variable named after its path, parsed as the
/// leaf's type.
fn overlay_env(
    defaults: &toml::Table,
    table: &mut toml::Table,
    prefix: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    for (k, v) in defaults {
        let var = format!("{prefix}_{}", k.to_uppercase());
        match v {
            toml::Value::Table(sub) => {
                let entry = table
                    .entry(k.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let toml::Value::Table(t) = entry else {
                    return Err(format!("{k} must be a table"));
                };
                overlay_env(sub, t, &var, env)?;
            }
            leaf => {
                let Some(raw) = env(&var) else { continue };
                let parsed = match leaf {
                    toml::Value::Integer(_) => raw
                        .trim()
                        .parse::<i64>()
                        .map(toml::Value::Integer)
                        .map_err(|_| format!("{var} must be a whole number"))?,
                    toml::Value::Boolean(_) => raw
                        .trim()
                        .parse::<bool>()
                        .map(toml::Value::Boolean)
                        .map_err(|_| format!("{var} must be true or false"))?,
                    _ => toml::Value::String(raw),
                };
                table.insert(k.clone(), parsed);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    const EXAMPLE: &str = include_str!("../../../frontdesk.example.toml");

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn example_file_documents_every_setting_with_its_default() {
        let dir = std::env::temp_dir().join(format!("fd-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("example.toml");
        std::fs::write(&path, EXAMPLE).unwrap();
        let parsed = Config::load(Some(&path), no_env).unwrap();
        assert_eq!(parsed, Config::default(), "the example shows the defaults");
        let table: toml::Table = toml::from_str(EXAMPLE).unwrap();
        for key in Config::keys() {
            let mut node = toml::Value::Table(table.clone());
            for part in key.split('.') {
                node = node
                    .get(part)
                    .cloned()
                    .unwrap_or_else(|| panic!("{key} is missing from frontdesk.example.toml"));
            }
            let leaf = key.rsplit('.').next().unwrap();
            let documented = EXAMPLE.lines().collect::<Vec<_>>().windows(2).any(|w| {
                w[0].trim_start().starts_with('#') && w[1].starts_with(&format!("{leaf} ="))
            });
            assert!(documented, "{key} has no comment in frontdesk.example.toml");
        }
    }

    #[test]
    fn environment_overrides_the_file_and_typos_are_refused() {
        let env: HashMap<&str, &str> = HashMap::from([
            ("FRONTDESK_DATA_DIR", "/srv/fd"),
            ("FRONTDESK_DATABASE_URL", "postgres://u:hunter2@db/fd"),
            ("FRONTDESK_SERVER_LISTEN", "0.0.0.0:9000"),
            ("FRONTDESK_AUTH_ACCESS_TOKEN_MINUTES", "5"),
            ("FRONTDESK_JOBS_ENABLED", "false"),
        ]);
        let cfg = Config::load(None, |k| env.get(k).map(|v| (*v).to_owned())).unwrap();
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/fd"));
        assert_eq!(cfg.database_url(), "postgres://u:hunter2@db/fd");
        assert_eq!(
            (
                cfg.server.listen.as_str(),
                cfg.auth.access_token_minutes,
                cfg.jobs.enabled
            ),
            ("0.0.0.0:9000", 5, false)
        );
        assert!(
            !format!("{cfg:?}").contains("hunter2"),
            "secrets never appear in debug output"
        );
        let bad = Config::load(None, |k| {
            (k == "FRONTDESK_AUTH_ACCESS_TOKEN_MINUTES").then(|| "soon".to_owned())
        });
        assert!(
            bad.unwrap_err()
                .contains("FRONTDESK_AUTH_ACCESS_TOKEN_MINUTES")
        );
        let dir = std::env::temp_dir().join(format!("fd-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("typo.toml");
        std::fs::write(&path, "[server]\nlisten_addr = \"x\"\n").unwrap();
        assert!(
            Config::load(Some(&path), no_env)
                .unwrap_err()
                .contains("listen_addr")
        );
        let llm = |url: &str, model: &str| {
            let env: HashMap<&str, String> = HashMap::from([
                ("FRONTDESK_LLM_BASE_URL", url.to_owned()),
                ("FRONTDESK_LLM_MODEL", model.to_owned()),
                ("FRONTDESK_LLM_API_KEY", "sk-live-secret".to_owned()),
            ]);
            Config::load(None, |k| env.get(k).cloned())
        };
        let on = llm("http://127.0.0.1:11434/v1", "llama3.1").unwrap();
        assert_eq!(on.llm.model, "llama3.1");
        assert!(!format!("{on:?}").contains("sk-live-secret"));
        assert!(
            llm("127.0.0.1:11434", "llama3.1")
                .unwrap_err()
                .contains("llm.base_url")
        );
        assert!(
            llm("http://127.0.0.1:11434/v1", "")
                .unwrap_err()
                .contains("llm.model")
        );
        assert_eq!(
            Config::default().database_url(),
            format!(
                "sqlite://{}",
                PathBuf::from("data").join("frontdesk.db").display()
            )
        );
    }
}
