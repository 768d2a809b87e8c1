//! Questions the agent could not answer from the business's data. Answering one adds it to the
//! profile's FAQs (checked as any profile is), so the agent answers it from the next message
//! on; a question that needs no answer is dismissed. Owners and managers answer (it changes the
//! business's settings); every member sees the list.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_engine::Profile;
use frontdesk_store::accounts::Role;
use frontdesk_store::businesses::Business;
use frontdesk_store::inbox::UnansweredQuestion;
use frontdesk_store::states::QuestionStatus;
use frontdesk_store::{RecordId, now_ms};
use maud::html;
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

/// Questions listed.
const LIST_MAX: u32 = 100;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
    done: Option<String>,
}

/// Who may answer or dismiss, for a refusal.
const WHO: Option<&str> =
    Some("Answering questions changes the business's settings: owners and managers do that.");

fn answer_of(r: Result<Response, ApiError>) -> Response {
    outcome(r, WHO)
}

pub async fn list(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    answer_of(render(&st, &signed, q.b.as_deref(), q.done.as_deref(), None).await)
}

/// An answer that could not be kept, shown beside its question.
struct Refused<'a> {
    question: &'a str,
    answer: &'a str,
    why: String,
}

async fn render(
    st: &AppState,
    signed: &Signed,
    b: Option<&str>,
    done: Option<&str>,
    refused: Option<&Refused<'_>>,
) -> Result<Response, ApiError> {
    let Some(scope) = chosen(st, signed, b).await? else {
        return Ok(not_found());
    };
    let (visible, business, tz) = (&scope.visible, &scope.business, scope.tz());
    let may_answer = scope.may(st, signed, Role::Manager).await?;
    let open: Vec<UnansweredQuestion> = st
        .db
        .tenant(&business.id)
        .unanswered_questions(LIST_MAX)
        .await?
        .into_iter()
        .filter(|q| q.status == QuestionStatus::Open)
        .collect();
    let note = match done {
        Some("answered") => Some("Added to your FAQs. The agent answers it from the next message."),
        Some("dismissed") => Some("Dismissed."),
        _ => None,
    };
    let slug = &business.slug;
    let chrome = Chrome::of(signed, &scope);
    let main = html! {
        (picker("/app/questions", visible, business))
        section.heading {
            h1 { "Unanswered questions" }
            p.muted { "What callers asked that " (business.name) "'s information does not answer yet. Answer one and the agent uses it from then on." }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        @if open.is_empty() {
            section.card.empty { p { "No open questions. When the agent cannot answer something, it shows here." } }
        } @else {
            ul.questions {
                @for q in &open {
                    @let mine = refused.filter(|r| r.question == q.id.as_str());
                    @let field = format!("answer-{}", q.id.as_str());
                    li.card.question {
                        p.asked { "“" (q.question) "”" }
                        p.muted.small {
                            (local_time(q.created_at, tz, "%a %-d %b, %-I:%M %p"))
                            @if let Some(c) = &q.conversation_id {
                                " · " a href={ "/app/conversations/" (c.as_str()) "?b=" (slug) } { "the conversation" }
                            }
                        }
                        @if may_answer {
                            form.stack method="post" action={ "/app/questions/" (q.id.as_str()) "/answer?b=" (slug) } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                label for=(field) { "Answer" }
                                textarea id=(field) name="answer" rows="3" required maxlength="1000"
                                    aria-invalid=[mine.map(|_| "true")] aria-describedby=[mine.map(|_| format!("{field}-error"))] {
                                    (mine.map_or("", |m| m.answer))
                                }
                                @if let Some(m) = mine { p.field-error id={ (field) "-error" } { (m.why) } }
                                div.actions {
                                    button.primary type="submit" { "Add to FAQs" }
                                }
                            }
                            form.inline method="post" action={ "/app/questions/" (q.id.as_str()) "/dismiss?b=" (slug) } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button type="submit" { "Dismiss" }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(
        status,
        page("Unanswered questions", Some(&chrome), main),
    ))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
}

#[derive(Deserialize)]
pub struct B {
    b: Option<String>,
}

/// What a form about question `id` posts: the business (for a manager or owner with the
/// session's form token), the question's id and the form.
async fn for_change(
    st: &AppState,
    signed: &Signed,
    b: Option<&str>,
    id: &str,
    body: &[u8],
) -> Result<(Business, RecordId, AnswerForm), Response> {
    let f: AnswerForm = serde_urlencoded::from_bytes(body).unwrap_or(AnswerForm {
        csrf: String::new(),
        answer: String::new(),
    });
    if !signed.form_ok(&f.csrf) {
        return Err(expired());
    }
    let id_of = signed
        .principal
        .business(st, b.unwrap_or(""), Role::Manager)
        .await
        .map_err(|e| answer_of(Err(e)))?;
    let business = frontdesk_store::businesses::get(&mut st.db.clone(), &id_of)
        .await
        .map_err(|e| answer_of(Err(e.into())))?;
    let qid = RecordId::parse(id).ok_or_else(not_found)?;
    Ok((business, qid, f))
}

pub async fn answer(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<B>,
    body: Bytes,
) -> Response {
    let (business, qid, f) = match for_change(&st, &signed, q.b.as_deref(), &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let answer = f.answer.trim();
    match add_faq(&st, &signed, &rid, &business, &qid, answer).await {
        Ok(()) => Redirect::to(&format!("/app/questions?b={}&done=answered", business.slug))
            .into_response(),
        Err(ApiError::Invalid { message, .. }) => {
            let refused = Refused {
                question: &id,
                answer,
                why: message,
            };
            answer_of(render(&st, &signed, Some(&business.slug), None, Some(&refused)).await)
        }
        Err(e) => answer_of(Err(e)),
    }
}

/// Adds the question with `answer` to the profile's FAQs and closes it, in one transaction.
async fn add_faq(
    st: &AppState,
    signed: &Signed,
    rid: &RequestId,
    business: &Business,
    qid: &RecordId,
    answer: &str,
) -> Result<(), ApiError> {
    if answer.is_empty() {
        return Err(ApiError::invalid("Write the answer first."));
    }
    let mut tx = st.db.begin().await?;
    let mut t = tx.tenant(&business.id);
    let question = t.unanswered_question(qid).await?;
    if question.status != QuestionStatus::Open {
        return Err(ApiError::NotFound);
    }
    let mut v =
        serde_json::to_value(t.profile().await?).map_err(|e| ApiError::Internal(e.to_string()))?;
    let faq = serde_json::json!({"q": question.question, "a": answer});
    match v.get_mut("faqs").and_then(|f| f.as_array_mut()) {
        Some(list) => list.push(faq),
        None => v["faqs"] = serde_json::json!([faq]),
    }
    // The same checks as any profile: lengths, counts, references.
    let profile = Profile::from_json_value(v).map_err(|e| ApiError::invalid(e.message))?;
    t.put_profile(&profile, now_ms()).await?;
    t.close_question(qid, QuestionStatus::Answered).await?;
    audit(
        &mut tx,
        &signed.principal.actor(),
        rid,
        Some(&business.id),
        "question.answer",
        ("question", qid.as_str()),
        serde_json::json!({"via": "dashboard"}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn dismiss(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<B>,
    body: Bytes,
) -> Response {
    let (business, qid, _) = match for_change(&st, &signed, q.b.as_deref(), &id, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r: Result<(), ApiError> = async {
        let mut tx = st.db.begin().await?;
        if !tx
            .tenant(&business.id)
            .close_question(&qid, QuestionStatus::Dismissed)
            .await?
        {
            return Err(ApiError::NotFound);
        }
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&business.id),
            "question.dismiss",
            ("question", qid.as_str()),
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Redirect::to(&format!(
            "/app/questions?b={}&done=dismissed",
            business.slug
        ))
        .into_response(),
        Err(e) => answer_of(Err(e)),
    }
}
