//! Appointments: a day or a week as a calendar, one row per staff member (the business's own
//! time zone), each appointment with its customer and state; members who handle conversations
//! (agents and up) cancel one, move it, or mark it completed or a no-show, and the customer is
//! told of a cancellation or a move as when the agent does it (`Host::change_appointment`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use frontdesk_desk::host::AppointmentChange;
use frontdesk_store::accounts::Role;
use frontdesk_store::appointments::Appointment;
use frontdesk_store::calendars::CalendarFeed;
use frontdesk_store::states::AppointmentStatus;
use maud::{Markup, html};
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Scope, Signed, chosen, local_midnight, local_time};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::RequestId;

/// The most appointments one calendar shows.
const SPAN_MAX: u32 = 2000;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
    /// `day` or `week` (default).
    view: Option<String>,
    /// The day shown (or in the week shown), `YYYY-MM-DD`; today by default.
    day: Option<String>,
    done: Option<String>,
}

impl Q {
    /// This calendar's query (business, view, day), for a form to come back to.
    fn back(&self, slug: &str) -> String {
        format!(
            "b={slug}&view={}&day={}",
            self.view.as_deref().unwrap_or("week"),
            self.day.as_deref().unwrap_or("")
        )
    }
}

/// A manager's one-press change from this page (revoke a feed, remove a block): the session's
/// form token, the manager's role, `act` on the business, then back to the same calendar
/// saying `done`, at `anchor`.
async fn managers_step(
    st: &AppState,
    signed: &Signed,
    q: &Q,
    body: &Bytes,
    (done, anchor, refusal): (&str, &str, &'static str),
    act: impl AsyncFnOnce(&frontdesk_store::BusinessId) -> Result<(), ApiError>,
) -> Response {
    let f: TokenForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let key = q.b.as_deref().unwrap_or("");
    let r = async {
        let bid = signed.principal.business(st, key, Role::Manager).await?;
        act(&bid).await
    }
    .await;
    match r {
        Ok(()) => Redirect::to(&format!(
            "/app/appointments?{}&done={done}#{anchor}",
            q.back(key)
        ))
        .into_response(),
        Err(e) => outcome(Err(e), Some(refusal)),
    }
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("Changing appointments is for the members who handle conversations."),
    )
}

pub async fn show(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        render(&st, &signed, &scope, &q, None, None).await
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

async fn render(
    st: &AppState,
    signed: &Signed,
    scope: &Scope,
    q: &Q,
    problem: Option<&str>,
    fresh_feed: Option<&str>,
) -> Result<Response, ApiError> {
    let (business, tz) = (&scope.business, scope.tz());
    let may = scope.may(st, signed, Role::Agent).await?;
    let feeds = if scope.may(st, signed, Role::Manager).await? {
        Some(st.db.tenant(&business.id).calendar_feeds().await?)
    } else {
        None
    };
    let today = Utc::now().with_timezone(&tz).date_naive();
    let day = q
        .day
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let week = q.view.as_deref() != Some("day");
    let first = if week {
        day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
    } else {
        day
    };
    let days: Vec<NaiveDate> = (0..if week { 7 } else { 1 })
        .map(|i| first + Duration::days(i))
        .collect();
    let last = *days.last().unwrap_or(&first);
    let (from, until) = (
        local_midnight(first, tz),
        local_midnight(last + Duration::days(1), tz),
    );
    let list = st
        .db
        .tenant(&business.id)
        .appointments_between(from, until, SPAN_MAX)
        .await?;
    let blocks = st
        .db
        .tenant(&business.id)
        .blocks_between(from, until)
        .await?;
    let manages = feeds.is_some();
    // One row per staff member of the profile, and one for appointments with nobody named.
    let mut staff: Vec<Option<String>> = scope
        .loaded
        .profile
        .staff
        .iter()
        .map(|s| Some(s.name.as_str().to_owned()))
        .collect();
    for a in &list {
        if !staff.contains(&a.staff) {
            staff.push(a.staff.clone());
        }
    }
    if staff.is_empty() {
        staff.push(None);
    }
    let slug = &business.slug;
    let view = if week { "week" } else { "day" };
    let step = if week { 7 } else { 1 };
    let link = |d: NaiveDate, v: &str| format!("/app/appointments?b={slug}&view={v}&day={d}");
    let note = match q.done.as_deref() {
        Some("cancelled") => Some("Cancelled. The customer has been told."),
        Some("moved") => Some("Moved. The customer has been told."),
        Some("completed") => Some("Marked completed."),
        Some("no_show") => Some("Marked a no-show."),
        Some("feed_revoked") => Some("Feed revoked: its address no longer works."),
        Some("blocked") => Some("Blocked: nobody can book that time now."),
        Some("unblocked") => Some("Unblocked: that time can be booked again."),
        _ => None,
    };
    let chrome = Chrome::of(signed, scope);
    let main = html! {
        (picker("/app/appointments", &scope.visible, business))
        section.heading {
            h1 { "Appointments" }
            p.muted {
                @if week { "Week of " (first.format("%A %-d %B %Y")) } @else { (day.format("%A %-d %B %Y")) }
                " · " (list.iter().filter(|a| a.status == AppointmentStatus::Booked).count()) " booked"
            }
        }
        @if let Some(n) = note { p.toast role="status" { (n) } }
        @if let Some(p) = problem { p.alert role="alert" { (p) } }
        nav.calnav aria-label="Calendar" {
            a href=(link(day - Duration::days(step), view)) { "← Earlier" }
            a href=(link(today, view)) { "Today" }
            a href=(link(day + Duration::days(step), view)) { "Later →" }
            span.switch {
                a href=(link(day, "day")) aria-current=[(!week).then_some("page")] { "Day" }
                a href=(link(day, "week")) aria-current=[week.then_some("page")] { "Week" }
            }
        }
        @if list.is_empty() {
            section.card.empty { p { "Nothing booked " @if week { "this week" } @else { "this day" } "." } }
        }
        div.calendar-wrap {
            table.calendar {
                caption.visually-hidden { "Appointments by staff member and day" }
                thead {
                    tr {
                        th scope="col" { "Staff" }
                        @for d in &days {
                            th scope="col" .today[*d == today] { a href=(link(*d, "day")) { (d.format("%a %-d")) } }
                        }
                    }
                }
                tbody {
                    @for who in &staff {
                        tr {
                            th scope="row" { (who.as_deref().unwrap_or("Anyone")) }
                            @for d in &days {
                                @let (a0, a1) = (local_midnight(*d, tz), local_midnight(*d + Duration::days(1), tz));
                                td {
                                    @for k in blocks.iter().filter(|k| (k.staff.is_none() || k.staff == *who) && k.start_at < a1 && k.end_at > a0) {
                                        div.appt.blocked data-status="blocked" {
                                            p.time { (local_time(k.start_at.max(a0), tz, "%-I:%M %p")) "–" (local_time(k.end_at.min(a1), tz, "%-I:%M %p")) }
                                            p.what { "Blocked" }
                                            @if !k.reason.is_empty() { p.muted.small { (k.reason) } }
                                        }
                                    }
                                    @for a in list.iter().filter(|a| a.staff == *who && a.start_at >= a0 && a.start_at < a1) {
                                        (slot(a, tz, slug, may, &signed.csrf, view, day))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if manages {
            (blocks_section(scope, signed, q, &blocks, day))
        }
        @if let Some(feeds) = &feeds {
            (feeds_section(scope, signed, q, feeds, fresh_feed))
        }
    };
    Ok(respond(
        if problem.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        },
        page("Appointments", Some(&chrome), main),
    ))
}

/// Time off and blocks (managers and owners): a staff member's or everyone's time nobody can
/// book, added from a day and time to a day and time, and each one shown removable.
fn blocks_section(
    scope: &Scope,
    signed: &Signed,
    q: &Q,
    blocks: &[frontdesk_store::blocks::TimeBlock],
    day: NaiveDate,
) -> Markup {
    let slug = &scope.business.slug;
    let back = q.back(slug);
    let tz = scope.tz();
    html! {
        section.card #time-off aria-labelledby="blocks-title" {
            h2 #blocks-title { "Time off and blocks" }
            p.muted { "Time nobody can book: the assistant, the booking page and the API leave it out. Appointments already in it stay." }
            @if !blocks.is_empty() {
                ul.feeds {
                    @for k in blocks {
                        li {
                            span { (k.staff.as_deref().unwrap_or("Everyone")) ": " (local_time(k.start_at, tz, "%a %-d %b %-I:%M %p")) " – " (local_time(k.end_at, tz, "%a %-d %b %-I:%M %p")) }
                            @if !k.reason.is_empty() { " " span.muted.small { (k.reason) } }
                            form.inline method="post" action={ "/app/blocks/" (k.id.as_str()) "/remove?" (back) } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button.danger type="submit" { "Remove" }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action={ "/app/blocks?" (back) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for="block-staff" { "Who" }
                select #block-staff name="staff" {
                    option value="" { "Everyone (the business)" }
                    @for s in &scope.loaded.profile.staff {
                        option value=(s.name.as_str()) { (s.name.as_str()) }
                    }
                }
                label for="block-from" { "From" }
                input #block-from type="datetime-local" name="from" required value={ (day) "T09:00" };
                label for="block-until" { "Until" }
                input #block-until type="datetime-local" name="until" required value={ (day) "T17:00" };
                label for="block-reason" { "Why (optional)" }
                input #block-reason type="text" name="reason" maxlength="200";
                button type="submit" { "Block this time" }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct BlockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

/// Adds a block (managers and up).
pub async fn add_block(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: BlockForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Manager).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let at = |v: &str| {
            NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|t| scope.tz().from_local_datetime(&t).earliest())
                .map(|t| t.timestamp_millis())
        };
        let (Some(from), Some(until)) = (at(&f.from), at(&f.until)) else {
            return render(
                &st,
                &signed,
                &scope,
                &q,
                Some("Choose when the block starts and ends."),
                None,
            )
            .await;
        };
        let staff = Some(f.staff.as_str()).filter(|s| !s.trim().is_empty());
        match crate::routes::blocks::add(
            &st,
            &signed.principal.actor(),
            &rid,
            &bid,
            staff,
            from,
            until,
            &f.reason,
        )
        .await
        {
            Ok(_) => {}
            Err(ApiError::Invalid { message, .. }) => {
                return render(
                    &st,
                    &signed,
                    &scope,
                    &q,
                    Some(&format!("Not blocked: {message}.")),
                    None,
                )
                .await;
            }
            Err(e) => return Err(e),
        }
        Ok(Redirect::to(&format!(
            "/app/appointments?b={}&view={}&day={}&done=blocked#time-off",
            scope.business.slug,
            q.view.as_deref().unwrap_or("week"),
            q.day.as_deref().unwrap_or("")
        ))
        .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => outcome(Err(e), Some("Blocking time is for managers and owners.")),
    }
}

/// Removes a block (managers and up).
pub async fn remove_block(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let why = (
        "unblocked",
        "time-off",
        "Blocking time is for managers and owners.",
    );
    managers_step(&st, &signed, &q, &body, why, async |bid| {
        crate::routes::blocks::remove(&st, &signed.principal.actor(), &rid, bid, &id).await
    })
    .await
}

/// The business's private calendar feeds (managers and owners): a new one for the business or
/// a staff member, its address shown once, and each live one revocable.
fn feeds_section(
    scope: &Scope,
    signed: &Signed,
    q: &Q,
    feeds: &[CalendarFeed],
    fresh: Option<&str>,
) -> Markup {
    let slug = &scope.business.slug;
    let back = q.back(slug);
    let tz = scope.tz();
    html! {
        section.card #calendar-feeds aria-labelledby="feeds-title" {
            h2 #feeds-title { "Calendar feeds" }
            p.muted { "Subscribe Google Calendar, Outlook or Apple Calendar to these appointments. Anyone with a feed's address sees them, customers' names and numbers included, until you revoke it." }
            @if let Some(url) = fresh {
                div.toast role="status" {
                    p { strong { "Your new feed's address" } " — copy it now; it is not shown again." }
                    label.visually-hidden for="feed-url" { "Feed address" }
                    input #feed-url type="text" readonly value=(url);
                }
            }
            @if !feeds.is_empty() {
                ul.feeds {
                    @for f in feeds {
                        li {
                            span { (f.staff.as_deref().unwrap_or("Everyone's appointments")) }
                            " " span.muted.small { "made " (local_time(f.created_at, tz, "%-d %b %Y")) }
                            form.inline method="post" action={ "/app/calendar-feeds/" (f.id.as_str()) "/revoke?" (back) } {
                                input type="hidden" name="csrf" value=(signed.csrf);
                                button.danger type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
            form method="post" action={ "/app/calendar-feeds?" (back) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for="feed-staff" { "New feed of" }
                select #feed-staff name="staff" {
                    option value="" { "Everyone's appointments" }
                    @for s in &scope.loaded.profile.staff {
                        option value=(s.name.as_str()) { (s.name.as_str()) }
                    }
                }
                button type="submit" { "Make a feed" }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct FeedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    staff: String,
}

/// Makes a calendar feed (managers and up) and shows its address once.
pub async fn new_feed(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    headers: axum::http::HeaderMap,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: FeedForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Manager).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let staff = Some(f.staff.as_str()).filter(|s| !s.trim().is_empty());
        let base = crate::channels::webhook::base_url(&st, &headers);
        let (_, url) = crate::routes::calendars::make(
            &st,
            &signed.principal.actor(),
            &rid,
            &bid,
            staff,
            &base,
        )
        .await?;
        render(&st, &signed, &scope, &q, None, Some(&url)).await
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => outcome(Err(e), Some("Calendar feeds are for managers and owners.")),
    }
}

/// Revokes a calendar feed (managers and up): its address stops working at once.
pub async fn revoke_feed(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let why = (
        "feed_revoked",
        "calendar-feeds",
        "Calendar feeds are for managers and owners.",
    );
    managers_step(&st, &signed, &q, &body, why, async |bid| {
        crate::routes::calendars::revoke(&st, &signed.principal.actor(), &rid, bid, &id).await
    })
    .await
}

/// One appointment in the calendar, with its actions for those who may take them.
fn slot(
    a: &Appointment,
    tz: chrono_tz::Tz,
    slug: &str,
    may: bool,
    csrf: &str,
    view: &str,
    day: NaiveDate,
) -> Markup {
    let booked = a.status == AppointmentStatus::Booked;
    let back = format!("b={slug}&view={view}&day={day}");
    let id = a.id.as_str();
    html! {
        div.appt.booked[booked] data-status=(a.status.as_str()) {
            p.time { (local_time(a.start_at, tz, "%-I:%M %p")) "–" (local_time(a.end_at, tz, "%-I:%M %p")) }
            p.what { (a.service) }
            p.muted.small {
                (a.name.as_deref().unwrap_or("No name"))
                @if let Some(p) = &a.phone { " · " a href={ "tel:" (p.as_str()) } { (p.as_str()) } }
            }
            @if !booked {
                p.state {
                    (a.status.as_str().replace('_', " "))
                    @if let Some(by) = a.cancelled_by { " by " (by.as_str()) }
                    @if let Some(why) = &a.cancel_reason { ": " (why) }
                }
            }
            @if may && booked {
                details {
                    summary { "Change" }
                    form method="post" action={ "/app/appointments/" (id) "/move?" (back) } {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "move-" (id) } { "Move to" }
                        input id={ "move-" (id) } type="datetime-local" name="start" required
                            value=(local_time(a.start_at, tz, "%Y-%m-%dT%H:%M"));
                        button type="submit" { "Move" }
                    }
                    div.row-actions {
                        @for (step, label) in [("completed", "Done"), ("no_show", "No-show")] {
                            form method="post" action={ "/app/appointments/" (id) "/" (step) "?" (back) } {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (label) }
                            }
                        }
                        form method="post" action={ "/app/appointments/" (id) "/cancel?" (back) } {
                            input type="hidden" name="csrf" value=(csrf);
                            label.visually-hidden for={ "why-" (id) } { "Why it is cancelled (optional)" }
                            input id={ "why-" (id) } type="text" name="reason" maxlength="200" placeholder="Why (optional)";
                            button.danger type="submit" { "Cancel" }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    reason: String,
}

/// Cancels, moves or marks an appointment: agents and up, with the session's form token;
/// audited with the change.
pub async fn change(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let f: ChangeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid = signed.principal.business(&st, key, Role::Agent).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let change = match step.as_str() {
            "cancel" => AppointmentChange::Cancel {
                by: frontdesk_store::states::CancelledBy::Staff,
                reason: Some(f.reason.chars().take(200).collect::<String>())
                    .filter(|r| !r.trim().is_empty()),
            },
            "completed" => AppointmentChange::Mark(AppointmentStatus::Completed),
            "no_show" => AppointmentChange::Mark(AppointmentStatus::NoShow),
            "move" => {
                let start = NaiveDateTime::parse_from_str(f.start.trim(), "%Y-%m-%dT%H:%M")
                    .ok()
                    .and_then(|t| scope.tz().from_local_datetime(&t).earliest())
                    .map(|t| t.timestamp_millis())
                    .ok_or_else(|| ApiError::invalid("Choose the new day and time."))?;
                AppointmentChange::Move { start, staff: None }
            }
            _ => return Ok(not_found()),
        };
        match crate::routes::appointments::change(
            &st,
            &signed.principal.actor(),
            &rid,
            &bid,
            &id,
            change,
        )
        .await
        {
            Ok(_) => {}
            Err(ApiError::Conflict(m)) => {
                let why = format!("Not changed: {m}.");
                return render(&st, &signed, &scope, &q, Some(&why), None).await;
            }
            Err(e) => return Err(e),
        }
        let done = match step.as_str() {
            "cancel" => "cancelled",
            "move" => "moved",
            s => s,
        };
        Ok(Redirect::to(&format!(
            "/app/appointments?b={}&view={}&day={}&done={done}",
            scope.business.slug,
            q.view.as_deref().unwrap_or("week"),
            q.day.as_deref().unwrap_or("")
        ))
        .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}
