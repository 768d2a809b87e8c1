//! Signing in and out of the dashboard, and the session every other page needs.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_desk::accounts::{random_secret, sha256_hex};
use frontdesk_store::accounts::{self, User};
use frontdesk_store::{StoreError, now_ms};
use maud::html;
use serde::Deserialize;

use super::layout::{expired, page, problem, respond};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::routes::RequestId;

/// The cookie that holds a session's id.
const SESSION: &str = "fd_session";
/// The cookie that holds the sign-in form's CSRF token (there is no session yet).
const LOGIN_CSRF: &str = "fd_login_csrf";
/// How long a session lasts.
const SESSION_MS: i64 = 12 * 3_600_000;

/// A signed-in person: who, as the API's role checks see them, and the token their forms carry.
pub struct Signed {
    pub user: User,
    pub principal: Principal,
    pub csrf: String,
    id_hash: String,
}

impl Signed {
    /// Whether a form's token is this session's.
    pub fn form_ok(&self, token: &str) -> bool {
        !token.is_empty() && constant_time_eq(token.as_bytes(), self.csrf.as_bytes())
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Some(id) = cookie(&parts.headers, SESSION) else {
            return Err(Redirect::to("/login").into_response());
        };
        let id_hash = sha256_hex(id);
        let mut db = st.db.clone();
        let (user_id, csrf) = match accounts::web_session(&mut db, &id_hash, now_ms()).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Err(Redirect::to("/login").into_response()),
            Err(e) => return Err(ApiError::from(e).into_response()),
        };
        let user = accounts::user(&mut db, &user_id)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
        let principal = Principal::User {
            id: user.id.clone(),
            operator: user.is_operator,
        };
        Ok(Self {
            user,
            principal,
            csrf,
            id_hash,
        })
    }
}

/// `/`: the dashboard when signed in, else sign-in.
pub async fn root(signed: Result<Signed, Response>) -> Response {
    match signed {
        Ok(_) => Redirect::to("/app").into_response(),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// The sign-in form, with a fresh CSRF token in a cookie and in the form.
pub async fn login_form(State(st): State<AppState>, signed: Result<Signed, Response>) -> Response {
    if signed.is_ok() {
        return Redirect::to("/app").into_response();
    }
    login_page(&st, StatusCode::OK, "", None)
}

fn login_page(st: &AppState, status: StatusCode, email: &str, error: Option<&str>) -> Response {
    let token = random_secret("");
    let form = html! {
        section.card.narrow {
            h1 { "Sign in" }
            p.muted { "Your business's calls, texts and bookings, in one place." }
            @if let Some(e) = error {
                p.alert role="alert" { (e) }
            }
            form.stack method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                label for="email" { "E-mail" }
                input #email type="email" name="email" autocomplete="username" required value=(email);
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                label for="totp" { "Code from your authenticator app " span.muted { "(if you set one up)" } }
                input #totp type="text" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*";
                button.primary type="submit" { "Sign in" }
            }
            p { a href="/forgot" { "Forgot your password?" } }
        }
    };
    let mut resp = respond(status, page("Sign in", None, form));
    set_cookie(
        resp.headers_mut(),
        st,
        LOGIN_CSRF,
        &token,
        "/login",
        Some(3600),
        "Strict",
    );
    resp
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

/// Checks the form's token against its cookie, then the credentials within the login limits
/// (the API's own check); on success starts a session and goes to the dashboard.
pub async fn login(
    State(st): State<AppState>,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    rid: RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(f) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "That form could not be read",
            "Please sign in again.",
        );
    };
    let expected = cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(f.csrf.as_bytes(), expected.as_bytes()) {
        return problem(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "For your safety, forms only work from the page that showed them. Please sign in again.",
        );
    }
    let totp = Some(f.totp.trim()).filter(|t| !t.is_empty());
    let found = match crate::routes::auth::authenticate(
        &st,
        ip.as_deref(),
        f.email.trim(),
        f.password,
        totp,
    )
    .await
    {
        Ok(u) => u,
        Err(ApiError::Unauthorized(why)) => {
            let text = if why.contains("second factor") {
                "Enter the code from your authenticator app too."
            } else {
                "That e-mail and password do not match an account."
            };
            return login_page(&st, StatusCode::UNAUTHORIZED, f.email.trim(), Some(text));
        }
        Err(ApiError::RateLimited(wait)) => {
            let text = format!(
                "Too many tries. Please wait {} seconds and try again.",
                wait.as_secs().max(1)
            );
            let mut r = login_page(
                &st,
                StatusCode::TOO_MANY_REQUESTS,
                f.email.trim(),
                Some(&text),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Err(e) => return e.into_response(),
    };
    let mut db = st.db.clone();
    let started = async {
        let id = start_session(&mut db, &found.user.id).await?;
        crate::routes::auth::audit_login(
            &mut db,
            &rid,
            &found.user.id,
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        Ok::<_, ApiError>(id)
    }
    .await;
    let id = match started {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let mut resp = Redirect::to("/app").into_response();
    let h = resp.headers_mut();
    session_cookie(h, &st, &id);
    set_cookie(h, &st, LOGIN_CSRF, "", "/login", Some(0), "Strict");
    resp
}

/// Starts a dashboard session for `user`: the id its cookie carries (only its hash is kept,
/// with a fresh form token).
pub(super) async fn start_session(
    e: &mut impl frontdesk_store::Exec,
    user: &frontdesk_store::UserId,
) -> Result<String, StoreError> {
    let id = random_secret("fds_");
    let now = now_ms();
    accounts::create_web_session(
        e,
        &sha256_hex(&id),
        user,
        &random_secret(""),
        now,
        now + SESSION_MS,
    )
    .await?;
    Ok(id)
}

/// Sets the cookie that carries session `id`.
pub(super) fn session_cookie(h: &mut HeaderMap, st: &AppState, id: &str) {
    set_cookie(h, st, SESSION, id, "/", Some(SESSION_MS / 1000), "Lax");
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// Ends the session; only with the session's own form token.
pub async fn logout(State(st): State<AppState>, signed: Signed, body: Bytes) -> Response {
    let f: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or(TokenForm {
        csrf: String::new(),
    });
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let mut db = st.db.clone();
    if let Err(e) = accounts::end_web_session(&mut db, &signed.id_hash, now_ms()).await {
        return ApiError::from(e).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(resp.headers_mut(), &st, SESSION, "", "/", Some(0), "Lax");
    resp
}

/// The value of cookie `name` in the request.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Adds a `Set-Cookie`: HttpOnly always, Secure when the installation is served over HTTPS.
pub(super) fn set_cookie(
    h: &mut HeaderMap,
    st: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
    same_site: &str,
) {
    let secure = if st.cfg.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map_or_else(String::new, |a| format!("; Max-Age={a}"));
    let c = format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}{age}{secure}");
    if let Ok(v) = HeaderValue::from_str(&c) {
        h.append(header::SET_COOKIE, v);
    }
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_only() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fd_session=abc; fd_session_x=zzz"),
        );
        assert_eq!(cookie(&h, SESSION), Some("abc"));
        assert_eq!(cookie(&h, "fd"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
