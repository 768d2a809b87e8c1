//! One-time links by e-mail: a password reset (`/forgot` asks for the address; the answer is
//! the same whether or not it has an account), and an invitation to a business (owners invite
//! from the Team page; a new person sets their password from the link). A link's token is
//! random, kept only as its hash, works once, and expires (an hour for a reset, a week for an
//! invitation); using it sets the password, ends every other session and signs in.

use std::num::NonZeroU32;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_desk::accounts::{
    NO_PASSWORD, check_password_rules, hash_password, random_secret, sha256_hex,
};
use frontdesk_engine::Email;
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::audit::Actor;
use frontdesk_store::businesses::Business;
use frontdesk_store::{BusinessId, StoreError, UserId, now_ms};
use governor::Quota;
use maud::html;
use serde::Deserialize;

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, problem, respond};
use super::session::{cookie, session_cookie, set_cookie, start_session};
use super::{ROLES, Signed, chosen};
use crate::error::ApiError;
use crate::routes::{RequestId, audit};
use crate::{AppState, Limiter};

const RESET_MS: i64 = 3_600_000;
const INVITE_MS: i64 = 7 * 24 * 3_600_000;
/// The form token's cookie for the signed-out forms here.
const LINK_CSRF: &str = "fd_link_csrf";

/// Reset e-mails asked for, per address and per client address: a few an hour.
pub struct Limits {
    by_email: Limiter,
    by_client: Limiter,
}

impl Default for Limits {
    fn default() -> Self {
        let per_hour = |n: u32| Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_email: Limiter::tracking(per_hour(3), 100_000),
            by_client: Limiter::tracking(per_hour(20), 100_000),
        }
    }
}

/// A signed-out page with a fresh form token in its cookie and its form.
fn with_token(
    st: &AppState,
    status: StatusCode,
    title: &str,
    body: impl FnOnce(&str) -> maud::Markup,
) -> Response {
    let token = random_secret("");
    let mut resp = respond(status, page(title, None, body(&token)));
    set_cookie(
        resp.headers_mut(),
        st,
        LINK_CSRF,
        &token,
        "/",
        Some(3600),
        "Strict",
    );
    resp
}

fn form_ok(headers: &HeaderMap, token: &str) -> bool {
    let expected = cookie(headers, LINK_CSRF).unwrap_or_default();
    !expected.is_empty() && super::session::constant_time_eq(token.as_bytes(), expected.as_bytes())
}

pub async fn forgot_form(State(st): State<AppState>) -> Response {
    forgot_page(&st, StatusCode::OK, None)
}

fn forgot_page(st: &AppState, status: StatusCode, said: Option<&str>) -> Response {
    with_token(st, status, "Reset your password", |token| {
        html! {
            section.card.narrow {
                h1 { "Reset your password" }
                @if let Some(s) = said {
                    p.toast role="status" { (s) }
                } @else {
                    p.muted { "We'll e-mail you a link to choose a new one." }
                }
                form.stack method="post" action="/forgot" {
                    input type="hidden" name="csrf" value=(token);
                    label for="email" { "E-mail" }
                    input #email type="email" name="email" autocomplete="username" required;
                    button.primary type="submit" { "Send the link" }
                }
                p { a href="/login" { "Back to sign in" } }
            }
        }
    })
}

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// The same answer for every address; a link goes out only to an account, a few an hour.
pub async fn forgot(
    State(st): State<AppState>,
    crate::client::ClientAddr(ip): crate::client::ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f: ForgotForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !form_ok(&headers, &f.csrf) {
        return expired();
    }
    let email = f.email.trim().to_lowercase();
    let said = "If that address has an account, a link to reset its password is on its way. It works for an hour.";
    let allowed = st
        .link_limits
        .by_client
        .check(ip.as_deref().unwrap_or("?"))
        .is_ok()
        && st.link_limits.by_email.check(&email).is_ok();
    if allowed && let Ok(found) = accounts::user_by_email(&mut st.db.clone(), &email).await {
        let base = crate::channels::webhook::base_url(&st, &headers);
        if let Err(e) = send_link(&st, &base, &found.user.id, &email, "reset", None).await {
            tracing::warn!(error = %e, "a password reset link could not be queued");
        }
    }
    forgot_page(&st, StatusCode::OK, Some(said))
}

/// Makes a one-time link for `user` and queues the e-mail that carries it, from `business`
/// (an invitation's) or the first the person belongs to. False when there is no business to
/// send from (an operator without one).
async fn send_link(
    st: &AppState,
    base: &str,
    user: &UserId,
    to: &str,
    purpose: &str,
    business: Option<&Business>,
) -> Result<bool, StoreError> {
    let mut tx = st.db.begin().await?;
    let from = match business {
        Some(b) => Some(b.clone()),
        None => match accounts::first_business(&mut tx, user).await? {
            Some(id) => Some(frontdesk_store::businesses::get(&mut tx, &id).await?),
            None => None,
        },
    };
    let Some(from) = from else {
        return Ok(false);
    };
    let token = random_secret("");
    let now = now_ms();
    let ttl = if purpose == "invite" {
        INVITE_MS
    } else {
        RESET_MS
    };
    accounts::create_link(&mut tx, &sha256_hex(&token), user, purpose, now, now + ttl).await?;
    let link = format!("{base}/reset?token={token}");
    let (subject, body) = if purpose == "invite" {
        (
            format!("You're invited to {} on frontdesk", from.name),
            format!(
                "Hello,\n\nYou have been added to {} on frontdesk, where its calls, texts and bookings are answered and kept.\n\nChoose your password here (the link works once, for a week):\n{link}\n\nThen sign in at {base}/login with this e-mail address.\n",
                from.name
            ),
        )
    } else {
        (
            "Reset your frontdesk password".to_owned(),
            format!(
                "Hello,\n\nSomeone (we hope you) asked to reset the password of this frontdesk account.\n\nChoose a new one here (the link works once, for an hour):\n{link}\n\nIf it was not you, ignore this e-mail: your password stays as it is.\n"
            ),
        )
    };
    let mut t = tx.tenant(&from.id);
    frontdesk_desk::outbox::queue_email(
        &mut t,
        None,
        &format!("account_{purpose}"),
        to,
        &subject,
        &body,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    st.desk.host.wake();
    Ok(true)
}

#[derive(Deserialize, Default)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

fn dead_link() -> Response {
    problem(
        StatusCode::GONE,
        "This link no longer works",
        "It was used already, or it has expired. Ask for a new one from the sign-in page (Forgot your password?).",
    )
}

pub async fn reset_form(State(st): State<AppState>, Query(q): Query<LinkQuery>) -> Response {
    let mut db = st.db.clone();
    match accounts::live_link(&mut db, &sha256_hex(q.token.trim()), now_ms()).await {
        Ok(Some(_)) => reset_page(&st, StatusCode::OK, q.token.trim(), None),
        Ok(None) => dead_link(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn reset_page(st: &AppState, status: StatusCode, link: &str, why: Option<&str>) -> Response {
    with_token(st, status, "Choose your password", |token| {
        html! {
            section.card.narrow {
                h1 { "Choose your password" }
                p.muted { "At least 12 characters. Then you are signed in." }
                @if let Some(w) = why { p.alert role="alert" { (w) } }
                form.stack method="post" action="/reset" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="token" value=(link);
                    label for="new" { "New password" }
                    input #new type="password" name="new" autocomplete="new-password" required minlength="12";
                    label for="confirm" { "The same again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" required;
                    button.primary type="submit" { "Save and sign in" }
                }
            }
        }
    })
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn reset(
    State(st): State<AppState>,
    rid: RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f: ResetForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !form_ok(&headers, &f.csrf) {
        return expired();
    }
    let hash_of_link = sha256_hex(f.token.trim());
    let user = match accounts::live_link(&mut st.db.clone(), &hash_of_link, now_ms()).await {
        Ok(Some((u, _))) => u,
        Ok(None) => return dead_link(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(e) = check_password_rules(&f.new) {
        return reset_page(
            &st,
            StatusCode::UNPROCESSABLE_ENTITY,
            f.token.trim(),
            Some(&e.to_string()),
        );
    }
    if f.new != f.confirm {
        return reset_page(
            &st,
            StatusCode::UNPROCESSABLE_ENTITY,
            f.token.trim(),
            Some("The two passwords are not the same."),
        );
    }
    let hash = match hash_password(f.new).await {
        Ok(h) => h,
        Err(e) => return ApiError::Internal(format!("{e:#}")).into_response(),
    };
    let done: Result<Option<String>, ApiError> = async {
        let mut tx = st.db.begin().await?;
        // Used up inside the change: of two uses at once, one wins.
        if !accounts::use_link(&mut tx, &hash_of_link, now_ms()).await? {
            return Ok(None);
        }
        accounts::set_password(&mut tx, &user, &hash).await?;
        accounts::revoke_user_sessions(&mut tx, &user, now_ms()).await?;
        let id = start_session(&mut tx, &user).await?;
        let actor = Actor {
            kind: "user",
            id: Some(user.to_string()),
        };
        audit(
            &mut tx,
            &actor,
            &rid,
            None,
            "auth.password_reset",
            ("user", user.as_str()),
            serde_json::json!({"via": "link"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }
    .await;
    match done {
        Ok(Some(id)) => {
            let mut resp = Redirect::to("/app").into_response();
            session_cookie(resp.headers_mut(), &st, &id);
            resp
        }
        Ok(None) => dead_link(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct TeamQuery {
    b: Option<String>,
    done: Option<String>,
}

/// The business's team: who is a member, with what role; owners invite by e-mail.
pub async fn team(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<TeamQuery>,
) -> Response {
    outcome(
        render_team(&st, &signed, q.b.as_deref(), q.done.as_deref(), None).await,
        None,
    )
}

async fn render_team(
    st: &AppState,
    signed: &Signed,
    b: Option<&str>,
    done: Option<&str>,
    why: Option<&str>,
) -> Result<Response, ApiError> {
    let Some(scope) = chosen(st, signed, b).await? else {
        return Ok(not_found());
    };
    let business = &scope.business;
    let may = scope.may(st, signed, Role::Owner).await?;
    let members = st.db.tenant(&business.id).members().await?;
    let chrome = Chrome::of(signed, &scope);
    let main = html! {
        (picker("/app/team", &scope.visible, business))
        section.heading {
            h1 { "Team" }
            p.muted { "Who can see and run " (business.name) " here." }
        }
        @match done {
            Some("invited") => p.toast role="status" { "Invitation sent." },
            Some("member") => p.toast role="status" { "Role changed." },
            Some("removed") => p.toast role="status" { "Removed from the team." },
            _ => {}
        }
        @if let Some(w) = why { p.alert role="alert" { (w) } }
        ul.questions #members {
            @for m in &members {
                @let me = m.user_id == signed.user.id;
                li.card.message {
                    p.from { strong { (m.email) } @if me { " (you)" } " · " (m.role.as_str()) }
                    @if may {
                        @let id = m.user_id.as_str();
                        div.member-actions {
                        form.inline.role method="post" action={ "/app/team/" (id) "?b=" (business.slug) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            label for={ "role-" (id) } { "Role" }
                            select id={ "role-" (id) } name="role" {
                                @for r in ROLES { option value=(r.as_str()) selected[r == m.role] { (r.as_str()) } }
                            }
                            button type="submit" { "Change" }
                        }
                        form.inline method="post" action={ "/app/team/" (id) "?b=" (business.slug) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            input type="hidden" name="role" value="remove";
                            button.danger type="submit" aria-label={ "Remove " (m.email) } { "Remove" }
                        }
                        }
                    }
                }
            }
        }
        @if may {
            section.card.settings #invite aria-labelledby="invite-h" {
                h2 #invite-h { "Invite someone" }
                form.stack method="post" action={ "/app/team/invite?b=" (business.slug) } {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    div.field { label for="i-email" { "E-mail" } input #i-email type="email" name="email" required; }
                    div.field {
                        label for="i-role" { "Role" }
                        select #i-role name="role" { @for r in ROLES { option value=(r.as_str()) selected[r == Role::Agent] { (r.as_str()) } } }
                        p.hint.muted { "Viewers see; agents answer conversations; managers change settings; owners also manage the team." }
                    }
                    button.primary type="submit" { "Send the invitation" }
                }
            }
        }
    };
    Ok(respond(
        if why.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        page("Team", Some(&chrome), main),
    ))
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// Invites a person by e-mail (owners): a new account without a password and a link to choose
/// one, or an existing account added; audited.
pub async fn invite(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    headers: HeaderMap,
    Query(q): Query<TeamQuery>,
    body: Bytes,
) -> Response {
    let f: InviteForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r: Result<Response, ApiError> = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid: BusinessId = signed.principal.business(&st, key, Role::Owner).await?;
        let business = frontdesk_store::businesses::get(&mut st.db.clone(), &bid).await?;
        let email = match Email::parse(f.email.trim()) {
            Ok(e) => e,
            Err(e) => {
                return render_team(&st, &signed, Some(key), None, Some(&format!("E-mail: {e}")))
                    .await;
            }
        };
        let Some(role) = Role::parse(&f.role).filter(|r| ROLES.contains(r)) else {
            return render_team(&st, &signed, Some(key), None, Some("Choose a role.")).await;
        };
        let base = crate::channels::webhook::base_url(&st, &headers);
        let added = add_to_team(
            &st,
            &base,
            &signed.principal.actor(),
            &rid,
            &business,
            &email,
            role,
        )
        .await?;
        if !added {
            // A role is changed beside the member, where the last owner is kept.
            return render_team(
                &st,
                &signed,
                Some(key),
                None,
                Some(&format!(
                    "{email} is on the team already: change their role in the list."
                )),
            )
            .await;
        }
        Ok(Redirect::to(&format!("/app/team?b={}&done=invited", business.slug)).into_response())
    }
    .await;
    outcome(r, Some("Inviting people is for the business's owners."))
}

/// Adds `email` to `business`'s team as `role`, audited, and tells them: a new account (no
/// password yet) gets a one-time link to choose one; an existing account an e-mail that it was
/// added. False, changing nothing, when they are on the team already.
pub(super) async fn add_to_team(
    st: &AppState,
    base: &str,
    actor: &Actor,
    rid: &RequestId,
    business: &Business,
    email: &Email,
    role: Role,
) -> Result<bool, ApiError> {
    let bid = &business.id;
    let mut tx = st.db.begin().await?;
    let (user, new) = match accounts::user_by_email(&mut tx, email.as_str()).await {
        Ok(u) => (u.user, u.password_hash == NO_PASSWORD),
        Err(StoreError::NotFound) => (
            accounts::create_user(&mut tx, email.as_str(), None, NO_PASSWORD, false, now_ms())
                .await?,
            true,
        ),
        Err(e) => return Err(e.into()),
    };
    if tx.tenant(bid).member_role(&user.id).await?.is_some() {
        return Ok(false);
    }
    tx.tenant(bid).set_member(&user.id, role, now_ms()).await?;
    audit(
        &mut tx,
        actor,
        rid,
        Some(bid),
        "member.invite",
        ("user", user.id.as_str()),
        serde_json::json!({"role": role, "via": "dashboard"}),
    )
    .await?;
    tx.commit().await?;
    if new {
        send_link(st, base, &user.id, email.as_str(), "invite", Some(business)).await?;
    } else {
        // Someone with a password already: told, and signs in as ever.
        let mut tx = st.db.begin().await?;
        let body = format!(
            "Hello,\n\nYou have been added to {} on frontdesk as {}. Sign in at {base}/login to see it.\n",
            business.name,
            role.as_str()
        );
        frontdesk_desk::outbox::queue_email(
            &mut tx.tenant(bid),
            None,
            "account_added",
            email.as_str(),
            &format!("You're now on {}'s team on frontdesk", business.name),
            &body,
            None,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        st.desk.host.wake();
    }
    Ok(true)
}

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Changes a member's role, or removes them (`remove`): owners; the last owner stays.
pub async fn set_member(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(user): Path<String>,
    Query(q): Query<TeamQuery>,
    body: Bytes,
) -> Response {
    let f: MemberForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !signed.form_ok(&f.csrf) {
        return expired();
    }
    let r: Result<Response, ApiError> = async {
        let key = q.b.as_deref().unwrap_or("");
        let bid: BusinessId = signed.principal.business(&st, key, Role::Owner).await?;
        let business = frontdesk_store::businesses::get(&mut st.db.clone(), &bid).await?;
        let uid = UserId::parse(&user).ok_or(ApiError::NotFound)?;
        let role = match f.role.as_str() {
            "remove" => None,
            r => match Role::parse(r).filter(|r| ROLES.contains(r)) {
                Some(r) => Some(r),
                None => {
                    return render_team(&st, &signed, Some(key), None, Some("Choose a role."))
                        .await;
                }
            },
        };
        let mut tx = st.db.begin().await?;
        let changed = crate::routes::members::change_member(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            &bid,
            &uid,
            role,
            serde_json::json!({"via": "dashboard"}),
        )
        .await;
        match changed {
            Ok(_) => {}
            Err(ApiError::Conflict(why)) => {
                return render_team(&st, &signed, Some(key), None, Some(&capitalised(&why))).await;
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        let done = if role.is_some() { "member" } else { "removed" };
        Ok(Redirect::to(&format!(
            "/app/team?b={}&done={done}#members",
            business.slug
        ))
        .into_response())
    }
    .await;
    outcome(r, Some("Changing the team is for the business's owners."))
}

/// A message as a sentence: its first letter a capital, a full stop at its end.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    let first: String = c
        .next()
        .map(|f| f.to_uppercase().collect())
        .unwrap_or_default();
    let mut out = first + c.as_str();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
