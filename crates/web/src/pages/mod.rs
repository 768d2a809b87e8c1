//! The dashboard: pages rendered on the server (maud), one stylesheet, no script. `/` leads to
//! sign-in; a signed-in person gets a session cookie (HttpOnly, SameSite=Lax, Secure when the
//! public URL is HTTPS) whose hash is kept in `web_sessions` with the token every form of the
//! session carries (CSRF). Pages send a Content-Security-Policy that allows no script at all.
//! Role checks are the API's own (`Principal`), so a page shows a business only to whom the
//! API would.

mod home;
mod layout;
mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub use session::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::root))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/app", get(home::home))
        .route("/static/app.css", get(css))
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

/// The headers every page carries: a policy that runs no script and loads nothing from
/// elsewhere, and no referrer beyond this site.
async fn page_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}
