//! Phone calls after they end: the job that fetches a finished call's price from Twilio.

use frontdesk_store::{BusinessId, now_ms};
use serde::{Deserialize, Serialize};

use crate::Desk;
use crate::jobs::Job;
use crate::providers::twilio::rest::RestError;

/// Fetches a finished call's price.
#[derive(Serialize, Deserialize)]
pub struct FetchCallPrice {
    pub business: BusinessId,
    pub call_sid: String,
}

impl Job for FetchCallPrice {
    const KIND: &'static str = "twilio.call_price";
    const CONCURRENCY: usize = 2;

    async fn run(self, desk: Desk) -> Result<(), String> {
        call_price(&desk, &self.business, &self.call_sid).await
    }
}

/// Twilio rates a call shortly after it ends: until then `price` is null and the job retries.
async fn call_price(desk: &Desk, b: &BusinessId, sid: &str) -> Result<(), String> {
    let Some(rest) = &desk.twilio else {
        return Ok(());
    };
    match rest.fetch_call(sid).await {
        Ok(c) => {
            let Some(price) = c.price.filter(|p| !p.is_empty()) else {
                return Err("the call has no price yet".into());
            };
            let duration = c.duration.and_then(|d| d.parse().ok());
            desk.db
                .tenant(b)
                .set_call_price(sid, &price, c.price_unit.as_deref(), duration, now_ms())
                .await
                .map_err(|e| e.to_string())
        }
        Err(RestError::Rejected {
            status, message, ..
        }) => {
            tracing::warn!(
                status,
                message,
                call_sid = sid,
                "Twilio has no price for this call"
            );
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
