//! The dashboard: pages rendered on the server (maud), one stylesheet, no script. `/` leads to
//! sign-in; a signed-in person gets a session cookie (HttpOnly, SameSite=Lax, Secure when the
//! public URL is HTTPS) whose hash is kept in `web_sessions` with the token every form of the
//! session carries (CSRF). Pages work without script; the one script file (`live.js`, the home
//! page's live feed) is served from here, and the Content-Security-Policy allows no other.
//! Role checks are the API's own (`Principal`), so a page shows a business only to whom the
//! API would.

mod account;
mod analytics;
mod appointments;
mod book;
mod console;
mod conversations;
mod customers;
mod home;
mod layout;
mod links;
mod live;
mod messages;
mod ops;
mod questions;
mod recordings;
mod sales;
mod selfservice;
mod session;
mod settings;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;
use frontdesk_store::accounts::Role;
use frontdesk_store::businesses::{self, Business};

pub use book::Limits as BookLimits;
pub use links::Limits as LinkLimits;

/// The roles a business's member can be given in the pages, most powerful first.
const ROLES: [Role; 4] = [Role::Owner, Role::Manager, Role::Agent, Role::Viewer];
pub use session::Signed;

/// The most businesses the picker lists.
const PICKER_MAX: u32 = 200;

/// What a business page is about: the businesses the person may see (for the picker), the one
/// shown, and its loaded profile (for its name, clock and currency).
pub(crate) struct Scope {
    pub visible: Vec<Business>,
    pub business: Business,
    pub loaded: std::sync::Arc<frontdesk_desk::host::Loaded>,
}

impl Scope {
    /// The business's time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.loaded.profile.timezone.0
    }

    /// Whether `signed` holds at least `role` in this business (what a page offers them).
    pub async fn may(&self, st: &AppState, signed: &Signed, role: Role) -> Result<bool, ApiError> {
        Ok(signed
            .principal
            .access(st, &self.business.id)
            .await?
            .require(role)
            .is_ok())
    }
}

/// The instant a day of the business's calendar begins, in epoch ms.
pub(crate) fn local_midnight(d: chrono::NaiveDate, tz: chrono_tz::Tz) -> i64 {
    use chrono::TimeZone;
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

/// A profile that did not load, said as the owner needs it: where (line, field) and why.
pub(crate) fn profile_problem(e: &frontdesk_engine::profile::ProfileError) -> String {
    let at = match (e.line, e.path.is_empty()) {
        (Some(l), false) => format!("line {l}, {}: ", e.path),
        (Some(l), true) => format!("line {l}: "),
        (None, false) => format!("{}: ", e.path),
        (None, true) => String::new(),
    };
    format!("{at}{}", e.message)
}

/// The business a page shows for `signed`: `key` (a slug or id) when given and visible to them
/// (else `NotFound`/`Forbidden`, as the API answers), or the first they may see. `None` when
/// they may see none.
pub(crate) async fn chosen(
    st: &AppState,
    signed: &Signed,
    key: Option<&str>,
) -> Result<Option<Scope>, ApiError> {
    let mut db = st.db.clone();
    let member = (!signed.user.is_operator).then_some(&signed.user.id);
    let visible = businesses::list(&mut db, member, None, PICKER_MAX).await?;
    let id = match key.filter(|k| !k.is_empty()) {
        Some(k) => signed.principal.business(st, k, Role::Viewer).await?,
        None => match visible.first() {
            Some(b) => b.id.clone(),
            None => return Ok(None),
        },
    };
    let business = businesses::get(&mut db, &id).await?;
    let loaded = st.desk.host.load(&mut st.db.tenant(&id)).await?;
    Ok(Some(Scope {
        visible,
        business,
        loaded,
    }))
}

/// A phone number as an owner types it ("(303) 555-0191", "+44 20 7946 0958", "303.555.0191")
/// in E.164, a number without its country taking the business's own (`home`); what is no
/// phone number comes back as typed, for the check to refuse with its reason.
pub(crate) fn typed_phone(text: &str, home: &frontdesk_engine::PhoneE164) -> String {
    use frontdesk_engine::nlu::entities;
    let text = text.trim();
    if frontdesk_engine::PhoneE164::parse(text).is_ok() {
        return text.to_owned();
    }
    if text.chars().any(|c| c.is_alphabetic()) {
        return text.to_owned();
    }
    let mut words: Vec<String> = Vec::new();
    if text.starts_with('+') {
        words.push("plus".into());
    }
    words.extend(
        text.split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    );
    entities::phone(&words, entities::country_code(home))
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// A time as the business's clock shows it.
pub(crate) fn local_time(ms: i64, tz: chrono_tz::Tz, format: &str) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&tz).format(format).to_string())
        .unwrap_or_default()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::root))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/forgot", get(links::forgot_form).post(links::forgot))
        .route("/reset", get(links::reset_form).post(links::reset))
        .route("/app/team", get(links::team))
        .route("/app/team/invite", post(links::invite))
        .route("/app/team/{user}", post(links::set_member))
        .route("/app", get(home::home))
        .route("/app/conversations", get(conversations::list))
        .route("/app/conversations/{id}", get(conversations::show))
        .route(
            "/app/conversations/{id}/{step}",
            post(conversations::take_over),
        )
        .route("/app/live", get(live::live))
        .route("/app/recordings/{sid}", get(recordings::play))
        .route("/app/appointments", get(appointments::show))
        .route("/app/appointments/{id}/{step}", post(appointments::change))
        .route("/app/calendar-feeds", post(appointments::new_feed))
        .route("/app/blocks", post(appointments::add_block))
        .route("/app/blocks/{id}/remove", post(appointments::remove_block))
        .route("/a/{token}", get(selfservice::show))
        .route("/book/{slug}", get(book::show).post(book::book))
        .route("/a/{token}/{step}", post(selfservice::change))
        .route(
            "/app/calendar-feeds/{id}/revoke",
            post(appointments::revoke_feed),
        )
        .route("/app/units", get(sales::units))
        .route("/app/units/{id}/{to}", post(sales::change_unit))
        .route("/app/orders", get(sales::orders))
        .route("/app/orders/{id}/{to}", post(sales::change_order))
        .route("/app/analytics", get(analytics::show))
        .route("/app/analytics.csv", get(analytics::csv))
        .route("/app/customers", get(customers::list))
        .route("/app/customers.csv", get(customers::export))
        .route(
            "/app/customers/{id}",
            get(customers::show).post(customers::save),
        )
        .route("/app/messages", get(messages::list))
        .route("/app/messages/{id}/{to}", post(messages::mark))
        .route("/app/questions", get(questions::list))
        .route("/app/questions/{id}/answer", post(questions::answer))
        .route("/app/questions/{id}/dismiss", post(questions::dismiss))
        .route("/app/console", get(console::show).post(console::say))
        .route("/app/settings", get(settings::show))
        .route("/app/settings/profile.yaml", get(settings::export))
        .route("/app/settings/{section}", post(settings::save))
        .route("/app/account", get(account::form))
        .route("/app/account/password", post(account::change_password))
        .route("/ops", get(ops::console))
        .route("/ops/businesses", post(ops::add_business))
        .route("/ops/businesses/new", post(ops::add_from_details))
        .route("/ops/jobs/{id}/retry", post(ops::retry_job))
        .route("/ops/b/{slug}", get(ops::business))
        .route("/ops/b/{slug}/members", post(ops::add_member))
        .route("/ops/b/{slug}/members/{user}", post(ops::set_member))
        .route("/ops/b/{slug}/keys", post(ops::make_key))
        .route("/ops/b/{slug}/keys/{key}/revoke", post(ops::revoke_key))
        .route("/static/app.css", get(css))
        .route("/static/live.js", get(live_js))
        .route("/static/inter.woff2", get(font))
        .layer(middleware::from_fn(page_headers))
}

/// The one stylesheet, in the binary.
const CSS: &str = include_str!("app.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// The pages' typeface (Inter, Latin, every weight; see `fonts/README.md`), in the binary.
const FONT: &[u8] = include_bytes!("fonts/inter-latin-wght-normal.woff2");

async fn font() -> Response {
    (
        [
            (header::CONTENT_TYPE, "font/woff2"),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        FONT,
    )
        .into_response()
}

/// The live feed's script, in the binary: the only script the pages run.
const LIVE_JS: &str = include_str!("live.js");

async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LIVE_JS,
    )
        .into_response()
}

/// The headers every page carries: a policy that runs only this site's own script files (no
/// inline script, nothing from elsewhere), and no referrer beyond this site.
async fn page_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
             img-src 'self' data:; media-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// The value of a posted form's field `name`, trimmed, when it holds something.
pub fn form_value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// A posted form's fields in order, in either encoding a browser sends: URL-encoded, or
/// multipart (a form with a file input), where a file's contents are its field's value as
/// text. A body that does not read gives no fields (so no form token, and the form is refused).
pub async fn form_fields(
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Vec<(String, String)> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(boundary) = multer::parse_boundary(kind) else {
        return serde_urlencoded::from_bytes(&body).unwrap_or_default();
    };
    let whole = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(whole, boundary);
    let mut out = Vec::new();
    loop {
        match parts.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                match field.text().await {
                    Ok(text) => out.push((name, text)),
                    Err(_) => return Vec::new(),
                }
            }
            Ok(None) => return out,
            Err(_) => return Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::typed_phone;
    use frontdesk_engine::PhoneE164;

    #[test]
    fn phones_are_read_as_owners_type_them() {
        let denver = PhoneE164::parse("+13035550140").unwrap();
        let london = PhoneE164::parse("+442079460000").unwrap();
        for (typed, home, want) in [
            ("+13035550191", &denver, "+13035550191"),
            ("(303) 555-0191", &denver, "+13035550191"),
            ("303.555.0191", &denver, "+13035550191"),
            ("+1 303 555 0191", &denver, "+13035550191"),
            ("1-303-555-0191", &denver, "+13035550191"),
            ("+44 20 7946 0958", &denver, "+442079460958"),
            ("call me maybe", &denver, "call me maybe"),
            ("12", &denver, "12"),
        ] {
            assert_eq!(typed_phone(typed, home), want, "{typed}");
        }
        assert_eq!(typed_phone("020 7946 0958", &london), "+442079460958");
    }
}
