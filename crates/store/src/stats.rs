//! What a business did in a span of time, counted for the dashboard's home page.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{Result, Tenant, params};

/// Counts of one span of time, from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub calls: i64,
    /// SMS and WhatsApp conversations started.
    pub texts: i64,
    pub web_chats: i64,
    /// Appointments booked.
    pub bookings: i64,
    pub reservations: i64,
    pub orders: i64,
    /// The total of the orders placed, less cancelled ones, in cents.
    pub order_cents: i64,
    /// Messages and voicemails taken.
    pub messages: i64,
    pub transfers: i64,
    pub emergencies: i64,
    /// Questions the data could not answer.
    pub unanswered: i64,
}

impl FromRow for Counts {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            calls: r.int(0)?,
            texts: r.int(1)?,
            web_chats: r.int(2)?,
            bookings: r.int(3)?,
            reservations: r.int(4)?,
            orders: r.int(5)?,
            order_cents: r.int(6)?,
            messages: r.int(7)?,
            transfers: r.int(8)?,
            emergencies: r.int(9)?,
            unanswered: r.int(10)?,
        })
    }
}

/// A label and how many times it came up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub label: String,
    pub count: i64,
}

impl FromRow for Tally {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            label: r.text(0)?,
            count: r.int(1)?,
        })
    }
}

impl<E: Exec> Tenant<E> {
    /// The span's conversations counted in slices of `slice_ms` (since the epoch) and by
    /// channel: each slice's start, channel and count, for charts by channel, hour and weekday
    /// on the business's clock.
    pub async fn conversation_slices(
        &mut self,
        from: i64,
        to: i64,
        slice_ms: i64,
    ) -> Result<Vec<(i64, String, i64)>> {
        struct Slice(i64, String, i64);
        impl FromRow for Slice {
            fn from_row(r: &dyn Row) -> Result<Self> {
                Ok(Slice(r.int(0)?, r.text(1)?, r.int(2)?))
            }
        }
        let rows: Vec<Slice> = self
            .exec
            .fetch_all(
                I,
                "SELECT created_at / $4, channel, COUNT(*) FROM conversations WHERE business_id = $1 AND created_at >= $2 AND created_at < $3
                 GROUP BY created_at / $4, channel",
                &params![&self.business, from, to, slice_ms],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|Slice(k, c, n)| (k * slice_ms, c, n))
            .collect())
    }

    /// How the span's calls ended, most common first.
    pub async fn call_outcomes(&mut self, from: i64, to: i64) -> Result<Vec<Tally>> {
        self.exec
            .fetch_all(
                I,
                "SELECT COALESCE(outcome, 'unfinished'), COUNT(*) FROM calls WHERE business_id = $1 AND started_at >= $2 AND started_at < $3
                 GROUP BY COALESCE(outcome, 'unfinished') ORDER BY 2 DESC, 1",
                &params![&self.business, from, to],
            )
            .await
    }

    /// What callers' messages were read as in the span, most common first (at most `limit`).
    pub async fn top_intents(&mut self, from: i64, to: i64, limit: u32) -> Result<Vec<Tally>> {
        self.exec
            .fetch_all(
                I,
                "SELECT intent, COUNT(*) FROM conversation_messages WHERE business_id = $1 AND role = 'caller' AND intent IS NOT NULL
                 AND created_at >= $2 AND created_at < $3 GROUP BY intent ORDER BY 2 DESC, 1 LIMIT $4",
                &params![&self.business, from, to, limit],
            )
            .await
    }

    /// The questions the data could not answer in the span, as asked (at most `limit`).
    pub async fn unanswered_texts(
        &mut self,
        from: i64,
        to: i64,
        limit: u32,
    ) -> Result<Vec<String>> {
        self.exec
            .fetch_all(
                I,
                "SELECT question FROM unanswered_questions WHERE business_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY id DESC LIMIT $4",
                &params![&self.business, from, to, limit],
            )
            .await
    }

    /// What came in and what came of it between `from` and `to` (epoch milliseconds).
    pub async fn counts(&mut self, from: i64, to: i64) -> Result<Counts> {
        self.exec
            .fetch_one(
                I,
                "SELECT
                   (SELECT COUNT(*) FROM calls WHERE business_id = $1 AND started_at >= $2 AND started_at < $3),
                   (SELECT COUNT(*) FROM conversations WHERE business_id = $1 AND channel IN ('sms', 'whatsapp') AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM conversations WHERE business_id = $1 AND channel = 'web' AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM appointments WHERE business_id = $1 AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM reservations WHERE business_id = $1 AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM orders WHERE business_id = $1 AND created_at >= $2 AND created_at < $3),
                   (SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM orders WHERE business_id = $1 AND status <> 'cancelled' AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM caller_messages WHERE business_id = $1 AND created_at >= $2 AND created_at < $3),
                   (SELECT COUNT(*) FROM calls WHERE business_id = $1 AND outcome = 'transferred' AND started_at >= $2 AND started_at < $3),
                   (SELECT COUNT(*) FROM calls WHERE business_id = $1 AND outcome = 'emergency' AND started_at >= $2 AND started_at < $3),
                   (SELECT COUNT(*) FROM unanswered_questions WHERE business_id = $1 AND created_at >= $2 AND created_at < $3)",
                &params![&self.business, from, to],
            )
            .await
    }

    /// The kept days (see [`Tenant::keep_day`]) that lie within `from`..`to`: each day's start,
    /// end and data, in order.
    pub async fn kept_days(&mut self, from: i64, to: i64) -> Result<Vec<(i64, i64, String)>> {
        struct Day(i64, i64, String);
        impl FromRow for Day {
            fn from_row(r: &dyn Row) -> Result<Self> {
                Ok(Day(r.int(0)?, r.int(1)?, r.text(2)?))
            }
        }
        let rows: Vec<Day> = self
            .exec
            .fetch_all(
                I,
                "SELECT day_start, day_end, data FROM analytics_days WHERE business_id = $1 AND day_start >= $2 AND day_end <= $3 ORDER BY day_start",
                &params![&self.business, from, to],
            )
            .await?;
        Ok(rows.into_iter().map(|Day(a, b, d)| (a, b, d)).collect())
    }

    /// Keeps what a closed day held, for the analytics; a day kept again is replaced.
    pub async fn keep_day(&mut self, start: i64, end: i64, data: &str, now: i64) -> Result<()> {
        self.exec
            .execute(
                I,
                "INSERT INTO analytics_days (business_id, day_start, day_end, data, computed_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (business_id, day_start, day_end) DO UPDATE SET data = excluded.data, computed_at = excluded.computed_at",
                &params![&self.business, start, end, data, now],
            )
            .await?;
        Ok(())
    }

    /// The span's orders' total, less cancelled ones, in cents (an order's state changes after
    /// its day, so this is never kept).
    pub async fn order_cents(&mut self, from: i64, to: i64) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM orders WHERE business_id = $1 AND status <> 'cancelled' AND created_at >= $2 AND created_at < $3",
                &params![&self.business, from, to],
            )
            .await
    }

    /// Texts and e-mails that failed to send since `since`, for the operator's view of a
    /// business's health.
    pub async fn failed_sends_since(&mut self, since: i64) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT (SELECT COUNT(*) FROM text_messages WHERE business_id = $1 AND status = 'failed' AND created_at >= $2)
                      + (SELECT COUNT(*) FROM emails WHERE business_id = $1 AND status = 'failed' AND created_at >= $2)",
                &params![&self.business, since],
            )
            .await
    }
}
