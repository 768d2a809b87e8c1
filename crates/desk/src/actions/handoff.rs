//! Handing a conversation to a person: a transfer the caller asked for, and an emergency, which
//! alerts the owner at once and, per the profile, transfers the call.

use frontdesk_store::{Exec, StoreError, Tenant};
use serde_json::json;

use super::{Cx, Done};
use crate::notify::quote;

pub async fn transfer<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    reason: &str,
) -> Result<Done, StoreError> {
    cx.timeline(
        t,
        "transferred",
        &format!("Transferred to a person ({reason})"),
        json!({}),
    )
    .await?;
    Ok(Done::Kept(Default::default()))
}

pub async fn emergency<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    text: &str,
    transfer: bool,
    alert_owner: bool,
) -> Result<Done, StoreError> {
    let mut q = Default::default();
    if alert_owner {
        let n = &cx.notices;
        let p = n.profile;
        let who = n.who();
        let next = match (transfer, &p.transfer_phone) {
            (true, Some(to)) => format!(" Transferring to {}.", to.as_str()),
            _ => " Call them back now.".to_owned(),
        };
        let sms = format!(
            "EMERGENCY for {}: {who} says \"{}\".{next}",
            p.name,
            quote(text)
        );
        let subject = format!("EMERGENCY: {who}: {}", quote(text));
        let body = format!(
            "An emergency call for {}.\n\n{who} said:\n\n{text}\n\n{}\n{}",
            p.name,
            n.contact_lines(),
            next.trim()
        );
        // Its own purpose: an emergency goes out even when the day's texts are spent.
        q = n
            .owner_as(t, "emergency_alert", &sms, &subject, &body)
            .await?;
    }
    cx.timeline(
        t,
        "emergency",
        &format!("Emergency: {text}"),
        json!({"transfer": transfer}),
    )
    .await?;
    Ok(Done::Kept(q))
}
