//! The e-mails frontdesk sends: each is stored first (see [`crate::notify`]) and sent by the
//! job here, once, through the configured relay.

use frontdesk_store::states::EmailStatus;
use frontdesk_store::{BusinessId, RecordId, now_ms};
use serde::{Deserialize, Serialize};

use crate::Desk;
use crate::jobs::Job;
use crate::providers::mail::{Mail, MailError};

/// Sends one stored e-mail.
#[derive(Serialize, Deserialize)]
pub struct SendEmail {
    pub business: BusinessId,
    pub email: RecordId,
}

impl Job for SendEmail {
    const KIND: &'static str = "email.send";
    const CONCURRENCY: usize = 4;
    const MAX_ATTEMPTS: u32 = crate::jobs::SEND_ATTEMPTS;

    async fn run(self, desk: Desk) -> Result<(), String> {
        send_email(&desk, &self.business, &self.email).await
    }
}

/// Why a pending e-mail waits: the relay could not be reached.
const RELAY_UNAVAILABLE: &str = "relay_unavailable";

/// What is kept of, and shown for, an e-mail that held a one-time sign-in link.
pub const LINK_WITHHELD: &str =
    "(This e-mail held a one-time sign-in link for its recipient: it is not kept or shown.)";

/// Whether e-mails of this purpose hold a one-time sign-in link (a password reset, an
/// invitation to choose a password): their text is shown to nobody and forgotten once sent.
pub fn holds_sign_in_link(purpose: &str) -> bool {
    matches!(purpose, "account_reset" | "account_invite")
}

/// The job that sends one stored e-mail. A refusal is final (the e-mail is marked failed with
/// the relay's answer); an outage retries with the queue's backoff.
async fn send_email(desk: &Desk, b: &BusinessId, id: &RecordId) -> Result<(), String> {
    let r: anyhow::Result<()> = async {
        let mut t = desk.db.tenant(b);
        let e = t.email(id).await?;
        if e.status != EmailStatus::Pending {
            return Ok(());
        }
        let Some(mailer) = &desk.mailer else {
            anyhow::bail!("e-mail is not configured: set FRONTDESK_EMAIL_SMTP_URL");
        };
        let loaded = desk.host.load(&mut desk.db.tenant(b)).await?;
        let p = &loaded.profile;
        // Customers' replies reach the business, not the sending address.
        let reply_to = (e.purpose != "owner_alert")
            .then(|| p.owner_alerts.as_ref().and_then(|a| a.email.as_ref()))
            .flatten()
            .map(|a| a.as_str());
        // The relay has been failing: wait without calling it (the retry comes back).
        if !desk.mail_breaker.allow(std::time::Instant::now()) {
            t.email_held(id, RELAY_UNAVAILABLE, now_ms()).await?;
            anyhow::bail!("the SMTP relay keeps failing; holding e-mails until it answers again");
        }
        // SMTP has no way to ask the relay whether it took a message, so one that was in flight
        // when the process died goes again, with the same Message-ID: receiving systems that
        // deduplicate by it show one message.
        if e.sending_at.is_some() {
            tracing::warn!(email = %id, "an e-mail in flight before a restart goes again with its Message-ID");
            metrics::counter!("emails_resent_after_restart_total").increment(1);
        }
        let message_id = format!("<{}@{}>", e.id, mailer.domain());
        let mail = Mail {
            from_name: p.name.as_str(),
            to: &e.to_address,
            reply_to,
            subject: &e.subject,
            body: &e.body,
            message_id: &message_id,
        };
        t.email_in_flight(id, now_ms()).await?;
        match mailer.send(&mail).await {
            Ok(()) => {
                desk.mail_breaker.success();
                t.email_done(id, Some(&message_id), None, now_ms()).await?;
                if holds_sign_in_link(&e.purpose) {
                    t.forget_email_body(id, LINK_WITHHELD).await?;
                }
                metrics::counter!("emails_sent_total").increment(1);
                Ok(())
            }
            Err(MailError::Refused(why)) => {
                // The relay answered: it is up, whatever it thought of this message.
                desk.mail_breaker.success();
                tracing::warn!(email = %id, error = why, "the relay refused an e-mail");
                t.email_done(id, Some(&message_id), Some(&why), now_ms())
                    .await?;
                if holds_sign_in_link(&e.purpose) {
                    t.forget_email_body(id, LINK_WITHHELD).await?;
                }
                Ok(())
            }
            Err(e) => {
                desk.mail_breaker.failure(std::time::Instant::now());
                t.email_held(id, RELAY_UNAVAILABLE, now_ms()).await?;
                Err(e.into())
            }
        }
    }
    .await;
    r.map_err(|e| format!("{e:#}"))
}
