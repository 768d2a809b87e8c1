//! Conversations on any channel, with every message in order: what the caller said (with the
//! intent, confidence and entities understood) and what the agent replied (with its actions).

use serde::Serialize;

use frontdesk_engine::agent::Channel;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::{self, ConversationStatus, MessageRole};
use crate::{ConversationId, CustomerId, RecordId, Result, StoreError, Tenant, UserId, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub channel: Channel,
    pub customer_id: Option<CustomerId>,
    /// The caller's number or messaging address, when known.
    pub address: Option<String>,
    pub status: ConversationStatus,
    pub turns: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The member replying by hand (take-over): the agent is silent on the thread until it is
    /// handed back.
    pub held_by: Option<UserId>,
}

const COLS: &str =
    "id, channel, customer_id, address, status, turns, created_at, updated_at, held_by";

impl FromRow for Conversation {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: ConversationId::from_db(r.text(0)?),
            channel: states::read(r, 1)?,
            customer_id: r.opt_text(2)?.map(CustomerId::from_db),
            address: r.opt_text(3)?,
            status: states::read(r, 4)?,
            turns: r.int(5)?,
            created_at: r.int(6)?,
            updated_at: r.int(7)?,
            held_by: r.opt_text(8)?.map(UserId::from_db),
        })
    }
}

/// One message of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: RecordId,
    pub role: MessageRole,
    pub text: String,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    pub entities: Option<serde_json::Value>,
    pub actions: Option<serde_json::Value>,
    pub source: Option<serde_json::Value>,
    /// The language model that read this turn or phrased this reply (LLM mode).
    pub model: Option<String>,
    pub created_at: i64,
    /// The member who wrote this reply by hand (take-over); none for the agent and the caller.
    pub author_id: Option<UserId>,
}

/// A transcript's columns, in [`Message`]'s order.
const MESSAGE_COLS: &str =
    "id, role, text, intent, confidence, entities, actions, source, model, created_at, author_id";

fn json_col(r: &dyn Row, i: usize) -> Result<Option<serde_json::Value>> {
    r.opt_text(i)?
        .map(|s| {
            serde_json::from_str(&s).map_err(|e| StoreError::backend(format!("column {i}"), e))
        })
        .transpose()
}

impl FromRow for Message {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            role: states::read(r, 1)?,
            text: r.text(2)?,
            intent: r.opt_text(3)?,
            // NULL for the agent's own messages.
            confidence: r.float(4).ok(),
            entities: json_col(r, 5)?,
            actions: json_col(r, 6)?,
            source: json_col(r, 7)?,
            model: r.opt_text(8)?,
            created_at: r.int(9)?,
            author_id: r.opt_text(10)?.map(UserId::from_db),
        })
    }
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub role: MessageRole,
    pub text: &'a str,
    pub intent: Option<&'a str>,
    pub confidence: Option<f64>,
    pub entities: Option<String>,
    pub actions: Option<String>,
    pub source: Option<String>,
    pub model: Option<&'a str>,
    /// The provider's id of the input this message answers, unique per business.
    pub external_id: Option<&'a str>,
    /// The member who wrote it by hand.
    pub author: Option<&'a UserId>,
}

/// Which conversations to list.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub channel: Option<Channel>,
    pub status: Option<ConversationStatus>,
    pub customer_id: Option<CustomerId>,
    /// Started at or after, and before (epoch ms).
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// Words said in it (by anyone), any case.
    pub text: Option<String>,
    /// How its call ended (`booked`, `transferred`, `emergency`, …).
    pub outcome: Option<String>,
    /// Part of the caller's number or messaging address.
    pub address: Option<String>,
    /// Keyset cursor: list conversations older than this id (newest first).
    pub before: Option<String>,
    pub limit: u32,
}

impl<'a> NewMessage<'a> {
    /// What `role` said, with nothing else known about it.
    pub fn new(role: MessageRole, text: &'a str) -> Self {
        Self {
            role,
            text,
            intent: None,
            confidence: None,
            entities: None,
            actions: None,
            source: None,
            model: None,
            external_id: None,
            author: None,
        }
    }
}

impl<E: Exec> Tenant<E> {
    pub async fn create_conversation(
        &mut self,
        channel: Channel,
        address: Option<&str>,
        customer: Option<&CustomerId>,
        state: &str,
        now: i64,
    ) -> Result<Conversation> {
        self.exec
            .fetch_one(I, &format!(
                    "INSERT INTO conversations (id, business_id, channel, customer_id, address, status, state, turns, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'open', $6, 0, $7, $7) RETURNING {COLS}"
                ),
                &params![&ConversationId::new(), &self.business, channel.as_str(), customer.map(|c| c.as_str()), address, state, now],
            )
            .await
    }

    pub async fn conversation(&mut self, id: &ConversationId) -> Result<Conversation> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM conversations WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// The conversation and its dialogue state (JSON).
    pub async fn conversation_state(
        &mut self,
        id: &ConversationId,
    ) -> Result<(Conversation, String)> {
        // One read on the hot path: the conversation's columns and its state together.
        struct WithState(Conversation, String);
        impl FromRow for WithState {
            fn from_row(r: &dyn Row) -> Result<Self> {
                Ok(Self(Conversation::from_row(r)?, r.text(9)?))
            }
        }
        let WithState(c, s) = self
            .exec
            .fetch_one(
                I,
                &format!(
                    "SELECT {COLS}, state FROM conversations WHERE business_id = $1 AND id = $2"
                ),
                &params![&self.business, id],
            )
            .await?;
        Ok((c, s))
    }

    /// Saves the state after a turn.
    pub async fn update_conversation(
        &mut self,
        id: &ConversationId,
        state: &str,
        status: ConversationStatus,
        customer: Option<&CustomerId>,
        now: i64,
    ) -> Result<()> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE conversations SET state = $3, status = $4, customer_id = COALESCE($5, customer_id),
                     turns = turns + 1, updated_at = $6
                 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, state, status, customer.map(|c| c.as_str()), now],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    pub async fn add_message(
        &mut self,
        conv: &ConversationId,
        m: &NewMessage<'_>,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO conversation_messages (id, conversation_id, business_id, role, text, intent, confidence, entities, actions, source, model, external_id, author_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &params![&RecordId::new(), conv, &self.business, m.role, m.text, m.intent, m.confidence, &m.entities, &m.actions, &m.source, m.model, m.external_id, m.author.map(|a| a.as_str()), now],
            )
            .await?;
        Ok(())
    }

    /// The reply to the caller's message with this external id, when that input was already
    /// taken: the conversation it belongs to and the agent's message that followed it (never a
    /// person's: a held thread's input has no reply of the agent's).
    pub async fn answered(
        &mut self,
        external_id: &str,
    ) -> Result<Option<(ConversationId, Option<Message>)>> {
        let conv: Option<String> = self
            .exec
            .fetch_optional(
                I,
                "SELECT conversation_id FROM conversation_messages WHERE business_id = $1 AND external_id = $2",
                &params![&self.business, external_id],
            )
            .await?;
        let Some(conv) = conv else {
            return Ok(None);
        };
        let reply = self
            .exec
            .fetch_optional(
                I,
                "SELECT a.id, a.role, a.text, a.intent, a.confidence, a.entities, a.actions, a.source, a.model, a.created_at, a.author_id
                 FROM conversation_messages a
                 JOIN conversation_messages c ON c.business_id = a.business_id AND c.conversation_id = a.conversation_id
                 WHERE c.business_id = $1 AND c.external_id = $2 AND a.role = 'agent' AND a.id > c.id
                 ORDER BY a.id LIMIT 1",
                &params![&self.business, external_id],
            )
            .await?;
        Ok(Some((ConversationId::from_db(conv), reply)))
    }

    /// Ends a conversation that is still open (the caller hung up); returns whether it was.
    pub async fn end_conversation(&mut self, id: &ConversationId, now: i64) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE conversations SET status = 'ended', updated_at = $3 WHERE business_id = $1 AND id = $2 AND status = 'open'",
                &params![&self.business, id, now],
            )
            .await?;
        Ok(n == 1)
    }

    /// The caller spoke over the agent: its last reply is kept as far as they heard it.
    pub async fn cut_last_reply(&mut self, id: &ConversationId, heard: &str) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE conversation_messages SET text = $3 WHERE id = (
                     SELECT id FROM conversation_messages WHERE business_id = $1 AND conversation_id = $2 AND role = 'agent'
                     ORDER BY id DESC LIMIT 1)",
                &params![&self.business, id, format!("{} [interrupted]", heard.trim())],
            )
            .await?;
        Ok(())
    }

    /// Opens a finished conversation again with a fresh dialogue state: a customer who texts
    /// again tomorrow continues the same thread.
    pub async fn reopen_conversation(
        &mut self,
        id: &ConversationId,
        state: &str,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE conversations SET status = 'open', state = $3, updated_at = $4 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, state, now],
            )
            .await?;
        Ok(())
    }

    pub async fn transcript(&mut self, conv: &ConversationId) -> Result<Vec<Message>> {
        self.exec
            .fetch_all(
                I,
                &format!("SELECT {MESSAGE_COLS} FROM conversation_messages WHERE business_id = $1 AND conversation_id = $2 ORDER BY id"),
                &params![&self.business, conv],
            )
            .await
    }

    /// A member takes the thread over (the agent stays silent on it); returns whether it was
    /// free (or already theirs). A thread someone else holds stays theirs.
    pub async fn hold_conversation(
        &mut self,
        id: &ConversationId,
        by: &UserId,
        now: i64,
    ) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE conversations SET held_by = $3, held_at = $4, updated_at = $4
                 WHERE business_id = $1 AND id = $2 AND (held_by IS NULL OR held_by = $3)",
                &params![&self.business, id, by, now],
            )
            .await?;
        Ok(n == 1)
    }

    /// Hands a held thread back to the agent; returns whether it was held.
    pub async fn release_conversation(&mut self, id: &ConversationId, now: i64) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE conversations SET held_by = NULL, held_at = NULL, updated_at = $3
                 WHERE business_id = $1 AND id = $2 AND held_by IS NOT NULL",
                &params![&self.business, id, now],
            )
            .await?;
        Ok(n == 1)
    }

    /// Counts a turn on a held thread (the caller's message stored, the state untouched).
    pub async fn count_held_turn(&mut self, id: &ConversationId, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE conversations SET turns = turns + 1, updated_at = $3 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, now],
            )
            .await?;
        Ok(())
    }

    /// Conversations, newest first.
    pub async fn conversations(&mut self, f: &ConversationFilter) -> Result<Vec<Conversation>> {
        let mut sql = format!("SELECT {COLS} FROM conversations WHERE business_id = $1");
        let mut args = vec![crate::Value::from(&self.business)];
        for (col, v) in [
            ("channel", f.channel.map(Channel::as_str)),
            ("status", f.status.map(ConversationStatus::as_str)),
            (
                "customer_id",
                f.customer_id.as_ref().map(CustomerId::as_str),
            ),
        ] {
            if let Some(v) = v {
                args.push(v.into());
                sql.push_str(&format!(" AND {col} = ${}", args.len()));
            }
        }
        if let Some(b) = &f.before {
            args.push(b.into());
            sql.push_str(&format!(" AND id < ${}", args.len()));
        }
        if let Some(t) = f.from {
            args.push(t.into());
            sql.push_str(&format!(" AND created_at >= ${}", args.len()));
        }
        if let Some(t) = f.until {
            args.push(t.into());
            sql.push_str(&format!(" AND created_at < ${}", args.len()));
        }
        if let Some(a) = f.address.as_deref().filter(|a| !a.is_empty()) {
            args.push(crate::customers::like_pattern(a).into());
            sql.push_str(&format!(
                " AND lower(address) LIKE ${} ESCAPE '\\'",
                args.len()
            ));
        }
        if let Some(o) = f.outcome.as_deref().filter(|o| !o.is_empty()) {
            args.push(o.into());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM calls k WHERE k.business_id = conversations.business_id AND k.conversation_id = conversations.id AND k.outcome = ${})",
                args.len()
            ));
        }
        if let Some(t) = f.text.as_deref().filter(|t| !t.is_empty()) {
            args.push(crate::customers::like_pattern(t).into());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM conversation_messages m WHERE m.business_id = conversations.business_id AND m.conversation_id = conversations.id AND lower(m.text) LIKE ${} ESCAPE '\\')",
                args.len()
            ));
        }
        args.push(f.limit.into());
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
        self.exec.fetch_all(I, &sql, &args).await
    }
}
