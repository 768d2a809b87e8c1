//! Conversations: the list (newest first, by channel, a page at a time) and one conversation
//! with its transcript: what each turn was read as (intent, confidence), what the agent did,
//! and for a call its status, length, cost and recording.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_engine::agent::Channel;
use frontdesk_store::ConversationId;
use frontdesk_store::conversations::{Conversation, ConversationFilter};
use frontdesk_store::states::MessageRole;
use maud::{Markup, html};
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, not_found, outcome, page, respond};
use super::{Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;

/// Conversations per page.
const PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    b: Option<String>,
    /// Only this channel (`voice`, `sms`, `whatsapp`, `web`, `api`, `cli`).
    channel: Option<String>,
    /// The page after this conversation id.
    before: Option<String>,
}

pub(super) fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Voice => "Call",
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
        Channel::Web => "Web chat",
        Channel::Cli => "Command line",
        Channel::Api => "API",
    }
}

pub async fn list(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    outcome(render_list(&st, &signed, q).await, None)
}

async fn render_list(st: &AppState, signed: &Signed, q: ListQuery) -> Result<Response, ApiError> {
    let Some(scope) = chosen(st, signed, q.b.as_deref()).await? else {
        return Ok(not_found());
    };
    let (visible, business, tz) = (&scope.visible, &scope.business, scope.tz());
    let channel = q.channel.as_deref().and_then(Channel::parse);
    let mut rows = st
        .db
        .tenant(&business.id)
        .conversations(&ConversationFilter {
            channel,
            before: q.before.clone().filter(|b| !b.is_empty()),
            limit: PAGE + 1,
            ..ConversationFilter::default()
        })
        .await?;
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let slug = &business.slug;
    let chrome = Chrome::new(signed, Some(slug));
    let main = html! {
        (picker("/app/conversations", visible, business))
        section.heading {
            h1 { "Conversations" }
            p.muted { (business.name) ": every call, text and chat, newest first." }
        }
        form.filters method="get" action="/app/conversations" {
            input type="hidden" name="b" value=(slug);
            label for="channel" { "Channel" }
            select #channel name="channel" {
                option value="" selected[channel.is_none()] { "All" }
                @for c in [Channel::Voice, Channel::Sms, Channel::Whatsapp, Channel::Web, Channel::Api] {
                    option value=(c.as_str()) selected[channel == Some(c)] { (channel_label(c)) }
                }
            }
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            section.card.empty {
                p { "No conversations yet. When someone calls, texts or chats, it shows here." }
            }
        } @else {
            ul.rows {
                @for c in &rows {
                    (row(c, slug, tz))
                }
            }
            @if more {
                @if let Some(last) = rows.last() {
                    p.more {
                        a href={ "/app/conversations?b=" (slug) "&channel=" (channel.map(Channel::as_str).unwrap_or("")) "&before=" (last.id.as_str()) } { "Older conversations" }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Conversations", Some(&chrome), main),
    ))
}

fn row(c: &Conversation, slug: &str, tz: chrono_tz::Tz) -> Markup {
    html! {
        li.row {
            a href={ "/app/conversations/" (c.id.as_str()) "?b=" (slug) } {
                span.kind { (channel_label(c.channel)) }
                span.who { (c.address.as_deref().unwrap_or("Unknown caller")) }
                span.when { (local_time(c.created_at, tz, "%a %-d %b, %-I:%M %p")) }
                span.turns.muted { (turns(c.turns)) " · " (c.status.as_str()) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    b: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    outcome(render_show(&st, &signed, &id, q).await, None)
}

async fn render_show(
    st: &AppState,
    signed: &Signed,
    id: &str,
    q: ShowQuery,
) -> Result<Response, ApiError> {
    let Some(scope) = chosen(st, signed, q.b.as_deref()).await? else {
        return Ok(not_found());
    };
    let (business, tz) = (&scope.business, scope.tz());
    let conv_id = ConversationId::parse(id).ok_or(ApiError::NotFound)?;
    let mut t = st.db.tenant(&business.id);
    let conv = t.conversation(&conv_id).await?;
    let transcript = t.transcript(&conv_id).await?;
    let call = t.call_of_conversation(&conv_id).await?;
    let chrome = Chrome::new(signed, Some(&business.slug));
    let main = html! {
        p.back { a href={ "/app/conversations?b=" (business.slug) } { "← All conversations" } }
        section.heading {
            h1 { (channel_label(conv.channel)) " with " (conv.address.as_deref().unwrap_or("an unknown caller")) }
            p.muted { (local_time(conv.created_at, tz, "%A %-d %B %Y, %-I:%M %p")) " · " (turns(conv.turns)) " · " (conv.status.as_str()) }
        }
        @if let Some(c) = &call {
            dl.facts {
                dt { "Call status" } dd { (c.status.as_str()) }
                @if let Some(o) = c.outcome { dt { "Outcome" } dd { (o.as_str()) } }
                @if let Some(d) = c.duration_secs { dt { "Length" } dd { (d / 60) " min " (d % 60) " s" } }
                @if let Some(p) = &c.price { dt { "Cost" } dd { (p.trim_start_matches('-')) " " (c.price_unit.as_deref().unwrap_or("")) } }
                @if let Some(t) = &c.transfer_status { dt { "Transfer" } dd { (t) } }
                @if let Some(u) = &c.recording_url { dt { "Recording" } dd { a href=(u) rel="noreferrer" { "Listen at Twilio" } } }
            }
        }
        @if transcript.is_empty() {
            section.card.empty { p { "Nothing was said yet." } }
        } @else {
            ol.transcript {
                @for m in &transcript {
                    @let caller = m.role == MessageRole::Caller;
                    li.turn.caller[caller].agent[!caller] {
                        span.speaker { @if caller { "Caller" } @else { (m.role.as_str()) } }
                        p.said { (m.text) }
                        span.meta.muted {
                            (local_time(m.created_at, tz, "%-I:%M:%S %p"))
                            @if let Some(i) = &m.intent { " · read as " (i) }
                            @if let Some(c) = m.confidence { " (" (format!("{:.0}%", c * 100.0)) ")" }
                            @if let Some(a) = m.actions.as_ref().and_then(|a| a.as_array()).filter(|a| !a.is_empty()) {
                                " · did: " (actions(a))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Conversation", Some(&chrome), main),
    ))
}

/// "1 turn", "3 turns".
fn turns(n: i64) -> String {
    if n == 1 {
        "1 turn".to_owned()
    } else {
        format!("{n} turns")
    }
}

/// What the agent did in a turn, in a few words: the kinds of its actions.
fn actions(a: &[serde_json::Value]) -> String {
    a.iter()
        .filter_map(|x| {
            x.get("type")
                .or_else(|| x.get("kind"))
                .and_then(|t| t.as_str())
                .map(|t| t.replace('_', " "))
                .or_else(|| x.as_object().and_then(|o| o.keys().next().cloned()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
