//! Phone calls: one row per call, from the first webhook to the last status callback, with what
//! came of it (the outcome), what it cost and where its recording is. The words of a call are the
//! transcript of its conversation.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::CallStatus;
use crate::{ConversationId, RecordId, Result, StoreError, Tenant, params};
use frontdesk_engine::agent::CallOutcome;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    pub id: RecordId,
    pub conversation_id: Option<ConversationId>,
    /// Twilio's id of the call.
    pub call_sid: String,
    pub from_number: String,
    pub to_number: String,
    pub direction: String,
    /// How the call is handled: `gather`, `conversation_relay` or `media_streams`; `over_budget`:
    /// refused by the daily call budget with a short apology.
    pub mode: String,
    /// Twilio's call status: `ringing`, `in-progress`, `completed`, `busy`, `failed`, …
    pub status: CallStatus,
    /// What came of it: `booked`, `reserved`, `ordered`, `message`, `voicemail`,
    /// `transferred`, `emergency`, `answered` (questions only) or `abandoned`.
    pub outcome: Option<CallOutcome>,
    /// How the transfer to a person went (Twilio's `DialCallStatus`), when there was one.
    pub transfer_status: Option<String>,
    pub duration_secs: Option<i64>,
    /// Twilio's price for the call, as it reports it (negative: a charge).
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub recording_sid: Option<String>,
    pub recording_url: Option<String>,
    pub recording_duration_secs: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub updated_at: i64,
}

const COLS: &str = "id, conversation_id, call_sid, from_number, to_number, direction, mode, status, outcome, transfer_status, duration_secs, price, price_unit, recording_sid, recording_url, recording_duration_secs, started_at, ended_at, updated_at";

impl FromRow for Call {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            conversation_id: r.opt_text(1)?.map(ConversationId::from_db),
            call_sid: r.text(2)?,
            from_number: r.text(3)?,
            to_number: r.text(4)?,
            direction: r.text(5)?,
            mode: r.text(6)?,
            status: crate::states::read(r, 7)?,
            outcome: crate::states::read_opt(r, 8)?,
            transfer_status: r.opt_text(9)?,
            duration_secs: r.opt_int(10)?,
            price: r.opt_text(11)?,
            price_unit: r.opt_text(12)?,
            recording_sid: r.opt_text(13)?,
            recording_url: r.opt_text(14)?,
            recording_duration_secs: r.opt_int(15)?,
            started_at: r.int(16)?,
            ended_at: r.opt_int(17)?,
            updated_at: r.int(18)?,
        })
    }
}

/// A call as its first webhook announces it.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub call_sid: &'a str,
    pub conversation: Option<&'a ConversationId>,
    pub from: &'a str,
    pub to: &'a str,
    pub direction: &'a str,
    pub mode: &'a str,
    pub status: CallStatus,
}

/// How strongly an outcome describes a call: a call that booked and then asked a question
/// was a booking.
fn outcome_rank(o: CallOutcome) -> i64 {
    match o {
        CallOutcome::Emergency => 9,
        CallOutcome::Booked | CallOutcome::Reserved | CallOutcome::Ordered => 8,
        CallOutcome::Transferred => 7,
        CallOutcome::Voicemail | CallOutcome::Message => 6,
        CallOutcome::Answered => 2,
        CallOutcome::Abandoned => 1,
    }
}

/// [`outcome_rank`] in SQL, of the `outcome` column (callers check for NULL first).
const OUTCOME_RANK_SQL: &str = "CASE outcome WHEN 'emergency' THEN 9 WHEN 'booked' THEN 8 WHEN 'reserved' THEN 8 WHEN 'ordered' THEN 8
     WHEN 'transferred' THEN 7 WHEN 'voicemail' THEN 6 WHEN 'message' THEN 6 WHEN 'answered' THEN 2
     ELSE 1 END";

impl<E: Exec> Tenant<E> {
    /// Records a call; a call already recorded (a retried webhook) is returned as it is, with
    /// `false`.
    pub async fn create_call(&mut self, c: &NewCall<'_>, now: i64) -> Result<(Call, bool)> {
        let n = self
            .exec
            .execute(
                I,
                "INSERT INTO calls (id, business_id, conversation_id, call_sid, from_number, to_number, direction, mode, status, started_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (call_sid) DO NOTHING",
                &params![&RecordId::new(), &self.business, c.conversation, c.call_sid, c.from, c.to, c.direction, c.mode, c.status, now],
            )
            .await?;
        Ok((self.call_by_sid(c.call_sid).await?, n == 1))
    }

    pub async fn call_by_sid(&mut self, sid: &str) -> Result<Call> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM calls WHERE business_id = $1 AND call_sid = $2"),
                &params![&self.business, sid],
            )
            .await
    }

    /// The call a conversation was held on, if it was a call.
    pub async fn call_of_conversation(&mut self, conv: &ConversationId) -> Result<Option<Call>> {
        self.exec
            .fetch_optional(
                I,
                &format!(
                    "SELECT {COLS} FROM calls WHERE business_id = $1 AND conversation_id = $2 LIMIT 1"
                ),
                &params![&self.business, conv],
            )
            .await
    }

    pub async fn call(&mut self, id: &RecordId) -> Result<Call> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM calls WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// Seconds of calls started since `since`: each finished call's duration, and for a call
    /// still going, the time so far (at most four hours, Twilio's longest call, so a call whose
    /// last status never came does not count for ever).
    pub async fn call_seconds_since(&mut self, since: i64, now: i64) -> Result<i64> {
        let n: Option<i64> = self
            .exec
            .fetch_optional(
                I,
                "SELECT CAST(COALESCE(SUM(CASE
                   WHEN duration_secs IS NOT NULL THEN duration_secs
                   WHEN ended_at IS NOT NULL THEN (ended_at - started_at) / 1000
                   WHEN status IN ('queued', 'initiated', 'ringing', 'in-progress') THEN
                     CASE WHEN $3 - started_at > 14400000 THEN 14400 ELSE ($3 - started_at) / 1000 END
                   ELSE 0 END), 0) AS BIGINT)
                 FROM calls WHERE business_id = $1 AND started_at >= $2",
                &params![&self.business, since, now],
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// Calls, newest first, older than the cursor `before` (an id) when given.
    pub async fn calls(&mut self, before: Option<&str>, limit: u32) -> Result<Vec<Call>> {
        self.exec
            .fetch_all(
                I,
                &format!(
                    "SELECT {COLS} FROM calls WHERE business_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3"
                ),
                &params![&self.business, before.unwrap_or(""), limit],
            )
            .await
    }

    /// Raises the call's outcome to `outcome` unless it already has a stronger one.
    pub async fn set_call_outcome(
        &mut self,
        sid: &str,
        outcome: CallOutcome,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                &format!(
                    "UPDATE calls SET outcome = $3, updated_at = $5
                     WHERE business_id = $1 AND call_sid = $2 AND (outcome IS NULL OR {OUTCOME_RANK_SQL} < $4)"
                ),
                &params![&self.business, sid, outcome.as_str(), outcome_rank(outcome), now],
            )
            .await?;
        Ok(())
    }

    /// The caller took a turn: the run of silences is over and the outcome rises to `outcome`
    /// unless the call already has a stronger one. One statement, in the turn's transaction.
    pub async fn call_turn_taken(
        &mut self,
        sid: &str,
        outcome: CallOutcome,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                &format!(
                    "UPDATE calls SET silences = 0, updated_at = $5,
                         outcome = CASE WHEN outcome IS NULL OR {OUTCOME_RANK_SQL} < $4 THEN $3 ELSE outcome END
                     WHERE business_id = $1 AND call_sid = $2"
                ),
                &params![&self.business, sid, outcome.as_str(), outcome_rank(outcome), now],
            )
            .await?;
        Ok(())
    }

    /// Counts one more silence in a row and returns how many there have been.
    pub async fn count_silence(&mut self, sid: &str, now: i64) -> Result<i64> {
        self.exec
            .fetch_optional(
                I,
                "UPDATE calls SET silences = silences + 1, updated_at = $3 WHERE business_id = $1 AND call_sid = $2 RETURNING silences",
                &params![&self.business, sid, now],
            )
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Applies a status callback. A final status also sets the duration and the end time; a
    /// status that arrives after a final one (callbacks can overtake each other) changes nothing.
    pub async fn update_call_status(
        &mut self,
        sid: &str,
        status: CallStatus,
        duration_secs: Option<i64>,
        now: i64,
    ) -> Result<Call> {
        let cur = self.call_by_sid(sid).await?;
        if cur.status.is_final() && !status.is_final() {
            return Ok(cur);
        }
        let ended = status.is_final().then_some(now);
        self.exec
            .execute(
                I,
                "UPDATE calls SET status = $3, duration_secs = COALESCE($4, duration_secs),
                     ended_at = COALESCE(ended_at, $5), updated_at = $6
                 WHERE business_id = $1 AND call_sid = $2",
                &params![&self.business, sid, status, duration_secs, ended, now],
            )
            .await?;
        self.call_by_sid(sid).await
    }

    pub async fn set_call_transfer(&mut self, sid: &str, status: &str, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE calls SET transfer_status = $3, updated_at = $4 WHERE business_id = $1 AND call_sid = $2",
                &params![&self.business, sid, status, now],
            )
            .await?;
        Ok(())
    }

    pub async fn set_call_recording(
        &mut self,
        sid: &str,
        recording_sid: &str,
        url: &str,
        duration_secs: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE calls SET recording_sid = $3, recording_url = $4, recording_duration_secs = $5, updated_at = $6
                 WHERE business_id = $1 AND call_sid = $2",
                &params![&self.business, sid, recording_sid, url, duration_secs, now],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_call_price(
        &mut self,
        sid: &str,
        price: &str,
        unit: Option<&str>,
        duration_secs: Option<i64>,
        now: i64,
    ) -> Result<()> {
        self.exec
            .execute(
                I,
                "UPDATE calls SET price = $3, price_unit = $4, duration_secs = COALESCE($5, duration_secs), updated_at = $6
                 WHERE business_id = $1 AND call_sid = $2",
                &params![&self.business, sid, price, unit, duration_secs, now],
            )
            .await?;
        Ok(())
    }
}
