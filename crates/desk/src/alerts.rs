//! Owner alerts that a flood could multiply: a new lead, a message taken. Of each kind at most
//! one goes to the owner in [`EVERY_MS`]; what comes meanwhile is held back, and when the
//! window ends one digest says how many came ("5 new messages since 2:05 PM"), unless a later
//! alert already counted them. Sixty anonymous visitors are two texts to the owner, not sixty.
//! Emergencies never wait here: they go at once (see `actions::handoff`).

use frontdesk_engine::agent::Channel;
use frontdesk_store::{BusinessId, Exec, StoreError, Tenant};
use serde::{Deserialize, Serialize};

use crate::Desk;
use crate::jobs::{self, Job};
use crate::notify::{Notices, Queued, Recipient, Senders};

/// At most one alert of a kind goes to the owner in this long.
pub const EVERY_MS: i64 = 15 * 60_000;

/// A kind of owner alert that is batched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A customer the business did not know.
    #[default]
    Lead,
    /// A message the agent took (or a voicemail).
    Message,
}

impl Kind {
    /// What the alerts are stored under, so the last one can be found.
    pub fn purpose(self) -> &'static str {
        match self {
            Kind::Lead => "lead_alert",
            Kind::Message => "owner_alert",
        }
    }

    /// How many of this kind came since `since`.
    async fn count_since<E: Exec>(self, t: &mut Tenant<E>, since: i64) -> Result<i64, StoreError> {
        match self {
            Kind::Lead => t.customers_created_since(since).await,
            Kind::Message => t.messages_taken_since(since).await,
        }
    }

    /// "1 new customer", "3 new messages".
    fn count(self, n: i64) -> String {
        let (one, many) = match self {
            Kind::Lead => ("new customer", "new customers"),
            Kind::Message => ("new message", "new messages"),
        };
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    }

    /// Where the owner finds them.
    fn page(self) -> &'static str {
        match self {
            Kind::Lead => "the customers page",
            Kind::Message => "the inbox",
        }
    }
}

/// Sends the alert `compose` makes, unless one of this kind went in the last [`EVERY_MS`]: then
/// it is held back for the window's digest. `compose` gets what to add when others came since
/// the last alert (empty when none did) and returns the SMS, the subject and the body.
pub async fn send<E: Exec>(
    t: &mut Tenant<E>,
    n: &Notices<'_>,
    kind: Kind,
    compose: impl FnOnce(&str) -> (String, String, String),
) -> Result<Queued, StoreError> {
    let last = t.last_notice_at(kind.purpose()).await?;
    if let Some(l) = last.filter(|l| n.now - l < EVERY_MS) {
        // Held back; when the window ends, a digest names whatever came meanwhile (once per
        // window and kind, however many came).
        let digest = Digest {
            business: t.business_id().clone(),
            kind,
            since: l,
        };
        jobs::enqueue(
            t,
            &digest,
            l + EVERY_MS,
            format!("alert-digest:{}:{l}", kind.purpose()),
            n.now,
        )
        .await?;
        return Ok(Queued {
            messages: 0,
            // The owner hears of it in the digest.
            owner: kind == Kind::Message,
        });
    }
    // Those after the last alert's own (made at the instant it was queued), less this one.
    let others = match last {
        Some(l) => (kind.count_since(t, l + 1).await? - 1).max(0),
        None => 0,
    };
    let more = match others {
        0 => String::new(),
        k => format!(" (and {} since the last alert)", other(kind, k)),
    };
    let (sms, subject, body) = compose(&more);
    n.owner_as(t, kind.purpose(), &sms, &subject, &body).await
}

/// "1 other new customer", "4 other new messages".
fn other(kind: Kind, k: i64) -> String {
    kind.count(k).replacen(' ', " other ", 1)
}

/// At the end of a window in which alerts of a kind were held back: one alert naming how many
/// came since the last one, unless a later alert already did.
#[derive(Serialize, Deserialize)]
pub struct Digest {
    pub business: BusinessId,
    /// Jobs queued before messages were batched too carry no kind: they were for leads.
    #[serde(default)]
    pub kind: Kind,
    /// When the last alert went.
    pub since: i64,
}

impl Job for Digest {
    const KIND: &'static str = "notify.alert_digest";
    const CONCURRENCY: usize = 2;

    async fn run(self, desk: Desk) -> Result<(), String> {
        digest(&desk, &self).await.map_err(|e| format!("{e:#}"))
    }
}

async fn digest(desk: &Desk, job: &Digest) -> anyhow::Result<()> {
    let b = &job.business;
    let kind = job.kind;
    let loaded = desk.host.load(&mut desk.db.tenant(b)).await?;
    let p = &loaded.profile;
    let mut tx = desk.db.begin().await?;
    let mut t = tx.tenant(b);
    // A later alert has gone (and counted them), or nothing came: nothing to say.
    if t.last_notice_at(kind.purpose()).await? != Some(job.since) {
        return Ok(());
    }
    let came = kind.count_since(&mut t, job.since + 1).await?;
    if came == 0 {
        return Ok(());
    }
    let now = frontdesk_store::now_ms();
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(job.since).unwrap_or_default();
    let time = at.with_timezone(&p.timezone.0).format("%-I:%M %p");
    let what = kind.count(came);
    let sms = format!("{}: {what} since {time}. See them in frontdesk.", p.name);
    let subject = format!("{what} since {time}");
    let body = format!(
        "{} had {what} since the last alert at {time}. They are in {}.",
        p.name,
        kind.page()
    );
    let notices = Notices {
        senders: Senders {
            sms: desk.twilio.is_some(),
            email: desk.mailer.is_some(),
        },
        profile: p,
        conversation: None,
        to: Recipient {
            channel: Channel::Api,
            name: None,
            phone: None,
            email: None,
        },
        now,
        links: None,
    };
    notices
        .owner_as(&mut t, kind.purpose(), &sms, &subject, &body)
        .await?;
    tx.commit().await?;
    desk.wake_jobs();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_english() {
        assert_eq!(Kind::Lead.count(1), "1 new customer");
        assert_eq!(Kind::Message.count(5), "5 new messages");
        assert_eq!(other(Kind::Lead, 1), "1 other new customer");
        assert_eq!(other(Kind::Message, 3), "3 other new messages");
    }

    #[test]
    fn a_digest_queued_before_kinds_is_for_leads() {
        let d: Digest = serde_json::from_value(serde_json::json!({
            "business": "01a237e2-94cd-76a8-816b-9876d04a0e6c", "since": 5
        }))
        .unwrap();
        assert_eq!(d.kind, Kind::Lead);
    }
}
