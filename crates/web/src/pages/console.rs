//! The test console: a member who handles conversations chats with the agent as a caller
//! would, on the channel they choose, and sees beside each reply what the agent read (intent,
//! confidence, entities) and did (actions). Each turn runs the real engine on the business's
//! real data inside a transaction that is rolled back (`Host::rehearse`): a booking made here
//! is never kept, no customer is created and nothing is sent.
//!
//! The page needs no script: the dialogue state and the exchange so far travel in the form's
//! hidden fields (bounded; a tampered one only misleads its own console), so the console keeps
//! nothing on the server and works on any server of the installation.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use frontdesk_engine::agent::Channel;
use frontdesk_store::accounts::Role;
use maud::html;
use serde::{Deserialize, Serialize};

use super::conversations::{actions, channel_label};
use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Scope, Signed, chosen};
use crate::AppState;
use crate::error::ApiError;

/// The most lines of exchange the page carries (older ones drop off the top).
const MAX_LINES: usize = 60;
/// The largest hidden field accepted, in bytes (state or log); a larger one starts over.
const MAX_FIELD: usize = 64 * 1024;

const CHANNELS: [Channel; 3] = [Channel::Sms, Channel::Web, Channel::Voice];

/// One line of the exchange.
#[derive(Serialize, Deserialize, Clone)]
struct Line {
    /// `caller` or `agent`.
    who: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    intent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    confidence: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entities: Option<serde_json::Value>,
    /// What the agent did, in a few words ("book appointment, notify").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actions: Option<String>,
}

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    log: String,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("The test console is for the members who handle conversations."),
    )
}

pub async fn show(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        signed
            .principal
            .business(&st, &scope.business.slug, Role::Agent)
            .await?;
        let greeting = st
            .desk
            .host
            .greeting(&st.db, &scope.business.id, Channel::Sms, Utc::now())
            .await
            .map_err(ApiError::from)?;
        let log = vec![agent_line(greeting)];
        Ok(render(&signed, &scope, Channel::Sms, "", &log, None))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

fn agent_line(text: String) -> Line {
    Line {
        who: "agent".into(),
        text,
        intent: None,
        confidence: None,
        entities: None,
        actions: None,
    }
}

fn render(
    signed: &Signed,
    scope: &Scope,
    channel: Channel,
    state: &str,
    log: &[Line],
    problem: Option<&str>,
) -> Response {
    let business = &scope.business;
    let slug = &business.slug;
    let chrome = Chrome::of(signed, scope);
    let log_json = serde_json::to_string(log).unwrap_or_default();
    let main = html! {
        (picker("/app/console", &scope.visible, business))
        section.heading {
            h1 { "Test console" }
            p.muted { "Talk to the agent as a customer would. It answers from " (business.name) "'s real settings; nothing you do here is kept or sent." }
        }
        ol.transcript.console #console-log aria-live="polite" {
            @for l in log {
                @let caller = l.who == "caller";
                li.turn.caller[caller].agent[!caller] {
                    span.speaker { @if caller { "You" } @else { "Agent" } }
                    p.said { (l.text) }
                    @if !caller && l.intent.is_some() {
                        dl.reading {
                            @if let Some(i) = &l.intent { dt { "Intent" } dd { (i) } }
                            @if let Some(c) = l.confidence { dt { "Confidence" } dd { (format!("{:.0}%", c * 100.0)) } }
                            @if let Some(e) = l.entities.as_ref().filter(|e| e.as_object().is_some_and(|o| !o.is_empty())) {
                                dt { "Entities" } dd { code { (e.to_string()) } }
                            }
                            dt { "Actions" }
                            dd { @match l.actions.as_deref().filter(|a| !a.is_empty()) { Some(a) => (a), None => "none" } }
                        }
                    }
                }
            }
        }
        @if let Some(p) = problem { p.alert role="alert" { (p) } }
        form.card.console-form method="post" action={ "/app/console?b=" (slug) } {
            input type="hidden" name="csrf" value=(signed.csrf);
            input type="hidden" name="state" value=(state);
            input type="hidden" name="log" value=(log_json);
            div.field {
                label for="console-text" { "What the customer says" }
                input #console-text type="text" name="text" maxlength="2000" autocomplete="off" required autofocus;
            }
            div.field {
                label for="console-channel" { "As if by" }
                select #console-channel name="channel" {
                    @for c in CHANNELS {
                        option value=(c.as_str()) selected[c == channel] { (channel_label(c)) }
                    }
                }
            }
            div.actions {
                button.primary type="submit" { "Send" }
                a href={ "/app/console?b=" (slug) } { "Start over" }
            }
        }
    };
    respond(StatusCode::OK, page("Test console", Some(&chrome), main))
}

/// One turn of the console: agents and up, with the session's form token, rate-limited per
/// person as a chat visitor is.
pub async fn say(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: Form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let channel = Channel::parse(&f.channel)
            .filter(|c| CHANNELS.contains(c))
            .unwrap_or(Channel::Sms);
        // What the page carried, unless too big or not ours to read: then a new exchange.
        let fits = f.state.len() <= MAX_FIELD && f.log.len() <= MAX_FIELD;
        let mut log: Vec<Line> = if fits {
            serde_json::from_str(&f.log).unwrap_or_default()
        } else {
            Vec::new()
        };
        let state = (fits && !f.state.is_empty()).then_some(f.state.as_str());
        if st
            .chat_limits
            .messages
            .check(&format!("console:{}", signed.user.id))
            .is_err()
        {
            let why = "That was quick: wait a moment before the next message.";
            return Ok(render(&signed, &scope, channel, &f.state, &log, Some(why)));
        }
        let said = f.text.trim();
        let (reply, state) = match st
            .desk
            .host
            .rehearse(&st.db, &bid, channel, state, said, Utc::now())
            .await
        {
            Ok(x) => x,
            Err(frontdesk_desk::host::TurnError::Invalid(m)) => {
                let why = format!("Not sent: {m}.");
                return Ok(render(&signed, &scope, channel, &f.state, &log, Some(&why)));
            }
            Err(e) => return Err(e.into()),
        };
        log.push(Line {
            who: "caller".into(),
            text: said.to_owned(),
            intent: None,
            confidence: None,
            entities: None,
            actions: None,
        });
        log.push(Line {
            who: "agent".into(),
            text: reply.reply,
            intent: Some(reply.intent),
            confidence: Some(reply.confidence),
            entities: serde_json::to_value(&reply.entities).ok(),
            actions: serde_json::to_value(&reply.actions)
                .ok()
                .and_then(|v| v.as_array().map(|a| actions(a))),
        });
        if log.len() > MAX_LINES {
            log.drain(..log.len() - MAX_LINES);
        }
        Ok(render(&signed, &scope, channel, &state, &log, None))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}
