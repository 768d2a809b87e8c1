//! The operator's console (`/ops`), for operators only (anyone else gets "nothing here"):
//! the installation's health (database, job queue, dead jobs with a retry, which providers
//! are set up and their last errors), every business with its health and volume and a way
//! into its dashboard, a business added from a profile, and the audit log with filters. A
//! business's own page (`/ops/b/{slug}`) lists its members (role changed, removed, added) and
//! API keys (made, shown once; revoked). Every change is audited as its API change is.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_engine::{Email, Profile};
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::businesses::{self, Business};
use frontdesk_store::conversations::ConversationFilter;
use frontdesk_store::states::JobStatus;
use frontdesk_store::{ApiKeyId, StoreError, UserId, audit as log, jobs, now_ms};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Chrome, expired, not_found, page, problem, respond};
use super::{ROLES, Signed, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

/// Businesses listed on the console.
const BUSINESSES_MAX: u32 = 500;
/// Dead jobs listed.
const DEAD_MAX: u32 = 50;
/// Audit entries shown (after the filters).
const AUDIT_MAX: usize = 100;
/// Audit entries read to filter from.
const AUDIT_SCAN: u32 = 2000;

#[derive(Deserialize, Default)]
pub struct Q {
    /// Audit filters: an action's beginning (`profile.`), a business's slug.
    action: Option<String>,
    business: Option<String>,
    done: Option<String>,
}

fn operator(signed: &Signed) -> bool {
    signed.user.is_operator
}

fn utc(ms: i64) -> String {
    local_time(ms, chrono_tz::UTC, "%Y-%m-%d %H:%M UTC")
}

pub async fn console(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    if !operator(&signed) {
        return not_found();
    }
    match render(&st, &signed, &q, None).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// A form's fields, or its messages, by name.
type Fields = [(String, String)];

/// A form to add a business that did not add it: as it was filled, and why.
enum AddFailed<'a> {
    /// The profile as pasted or uploaded, and why it does not load.
    Profile(&'a str, &'a str),
    /// The details as typed, and the messages by field name (`""`: about the form).
    Details(&'a Fields, &'a Fields),
}

async fn render(
    st: &AppState,
    signed: &Signed,
    q: &Q,
    added: Option<AddFailed<'_>>,
) -> Result<Response, ApiError> {
    let failed = match &added {
        Some(AddFailed::Profile(text, why)) => Some((*text, *why)),
        _ => None,
    };
    let (typed, errors): (&Fields, &Fields) = match &added {
        Some(AddFailed::Details(t, e)) => (t, e),
        _ => (&[], &[]),
    };
    let typed_value = |name: &str| {
        typed
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, m)| m.as_str())
    };
    let mut db = st.db.clone();
    let started = Instant::now();
    let db_ok = st.db.ping().await.is_ok();
    let db_ms = started.elapsed().as_secs_f64() * 1000.0;
    let queued = jobs::by_status(&mut db, JobStatus::Queued, 10_000)
        .await?
        .len();
    let running = jobs::by_status(&mut db, JobStatus::Running, 10_000)
        .await?
        .len();
    let dead = jobs::by_status(&mut db, JobStatus::Dead, DEAD_MAX).await?;
    let all = businesses::list(&mut db, None, None, BUSINESSES_MAX).await?;
    let day_ago = now_ms() - 24 * 3_600_000;
    let week_ago = now_ms() - 7 * 24 * 3_600_000;
    let mut rows = Vec::with_capacity(all.len());
    for b in &all {
        let mut t = st.db.tenant(&b.id);
        let today = t.counts(day_ago, now_ms()).await?;
        let week = t.counts(week_ago, now_ms()).await?;
        let last = t
            .conversations(&ConversationFilter {
                limit: 1,
                ..ConversationFilter::default()
            })
            .await?
            .into_iter()
            .next()
            .map(|c| c.created_at);
        let failed_sends = t.failed_sends_since(week_ago).await?;
        rows.push((b, today, week, last, failed_sends));
    }
    let cfg = &st.cfg;
    let providers: [(&str, bool, &str); 5] = [
        (
            "Twilio (calls and texts)",
            !cfg.twilio.account_sid.is_empty() && !cfg.twilio.auth_token.is_empty(),
            "[twilio] account_sid and auth_token",
        ),
        (
            "E-mail (SMTP)",
            !cfg.email.smtp_url.is_empty(),
            "[email] smtp_url",
        ),
        (
            "Language model",
            !cfg.llm.base_url.is_empty(),
            "[llm] base_url",
        ),
        (
            "Speech to text",
            !cfg.speech.stt_api_key.is_empty(),
            "[speech] stt",
        ),
        ("Public address", !cfg.public_url.is_empty(), "public_url"),
    ];
    let last_errors: Vec<&jobs::Job> = dead
        .iter()
        .filter(|j| j.last_error.is_some())
        .take(5)
        .collect();
    let action = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let only = q
        .business
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty());
    let only_id = only.and_then(|s| all.iter().find(|b| b.slug == s).map(|b| b.id.to_string()));
    let entries: Vec<log::Entry> = log::all(&mut db, None, AUDIT_SCAN)
        .await?
        .into_iter()
        .filter(|e| action.is_none_or(|a| e.action.starts_with(a)))
        .filter(|e| only.is_none() || e.business_id == only_id)
        .take(AUDIT_MAX)
        .collect();
    let slug_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| all.iter().find(|b| b.id.as_str() == id))
            .map(|b| b.slug.clone())
            .unwrap_or_default()
    };
    let note = match q.done.as_deref() {
        Some("retried") => Some("The job is queued again."),
        Some("added") => Some("Business added."),
        _ => None,
    };
    let chrome = Chrome::new(signed, None);
    let main = html! {
        section.heading {
            h1 { "Operator console" }
            p.muted { (all.len()) " businesses on this installation." }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        nav.toc aria-label="Console sections" {
            a href="#health" { "Health" } a href="#businesses" { "Businesses" } a href="#add" { "Add a business" } a href="#audit" { "Audit log" }
        }
        section.card.settings #health aria-labelledby="health-h" {
            h2 #health-h { "Health" }
            dl.facts {
                dt { "Database" } dd { @if db_ok { "answering (" (format!("{db_ms:.1}")) " ms)" } @else { strong.urgent-text { "not answering" } } }
                dt { "Jobs waiting" } dd { (queued) }
                dt { "Jobs running" } dd { (running) }
                dt { "Dead jobs" } dd { (dead.len()) @if dead.len() as u32 >= DEAD_MAX { "+" } }
            }
            h3 { "Providers" }
            ul.plain.providers {
                @for (name, ok, setting) in providers {
                    li { span.badge.state { @if ok { "set up" } @else { "not set up" } } " " (name) @if !ok { span.muted.small { " (" (setting) ")" } } }
                }
            }
            @if !last_errors.is_empty() {
                h3 { "Last errors" }
                ul.plain {
                    @for j in &last_errors { li.small { code { (j.kind) } ": " (j.last_error.as_deref().unwrap_or("")) } }
                }
            }
            @if !dead.is_empty() {
                h3 { "Dead jobs" }
                ul.questions {
                    @for j in &dead {
                        li.card.message {
                            p.from { code { (j.kind) } " · " (j.attempts) " attempts · " (slug_of(&j.business_id)) }
                            p.muted.small { (j.last_error.as_deref().unwrap_or("no error recorded")) }
                            form.inline method="post" action={ "/ops/jobs/" (j.id) "/retry" } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button type="submit" { "Retry" }
                            }
                        }
                    }
                }
            }
        }
        section.card.settings #businesses aria-labelledby="businesses-h" {
            h2 #businesses-h { "Businesses" }
            @if rows.is_empty() {
                p.muted { "None yet: add one below." }
            } @else {
                div.calendar-wrap {
                    table.occupancy {
                        caption.visually-hidden { "Businesses with their health and volume" }
                        thead { tr { th scope="col" { "Business" } th scope="col" { "Phone" } th scope="col" { "Last conversation" } th scope="col" { "24 h" } th scope="col" { "7 days" } th scope="col" { "Failed sends, 7 days" } } }
                        tbody {
                            @for (b, today, week, last, failed) in &rows {
                                tr {
                                    th scope="row" {
                                        a href={ "/app?b=" (b.slug) } { (b.name) } br;
                                        a.small href={ "/ops/b/" (b.slug) } { "Members and keys" }
                                    }
                                    td { @if b.phone.is_empty() { span.urgent-text { "none" } } @else { (b.phone) } }
                                    td { @match last { Some(t) => (utc(*t)), None => span.muted { "never" } } }
                                    td { (volume(today)) }
                                    td { (volume(week)) }
                                    td { @if *failed > 0 { span.urgent-text { (failed) } } @else { "0" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card.settings #add aria-labelledby="add-h" {
            h2 #add-h { "Add a business" }
            h3 { "From a few details" }
            p.hint.muted { "The rest (hours, services, FAQs…) is filled in its settings afterwards, by you or its owner." }
            form.stack #add-details method="post" action="/ops/businesses/new" novalidate {
                input type="hidden" name="csrf" value=(signed.csrf);
                @if let Some(m) = error_of("") { p.field-error role="alert" { (m) } }
                @for (name, label, hint, kind) in DETAILS {
                    @let id = format!("n-{name}");
                    @let err = error_of(name);
                    div.field {
                        label for=(id) { (label) }
                        @if name == "kind" {
                            select #(id) name=(name) {
                                @for (v, l) in KINDS { option value=(v) selected[typed_value(name) == v] { (l) } }
                            }
                        } @else {
                            input #(id) type=(kind) name=(name) value=(typed_value(name))
                                aria-invalid=[err.map(|_| "true")] aria-describedby={ (id) "-note" };
                        }
                        @if let Some(m) = err { p.field-error #{ (id) "-note" } { (m) } }
                        @else { p.hint.muted #{ (id) "-note" } { (hint) } }
                    }
                }
                button.primary type="submit" { "Add the business" }
            }
            h3 { "From its profile" }
            form.stack #add-profile method="post" action="/ops/businesses" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(signed.csrf);
                div.field {
                    label for="new-profile" { "Its profile (YAML)" }
                    textarea.code #new-profile name="profile" rows="10" spellcheck="false"
                        aria-invalid=[failed.map(|_| "true")] aria-describedby=[failed.map(|_| "new-profile-note")] {
                        (failed.map(|f| f.0).unwrap_or(""))
                    }
                    @if let Some((_, why)) = failed { p.field-error #new-profile-note { (why) } }
                    @else { p.hint.muted { "The profile file as the spec describes it: slug, name, kind, timezone, phone, and the rest." } }
                }
                div.field {
                    label for="new-profile-file" { "Or its profile file" }
                    input #new-profile-file type="file" name="profile_file" accept=".yaml,.yml,application/yaml,text/yaml,text/plain" aria-describedby="new-profile-file-note";
                    p.hint.muted #new-profile-file-note { "A file chosen here is used instead of the text above." }
                }
                button.primary type="submit" { "Add the business" }
            }
        }
        section.card.settings #audit aria-labelledby="audit-h" {
            h2 #audit-h { "Audit log" }
            form.filters method="get" action="/ops#audit" {
                label for="audit-action" { "Action" }
                input #audit-action type="search" name="action" value=(action.unwrap_or("")) placeholder="profile. or member.set";
                label for="audit-business" { "Business" }
                select #audit-business name="business" {
                    option value="" { "All" }
                    @for b in &all { option value=(b.slug) selected[only == Some(b.slug.as_str())] { (b.name) } }
                }
                button type="submit" { "Filter" }
            }
            @if entries.is_empty() {
                p.muted { "Nothing matches." }
            } @else {
                ol.timeline {
                    @for e in &entries {
                        li {
                            span.when.muted { (utc(e.at)) } " "
                            code { (e.action) } " "
                            span { (slug_of(&e.business_id)) }
                            span.muted.small { " by " (e.actor_kind) " " (e.actor_id.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    let status = if added.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(
        status,
        page("Operator console", Some(&chrome), main),
    ))
}

fn volume(c: &frontdesk_store::stats::Counts) -> Markup {
    html! {
        (c.calls) " calls, " (c.texts + c.web_chats) " chats"
        @if c.bookings + c.reservations + c.orders > 0 { ", " (c.bookings + c.reservations + c.orders) " sold" }
    }
}

#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
}

/// A console form: only from an operator ("nothing here" for anyone else), with the
/// session's form token.
fn operator_form(signed: &Signed, body: &[u8]) -> Result<Form, Box<Response>> {
    if !operator(signed) {
        return Err(Box::new(not_found()));
    }
    let f: Form = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if signed.form_ok(&f.csrf) {
        Ok(f)
    } else {
        Err(Box::new(expired()))
    }
}

/// Adds a business from a profile: the same checks and import as the API's.
pub async fn add_business(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !operator(&signed) {
        return not_found();
    }
    let fields = super::form_fields(&headers, body).await;
    let field = |name: &str| super::form_value(&fields, name);
    if !signed.form_ok(field("csrf").unwrap_or_default()) {
        return expired();
    }
    // A file chosen is added instead of the text box.
    let f = Form {
        profile: field("profile_file")
            .or_else(|| field("profile"))
            .unwrap_or_default()
            .to_owned(),
        ..Form::default()
    };
    let r: Result<Response, ApiError> = async {
        let profile = match Profile::from_yaml(&f.profile) {
            Ok(p) => p,
            Err(e) => {
                let why = super::profile_problem(&e);
                return render(
                    &st,
                    &signed,
                    &Q::default(),
                    Some(AddFailed::Profile(&f.profile, &why)),
                )
                .await;
            }
        };
        let why = match add_new(&st, &signed, &rid, &profile).await? {
            Ok(_) => return Ok(Redirect::to("/ops?done=added").into_response()),
            Err(NotAdded::SlugTaken) => format!(
                "a business with slug {} already exists; change its profile from its settings",
                profile.slug
            ),
            Err(NotAdded::Refused(why)) => why,
        };
        render(
            &st,
            &signed,
            &Q::default(),
            Some(AddFailed::Profile(&f.profile, &why)),
        )
        .await
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Why a business was not added, for the form to say.
enum NotAdded {
    /// Another business has its slug.
    SlugTaken,
    /// The import refused it (a number in use, …), in words.
    Refused(String),
}

/// Adds a new business from its profile in one transaction, with the API's checks and audit;
/// what the person can put right comes back as [`NotAdded`], anything else as an error.
async fn add_new(
    st: &AppState,
    signed: &Signed,
    rid: &RequestId,
    profile: &Profile,
) -> Result<Result<Business, NotAdded>, ApiError> {
    let mut tx = st.db.begin().await?;
    if businesses::get_by_slug(&mut tx, profile.slug.as_str())
        .await
        .is_ok()
    {
        return Ok(Err(NotAdded::SlugTaken));
    }
    match frontdesk_desk::admin::import_profile_in(
        &mut tx,
        &signed.principal.actor(),
        rid.0.as_deref(),
        profile,
    )
    .await
    {
        Ok(_) => {}
        Err(e @ (StoreError::Conflict(_) | StoreError::Taken(_) | StoreError::Invalid(_))) => {
            return Ok(Err(NotAdded::Refused(ApiError::from(e).to_string())));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(Ok(businesses::get_by_slug(
        &mut st.db.clone(),
        profile.slug.as_str(),
    )
    .await?))
}

/// The fields of "Add a business from a few details": name, label, hint, input type.
const DETAILS: [(&str, &str, &str, &str); 6] = [
    (
        "name",
        "Name",
        "As callers know it, such as Rapid Rooter Plumbing.",
        "text",
    ),
    (
        "slug",
        "Short name",
        "Lowercase letters, digits and dashes, used in addresses; empty: made from the name.",
        "text",
    ),
    (
        "kind",
        "Kind",
        "What the agent does for it: book appointments, rent storage units, take orders.",
        "text",
    ),
    ("timezone", "Time zone", "Such as America/Denver.", "text"),
    (
        "phone",
        "Phone number",
        "The number callers dial, in international form, such as +13035550140.",
        "tel",
    ),
    (
        "owner_email",
        "Owner's e-mail",
        "They get an e-mail to choose a password and run it; empty: add people later.",
        "email",
    ),
];

const KINDS: [(&str, &str); 5] = [
    ("appointments", "Books appointments"),
    ("self_storage", "Rents storage units"),
    ("restaurant", "Restaurant (takes orders)"),
    ("retail", "Shop (takes orders)"),
    ("other", "Other"),
];

/// A slug made from a name: lowercase letters and digits, single dashes between words.
fn slug_of(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Adds a business from its name, kind, time zone and number, and invites its owner: the
/// same checks and import as a profile's, each message beside its field.
pub async fn add_from_details(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !operator(&signed) {
        return not_found();
    }
    let typed = super::form_fields(&headers, body).await;
    let field = |name: &str| super::form_value(&typed, name).unwrap_or("");
    if !signed.form_ok(field("csrf")) {
        return expired();
    }
    let typed: Vec<(String, String)> = typed.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    let again = |errors: Vec<(String, String)>| {
        let (st, signed, typed) = (&st, &signed, &typed);
        async move {
            render(
                st,
                signed,
                &Q::default(),
                Some(AddFailed::Details(typed, &errors)),
            )
            .await
            .unwrap_or_else(IntoResponse::into_response)
        }
    };
    let slug = match field("slug") {
        "" => slug_of(field("name")),
        s => s.to_owned(),
    };
    let value = serde_json::json!({
        "version": 1,
        "slug": slug,
        "name": field("name"),
        "kind": field("kind"),
        "timezone": field("timezone"),
        "phone": field("phone"),
    });
    let profile = match Profile::from_json_value(value) {
        Ok(p) => p,
        Err(e) => {
            let at = DETAILS
                .iter()
                .find(|(n, ..)| *n == e.path)
                .map_or("", |(n, ..)| *n);
            let message = if at.is_empty() {
                format!("{}: {}", e.path, e.message)
            } else {
                e.message
            };
            return again(vec![(at.to_owned(), message)]).await;
        }
    };
    let owner = match field("owner_email") {
        "" => None,
        e => match frontdesk_engine::Email::parse(e) {
            Ok(e) => Some(e),
            Err(why) => return again(vec![("owner_email".into(), why.to_string())]).await,
        },
    };
    let r: Result<Response, ApiError> = async {
        let business = match add_new(&st, &signed, &rid, &profile).await? {
            Ok(b) => b,
            Err(NotAdded::SlugTaken) => {
                let why = format!(
                    "{} is taken by another business: choose another",
                    profile.slug
                );
                return Ok(again(vec![("slug".into(), why)]).await);
            }
            Err(NotAdded::Refused(why)) => {
                let at = if why.contains("phone") { "phone" } else { "" };
                return Ok(again(vec![(at.into(), why)]).await);
            }
        };
        if let Some(email) = &owner {
            let base = crate::channels::webhook::base_url(&st, &headers);
            super::links::add_to_team(
                &st,
                &base,
                &signed.principal.actor(),
                &rid,
                &business,
                email,
                Role::Owner,
            )
            .await?;
        }
        Ok(
            Redirect::to(&format!("/ops?done=added&new={}#businesses", business.slug))
                .into_response(),
        )
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Queues a dead job again.
pub async fn retry_job(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = operator_form(&signed, &body) {
        return *r;
    }
    let r: Result<Response, ApiError> = async {
        let mut tx = st.db.begin().await?;
        let job = match jobs::get(&mut tx, &id).await {
            Err(StoreError::NotFound) => return Ok(not_found()),
            other => other?,
        };
        if !jobs::retry_dead(&mut tx, &id, now_ms()).await? {
            return Ok(problem(
                StatusCode::CONFLICT,
                "Not retried",
                &format!("The job is {}, not dead.", job.status),
            ));
        }
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            None,
            "job.retry",
            ("job", &id),
            serde_json::json!({"kind": job.kind, "last_error": job.last_error, "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        st.desk.host.wake();
        Ok(Redirect::to("/ops?done=retried").into_response())
    }
    .await;
    r.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize, Default)]
pub struct BQ {
    done: Option<String>,
}

async fn business_of(st: &AppState, slug: &str) -> Result<Business, ApiError> {
    Ok(businesses::get_by_slug(&mut st.db.clone(), slug).await?)
}

/// A business's members and API keys.
pub async fn business(
    State(st): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    Query(q): Query<BQ>,
) -> Response {
    if !operator(&signed) {
        return not_found();
    }
    match render_business(&st, &signed, &slug, q.done.as_deref(), None, None).await {
        Ok(r) => r,
        Err(ApiError::NotFound) => not_found(),
        Err(e) => e.into_response(),
    }
}

async fn render_business(
    st: &AppState,
    signed: &Signed,
    slug: &str,
    done: Option<&str>,
    problem_text: Option<&str>,
    secret: Option<&str>,
) -> Result<Response, ApiError> {
    let b = business_of(st, slug).await?;
    let mut t = st.db.tenant(&b.id);
    let members = t.members().await?;
    let keys = t.api_keys().await?;
    let note = match done {
        Some("member") => Some("Member saved."),
        Some("removed") => Some("Member removed."),
        Some("revoked") => Some("Key revoked."),
        _ => None,
    };
    let base = format!("/ops/b/{}", b.slug);
    let chrome = Chrome::new(signed, None);
    let main = html! {
        p.back { a href="/ops#businesses" { "← Operator console" } }
        section.heading {
            h1 { (b.name) }
            p.muted { "Members and API keys · " a href={ "/app?b=" (b.slug) } { "open its dashboard" } }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        @if let Some(p) = problem_text { p.alert role="alert" { (p) } }
        @if let Some(s) = secret {
            section.card.notice role="status" {
                p { strong { "The new key, shown only now:" } }
                p { code.secret { (s) } }
                p.small { "Store it where the system that uses it keeps its secrets. It cannot be shown again; a lost key is revoked and replaced." }
            }
        }
        section.card.settings #members aria-labelledby="members-h" {
            h2 #members-h { "Members" }
            ul.questions {
                @for m in &members {
                    li.card.message {
                        p.from { strong { (m.email) } " · " (m.role.as_str()) }
                        form.inline method="post" action={ (base) "/members/" (m.user_id.as_str()) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            label for={ "role-" (m.user_id.as_str()) } { "Role " }
                            select id={ "role-" (m.user_id.as_str()) } name="role" {
                                @for r in ROLES { option value=(r.as_str()) selected[r == m.role] { (r.as_str()) } }
                                option value="remove" { "remove from the business" }
                            }
                            " " button type="submit" { "Save" }
                        }
                    }
                }
            }
            h3 { "Add a member" }
            form.stack method="post" action={ (base) "/members" } {
                input type="hidden" name="csrf" value=(signed.csrf);
                div.field { label for="m-email" { "E-mail" } input #m-email type="email" name="email" required; }
                div.field {
                    label for="m-role" { "Role" }
                    select #m-role name="role" { @for r in ROLES { option value=(r.as_str()) selected[r == Role::Agent] { (r.as_str()) } } }
                }
                div.field {
                    label for="m-password" { "Password for a new account" }
                    input #m-password type="password" name="password" autocomplete="new-password";
                    p.hint.muted { "Only for a person without an account yet; at least 12 characters." }
                }
                button.primary type="submit" { "Add the member" }
            }
        }
        section.card.settings #keys aria-labelledby="keys-h" {
            h2 #keys-h { "API keys" }
            @if keys.is_empty() { p.muted { "None." } }
            ul.questions {
                @for k in &keys {
                    li.card.message.done[k.revoked_at.is_some()] {
                        p.from { strong { (k.name) } " · " (k.role.as_str()) " · " code { (k.prefix) "…" } }
                        p.muted.small {
                            "Made " (utc(k.created_at))
                            @if let Some(u) = k.last_used_at { " · last used " (utc(u)) }
                            @if let Some(r) = k.revoked_at { " · revoked " (utc(r)) }
                        }
                        @if k.revoked_at.is_none() {
                            form.inline method="post" action={ (base) "/keys/" (k.id.as_str()) "/revoke" } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button.danger type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
            h3 { "Make a key" }
            form.stack method="post" action={ (base) "/keys" } {
                input type="hidden" name="csrf" value=(signed.csrf);
                div.field { label for="k-name" { "What it is for" } input #k-name type="text" name="name" required maxlength="100"; }
                div.field {
                    label for="k-role" { "Role" }
                    select #k-role name="role" { @for r in ROLES { option value=(r.as_str()) selected[r == Role::Viewer] { (r.as_str()) } } }
                }
                button.primary type="submit" { "Make the key" }
            }
        }
    };
    let status = if problem_text.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(
        status,
        page("Members and keys", Some(&chrome), main),
    ))
}

/// Adds a member (a new account with the password given, or an existing one).
pub async fn add_member(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    let f = match operator_form(&signed, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let r: Result<Response, ApiError> = async {
        let b = business_of(&st, &slug).await?;
        let again = |why: String| {
            let st = &st;
            let signed = &signed;
            let slug = &slug;
            async move { render_business(st, signed, slug, None, Some(&why), None).await }
        };
        let email = match Email::parse(f.email.trim()) {
            Ok(e) => e,
            Err(e) => return again(format!("E-mail: {e}")).await,
        };
        let Some(role) = Role::parse(&f.role).filter(|r| ROLES.contains(r)) else {
            return again("Choose a role.".into()).await;
        };
        let hash = if f.password.is_empty() {
            None
        } else {
            if let Err(e) = frontdesk_desk::accounts::check_password_rules(&f.password) {
                return again(format!("Password: {e}")).await;
            }
            Some(
                frontdesk_desk::accounts::hash_password(f.password.clone())
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            )
        };
        let mut tx = st.db.begin().await?;
        let user = match accounts::user_by_email(&mut tx, email.as_str()).await {
            Ok(u) => u.user,
            Err(StoreError::NotFound) => {
                let name = Some(f.name.trim()).filter(|n| !n.is_empty());
                accounts::create_user(
                    &mut tx,
                    email.as_str(),
                    name,
                    hash.as_deref()
                        .unwrap_or(frontdesk_desk::accounts::NO_PASSWORD),
                    false,
                    now_ms(),
                )
                .await?
            }
            Err(e) => return Err(e.into()),
        };
        tx.tenant(&b.id)
            .set_member(&user.id, role, now_ms())
            .await?;
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&b.id),
            "member.set",
            ("user", user.id.as_str()),
            serde_json::json!({"role": role, "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Redirect::to(&format!("/ops/b/{slug}?done=member#members")).into_response())
    }
    .await;
    finish(r)
}

fn finish(r: Result<Response, ApiError>) -> Response {
    match r {
        Ok(r) => r,
        Err(ApiError::NotFound) => not_found(),
        Err(ApiError::Conflict(m)) => problem(StatusCode::CONFLICT, "Not changed", &m),
        Err(e) => e.into_response(),
    }
}

/// Changes a member's role, or removes them; the business's last owner stays.
pub async fn set_member(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((slug, user)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let f = match operator_form(&signed, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let r: Result<Response, ApiError> = async {
        let b = business_of(&st, &slug).await?;
        let uid = UserId::parse(&user).ok_or(ApiError::NotFound)?;
        let role = match f.role.as_str() {
            "remove" => None,
            r => Some(
                Role::parse(r)
                    .filter(|r| ROLES.contains(r))
                    .ok_or_else(|| ApiError::invalid("role"))?,
            ),
        };
        let mut tx = st.db.begin().await?;
        crate::routes::members::change_member(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            &b.id,
            &uid,
            role,
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        let done = if role.is_some() { "member" } else { "removed" };
        tx.commit().await?;
        Ok(Redirect::to(&format!("/ops/b/{slug}?done={done}#members")).into_response())
    }
    .await;
    finish(r)
}

/// Makes an API key for the business, shown once on the page that answers.
pub async fn make_key(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    let f = match operator_form(&signed, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let r: Result<Response, ApiError> = async {
        let b = business_of(&st, &slug).await?;
        let Some(role) = Role::parse(&f.role).filter(|r| ROLES.contains(r)) else {
            return render_business(&st, &signed, &slug, None, Some("Choose a role."), None).await;
        };
        match frontdesk_desk::accounts::issue_key(
            &st.db,
            &signed.principal.actor(),
            rid.0.as_deref(),
            &f.name,
            Some((&b.id, role)),
        )
        .await
        {
            Ok(k) => {
                let mut resp =
                    render_business(&st, &signed, &slug, None, None, Some(&k.secret)).await?;
                // The page holds a secret: no cache keeps it.
                resp.headers_mut().insert(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-store"),
                );
                Ok(resp)
            }
            Err(frontdesk_desk::Error::Invalid(m)) => {
                render_business(&st, &signed, &slug, None, Some(&m), None).await
            }
            Err(e) => Err(ApiError::Internal(e.to_string())),
        }
    }
    .await;
    finish(r)
}

/// Revokes one of the business's API keys.
pub async fn revoke_key(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((slug, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = operator_form(&signed, &body) {
        return *r;
    }
    let r: Result<Response, ApiError> = async {
        let b = business_of(&st, &slug).await?;
        let kid = ApiKeyId::parse(&key).ok_or(ApiError::NotFound)?;
        let mut tx = st.db.begin().await?;
        tx.tenant(&b.id).revoke_api_key(&kid, now_ms()).await?;
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&b.id),
            "api_key.revoke",
            ("api_key", kid.as_str()),
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Redirect::to(&format!("/ops/b/{slug}?done=revoked#keys")).into_response())
    }
    .await;
    finish(r)
}
