//! The outbox: every text and e-mail frontdesk sends is first stored, with the job that sends
//! it, in the transaction of the work that calls for it; nothing is sent that was not stored,
//! and nothing stored is lost. SMS too long for one message are split into parts here.

use frontdesk_engine::Profile;
use frontdesk_engine::agent::Channel;
use frontdesk_store::emails::NewEmail;
use frontdesk_store::states::{Direction, TextStatus};
use frontdesk_store::texts::NewText;
use frontdesk_store::{BusinessId, ConversationId, Db, Exec, StoreError, Tenant, now_ms};

use crate::Desk;
use crate::jobs::{self, SendEmail, SendText};
use crate::providers::twilio::{bare, segments};

/// The most SMS segments one queued text may take: longer bodies are cut (a reply is never a
/// cost bomb, whatever a profile holds). Ten segments are about 1,500 plain characters.
pub const MAX_SEGMENTS_PER_TEXT: usize = 10;
/// The most segments sent to one address by one business in an hour; past it, texts are
/// refused (marked failed, `hourly_cap`) until the hour has passed.
pub const MAX_SEGMENTS_PER_HOUR: i64 = 40;

/// Stores a text and queues its sending; with `key`, once only (a retried job queues nothing the
/// second time). Returns how many were queued.
#[allow(clippy::too_many_arguments)]
pub async fn queue_text<E: Exec>(
    t: &mut Tenant<E>,
    conversation: Option<&ConversationId>,
    channel: Channel,
    purpose: &str,
    from: &str,
    to: &str,
    body: &str,
    key: Option<String>,
    now: i64,
) -> Result<usize, StoreError> {
    if already_queued(t, key.as_deref()).await? {
        return Ok(0);
    }
    let (from, to) = if channel == Channel::Whatsapp {
        (
            format!("whatsapp:{}", bare(from)),
            format!("whatsapp:{}", bare(to)),
        )
    } else {
        (from.to_owned(), to.to_owned())
    };
    let body = segments::cap(body, MAX_SEGMENTS_PER_TEXT);
    let mut n = 0;
    for (i, part) in segments::split_messages(&body, segments::MAX_MESSAGE_CHARS)
        .iter()
        .enumerate()
    {
        let Some(m) = t
            .add_text(
                &NewText {
                    conversation,
                    channel,
                    direction: Direction::Outbound,
                    purpose,
                    sid: None,
                    from: &from,
                    to: &to,
                    body: part,
                    segments: segments::count(part) as i64,
                    status: TextStatus::Pending,
                },
                now,
            )
            .await?
        else {
            continue;
        };
        let key = match &key {
            Some(k) if i == 0 => k.clone(),
            Some(k) => format!("{k}:{i}"),
            None => format!("text-out:{}", m.id),
        };
        let job = SendText {
            business: t.business_id().clone(),
            text: m.id,
        };
        jobs::enqueue(t, &job, now, key, now).await?;
        n += 1;
    }
    Ok(n)
}

/// Stores an e-mail and queues its sending; with `key`, once only.
#[allow(clippy::too_many_arguments)]
pub async fn queue_email<E: Exec>(
    t: &mut Tenant<E>,
    conversation: Option<&ConversationId>,
    purpose: &str,
    to: &str,
    subject: &str,
    body: &str,
    key: Option<String>,
    now: i64,
) -> Result<usize, StoreError> {
    if already_queued(t, key.as_deref()).await? {
        return Ok(0);
    }
    let e = t
        .add_email(
            &NewEmail {
                conversation,
                purpose,
                to,
                subject,
                body,
            },
            now,
        )
        .await?;
    let key = key.unwrap_or_else(|| format!("email:{}", e.id));
    let job = SendEmail {
        business: t.business_id().clone(),
        email: e.id,
    };
    jobs::enqueue(t, &job, now, key, now).await?;
    Ok(1)
}

/// A keyed notice is queued once: a retried job that would queue it again finds its key.
async fn already_queued<E: Exec>(t: &mut Tenant<E>, key: Option<&str>) -> Result<bool, StoreError> {
    match key {
        Some(k) => t.job_exists(k).await,
        None => Ok(false),
    }
}

/// An e-mail to the owner (`owner_alerts.email`) stored under `purpose`, at most once a day.
pub async fn email_owner_once_a_day(
    desk: &Desk,
    b: &BusinessId,
    t: &mut Tenant<Db>,
    p: &Profile,
    purpose: &str,
    subject: &str,
    body: &str,
) -> Result<(), StoreError> {
    let Some(to) = p.owner_alerts.as_ref().and_then(|a| a.email.as_ref()) else {
        return Ok(());
    };
    if desk.mailer.is_none() {
        return Ok(());
    }
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let key = format!("{purpose}:{b}:{day}");
    queue_email(
        t,
        None,
        purpose,
        to.as_str(),
        subject,
        body,
        Some(key),
        now_ms(),
    )
    .await?;
    desk.wake_jobs();
    Ok(())
}
