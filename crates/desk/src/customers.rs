//! The customer a conversation is with: found by phone or e-mail, created when new (and
//! announced to the owner as a lead), and completed with what they tell the agent.

use frontdesk_engine::agent::{Contact, State};
use frontdesk_engine::{Email, PhoneE164};
use frontdesk_store::customers::{CustomerFields, CustomerFilter};
use frontdesk_store::{CustomerId, Exec, StoreError, Tenant};

use frontdesk_engine::agent::Channel;
use frontdesk_store::BusinessId;
use serde::{Deserialize, Serialize};

use crate::Desk;
use crate::jobs::{self, Job};
use crate::notify::{Notices, Queued, Recipient, Senders, channel_name, quote};

/// At most one new-lead alert goes to the owner in this long; the next names how many more came.
pub const LEAD_ALERT_EVERY_MS: i64 = 15 * 60_000;

/// Alerts the owner to a customer the business did not know, with what they first said: at
/// most once per [`LEAD_ALERT_EVERY_MS`] (a flood of visitors is one alert, not a text each),
/// saying how many other new customers came since the last alert.
pub async fn lead<E: Exec>(
    t: &mut Tenant<E>,
    n: &Notices<'_>,
    said: &str,
) -> Result<Queued, StoreError> {
    let last = t.last_notice_at(LEAD_ALERT).await?;
    if let Some(l) = last.filter(|l| n.now - l < LEAD_ALERT_EVERY_MS) {
        // Held back; when the window ends, a digest names whoever came meanwhile (once per
        // window, however many came).
        let digest = LeadDigest {
            business: t.business_id().clone(),
            since: l,
        };
        jobs::enqueue(
            t,
            &digest,
            l + LEAD_ALERT_EVERY_MS,
            format!("lead-digest:{l}"),
            n.now,
        )
        .await?;
        return Ok(Queued::default());
    }
    // The customers after the last alert's own (made at the instant it was queued), less this one.
    let others = match last {
        Some(l) => (t.customers_created_since(l + 1).await? - 1).max(0),
        None => 0,
    };
    let p = n.profile;
    let who = n.who();
    let by = channel_name(n.to.channel);
    let more = match others {
        0 => String::new(),
        1 => " (and 1 other new customer since the last alert)".to_owned(),
        k => format!(" (and {k} other new customers since the last alert)"),
    };
    let sms = format!(
        "{}: new lead {who} by {by}{more}: \"{}\"",
        p.name,
        quote(said)
    );
    let subject = format!("New lead: {who}");
    let body = format!(
        "A new customer reached {} by {by}.\n\n{}\nThey said: {said}",
        p.name,
        n.contact_lines()
    ) + &more;
    n.owner_as(t, LEAD_ALERT, &sms, &subject, &body).await
}

/// The purpose new-lead alerts are stored under.
const LEAD_ALERT: &str = "lead_alert";

/// At the end of a window in which lead alerts were held back: one alert naming how many new
/// customers came since the last one, unless a later alert already did.
#[derive(Serialize, Deserialize)]
pub struct LeadDigest {
    pub business: BusinessId,
    /// When the last alert went.
    pub since: i64,
}

impl Job for LeadDigest {
    const KIND: &'static str = "notify.lead_digest";
    const CONCURRENCY: usize = 2;

    async fn run(self, desk: Desk) -> Result<(), String> {
        lead_digest(&desk, &self)
            .await
            .map_err(|e| format!("{e:#}"))
    }
}

async fn lead_digest(desk: &Desk, job: &LeadDigest) -> anyhow::Result<()> {
    let b = &job.business;
    let loaded = desk.host.load(&mut desk.db.tenant(b)).await?;
    let p = &loaded.profile;
    let mut tx = desk.db.begin().await?;
    let mut t = tx.tenant(b);
    // A later alert has gone (and counted them), or nobody came: nothing to say.
    if t.last_notice_at(LEAD_ALERT).await? != Some(job.since) {
        return Ok(());
    }
    let came = t.customers_created_since(job.since + 1).await?;
    if came == 0 {
        return Ok(());
    }
    let now = frontdesk_store::now_ms();
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(job.since).unwrap_or_default();
    let time = at.with_timezone(&p.timezone.0).format("%-I:%M %p");
    let what = if came == 1 {
        "1 new customer".to_owned()
    } else {
        format!("{came} new customers")
    };
    let sms = format!("{}: {what} since {time}. See them in frontdesk.", p.name);
    let subject = format!("{what} since {time}");
    let body = format!(
        "{} had {what} since the last alert at {time}. Their details are on the customers page.",
        p.name
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
    };
    notices
        .owner_as(&mut t, LEAD_ALERT, &sms, &subject, &body)
        .await?;
    tx.commit().await?;
    desk.wake_jobs();
    Ok(())
}

pub(crate) async fn find_customer<E: Exec>(
    t: &mut Tenant<E>,
    phone: Option<&PhoneE164>,
    email: Option<&Email>,
) -> Result<Option<CustomerId>, StoreError> {
    if phone.is_none() && email.is_none() {
        return Ok(None);
    }
    for f in [
        phone.map(|p| CustomerFilter {
            phone: Some(p.clone()),
            limit: 1,
            ..Default::default()
        }),
        email.map(|e| CustomerFilter {
            email: Some(e.clone()),
            limit: 1,
            ..Default::default()
        }),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(c) = t.customers(&f).await?.into_iter().next() {
            return Ok(Some(c.id));
        }
    }
    Ok(None)
}

/// The customer this conversation is with: matched by phone or e-mail, created when new (then
/// the flag is true), and given the name and contact details the caller has told us.
pub(crate) async fn resolve_customer<E: Exec>(
    t: &mut Tenant<E>,
    state: &State,
    linked: Option<&CustomerId>,
    now: i64,
) -> Result<(Option<CustomerId>, bool), StoreError> {
    let c = &state.contact;
    let phone = c.phone.as_ref();
    let email = c.email.as_ref();
    let id = match linked.cloned() {
        Some(id) => Some(id),
        None => find_customer(t, phone, email).await?,
    };
    let Some(id) = id else {
        if phone.is_none() && email.is_none() {
            return Ok((None, false));
        }
        let fields = CustomerFields {
            name: c.name.clone(),
            phone: phone.cloned(),
            email: email.cloned(),
            ..Default::default()
        };
        return Ok((Some(t.create_customer(&fields, now).await?.id), true));
    };
    let cur = t.customer(&id).await?;
    let mut f = CustomerFields {
        name: cur.name.clone(),
        phone: cur.phone.clone(),
        email: cur.email.clone(),
        notes: cur.notes.clone(),
        tags: cur.tags.clone(),
    };
    let mut changed = false;
    if f.name.is_none() && c.name.is_some() {
        f.name = c.name.clone();
        changed = true;
    }
    if f.phone.is_none() && phone.is_some() {
        f.phone = phone.cloned();
        changed = true;
    }
    if f.email.is_none() && email.is_some() {
        f.email = email.cloned();
        changed = true;
    }
    if changed {
        // Another customer may already hold that phone or e-mail: keep the record as it is.
        match t.update_customer(&id, &f, now).await {
            Ok(_) | Err(StoreError::Taken(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((Some(id), false))
}

/// What the conversation knows of the customer, completed from their record when an action
/// may notify them.
pub(crate) async fn known_contact<E: Exec>(
    t: &mut Tenant<E>,
    state: &State,
    customer: Option<&CustomerId>,
    acting: bool,
) -> Result<Contact, StoreError> {
    let mut c = state.contact.clone();
    if let Some(id) = customer.filter(|_| acting) {
        let rec = t.customer(id).await?;
        c.name = c.name.or(rec.name);
        c.phone = c.phone.or(rec.phone);
        c.email = c.email.or(rec.email);
    }
    Ok(c)
}
