//! Outgoing e-mail over SMTP (`[email] smtp_url`).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::EmailConfig;

/// The configured SMTP relay.
#[derive(Clone)]
pub struct Mailer {
    relay: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
}

/// Why an e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The relay refused it for good (a 5xx answer, an address it cannot take): not retried.
    #[error("refused: {0}")]
    Refused(String),
    /// The relay could not be reached or asked us to try later: retried.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A message to send.
pub struct Mail<'a> {
    /// Shown as the sender's name, with the configured address.
    pub from_name: &'a str,
    pub to: &'a str,
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    /// The `Message-ID`, fixed per stored e-mail so a resend after a crash is recognisably the
    /// same message.
    pub message_id: &'a str,
}

impl Mailer {
    /// The relay in the config, or `None` when no relay is configured.
    pub fn from_config(cfg: &EmailConfig) -> Result<Option<Self>, String> {
        let url = cfg.smtp_url.expose();
        if url.is_empty() {
            return Ok(None);
        }
        let from: Address = cfg
            .from
            .parse()
            .map_err(|e| format!("email.from {:?}: {e}", cfg.from))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The URL holds the password: its parse error says what is wrong, never the URL.
        let relay = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("email.smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(cfg.timeout_secs.max(1))))
            .build();
        Ok(Some(Self { relay, from }))
    }

    /// The domain of the sender address, for `Message-ID`s.
    pub fn domain(&self) -> &str {
        self.from.domain()
    }

    pub async fn send(&self, m: &Mail<'_>) -> Result<(), MailError> {
        let refused = |e: String| MailError::Refused(e);
        let mut b = Message::builder()
            .from(Mailbox::new(
                Some(m.from_name.to_owned()),
                self.from.clone(),
            ))
            .to(m
                .to
                .parse::<Mailbox>()
                .map_err(|e| refused(format!("to {:?}: {e}", m.to)))?)
            .subject(m.subject)
            .message_id(Some(m.message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN);
        if let Some(r) = m.reply_to
            && let Ok(r) = r.parse::<Mailbox>()
        {
            b = b.reply_to(r);
        }
        let msg = b
            .body(m.body.to_owned())
            .map_err(|e| refused(e.to_string()))?;
        match self.relay.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Refused(e.to_string())),
            Err(e) => Err(MailError::Unavailable(e.to_string())),
        }
    }
}
