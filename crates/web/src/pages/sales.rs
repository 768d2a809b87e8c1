//! What the agent sold: storage units (occupancy per type, and the reservations, newest first)
//! and orders (newest first, with their value and state). Members who handle conversations
//! (agents and up) cancel a reservation (its unit goes back) and move an order on to completed
//! or cancel it; each change audited. The lifecycles around them (move-ins, the kitchen's
//! steps, payments) come with the operations they belong to.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_store::accounts::Role;
use frontdesk_store::states::{OrderStatus, ReservationStatus, StoredState};
use frontdesk_store::{RecordId, now_ms};
use maud::html;
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

/// Rows listed.
const LIST_MAX: u32 = 200;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
    done: Option<String>,
    /// Only this state.
    status: Option<String>,
}

/// A filter of the list by state: a form that keeps the business.
fn by_state(action: &str, slug: &str, states: &[&str], now: Option<&str>) -> maud::Markup {
    html! {
        form.filters method="get" action=(action) {
            input type="hidden" name="b" value=(slug);
            label for="status" { "State" }
            select #status name="status" {
                option value="" selected[now.is_none()] { "All" }
                @for s in states { option value=(s) selected[now == Some(*s)] { (s.replace('_', " ")) } }
            }
            button type="submit" { "Show" }
        }
    }
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("Changing reservations and orders is for the members who handle conversations."),
    )
}

/// "$1,234.50" style money from cents, in the profile's currency symbol when it is dollars.
fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match currency {
        "USD" | "CAD" | "AUD" | "NZD" => format!("{sign}${grouped}.{:02}", c % 100),
        "EUR" => format!("{sign}€{grouped}.{:02}", c % 100),
        "GBP" => format!("{sign}£{grouped}.{:02}", c % 100),
        other => format!("{sign}{grouped}.{:02} {other}", c % 100),
    }
}

pub async fn units(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let (business, tz) = (&scope.business, scope.tz());
        let may = scope.may(&st, &signed, Role::Agent).await?;
        let p = &scope.loaded.profile;
        let mut t = st.db.tenant(&business.id);
        let counts = t.inventory().await?;
        let units = frontdesk_store::inventory::overlaid(&p.units, &counts).unwrap_or_else(|| p.units.clone());
        let status = q.status.as_deref().and_then(ReservationStatus::parse);
        let list = t.reservations_before(None, status, LIST_MAX).await?;
        let currency = p.currency.as_str();
        let slug = &business.slug;
        let chrome = Chrome::of(&signed, &scope);
        let note = (q.done.as_deref() == Some("cancelled")).then_some("Reservation cancelled; its unit is free again.");
        let main = html! {
            (picker("/app/units", &scope.visible, business))
            section.heading {
                h1 { "Units" }
                p.muted { "How full each unit type is, and the reservations the agent took." }
            }
            @if let Some(n) = note { p.toast role="status" { (n) } }
            @if units.is_empty() {
                section.card.empty { p { "This business rents no units. Add them under Settings, in the profile." } }
            } @else {
                div.calendar-wrap {
                    table.occupancy {
                        caption.visually-hidden { "Occupancy by unit type" }
                        thead { tr { th scope="col" { "Type" } th scope="col" { "Rented" } th scope="col" { "Free" } th scope="col" { "Rate" } } }
                        tbody {
                            @for u in &units {
                                @let used = u.total.saturating_sub(u.available);
                                @let pct = (used * 100).checked_div(u.total).unwrap_or(0);
                                tr {
                                    th scope="row" { (u.unit_type) }
                                    td {
                                        (used) " of " (u.total) " (" (pct) "%)"
                                        br;
                                        meter.bar min="0" max=(u.total) value=(used) aria-label={ (u.unit_type) ": " (pct) "% rented" } { (pct) "%" }
                                    }
                                    td { (u.available) }
                                    td { (u.monthly_rate) " a month" }
                                }
                            }
                        }
                    }
                }
            }
            h2.section-h { "Reservations" }
            (by_state("/app/units", slug, &ReservationStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), status.map(|s| s.as_str())))
            @if list.is_empty() {
                section.card.empty { p { "No reservations yet." } }
            } @else {
                ul.questions {
                    @for r in &list {
                        li.card.message {
                            p.from {
                                strong { (r.unit_type) } " · move-in " (r.move_in) " · " (money(r.monthly_rate_cents, currency)) " a month"
                                " " span.badge.state { (r.status.as_str().replace('_', " ")) }
                            }
                            p.muted.small {
                                "Reserved " (local_time(r.created_at, tz, "%a %-d %b, %-I:%M %p"))
                                @if let Some(p) = &r.promotion { " · " (p) }
                                @if let Some(c) = &r.customer_id { " · " a href={ "/app/customers/" (c.as_str()) "?b=" (slug) } { "the customer" } }
                                @if let Some(c) = &r.conversation_id { " · " a href={ "/app/conversations/" (c.as_str()) "?b=" (slug) } { "the conversation" } }
                            }
                            @if may && r.status == ReservationStatus::Reserved {
                                form.inline method="post" action={ "/app/units/" (r.id.as_str()) "/cancel?b=" (slug) } {
                                    input type="hidden" name="csrf" value=(signed.csrf);
                                    button.danger type="submit" { "Cancel reservation" }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(respond(StatusCode::OK, page("Units", Some(&chrome), main)))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

pub async fn orders(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let (business, tz) = (&scope.business, scope.tz());
        let may = scope.may(&st, &signed, Role::Agent).await?;
        let status = q.status.as_deref().and_then(OrderStatus::parse);
        let list = st
            .db
            .tenant(&business.id)
            .orders_before(0, None, status, LIST_MAX)
            .await?;
        let currency = scope.loaded.profile.currency.as_str();
        let slug = &business.slug;
        let chrome = Chrome::of(&signed, &scope);
        let note = match q.done.as_deref() {
            Some("completed") => Some("Order completed."),
            Some("cancelled") => Some("Order cancelled."),
            _ => None,
        };
        let open = |s: OrderStatus| !matches!(s, OrderStatus::Completed | OrderStatus::Cancelled);
        let main = html! {
            (picker("/app/orders", &scope.visible, business))
            section.heading {
                h1 { "Orders" }
                p.muted { "Orders the agent took, newest first." }
            }
            @if let Some(n) = note { p.toast role="status" { (n) } }
            (by_state("/app/orders", slug, &OrderStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), status.map(|s| s.as_str())))
            @if list.is_empty() {
                section.card.empty { p { "No orders yet. When a customer orders by phone, text or chat, it shows here." } }
            } @else {
                ul.questions {
                    @for o in &list {
                        li.card.message.done[!open(o.status)] {
                            p.from {
                                strong { (money(o.total_cents, currency)) } " · " (o.fulfillment)
                                @if let Some(p) = &o.phone { " · " a href={ "tel:" (p.as_str()) } { (p.as_str()) } }
                                " " span.badge.state { (o.status.as_str().replace('_', " ")) }
                            }
                            p.said { (frontdesk_desk::actions::orders::summary(&o.lines)) }
                            @if let Some(a) = &o.address { p.muted.small { "To " (a) } }
                            p.muted.small {
                                (local_time(o.created_at, tz, "%a %-d %b, %-I:%M %p"))
                                @if let Some(c) = &o.conversation_id { " · " a href={ "/app/conversations/" (c.as_str()) "?b=" (slug) } { "the conversation" } }
                            }
                            @if may && open(o.status) {
                                div.row-actions {
                                    @for (to, label) in [("completed", "Mark completed"), ("cancelled", "Cancel order")] {
                                        form.inline method="post" action={ "/app/orders/" (o.id.as_str()) "/" (to) "?b=" (slug) } {
                                            input type="hidden" name="csrf" value=(signed.csrf);
                                            button.danger[to == "cancelled"] type="submit" { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(respond(StatusCode::OK, page("Orders", Some(&chrome), main)))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `/app/units/{id}/cancel`: cancels a reservation.
pub async fn change_unit(
    st: State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((id, to)): Path<(String, String)>,
    q: Query<Q>,
    body: Bytes,
) -> Response {
    change(st, signed, rid, "units", id, to, q, body).await
}

/// `/app/orders/{id}/{completed|cancelled}`: moves an order on.
pub async fn change_order(
    st: State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((id, to)): Path<(String, String)>,
    q: Query<Q>,
    body: Bytes,
) -> Response {
    change(st, signed, rid, "orders", id, to, q, body).await
}

/// Cancels a reservation or moves an order on: agents and up, with the session's form token,
/// audited.
#[allow(clippy::too_many_arguments)]
async fn change(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    kind: &str,
    id: String,
    to: String,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let rec = RecordId::parse(&id).ok_or(ApiError::NotFound)?;
        let slug = frontdesk_store::businesses::get(&mut st.db.clone(), &bid)
            .await?
            .slug;
        let mut tx = st.db.begin().await?;
        let mut t = tx.tenant(&bid);
        t.lock_business().await?;
        let (action, target, page, done) = match (kind, to.as_str()) {
            ("units", "cancel") => {
                t.cancel_reservation(&rec, now_ms()).await?;
                ("reservation.cancel", "reservation", "units", "cancelled")
            }
            ("orders", "completed" | "cancelled") => {
                let status = if to == "completed" {
                    OrderStatus::Completed
                } else {
                    OrderStatus::Cancelled
                };
                t.set_order_status(&rec, status, now_ms()).await?;
                (
                    "order.status",
                    "order",
                    "orders",
                    if to == "completed" {
                        "completed"
                    } else {
                        "cancelled"
                    },
                )
            }
            _ => return Err(ApiError::NotFound),
        };
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&bid),
            action,
            (target, rec.as_str()),
            serde_json::json!({"to": to, "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Redirect::to(&format!("/app/{page}?b={slug}&done={done}")).into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(ApiError::Conflict(m)) => {
            super::layout::problem(StatusCode::CONFLICT, "Not changed", &m)
        }
        Err(e) => refused(e),
    }
}
