//! The ways customers reach a business through Twilio: phone calls ([`voice`]) and SMS and
//! WhatsApp ([`texts`]). Each turns what the customer said into a turn of the one engine
//! ([`crate::agent::Host`]) and the reply back into its own format. Every webhook is verified
//! ([`crate::twilio::webhook`]), routed to the business whose number was called or texted, and
//! stored before it is acted on.

pub mod media;
pub mod relay;
pub mod texts;
pub mod voice;
pub mod webchat;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use frontdesk_engine::PhoneE164;
use frontdesk_store::businesses::{self, Business};
use frontdesk_store::{BusinessId, StoreError, now_ms, webhooks};

use crate::AppState;
use crate::error::ApiResult;
use crate::twilio::rest::RestError;
use crate::twilio::twiml::{Twiml, Voice};
use crate::twilio::webhook::Webhook;

/// Fetches a finished call's price: `{"business", "call_sid"}`.
pub const CALL_PRICE_JOB: &str = "twilio.call_price";

/// What is said when something on our side failed: the caller is never left with silence.
const APOLOGY: &str =
    "I'm sorry, we're having trouble on our end. Please call back in a few minutes. Goodbye.";

fn apology() -> Response {
    let mut t = Twiml::new();
    t.say(APOLOGY, &Voice::default());
    t.hangup();
    twiml(t.finish())
}

/// A webhook that could not be stored was not accepted: 503 makes Twilio try the number's
/// fallback URL, and the caller still hears an apology rather than an application error.
fn unavailable() -> Response {
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, apology()).into_response()
}

/// Registers the jobs that send and receive through the channels (texts, e-mails, reminders,
/// call prices) with the runner.
pub fn register_jobs(r: &mut frontdesk_jobs::Runner, st: &AppState) {
    let s = st.clone();
    r.register(crate::mail::EMAIL_JOB, 4, move |job| {
        let st = s.clone();
        async move {
            let (b, id) = job_target(&job.payload, "email")?;
            crate::mail::send_email(&st, &b, &id).await
        }
    });
    let s = st.clone();
    r.register(crate::notify::REMINDER_JOB, 4, move |job| {
        let st = s.clone();
        async move { crate::notify::remind(&st, &job.payload).await }
    });
    let s = st.clone();
    r.register(texts::TEXT_IN_JOB, 8, move |job| {
        let st = s.clone();
        async move {
            let (b, id) = job_target(&job.payload, "text")?;
            texts::handle_text(&st, &b, &id).await
        }
    });
    let s = st.clone();
    r.register(texts::TEXT_OUT_JOB, 8, move |job| {
        let st = s.clone();
        async move {
            let (b, id) = job_target(&job.payload, "text")?;
            texts::send_text(&st, &b, &id).await
        }
    });
    let s = st.clone();
    r.register(CALL_PRICE_JOB, 2, move |job| {
        let st = s.clone();
        async move {
            let (b, sid) = job_target(&job.payload, "call_sid")?;
            call_price(&st, &b, &sid).await
        }
    });
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

/// Twilio rates a call shortly after it ends: until then `price` is null and the job retries.
async fn call_price(st: &AppState, b: &BusinessId, sid: &str) -> Result<(), String> {
    let Some(rest) = &st.twilio else {
        return Ok(());
    };
    match rest.fetch_call(sid).await {
        Ok(c) => {
            let Some(price) = c.price.filter(|p| !p.is_empty()) else {
                return Err("the call has no price yet".into());
            };
            let duration = c.duration.and_then(|d| d.parse().ok());
            st.db
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

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(voice::router())
        .merge(relay::router())
        .merge(media::router())
        .merge(texts::router())
        .merge(webchat::router())
}

/// A TwiML answer.
pub fn twiml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// An address without its channel prefix (`whatsapp:+1555…` is `+1555…`).
pub fn bare(address: &str) -> &str {
    address.strip_prefix("whatsapp:").unwrap_or(address)
}

/// The business a webhook is for: the one named in our own callback URL (`b`, signed with the
/// rest of the URL), or the one whose phone number was called or texted (`To`). `None` for a
/// number no business has.
pub async fn business_for(st: &AppState, hook: &Webhook) -> ApiResult<Option<Business>> {
    let mut db = st.db.clone();
    let found = if let Some(b) = hook.query.get("b") {
        match BusinessId::parse(b) {
            Some(id) => businesses::get(&mut db, &id).await,
            None => Err(StoreError::NotFound),
        }
    } else {
        match PhoneE164::parse(bare(hook.param("To"))) {
            Ok(p) => businesses::get_by_phone(&mut db, p.as_str()).await,
            Err(_) => Err(StoreError::NotFound),
        }
    };
    match found {
        Ok(b) => Ok(Some(b)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Stores a webhook as it arrived, before anything is done with it; returns the event id.
pub async fn received(
    st: &AppState,
    business: Option<&BusinessId>,
    kind: &str,
    payload: &str,
    reference: &str,
) -> ApiResult<String> {
    let mut db = st.db.clone();
    let reference = (!reference.is_empty()).then_some(reference);
    Ok(webhooks::record(
        &mut db,
        business,
        "twilio",
        kind,
        reference,
        payload,
        now_ms(),
    )
    .await?)
}

/// Marks a stored webhook handled, or records why it was not.
pub async fn handled(st: &AppState, event: &str, error: Option<&str>) {
    let mut db = st.db.clone();
    if let Err(e) = webhooks::finish(&mut db, event, error, now_ms()).await {
        tracing::warn!(event, error = %e, "could not mark a webhook handled");
    }
}
