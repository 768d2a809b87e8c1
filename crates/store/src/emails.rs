//! E-mails the business sends: confirmations and reminders to customers, alerts to the owner.
//! Each is stored before the job that sends it runs, so none is lost if the relay is down.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::EmailStatus;
use crate::{ConversationId, RecordId, Result, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Email {
    pub id: RecordId,
    pub conversation_id: Option<ConversationId>,
    /// Why it was sent: `confirmation`, `reminder`, `owner_alert`, …
    pub purpose: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// `pending`, then `sent` (the relay accepted it) or `failed` (it refused it for good).
    pub status: EmailStatus,
    /// The `Message-ID` header it was sent with.
    pub message_id: Option<String>,
    /// The relay's refusal, or while it waits, why (`relay_unavailable`).
    pub error: Option<String>,
    /// When it was last handed to the relay with the outcome not yet known: still `pending`
    /// with this set means a crash came in between (it goes again with the same `Message-ID`).
    pub sending_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, conversation_id, purpose, to_address, subject, body, status, message_id, error, created_at, updated_at, sending_at";

impl FromRow for Email {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            conversation_id: r.opt_text(1)?.map(ConversationId::from_db),
            purpose: r.text(2)?,
            to_address: r.text(3)?,
            subject: r.text(4)?,
            body: r.text(5)?,
            status: crate::states::read(r, 6)?,
            message_id: r.opt_text(7)?,
            error: r.opt_text(8)?,
            created_at: r.int(9)?,
            updated_at: r.int(10)?,
            sending_at: r.opt_int(11)?,
        })
    }
}

/// An e-mail to store and send.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    pub conversation: Option<&'a ConversationId>,
    pub purpose: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

impl<E: Exec> Tenant<E> {
    /// Stores an e-mail as `pending`.
    pub async fn add_email(&mut self, m: &NewEmail<'_>, now: i64) -> Result<Email> {
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO emails (id, business_id, conversation_id, purpose, to_address, subject, body, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)",
                &params![&id, &self.business, m.conversation, m.purpose, m.to, m.subject, m.body, now],
            )
            .await?;
        self.email(&id).await
    }

    pub async fn email(&mut self, id: &RecordId) -> Result<Email> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM emails WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// E-mails, newest first.
    pub async fn emails(&mut self, before: Option<&str>, limit: u32) -> Result<Vec<Email>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM emails WHERE business_id = $1 AND ($2 = '' OR id < $2)
                     ORDER BY id DESC LIMIT $3"
                ),
                &params![&self.business, before.unwrap_or(""), limit],
            )
            .await
    }

    /// Replaces an e-mail's text (one that held a secret, once sent).
    pub async fn forget_email_body(&mut self, id: &RecordId, text: &str) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE emails SET body = $3 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, text],
            )
            .await?;
        Ok(())
    }

    /// Marks a pending e-mail in flight: about to be handed to the relay, with the outcome not
    /// yet known.
    pub async fn email_in_flight(&mut self, id: &RecordId, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE emails SET sending_at = $3, updated_at = $3
                  WHERE business_id = $1 AND id = $2 AND status = 'pending'",
                &params![&self.business, id, now],
            )
            .await?;
        Ok(())
    }

    /// Keeps a pending e-mail for a retry, saying why it waits; it is not in flight.
    pub async fn email_held(&mut self, id: &RecordId, reason: &str, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE emails SET error = $3, sending_at = NULL, updated_at = $4
                  WHERE business_id = $1 AND id = $2 AND status = 'pending'",
                &params![&self.business, id, reason, now],
            )
            .await?;
        Ok(())
    }

    /// Records what the relay said: accepted (with the `Message-ID`), or refused for good.
    pub async fn email_done(
        &mut self,
        id: &RecordId,
        message_id: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let status = if error.is_some() {
            EmailStatus::Failed
        } else {
            EmailStatus::Sent
        };
        self.exec
            .execute(
                I,
                "UPDATE emails SET status = $3, message_id = $4, error = $5, sending_at = NULL, updated_at = $6
                 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, status, message_id, error, now],
            )
            .await?;
        Ok(())
    }
}
