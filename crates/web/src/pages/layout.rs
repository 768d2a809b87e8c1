//! The page shell every page shares: the document, the top bar and the main column.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::error::ApiError;

/// Who is signed in, for the top bar, and the business the pages are about (for the links).
pub struct Chrome<'a> {
    pub email: &'a str,
    pub csrf: &'a str,
    pub business: Option<&'a str>,
    /// The operator's console is linked for operators.
    pub operator: bool,
    /// What the business has, so only its sections are linked: services, units, a menu.
    pub has: (bool, bool, bool),
}

impl<'a> Chrome<'a> {
    /// The top bar for `signed`, on a page about no business.
    pub fn new(signed: &'a super::Signed, business: Option<&'a str>) -> Self {
        Self {
            email: &signed.user.email,
            csrf: &signed.csrf,
            business,
            operator: signed.user.is_operator,
            has: (true, false, false),
        }
    }

    /// The top bar for `signed` on a page about `scope`'s business, with its sections.
    pub fn of(signed: &'a super::Signed, scope: &'a super::Scope) -> Self {
        let p = &scope.loaded.profile;
        Self {
            has: (
                !p.services.is_empty(),
                !p.units.is_empty(),
                !p.menu.is_empty(),
            ),
            ..Self::new(signed, Some(&scope.business.slug))
        }
    }
}

/// A whole page: `title` in the tab, `chrome` for a signed-in person (none on sign-in).
pub fn page(title: &str, chrome: Option<&Chrome<'_>>, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · frontdesk" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/app" { span.mark aria-hidden="true" { "fd" } "frontdesk" }
                    @if let Some(c) = chrome {
                        div.who {
                            @if c.operator { a href="/ops" { "Operator" } }
                            a.email href="/app/account" title="Your account" { (c.email) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(c.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                @if let Some((b, (services, units, menu))) = chrome.and_then(|c| c.business.map(|b| (b, c.has))) {
                    nav.sections aria-label="Sections" {
                        a href={ "/app?b=" (b) } aria-current=[(title == "Home").then_some("page")] { "Home" }
                        a href={ "/app/conversations?b=" (b) } aria-current=[(title.starts_with("Conversation")).then_some("page")] { "Conversations" }
                        @if services { a href={ "/app/appointments?b=" (b) } aria-current=[(title == "Appointments").then_some("page")] { "Appointments" } }
                        @if units { a href={ "/app/units?b=" (b) } aria-current=[(title == "Units").then_some("page")] { "Units" } }
                        @if menu { a href={ "/app/orders?b=" (b) } aria-current=[(title == "Orders").then_some("page")] { "Orders" } }
                        a href={ "/app/customers?b=" (b) } aria-current=[(title.starts_with("Customer")).then_some("page")] { "Customers" }
                        a href={ "/app/messages?b=" (b) } aria-current=[(title == "Messages").then_some("page")] { "Messages" }
                        a href={ "/app/questions?b=" (b) } aria-current=[(title == "Unanswered questions").then_some("page")] { "Questions" }
                        a href={ "/app/analytics?b=" (b) } aria-current=[(title == "Analytics").then_some("page")] { "Analytics" }
                        a href={ "/app/console?b=" (b) } aria-current=[(title == "Test console").then_some("page")] { "Test" }
                        a href={ "/app/team?b=" (b) } aria-current=[(title == "Team").then_some("page")] { "Team" }
                        a href={ "/app/settings?b=" (b) } aria-current=[(title == "Settings").then_some("page")] { "Settings" }
                    }
                }
                main #main { (main) }
            }
        }
    }
}

/// A page answered with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A short page that says what went wrong, for a request that cannot be served.
pub fn problem(status: StatusCode, heading: &str, text: &str) -> Response {
    respond(
        status,
        page(
            heading,
            None,
            html! {
                section.card.narrow {
                    h1 { (heading) }
                    p { (text) }
                    p { a href="/app" { "Back to the dashboard" } }
                }
            },
        ),
    )
}

/// The answer to a form without its session's token: forged elsewhere, or from an old page.
pub fn expired() -> Response {
    problem(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "For your safety, forms only work from the page that showed them.",
    )
}

/// The page for something that is not there, or not the person's to see.
pub fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Nothing here",
        "It does not exist, or you are not a member of its business.",
    )
}

/// A page, or the page for why it cannot be shown: not found, or (with `role`, which says who
/// may) not for the person's role, or what was wrong with a form. Without `role` a refusal
/// reads as not found.
pub fn outcome(r: Result<Response, ApiError>, role: Option<&str>) -> Response {
    match (r, role) {
        (Ok(r), _) => r,
        (Err(ApiError::Invalid { message, .. }), _) => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, "Not done", &message)
        }
        (Err(ApiError::Forbidden(_)), Some(who)) => {
            problem(StatusCode::FORBIDDEN, "Not for your role", who)
        }
        (Err(ApiError::NotFound | ApiError::Forbidden(_)), _) => not_found(),
        (Err(e), _) => e.into_response(),
    }
}
