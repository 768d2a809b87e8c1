//! The operations layer, between the pure engine and the HTTP face: the turn host that every
//! channel runs a conversation through ([`host`]), what the engine's actions do and the notices
//! they send ([`notify`]), the bodies of the durable jobs and their registration ([`jobs`]),
//! account and installation management shared by the API and the command line ([`accounts`],
//! [`admin`]), the agent's evaluation ([`eval`]), and the adapters to outside services
//! ([`providers`]).
//!
//! Nothing here knows HTTP: `frontdesk-web` composes these into routes and sockets, and the
//! command line uses them directly.

pub mod accounts;
pub mod actions;
pub mod admin;
pub mod alerts;
pub mod booking;
pub mod calendars;
pub mod calls;
pub mod config;
pub mod customers;
pub mod emails;
pub mod error;
pub mod eval;
pub mod host;
pub mod jobs;
pub mod live;
pub mod notify;
pub mod outbox;
pub mod providers;
pub mod secrets;
pub mod selfservice;
pub mod texts;
pub mod totp;

use std::sync::Arc;

use frontdesk_store::Db;

pub use config::{Config, Secret};
pub use error::Error;

/// What the operations need, and nothing else: the database, the engine's host, the ways of
/// sending, and the job runner's waker. One pointer to clone.
#[derive(Clone)]
pub struct Desk(Arc<Inner>);

/// What [`Desk`] points to.
pub struct Inner {
    pub db: Db,
    /// The conversation engine and its per-business indexes.
    pub host: Arc<host::Host>,
    /// Twilio's REST API, when an account is configured.
    pub twilio: Option<providers::twilio::rest::Rest>,
    /// The SMTP relay, when one is configured.
    pub mailer: Option<providers::mail::Mailer>,
    /// Wakes the job runner after enqueueing work that should not wait for its next poll.
    pub wake: Arc<tokio::sync::Notify>,
    /// The address Twilio reaches this server at (`public_url`), for status callbacks.
    pub public_url: String,
    /// SMS segments one business may send in 24 hours (0: no limit).
    pub daily_segments: u32,
    /// Call minutes one business may take in 24 hours (0: no limit).
    pub daily_call_minutes: u32,
    /// Opens when Twilio keeps failing: sends then wait without calling it.
    pub twilio_breaker: providers::breaker::Breaker,
    /// Opens when the SMTP relay keeps failing: e-mails then wait without calling it.
    pub mail_breaker: providers::breaker::Breaker,
}

impl std::ops::Deref for Desk {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Desk {
    /// The operations for this database and these settings: the LLM, Twilio and SMTP
    /// adapters as configured (each may be absent), and a fresh waker.
    pub fn new(db: Db, cfg: &Config) -> anyhow::Result<Self> {
        let llm = providers::llm::Llm::from_config(&cfg.llm).map_err(anyhow::Error::msg)?;
        let twilio =
            providers::twilio::rest::Rest::from_config(&cfg.twilio).map_err(anyhow::Error::msg)?;
        let mailer =
            providers::mail::Mailer::from_config(&cfg.email).map_err(anyhow::Error::msg)?;
        let wake = Arc::new(tokio::sync::Notify::new());
        let senders = notify::Senders {
            sms: twilio.is_some(),
            email: mailer.is_some(),
        };
        // Self-service links need an address to point at and the installation's key.
        let links = if cfg.public_url.is_empty() {
            None
        } else {
            match secrets::Sealer::for_installation(cfg) {
                Ok(s) => Some(Arc::new(selfservice::Links::new(
                    &cfg.public_url,
                    s.links_key(),
                ))),
                Err(e) => {
                    tracing::warn!(error = %e, "no secret key: confirmations go out without a self-service link");
                    None
                }
            }
        };
        let host = host::Host::new()
            .with_llm(llm)
            .with_notices(senders, wake.clone())
            .with_links(links);
        Ok(Self(Arc::new(Inner {
            db,
            host: Arc::new(host),
            twilio,
            mailer,
            wake,
            public_url: cfg.public_url.clone(),
            daily_segments: cfg.twilio.daily_segments_per_business,
            daily_call_minutes: cfg.twilio.daily_call_minutes_per_business,
            twilio_breaker: providers::breaker::Breaker::new(std::time::Duration::from_millis(
                cfg.twilio.breaker_cool_down_ms,
            )),
            mail_breaker: providers::breaker::Breaker::new(std::time::Duration::from_millis(
                cfg.email.breaker_cool_down_ms,
            )),
        })))
    }

    /// Wakes the job runner: work was just queued.
    pub fn wake_jobs(&self) {
        self.wake.notify_one();
    }
}
