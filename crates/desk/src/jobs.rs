//! Every kind of durable job the product runs, and their registration with the runner in one
//! place. A job's payload names its business and the record it is about.

use frontdesk_jobs::Runner;
use frontdesk_store::BusinessId;

use crate::Desk;

/// Sends one stored e-mail: `{"business", "email"}`.
pub const EMAIL_JOB: &str = "email.send";
/// Sends an appointment's reminder if it still stands:
/// `{"business", "appointment", "start", "lead"}`.
pub const REMINDER_JOB: &str = "notify.reminder";
/// Handles one inbound message: `{"business", "text"}`.
pub const TEXT_IN_JOB: &str = "twilio.text_in";
/// Sends one outbound message: `{"business", "text"}`.
pub const TEXT_OUT_JOB: &str = "twilio.text_out";
/// Fetches a finished call's price: `{"business", "call_sid"}`.
pub const CALL_PRICE_JOB: &str = "twilio.call_price";
/// Deletes expired refresh tokens (daily): `{}`.
pub const PURGE_REFRESH_TOKENS_JOB: &str = "auth.purge_refresh_tokens";

/// Registers every job kind, and the recurring ones, with the runner.
pub fn register(r: &mut Runner, desk: &Desk) -> Result<(), String> {
    let d = desk.clone();
    r.register(EMAIL_JOB, 4, move |job| {
        let desk = d.clone();
        async move {
            let (b, id) = job_target(&job.payload, "email")?;
            crate::emails::send_email(&desk, &b, &id).await
        }
    });
    let d = desk.clone();
    r.register(REMINDER_JOB, 4, move |job| {
        let desk = d.clone();
        async move { crate::actions::appointments::remind(&desk, &job.payload).await }
    });
    let d = desk.clone();
    r.register(TEXT_IN_JOB, 8, move |job| {
        let desk = d.clone();
        async move {
            let (b, id) = job_target(&job.payload, "text")?;
            crate::texts::handle_text(&desk, &b, &id).await
        }
    });
    let d = desk.clone();
    r.register(TEXT_OUT_JOB, 8, move |job| {
        let desk = d.clone();
        async move {
            let (b, id) = job_target(&job.payload, "text")?;
            crate::texts::send_text(&desk, &b, &id).await
        }
    });
    let d = desk.clone();
    r.register(CALL_PRICE_JOB, 2, move |job| {
        let desk = d.clone();
        async move {
            let (b, sid) = job_target(&job.payload, "call_sid")?;
            crate::calls::call_price(&desk, &b, &sid).await
        }
    });
    let d = desk.clone();
    r.register(PURGE_REFRESH_TOKENS_JOB, 1, move |_job| {
        let desk = d.clone();
        async move {
            frontdesk_store::accounts::purge_refresh_tokens(&desk.db, frontdesk_store::now_ms())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    });
    r.recurring(
        "purge-refresh-tokens",
        "17 3 * * *",
        PURGE_REFRESH_TOKENS_JOB,
        serde_json::json!({}),
    )
}

/// The business and the record a job is about.
fn job_target(payload: &serde_json::Value, field: &str) -> Result<(BusinessId, String), String> {
    let b = payload["business"]
        .as_str()
        .and_then(BusinessId::parse)
        .ok_or("payload: no business")?;
    let v = payload[field]
        .as_str()
        .ok_or_else(|| format!("payload: no {field}"))?;
    Ok((b, v.to_owned()))
}
