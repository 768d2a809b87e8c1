//! The business's public booking page (`/book/{slug}`, and per service with `?service=`): the
//! same free times the agent offers, a name and a way to reach the customer, and the same
//! booking, confirmation and reminders (`frontdesk_desk::booking`), with no account. A time
//! taken meanwhile is refused with the next free ones. Anonymous visitors are held to a few
//! bookings an hour per address and per business, and the form carries a token from its own
//! cookie, so another site cannot book (and send texts) in a visitor's name.

use std::num::NonZeroU32;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use frontdesk_desk::accounts::random_secret;
use frontdesk_desk::booking;
use frontdesk_engine::Profile;
use frontdesk_engine::schedule::Slot;
use frontdesk_store::businesses;
use governor::Quota;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::layout::respond;
use super::session::{cookie, set_cookie};
use crate::error::ApiError;
use crate::routes::RequestId;
use crate::{AppState, Limiter};

/// The form token's cookie on the booking page.
const BOOK_CSRF: &str = "fd_book_csrf";
/// How many days of free times the page offers.
const DAYS_OFFERED: u32 = 14;

/// Bookings made from the public page: per client address, and per business from everyone.
pub struct Limits {
    by_client: Limiter,
    by_business: Limiter,
}

impl Limits {
    /// The limits the settings give (`server.booking_page_per_*_per_hour`).
    pub fn new(per_address: u32, per_business: u32) -> Self {
        let per_hour = |n: u32| Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_client: Limiter::tracking(per_hour(per_address), 100_000),
            by_business: Limiter::tracking(per_hour(per_business), 100_000),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Q {
    service: Option<String>,
    day: Option<String>,
    start: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct BookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

fn public(title: &str, business: &str, main: Markup) -> Markup {
    super::selfservice::public(title, Some(business), false, main)
}

fn not_found() -> Response {
    respond(
        StatusCode::NOT_FOUND,
        html! { (DOCTYPE) html lang="en" { head { meta charset="utf-8"; title { "Not found" } link rel="stylesheet" href="/static/app.css"; } body { main #main { h1 { "There is no booking page here" } } } } },
    )
}

/// The business of a slug with its profile, if it takes appointments.
async fn business(
    st: &AppState,
    slug: &str,
) -> Option<(
    businesses::Business,
    std::sync::Arc<frontdesk_desk::host::Loaded>,
)> {
    let b = businesses::get_by_slug(&mut st.db.clone(), slug)
        .await
        .ok()?;
    let loaded = st.desk.host.load(&mut st.db.tenant(&b.id)).await.ok()?;
    (!loaded.profile.services.is_empty()).then_some((b, loaded))
}

/// The page with a fresh form token in its cookie.
fn with_token(st: &AppState, status: StatusCode, markup: impl FnOnce(&str) -> Markup) -> Response {
    let token = random_secret("");
    let mut resp = respond(status, markup(&token));
    set_cookie(
        resp.headers_mut(),
        st,
        BOOK_CSRF,
        &token,
        "/book",
        Some(3600),
        "Strict",
    );
    resp
}

pub async fn show(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Q>,
) -> Response {
    let Some((b, loaded)) = business(&st, &slug).await else {
        return not_found();
    };
    render(&st, &b, &loaded.profile, &q, None, None).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    st: &AppState,
    b: &businesses::Business,
    p: &Profile,
    q: &Q,
    problem: Option<&str>,
    offered: Option<&[Slot]>,
) -> Response {
    let tz = p.timezone.0;
    let now = Utc::now();
    let service = q
        .service
        .as_deref()
        .and_then(|s| frontdesk_engine::schedule::find_service(p, s));
    let slug = &b.slug;
    let chosen_start = q
        .start
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&tz));
    let slots: Vec<Slot> = match (service, offered) {
        (_, Some(o)) => o.to_vec(),
        (Some(s), None) if chosen_start.is_none() => {
            let today = now.with_timezone(&tz).date_naive();
            booking::free(
                &mut st.db.tenant(&b.id),
                p,
                s.name.as_str(),
                None,
                today,
                DAYS_OFFERED,
                now,
            )
            .await
            .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut days: Vec<NaiveDate> = slots.iter().map(|s| s.start.date_naive()).collect();
    days.dedup();
    let day = q
        .day
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| days.contains(d))
        .or_else(|| days.first().copied());
    let status = if problem.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let business = b.name.clone();
    with_token(st, status, |token| {
        public(
            "Book",
            &business,
            html! {
                section.heading {
                    h1 { "Book an appointment" }
                    p.muted { (p.name.as_str()) @if let Some(a) = &p.address { " · " (a) } }
                }
                @if let Some(pr) = problem { p.alert role="alert" { (pr) } }
                @match (service, chosen_start) {
                    (None, _) => {
                        section.card aria-labelledby="svc-title" {
                            h2 #svc-title { "Choose a service" }
                            ul.services {
                                @for s in &p.services {
                                    li {
                                        a href={ "/book/" (slug) "?service=" (urlencoding(s.name.as_str())) } { (s.name.as_str()) }
                                        " " span.muted.small { (s.duration_min.0) " min" @if let Some(pr) = &s.price { " · " (pr) } }
                                    }
                                }
                            }
                        }
                    }
                    (Some(s), None) => {
                        section.card aria-labelledby="time-title" {
                            h2 #time-title { (s.name.as_str()) ": choose a time" }
                            p.muted.small { "Times are in the " (tz.name().replace('_', " ")) " time zone." }
                            @if slots.is_empty() {
                                p { "No free time in the next two weeks. Call " a href={ "tel:" (p.phone.as_str()) } { (p.phone.as_str()) } "." }
                            } @else {
                                nav.days aria-label="Days" {
                                    @for d in &days {
                                        a href={ "/book/" (slug) "?service=" (urlencoding(s.name.as_str())) "&day=" (d) } aria-current=[(Some(*d) == day).then_some("page")] { (d.format("%a %-d %b")) }
                                    }
                                }
                                ul.times {
                                    @for t in slots.iter().filter(|t| Some(t.start.date_naive()) == day || offered.is_some()) {
                                        li { a.button href={ "/book/" (slug) "?service=" (urlencoding(s.name.as_str())) "&start=" (urlencoding(&t.start.to_rfc3339())) } { (t.start.format(if offered.is_some() { "%a %-d %b, %-I:%M %p" } else { "%-I:%M %p" })) } }
                                    }
                                }
                            }
                            p { a href={ "/book/" (slug) } { "Another service" } }
                        }
                    }
                    (Some(s), Some(start)) => {
                        section.card aria-labelledby="who-title" {
                            h2 #who-title { (s.name.as_str()) }
                            p { strong { (start.format("%A %-d %B %Y, %-I:%M %p")) } }
                            form.stack method="post" action={ "/book/" (slug) } {
                                input type="hidden" name="csrf" value=(token);
                                input type="hidden" name="service" value=(s.name.as_str());
                                input type="hidden" name="start" value=(start.to_rfc3339());
                                label for="name" { "Your name" }
                                input #name type="text" name="name" autocomplete="name" maxlength="100" required;
                                label for="phone" { "Mobile number" }
                                input #phone type="tel" name="phone" autocomplete="tel";
                                label for="email" { "E-mail (if you'd rather not give a number)" }
                                input #email type="email" name="email" autocomplete="email";
                                button.primary type="submit" { "Book it" }
                            }
                            p { a href={ "/book/" (slug) "?service=" (urlencoding(s.name.as_str())) } { "Another time" } }
                        }
                    }
                }
            },
        )
    })
}

/// `s` as a query string's value.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// Books from the page: the form's token, the limits, then the same booking as the API's.
pub async fn book(
    State(st): State<AppState>,
    rid: RequestId,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    let Some((b, loaded)) = business(&st, &slug).await else {
        return not_found();
    };
    let p = &loaded.profile;
    let f: BookForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let expected = cookie(&headers, BOOK_CSRF).unwrap_or_default();
    let q = Q {
        service: Some(f.service.clone()),
        day: None,
        start: Some(f.start.clone()),
    };
    if expected.is_empty()
        || !super::session::constant_time_eq(f.csrf.as_bytes(), expected.as_bytes())
    {
        return render(
            &st,
            &b,
            p,
            &q,
            Some("The form had expired. Please send it again."),
            None,
        )
        .await;
    }
    let name = f.name.trim();
    let phone = Some(f.phone.trim()).filter(|s| !s.is_empty());
    let email = Some(f.email.trim()).filter(|s| !s.is_empty());
    let phone = match phone.map(|n| booking::read_phone(n, p).ok_or(())) {
        Some(Err(())) => {
            return render(
                &st,
                &b,
                p,
                &q,
                Some("That mobile number does not look right."),
                None,
            )
            .await;
        }
        Some(Ok(n)) => Some(n),
        None => None,
    };
    let email = match email.map(frontdesk_engine::Email::parse) {
        Some(Err(_)) => {
            return render(
                &st,
                &b,
                p,
                &q,
                Some("That e-mail address does not look right."),
                None,
            )
            .await;
        }
        Some(Ok(e)) => Some(e),
        None => None,
    };
    if name.is_empty() || name.chars().count() > 100 || (phone.is_none() && email.is_none()) {
        return render(
            &st,
            &b,
            p,
            &q,
            Some("Give your name and a mobile number or an e-mail address, so we can confirm it."),
            None,
        )
        .await;
    }
    let Ok(start) = DateTime::parse_from_rfc3339(f.start.trim()).map(|d| d.with_timezone(&Utc))
    else {
        return render(&st, &b, p, &Q::default(), Some("Choose a time."), None).await;
    };
    if st
        .book_limits
        .by_client
        .check(ip.as_deref().unwrap_or("?"))
        .is_err()
        || st.book_limits.by_business.check(b.id.as_str()).is_err()
    {
        return render(
            &st,
            &b,
            p,
            &q,
            Some("Too many bookings from here just now. Please call us instead."),
            None,
        )
        .await;
    }
    let request = booking::Request {
        service: f.service.clone(),
        start,
        staff: None,
        contact: frontdesk_engine::agent::Contact {
            name: Some(name.to_owned()),
            phone,
            email,
        },
    };
    let outcome = async {
        let mut tx = st.db.begin().await?;
        match booking::book(&st.desk.host, &mut tx, &b.id, &request, Utc::now()).await? {
            booking::Outcome::Booked(a) => {
                let actor = frontdesk_store::audit::Actor { kind: "customer", id: a.customer_id.as_ref().map(ToString::to_string) };
                crate::routes::audit(
                    &mut tx,
                    &actor,
                    &rid,
                    Some(&b.id),
                    "appointment.book",
                    ("appointment", a.id.as_str()),
                    serde_json::json!({"service": a.service, "start_at": a.start_at, "staff": a.staff, "from": "booking page"}),
                )
                .await?;
                tx.commit().await?;
                st.desk.host.wake();
                Ok::<_, ApiError>(Ok(a))
            }
            booking::Outcome::Taken { next } => Ok(Err(next)),
        }
    }
    .await;
    match outcome {
        Ok(Ok(a)) => {
            let link = st
                .desk
                .host
                .links()
                .map(|l| l.url(&b.id, &a.id, a.revision, a.start_at));
            let when = super::selfservice::when(p, a.start_at);
            respond(
                StatusCode::CREATED,
                public(
                    "Booked",
                    &b.name,
                    html! {
                        section.heading { h1 { "You're booked" } }
                        p.toast role="status" { "We've sent you a confirmation." }
                        section.card {
                            h2 { (a.service) }
                            p { strong { (when) } }
                            @if let Some(s) = &a.staff { p { "With " (s) } }
                            @if let Some(l) = link { p { a href=(l) { "Change or cancel it" } } }
                        }
                    },
                ),
            )
        }
        Ok(Err(next)) => {
            render(
                &st,
                &b,
                p,
                &q_service(&f.service),
                Some("That time was just taken. Here are the next free ones."),
                Some(&next),
            )
            .await
        }
        Err(ApiError::Conflict(_)) => {
            render(
                &st,
                &b,
                p,
                &q_service(&f.service),
                Some("That time was just taken. Choose another."),
                None,
            )
            .await
        }
        Err(ApiError::Invalid { message, .. }) => {
            render(&st, &b, p, &Q::default(), Some(&message), None).await
        }
        Err(e) => super::layout::outcome(Err(e), None),
    }
}

fn q_service(service: &str) -> Q {
    Q {
        service: Some(service.to_owned()),
        day: None,
        start: None,
    }
}
