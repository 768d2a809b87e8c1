//! Orders: placing one for pickup or delivery with the customer's confirmation, and cancelling
//! one (refused, in words, when its status no longer allows it).

use frontdesk_engine::Money;
use frontdesk_engine::agent::{self, Contact, Fulfillment, PricedLine};
use frontdesk_store::orders::NewOrder;
use frontdesk_store::states::OrderStatus;
use frontdesk_store::{Exec, RecordId, StoreError, Tenant};
use serde_json::json;

use super::{Cx, Done};
use crate::notify::letter;

/// An order as the caller agreed to it.
pub struct Requested<'a> {
    pub lines: &'a [PricedLine],
    pub fulfillment: Fulfillment,
    pub address: Option<&'a str>,
    pub subtotal: Money,
    pub delivery_fee: Money,
    pub total: Money,
}

pub async fn place<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    o: &Requested<'_>,
    contact: &Contact,
) -> Result<Done, StoreError> {
    let f = match o.fulfillment {
        Fulfillment::Pickup => "pickup",
        Fulfillment::Delivery => "delivery",
    };
    let order = t
        .place_order(
            &NewOrder {
                customer: cx.customer,
                conversation: cx.conversation(),
                lines: serde_json::to_string(o.lines)
                    .map_err(|e| StoreError::backend("encoding order lines", e))?,
                fulfillment: f,
                address: o.address,
                subtotal_cents: o.subtotal.cents(),
                delivery_fee_cents: o.delivery_fee.cents(),
                total_cents: o.total.cents(),
            },
            cx.now(),
        )
        .await?;
    let summary = summary(&serde_json::to_value(o.lines).unwrap_or_default());
    let n = cx.to(contact);
    let p = n.profile;
    let total = o.total;
    let how = match (f, o.address) {
        ("delivery", Some(a)) => format!("for delivery to {a}"),
        ("delivery", None) => "for delivery".to_owned(),
        _ => "for pickup".to_owned(),
    };
    let sms = format!(
        "{}: we have your order {how}: {summary}. Total ${total}. Call {} with any questions.",
        p.name,
        p.phone.as_str()
    );
    let subject = format!("Your order from {}: ${total}", p.name);
    let body = letter(
        p,
        n.to.name,
        &format!("we have your order {how}:\n\n  {summary}\n\nTotal: ${total}"),
        "To change it, call us as soon as you can.",
    );
    let q = n.customer(t, "confirmation", &sms, &subject, &body).await?;
    cx.timeline(
        t,
        "order_placed",
        &format!("Order for {f}, total ${total}"),
        json!({"order_id": order.id}),
    )
    .await?;
    Ok(Done::Kept(q))
}

pub async fn cancel<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    order_id: &RecordId,
) -> Result<Done, StoreError> {
    match t
        .set_order_status(order_id, OrderStatus::Cancelled, cx.now())
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict(m)) => {
            return Ok(Done::Refused {
                reply: format!("I'm sorry, I couldn't cancel it: {m}."),
                resume: false,
            });
        }
        Err(e) => return Err(e),
    }
    cx.timeline(
        t,
        "order_cancelled",
        "Cancelled an order",
        json!({"order_id": order_id}),
    )
    .await?;
    Ok(Done::Kept(Default::default()))
}

/// "2 large pepperoni pizza and 1 garlic knots", from an order's stored lines.
pub fn summary(lines: &serde_json::Value) -> String {
    let parts: Vec<String> = lines
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    let q = l.get("quantity").and_then(|v| v.as_u64()).unwrap_or(1);
                    let item = l
                        .get("item")
                        .and_then(|v| v.as_str())
                        .unwrap_or("item")
                        .to_lowercase();
                    format!("{q} {item}")
                })
                .collect()
        })
        .unwrap_or_default();
    agent::say::list(&parts)
}
