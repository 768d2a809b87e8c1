//! Twilio's REST API (2010-04-01), the parts frontdesk calls: sending a message and fetching a
//! call's price. Form-encoded requests with HTTP basic auth (account SID and auth token), JSON
//! answers; errors come as `{"code", "message", "more_info", "status"}`. The base URL is
//! configurable so tests point it at a local server that speaks the same format.

use std::time::Duration;

use serde::Deserialize;

use crate::config::{Secret, TwilioConfig};

/// A client for one account.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
    account_sid: String,
    token: Secret,
}

/// Why a request failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Twilio refused the request for good (bad number, unsubscribed recipient, …).
    #[error("Twilio refused it ({status}, error {code}): {message}")]
    Rejected {
        status: u16,
        code: i64,
        message: String,
    },
    /// Twilio could not be reached or was overloaded: try again later.
    #[error("Twilio unavailable: {0}")]
    Unavailable(String),
}

/// A Message resource, as far as we read it.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageResource {
    pub sid: String,
    pub status: String,
    #[serde(default)]
    pub num_segments: Option<String>,
    #[serde(default)]
    pub error_code: Option<i64>,
}

/// A page of the Messages list, as far as we read it.
#[derive(Debug, Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<ListedMessage>,
}

#[derive(Debug, Deserialize)]
struct ListedMessage {
    sid: String,
    status: String,
    #[serde(default)]
    body: String,
    /// RFC 2822, as Twilio writes dates: "Wed, 02 Dec 2026 14:05:09 +0000".
    #[serde(default)]
    date_created: Option<String>,
}

/// A Call resource, as far as we read it. `price` stays `null` until Twilio has rated the call.
#[derive(Debug, Clone, Deserialize)]
pub struct CallResource {
    pub sid: String,
    pub status: String,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub price_unit: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// The longest a REST request may take.
const TIMEOUT: Duration = Duration::from_secs(15);

impl Rest {
    /// The client for the configured account, or `None` when no account is configured.
    pub fn from_config(cfg: &TwilioConfig) -> Result<Option<Self>, String> {
        if cfg.account_sid.is_empty() || cfg.auth_token.is_empty() {
            return Ok(None);
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("twilio client: {e}"))?;
        Ok(Some(Self {
            http,
            base: cfg.api_base.trim_end_matches('/').to_owned(),
            account_sid: cfg.account_sid.clone(),
            token: cfg.auth_token.clone(),
        }))
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{path}",
            self.base, self.account_sid
        )
    }

    async fn read<T: serde::de::DeserializeOwned>(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, RestError> {
        let r = r.map_err(|e| RestError::Unavailable(e.without_url().to_string()))?;
        let status = r.status();
        let body = r
            .bytes()
            .await
            .map_err(|e| RestError::Unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| RestError::Unavailable(format!("unreadable answer: {e}")));
        }
        Err(refusal(status, &body))
    }

    /// Creates a Message: sends `body` from `from` to `to` (`whatsapp:` addresses for WhatsApp).
    pub async fn send_message(
        &self,
        from: &str,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<MessageResource, RestError> {
        let mut form = vec![("To", to), ("From", from), ("Body", body)];
        if let Some(cb) = status_callback {
            form.push(("StatusCallback", cb));
        }
        let r = self
            .http
            .post(self.url("Messages.json"))
            .basic_auth(&self.account_sid, Some(self.token.expose()))
            .form(&form)
            .send()
            .await;
        Self::read(r).await
    }

    /// Finds a message that an earlier attempt may have created before its outcome was lost
    /// (a crash, a timeout): the newest from `from` to `to` with exactly `body`, created at or
    /// after `since_ms` (less a minute for clocks that differ). Lists the 50 newest messages
    /// between the two numbers, newest first.
    pub async fn find_message(
        &self,
        from: &str,
        to: &str,
        body: &str,
        since_ms: i64,
    ) -> Result<Option<MessageResource>, RestError> {
        let query = serde_urlencoded::to_string([("To", to), ("From", from), ("PageSize", "50")])
            .map_err(|e| RestError::Unavailable(e.to_string()))?;
        let r = self
            .http
            .get(format!("{}?{query}", self.url("Messages.json")))
            .basic_auth(&self.account_sid, Some(self.token.expose()))
            .send()
            .await;
        let page: MessagePage = Self::read(r).await?;
        let since = since_ms - 60_000;
        Ok(page
            .messages
            .into_iter()
            .find(|m| {
                m.body == body
                    && m.date_created
                        .as_deref()
                        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                        .is_none_or(|d| d.timestamp_millis() >= since)
            })
            .map(|m| MessageResource {
                sid: m.sid,
                status: m.status,
                num_segments: None,
                error_code: None,
            }))
    }

    /// Fetches a Call, for its duration and price.
    pub async fn fetch_call(&self, call_sid: &str) -> Result<CallResource, RestError> {
        if !call_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(RestError::Rejected {
                status: 400,
                code: 0,
                message: "malformed call sid".into(),
            });
        }
        let r = self
            .http
            .get(self.url(&format!("Calls/{call_sid}.json")))
            .basic_auth(&self.account_sid, Some(self.token.expose()))
            .send()
            .await;
        Self::read(r).await
    }

    /// A recording's audio as MP3, for the dashboard's player: the Recording's media
    /// (`Recordings/{sid}.mp3`), with the byte range the player asked for passed on so it can
    /// seek. The answer is returned as it starts (200, or 206 for a range) for the body to be
    /// streamed through; a refusal (no such recording, a range past the end) is an error.
    pub async fn recording(
        &self,
        sid: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, RestError> {
        if !recording_sid(sid) {
            return Err(RestError::Rejected {
                status: 400,
                code: 0,
                message: "malformed recording sid".into(),
            });
        }
        let mut req = self
            .http
            .get(self.url(&format!("Recordings/{sid}.mp3")))
            .basic_auth(&self.account_sid, Some(self.token.expose()))
            .timeout(MEDIA_TIMEOUT);
        if let Some(range) = range {
            req = req.header(reqwest::header::RANGE, range);
        }
        let r = req
            .send()
            .await
            .map_err(|e| RestError::Unavailable(e.without_url().to_string()))?;
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let body = r.bytes().await.unwrap_or_default();
        Err(refusal(status, &body))
    }
}

/// What an answer that is not a success means: Twilio's error body read; overloaded or down
/// (429, 5xx) is worth trying again, anything else is a refusal for good.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> RestError {
    let err: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = err.map_or((0, String::new()), |e| (e.code, e.message));
    if status.as_u16() == 429 || status.is_server_error() {
        return RestError::Unavailable(format!(
            "HTTP {} (error {code}) {message}",
            status.as_u16()
        ));
    }
    RestError::Rejected {
        status: status.as_u16(),
        code,
        message,
    }
}

/// The longest a recording's download may take (a long call on a slow line).
const MEDIA_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether `sid` is a Recording SID: `RE` and 32 hexadecimal digits.
pub fn recording_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("RE") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The Recording SID in a recording's URL as Twilio sends it
/// (`…/Accounts/AC…/Recordings/RE…`, perhaps with an extension), if it holds one.
pub fn recording_sid_in(url: &str) -> Option<&str> {
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    let sid = last.split('.').next()?;
    recording_sid(sid).then_some(sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_sids_are_read_from_twilio_urls_and_nothing_else() {
        let sid = "RE0123456789abcdef0123456789ABCDEF";
        assert!(recording_sid(sid));
        for url in [
            format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}"),
            format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}.mp3"),
            format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}/"),
        ] {
            assert_eq!(recording_sid_in(&url), Some(sid), "{url}");
        }
        for bad in [
            "RE42",
            "https://evil.example/RE0123456789abcdef0123456789abcdeg",
            "../../Calls/CA0123456789abcdef0123456789abcdef",
            "RE0123456789abcdef0123456789abcdef/../x",
            "",
        ] {
            assert_eq!(recording_sid_in(bad), None, "{bad}");
            assert!(!recording_sid(bad), "{bad}");
        }
    }
}
