//! Every inbound webhook as it arrived, stored before it is acted on, so that nothing a provider
//! delivered is lost even when handling it fails: an event without `processed_at` was not
//! handled, and `error` says why.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{BusinessId, RecordId, Result, params};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    pub id: String,
    pub business_id: Option<String>,
    pub source: String,
    pub kind: String,
    /// The provider's id of what it is about (a call or message sid).
    pub reference: Option<String>,
    pub payload: String,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub error: Option<String>,
}

impl FromRow for WebhookEvent {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: r.text(0)?,
            business_id: r.opt_text(1)?,
            source: r.text(2)?,
            kind: r.text(3)?,
            reference: r.opt_text(4)?,
            payload: r.text(5)?,
            received_at: r.int(6)?,
            processed_at: r.opt_int(7)?,
            error: r.opt_text(8)?,
        })
    }
}

/// Stores an event as received; returns its id.
pub async fn record(
    e: &mut impl Exec,
    business: Option<&BusinessId>,
    source: &str,
    kind: &str,
    reference: Option<&str>,
    payload: &str,
    now: i64,
) -> Result<String> {
    let id = RecordId::new();
    e.execute(
        I,
        "INSERT INTO webhook_events (id, business_id, source, kind, ref, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![&id, business, source, kind, reference, payload, now],
    )
    .await?;
    Ok(id.to_string())
}

/// Marks an event handled, or not handled with the reason.
pub async fn finish(e: &mut impl Exec, id: &str, error: Option<&str>, now: i64) -> Result<()> {
    match error {
        None => {
            e.execute(
                I,
                "UPDATE webhook_events SET processed_at = $2, error = NULL WHERE id = $1",
                &params![id, now],
            )
            .await?
        }
        Some(err) => {
            e.execute(
                I,
                "UPDATE webhook_events SET error = $2 WHERE id = $1",
                &params![id, err],
            )
            .await?
        }
    };
    Ok(())
}

/// Events, newest first; only those not handled when `unprocessed`.
pub async fn list(e: &mut impl Exec, unprocessed: bool, limit: u32) -> Result<Vec<WebhookEvent>> {
    e.fetch_all(
        I,
        "SELECT id, business_id, source, kind, ref, payload, received_at, processed_at, error
         FROM webhook_events WHERE ($1 = FALSE OR processed_at IS NULL) ORDER BY id DESC LIMIT $2",
        &params![unprocessed, limit],
    )
    .await
}
