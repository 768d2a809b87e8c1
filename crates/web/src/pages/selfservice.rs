//! The customer's own page for one appointment, reached by the signed link in a confirmation
//! or reminder (`frontdesk_desk::selfservice`), with no account: what is booked, a new time
//! chosen from the real free times, or a cancellation — each through `Host::change_appointment`
//! like a change made by staff, so the customer gets a new confirmation (with a new link) and
//! the change is audited. A link that was altered, has expired, or whose appointment changed
//! since says so plainly and changes nothing; the profile's `booking.change_notice_min` is
//! honoured (closer than that, the page asks the customer to call).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use frontdesk_desk::booking;
use frontdesk_desk::host::AppointmentChange;
use frontdesk_desk::selfservice::{Claim, LinkError, Links};
use frontdesk_engine::Profile;
use frontdesk_store::appointments::{self, Appointment};
use frontdesk_store::audit::Actor;
use frontdesk_store::states::AppointmentStatus;
use frontdesk_store::{BusinessId, now_ms};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::layout::respond;
use crate::AppState;
use crate::error::ApiError;
use crate::routes::RequestId;

/// How many days of free times the page offers to choose from.
const DAYS_OFFERED: u32 = 14;

#[derive(Deserialize)]
pub struct Q {
    day: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MoveForm {
    #[serde(default)]
    start: String,
}

/// A page of the business's, not of the dashboard: no sign-in, no sections (this one and the
/// booking page). A `private` one (behind a secret link) is kept out of search engines and
/// sends no referrer.
pub(super) fn public(title: &str, business: Option<&str>, private: bool, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if private {
                    meta name="robots" content="noindex";
                    meta name="referrer" content="no-referrer";
                }
                title { (title) @if let Some(b) = business { " · " (b) } }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top { span.brand { (business.unwrap_or("Your appointment")) } }
                main #main .selfservice { (main) }
            }
        }
    }
}

fn refusal(e: LinkError, p: Option<&Profile>) -> Response {
    let call = p.map(|p| format!(" Call {} and we'll help.", p.phone.as_str()));
    let (status, title, words) = match e {
        LinkError::Invalid => (
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that the whole link was copied from the message we sent.".to_owned(),
        ),
        LinkError::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "The appointment's time has passed, so it can no longer be changed here.".to_owned(),
        ),
        LinkError::Used => (
            StatusCode::GONE,
            "This link was already used",
            "The appointment has changed since this link was sent. The newest message from us has the link to use now.".to_owned(),
        ),
    };
    respond(
        status,
        public(
            title,
            p.map(|p| p.name.as_str()),
            true,
            html! {
                section.heading { h1 { (title) } }
                p.alert role="alert" { (words) (call.unwrap_or_default()) }
            },
        ),
    )
}

/// The appointment a token opens, with its business and profile, or why it does not.
async fn open(
    st: &AppState,
    token: &str,
) -> Result<
    (
        BusinessId,
        Appointment,
        std::sync::Arc<frontdesk_desk::host::Loaded>,
    ),
    Response,
> {
    let links = st
        .desk
        .host
        .links()
        .ok_or_else(|| refusal(LinkError::Invalid, None))?;
    let claim: Claim = Links::claim(token).map_err(|e| refusal(e, None))?;
    let business = match appointments::business_of(&mut st.db.clone(), &claim.appointment).await {
        Ok(b) => b,
        Err(_) => return Err(refusal(LinkError::Invalid, None)),
    };
    let mut t = st.db.tenant(&business);
    let a = t
        .appointment(&claim.appointment)
        .await
        .map_err(|_| refusal(LinkError::Invalid, None))?;
    let loaded = st
        .desk
        .host
        .load(&mut t)
        .await
        .map_err(|_| refusal(LinkError::Invalid, None))?;
    match links.check(&claim, &business, a.revision, now_ms()) {
        Ok(()) => Ok((business, a, loaded)),
        Err(LinkError::Invalid) => Err(refusal(LinkError::Invalid, None)),
        Err(e) => Err(refusal(e, Some(&loaded.profile))),
    }
}

/// When an appointment is, in the business's zone: "Thursday 3 December 2026, 1:30 PM".
pub(super) fn when(p: &Profile, ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&p.timezone.0)
        .format("%A %-d %B %Y, %-I:%M %p")
        .to_string()
}

/// Whether the customer may still change it here: booked, and not closer to its start than
/// the profile's notice for changes.
fn changeable(p: &Profile, a: &Appointment, now: i64) -> bool {
    a.status == AppointmentStatus::Booked
        && now + i64::from(p.booking.change_notice_min) * 60_000 < a.start_at
}

pub async fn show(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Q>,
) -> Response {
    let (business, a, loaded) = match open(&st, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = &loaded.profile;
    match render(&st, &business, &token, &a, p, q.day.as_deref(), None).await {
        Ok(r) => r,
        Err(e) => super::layout::outcome(Err(e), None),
    }
}

async fn render(
    st: &AppState,
    business: &BusinessId,
    token: &str,
    a: &Appointment,
    p: &Profile,
    day: Option<&str>,
    problem: Option<&str>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let tz = p.timezone.0;
    let may = changeable(p, a, now.timestamp_millis());
    let today = now.with_timezone(&tz).date_naive();
    // The free times for the same service with the same person, this appointment's own time
    // not counted as taken.
    let slots = if may {
        let mut t = st.db.tenant(business);
        booking::free_except(
            &mut t,
            p,
            &a.service,
            a.staff.as_deref(),
            today,
            DAYS_OFFERED,
            now,
            Some(&a.id),
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.start.timestamp_millis() != a.start_at)
        .collect()
    } else {
        Vec::new()
    };
    let mut days: Vec<NaiveDate> = slots.iter().map(|s| s.start.date_naive()).collect();
    days.dedup();
    let chosen = day
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| days.contains(d))
        .or_else(|| days.first().copied());
    let status = match a.status {
        AppointmentStatus::Booked => None,
        AppointmentStatus::Cancelled => Some("This appointment was cancelled."),
        AppointmentStatus::Completed => Some("This appointment has taken place."),
        AppointmentStatus::NoShow => Some("This appointment has passed."),
    };
    let main = html! {
        section.heading {
            h1 { "Your appointment" }
        }
        @if let Some(pr) = problem { p.alert role="alert" { (pr) } }
        section.card {
            h2 { (a.service) }
            p { strong { (when(p, a.start_at)) } }
            @if let Some(s) = &a.staff { p { "With " (s) } }
            p.muted { (p.name.as_str()) @if let Some(addr) = &p.address { " · " (addr) } }
            p.muted.small { "Times are in the " (tz.name().replace('_', " ")) " time zone." }
            @if let Some(s) = status { p.toast role="status" { (s) } }
        }
        @if a.status == AppointmentStatus::Booked && !may {
            p.alert role="alert" { "It is too close to the time to change it here. Call " a href={ "tel:" (p.phone.as_str()) } { (p.phone.as_str()) } "." }
        }
        @if may {
            section.card aria-labelledby="move-title" {
                h2 #move-title { "Choose a new time" }
                @if slots.is_empty() {
                    p { "There is no other free time in the next two weeks. Call " a href={ "tel:" (p.phone.as_str()) } { (p.phone.as_str()) } "." }
                } @else {
                    nav.days aria-label="Days" {
                        @for d in &days {
                            a href={ "?day=" (d) } aria-current=[(Some(*d) == chosen).then_some("page")] { (d.format("%a %-d %b")) }
                        }
                    }
                    ul.times {
                        @for s in slots.iter().filter(|s| Some(s.start.date_naive()) == chosen) {
                            li {
                                form method="post" action={ "/a/" (token) "/move" } {
                                    input type="hidden" name="start" value=(s.start.to_rfc3339());
                                    button type="submit" { (s.start.format("%-I:%M %p")) }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="cancel-title" {
                h2 #cancel-title { "Cancel it" }
                form method="post" action={ "/a/" (token) "/cancel" } {
                    button.danger type="submit" { "Cancel this appointment" }
                }
            }
        }
    };
    Ok(respond(
        if problem.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        },
        public("Your appointment", Some(p.name.as_str()), true, main),
    ))
}

/// Moves or cancels the appointment for the link's holder, as staff would (the customer is
/// sent a new confirmation), audited as done by the customer.
pub async fn change(
    State(st): State<AppState>,
    rid: RequestId,
    Path((token, step)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (business, a, loaded) = match open(&st, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = &loaded.profile;
    let now = Utc::now();
    if !changeable(p, &a, now.timestamp_millis()) {
        return match render(&st, &business, &token, &a, p, None, None).await {
            Ok(r) => r,
            Err(e) => super::layout::outcome(Err(e), None),
        };
    }
    let change = match step.as_str() {
        "cancel" => AppointmentChange::Cancel {
            by: frontdesk_store::states::CancelledBy::Customer,
            reason: None,
        },
        "move" => {
            let f: MoveForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let start = DateTime::parse_from_rfc3339(f.start.trim()).map(|d| d.with_timezone(&Utc));
            let free = match start {
                Ok(start) => {
                    let mut t = st.db.tenant(&business);
                    let day = start.with_timezone(&p.timezone.0).date_naive();
                    booking::free_except(
                        &mut t,
                        p,
                        &a.service,
                        a.staff.as_deref(),
                        day,
                        1,
                        now,
                        Some(&a.id),
                    )
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .any(|s| s.start == start)
                    .then_some(start)
                }
                Err(_) => None,
            };
            let Some(start) = free else {
                return match render(
                    &st,
                    &business,
                    &token,
                    &a,
                    p,
                    None,
                    Some("That time is no longer free. Choose another."),
                )
                .await
                {
                    Ok(r) => r,
                    Err(e) => super::layout::outcome(Err(e), None),
                };
            };
            AppointmentChange::Move {
                start: start.timestamp_millis(),
                staff: None,
            }
        }
        _ => return refusal(LinkError::Invalid, None),
    };
    let actor = Actor {
        kind: "customer",
        id: a.customer_id.as_ref().map(ToString::to_string),
    };
    let moved = matches!(change, AppointmentChange::Move { .. });
    match crate::routes::appointments::change(&st, &actor, &rid, &business, a.id.as_str(), change)
        .await
    {
        Ok(after) => {
            let words = if moved {
                format!(
                    "Moved to {}. We've sent you a confirmation with a new link.",
                    when(p, after.start_at)
                )
            } else {
                "Cancelled. We've sent you a confirmation.".to_owned()
            };
            respond(
                StatusCode::OK,
                public(
                    "Your appointment",
                    Some(p.name.as_str()),
                    true,
                    html! {
                        section.heading { h1 { "Your appointment" } }
                        p.toast role="status" { (words) }
                        section.card {
                            h2 { (after.service) }
                            p { strong { (when(p, after.start_at)) } }
                            @if after.status == AppointmentStatus::Cancelled { p { "Cancelled." } }
                        }
                    },
                ),
            )
        }
        Err(ApiError::Conflict(_)) => {
            let a = st
                .db
                .tenant(&business)
                .appointment(&a.id)
                .await
                .unwrap_or(a);
            match render(
                &st,
                &business,
                &token,
                &a,
                p,
                None,
                Some("That time was just taken. Choose another."),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => super::layout::outcome(Err(e), None),
            }
        }
        Err(e) => super::layout::outcome(Err(e), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_refused_inside_the_profile_s_notice() {
        let mut p = Profile::from_yaml(
            "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15550000000\"\nbooking: {change_notice_min: 120}\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let a = Appointment {
            id: frontdesk_store::RecordId::new(),
            customer_id: None,
            conversation_id: None,
            service: "X".into(),
            staff: None,
            start_at: 10 * 3_600_000,
            end_at: 11 * 3_600_000,
            status: AppointmentStatus::Booked,
            phone: None,
            name: None,
            created_at: 0,
            updated_at: 0,
            revision: 0,
            cancelled_by: None,
            cancel_reason: None,
        };
        assert!(changeable(&p, &a, 7 * 3_600_000));
        assert!(!changeable(&p, &a, 8 * 3_600_000));
        p.booking.change_notice_min = 0;
        assert!(changeable(&p, &a, 10 * 3_600_000 - 1));
        assert!(!changeable(&p, &a, 10 * 3_600_000));
    }
}
