//! Customers: the list (search by name, phone or e-mail; sort; a page at a time), a customer's
//! page (contact data, the timeline of everything they did, their conversations), editing
//! their contact data (agents and up, audited), and the list as CSV (managers and owners, as a
//! bulk copy of personal data; audited).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_store::accounts::Role;
use frontdesk_store::conversations::ConversationFilter;
use frontdesk_store::customers::{Customer, CustomerFilter, CustomerSort};
use frontdesk_store::{CustomerId, now_ms};
use maud::{Markup, html};
use serde::Deserialize;

use super::conversations::channel_label;
use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Scope, Signed, chosen, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::customers::{CustomerInput, parse_sort};
use crate::routes::{RequestId, audit};

/// Customers per page.
const PAGE: u32 = 50;
/// Rows read at a time for the CSV file.
const CSV_BATCH: u32 = 1000;
/// The most rows one CSV file holds.
const CSV_MAX: usize = 200_000;

#[derive(Deserialize)]
pub struct ListQuery {
    b: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some(
            "Changing customers is for the members who handle conversations; exporting them, for owners and managers.",
        ),
    )
}

fn sort_of(s: Option<&str>) -> CustomerSort {
    parse_sort(s.filter(|s| !s.is_empty())).unwrap_or(CustomerSort::Newest)
}

fn sort_name(s: CustomerSort) -> &'static str {
    match s {
        CustomerSort::Oldest => "oldest",
        CustomerSort::Newest => "newest",
        CustomerSort::Name => "name",
    }
}

pub async fn list(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let (business, tz) = (&scope.business, scope.tz());
        let sort = sort_of(q.sort.as_deref().or(Some("newest")));
        let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let mut rows = st
            .db
            .tenant(&business.id)
            .customers(&CustomerFilter {
                sort,
                q: search.map(str::to_owned),
                after: q.after.clone().filter(|a| !a.is_empty()),
                limit: PAGE + 1,
                ..CustomerFilter::default()
            })
            .await?;
        let more = rows.len() > PAGE as usize;
        rows.truncate(PAGE as usize);
        let slug = &business.slug;
        let query = format!(
            "b={slug}&q={}&sort={}",
            urlencoding(search.unwrap_or("")),
            sort_name(sort)
        );
        let chrome = Chrome::of(&signed, &scope);
        let main = html! {
            (picker("/app/customers", &scope.visible, business))
            section.heading {
                h1 { "Customers" }
                p.muted { "Everyone who called, texted, chatted, booked or ordered." }
            }
            form.filters method="get" action="/app/customers" role="search" {
                input type="hidden" name="b" value=(slug);
                label for="q" { "Search" }
                input #q type="search" name="q" value=(search.unwrap_or("")) placeholder="Name, phone or e-mail";
                label for="sort" { "Sort" }
                select #sort name="sort" {
                    @for (v, t) in [("newest", "Newest first"), ("oldest", "Oldest first"), ("name", "Name, A to Z")] {
                        option value=(v) selected[sort_name(sort) == v] { (t) }
                    }
                }
                button type="submit" { "Show" }
            }
            p.export { a href={ "/app/customers.csv?" (query) } download { "Export these customers (CSV)" } }
            @if rows.is_empty() {
                section.card.empty {
                    @if search.is_some() { p { "No customer matches that." } }
                    @else { p { "No customers yet. Whoever books, orders or leaves their details shows here." } }
                }
            } @else {
                ul.rows.people {
                    @for c in &rows { (row(c, slug, tz)) }
                }
                @if more {
                    @if let Some(last) = rows.last() {
                        p.more { a href={ "/app/customers?" (query) "&after=" (last.id.as_str()) } { "More customers" } }
                    }
                }
            }
        };
        Ok(respond(StatusCode::OK, page("Customers", Some(&chrome), main)))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

/// A query string's value, percent-encoded.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

fn row(c: &Customer, slug: &str, tz: chrono_tz::Tz) -> Markup {
    html! {
        li.row {
            a href={ "/app/customers/" (c.id.as_str()) "?b=" (slug) } {
                span.kind { (c.name.as_deref().unwrap_or("No name")) }
                span.who { (c.phone.as_ref().map(|p| p.as_str()).or(c.email.as_ref().map(|e| e.as_str())).unwrap_or("")) }
                span.when { (local_time(c.created_at, tz, "%-d %b %Y")) }
                span.turns.muted { (c.tags.join(", ")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    b: Option<String>,
    done: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let cid = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
        let c = st.db.tenant(&scope.business.id).customer(&cid).await?;
        let note = (q.done.as_deref() == Some("saved")).then_some("Saved.");
        render_customer(&st, &signed, &scope, &c, None, &[], note).await
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

/// The fields of the edit form, as typed.
#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
}

async fn render_customer(
    st: &AppState,
    signed: &Signed,
    scope: &Scope,
    c: &Customer,
    typed: Option<&EditForm>,
    errors: &[(String, String)],
    note: Option<&str>,
) -> Result<Response, ApiError> {
    let (business, tz) = (&scope.business, scope.tz());
    let may = scope.may(st, signed, Role::Agent).await?;
    let mut t = st.db.tenant(&business.id);
    let timeline = t.timeline(&c.id, 100).await?;
    let convs = t
        .conversations(&ConversationFilter {
            customer_id: Some(c.id.clone()),
            limit: 50,
            ..ConversationFilter::default()
        })
        .await?;
    let slug = &business.slug;
    let value = |field: &str| -> String {
        match (typed, field) {
            (Some(f), "name") => f.name.clone(),
            (Some(f), "phone") => f.phone.clone(),
            (Some(f), "email") => f.email.clone(),
            (Some(f), "notes") => f.notes.clone(),
            (Some(f), _) => f.tags.clone(),
            (None, "name") => c.name.clone().unwrap_or_default(),
            (None, "phone") => c
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            (None, "email") => c
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            (None, "notes") => c.notes.clone().unwrap_or_default(),
            (None, _) => c.tags.join(", "),
        }
    };
    let err = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    };
    let chrome = Chrome::of(signed, scope);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let main = html! {
        p.back { a href={ "/app/customers?b=" (slug) } { "← All customers" } }
        section.heading {
            h1 { (c.name.as_deref().unwrap_or("A customer without a name")) }
            p.muted { "First seen " (local_time(c.created_at, tz, "%A %-d %B %Y")) }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        @if !errors.is_empty() {
            p.alert role="alert" { "Nothing was saved: " (err("").unwrap_or_else(|| "see the message below.".to_owned())) }
        }
        section.card.settings #contact aria-labelledby="contact-h" {
            h2 #contact-h { "Contact" }
            form.stack method="post" action={ "/app/customers/" (c.id.as_str()) "?b=" (slug) } novalidate {
                input type="hidden" name="csrf" value=(signed.csrf);
                fieldset disabled[!may] {
                    legend.visually-hidden { "Contact" }
                    @for (field, label, kind) in [("name", "Name", "text"), ("phone", "Phone", "tel"), ("email", "E-mail", "email"), ("tags", "Tags, separated by commas", "text")] {
                        div.field {
                            label for={ "c-" (field) } { (label) }
                            input id={ "c-" (field) } type=(kind) name=(field) value=(value(field))
                                aria-invalid=[err(field).map(|_| "true")] aria-describedby=[err(field).map(|_| format!("c-{field}-note"))];
                            @if let Some(m) = err(field) { p.field-error id={ "c-" (field) "-note" } { (m) } }
                        }
                    }
                    div.field {
                        label for="c-notes" { "Notes" }
                        textarea #c-notes name="notes" rows="3" { (value("notes")) }
                        @if let Some(m) = err("notes") { p.field-error { (m) } }
                    }
                }
                @if may { button.primary type="submit" { "Save contact" } }
            }
        }
        section.card #timeline aria-labelledby="timeline-h" {
            h2 #timeline-h { "Timeline" }
            @if timeline.is_empty() {
                p.muted { "Nothing yet." }
            } @else {
                ol.timeline {
                    @for a in &timeline {
                        li {
                            span.when.muted { (local_time(a.created_at, tz, "%a %-d %b %Y, %-I:%M %p")) }
                            " "
                            span.what { (a.summary) }
                            @if let Some(conv) = &a.conversation_id {
                                " · " a href={ "/app/conversations/" (conv.as_str()) "?b=" (slug) } { "conversation" }
                            }
                        }
                    }
                }
            }
        }
        section.card #their-conversations aria-labelledby="conv-h" {
            h2 #conv-h { "Conversations" }
            @if convs.is_empty() {
                p.muted { "None yet." }
            } @else {
                ul.plain {
                    @for cv in &convs {
                        li {
                            a href={ "/app/conversations/" (cv.id.as_str()) "?b=" (slug) } {
                                (channel_label(cv.channel)) ", " (local_time(cv.created_at, tz, "%a %-d %b %Y, %-I:%M %p"))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(status, page("Customer", Some(&chrome), main)))
}

/// Saves a customer's contact data: agents and up, with the session's form token; checked as
/// the API checks it, audited in the same transaction.
pub async fn save(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
    body: Bytes,
) -> Response {
    let f: EditForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let cid = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
        let current = st.db.tenant(&bid).customer(&cid).await?;
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let input = CustomerInput {
            name: opt(&f.name),
            phone: opt(&super::typed_phone(&f.phone, &scope.loaded.profile.phone)),
            email: opt(&f.email),
            notes: opt(&f.notes),
            tags: f
                .tags
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        };
        let fields = match input.into_fields() {
            Ok(x) => x,
            Err(ApiError::Invalid { message, .. }) => {
                // "phone: …" goes beside the phone; a message about the whole, above the form.
                let field = message
                    .split_once(':')
                    .map(|(f, _)| f)
                    .filter(|f| ["name", "phone", "email", "notes", "tags"].contains(f))
                    .unwrap_or("");
                let errors = vec![(field.to_owned(), message.clone())];
                return render_customer(&st, &signed, &scope, &current, Some(&f), &errors, None)
                    .await;
            }
            Err(e) => return Err(e),
        };
        let mut tx = st.db.begin().await?;
        tx.tenant(&bid)
            .update_customer(&cid, &fields, now_ms())
            .await?;
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&bid),
            "customer.update",
            ("customer", cid.as_str()),
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Redirect::to(&format!(
            "/app/customers/{}?b={}&done=saved",
            cid.as_str(),
            scope.business.slug
        ))
        .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

/// The list (as searched and sorted) as a CSV file, every page of it: owners and managers,
/// audited. Text a spreadsheet would run as a formula is kept as text.
pub async fn export(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Query(q): Query<ListQuery>,
) -> Response {
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Manager).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let tz = scope.tz();
        let sort = sort_of(q.sort.as_deref().or(Some("newest")));
        let search =
            q.q.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
        let mut out = String::from("id,name,phone,email,tags,notes,first_seen\r\n");
        let mut after: Option<String> = None;
        let mut n = 0usize;
        loop {
            let rows = st
                .db
                .tenant(&bid)
                .customers(&CustomerFilter {
                    sort,
                    q: search.clone(),
                    after: after.clone(),
                    limit: CSV_BATCH,
                    ..CustomerFilter::default()
                })
                .await?;
            for c in &rows {
                let fields = [
                    c.id.as_str().to_owned(),
                    c.name.clone().unwrap_or_default(),
                    c.phone
                        .as_ref()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default(),
                    c.email
                        .as_ref()
                        .map(|e| e.as_str().to_owned())
                        .unwrap_or_default(),
                    c.tags.join(", "),
                    c.notes.clone().unwrap_or_default(),
                    local_time(c.created_at, tz, "%Y-%m-%d %H:%M"),
                ];
                let line: Vec<String> = fields
                    .iter()
                    .enumerate()
                    // The phone (E.164, digits after its +) is a number, not a formula.
                    .map(|(i, v)| cell(v, i != 2))
                    .collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
            n += rows.len();
            if rows.len() < CSV_BATCH as usize || n >= CSV_MAX {
                break;
            }
            after = rows.last().map(|c| c.id.as_str().to_owned());
        }
        let mut tx = st.db.begin().await?;
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&bid),
            "customers.export",
            ("business", bid.as_str()),
            serde_json::json!({"rows": n, "q": search, "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-customers.csv\"",
                        scope.business.slug
                    ),
                ),
            ],
            out,
        )
            .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; with `guard`,
/// text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return first) is
/// prefixed with `'` so it stays text.
pub(super) fn cell(v: &str, guard: bool) -> String {
    let v = if guard && v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_kept_as_text() {
        assert_eq!(cell("plain", true), "plain");
        assert_eq!(cell("a, b", true), "\"a, b\"");
        assert_eq!(cell("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines", true), "\"two\nlines\"");
        assert_eq!(
            cell("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(cell("@SUM(A1)", true), "'@SUM(A1)");
        assert_eq!(cell("+13035550140", false), "+13035550140");
    }
}
