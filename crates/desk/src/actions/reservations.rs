//! Storage units: reserving one for a move-in date at the quoted rate, and the customer's
//! confirmation. The last unit of a size taken meanwhile is refused.

use chrono::NaiveDate;
use frontdesk_engine::Money;
use frontdesk_engine::agent::Contact;
use frontdesk_store::reservations::NewReservation;
use frontdesk_store::{Exec, StoreError, Tenant};
use serde_json::json;

use super::{Cx, Done};
use crate::notify::{address_line, letter};

/// A reservation as the caller agreed to it.
pub struct Requested<'a> {
    pub unit_type: &'a str,
    pub move_in: NaiveDate,
    pub monthly_rate: Money,
    pub promotion: Option<&'a str>,
}

pub async fn reserve<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    r: &Requested<'_>,
    contact: &Contact,
) -> Result<Done, StoreError> {
    let unit_type = r.unit_type;
    let res = t
        .reserve_unit(
            &NewReservation {
                customer: cx.customer,
                conversation: cx.conversation(),
                unit_type,
                move_in: r.move_in,
                monthly_rate_cents: r.monthly_rate.cents(),
                promotion: r.promotion,
            },
            cx.now(),
        )
        .await;
    let res = match res {
        Ok(res) => res,
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::Refused {
                reply: format!(
                    "I'm sorry, the last {unit_type} was just taken. Which other size would you like?"
                ),
                resume: true,
            });
        }
        Err(e) => return Err(e),
    };
    let n = cx.to(contact);
    let p = n.profile;
    let rate = r.monthly_rate;
    let promo = r.promotion.map(|p| format!(" ({p})")).unwrap_or_default();
    let day = r.move_in.format("%a %b %-d");
    let sms = format!(
        "{}: your {unit_type} unit is reserved from {day} at ${rate}/month{promo}.{} Call {} with any questions.",
        p.name,
        address_line(p),
        p.phone.as_str()
    );
    let subject = format!("Your {unit_type} unit is reserved from {day}");
    let body = letter(
        p,
        n.to.name,
        &format!(
            "a {unit_type} unit at {} is reserved for you, moving in on {}, at ${rate} a month{promo}.",
            p.name,
            r.move_in.format("%A, %B %-d, %Y")
        ),
        "Bring a photo ID when you move in. To change the reservation, call us or reply to this e-mail.",
    );
    let q = n.customer(t, "confirmation", &sms, &subject, &body).await?;
    cx.timeline(
        t,
        "unit_reserved",
        &format!("Reserved a {unit_type}, move-in {}", r.move_in),
        json!({"reservation_id": res.id}),
    )
    .await?;
    Ok(Done::Kept(q))
}
