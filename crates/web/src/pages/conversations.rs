//! Conversations: the list (newest first, by channel, a page at a time) and one conversation
//! with its transcript: what each turn was read as (intent, confidence), what the agent did,
//! and for a call its status, length, cost and recording. The transcript grows as the
//! conversation goes on (`live.js`).
//!
//! **Take-over**: on a text or chat thread, a member who handles conversations (agent and up)
//! takes the thread, answers by hand (sent through the thread's own channel) while the agent
//! stays silent on it, and hands it back. Each step is audited.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use frontdesk_desk::host::takes_over;
use frontdesk_desk::providers::twilio::rest::{recording_sid, recording_sid_in};
use frontdesk_engine::agent::{CallOutcome, Channel};
use frontdesk_store::accounts::Role;
use frontdesk_store::conversations::{Conversation, ConversationFilter};
use frontdesk_store::states::MessageRole;
use frontdesk_store::{ConversationId, UserId, now_ms};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

/// Conversations per page.
const PAGE: u32 = 50;

#[derive(Deserialize, Serialize, Default)]
pub struct ListQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<String>,
    /// Only this channel (`voice`, `sms`, `whatsapp`, `web`, `api`, `cli`).
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    /// How its call ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    /// Started on or after, on or before (the business's days, `YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    /// Part of the customer's number or address.
    #[serde(skip_serializing_if = "Option::is_none")]
    who: Option<String>,
    /// Words said in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    /// The page after this conversation id.
    #[serde(skip)]
    before: Option<String>,
}

/// A form field's text, when not empty.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The instant day `d` (`YYYY-MM-DD`) begins in `tz`, in ms.
fn day_start(d: &str, tz: chrono_tz::Tz) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .map(|d| super::local_midnight(d, tz))
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
    let outcome =
        given(&q.outcome).and_then(|o| CallOutcome::ALL.into_iter().find(|c| c.as_str() == o));
    let mut rows = st
        .db
        .tenant(&business.id)
        .conversations(&ConversationFilter {
            channel,
            before: q.before.clone().filter(|b| !b.is_empty()),
            from: given(&q.from).and_then(|d| day_start(d, tz)),
            until: given(&q.to).and_then(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| day_start(&(d + chrono::Duration::days(1)).to_string(), tz))
            }),
            text: given(&q.q).map(str::to_owned),
            outcome: outcome.map(|o| o.as_str().to_owned()),
            address: given(&q.who).map(str::to_owned),
            limit: PAGE + 1,
            ..ConversationFilter::default()
        })
        .await?;
    let filtered = channel.is_some()
        || outcome.is_some()
        || given(&q.from).is_some()
        || given(&q.to).is_some()
        || given(&q.q).is_some()
        || given(&q.who).is_some();
    let query = serde_urlencoded::to_string(&q).unwrap_or_default();
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let slug = &business.slug;
    let chrome = Chrome::of(signed, &scope);
    let main = html! {
        (picker("/app/conversations", visible, business))
        section.heading {
            h1 { "Conversations" }
            p.muted { (business.name) ": every call, text and chat, newest first." }
        }
        form.filters.search method="get" action="/app/conversations" role="search" {
            input type="hidden" name="b" value=(slug);
            div.field {
                label for="q" { "Words said" }
                input #q type="search" name="q" value=(given(&q.q).unwrap_or(""));
            }
            div.field {
                label for="who" { "Customer's number" }
                input #who type="search" name="who" value=(given(&q.who).unwrap_or("")) inputmode="tel";
            }
            div.field {
                label for="channel" { "Channel" }
                select #channel name="channel" {
                    option value="" selected[channel.is_none()] { "All" }
                    @for c in [Channel::Voice, Channel::Sms, Channel::Whatsapp, Channel::Web, Channel::Api] {
                        option value=(c.as_str()) selected[channel == Some(c)] { (channel_label(c)) }
                    }
                }
            }
            div.field {
                label for="outcome" { "Call outcome" }
                select #outcome name="outcome" {
                    option value="" selected[outcome.is_none()] { "Any" }
                    @for o in CallOutcome::ALL {
                        option value=(o.as_str()) selected[outcome == Some(o)] { (o.as_str()) }
                    }
                }
            }
            div.field {
                label for="from" { "From" }
                input #from type="date" name="from" value=(given(&q.from).unwrap_or(""));
            }
            div.field {
                label for="to" { "To" }
                input #to type="date" name="to" value=(given(&q.to).unwrap_or(""));
            }
            button type="submit" { "Search" }
            @if filtered { a href={ "/app/conversations?b=" (slug) } { "Clear" } }
        }
        @if rows.is_empty() {
            section.card.empty {
                @if filtered { p { "No conversation matches that." } }
                @else { p { "No conversations yet. When someone calls, texts or chats, it shows here." } }
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
                        a href={ "/app/conversations?" (query) "&before=" (last.id.as_str()) } { "Older conversations" }
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

/// A recording's player, with a link to download it (also shown where audio cannot play).
pub fn player(sid: &str, slug: &str, label: &str) -> Markup {
    let src = format!("/app/recordings/{sid}?b={slug}");
    html! {
        div.player {
            audio controls preload="none" src=(src) aria-label=(label) {
                a href=(src) { "Download the recording" }
            }
            a.small href=(src) download={ (sid) ".mp3" } { "Download" }
        }
    }
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
    /// The action just completed, for its confirmation.
    done: Option<String>,
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
    let slug = &business.slug;
    let may_take = takes_over(conv.channel) && scope.may(st, signed, Role::Agent).await?;
    // Who wrote the replies by hand, and who holds the thread, by e-mail.
    let mut people: Vec<(UserId, String)> = Vec::new();
    for id in transcript
        .iter()
        .filter_map(|m| m.author_id.as_ref())
        .chain(conv.held_by.as_ref())
    {
        if !people.iter().any(|(p, _)| p == id) {
            let email = frontdesk_store::accounts::user(&mut st.db.clone(), id)
                .await
                .map(|u| u.email)
                .unwrap_or_else(|_| "a former member".to_owned());
            people.push((id.clone(), email));
        }
    }
    let who = |id: &UserId| {
        people
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, e)| e.as_str())
            .unwrap_or("a member")
    };
    let note = match q.done.as_deref() {
        Some("taken") => Some("You hold this thread: the AI stays silent until you hand it back."),
        Some("sent") => Some("Sent."),
        Some("released") => Some("Handed back: the AI answers this thread again."),
        _ => None,
    };
    let base = format!("/app/conversations/{}", conv.id.as_str());
    let chrome = Chrome::of(signed, &scope);
    let main = html! {
        p.back { a href={ "/app/conversations?b=" (slug) } { "← All conversations" } }
        section.heading {
            h1 { (channel_label(conv.channel)) " with " (conv.address.as_deref().unwrap_or("an unknown caller")) }
            p.muted { (local_time(conv.created_at, tz, "%A %-d %B %Y, %-I:%M %p")) " · " (turns(conv.turns)) " · " (conv.status.as_str()) }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        @if let Some(h) = &conv.held_by {
            p.notice { "Answered by hand by " strong { (who(h)) } ": the AI is silent on this thread." }
        }
        @if let Some(c) = &call {
            dl.facts {
                dt { "Call status" } dd { (c.status.as_str()) }
                @if let Some(o) = c.outcome { dt { "Outcome" } dd { (o.as_str()) } }
                @if let Some(d) = c.duration_secs { dt { "Length" } dd { (d / 60) " min " (d % 60) " s" } }
                @if let Some(p) = &c.price { dt { "Cost" } dd { (p.trim_start_matches('-')) " " (c.price_unit.as_deref().unwrap_or("")) } }
                @if let Some(t) = &c.transfer_status { dt { "Transfer" } dd { (t) } }
                @if let Some(sid) = c.recording_sid.as_deref().filter(|s| recording_sid(s)).or_else(|| c.recording_url.as_deref().and_then(recording_sid_in)) {
                    dt { "Recording" }
                    dd { (player(sid, slug, "The call's recording")) }
                }
            }
        }
        @if transcript.is_empty() {
            section.card.empty #transcript-empty { p { "Nothing was said yet." } }
        }
        ol.transcript #transcript data-live={ "/app/live?b=" (slug) "&c=" (conv.id.as_str()) } {
            @for m in &transcript {
                @let caller = m.role == MessageRole::Caller;
                li.turn.caller[caller].agent[!caller].staff[m.author_id.is_some()] {
                    span.speaker {
                        @if caller { "Caller" }
                        @else if let Some(a) = &m.author_id { (who(a)) }
                        @else { "AI" }
                    }
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
        @if may_take {
            section.card.takeover {
                @if conv.held_by.is_some() {
                    form method="post" action={ (base) "/reply?b=" (slug) } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        label for="reply" { "Your reply" }
                        textarea #reply name="text" rows="3" maxlength="2000" required {}
                        p.muted.small {
                            @if conv.channel == Channel::Web { "Shown in the visitor's chat window." }
                            @else { "Sent by " (channel_label(conv.channel)) " from the business's number." }
                        }
                        button type="submit" { "Send" }
                    }
                    form.inline method="post" action={ (base) "/release?b=" (slug) } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button.secondary type="submit" { "Hand back to the AI" }
                    }
                } @else {
                    p { "Answer this customer yourself: the AI stays silent on this thread until you hand it back." }
                    form.inline method="post" action={ (base) "/take?b=" (slug) } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button type="submit" { "Take over" }
                    }
                }
            }
        }
        script src="/static/live.js" defer {}
    };
    Ok(respond(
        StatusCode::OK,
        page("Conversation", Some(&chrome), main),
    ))
}

#[derive(Deserialize)]
pub struct TakeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("Answering by hand is for the members who handle conversations."),
    )
}

/// `take`, `reply` or `release` on a text or chat thread: agents and up, with the session's
/// form token; each audited.
pub async fn take_over(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Response {
    let f: TakeForm = serde_urlencoded::from_bytes(&body).unwrap_or(TakeForm {
        csrf: String::new(),
        text: String::new(),
    });
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r: Result<Response, ApiError> = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let cid = ConversationId::parse(&id).ok_or(ApiError::NotFound)?;
        let conv = st.db.tenant(&bid).conversation(&cid).await?;
        if !takes_over(conv.channel) {
            return Err(ApiError::NotFound);
        }
        let slug = frontdesk_store::businesses::get(&mut st.db.clone(), &bid)
            .await?
            .slug;
        let me = &signed.user.id;
        let done = match step.as_str() {
            "take" | "release" => {
                let mut tx = st.db.begin().await?;
                let changed = if step == "take" {
                    tx.tenant(&bid)
                        .hold_conversation(&cid, me, now_ms())
                        .await?
                } else {
                    tx.tenant(&bid).release_conversation(&cid, now_ms()).await?
                };
                if changed {
                    audit(
                        &mut tx,
                        &signed.principal.actor(),
                        &rid,
                        Some(&bid),
                        if step == "take" {
                            "conversation.take_over"
                        } else {
                            "conversation.hand_back"
                        },
                        ("conversation", cid.as_str()),
                        serde_json::json!({"via": "dashboard"}),
                    )
                    .await?;
                }
                tx.commit().await?;
                if step == "take" { "taken" } else { "released" }
            }
            "reply" => {
                if f.text.trim().is_empty() {
                    return Err(ApiError::invalid("text: write the reply first"));
                }
                st.desk
                    .host
                    .staff_reply(&st.db, &bid, &cid, me, &f.text, Utc::now())
                    .await?;
                let mut tx = st.db.begin().await?;
                audit(
                    &mut tx,
                    &signed.principal.actor(),
                    &rid,
                    Some(&bid),
                    "conversation.reply",
                    ("conversation", cid.as_str()),
                    serde_json::json!({"via": "dashboard", "chars": f.text.trim().chars().count()}),
                )
                .await?;
                tx.commit().await?;
                "sent"
            }
            _ => return Err(ApiError::NotFound),
        };
        Ok(Redirect::to(&format!(
            "/app/conversations/{}?b={slug}&done={done}",
            cid.as_str()
        ))
        .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
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
pub(super) fn actions(a: &[serde_json::Value]) -> String {
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
