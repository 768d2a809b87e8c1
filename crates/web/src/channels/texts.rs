//! SMS and WhatsApp (`whatsapp:` addresses) through Twilio, the HTTP face. An inbound message is
//! stored with a job to handle it in one transaction, then acknowledged at once; the job
//! ([`frontdesk_desk::texts`]) runs the turn and queues the reply, which another job sends
//! through the Messages API with retries. Delivery callbacks update each message's status, never
//! backwards.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::Channel;
use frontdesk_store::states::{Direction, TextStatus};
use frontdesk_store::texts::NewText;
use frontdesk_store::{RecordId, StoreError, now_ms, webhooks};

use super::{bare, business_for, received, twiml};
use frontdesk_desk::jobs::{self, HandleText};
use frontdesk_desk::providers::twilio::segments;
use frontdesk_desk::providers::twilio::twiml::Twiml;

use crate::AppState;
use crate::channels::webhook::Webhook;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/sms", post(incoming_message))
        .route("/twilio/sms/status", post(message_status))
}

fn empty() -> Response {
    twiml(Twiml::new().finish())
}

async fn incoming_message(State(st): State<AppState>, hook: Webhook) -> Response {
    match accept(&st, &hook).await {
        Ok(r) => r,
        Err(e) => {
            // Not stored, so not accepted: Twilio's retry (or fallback URL) gets another chance.
            tracing::error!(error = format!("{e:#}"), "inbound message not stored");
            super::unavailable()
        }
    }
}

/// Stores the message and the job that handles it, together; answers Twilio at once.
async fn accept(st: &AppState, hook: &Webhook) -> anyhow::Result<Response> {
    let sid = hook
        .get("MessageSid")
        .or_else(|| hook.get("SmsSid"))
        .unwrap_or("");
    anyhow::ensure!(!sid.is_empty(), "no MessageSid");
    let Some(business) = business_for(st, hook).await? else {
        let ev = received(st, None, "text.incoming", &hook.body, sid).await?;
        super::handled(st, &ev, Some("no business has this number")).await;
        let mut t = Twiml::new();
        t.message("Sorry, this number isn't set up to receive messages yet.");
        return Ok(twiml(t.finish()));
    };
    let from = hook.param("From");
    let to = hook.param("To");
    let channel = if from.starts_with("whatsapp:") {
        Channel::Whatsapp
    } else {
        Channel::Sms
    };
    // A short code or a named sender ("ACME") cannot be texted back: the message is kept for
    // the business to see, and nothing answers it.
    let answerable = PhoneE164::parse(bare(from)).is_ok();
    let body = hook.param("Body");
    let b = &business.id;
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    let ev = webhooks::record(
        &mut tx,
        Some(b),
        "twilio",
        "text.incoming",
        Some(sid),
        &hook.body,
        now,
    )
    .await?;
    let stored = tx
        .tenant(b)
        .add_text(
            &NewText {
                conversation: None,
                channel,
                direction: Direction::Inbound,
                purpose: "turn",
                sid: Some(sid),
                from,
                to,
                body,
                segments: hook
                    .get("NumSegments")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| segments::count(body) as i64),
                status: if answerable {
                    TextStatus::Received
                } else {
                    TextStatus::Ignored
                },
            },
            now,
        )
        .await?;
    if let Some(m) = stored.filter(|_| answerable) {
        let job = HandleText {
            business: b.clone(),
            text: m.id,
        };
        jobs::enqueue(&mut tx.tenant(b), &job, now, format!("text-in:{sid}"), now).await?;
    }
    let note = (!answerable).then_some("the sender is not a phone number: it cannot be answered");
    webhooks::finish(&mut tx, &ev, note, now).await?;
    tx.commit().await?;
    st.desk.wake_jobs();
    metrics::counter!("texts_received_total", "channel" => channel.as_str()).increment(1);
    Ok(empty())
}

async fn message_status(State(st): State<AppState>, hook: Webhook) -> Response {
    let r = async {
        let sid = hook.param("MessageSid");
        let business = business_for(&st, &hook).await?;
        let ev = received(
            &st,
            business.as_ref().map(|b| &b.id),
            "text.status",
            &hook.body,
            sid,
        )
        .await?;
        let Some(business) = business else {
            super::handled(&st, &ev, Some("no such business")).await;
            return anyhow::Ok(());
        };
        // Twilio documents every state it reports; one it adds later is recorded and ignored.
        let Some(status) = TextStatus::parse(hook.param("MessageStatus")) else {
            super::handled(&st, &ev, Some("unknown MessageStatus")).await;
            return anyhow::Ok(());
        };
        let code = hook.get("ErrorCode").filter(|c| !c.is_empty());
        let r = st
            .db
            .tenant(&business.id)
            .text_status_by_sid(sid, status, code, now_ms())
            .await;
        match r {
            Ok(_) => super::handled(&st, &ev, None).await,
            Err(StoreError::NotFound) => {
                // Our callback URL names the message (`m`): a send whose sid was lost in a
                // crash is matched here.
                let ours = match hook.query.get("m").and_then(|m| RecordId::parse(m)) {
                    Some(id) => {
                        st.db
                            .tenant(&business.id)
                            .text_reported(&id, sid, status, code, now_ms())
                            .await?
                    }
                    None => false,
                };
                let note = (!ours).then_some("no message with this sid");
                super::handled(&st, &ev, note).await;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
    .await;
    match r {
        Ok(()) => empty(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "message status not stored");
            super::unavailable()
        }
    }
}
