//! Phone calls: the daily budget a business's calls are held to, and after they end, the job
//! that fetches a finished call's price from Twilio.

use frontdesk_engine::Profile;
use frontdesk_store::{BusinessId, Db, Tenant, now_ms};
use serde::{Deserialize, Serialize};

use crate::jobs::Job;
use crate::providers::twilio::rest::RestError;
use crate::{Desk, outbox};

const DAY_MS: i64 = 24 * 3_600_000;

/// Whether `b` may take another call under `[twilio] daily_call_minutes_per_business`: the
/// minutes of its calls in the last 24 hours, transfers included (a transferred call lasts
/// until the person hangs up). At 80% the owner is told by e-mail, once a day.
pub async fn within_call_budget(
    desk: &Desk,
    b: &BusinessId,
    t: &mut Tenant<Db>,
    p: &Profile,
) -> anyhow::Result<bool> {
    let budget = i64::from(desk.daily_call_minutes) * 60;
    if budget == 0 {
        return Ok(true);
    }
    let now = now_ms();
    let spent = t.call_seconds_since(now - DAY_MS, now).await?;
    if spent >= budget {
        tracing::warn!(business = %b, spent_secs = spent, budget_secs = budget, "daily call budget spent; call refused");
        metrics::counter!("calls_refused_total", "reason" => "daily_budget").increment(1);
    }
    if spent * 5 >= budget * 4 {
        let body = format!(
            "{} has taken {} of its {} minutes of calls for the last 24 hours. At the limit, new \
             calls hear a short apology and are not answered until the day's calls fall below \
             it. The operator sets the limit ([twilio] daily_call_minutes_per_business).",
            p.name,
            spent / 60,
            budget / 60,
        );
        let subject = format!("{}: 80% of today's call minutes used", p.name);
        outbox::email_owner_once_a_day(desk, b, t, p, "call_budget_alert", &subject, &body).await?;
    }
    Ok(spent < budget)
}

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
