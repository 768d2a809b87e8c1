//! The ways customers reach a business through Twilio: phone calls ([`voice`]) and SMS and
//! WhatsApp ([`texts`]). Each turns what the customer said into a turn of the one engine
//! ([`frontdesk_desk::host::Host`]) and the reply back into its own format. Every webhook is verified
//! ([`webhook`]), routed to the business whose number was called or texted, and
//! stored before it is acted on.

pub mod call;
pub mod media;
pub mod relay;
pub mod texts;
pub mod voice;
pub mod webchat;
pub mod webhook;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use frontdesk_engine::PhoneE164;
use frontdesk_store::businesses::{self, Business};
use frontdesk_store::{BusinessId, StoreError, now_ms, webhooks};

use frontdesk_desk::providers::twilio::bare;
use frontdesk_desk::providers::twilio::twiml::{Twiml, Voice};

use crate::AppState;
use crate::error::ApiResult;
use webhook::Webhook;

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
pub(crate) fn unavailable() -> Response {
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, apology()).into_response()
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
