//! What the owner must look at: messages callers left, questions the agent could not answer,
//! and each customer's timeline of everything the agent did for them.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::{MessageStatus, QuestionStatus};
use crate::{ConversationId, CustomerId, RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallerMessage {
    pub id: RecordId,
    pub customer_id: Option<CustomerId>,
    pub conversation_id: Option<ConversationId>,
    pub name: Option<String>,
    pub phone: Option<frontdesk_engine::PhoneE164>,
    pub text: String,
    pub status: MessageStatus,
    pub created_at: i64,
    /// A voicemail's Twilio Recording SID.
    pub recording_sid: Option<String>,
}

impl FromRow for CallerMessage {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            customer_id: r.opt_text(1)?.map(CustomerId::from_db),
            conversation_id: r.opt_text(2)?.map(ConversationId::from_db),
            name: r.opt_text(3)?,
            phone: r.opt_phone(4)?,
            text: r.text(5)?,
            status: crate::states::read(r, 6)?,
            created_at: r.int(7)?,
            recording_sid: r.opt_text(8)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnansweredQuestion {
    pub id: RecordId,
    pub conversation_id: Option<ConversationId>,
    pub question: String,
    pub status: QuestionStatus,
    pub created_at: i64,
}

impl FromRow for UnansweredQuestion {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            conversation_id: r.opt_text(1)?.map(ConversationId::from_db),
            question: r.text(2)?,
            status: crate::states::read(r, 3)?,
            created_at: r.int(4)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub id: RecordId,
    pub customer_id: Option<CustomerId>,
    pub conversation_id: Option<ConversationId>,
    /// What happened: `appointment_booked`, `unit_reserved`, `order_placed`, `message_taken`…
    pub kind: String,
    pub summary: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

impl FromRow for Activity {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            customer_id: r.opt_text(1)?.map(CustomerId::from_db),
            conversation_id: r.opt_text(2)?.map(ConversationId::from_db),
            kind: r.text(3)?,
            summary: r.text(4)?,
            detail: serde_json::from_str(&r.text(5)?)
                .map_err(|e| StoreError::backend("detail", e))?,
            created_at: r.int(6)?,
        })
    }
}

impl<E: Exec> Tenant<E> {
    pub async fn take_message(
        &mut self,
        customer: Option<&CustomerId>,
        conversation: Option<&ConversationId>,
        name: Option<&str>,
        phone: Option<&frontdesk_engine::PhoneE164>,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO caller_messages (id, business_id, customer_id, conversation_id, name, phone, text, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8)",
                &params![&id, &self.business, customer.map(|c| c.as_str()), conversation.map(|c| c.as_str()), name, phone.map(|p| p.as_str()), text, now],
            )
            .await?;
        Ok(id.to_string())
    }

    /// Keeps a voicemail's recording with its message.
    pub async fn set_message_recording(&mut self, id: &str, recording_sid: &str) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE caller_messages SET recording_sid = $3 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, recording_sid],
            )
            .await?;
        Ok(())
    }

    /// Whether a recording is this business's: a call's or a voicemail's.
    pub async fn has_recording(&mut self, recording_sid: &str) -> Result<bool> {
        let n: i64 = self
            .exec
            .fetch_one(
                I,
                "SELECT (SELECT COUNT(*) FROM calls WHERE business_id = $1 AND recording_sid = $2)
                      + (SELECT COUNT(*) FROM caller_messages WHERE business_id = $1 AND recording_sid = $2)",
                &params![&self.business, recording_sid],
            )
            .await?;
        Ok(n > 0)
    }

    /// How many messages were taken since `since`.
    pub async fn messages_taken_since(&mut self, since: i64) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM caller_messages WHERE business_id = $1 AND created_at >= $2",
                &params![&self.business, since],
            )
            .await
    }

    /// Marks a message dealt with (or new again); false when there is no such message.
    pub async fn set_message_status(
        &mut self,
        id: &RecordId,
        status: MessageStatus,
    ) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE caller_messages SET status = $3 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, status],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn caller_messages(&mut self, limit: u32) -> Result<Vec<CallerMessage>> {
        self.caller_messages_before(None, limit).await
    }

    /// Messages newest first, older than the cursor (an id) when given.
    pub async fn caller_messages_before(
        &mut self,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CallerMessage>> {
        self.exec
            .fetch_all(I, "SELECT id, customer_id, conversation_id, name, phone, text, status, created_at, recording_sid FROM caller_messages
                 WHERE business_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
                &params![&self.business, before.unwrap_or(""), limit],
            )
            .await
    }

    pub async fn record_unanswered(
        &mut self,
        conversation: Option<&ConversationId>,
        question: &str,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO unanswered_questions (id, business_id, conversation_id, question, status, created_at) VALUES ($1, $2, $3, $4, 'open', $5)",
                &params![&RecordId::new(), &self.business, conversation.map(|c| c.as_str()), question, now],
            )
            .await?;
        Ok(())
    }

    /// One unanswered question.
    pub async fn unanswered_question(&mut self, id: &RecordId) -> Result<UnansweredQuestion> {
        self.exec
            .fetch_one(
                I,
                "SELECT id, conversation_id, question, status, created_at FROM unanswered_questions WHERE business_id = $1 AND id = $2",
                &params![&self.business, id],
            )
            .await
    }

    /// Marks a question answered or dismissed; false when it was not open.
    pub async fn close_question(&mut self, id: &RecordId, status: QuestionStatus) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE unanswered_questions SET status = $3 WHERE business_id = $1 AND id = $2 AND status = 'open'",
                &params![&self.business, id, status],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn unanswered_questions(&mut self, limit: u32) -> Result<Vec<UnansweredQuestion>> {
        self.unanswered_before(None, limit).await
    }

    /// Unanswered questions newest first, older than the cursor (an id) when given.
    pub async fn unanswered_before(
        &mut self,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<UnansweredQuestion>> {
        self.exec
            .fetch_all(
                I,
                "SELECT id, conversation_id, question, status, created_at FROM unanswered_questions
                 WHERE business_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
                &params![&self.business, before.unwrap_or(""), limit],
            )
            .await
    }

    pub async fn add_activity(
        &mut self,
        customer: Option<&CustomerId>,
        conversation: Option<&ConversationId>,
        kind: &str,
        summary: &str,
        detail: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO activities (id, business_id, customer_id, conversation_id, kind, summary, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &params![&RecordId::new(), &self.business, customer.map(|c| c.as_str()), conversation.map(|c| c.as_str()), kind, summary, detail.to_string(), now],
            )
            .await?;
        Ok(())
    }

    /// A customer's timeline, newest first.
    pub async fn timeline(&mut self, customer: &CustomerId, limit: u32) -> Result<Vec<Activity>> {
        self.exec
            .fetch_all(I, "SELECT id, customer_id, conversation_id, kind, summary, detail, created_at FROM activities WHERE business_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT $3",
                &params![&self.business, customer, limit],
            )
            .await
    }

    /// Serialises writers to this business until the transaction ends (a row lock on
    /// PostgreSQL; SQLite's single writer already does), so availability checks hold.
    pub async fn lock_business(&mut self) -> Result<()> {
        if self.exec.is_postgres() {
            self.exec
                .execute(
                    I,
                    "SELECT 1 FROM businesses WHERE id = $1 FOR UPDATE",
                    &params![&self.business],
                )
                .await?;
        }
        Ok(())
    }
}
