//! The dashboard: pages rendered on the server (maud), one stylesheet, no script. `/` leads to
//! sign-in; a signed-in person gets a session cookie (HttpOnly, SameSite=Lax, Secure when the
//! public URL is HTTPS) whose hash is kept in `web_sessions` with the token every form of the
//! session carries (CSRF). Pages work without script; the one script file (`live.js`, the home
//! page's live feed) is served from here, and the Content-Security-Policy allows no other.
//! Role checks are the API's own (`Principal`), so a page shows a business only to whom the
//! API would.

mod account;
mod console;
mod conversations;
mod home;
mod layout;
mod live;
mod messages;
mod questions;
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
        .route("/app", get(home::home))
        .route("/app/conversations", get(conversations::list))
        .route("/app/conversations/{id}", get(conversations::show))
        .route(
            "/app/conversations/{id}/{step}",
            post(conversations::take_over),
        )
        .route("/app/live", get(live::live))
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
        .route("/static/app.css", get(css))
        .route("/static/live.js", get(live_js))
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
             img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}
