//! Text messages (SMS and WhatsApp) both ways, their delivery state, and the addresses that
//! opted out.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::{ConversationStatus, Direction, TextStatus};
use crate::{ConversationId, RecordId, Result, StoreError, Tenant, params};
use frontdesk_engine::agent::Channel;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextMessage {
    pub id: RecordId,
    pub conversation_id: Option<ConversationId>,
    /// `sms` or `whatsapp`.
    pub channel: Channel,
    /// `inbound` or `outbound`.
    pub direction: Direction,
    /// Why it was sent or what it was: `turn`, `reply`, `help`, `opt_out`, `opt_in`,
    /// `confirmation`, …
    pub purpose: String,
    /// The provider's message id (an outbound message has one once the provider accepted it).
    pub sid: Option<String>,
    pub from_address: String,
    pub to_address: String,
    pub body: String,
    pub segments: i64,
    /// Inbound: `received`, `handled`, `ignored`. Outbound: `pending`, then the provider's
    /// `queued`, `sending`, `sent`, `delivered`, `read`, `undelivered` or `failed`.
    pub status: TextStatus,
    pub error_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, conversation_id, channel, direction, purpose, sid, from_address, to_address, body, segments, status, error_code, created_at, updated_at";

impl FromRow for TextMessage {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            conversation_id: r.opt_text(1)?.map(ConversationId::from_db),
            channel: crate::states::read(r, 2)?,
            direction: crate::states::read(r, 3)?,
            purpose: r.text(4)?,
            sid: r.opt_text(5)?,
            from_address: r.text(6)?,
            to_address: r.text(7)?,
            body: r.text(8)?,
            segments: r.int(9)?,
            status: crate::states::read(r, 10)?,
            error_code: r.opt_text(11)?,
            created_at: r.int(12)?,
            updated_at: r.int(13)?,
        })
    }
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewText<'a> {
    pub conversation: Option<&'a ConversationId>,
    pub channel: Channel,
    pub direction: Direction,
    pub purpose: &'a str,
    pub sid: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub segments: i64,
    pub status: TextStatus,
}

impl<E: Exec> Tenant<E> {
    /// Stores a message; an inbound one whose sid was seen before returns `None` (a retried
    /// webhook).
    pub async fn add_text(&mut self, m: &NewText<'_>, now: i64) -> Result<Option<TextMessage>> {
        let id = RecordId::new();
        let n = self
            .exec
            .execute(
                I,
                "INSERT INTO text_messages (id, business_id, conversation_id, channel, direction, purpose, sid, from_address, to_address, body, segments, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (sid) DO NOTHING",
                &params![&id, &self.business, m.conversation, m.channel, m.direction, m.purpose, m.sid, m.from, m.to, m.body, m.segments, m.status, now],
            )
            .await?;
        if n == 0 {
            return Ok(None);
        }
        self.text(&id).await.map(Some)
    }

    pub async fn text(&mut self, id: &RecordId) -> Result<TextMessage> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM text_messages WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// Messages, newest first, optionally of one conversation.
    pub async fn texts(
        &mut self,
        conversation: Option<&str>,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<TextMessage>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM text_messages WHERE business_id = $1
                       AND ($2 = '' OR conversation_id = $2) AND ($3 = '' OR id < $3)
                     ORDER BY id DESC LIMIT $4"
                ),
                &params![
                    &self.business,
                    conversation.unwrap_or(""),
                    before.unwrap_or(""),
                    limit
                ],
            )
            .await
    }

    /// Sets what became of an inbound message, or an outbound one before the provider has it.
    pub async fn set_text_status(
        &mut self,
        id: &RecordId,
        status: TextStatus,
        conversation: Option<&ConversationId>,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE text_messages SET status = $3, conversation_id = COALESCE($4, conversation_id), updated_at = $5
                 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, status, conversation, now],
            )
            .await?;
        Ok(())
    }

    /// The provider accepted an outbound message (or refused it for good, with an error code).
    pub async fn text_sent(
        &mut self,
        id: &RecordId,
        sid: Option<&str>,
        status: TextStatus,
        error_code: Option<&str>,
        now: i64,
    ) -> Result<()> {
        if status == TextStatus::Failed {
            // Refused by the provider after it was counted in flight: it does not count.
            self.exec
                .execute(
                    I,
                    "UPDATE send_tallies SET segments = segments - COALESCE((SELECT segments FROM text_messages
                        WHERE business_id = $1 AND id = $2 AND status = 'sending'), 0)
                      WHERE business_id = $1 AND hour = (SELECT updated_at / 3600000 FROM text_messages
                        WHERE business_id = $1 AND id = $2 AND status = 'sending')",
                    &params![&self.business, id],
                )
                .await?;
        }
        self.exec
            .execute(
                I,
                "UPDATE text_messages SET sid = COALESCE($3, sid), status = $4, error_code = $5, updated_at = $6
                 WHERE business_id = $1 AND id = $2",
                &params![&self.business, id, sid, status, error_code, now],
            )
            .await?;
        Ok(())
    }

    /// Applies a delivery status callback; returns the message, or `NotFound` for a sid we
    /// never sent.
    pub async fn text_status_by_sid(
        &mut self,
        sid: &str,
        status: TextStatus,
        error_code: Option<&str>,
        now: i64,
    ) -> Result<TextMessage> {
        let cur: TextMessage = self
            .exec
            .fetch_optional(
                I,
                &format!("SELECT {COLS} FROM text_messages WHERE business_id = $1 AND sid = $2"),
                &params![&self.business, sid],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        if status.delivery_rank() < cur.status.delivery_rank() {
            return Ok(cur);
        }
        self.exec
            .execute(
                I,
                "UPDATE text_messages SET status = $3, error_code = COALESCE($4, error_code), updated_at = $5
                 WHERE business_id = $1 AND id = $2",
                &params![&self.business, &cur.id, status, error_code, now],
            )
            .await?;
        self.text(&cur.id).await
    }

    /// The latest conversation on `channel` with `address`, whatever its status.
    pub async fn latest_conversation(
        &mut self,
        channel: Channel,
        address: &str,
    ) -> Result<Option<(ConversationId, ConversationStatus)>> {
        struct Found(ConversationId, ConversationStatus);
        impl FromRow for Found {
            fn from_row(r: &dyn Row) -> Result<Self> {
                Ok(Self(
                    ConversationId::from_db(r.text(0)?),
                    crate::states::read(r, 1)?,
                ))
            }
        }
        Ok(self
            .exec
            .fetch_optional::<Found>(
                I,
                "SELECT id, status FROM conversations WHERE business_id = $1 AND channel = $2 AND address = $3
                 ORDER BY id DESC LIMIT 1",
                &params![&self.business, channel.as_str(), address],
            )
            .await?
            .map(|f| (f.0, f.1)))
    }

    pub async fn opt_out(&mut self, address: &str, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO opt_outs (business_id, address, created_at) VALUES ($1, $2, $3) ON CONFLICT (business_id, address) DO NOTHING",
                &params![&self.business, address, now],
            )
            .await?;
        Ok(())
    }

    pub async fn opt_in(&mut self, address: &str) -> Result<()> {
        self.exec
            .execute(
                I,
                "DELETE FROM opt_outs WHERE business_id = $1 AND address = $2",
                &params![&self.business, address],
            )
            .await?;
        Ok(())
    }

    pub async fn is_opted_out(&mut self, address: &str) -> Result<bool> {
        let n: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT 1 FROM opt_outs WHERE business_id = $1 AND address = $2",
                &params![&self.business, address],
            )
            .await?;
        Ok(n.is_some())
    }

    /// Segments of outbound messages to `address` created since `since` that went, or are
    /// going, to the provider (not those still waiting their turn, refused or cancelled).
    pub async fn segments_sent_to(&mut self, address: &str, since: i64) -> Result<i64> {
        let n: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT CAST(COALESCE(SUM(segments), 0) AS BIGINT) FROM text_messages
                  WHERE business_id = $1 AND to_address = $2 AND created_at >= $3
                    AND direction = 'outbound' AND status NOT IN ('pending', 'failed', 'canceled')",
                &params![&self.business, address, since],
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// When the latest text or e-mail queued for `purpose` was, if any.
    pub async fn last_notice_at(&mut self, purpose: &str) -> Result<Option<i64>> {
        let at: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT CAST(COALESCE(MAX(at), 0) AS BIGINT) FROM (
                   SELECT MAX(created_at) AS at FROM text_messages WHERE business_id = $1 AND purpose = $2
                   UNION ALL
                   SELECT MAX(created_at) AS at FROM emails WHERE business_id = $1 AND purpose = $2
                 ) AS notices",
                &params![&self.business, purpose],
            )
            .await?;
        Ok(at.filter(|&t| t > 0))
    }

    /// Marks an outbound message in flight: about to be handed to the provider, with the
    /// outcome not yet known. False when it was not waiting to be sent.
    /// Its segments are tallied to the business's hour (see [`Self::segments_sent_since`]).
    pub async fn text_in_flight(&mut self, id: &RecordId, now: i64) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE text_messages SET status = 'sending', updated_at = $3
                  WHERE business_id = $1 AND id = $2 AND status = 'pending'",
                &params![&self.business, id, now],
            )
            .await?;
        if n == 1 {
            self.exec
                .execute(
                    I,
                    "INSERT INTO send_tallies (business_id, hour, segments)
                     SELECT business_id, CAST($3 AS BIGINT) / 3600000, segments FROM text_messages
                      WHERE business_id = $1 AND id = $2
                     ON CONFLICT (business_id, hour) DO UPDATE SET segments = send_tallies.segments + excluded.segments",
                    &params![&self.business, id, now],
                )
                .await?;
        }
        Ok(n == 1)
    }

    /// Whether an older outbound message to `address`, queued since `since`, is still waiting
    /// to be sent or in flight: a later one waits for it, so a conversation keeps its order.
    pub async fn earlier_unsent_to(
        &mut self,
        address: &str,
        id: &RecordId,
        since: i64,
    ) -> Result<bool> {
        let n: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT 1 FROM text_messages
                  WHERE business_id = $1 AND to_address = $2 AND created_at >= $3 AND id < $4
                    AND direction = 'outbound'
                    AND (status = 'pending' OR (status = 'sending' AND sid IS NULL))
                  LIMIT 1",
                &params![&self.business, address, since, id],
            )
            .await?;
        Ok(n.is_some())
    }

    /// A status report for a message whose sid we never learnt (the attempt that sent it died
    /// before recording it) names the message by our id: record the sid and state then.
    pub async fn text_reported(
        &mut self,
        id: &RecordId,
        sid: &str,
        status: TextStatus,
        error_code: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE text_messages SET sid = $3, status = $4, error_code = $5, updated_at = $6
                  WHERE business_id = $1 AND id = $2 AND sid IS NULL AND direction = 'outbound'",
                &params![&self.business, id, sid, status, error_code, now],
            )
            .await?;
        Ok(n == 1)
    }

    /// Notes on an outbound message that the provider could not be reached and it will be tried
    /// again (its state stays what it was): the owner sees why it has not gone yet.
    pub async fn text_held(&mut self, id: &RecordId, reason: &str) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE text_messages SET error_code = $3 WHERE business_id = $1 AND id = $2 AND sid IS NULL",
                &params![&self.business, id, reason],
            )
            .await?;
        Ok(())
    }

    /// What the business has spent: the segments handed to the provider (marked in flight) in
    /// whole hours from the one holding `since` (so up to an hour more than asked, never
    /// less), less those the provider refused. Read from per-hour tallies, so it costs the
    /// same however many texts the business sends.
    pub async fn segments_sent_since(&mut self, since: i64) -> Result<i64> {
        let n: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT CAST(COALESCE(SUM(segments), 0) AS BIGINT) FROM send_tallies
                  WHERE business_id = $1 AND hour >= CAST($2 AS BIGINT) / 3600000",
                &params![&self.business, since],
            )
            .await?;
        Ok(n.unwrap_or(0))
    }
}
