//! The customer a conversation is with: found by phone or e-mail, created when new (and
//! announced to the owner as a lead), and completed with what they tell the agent.

use frontdesk_engine::agent::{Contact, State};
use frontdesk_engine::{Email, PhoneE164};
use frontdesk_store::customers::{CustomerFields, CustomerFilter};
use frontdesk_store::{CustomerId, Exec, StoreError, Tenant};

use crate::alerts;
use crate::notify::{Notices, Queued, channel_name, quote};

/// Alerts the owner to a customer the business did not know, with what they first said:
/// batched ([`alerts`]), so a flood of visitors is one alert and a digest, not a text each.
pub async fn lead<E: Exec>(
    t: &mut Tenant<E>,
    n: &Notices<'_>,
    said: &str,
) -> Result<Queued, StoreError> {
    let p = n.profile;
    let who = n.who();
    let by = channel_name(n.to.channel);
    alerts::send(t, n, alerts::Kind::Lead, |more| {
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
        ) + more;
        (sms, subject, body)
    })
    .await
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
