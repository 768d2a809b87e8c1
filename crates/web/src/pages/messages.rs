//! Messages callers left (taken by the agent, or voicemails): new ones first, each with who
//! left it and how to reach them; a member who handles conversations (agent and up) marks one
//! done, or new again.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_store::RecordId;
use frontdesk_store::accounts::Role;
use frontdesk_store::states::MessageStatus;
use maud::html;
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, expired, outcome, page, respond};
use super::{Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

/// Messages listed.
const LIST_MAX: u32 = 200;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("Marking messages is for the members who handle conversations."),
    )
}

pub async fn list(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    match render(&st, &signed, q.b.as_deref()).await {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

async fn render(st: &AppState, signed: &Signed, b: Option<&str>) -> Result<Response, ApiError> {
    let Some(scope) = chosen(st, signed, b).await? else {
        return Err(ApiError::NotFound);
    };
    let (visible, business, tz) = (&scope.visible, &scope.business, scope.tz());
    let may_mark = scope.may(st, signed, Role::Agent).await?;
    let mut all = st.db.tenant(&business.id).caller_messages(LIST_MAX).await?;
    // New ones first, newest first within each.
    all.sort_by_key(|m| {
        (
            m.status != MessageStatus::New,
            std::cmp::Reverse(m.created_at),
        )
    });
    let slug = &business.slug;
    let chrome = Chrome::of(signed, &scope);
    let main = html! {
        (picker("/app/messages", visible, business))
        section.heading {
            h1 { "Messages" }
            p.muted { "What callers asked to pass on, new ones first." }
        }
        @if all.is_empty() {
            section.card.empty { p { "No messages yet. When a caller leaves one, it shows here." } }
        } @else {
            ul.questions {
                @for m in &all {
                    @let new = m.status == MessageStatus::New;
                    li.card.message.done[!new] {
                        p.from {
                            strong { (m.name.as_deref().unwrap_or("Someone")) }
                            @if let Some(p) = &m.phone {
                                " · " a href={ "tel:" (p.as_str()) } { (p.as_str()) }
                            }
                            @if new { " " span.badge { "New" } }
                        }
                        p.said { (m.text) }
                        @if let Some(sid) = m.recording_sid.as_deref() {
                            (super::conversations::player(sid, slug, "The voicemail"))
                        }
                        p.muted.small {
                            (local_time(m.created_at, tz, "%a %-d %b, %-I:%M %p"))
                            @if let Some(c) = &m.conversation_id {
                                " · " a href={ "/app/conversations/" (c.as_str()) "?b=" (slug) } { "the conversation" }
                            }
                        }
                        @if may_mark {
                            form.inline method="post" action={ "/app/messages/" (m.id.as_str()) "/" (if new { "done" } else { "new" }) "?b=" (slug) } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button type="submit" { @if new { "Mark done" } @else { "Mark as new" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Messages", Some(&chrome), main),
    ))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// Marks a message `done` or `new` again: agents and up, with the session's form token.
pub async fn mark(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((id, to)): Path<(String, String)>,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or(TokenForm {
        csrf: String::new(),
    });
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let status = match to.as_str() {
        "done" => MessageStatus::Done,
        "new" => MessageStatus::New,
        _ => return refused(ApiError::NotFound),
    };
    let r: Result<String, ApiError> = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let mid = RecordId::parse(&id).ok_or(ApiError::NotFound)?;
        let mut tx = st.db.begin().await?;
        if !tx.tenant(&bid).set_message_status(&mid, status).await? {
            return Err(ApiError::NotFound);
        }
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&bid),
            "message.mark",
            ("message", mid.as_str()),
            serde_json::json!({"status": status.as_str(), "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(frontdesk_store::businesses::get(&mut st.db.clone(), &bid)
            .await?
            .slug)
    }
    .await;
    match r {
        Ok(slug) => Redirect::to(&format!("/app/messages?b={slug}")).into_response(),
        Err(e) => refused(e),
    }
}
