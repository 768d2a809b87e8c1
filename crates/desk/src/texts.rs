//! Handling SMS and WhatsApp messages (`whatsapp:` addresses), the work behind the Twilio
//! webhook in the web crate: the job that runs each inbound message as a turn on the
//! customer's thread for that channel (a reply tomorrow continues it) and queues the reply, and
//! the job that sends each outbound message through the Messages API, once.
//!
//! Opt-out keywords are honoured as carriers require: STOP (and STOPALL, UNSUBSCRIBE, CANCEL,
//! END, QUIT, OPTOUT, REVOKE) stops every message to that address until START (or UNSTOP, or YES
//! from an opted-out address); HELP (or INFO) gets the business's contact details. On SMS Twilio
//! itself confirms STOP and START, so only WhatsApp gets our confirmations.

use chrono::Utc;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::Profile;
use frontdesk_engine::agent::Channel;
use frontdesk_store::states::{ConversationStatus, Direction, TextStatus};
use frontdesk_store::texts::TextMessage;
use frontdesk_store::{BusinessId, ConversationId, Db, RecordId, Tenant, now_ms};
use serde::{Deserialize, Serialize};

use crate::Desk;
use crate::host::{Also, MAX_TURN_CHARS, Opening, TurnError};
use crate::jobs::Job;
use crate::outbox;
use crate::providers::twilio::bare;
use crate::providers::twilio::rest::RestError;

/// Handles one inbound message: runs it as a turn and queues the reply.
#[derive(Serialize, Deserialize)]
pub struct HandleText {
    pub business: BusinessId,
    pub text: RecordId,
}

impl Job for HandleText {
    const KIND: &'static str = "twilio.text_in";
    const CONCURRENCY: usize = 8;

    async fn run(self, desk: Desk) -> Result<(), String> {
        handle(&desk, &self.business, &self.text)
            .await
            .map_err(|e| format!("{e:#}"))
    }
}

/// Sends one stored outbound message.
#[derive(Serialize, Deserialize)]
pub struct SendText {
    pub business: BusinessId,
    pub text: RecordId,
}

impl Job for SendText {
    const KIND: &'static str = "twilio.text_out";
    const CONCURRENCY: usize = 8;
    const MAX_ATTEMPTS: u32 = crate::jobs::SEND_ATTEMPTS;

    async fn run(self, desk: Desk) -> Result<(), String> {
        send_text(&desk, &self.business, &self.text).await
    }
}

const STOP: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
const START: &[&str] = &["START", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// The single keyword a message is, if it is one.
fn keyword(body: &str) -> Option<String> {
    let w = body
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    (!w.is_empty() && !w.contains(char::is_whitespace)).then(|| w.to_ascii_uppercase())
}

async fn handle(desk: &Desk, b: &BusinessId, id: &RecordId) -> anyhow::Result<()> {
    let mut t = desk.db.tenant(b);
    let m = t.text(id).await?;
    if m.status != TextStatus::Received {
        return Ok(());
    }
    // Earlier messages from the same customer go first.
    let waiting = t
        .texts(None, Some(m.id.as_str()), 50)
        .await?
        .into_iter()
        .any(|o| {
            o.direction == Direction::Inbound
                && o.status == TextStatus::Received
                && o.from_address == m.from_address
        });
    anyhow::ensure!(
        !waiting,
        "waiting for an earlier message from the same customer"
    );
    let loaded = desk.host.load(&mut desk.db.tenant(b)).await?;
    let p = &loaded.profile;
    let whatsapp = m.channel == Channel::Whatsapp;
    let address = m.from_address.as_str();
    let opted_out = t.is_opted_out(address).await?;
    let word = keyword(&m.body);
    let word = word.as_deref();
    if let Some(w) = word.filter(|w| STOP.contains(w)) {
        t.opt_out(address, now_ms()).await?;
        let reply = whatsapp.then(|| {
            format!(
                "You won't get any more messages from {}. Reply START to get them again.",
                p.name.as_str()
            )
        });
        tracing::info!(keyword = w, channel = m.channel.as_str(), "opted out");
        return finish(desk, b, &m, None, reply.as_deref(), "opt_out").await;
    }
    if word.is_some_and(|w| START.contains(&w) || (opted_out && w == "YES")) {
        t.opt_in(address).await?;
        let reply = whatsapp.then(|| {
            format!(
                "You're subscribed to messages from {} again. Reply HELP for help, STOP to opt out.",
                p.name.as_str()
            )
        });
        return finish(desk, b, &m, None, reply.as_deref(), "opt_in").await;
    }
    if word.is_some_and(|w| HELP.contains(&w)) {
        let mut help = format!("{}: call us at {}", p.name.as_str(), p.phone.as_str());
        if let Some(w) = &p.website {
            help.push_str(&format!(" or visit {w}"));
        }
        help.push_str(". Text us your question any time. Reply STOP to opt out.");
        return finish(desk, b, &m, None, Some(&help), "help").await;
    }
    let body: String = m.body.trim().chars().take(MAX_TURN_CHARS).collect();
    if body.is_empty() {
        return finish(
            desk,
            b,
            &m,
            None,
            Some("Sorry, I can only read text messages. How can I help you?"),
            "reply",
        )
        .await;
    }
    let conv = thread(desk, b, &m).await?;
    let sid = m.sid.as_deref().unwrap_or(m.id.as_str());
    let r = match desk
        .host
        .turn(
            &desk.db,
            b,
            &conv,
            &body,
            Also {
                external_id: Some(&format!("text:{sid}")),
                ..Also::default()
            },
            Utc::now(),
        )
        .await
    {
        Ok(r) => r,
        Err(TurnError::Invalid(e)) => anyhow::bail!("{e}"),
        Err(e) => return Err(e.into()),
    };
    // On a thread a person holds, the agent stays silent: they answer from the dashboard.
    let reply = (!r.held).then_some(r.reply.as_str());
    finish(desk, b, &m, Some(&conv), reply, "reply").await
}

/// The customer's thread on this channel: the open conversation, the last one opened again, or
/// a new one.
async fn thread(desk: &Desk, b: &BusinessId, m: &TextMessage) -> anyhow::Result<ConversationId> {
    let channel = m.channel;
    let phone = PhoneE164::parse(bare(&m.from_address)).ok();
    let address = bare(&m.from_address);
    let mut t = desk.db.tenant(b);
    match t.latest_conversation(channel, address).await? {
        Some((id, ConversationStatus::Open)) => Ok(id),
        Some((id, _)) => {
            let state = desk
                .host
                .fresh_state(&desk.db, b, channel, phone.as_ref(), Utc::now())
                .await?;
            t.reopen_conversation(&id, &state, now_ms()).await?;
            Ok(id)
        }
        None => {
            let (c, _) = desk
                .host
                .open(
                    &desk.db,
                    b,
                    Opening::new(channel, phone.as_ref()).ungreeted(),
                    Utc::now(),
                )
                .await?;
            Ok(c.id)
        }
    }
}

/// Marks the inbound message handled and queues the reply, in one transaction.
async fn finish(
    desk: &Desk,
    b: &BusinessId,
    m: &TextMessage,
    conv: Option<&ConversationId>,
    reply: Option<&str>,
    purpose: &str,
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = desk.db.begin().await?;
    let mut t = tx.tenant(b);
    if let Some(reply) = reply {
        let from = bare(&m.to_address);
        let to = bare(&m.from_address);
        outbox::queue_text(&mut t, conv, m.channel, purpose, from, to, reply, None, now).await?;
    }
    t.set_text_status(&m.id, TextStatus::Handled, conv, now)
        .await?;
    tx.commit().await?;
    desk.wake_jobs();
    Ok(())
}

/// Whether the business may still send `m` today (its daily budget of segments); at 80% of the
/// budget the owner is told by e-mail, once a day.
async fn within_budget(
    desk: &Desk,
    b: &BusinessId,
    t: &mut Tenant<Db>,
    m: &TextMessage,
    p: &Profile,
) -> anyhow::Result<bool> {
    let budget = i64::from(desk.daily_segments);
    if budget == 0 {
        return Ok(true);
    }
    let spent = t.segments_sent_since(now_ms() - DAY_MS).await? + m.segments;
    if spent > budget {
        tracing::warn!(business = %b, spent, budget, "daily SMS budget spent; text refused");
        return Ok(false);
    }
    if spent * 5 >= budget * 4 {
        let body = format!(
            "{} has sent {spent} of its {budget} SMS segments for the last 24 hours. At the limit, \
             texts (replies, confirmations, reminders, alerts) stop until the day's sending \
             falls below it. The operator sets the limit ([twilio] daily_segments_per_business).",
            p.name,
        );
        let subject = format!("{}: 80% of today's texts used", p.name);
        outbox::email_owner_once_a_day(desk, b, t, p, "budget_alert", &subject, &body).await?;
    }
    Ok(true)
}

const DAY_MS: i64 = 24 * 3_600_000;

/// How long a text may wait for Twilio before the owner is told (by e-mail, once a day).
const HELD_ALERT_AFTER_MS: i64 = 15 * 60_000;

/// Keeps `m` for a retry while Twilio cannot be reached: the message shows why it waits, and
/// once it has waited long the owner hears of it (once a day).
async fn hold(
    desk: &Desk,
    b: &BusinessId,
    t: &mut Tenant<Db>,
    m: &TextMessage,
    p: &Profile,
) -> anyhow::Result<()> {
    t.text_held(&m.id, "provider_unavailable").await?;
    if now_ms() - m.created_at > HELD_ALERT_AFTER_MS {
        let body = format!(
            "Texts from {} have been waiting more than {} minutes because Twilio cannot be reached. \
             They are kept and will go out, in order, as soon as it answers; nothing needs doing. \
             The messages page shows each one's state.",
            p.name,
            HELD_ALERT_AFTER_MS / 60_000
        );
        let subject = format!("{}: texts are waiting for Twilio", p.name);
        outbox::email_owner_once_a_day(desk, b, t, p, "held_alert", &subject, &body).await?;
    }
    Ok(())
}

/// How far back an earlier unsent text to the same number holds a later one: beyond this, the
/// earlier one is stuck for good and must not hold the conversation forever.
const ORDER_WINDOW_MS: i64 = 24 * 3_600_000;

/// The job that sends one outbound message. A refusal is final (the message is marked failed
/// with Twilio's error code); an outage retries.
async fn send_text(desk: &Desk, b: &BusinessId, id: &RecordId) -> Result<(), String> {
    let r: anyhow::Result<()> = async {
        let mut t = desk.db.tenant(b);
        let m = t.text(id).await?;
        // In flight from an attempt whose outcome was lost (the process died, the request
        // timed out): the provider may have it already.
        let in_flight = m.status == TextStatus::Sending && m.sid.is_none();
        if m.status != TextStatus::Pending && !in_flight {
            return Ok(());
        }
        // Answers to STOP and START are the law's: no opt-out, cap or budget holds them; an
        // emergency must reach the owner: no cap or budget holds it.
        let exempt = matches!(m.purpose.as_str(), "opt_out" | "opt_in");
        if !exempt && t.is_opted_out(&m.to_address).await? {
            t.text_sent(id, None, TextStatus::Failed, Some("opted_out"), now_ms())
                .await?;
            return Ok(());
        }
        let hour_ago = now_ms() - 3_600_000;
        let loaded = desk.host.load(&mut t).await?;
        if !loaded.profile.may_text(&m.to_address) {
            tracing::warn!(business = %b, text = %id, "text to a country the business does not text; refused");
            t.text_sent(id, None, TextStatus::Failed, Some("country_not_allowed"), now_ms())
                .await?;
            return Ok(());
        }
        let exempt = exempt || m.purpose == "emergency_alert";
        if !exempt
            && !in_flight
            && t.segments_sent_to(&m.to_address, hour_ago).await? + m.segments
                > outbox::MAX_SEGMENTS_PER_HOUR
        {
            tracing::warn!(business = %b, text = %id, "hourly cap on texts to one address reached");
            t.text_sent(id, None, TextStatus::Failed, Some("hourly_cap"), now_ms())
                .await?;
            return Ok(());
        }
        if !exempt && !in_flight && !within_budget(desk, b, &mut t, &m, &loaded.profile).await? {
            t.text_sent(id, None, TextStatus::Failed, Some("daily_budget"), now_ms())
                .await?;
            return Ok(());
        }
        let Some(rest) = &desk.twilio else {
            anyhow::bail!(
                "Twilio is not configured: set FRONTDESK_TWILIO_ACCOUNT_SID and FRONTDESK_TWILIO_AUTH_TOKEN"
            );
        };
        // Twilio has been failing: wait without calling it (the retry comes back).
        if !desk.twilio_breaker.allow(std::time::Instant::now()) {
            hold(desk, b, &mut t, &m, &loaded.profile).await?;
            anyhow::bail!("Twilio keeps failing; holding texts until it answers again");
        }
        // A conversation's texts go in order: a later one waits while an earlier one to the
        // same number is still to go (a retry of this job comes back for it).
        if t
            .earlier_unsent_to(&m.to_address, id, now_ms() - ORDER_WINDOW_MS)
            .await?
        {
            anyhow::bail!("waiting for an earlier text to the same number");
        }
        if in_flight {
            // Marked in flight at `updated_at`, just before the provider was called.
            let found = rest
                .find_message(&m.from_address, &m.to_address, &m.body, m.updated_at)
                .await;
            if found.is_err() {
                desk.twilio_breaker.failure(std::time::Instant::now());
            }
            if let Some(res) = found? {
                tracing::info!(text = %id, sid = res.sid, "a text in flight before a restart had reached Twilio; not sent again");
                let status = TextStatus::parse(&res.status).unwrap_or(TextStatus::Queued);
                t.text_sent(id, Some(&res.sid), status, None, now_ms())
                    .await?;
                return Ok(());
            }
        } else if !t.text_in_flight(id, now_ms()).await? {
            return Ok(());
        }
        let callback = (!desk.public_url.is_empty()).then(|| {
            format!(
                "{}/twilio/sms/status?b={b}&m={id}",
                desk.public_url.trim_end_matches('/')
            )
        });
        match rest
            .send_message(&m.from_address, &m.to_address, &m.body, callback.as_deref())
            .await
        {
            Ok(res) => {
                desk.twilio_breaker.success();
                // Twilio answers a send with one of its documented states; one it adds later
                // is still a message it has.
                let status = TextStatus::parse(&res.status).unwrap_or_else(|| {
                    tracing::warn!(status = res.status, "unknown Twilio message status");
                    TextStatus::Queued
                });
                t.text_sent(id, Some(&res.sid), status, None, now_ms())
                    .await?;
                metrics::counter!("texts_sent_total", "channel" => m.channel.as_str()).increment(1);
                Ok(())
            }
            Err(RestError::Rejected { code, message, .. }) => {
                // Twilio answered: it is up, whatever it thought of this message.
                desk.twilio_breaker.success();
                tracing::warn!(code, message, "Twilio refused a message");
                t.text_sent(id, None, TextStatus::Failed, Some(&code.to_string()), now_ms())
                    .await?;
                Ok(())
            }
            Err(e) => {
                // Kept for a retry; the message shows why it waits, and after a while the
                // owner hears of it.
                desk.twilio_breaker.failure(std::time::Instant::now());
                hold(desk, b, &mut t, &m, &loaded.profile).await?;
                Err(e.into())
            }
        }
    }
    .await;
    r.map_err(|e| format!("{e:#}"))
}
