//! The signed-in person's account: changing their password. A new password ends every session
//! and token of the account (this browser is signed in again at once), and is audited.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_desk::accounts::{check_password_rules, hash_password, verify_password};
use frontdesk_store::accounts;
use frontdesk_store::audit::Actor;
use frontdesk_store::now_ms;
use maud::html;
use serde::Deserialize;

use super::Signed;
use super::layout::{Chrome, expired, page, problem, respond};
use super::session::{session_cookie, start_session};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

#[derive(Deserialize)]
pub struct AccountQuery {
    /// What was just done, for the confirmation shown at the top.
    done: Option<String>,
}

/// What went wrong with a field, shown beside it.
#[derive(Default)]
struct Problems {
    current: Option<&'static str>,
    new: Option<String>,
    confirm: Option<&'static str>,
}

pub async fn form(
    State(_st): State<AppState>,
    signed: Signed,
    Query(q): Query<AccountQuery>,
) -> Response {
    let note = (q.done.as_deref() == Some("password")).then_some("Your password is changed.");
    render(&signed, StatusCode::OK, note, &Problems::default())
}

fn render(signed: &Signed, status: StatusCode, note: Option<&str>, p: &Problems) -> Response {
    let chrome = Chrome::new(signed, None);
    let main = html! {
        section.card.narrow {
            h1 { "Your account" }
            p.muted { (signed.user.email) }
            @if let Some(n) = note {
                p.toast role="status" { (n) }
            }
            h2 { "Change your password" }
            form.stack method="post" action="/app/account/password" novalidate {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for="current" { "Current password" }
                input #current type="password" name="current" autocomplete="current-password" required
                    aria-invalid=[p.current.map(|_| "true")] aria-describedby=[p.current.map(|_| "current-error")];
                @if let Some(e) = p.current { p #current-error.field-error { (e) } }
                label for="new" { "New password " span.muted { "(at least 10 characters)" } }
                input #new type="password" name="new" autocomplete="new-password" required minlength="10"
                    aria-invalid=[p.new.as_ref().map(|_| "true")] aria-describedby=[p.new.as_ref().map(|_| "new-error")];
                @if let Some(e) = &p.new { p #new-error.field-error { (e) } }
                label for="confirm" { "New password again" }
                input #confirm type="password" name="confirm" autocomplete="new-password" required
                    aria-invalid=[p.confirm.map(|_| "true")] aria-describedby=[p.confirm.map(|_| "confirm-error")];
                @if let Some(e) = p.confirm { p #confirm-error.field-error { (e) } }
                button.primary type="submit" { "Change password" }
            }
            p.muted { "Changing it signs you out everywhere else." }
        }
    };
    respond(status, page("Your account", Some(&chrome), main))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    rid: RequestId,
    signed: Signed,
    body: Bytes,
) -> Response {
    let Ok(f) = serde_urlencoded::from_bytes::<PasswordForm>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "That form could not be read",
            "Please try again.",
        );
    };
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    // Guessing the current password here is held to the login limits.
    let key = crate::login_key(&signed.user.email, ip.as_deref());
    if let Err(e) = st.check_login_rate(ip.as_deref(), &key) {
        return e.into_response();
    }
    let mut db = st.db.clone();
    let found = match accounts::user_with_hash(&mut db, &signed.user.id).await {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !verify_password(f.current, found.password_hash).await {
        st.login_backoff.failed(&key, std::time::Instant::now());
        let p = Problems {
            current: Some("That is not your current password."),
            ..Problems::default()
        };
        return render(&signed, StatusCode::UNAUTHORIZED, None, &p);
    }
    st.login_backoff.succeeded(&key);
    let mut p = Problems::default();
    if let Err(e) = check_password_rules(&f.new) {
        p.new = Some(format!("{e}"));
    } else if f.new != f.confirm {
        p.confirm = Some("The two new passwords are not the same.");
    }
    if p.new.is_some() || p.confirm.is_some() {
        return render(&signed, StatusCode::UNPROCESSABLE_ENTITY, None, &p);
    }
    let hash = match hash_password(f.new).await {
        Ok(h) => h,
        Err(e) => return ApiError::Internal(format!("{e:#}")).into_response(),
    };
    let done: Result<String, ApiError> = async {
        let mut tx = st.db.begin().await?;
        accounts::set_password(&mut tx, &signed.user.id, &hash).await?;
        accounts::revoke_user_sessions(&mut tx, &signed.user.id, now_ms()).await?;
        let id = start_session(&mut tx, &signed.user.id).await?;
        let actor = Actor {
            kind: "user",
            id: Some(signed.user.id.to_string()),
        };
        audit(
            &mut tx,
            &actor,
            &rid,
            None,
            "auth.password_change",
            ("user", signed.user.id.as_str()),
            serde_json::json!({"via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
    .await;
    let id = match done {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let mut resp = Redirect::to("/app/account?done=password").into_response();
    session_cookie(resp.headers_mut(), &st, &id);
    resp
}
