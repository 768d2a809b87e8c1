//! The owner's home: today at a glance, each figure against the same time yesterday, in the
//! business's own time zone. An operator (or a member of several businesses) switches business
//! with the picker at the top.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, TimeZone, Utc};
use frontdesk_store::businesses::Business;
use frontdesk_store::conversations::ConversationFilter;
use frontdesk_store::now_ms;
use frontdesk_store::stats::Counts;
use maud::{Markup, html};
use serde::Deserialize;

use super::Signed;
use super::layout::{Chrome, outcome, page, respond};
use crate::AppState;
use crate::error::ApiError;

/// Conversations the live feed starts with.
const RECENT: u32 = 10;

#[derive(Deserialize)]
pub struct HomeQuery {
    /// The business to show: its slug or id (default: the first one the person may see).
    b: Option<String>,
}

pub async fn home(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<HomeQuery>,
) -> Response {
    outcome(render(&st, &signed, q).await, None)
}

async fn render(st: &AppState, signed: &Signed, q: HomeQuery) -> Result<Response, ApiError> {
    let Some(scope) = super::chosen(st, signed, q.b.as_deref()).await? else {
        let chrome = Chrome::new(signed, None);
        let main = html! {
            section.card.narrow {
                h1 { "No business yet" }
                p { "You are not a member of any business. Ask its owner to add you, or the operator to set one up." }
            }
        };
        return Ok(respond(StatusCode::OK, page("Home", Some(&chrome), main)));
    };
    let (visible, business) = (&scope.visible, &scope.business);
    let chrome = Chrome::of(signed, &scope);
    let id = business.id.clone();
    let p = &scope.loaded.profile;
    let tz = scope.tz();
    let now = now_ms();
    let local_now = Utc
        .timestamp_millis_opt(now)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz);
    let midnight = local_now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| tz.from_local_datetime(&m).earliest())
        .map_or(now - 86_400_000, |m| m.timestamp_millis());
    let day = Duration::days(1).num_milliseconds();
    let mut t = st.db.tenant(&id);
    let today = t.counts(midnight, now + 1).await?;
    let before = t.counts(midnight - day, now - day + 1).await?;
    let recent = t
        .conversations(&ConversationFilter {
            limit: RECENT,
            ..ConversationFilter::default()
        })
        .await?;
    let main = html! {
        (picker("/app", visible, business))
        section.heading {
            h1 { (p.name.as_str()) }
            p.muted { "Today so far, " (local_now.format("%A %-d %B, %-I:%M %p")) ", against the same time yesterday." }
        }
        (tiles(&today, &before, p.currency.as_str(), &Offers {
            bookings: !p.services.is_empty(),
            reservations: !p.units.is_empty(),
            orders: !p.menu.is_empty(),
        }))
        section.live aria-labelledby="live-h" {
            h2 #live-h { "Live" }
            p.muted { "New calls, texts and chats appear here as they happen, with what is said." }
            @if recent.is_empty() {
                p #feed-empty.empty { "Nothing yet today. The next call or message shows here." }
            }
            ol #feed aria-live="polite" data-live={ "/app/live?b=" (business.slug) } data-business=(business.slug) {
                @for c in &recent {
                    li.live-item data-conversation=(c.id.as_str()) {
                        div.live-head {
                            a href={ "/app/conversations/" (c.id.as_str()) "?b=" (business.slug) } {
                                (super::conversations::channel_label(c.channel)) " · " (c.address.as_deref().unwrap_or("unknown caller"))
                            }
                            span.muted { (super::local_time(c.created_at, tz, "%-I:%M %p")) }
                        }
                        ol.live-turns {}
                    }
                }
            }
            script src="/static/live.js" defer {}
        }
    };
    Ok(respond(StatusCode::OK, page("Home", Some(&chrome), main)))
}

/// A plain form (no script) that switches business, when there is more than one.
pub(super) fn picker(action: &str, visible: &[Business], current: &Business) -> Markup {
    html! {
        @if visible.len() > 1 {
            form.picker method="get" action=(action) {
                label for="b" { "Business" }
                select #b name="b" {
                    @for b in visible {
                        option value=(b.slug) selected[b.id == current.id] { (b.name) }
                    }
                }
                button type="submit" { "Show" }
            }
        }
    }
}

/// What the business offers, so a plumber's home shows no orders and a pizzeria's no
/// reservations.
struct Offers {
    bookings: bool,
    reservations: bool,
    orders: bool,
}

/// One tile per figure: today's count, and how it compares with yesterday.
fn tiles(today: &Counts, before: &Counts, currency: &str, offers: &Offers) -> Markup {
    let all: [(&str, i64, i64, bool); 11] = [
        ("Calls", today.calls, before.calls, false),
        ("Text conversations", today.texts, before.texts, false),
        ("Web chats", today.web_chats, before.web_chats, false),
        ("Bookings", today.bookings, before.bookings, false),
        (
            "Reservations",
            today.reservations,
            before.reservations,
            false,
        ),
        ("Orders", today.orders, before.orders, false),
        ("Messages taken", today.messages, before.messages, false),
        ("Transfers", today.transfers, before.transfers, false),
        ("Emergencies", today.emergencies, before.emergencies, true),
        (
            "Unanswered questions",
            today.unanswered,
            before.unanswered,
            false,
        ),
        ("Order value", today.order_cents, before.order_cents, false),
    ];
    let rows = all.into_iter().filter(|(label, ..)| match *label {
        "Bookings" => offers.bookings,
        "Reservations" => offers.reservations,
        "Orders" | "Order value" => offers.orders,
        _ => true,
    });
    html! {
        ul.tiles {
            @for (label, now, then, urgent) in rows {
                @let money = label == "Order value";
                li.tile.urgent[urgent && now > 0] {
                    span.label { (label) }
                    span.value { @if money { (amount(now, currency)) } @else { (now) } }
                    span.delta { (delta(now, then, money.then_some(currency))) }
                }
            }
        }
    }
}

/// "+3 on yesterday", "2 fewer than yesterday", "same as yesterday".
fn delta(now: i64, then: i64, money: Option<&str>) -> String {
    let d = now - then;
    let show = |v: i64| match money {
        Some(c) => amount(v, c),
        None => v.to_string(),
    };
    match d {
        0 => "same as yesterday".to_owned(),
        d if d > 0 => format!("+{} on yesterday", show(d)),
        d => format!("{} fewer than yesterday", show(-d)),
    }
}

/// Cents as money: "$12.50" for dollars, "12.50 EUR" otherwise.
fn amount(cents: i64, currency: &str) -> String {
    let s = format!("{}.{:02}", cents / 100, (cents % 100).abs());
    if currency == "USD" {
        format!("${s}")
    } else {
        format!("{s} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_english() {
        assert_eq!(delta(5, 2, None), "+3 on yesterday");
        assert_eq!(delta(1, 3, None), "2 fewer than yesterday");
        assert_eq!(delta(4, 4, None), "same as yesterday");
        assert_eq!(delta(1250, 0, Some("USD")), "+$12.50 on yesterday");
        assert_eq!(amount(905, "EUR"), "9.05 EUR");
    }
}
