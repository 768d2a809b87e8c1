//! Every inbound webhook as it arrived, stored before it is acted on, so that nothing a provider
//! delivered is lost even when handling it fails: an event without `processed_at` was not
//! handled, and `error` says why.

use crate::exec::Exec;
use crate::exec::I;
use crate::{BusinessId, RecordId, Result, params};

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

/// The payload of the latest event of `kind` about `reference` for a business, if any.
pub async fn latest(
    e: &mut impl Exec,
    business: &BusinessId,
    kind: &str,
    reference: &str,
) -> Result<Option<String>> {
    e.fetch_optional(
        I,
        "SELECT payload FROM webhook_events WHERE ref = $1 AND business_id = $2 AND kind = $3
         ORDER BY received_at DESC, id DESC LIMIT 1",
        &params![reference, business, kind],
    )
    .await
}
