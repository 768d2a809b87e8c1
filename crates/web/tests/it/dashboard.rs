//! The dashboard as its users meet it: an owner signs in in real headless Chromium (phone and
//! desktop widths), finds today's call, and watches a new one arrive in the live feed as it is
//! spoken; and the guards on sessions and forms, tried with a
//! plain HTTP client: no page without a session, no form without its token, no business one
//! is not a member of, no session after signing out.

use axum::http::StatusCode;
use frontdesk_store::testing::TestDb;
use serde_json::json;

use crate::App;
use crate::browser::Browser;
use crate::voice::Caller;

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const ROOTER_PHONE: &str = "+13035550140";
const OWNER: &str = "owner@rapidrooter.example";
const OWNER_PASSWORD: &str = "an owner's long password";

crate::on_both!(
    an_owner_signs_in_and_sees_today_at_a_glance => with_served,
    sessions_and_forms_are_guarded => with_served,
    a_question_answered_in_the_dashboard_is_used_at_once => with_served,
    a_voicemail_is_a_message_staff_mark_done => with_served,
    recordings_play_in_the_dashboard_only_for_their_business => with_texts,
    an_sms_thread_is_taken_over_answered_by_hand_and_handed_back => with_texts,
    a_web_chat_is_answered_by_hand_in_the_visitor_s_window => with_served,
    settings_with_one_bad_range_save_nothing_and_say_where => with_served,
    settings_forms_sent_back_unchanged_change_nothing => with_served,
    the_menu_with_its_options_is_edited_in_forms => with_served,
    a_staff_member_s_own_hours_are_edited_by_day => with_served,
    a_profile_file_is_imported_in_settings => with_served,
    prices_by_occupancy_and_booking_rules_are_edited_in_forms => with_served,
    owners_change_roles_and_remove_members_on_the_team_page => with_served,
    the_test_console_uses_a_new_answer_and_keeps_nothing => with_texts,
    customers_are_found_sorted_paged_edited_and_exported => with_served,
    staff_move_cancel_and_mark_appointments_and_customers_are_told => with_texts,
    a_customer_moves_and_cancels_by_the_link_in_their_confirmation => with_texts,
    a_visitor_books_on_the_public_page => with_texts,
    a_manager_blocks_time_off_on_the_calendar => with_served,
    an_owner_closes_on_the_country_s_public_holidays => with_served,
    staff_actions_through_the_api_are_checked_and_role_bound => with_served,
    an_owner_subscribes_a_calendar_to_a_staff_member_s_appointments_and_revokes_it => with_served,
    units_and_orders_show_what_was_sold_and_staff_close_them => with_served,
    the_operator_runs_the_installation_from_the_console => with_served,
    analytics_count_what_happened_and_export_each_chart => with_served,
    analytics_kept_days_count_exactly_what_was_written => with_served,
    owners_invite_by_email_and_anyone_resets_a_password_by_a_link => with_mail,
    long_lists_page_through_a_link_header => with_served,
    every_main_page_reads_well_at_both_widths => with_served,
    conversations_are_searched_by_words_number_outcome_and_dates => with_served,
);

/// The app served on a port, sending e-mail through a real SMTP server (aiosmtpd).
async fn with_mail<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(crate::texts::Harness, String, crate::fakes::smtp::Smtp) -> F,
) {
    let Some(smtp) = crate::fakes::smtp::Smtp::start().await else {
        return;
    };
    let url = smtp.url.clone();
    let (h, base) = crate::texts::setup_served_with(t, move |c| {
        c.email.smtp_url = frontdesk_web::Secret::new(url);
        c.email.from = "frontdesk@frontdesk.test".into();
    })
    .await;
    test(h, base, smtp).await
}

/// The app served on a port with a stand-in Twilio Messages API and the job runner.
async fn with_texts<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(crate::texts::Harness, String) -> F,
) {
    let (h, base) = crate::texts::setup_served(t).await;
    test(h, base).await
}

/// The app served on a port with a Twilio account, so calls can come in through the signed
/// webhooks.
async fn with_served<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String) -> F,
) {
    let (app, base) = crate::serve_on_port(t, crate::voice::twilio_cfg()).await;
    test(app, base).await
}

/// Two servers of one installation on PostgreSQL: a call answered by one shows, turn by turn,
/// in the live feed of a dashboard served by the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_reaches_a_dashboard_served_by_another_server() {
    let Some(t) = frontdesk_store::testing::postgres().await else {
        return;
    };
    let (app, base) = crate::serve_on_port(t, crate::voice::twilio_cfg()).await;
    plumber_with_owner(&app).await;
    let other = crate::second_server(&app, crate::voice::twilio_cfg()).await;
    let http = http_client();
    let owner = http_session(&http, &other, OWNER, OWNER_PASSWORD).await;
    let mut feed = http
        .get(format!("{other}/app/live?b=rapid-rooter"))
        .header("cookie", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    // The other server's LISTEN starts with its first dashboard: calls placed until an event
    // arrives (one placed before it listened is missed, as a page loaded later would show it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = String::new();
    let mut n = 0;
    while !(seen.contains("event: turn") && seen.contains("drain")) {
        assert!(std::time::Instant::now() < deadline, "nothing came: {seen}");
        if !seen.contains("event: started") {
            n += 1;
            let mut c = Caller::dial_at(
                &app,
                &base,
                &format!("CA_far_{n}"),
                "+13035550191",
                ROOTER_PHONE,
            )
            .await;
            c.say("my kitchen drain is clogged").await;
        }
        if let Ok(Ok(Some(bytes))) =
            tokio::time::timeout(std::time::Duration::from_millis(300), feed.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(seen.contains("+13035550191"), "{seen}");
}

/// The demo plumber with its owner's account.
async fn plumber_with_owner(app: &App) -> String {
    let b = app.business(ROOTER).await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/members"),
            Some(&app.op),
            Some(json!({"email": OWNER, "role": "owner", "password": OWNER_PASSWORD})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    b
}

/// Where screenshots go when `FRONTDESK_SCREENSHOTS` names a directory (to refresh
/// `docs/screenshots/`); otherwise they are only taken.
async fn keep_screenshot(b: &Browser, name: &str) {
    let png = b.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    if let Some(dir) = std::env::var_os("FRONTDESK_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

/// No serious or critical accessibility violation on the page shown (axe-core).
async fn accessible(b: &Browser, page: &str) {
    if let Some(found) = b.axe().await {
        assert!(found.is_empty(), "{page}: {found:#?}");
    }
}

async fn sign_in(b: &Browser, base: &str) {
    b.goto(&format!("{base}/")).await;
    assert!(
        b.current_url().await.ends_with("/login"),
        "{}",
        b.current_url().await
    );
    b.fill("#email", OWNER).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.press("button.primary").await;
    b.until_text("Rapid Rooter Plumbing").await;
}

async fn an_owner_signs_in_and_sees_today_at_a_glance(app: App, base: String) {
    let Some(phone) = Browser::start().await else {
        return;
    };
    plumber_with_owner(&app).await;
    // A call this morning, through the signed webhooks.
    let mut c = Caller::dial_at(&app, &base, "CA_dash1", "+13035550177", ROOTER_PHONE).await;
    c.say("what areas do you serve").await;
    c.hang_up("31").await;

    phone.goto(&format!("{base}/login")).await;
    phone.until_text("Sign in").await;
    // The typeface comes from the binary, under the page's policy.
    let inter = phone
        .until_js("return document.fonts.ready.then(() => document.fonts.check('16px Inter') && [...document.fonts].some(f => f.family.includes('Inter') && f.status === 'loaded'))")
        .await;
    assert_eq!(inter, true);
    keep_screenshot(&phone, "sign-in-390.png").await;
    accessible(&phone, "sign-in").await;
    // A wrong password is said so, beside the form.
    phone.fill("#email", OWNER).await;
    phone.fill("#password", "not the password").await;
    phone.press("button.primary").await;
    phone.until_text("do not match").await;

    sign_in(&phone, &base).await;
    assert!(phone.current_url().await.ends_with("/app"));
    let tile = |label: &'static str| {
        let phone = &phone;
        async move {
            phone
                .js(
                    "for (const t of document.querySelectorAll('.tile')) { \
                       if (t.querySelector('.label').textContent === arguments[0]) \
                         return t.querySelector('.value').textContent; } return null;",
                    json!([label]),
                )
                .await
        }
    };
    assert_eq!(tile("Calls").await, "1");
    assert_eq!(tile("Emergencies").await, "0");
    let text = phone.page_text().await;
    assert!(text.contains("+1 on yesterday"), "{text}");
    // Nothing is wider than the phone.
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, false, "the page scrolls sideways at 390 px");
    // While the page is open, a new call appears in the live feed and its words come in as
    // they are said; an emergency stands out.
    let mut live = Caller::dial_at(&app, &base, "CA_dash2", "+13035550188", ROOTER_PHONE).await;
    phone.until_text("+13035550188").await;
    phone.until_text("this is Riley").await;
    live.say("what areas do you serve").await;
    phone.until_text("what areas do you serve").await;
    phone.until_text("Aurora").await;
    live.say("my basement is flooding").await;
    phone.until_text("my basement is flooding").await;
    let urgent = phone
        .js(
            "var u = document.querySelector('#feed li.urgent'); return u ? u.textContent : null;",
            json!([]),
        )
        .await;
    assert!(
        urgent.as_str().is_some_and(|u| u.contains("+13035550188")),
        "the emergency is not marked: {urgent}"
    );
    keep_screenshot(&phone, "home-390.png").await;
    accessible(&phone, "home").await;
    phone
        .js(
            "document.getElementById('live-h').scrollIntoView()",
            json!([]),
        )
        .await;
    keep_screenshot(&phone, "live-390.png").await;
    // The call is in the conversations, with what was said and how each turn was read.
    phone
        .press("nav.sections a[href^='/app/conversations']")
        .await;
    phone.until_text("Conversations").await;
    let list = phone.until_text("+13035550177").await;
    assert!(list.contains("Call"), "{list}");
    keep_screenshot(&phone, "conversations-390.png").await;
    accessible(&phone, "conversations").await;
    phone.press("ul.rows a").await;
    let convo = phone.until_text("what areas do you serve").await;
    assert!(convo.contains("read as"), "{convo}");
    assert!(convo.contains("Call status"), "{convo}");
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(
        overflow, false,
        "the conversation scrolls sideways at 390 px"
    );
    keep_screenshot(&phone, "conversation-390.png").await;
    accessible(&phone, "a conversation").await;
    // The checker itself finds a planted fault: an image without a text alternative.
    phone
        .js(
            "var i = document.createElement('img'); i.src = '/static/app.css'; document.body.appendChild(i);",
            json!([]),
        )
        .await;
    if let Some(found) = phone.axe().await {
        assert!(
            found.iter().any(|v| v["id"] == "image-alt"),
            "axe missed a planted fault: {found:?}"
        );
    }
    // Signing out ends the session.
    phone.press("header form button").await;
    phone.until_text("Sign in").await;
    phone.goto(&format!("{base}/app")).await;
    assert!(phone.current_url().await.ends_with("/login"));
    drop(phone);

    let Some(desk) = Browser::start_sized(1280, 800, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    assert_eq!(
        desk.js(
            "return document.querySelector('.tile .value').textContent",
            json!([])
        )
        .await,
        "2"
    );
    keep_screenshot(&desk, "home-1280.png").await;
    accessible(&desk, "home, desktop").await;
    // A question the agent could not answer, waiting for the owner.
    let b = app.business(ROOTER).await;
    ask(&app, &b, "do you offer a discount for seniors?").await;
    desk.press("nav.sections a[href^='/app/questions']").await;
    desk.until_text("seniors").await;
    accessible(&desk, "unanswered questions").await;
    keep_screenshot(&desk, "questions-1280.png").await;
    desk.press("nav.sections a[href^='/app/messages']").await;
    desk.until_text("What callers asked to pass on").await;
    accessible(&desk, "messages").await;
    desk.press("header a.email").await;
    desk.until_text("Change your password").await;
    accessible(&desk, "account").await;
}

/// An HTTP client that follows no redirects and keeps no cookies (each request says its own).
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts `fields` as a form to `url` with the cookies given.
async fn post_form(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    fields: &impl serde::Serialize,
) -> reqwest::Response {
    http.post(url)
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A request without redirects followed, with the cookies given.
async fn get(http: &reqwest::Client, url: &str, cookie: &str) -> reqwest::Response {
    http.get(url).header("cookie", cookie).send().await.unwrap()
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

async fn sessions_and_forms_are_guarded(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let pizza = app.business(PIZZA).await;
    let http = http_client();
    // No session: every page leads to sign-in.
    for path in ["/", "/app", &format!("/app?b={b}")] {
        let r = get(&http, &format!("{base}{path}"), "").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    let form = get(&http, &format!("{base}/login"), "").await;
    let csp = form.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let login_cookie = set_cookie(&form, "fd_login_csrf").unwrap();
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let login_cookie = login_cookie.split(';').next().unwrap().to_owned();
    let token = hidden_csrf(&form.text().await.unwrap());
    let post = |body: Vec<(&'static str, String)>, cookie: String| {
        let http = http.clone();
        let url = format!("{base}/login");
        async move { post_form(&http, &url, &cookie, &body).await }
    };
    // A form without its token (a page elsewhere posting here) is refused, however right the
    // password.
    let r = post(
        vec![("email", OWNER.into()), ("password", OWNER_PASSWORD.into())],
        login_cookie.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&r, "fd_session").is_none());
    let r = post(
        vec![
            ("csrf", token.clone()),
            ("email", OWNER.into()),
            ("password", OWNER_PASSWORD.into()),
        ],
        String::new(),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the token without its cookie"
    );
    // Wrong password: the form again, with why.
    let r = post(
        vec![
            ("csrf", token.clone()),
            ("email", OWNER.into()),
            ("password", "wrong".into()),
        ],
        login_cookie.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("do not match"));
    // Right: a session cookie that scripts cannot read.
    let r = post(
        vec![
            ("csrf", token.clone()),
            ("email", OWNER.into()),
            ("password", OWNER_PASSWORD.into()),
        ],
        login_cookie.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/app");
    let session = set_cookie(&r, "fd_session").unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "not on plain http: {session}");
    let session = session.split(';').next().unwrap().to_owned();
    let home = get(&http, &format!("{base}/app"), &session).await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Rapid Rooter Plumbing"), "{html}");
    assert!(
        !html.contains("Tony"),
        "another business in the picker: {html}"
    );
    // Another business is not there for this owner.
    let r = get(&http, &format!("{base}/app?b={pizza}"), &session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(&http, &format!("{base}/app?b=tonys-pizza"), &session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nor is another business's conversation, by its id.
    let started = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{pizza}/conversations"),
            Some(&app.op),
            Some(json!({})),
        )
        .await;
    let other = started.json["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = get(
        &http,
        &format!("{base}/app/conversations/{other}?b={b}"),
        &session,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(&http, &format!("{base}/app/conversations?b={b}"), &session).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(&other));
    // Changing the password: the current one must be right, the new one twice the same; then
    // every other session ends and this browser gets a new one.
    let page = get(&http, &format!("{base}/app/account"), &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = hidden_csrf(&page.text().await.unwrap());
    let change = |fields: Vec<(&'static str, String)>| {
        let (http, session) = (http.clone(), session.clone());
        let url = format!("{base}/app/account/password");
        async move { post_form(&http, &url, &session, &fields).await }
    };
    let other_session = {
        // A second browser of the same owner.
        let api = app.login(OWNER, OWNER_PASSWORD).await;
        assert_eq!(api.status, StatusCode::OK);
        api.json["refresh_token"].as_str().unwrap().to_owned()
    };
    let new_password = "a brand new owner password";
    let r = change(vec![
        ("csrf", csrf.clone()),
        ("current", "not it".into()),
        ("new", new_password.into()),
        ("confirm", new_password.into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not your current password")
    );
    let r = change(vec![
        ("csrf", csrf.clone()),
        ("current", OWNER_PASSWORD.into()),
        ("new", new_password.into()),
        ("confirm", "something else entirely".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not the same"));
    let r = change(vec![
        ("current", OWNER_PASSWORD.into()),
        ("new", new_password.into()),
        ("confirm", new_password.into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no form token");
    let r = change(vec![
        ("csrf", csrf.clone()),
        ("current", OWNER_PASSWORD.into()),
        ("new", new_password.into()),
        ("confirm", new_password.into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let renewed = set_cookie(&r, "fd_session").unwrap();
    let renewed = renewed.split(';').next().unwrap().to_owned();
    assert_eq!(
        get(&http, &format!("{base}/app"), &session).await.status(),
        StatusCode::SEE_OTHER,
        "the old session ended"
    );
    let done = get(
        &http,
        &format!("{base}/app/account?done=password"),
        &renewed,
    )
    .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Your password is changed")
    );
    let refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": other_session})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "{}", refresh.text);
    assert_eq!(app.login(OWNER, new_password).await.status, StatusCode::OK);
    let session = renewed;
    let html = get(&http, &format!("{base}/app"), &session)
        .await
        .text()
        .await
        .unwrap();
    // Signing out needs the session's own token.
    let csrf = hidden_csrf(&html);
    let out = |token: String| {
        let (http, session) = (http.clone(), session.clone());
        let url = format!("{base}/logout");
        async move { post_form(&http, &url, &session, &[("csrf", token)]).await }
    };
    assert_eq!(out("forged".into()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&http, &format!("{base}/app"), &session).await.status(),
        StatusCode::OK
    );
    assert_eq!(out(csrf).await.status(), StatusCode::SEE_OTHER);
    // The old cookie is worth nothing now.
    let r = get(&http, &format!("{base}/app"), &session).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Signing in is audited as the API's login is.
    let audit = app.get("/api/v1/audit?limit=50").await;
    assert!(
        audit.text.contains("\"via\":\"dashboard\""),
        "{}",
        audit.text
    );
}

/// A viewer of business `b`, signed in over HTTP: their session cookie.
async fn viewer_session(app: &App, b: &str, http: &reqwest::Client, base: &str) -> String {
    let (email, password) = ("viewer@rapidrooter.example", "a viewer's long password");
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/members"),
            Some(&app.op),
            Some(json!({"email": email, "role": "viewer", "password": password})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    http_session(http, base, email, password).await
}

/// Signs in over HTTP: the session cookie (`fd_session=…`).
async fn http_session(http: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let form = get(http, &format!("{base}/login"), "").await;
    let cookie = set_cookie(&form, "fd_login_csrf").unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let token = hidden_csrf(&form.text().await.unwrap());
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    set_cookie(&r, "fd_session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Starts an API conversation and says `text`; the reply.
async fn ask(app: &App, b: &str, text: &str) -> String {
    let started = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations"),
            Some(&app.op),
            Some(json!({"channel": "sms"})),
        )
        .await;
    let id = started.json["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations/{id}/turns"),
            Some(&app.op),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["reply"].as_str().unwrap().to_owned()
}

async fn a_question_answered_in_the_dashboard_is_used_at_once(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let asked = "do you offer a discount for seniors?";
    let before = ask(&app, &b, asked).await;
    let open = app.get(&format!("/api/v1/businesses/{b}/unanswered")).await;
    assert!(
        open.text.contains("seniors"),
        "not recorded as unanswered ({before}): {}",
        open.text
    );
    let http = http_client();
    let session = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let page = get(
        &http,
        &format!("{base}/app/questions?b=rapid-rooter"),
        &session,
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("seniors") && html.contains("Add to FAQs"),
        "{html}"
    );
    let at = html.find("/answer?b=").unwrap();
    let action = &html[html[..at].rfind("\"").unwrap() + 1..at + "/answer?b=rapid-rooter".len()];
    let csrf = hidden_csrf(&html);
    let post = |path: String, fields: Vec<(&'static str, String)>, cookie: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move { post_form(&http, &url, &cookie, &fields).await }
    };
    // An empty answer is refused beside the question; nothing changes.
    let r = post(
        action.to_owned(),
        vec![("csrf", csrf.clone()), ("answer", "  ".into())],
        session.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Write the answer first"));
    // An answer longer than the profile allows is refused the same way.
    let r = post(
        action.to_owned(),
        vec![("csrf", csrf.clone()), ("answer", "x".repeat(1500))],
        session.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer = "Yes: seniors over 65 get 10% off any job.";
    let r = post(
        action.to_owned(),
        vec![("csrf", csrf.clone()), ("answer", answer.into())],
        session.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let done = get(
        &http,
        &format!("{base}{}", r.headers()["location"].to_str().unwrap()),
        &session,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        done.contains("Added to your FAQs") && !done.contains("“do you offer"),
        "{done}"
    );
    // The agent uses it on the very next conversation.
    let after = ask(&app, &b, asked).await;
    assert!(after.contains("10% off"), "{after}");

    // A viewer sees the list but no way to change it, and a forged post is refused.
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let html = get(
        &http,
        &format!("{base}/app/questions?b=rapid-rooter"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        !html.contains("Add to FAQs") && !html.contains("Dismiss"),
        "{html}"
    );
    let questions = app.get(&format!("/api/v1/businesses/{b}/unanswered")).await;
    let first = questions.json.as_array().unwrap()[0].clone();
    let qid = first["id"].as_str().unwrap().to_owned();
    let viewer_csrf = hidden_csrf(&html);
    let r = post(
        format!("/app/questions/{qid}/dismiss?b=rapid-rooter"),
        vec![("csrf", viewer_csrf)],
        viewer.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let still = app.get(&format!("/api/v1/businesses/{b}/unanswered")).await;
    assert_eq!(
        still.json.as_array().unwrap()[0],
        first,
        "a viewer changed a question"
    );
}

async fn a_voicemail_is_a_message_staff_mark_done(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let mut c = Caller::dial_at(&app, &base, "CA_vm_dash", "+13035550166", ROOTER_PHONE).await;
    c.post(
        &format!("{base}/twilio/voice/voicemail"),
        &[
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42",
            ),
            ("RecordingSid", "RE42"),
            ("RecordingDuration", "12"),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
    let http = http_client();
    let session = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let html = get(
        &http,
        &format!("{base}/app/messages?b=rapid-rooter"),
        &session,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("Recordings/RE42")
            && html.contains("+13035550166")
            && html.contains("Mark done"),
        "{html}"
    );
    let at = html.find("/done?b=rapid-rooter").unwrap();
    let action =
        html[html[..at].rfind('"').unwrap() + 1..at + "/done?b=rapid-rooter".len()].to_owned();
    let csrf = hidden_csrf(&html);
    let post = |path: String, token: String, cookie: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move { post_form(&http, &url, &cookie, &[("csrf", token)]).await }
    };
    // A viewer sees it, without the button, and cannot mark it.
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let seen = get(
        &http,
        &format!("{base}/app/messages?b=rapid-rooter"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        seen.contains("Recordings/RE42") && !seen.contains("Mark done"),
        "{seen}"
    );
    let r = post(action.clone(), hidden_csrf(&seen), viewer).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The owner marks it done.
    let r = post(action, csrf, session.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let msgs = app.get(&format!("/api/v1/businesses/{b}/messages")).await;
    assert_eq!(msgs.json[0]["status"], "done", "{}", msgs.text);
    let html = get(
        &http,
        &format!("{base}/app/messages?b=rapid-rooter"),
        &session,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("Mark as new"), "{html}");
}

/// A call's recording and a voicemail play in the dashboard: fetched from Twilio with the
/// account's credentials and streamed through (byte ranges too, so the player can seek), to the
/// members of the business the recording belongs to and nobody else; the audio decodes in real
/// Chromium under the pages' Content-Security-Policy.
async fn recordings_play_in_the_dashboard_only_for_their_business(
    h: crate::texts::Harness,
    base: String,
) {
    use crate::fakes::twilio::VOICEMAIL_MP3;
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let (voicemail, call_rec, elsewhere) = (
        "RE0000000000000000000000000000a001",
        "RE0000000000000000000000000000a002",
        "RE0000000000000000000000000000a003",
    );
    {
        let mut kept = h.fake.recordings.lock().unwrap();
        for sid in [voicemail, call_rec, elsewhere] {
            kept.insert(sid.to_owned(), VOICEMAIL_MP3.to_vec());
        }
    }
    // A recorded call, and a voicemail on another call.
    let mut c = Caller::dial_at(app, &base, "CA_rec_1", "+13035550181", ROOTER_PHONE).await;
    c.say("what areas do you serve").await;
    c.post(
        &format!("{base}/twilio/voice/recording"),
        &[
            ("RecordingSid", call_rec),
            (
                "RecordingUrl",
                &format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{call_rec}"),
            ),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", "6"),
        ],
    )
    .await;
    let mut v = Caller::dial_at(app, &base, "CA_rec_2", "+13035550182", ROOTER_PHONE).await;
    v.post(
        &format!("{base}/twilio/voice/voicemail"),
        &[
            (
                "RecordingUrl",
                &format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{voicemail}"),
            ),
            ("RecordingSid", voicemail),
            ("RecordingDuration", "6"),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let messages = get(
        &http,
        &format!("{base}/app/messages?b=rapid-rooter"),
        &owner,
    )
    .await
    .text()
    .await
    .unwrap();
    let src = |sid: &str| format!("/app/recordings/{sid}?b=rapid-rooter");
    assert!(
        messages.contains(&format!(
            "<audio controls preload=\"none\" src=\"{}\"",
            src(voicemail)
        )),
        "{messages}"
    );
    let calls = app
        .get(&format!(
            "/api/v1/businesses/{b}/conversations?channel=voice"
        ))
        .await;
    let conv = calls.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "+13035550181")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = get(
        &http,
        &format!("{base}/app/conversations/{conv}?b=rapid-rooter"),
        &owner,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        page.contains(&src(call_rec)) && !page.contains("api.twilio.com"),
        "{page}"
    );
    // The whole recording, then a range of it.
    let fetch = |sid: String, cookie: String, range: Option<&'static str>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut req = http
                .get(format!("{base}/app/recordings/{sid}?b=rapid-rooter"))
                .header("cookie", cookie);
            if let Some(r) = range {
                req = req.header("range", r);
            }
            req.send().await.unwrap()
        }
    };
    let r = fetch(voicemail.into(), owner.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "audio/mpeg");
    assert_eq!(r.bytes().await.unwrap().as_ref(), VOICEMAIL_MP3);
    let r = fetch(call_rec.into(), owner.clone(), Some("bytes=100-1099")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 100-1099/{}", VOICEMAIL_MP3.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &VOICEMAIL_MP3[100..1100]);
    let r = fetch(call_rec.into(), owner.clone(), Some("bytes=99999999-")).await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // Twilio has it, but it is not this business's: nothing. Nor is a SID that is not one.
    for sid in [elsewhere, "..%2FCalls%2FCA_rec_1", "RE42"] {
        let r = fetch(sid.into(), owner.clone(), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{sid}");
    }
    // A viewer of the business hears it; the member of another business does not, whichever
    // business it names; without a session, no audio.
    let viewer = viewer_session(app, &b, &http, &base).await;
    assert_eq!(
        fetch(voicemail.into(), viewer, None).await.status(),
        StatusCode::OK
    );
    let pizza = app.business(PIZZA).await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{pizza}/members"),
            Some(&app.op),
            Some(json!({"email": "tony@pizza.example", "role": "owner", "password": "tony's long password"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let tony = http_session(&http, &base, "tony@pizza.example", "tony's long password").await;
    assert_eq!(
        fetch(voicemail.into(), tony.clone(), None).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = http
        .get(format!("{base}/app/recordings/{voicemail}?b=tonys-pizza"))
        .header("cookie", tony)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = fetch(voicemail.into(), String::new(), None).await;
    assert!(
        r.headers()
            .get("content-type")
            .is_none_or(|t| t != "audio/mpeg"),
        "audio without a session"
    );
    // In the browser: the call's player loads the audio and knows its length.
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/conversations/{conv}?b=rapid-rooter"))
        .await;
    desk.until_text("Recording").await;
    desk.js(
        "const a = document.querySelector('.player audio'); a.preload = 'auto'; a.load(); return true",
        json!([]),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let secs = loop {
        let d = desk
            .js(
                "const a = document.querySelector('.player audio'); return a.error ? -1 : (a.readyState >= 1 ? a.duration : 0)",
                json!([]),
            )
            .await
            .as_f64()
            .unwrap_or(0.0);
        if d != 0.0 || std::time::Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        (4.0..8.0).contains(&secs),
        "the player read {secs} s of audio"
    );
    accessible(&desk, "a recorded call").await;
}

async fn an_sms_thread_is_taken_over_answered_by_hand_and_handed_back(
    h: crate::texts::Harness,
    base: String,
) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let me = "+13035550166";
    let first = h
        .exchange("SM_to_1", me, ROOTER_PHONE, "what areas do you serve?")
        .await;
    assert!(first.contains("Aurora"), "{first}");
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone
        .goto(&format!(
            "{base}/app/conversations?b=rapid-rooter&channel=sms"
        ))
        .await;
    phone.until_text(me).await;
    phone.press("ul.rows a").await;
    phone.until_text("what areas do you serve?").await;
    phone.press(".takeover button").await;
    phone.until_text("You hold this thread").await;
    // While the owner holds it, the customer's text shows up on the open page and the agent
    // says nothing.
    h.text(
        "SM_to_2",
        me,
        ROOTER_PHONE,
        "can someone call me about a price?",
    )
    .await;
    phone.until_text("can someone call me about a price?").await;
    h.settled(&b).await;
    assert_eq!(h.sent_to(me).len(), 1, "the agent answered a held thread");
    // The owner's reply goes to the customer by SMS, from the business's number.
    let mine = "Hi, it's the owner: I'll call you at 3 today.";
    phone.fill("#reply", mine).await;
    phone.press(".takeover form:not(.inline) button").await;
    phone.until_text("Sent.").await;
    let sent = h.until_sent_to(me, 2).await;
    assert_eq!(sent[1].body, mine);
    assert_eq!(sent[1].from, ROOTER_PHONE);
    let page = phone.until_text(mine).await;
    assert!(
        page.contains(OWNER),
        "the reply is not shown as the owner's: {page}"
    );
    accessible(&phone, "a thread taken over").await;
    keep_screenshot(&phone, "takeover-390.png").await;
    // The transcript says who wrote it; the API shows the hold.
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations?channel=sms"))
        .await;
    let c = &convs.json["items"][0];
    assert!(c["held_by"].is_string(), "{}", convs.text);
    let t = app
        .get(&format!(
            "/api/v1/businesses/{b}/conversations/{}",
            c["id"].as_str().unwrap()
        ))
        .await;
    let by_hand: Vec<&serde_json::Value> = t.json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author_id"].is_string())
        .collect();
    assert_eq!(by_hand.len(), 1, "{}", t.text);
    assert_eq!(by_hand[0]["text"], mine);
    // Handed back, the agent answers again.
    phone.press(".takeover form.inline button").await;
    phone.until_text("Handed back").await;
    let again = h
        .exchange("SM_to_3", me, ROOTER_PHONE, "do you fix water heaters?")
        .await;
    assert!(!again.is_empty() && again != mine, "{again}");
    assert_eq!(h.sent_to(me).len(), 3);
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "conversation.take_over",
        "conversation.reply",
        "conversation.hand_back",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    // A viewer sees the thread without the controls, and a forged post changes nothing.
    let http = http_client();
    let viewer = viewer_session(app, &b, &http, &base).await;
    let url = format!(
        "{base}/app/conversations/{}?b=rapid-rooter",
        c["id"].as_str().unwrap()
    );
    let html = get(&http, &url, &viewer).await.text().await.unwrap();
    assert!(html.contains("do you fix water heaters?"));
    assert!(!html.contains("Take over"), "a viewer is offered take-over");
    let csrf = hidden_csrf(&html);
    let take = format!(
        "{base}/app/conversations/{}/take?b=rapid-rooter",
        c["id"].as_str().unwrap()
    );
    let r = post_form(&http, &take, &viewer, &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let r = post_form(&http, &take, &owner, &[("csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let c = app
        .get(&format!(
            "/api/v1/businesses/{b}/conversations/{}",
            c["id"].as_str().unwrap()
        ))
        .await;
    assert!(c.json["conversation"]["held_by"].is_null(), "{}", c.text);
    // A call cannot be taken over (it is transferred instead).
    assert!(h.sent_to(me).len() == 3);
}

async fn a_web_chat_is_answered_by_hand_in_the_visitor_s_window(app: App, base: String) {
    let b = app.business(PIZZA).await;
    app.call(
        "POST",
        &format!("/api/v1/businesses/{b}/members"),
        Some(&app.op),
        Some(json!({"email": "staff@tonys.example", "role": "agent", "password": "a staff member's password"})),
    )
    .await;
    let key = crate::webchat::widget_key(&app, &b).await;
    let mut ws = crate::webchat::open(&base, &key, "visitor-take-over-0001").await;
    assert_eq!(crate::webchat::next(&mut ws).await["type"], "history");
    let (_, r) = crate::webchat::say(&mut ws, "m1", "hi there").await;
    assert!(!r["text"].as_str().unwrap().is_empty());
    let http = http_client();
    let staff = http_session(
        &http,
        &base,
        "staff@tonys.example",
        "a staff member's password",
    )
    .await;
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations?channel=web"))
        .await;
    let conv = convs.json["items"][0]["id"].as_str().unwrap().to_owned();
    let page = format!("{base}/app/conversations/{conv}?b=tonys-pizza");
    let html = get(&http, &page, &staff).await.text().await.unwrap();
    let csrf = hidden_csrf(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/conversations/{conv}/take?b=tonys-pizza"),
        &staff,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Held: the visitor's message is kept, the agent is silent.
    let (pieces, r) = crate::webchat::say(&mut ws, "m2", "is the owner around?").await;
    assert!(pieces.is_empty(), "{pieces:?}");
    assert_eq!(r["text"], "");
    assert_eq!(r["held"], true);
    // The staff member's answer arrives in the open window.
    let r = post_form(
        &http,
        &format!("{base}/app/conversations/{conv}/reply?b=tonys-pizza"),
        &staff,
        &[
            ("csrf", csrf.as_str()),
            ("text", "Yes, this is Tony. What can I do?"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = crate::webchat::next(&mut ws).await;
    assert_eq!(m["type"], "staff", "{m}");
    assert_eq!(m["text"], "Yes, this is Tony. What can I do?");
    // An empty reply is refused with a reason, and nothing is added.
    let r = post_form(
        &http,
        &format!("{base}/app/conversations/{conv}/reply?b=tonys-pizza"),
        &staff,
        &[("csrf", csrf.as_str()), ("text", "   ")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let t = app
        .get(&format!("/api/v1/businesses/{b}/conversations/{conv}"))
        .await;
    let msgs = t.json["messages"].as_array().unwrap();
    assert_eq!(
        msgs.last().unwrap()["text"],
        "Yes, this is Tony. What can I do?"
    );
    assert_eq!(
        msgs.iter().filter(|m| m["author_id"].is_string()).count(),
        1
    );
}

/// Makes the demo owner an owner of every demo business; returns their ids by slug.
async fn owner_of_every_demo(app: &App) -> Vec<(&'static str, String)> {
    let rooter = plumber_with_owner(app).await;
    let mut out = vec![("rapid-rooter", rooter)];
    for (slug, yaml) in [("tonys-pizza", PIZZA), ("sunny-storage", STORAGE)] {
        let b = app.business(yaml).await;
        let r = app
            .call(
                "POST",
                &format!("/api/v1/businesses/{b}/members"),
                Some(&app.op),
                Some(json!({"email": OWNER, "role": "owner"})),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
        out.push((slug, b));
    }
    out
}

/// Sends every settings form of the page back as the browser would, unchanged; returns each
/// section with where it led.
async fn send_back_every_form(desk: &Browser) -> Vec<(String, String)> {
    let sent = desk
        .js(
            "return (async () => {
               const out = [];
               for (const f of document.querySelectorAll('section.settings form')) {
                 const data = new FormData(f);
                 const body = f.enctype === 'multipart/form-data' ? data : new URLSearchParams(data);
                 const r = await fetch(f.action, {method: 'POST', body});
                 out.push([f.closest('section').id, r.status + ' ' + r.url]);
               }
               return out;
             })();",
            json!([]),
        )
        .await;
    sent.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x[0].as_str().unwrap().to_owned(),
                x[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every section of the settings, sent back exactly as shown, leaves each demo business's
/// profile as it was: the forms lose nothing, whether they show it (a menu item's options and
/// their order, a unit's features) or not (a staff member's own hours).
async fn settings_forms_sent_back_unchanged_change_nothing(app: App, base: String) {
    let businesses = owner_of_every_demo(&app).await;
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    for (slug, b) in &businesses {
        let before = app
            .get(&format!("/api/v1/businesses/{b}/profile"))
            .await
            .json;
        desk.goto(&format!("{base}/app/settings?b={slug}")).await;
        desk.until_text("Everything, as YAML").await;
        let sent = send_back_every_form(&desk).await;
        assert!(sent.len() >= 8, "{slug}: {sent:?}");
        for (section, led) in &sent {
            assert!(
                led.starts_with("200 ") && led.contains(&format!("done={section}")),
                "{slug} {section}: {led}"
            );
        }
        let after = app
            .get(&format!("/api/v1/businesses/{b}/profile"))
            .await
            .json;
        assert_eq!(
            after, before,
            "{slug}: a form sent back unchanged changed the profile"
        );
    }
}

/// The menu is edited in forms: an item added with an option and its choices, in the order
/// typed; choices that do not read, or a default that is not one of them, are said beside their
/// field and nothing is saved; an item's name cleared removes it.
async fn the_menu_with_its_options_is_edited_in_forms(app: App, base: String) {
    let businesses = owner_of_every_demo(&app).await;
    let pizza = &businesses
        .iter()
        .find(|(s, _)| *s == "tonys-pizza")
        .unwrap()
        .1;
    let profile = || async {
        app.get(&format!("/api/v1/businesses/{pizza}/profile"))
            .await
            .json
    };
    let before = profile().await;
    let n = before["menu"].as_array().unwrap().len();
    let Some(desk) = Browser::start_sized(390, 900, true).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/settings?b=tonys-pizza#menu"))
        .await;
    desk.until_text("Menu and ordering").await;
    // The pepperoni pizza's options read back as typed.
    let crust = desk
        .js(
            "return document.getElementById('menu-1-options-1-choices').value",
            json!([]),
        )
        .await;
    assert_eq!(crust, "regular, thin, gluten-free +2.50");
    // A new item with an option whose choices do not read: said beside them, nothing saved.
    desk.js(
        "for (const d of document.querySelectorAll('#menu details')) d.open = true; return 0",
        json!([]),
    )
    .await;
    desk.fill(&format!("#menu-{n}-name"), "Calzone").await;
    desk.fill(&format!("#menu-{n}-price"), "11").await;
    desk.fill(&format!("#menu-{n}-category"), "Pizza").await;
    desk.fill(&format!("#menu-{n}-options-0-name"), "filling")
        .await;
    desk.fill(&format!("#menu-{n}-options-0-choices"), "cheese, ham +two")
        .await;
    desk.press("#menu button.primary").await;
    desk.until_text("Nothing was saved").await;
    let note = desk
        .js(
            &format!("const n = document.getElementById('menu-{n}-options-0-choices-note'); return n ? n.textContent : null"),
            json!([]),
        )
        .await;
    assert!(
        note.as_str()
            .is_some_and(|t| t.contains("should be a number")),
        "{note}"
    );
    assert_eq!(profile().await, before);
    accessible(&desk, "the menu with a message").await;
    // The choices put right, but a default that is not one of them.
    desk.fill(
        &format!("#menu-{n}-options-0-choices"),
        "cheese, ham +2, spinach +1.50",
    )
    .await;
    desk.fill(&format!("#menu-{n}-options-0-default"), "pepperoni")
        .await;
    desk.press("#menu button.primary").await;
    // Waits for the page after the press (the last one said nothing was saved too).
    let note = desk
        .until_js(&format!(
            "const n = document.getElementById('menu-{n}-options-0-default-note'); \
             return n && n.classList.contains('field-error') ? n.textContent : null"
        ))
        .await;
    assert!(
        note.as_str()
            .is_some_and(|t| t.contains("not one of the choices")),
        "{note}"
    );
    assert_eq!(profile().await, before);
    // Put right, it saves, in the order typed.
    desk.fill(&format!("#menu-{n}-options-0-default"), "cheese")
        .await;
    desk.press("#menu button.primary").await;
    desk.until_text("Menu and ordering saved").await;
    let after = profile().await;
    let calzone = &after["menu"][n];
    assert_eq!(calzone["name"], "Calzone");
    assert_eq!(calzone["price"], 11.0);
    assert_eq!(calzone["options"][0]["default"], "cheese");
    let choices: Vec<(String, f64)> = calzone["options"][0]["choices"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    assert_eq!(
        choices,
        vec![
            ("cheese".into(), 0.0),
            ("ham".into(), 2.0),
            ("spinach".into(), 1.5)
        ]
    );
    desk.js(
        "const d = document.querySelectorAll('#menu details')[1]; d.open = true; \
         document.getElementById('menu-1-name').scrollIntoView(); return 0",
        json!([]),
    )
    .await;
    keep_screenshot(&desk, "settings-menu-390.png").await;
    // The first item's name cleared: it is gone, the others keep their options.
    desk.fill("#menu-0-name", "").await;
    desk.submit("#menu button.primary").await;
    desk.until_text("Menu and ordering saved").await;
    let last = profile().await;
    assert_eq!(last["menu"].as_array().unwrap().len(), n);
    assert_eq!(last["menu"][0], after["menu"][1]);
}

/// A staff member's own week is edited day by day: a bad range is said beside its day and
/// nothing saved; days filled become their week (the others days off); all emptied, they keep
/// the business's hours again.
async fn a_staff_member_s_own_hours_are_edited_by_day(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let profile = || async {
        app.get(&format!("/api/v1/businesses/{b}/profile"))
            .await
            .json
    };
    let before = profile().await;
    assert_eq!(before["staff"][1]["name"], "Jordan");
    assert!(before["staff"][1]["hours"].is_null());
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/settings?b=rapid-rooter#staff"))
        .await;
    desk.until_text("Their own hours").await;
    // Alex's own week shows; Jordan's is closed and empty.
    assert_eq!(
        desk.js(
            "return document.getElementById('staff-0-hours-tue').value",
            json!([])
        )
        .await,
        "07:00-15:00"
    );
    desk.js(
        "for (const d of document.querySelectorAll('#staff details')) d.open = true; return 0",
        json!([]),
    )
    .await;
    desk.fill("#staff-1-hours-thu", "08:00-16:00").await;
    desk.fill("#staff-1-hours-sat", "13:00-09:00").await;
    desk.press("#staff button.primary").await;
    let note = desk
        .until_js("const n = document.getElementById('staff-1-hours-sat-note'); return n && n.classList.contains('field-error') ? n.textContent : null")
        .await;
    assert!(
        note.as_str().is_some_and(|t| t.contains("Saturday")),
        "{note}"
    );
    assert_eq!(profile().await, before);
    desk.fill("#staff-1-hours-sat", "09:00-13:00").await;
    desk.press("#staff button.primary").await;
    desk.until_text("Staff saved").await;
    let after = profile().await;
    assert_eq!(
        after["staff"][1]["hours"],
        json!({"thu": "08:00-16:00", "sat": "09:00-13:00"})
    );
    assert_eq!(after["staff"][0], before["staff"][0], "Alex changed");
    // Every day emptied: the business's hours again.
    desk.js(
        "for (const d of document.querySelectorAll('#staff details')) d.open = true; return 0",
        json!([]),
    )
    .await;
    desk.fill("#staff-1-hours-thu", "").await;
    desk.fill("#staff-1-hours-sat", "").await;
    desk.submit("#staff button.primary").await;
    desk.until_text("Staff saved").await;
    assert!(profile().await["staff"][1]["hours"].is_null());
}

/// Prices by occupancy are typed as percentages and kept as shares; booking rules as numbers:
/// a value out of range is said beside its field and nothing is saved.
async fn prices_by_occupancy_and_booking_rules_are_edited_in_forms(app: App, base: String) {
    let businesses = owner_of_every_demo(&app).await;
    let id = |slug: &str| {
        businesses
            .iter()
            .find(|(s, _)| *s == slug)
            .unwrap()
            .1
            .clone()
    };
    let (storage, rooter) = (id("sunny-storage"), id("rapid-rooter"));
    let profile = |b: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/businesses/{b}/profile"))
                .await
                .json
        }
    };
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let page = get(
        &http,
        &format!("{base}/app/settings?b=sunny-storage"),
        &owner,
    )
    .await
    .text()
    .await
    .unwrap();
    // The demo's 0.90 shows as 90.
    assert!(
        page.contains("name=\"pricing_rules[0].when_occupancy_above\" value=\"90\""),
        "{page}"
    );
    let csrf = hidden_csrf(&page);
    let send = |slug: &'static str,
                section: &'static str,
                fields: Vec<(&'static str, &'static str)>| {
        let (http, owner, base, csrf) = (http.clone(), owner.clone(), base.clone(), csrf.clone());
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            let r = post_form(
                &http,
                &format!("{base}/app/settings/{section}?b={slug}"),
                &owner,
                &form,
            )
            .await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let before = profile(storage.clone()).await;
    let (status, html) = send(
        "sunny-storage",
        "pricing_rules",
        vec![
            ("pricing_rules[0].when_occupancy_above", "150"),
            ("pricing_rules[0].adjust_percent", "5"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(
            "id=\"pricing_rules-0-when_occupancy_above-note\">&quot;150&quot;: a percentage"
        ),
        "{html}"
    );
    assert_eq!(profile(storage.clone()).await, before);
    let (status, _) = send(
        "sunny-storage",
        "pricing_rules",
        vec![
            ("pricing_rules[0].when_occupancy_above", "85%"),
            ("pricing_rules[0].adjust_percent", "-5"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let rules = profile(storage.clone()).await["pricing_rules"].clone();
    assert_eq!(
        rules,
        json!([{"when_occupancy_above": 0.85, "adjust_percent": -5.0}])
    );
    // Booking rules: a step of no minutes is refused beside it; 15 is kept.
    let before = profile(rooter.clone()).await;
    let (status, html) = send(
        "rapid-rooter",
        "booking",
        vec![
            ("booking.slot_step_min", "0"),
            ("booking.max_days_ahead", "14"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"booking-slot_step_min-note\""), "{html}");
    assert_eq!(profile(rooter.clone()).await, before);
    let (status, _) = send(
        "rapid-rooter",
        "booking",
        vec![
            ("booking.slot_step_min", "15"),
            ("booking.max_days_ahead", "14"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let booking = profile(rooter).await["booking"].clone();
    assert_eq!(booking["slot_step_min"], 15);
    assert_eq!(booking["max_days_ahead"], 14);
    assert_eq!(booking["min_notice_min"], 60, "an empty field is the usual");
}

/// The whole profile imported from a file in the settings: a file that does not load is said
/// beside the box, which shows the file, and nothing is saved; a good one is saved. A multipart
/// body that does not read, or lacks the form token, changes nothing.
async fn a_profile_file_is_imported_in_settings(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let profile = || async {
        app.get(&format!("/api/v1/businesses/{b}/profile"))
            .await
            .json
    };
    let before = profile().await;
    let dir = tempfile::tempdir().unwrap();
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/settings?b=rapid-rooter#yaml"))
        .await;
    desk.until_text("Or import a profile file").await;
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        ROOTER.replace("tue: \"07:00-18:00\"", "tue: \"18:00-07:00\""),
    )
    .unwrap();
    assert_ne!(
        std::fs::read_to_string(&bad).unwrap(),
        ROOTER,
        "the file differs"
    );
    desk.upload("#profile-file", &bad).await;
    desk.press("#yaml button.primary").await;
    let note = desk
        .until_js("const n = document.getElementById('profile-yaml-note'); return n ? n.textContent : null")
        .await;
    assert!(
        note.as_str().is_some_and(|t| t.contains("hours.tue")),
        "{note}"
    );
    let shown = desk
        .js(
            "return document.getElementById('profile-yaml').value",
            json!([]),
        )
        .await;
    assert!(
        shown.as_str().unwrap().contains("18:00-07:00"),
        "the box shows the file"
    );
    assert_eq!(profile().await, before);
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        ROOTER.replace(
            "name: Rapid Rooter Plumbing",
            "name: Rapid Rooter Plumbing & Drains",
        ),
    )
    .unwrap();
    desk.upload("#profile-file", &good).await;
    desk.press("#yaml button.primary").await;
    desk.until_text("Everything, as YAML saved").await;
    assert_eq!(profile().await["name"], "Rapid Rooter Plumbing & Drains");
    // Hostile bodies: a broken multipart body, and a good one without the form token.
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let now = profile().await;
    let url = format!("{base}/app/settings/yaml?b=rapid-rooter");
    for body in [
        "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc".to_owned(),
        format!(
            "--x\r\nContent-Disposition: form-data; name=\"yaml_file\"; filename=\"p.yaml\"\r\n\r\n{}\r\n--x--\r\n",
            ROOTER.replace("Rapid Rooter Plumbing", "Hijacked")
        ),
    ] {
        let r = http
            .post(&url)
            .header("cookie", &owner)
            .header("content-type", "multipart/form-data; boundary=x")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(profile().await, now);
}

async fn settings_with_one_bad_range_save_nothing_and_say_where(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    async fn profile_of(app: &App, b: &str) -> serde_json::Value {
        app.get(&format!("/api/v1/businesses/{b}/profile"))
            .await
            .json
    }
    let profile = |app| profile_of(app, &b);
    let before = profile(&app).await;
    let n = before["faqs"].as_array().unwrap().len();
    assert_eq!(before["hours"]["tue"], "07:00-18:00");
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.press("nav.sections a[href^='/app/settings']").await;
    desk.until_text("Opening hours").await;
    accessible(&desk, "settings").await;
    keep_screenshot(&desk, "settings-1280.png").await;
    // One bad range among good ones: the message is beside Tuesday, nothing is saved, and the
    // form still shows what was typed.
    desk.fill("#hours-mon", "06:30-18:00").await;
    desk.fill("#hours-tue", "17:00-09:00").await;
    desk.press("#hours button.primary").await;
    desk.until_text("Nothing was saved").await;
    let note = desk
        .js(
            "var n = document.getElementById('hours-tue-note'); return n ? n.textContent : null;",
            json!([]),
        )
        .await;
    assert!(
        note.as_str()
            .is_some_and(|n| n.contains("ends before it starts")),
        "{note}"
    );
    assert_eq!(
        desk.js(
            "return document.getElementById('hours-tue').getAttribute('aria-invalid')",
            json!([])
        )
        .await,
        "true"
    );
    assert_eq!(
        desk.js(
            "return document.getElementById('hours-mon').value",
            json!([])
        )
        .await,
        "06:30-18:00"
    );
    assert_eq!(
        desk.js(
            "return document.querySelectorAll('.field-error').length",
            json!([])
        )
        .await,
        1,
        "only Tuesday is wrong"
    );
    accessible(&desk, "settings with a message").await;
    assert_eq!(
        profile(&app).await,
        before,
        "a bad form changed the profile"
    );
    // Put right, it saves, and the agent knows at once.
    desk.fill("#hours-tue", "07:00-12:00, 13:00-18:00").await;
    desk.press("#hours button.primary").await;
    desk.until_text("Opening hours saved").await;
    let after = profile(&app).await;
    assert_eq!(after["hours"]["mon"], "06:30-18:00");
    assert_eq!(after["hours"]["tue"], "07:00-12:00, 13:00-18:00");
    assert_eq!(after["hours"]["sun"], "closed");
    // A question and answer added in its form.
    desk.fill(
        &format!("#faqs-{n}-q"),
        "Do you service tankless water heaters?",
    )
    .await;
    desk.fill(
        &format!("#faqs-{n}-a"),
        "Yes, we install and repair tankless heaters of every make.",
    )
    .await;
    desk.press("#faqs button.primary").await;
    desk.until_text("Questions and answers saved").await;
    let faqs = profile(&app).await["faqs"].clone();
    assert_eq!(faqs.as_array().unwrap().len(), n + 1, "{faqs}");
    // Broken YAML is refused with where it broke.
    desk.fill("#profile-yaml", "slug: rapid-rooter\nname: [unclosed")
        .await;
    desk.press("#yaml button.primary").await;
    desk.until_text("Nothing was saved").await;
    let note = desk
        .js(
            "return document.getElementById('profile-yaml-note').textContent",
            json!([]),
        )
        .await;
    assert!(note.as_str().is_some_and(|n| n.contains("line")), "{note}");
    assert_eq!(profile(&app).await["faqs"], faqs);
    // The export is the profile, as a file.
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let file = get(
        &http,
        &format!("{base}/app/settings/profile.yaml?b=rapid-rooter"),
        &owner,
    )
    .await;
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("rapid-rooter.yaml")
    );
    let yaml = file.text().await.unwrap();
    let back = frontdesk_engine::Profile::from_yaml(&yaml).unwrap();
    assert_eq!(back.faqs.len(), n + 1);
    // A viewer sees the settings with every control disabled and no save button; a forged
    // post is refused and changes nothing.
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let html = get(
        &http,
        &format!("{base}/app/settings?b=rapid-rooter"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("07:00-12:00, 13:00-18:00"));
    assert!(
        !html.contains("button class=\"primary\""),
        "a viewer has a save button"
    );
    let sections = html.matches("<section class=\"card settings\"").count();
    assert!(sections >= 10, "{sections} sections");
    assert_eq!(
        html.matches("<fieldset disabled").count(),
        sections,
        "every section's fields are disabled for a viewer"
    );
    let csrf = hidden_csrf(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/settings/hours?b=rapid-rooter"),
        &viewer,
        &[("csrf", csrf.as_str()), ("hours.mon", "closed")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &http,
        &format!("{base}/app/settings/hours?b=rapid-rooter"),
        &owner,
        &[("hours.mon", "closed")],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a post without its token"
    );
    assert_eq!(profile(&app).await["hours"]["mon"], "06:30-18:00");
    // Services and staff as rows: a price that is not a number is said beside it and nothing
    // is saved; put right, the price changes, a new staff member is added and the others keep
    // their own hours.
    let page = get(
        &http,
        &format!("{base}/app/settings?b=rapid-rooter"),
        &owner,
    )
    .await
    .text()
    .await
    .unwrap();
    let csrf = hidden_csrf(&page);
    let services = |price: &'static str| {
        let csrf = csrf.clone();
        vec![
            ("csrf", csrf),
            ("services[0].name", "Drain cleaning".to_owned()),
            ("services[0].duration_min", "60".to_owned()),
            ("services[0].price", price.to_owned()),
            ("services[1].name", "Water heater repair".to_owned()),
            ("services[1].duration_min", "120".to_owned()),
            ("services[2].name", "Leak inspection".to_owned()),
            ("services[2].duration_min", "45".to_owned()),
            ("services[3].name", "".to_owned()),
        ]
    };
    let url = format!("{base}/app/settings/services?b=rapid-rooter");
    let r = post_form(&http, &url, &owner, &services("a lot")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let at = html
        .find("id=\"services-0-price-note\">")
        .expect("a message beside the price");
    let note = &html[at..];
    let note = &note[note.find('>').unwrap() + 1..note.find("</p>").unwrap()];
    assert!(
        note.contains("a lot"),
        "the message names what was typed: {note}"
    );
    assert!(
        html.contains(
            "id=\"services-0-price\" type=\"text\" name=\"services[0].price\" value=\"a lot\""
        ),
        "what was typed is kept"
    );
    assert_eq!(profile(&app).await["services"][0]["price"], 149.0);
    let r = post_form(&http, &url, &owner, &services("159.50")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = profile(&app).await;
    assert_eq!(after["services"][0]["price"], 159.5);
    assert_eq!(
        after["services"].as_array().unwrap().len(),
        3,
        "an empty row adds nothing"
    );
    let r = post_form(
        &http,
        &format!("{base}/app/settings/staff?b=rapid-rooter"),
        &owner,
        &[
            ("csrf", csrf.as_str()),
            ("staff[0].name", "Alex"),
            ("staff[0].services", "Drain cleaning, Leak inspection"),
            ("staff[1].name", "Jordan"),
            ("staff[1].services", ""),
            ("staff[2].name", "Sam"),
            ("staff[2].services", "Drain cleaning"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = profile(&app).await;
    assert_eq!(after["staff"][2]["name"], "Sam");
    assert_eq!(
        after["staff"][0]["hours"]["mon"], "07:00-15:00",
        "Alex's own hours kept"
    );
    // A staff member who does a service that does not exist is refused with the reason.
    let r = post_form(
        &http,
        &format!("{base}/app/settings/staff?b=rapid-rooter"),
        &owner,
        &[
            ("csrf", csrf.as_str()),
            ("staff[0].name", "Alex"),
            ("staff[0].services", "Roofing"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Roofing"));
    assert_eq!(profile(&app).await["staff"].as_array().unwrap().len(), 3);
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone
        .goto(&format!("{base}/app/settings?b=rapid-rooter"))
        .await;
    phone.until_text("Opening hours").await;
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, false, "settings scroll sideways at 390 px");
    keep_screenshot(&phone, "settings-390.png").await;
}

/// Says `text` in the test console and waits for the agent's reply to it: the reply, and what
/// the page shows under it.
async fn console_say(b: &Browser, text: &str) -> (String, String) {
    let before = b
        .js(
            "return document.querySelectorAll('#console-log li').length",
            json!([]),
        )
        .await
        .as_u64()
        .unwrap();
    b.fill("#console-text", text).await;
    b.press("form.console-form button.primary").await;
    crate::eventually("the console's reply", || async {
        let v = b
            .js(
                "var l = document.querySelectorAll('#console-log li'); \
                 if (l.length < arguments[0] + 2) return null; var a = l[l.length - 1]; \
                 var r = a.querySelector('dl'); \
                 return [a.querySelector('.said').textContent, r ? r.textContent : ''];",
                json!([before]),
            )
            .await;
        match v.as_array() {
            Some(a) => Ok((
                a[0].as_str().unwrap().to_owned(),
                a[1].as_str().unwrap().to_owned(),
            )),
            None => Err("not yet".to_owned()),
        }
    })
    .await
}

async fn the_test_console_uses_a_new_answer_and_keeps_nothing(
    h: crate::texts::Harness,
    base: String,
) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let asked = "do you offer a discount for seniors?";
    ask(app, &b, asked).await;
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    // The owner answers the question in the dashboard...
    desk.press("nav.sections a[href^='/app/questions']").await;
    desk.until_text("seniors").await;
    desk.fill(
        "ul.questions textarea",
        "Yes: seniors over 65 get 10% off any job.",
    )
    .await;
    desk.press("ul.questions button.primary").await;
    desk.until_text("Added to your FAQs").await;
    // ...and the test console's agent answers with it, saying what it read.
    desk.press("nav.sections a[href^='/app/console']").await;
    desk.until_text("Test console").await;
    let greeting = desk.page_text().await;
    assert!(greeting.contains("Riley"), "{greeting}");
    let (reply, reading) = console_say(&desk, "any discounts for seniors?").await;
    assert!(reply.contains("10% off"), "{reply}");
    assert!(
        reading.contains("Intent") && reading.contains("Confidence"),
        "{reading}"
    );
    accessible(&desk, "the test console").await;
    // A whole booking, carried through: the agent books, and nothing is kept or sent.
    let mut booked = false;
    for say in [
        "my shower drain is totally clogged, can you send someone",
        "whatever is soonest",
        "the first one works",
        "Casey Morgan",
        "303-555-0190",
        "yes",
        "yes",
    ] {
        let (_, reading) = console_say(&desk, say).await;
        if reading.contains("book appointment") {
            booked = true;
            break;
        }
    }
    assert!(
        booked,
        "the console never booked: {}",
        desk.page_text().await
    );
    keep_screenshot(&desk, "console-1280.png").await;
    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(appts.json.as_array().unwrap().len(), 0, "{}", appts.text);
    let customers = app.get(&format!("/api/v1/businesses/{b}/customers")).await;
    assert!(
        !customers.text.contains("Casey Morgan"),
        "the console made a customer: {}",
        customers.text
    );
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert_eq!(
        convs.json["items"].as_array().unwrap().len(),
        1,
        "only the API's question is a conversation: {}",
        convs.text
    );
    h.settled(&b).await;
    assert!(h.sent().is_empty(), "the console sent {:?}", h.sent());
    // A viewer cannot use it; a post without the form's token is refused.
    let http = http_client();
    let viewer = viewer_session(app, &b, &http, &base).await;
    let r = get(
        &http,
        &format!("{base}/app/console?b=rapid-rooter"),
        &viewer,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let r = post_form(
        &http,
        &format!("{base}/app/console?b=rapid-rooter"),
        &owner,
        &[("text", "hello")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A hidden field tampered into nonsense starts a new exchange rather than failing.
    let html = get(&http, &format!("{base}/app/console?b=rapid-rooter"), &owner)
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/console?b=rapid-rooter"),
        &owner,
        &[
            ("csrf", csrf.as_str()),
            ("text", "what are your hours?"),
            ("state", "{\"flow\": 12, \"nonsense\": [}"),
            ("log", &"x".repeat(100_000)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("what are your hours?"));
}

async fn customers_are_found_sorted_paged_edited_and_exported(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    // A customer made by a booking, with a timeline...
    let c = crate::agent::start(
        &app,
        &b,
        json!({"channel": "voice", "caller": "+13035550190"}),
    )
    .await;
    for say in [
        "my shower drain is totally clogged, can you send someone",
        "whatever is soonest",
        "the first one works",
        "Casey Morgan",
        "yes",
    ] {
        crate::agent::say(&app, &b, &c, say).await;
    }
    // ...and 60 more, some with names a spreadsheet would misread.
    let add = |body: serde_json::Value| {
        let app = &app;
        let b = &b;
        async move {
            let r = app
                .call(
                    "POST",
                    &format!("/api/v1/businesses/{b}/customers"),
                    Some(&app.op),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    };
    add(json!({"name": "=HYPERLINK(\"http://evil.example\",\"click\")", "phone": "+13035550111"}))
        .await;
    add(json!({"name": "Lee, Ann", "email": "ann@example.com", "notes": "gate code \"4471\"\nback door"})).await;
    for i in 0..58 {
        add(json!({"name": format!("Customer {i:02}"), "phone": format!("+1303555{:04}", 2000 + i)})).await;
    }
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone.press("nav.sections a[href^='/app/customers']").await;
    phone.until_text("Everyone who called").await;
    // Newest first, 50 to a page, then the rest.
    async fn names(b: &Browser) -> serde_json::Value {
        b.js(
            "return Array.from(document.querySelectorAll('ul.rows .kind')).map(e => e.textContent)",
            json!([]),
        )
        .await
    }
    let first = names(&phone).await;
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert_eq!(first[0], "Customer 57");
    accessible(&phone, "customers").await;
    keep_screenshot(&phone, "customers-390.png").await;
    phone.press("p.more a").await;
    phone.until_text("Casey Morgan").await;
    assert_eq!(names(&phone).await.as_array().unwrap().len(), 11);
    // Search, and sort by name.
    phone
        .goto(&format!("{base}/app/customers?b=rapid-rooter"))
        .await;
    phone.fill("#q", "ann@").await;
    phone.press("form.filters button").await;
    phone.until_text("Lee, Ann").await;
    assert_eq!(names(&phone).await, json!(["Lee, Ann"]));
    phone
        .goto(&format!("{base}/app/customers?b=rapid-rooter&sort=name"))
        .await;
    phone.until_text("Customer 00").await;
    let by_name = names(&phone).await;
    assert_eq!(by_name[0], "=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(by_name[1], "Casey Morgan");
    assert_eq!(by_name[2], "Customer 00");
    // A customer's page: contact data and the timeline of the booking.
    phone
        .goto(&format!("{base}/app/customers?b=rapid-rooter&q=casey"))
        .await;
    phone.until_text("Casey Morgan").await;
    phone.press("ul.rows a").await;
    let page = phone.until_text("Timeline").await;
    assert!(page.to_lowercase().contains("drain cleaning"), "{page}");
    accessible(&phone, "a customer").await;
    keep_screenshot(&phone, "customer-390.png").await;
    // A bad phone is said beside the phone, and nothing is saved.
    phone.fill("#c-phone", "call me maybe").await;
    phone.fill("#c-name", "Casey Morgan-Reyes").await;
    phone.press("#contact button.primary").await;
    phone.until_text("Nothing was saved").await;
    let note = phone
        .js(
            "var n = document.getElementById('c-phone-note'); return n ? n.textContent : null",
            json!([]),
        )
        .await;
    assert!(
        note.as_str().is_some_and(|n| n.starts_with("phone:")),
        "{note}"
    );
    let stored = app
        .get(&format!("/api/v1/businesses/{b}/customers?q=Casey"))
        .await;
    assert_eq!(stored.json["items"][0]["name"], "Casey Morgan");
    phone.fill("#c-phone", "(303) 555-0191").await;
    phone.press("#contact button.primary").await;
    phone.until_text("Saved.").await;
    let stored = app
        .get(&format!("/api/v1/businesses/{b}/customers?q=Casey"))
        .await;
    assert_eq!(stored.json["items"][0]["name"], "Casey Morgan-Reyes");
    assert_eq!(stored.json["items"][0]["phone"], "+13035550191");
    // The export: every customer, quoted as RFC 4180 says, formulas kept as text; audited.
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let r = get(
        &http,
        &format!("{base}/app/customers.csv?b=rapid-rooter&sort=name"),
        &owner,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("id,name,phone,email,tags,notes,first_seen")
    );
    assert_eq!(csv.matches("\r\n").count(), 1 + 61, "{csv}");
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",+13035550111,"),
        "{csv}"
    );
    assert!(
        csv.contains(",\"Lee, Ann\",,ann@example.com,,\"gate code \"\"4471\"\"\nback door\","),
        "{csv}"
    );
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"customers.export") && actions.contains(&"customer.update"),
        "{actions:?}"
    );
    // A viewer may look but not edit or export.
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let r = get(
        &http,
        &format!("{base}/app/customers.csv?b=rapid-rooter"),
        &viewer,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let id = stored.json["items"][0]["id"].as_str().unwrap().to_owned();
    let html = get(
        &http,
        &format!("{base}/app/customers/{id}?b=rapid-rooter"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("Casey Morgan-Reyes") && html.contains("<fieldset disabled"));
    assert!(!html.contains("Save contact"));
    let csrf = hidden_csrf(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/customers/{id}?b=rapid-rooter"),
        &viewer,
        &[("csrf", csrf.as_str()), ("name", "Mallory")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let stored = app
        .get(&format!("/api/v1/businesses/{b}/customers/{id}"))
        .await;
    assert_eq!(stored.json["name"], "Casey Morgan-Reyes");
}

/// Books "the soonest" drain cleaning for `name` at `phone` through the API's agent: the
/// appointment.
async fn book_soonest(app: &App, b: &str, name: &str, phone: &str) -> serde_json::Value {
    let c = crate::agent::start(app, b, json!({"channel": "sms", "caller": phone})).await;
    for say in [
        "my shower drain is totally clogged, can you send someone",
        "whatever is soonest",
        "the first one works",
        name,
        "yes",
    ] {
        crate::agent::say(app, b, &c, say).await;
    }
    let all = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    all.json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} has no appointment: {}", all.text))
}

async fn staff_move_cancel_and_mark_appointments_and_customers_are_told(
    h: crate::texts::Harness,
    base: String,
) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let casey = book_soonest(app, &b, "Casey Morgan", "+13035550190").await;
    let dana = book_soonest(app, &b, "Dana Whitfield", "+13035550191").await;
    h.settled(&b).await;
    let confirmations = h.sent().len();
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.press("nav.sections a[href^='/app/appointments']")
        .await;
    let week = desk.until_text("Dana Whitfield").await;
    assert!(
        week.contains("Casey Morgan") && week.contains("Drain cleaning"),
        "{week}"
    );
    accessible(&desk, "appointments").await;
    keep_screenshot(&desk, "appointments-1280.png").await;
    // Moved by a day: stored, and Casey is told by text.
    let start = casey["start_at"].as_i64().unwrap();
    let id = casey["id"].as_str().unwrap();
    desk.js(
        "var d = document.getElementById('move-' + arguments[0]); d.closest('details').open = true; \
         var t = new Date(d.value); t.setDate(t.getDate() + 1); \
         var p = n => String(n).padStart(2, '0'); \
         d.value = t.getFullYear() + '-' + p(t.getMonth() + 1) + '-' + p(t.getDate()) + 'T' + p(t.getHours()) + ':' + p(t.getMinutes());",
        json!([id]),
    )
    .await;
    desk.press(&format!(
        "form[action^='/app/appointments/{id}/move'] button"
    ))
    .await;
    desk.until_text("Moved. The customer has been told.").await;
    let moved = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let moved = moved
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(moved["start_at"].as_i64().unwrap(), start + 24 * 3_600_000);
    let told = h.until_sent_to("+13035550190", 1).await;
    assert!(
        told.last()
            .unwrap()
            .body
            .to_lowercase()
            .contains("drain cleaning"),
        "{told:?}"
    );
    // Dana's is cancelled, and she is told.
    let did = dana["id"].as_str().unwrap();
    desk.js(
        "document.querySelector('form[action^=\"/app/appointments/' + arguments[0] + '/cancel\"]').closest('details').open = true",
        json!([did]),
    )
    .await;
    desk.fill(&format!("#why-{did}"), "Customer called to cancel")
        .await;
    desk.press(&format!(
        "form[action^='/app/appointments/{did}/cancel'] button"
    ))
    .await;
    desk.until_text("Cancelled. The customer has been told.")
        .await;
    let told = h.until_sent_to("+13035550191", 1).await;
    assert!(told.last().unwrap().body.contains("cancelled"), "{told:?}");
    let all = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let dana_now = all
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == did)
        .cloned()
        .unwrap();
    assert_eq!(dana_now["status"], "cancelled");
    assert_eq!(dana_now["cancelled_by"], "staff");
    assert_eq!(dana_now["cancel_reason"], "Customer called to cancel");
    // Marked completed through the API; a second change is refused, nothing sent for either.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/appointments/{id}/status"),
            Some(&app.op),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "completed");
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/appointments/{id}/cancel"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    h.settled(&b).await;
    assert_eq!(h.sent().len(), confirmations + 2, "{:?}", h.sent());
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["appointment.move", "appointment.cancel", "appointment.mark"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    // A viewer sees the calendar without the controls; a forged post changes nothing.
    let http = http_client();
    let viewer = viewer_session(app, &b, &http, &base).await;
    let html = get(
        &http,
        &format!("{base}/app/appointments?b=rapid-rooter&view=week&day=2026-01-01"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!html.contains("<details"), "a viewer is offered changes");
    let csrf = hidden_csrf_any(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/appointments/{id}/cancel?b=rapid-rooter"),
        &viewer,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone
        .goto(&format!("{base}/app/appointments?b=rapid-rooter"))
        .await;
    phone.until_text("Staff").await;
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(
        overflow, false,
        "the calendar pushes the page sideways at 390 px"
    );
    keep_screenshot(&phone, "appointments-390.png").await;
}

/// The owner makes a staff member's calendar feed on the appointments page, copies its address
/// (shown once), a calendar app reads it, and revoking it stops it at once; a viewer is not
/// offered feeds and a forged post makes none. Fine at phone width.
async fn an_owner_subscribes_a_calendar_to_a_staff_member_s_appointments_and_revokes_it(
    app: App,
    base: String,
) {
    let b = plumber_with_owner(&app).await;
    let booked = book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    let staff = booked["staff"].as_str().unwrap_or("Alex").to_owned();
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/appointments?b=rapid-rooter"))
        .await;
    desk.until_text("Calendar feeds").await;
    desk.js(
        "document.getElementById('feed-staff').value = arguments[0]",
        json!([staff]),
    )
    .await;
    desk.press("#calendar-feeds form:not(.inline) button").await;
    desk.until_text("copy it now").await;
    accessible(&desk, "appointments with a new feed").await;
    let url = desk
        .js(
            "return document.getElementById('feed-url').value",
            json!([]),
        )
        .await;
    let url = url.as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{base}/calendar/cal_")), "{url}");
    let http = http_client();
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ics = r.text().await.unwrap();
    assert!(
        ics.contains(&format!("Rapid Rooter Plumbing ({staff})")),
        "{ics}"
    );
    assert!(ics.contains("Casey Morgan"), "{ics}");
    // Listed without its address; revoked with one press.
    let outer = "return document.documentElement.outerHTML";
    let page = desk.js(outer, json!([])).await;
    let page = page.as_str().unwrap();
    assert_eq!(
        page.matches("cal_").count(),
        1,
        "the address shown more than once"
    );
    desk.goto(&format!("{base}/app/appointments?b=rapid-rooter"))
        .await;
    desk.until_text("Calendar feeds").await;
    let page = desk.js(outer, json!([])).await;
    let page = page.as_str().unwrap();
    assert!(page.contains(&format!(">{staff}<")), "the feed not listed");
    assert!(!page.contains("cal_"), "the address shown again");
    desk.press("#calendar-feeds form.inline button").await;
    desk.until_text("Feed revoked").await;
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["calendar_feed.create", "calendar_feed.revoke"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    // A viewer sees no feeds, and a forged post makes none.
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let html = get(
        &http,
        &format!("{base}/app/appointments?b=rapid-rooter"),
        &viewer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        !html.contains("Calendar feeds"),
        "a viewer is offered feeds"
    );
    let csrf = hidden_csrf_any(&html);
    let r = post_form(
        &http,
        &format!("{base}/app/calendar-feeds?b=rapid-rooter"),
        &viewer,
        &[("csrf", csrf.as_str()), ("staff", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let feeds = app
        .get(&format!("/api/v1/businesses/{b}/calendar-feeds"))
        .await;
    assert_eq!(feeds.json.as_array().unwrap().len(), 0, "{}", feeds.text);
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone
        .goto(&format!("{base}/app/appointments?b=rapid-rooter"))
        .await;
    phone.until_text("Calendar feeds").await;
    phone
        .press("#calendar-feeds form:not(.inline) button")
        .await;
    phone.until_text("copy it now").await;
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(
        overflow, false,
        "the feeds push the page sideways at 390 px"
    );
    phone
        .js(
            "document.getElementById('calendar-feeds').scrollIntoView()",
            json!([]),
        )
        .await;
    keep_screenshot(&phone, "calendar-feeds-390.png").await;
}

/// The link in a confirmation text opens the customer's page in a browser (phone-sized, no
/// account): they pick a new time from the free ones and get a new confirmation with a new
/// link; the old link then says it was used, an altered one that it is not valid, one past its
/// time that it expired; the new link cancels. Each change is audited as the customer's.
async fn a_customer_moves_and_cancels_by_the_link_in_their_confirmation(
    h: crate::texts::Harness,
    base: String,
) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let phone_no = "+13035550190";
    // Booked by text: the reply that confirms it carries the link.
    let c = crate::agent::start(app, &b, json!({"channel": "sms", "caller": phone_no})).await;
    let mut reply = json!(null);
    for say in [
        "my shower drain is totally clogged, can you send someone",
        "whatever is soonest",
        "the first one works",
        "Casey Morgan",
        "yes",
    ] {
        reply = crate::agent::say(app, &b, &c, say).await;
    }
    let all = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let id = all.json[0]["id"].as_str().unwrap().to_owned();
    let link_in = |body: &str| {
        let at = body
            .find(&format!("{base}/a/"))
            .unwrap_or_else(|| panic!("no link in {body:?}"));
        body[at..].split_whitespace().next().unwrap().to_owned()
    };
    let said = reply["reply"].as_str().unwrap();
    assert!(said.contains("To change or cancel it later"), "{said}");
    let first = link_in(said);
    let Some(phone) = Browser::start().await else {
        return;
    };
    phone.goto(&first).await;
    let page = phone.until_text("Choose a new time").await;
    assert!(
        page.contains("Drain cleaning") && page.contains("Rapid Rooter Plumbing"),
        "{page}"
    );
    accessible(&phone, "the customer's appointment").await;
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, false, "the page pushes sideways at 390 px");
    keep_screenshot(&phone, "self-service-390.png").await;
    // The first time offered on the second day offered.
    phone.press("nav.days a:nth-of-type(2)").await;
    phone.until_text("Choose a new time").await;
    let chosen = phone
        .js(
            "return document.querySelector('ul.times input[name=start]').value",
            json!([]),
        )
        .await;
    let chosen = chrono::DateTime::parse_from_rfc3339(chosen.as_str().unwrap()).unwrap();
    phone.press("ul.times button").await;
    phone.until_text("Moved to").await;
    let find = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id.as_str())
            .cloned()
            .unwrap()
    };
    let now = find(
        &app.get(&format!("/api/v1/businesses/{b}/appointments"))
            .await
            .json,
    );
    assert_eq!(
        now["start_at"].as_i64().unwrap(),
        chosen.timestamp_millis(),
        "{now}"
    );
    assert_eq!(now["status"], "booked");
    // Moved outside any thread: told by text, with a new link.
    let sent = h.until_sent_to(phone_no, 1).await;
    assert!(
        sent[0].body.contains("Change or cancel"),
        "{}",
        sent[0].body
    );
    let second = link_in(&sent[0].body);
    assert_ne!(first, second);
    // The old link was used; an altered one is not valid; neither changes anything.
    let http = http_client();
    let r = http.get(&first).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("already used"));
    let r = http.post(format!("{first}/cancel")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let mut altered = second.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        altered.clone(),
        format!("{base}/a/nothing"),
        format!("{base}/a/{}", "x.".repeat(300)),
    ] {
        let r = http.get(&bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text().await.unwrap().contains("not valid"));
        let r = http.post(format!("{bad}/cancel")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    // One made for a time already past has expired.
    let links = app.st.desk.host.links().unwrap();
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    let rid = frontdesk_store::RecordId::parse(&id).unwrap();
    let stale = links.url(
        &bid,
        &rid,
        now["revision"].as_i64().unwrap(),
        frontdesk_store::now_ms() - 1000,
    );
    let r = http.get(&stale).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("expired"));
    let still = find(
        &app.get(&format!("/api/v1/businesses/{b}/appointments"))
            .await
            .json,
    );
    assert_eq!(still["status"], "booked");
    // The new link cancels.
    phone.goto(&second).await;
    phone.until_text("Cancel it").await;
    phone.press("form[action$='/cancel'] button").await;
    phone.until_text("Cancelled.").await;
    let list = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(find(&list.json)["status"], "cancelled", "{}", list.text);
    assert_eq!(
        find(&list.json)["cancelled_by"],
        "customer",
        "{}",
        list.text
    );
    h.until_sent_to(phone_no, 2).await;
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let by_customer: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_kind"] == "customer")
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        by_customer.contains(&"appointment.move") && by_customer.contains(&"appointment.cancel"),
        "{log}"
    );
}

/// A visitor books on the business's public page in a phone-sized browser: a service, a day, a
/// time, a name and number; the appointment is stored at that time and confirmed by text with a
/// self-service link. A form from elsewhere (no token) books nothing; a time just taken offers
/// the next free ones; a flood from one address is held back.
async fn a_visitor_books_on_the_public_page(h: crate::texts::Harness, base: String) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let Some(phone) = Browser::start().await else {
        return;
    };
    phone.goto(&format!("{base}/book/rapid-rooter")).await;
    phone.until_text("Choose a service").await;
    accessible(&phone, "the booking page").await;
    phone.press("ul.services li:nth-of-type(3) a").await;
    phone.until_text("Leak inspection: choose a time").await;
    accessible(&phone, "the booking page's times").await;
    phone.press("nav.days a:nth-of-type(2)").await;
    phone.until_text("choose a time").await;
    phone.press("ul.times a.button").await;
    phone.until_text("Your name").await;
    let start = phone
        .js(
            "return document.querySelector('input[name=start]').value",
            json!([]),
        )
        .await;
    let start = chrono::DateTime::parse_from_rfc3339(start.as_str().unwrap()).unwrap();
    phone.fill("#name", "Robin Vega").await;
    phone.fill("#phone", "(303) 555-0177").await;
    accessible(&phone, "the booking form").await;
    keep_screenshot(&phone, "book-390.png").await;
    phone.press("form.stack button.primary").await;
    phone.until_text("You're booked").await;
    let overflow = phone
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, false, "the page pushes sideways at 390 px");
    let all = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let list = all.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", all.text);
    assert_eq!(list[0]["service"], "Leak inspection");
    assert_eq!(list[0]["name"], "Robin Vega");
    assert_eq!(list[0]["phone"], "+13035550177");
    assert_eq!(
        list[0]["start_at"].as_i64().unwrap(),
        start.timestamp_millis()
    );
    let told = h.until_sent_to("+13035550177", 1).await;
    assert!(
        told[0].body.contains("leak inspection") && told[0].body.contains(&format!("{base}/a/")),
        "{:?}",
        told[0]
    );
    // The same time again, from a fresh form: taken, and the next free times are offered.
    let http = http_client();
    let page = http
        .get(format!(
            "{base}/book/rapid-rooter?service=Leak%20inspection&start={}",
            urlencode(&start.to_rfc3339())
        ))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&page, "fd_book_csrf").unwrap();
    let html = page.text().await.unwrap();
    let csrf = hidden_csrf(&html);
    let form = |csrf: &str, name: &str, phone: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("service".to_owned(), "Leak inspection".to_owned()),
            ("start".to_owned(), start.to_rfc3339()),
            ("name".to_owned(), name.to_owned()),
            ("phone".to_owned(), phone.to_owned()),
        ]
    };
    let r = http
        .post(format!("{base}/book/rapid-rooter"))
        .header("cookie", &cookie)
        .form(&form(&csrf, "Sam Late", "+13035550178"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("just taken") && html.contains("a class=\"button\""),
        "{html}"
    );
    // A form posted from elsewhere carries no token of ours: nothing is booked or sent.
    let r = http
        .post(format!("{base}/book/rapid-rooter"))
        .form(&form("forged", "Mal Lory", "+13035550179"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("expired"));
    // A flood from one address is held back after a few.
    let mut held = false;
    for i in 0..15 {
        let r = http
            .post(format!("{base}/book/rapid-rooter"))
            .header("cookie", &cookie)
            .form(&form(
                &csrf,
                "Flood Er",
                &format!("+1303555{:04}", 1000 + i),
            ))
            .send()
            .await
            .unwrap();
        if r.text().await.unwrap().contains("Too many bookings") {
            held = true;
            break;
        }
    }
    assert!(held, "a flood from one address was never held back");
    let all = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(all.json.as_array().unwrap().len(), 1, "{}", all.text);
    // No page for a business that does not exist.
    let r = http
        .get(format!("{base}/book/nobody-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// A manager blocks a staff member's day on the appointments page: the calendar shows it, the
/// API lists it and the free times leave it out; removing it gives the time back.
async fn a_manager_blocks_time_off_on_the_calendar(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    let tz: chrono_tz::Tz = "America/Denver".parse().unwrap();
    // A weekday a few days ahead (Jordan works the business's hours, Monday to Saturday).
    let day = (3..10)
        .map(|i| chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(i))
        .find(|d| chrono::Datelike::weekday(d).num_days_from_monday() < 5)
        .unwrap();
    desk.goto(&format!(
        "{base}/app/appointments?b=rapid-rooter&view=day&day={day}"
    ))
    .await;
    desk.until_text("Time off and blocks").await;
    let slots_url = format!(
        "/api/v1/businesses/{b}/slots?service=Leak%20inspection&day={day}&days=1&staff=Jordan"
    );
    let before = app.get(&slots_url).await.json.as_array().unwrap().len();
    assert!(before > 0);
    desk.js(
        "document.getElementById('block-staff').value = 'Jordan'; \
         document.getElementById('block-from').value = arguments[0] + 'T00:00'; \
         document.getElementById('block-until').value = arguments[0] + 'T23:59'",
        json!([day.to_string()]),
    )
    .await;
    desk.fill("#block-reason", "Training course").await;
    desk.press("#time-off form.stack button").await;
    desk.until_text("Blocked: nobody can book that time now.")
        .await;
    let page = desk.until_text("Training course").await;
    assert!(page.contains("Blocked"), "{page}");
    accessible(&desk, "appointments with a block").await;
    assert_eq!(
        app.get(&slots_url).await.json.as_array().unwrap().len(),
        0,
        "Jordan's blocked day still has free times"
    );
    let list = app.get(&format!("/api/v1/businesses/{b}/blocks")).await;
    assert_eq!(list.json.as_array().unwrap().len(), 1, "{}", list.text);
    assert_eq!(list.json[0]["staff"], "Jordan");
    desk.press("#time-off form.inline button").await;
    desk.until_text("Unblocked").await;
    assert_eq!(
        app.get(&slots_url).await.json.as_array().unwrap().len(),
        before
    );
}

/// The owner picks the country whose holidays the business keeps, on the hours form: the
/// profile says so, and its free times leave the next such holiday out.
async fn an_owner_closes_on_the_country_s_public_holidays(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.goto(&format!("{base}/app/settings?b=rapid-rooter#hours"))
        .await;
    desk.until_text("Closed on the public holidays of").await;
    desk.js(
        "document.getElementById('holidays-country').value = 'US'",
        json!([]),
    )
    .await;
    desk.press("#hours button.primary").await;
    desk.until_text("Opening hours saved").await;
    accessible(&desk, "settings with holidays").await;
    let profile = app
        .get(&format!("/api/v1/businesses/{b}/profile"))
        .await
        .json;
    assert_eq!(profile["holidays"]["country"], "US", "{profile}");
    // The next US holiday on a weekday the plumber works has no free time.
    let tz: chrono_tz::Tz = "America/Denver".parse().unwrap();
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let holiday = (1..29)
        .map(|i| today + chrono::Duration::days(i))
        .find(|d| {
            chrono::Datelike::weekday(d).num_days_from_monday() < 5
                && frontdesk_engine::holidays::on(frontdesk_engine::holidays::Country::US, *d)
                    .is_some()
        });
    if let Some(d) = holiday {
        let r = app
            .get(&format!(
                "/api/v1/businesses/{b}/slots?service=Leak%20inspection&day={d}&days=1"
            ))
            .await;
        assert_eq!(r.json.as_array().unwrap().len(), 0, "{d}: {}", r.text);
    }
    // Back to none: the key leaves the profile.
    desk.js(
        "document.getElementById('holidays-country').value = ''",
        json!([]),
    )
    .await;
    desk.press("#hours button.primary").await;
    desk.until_text("Opening hours saved").await;
    let profile = app
        .get(&format!("/api/v1/businesses/{b}/profile"))
        .await
        .json;
    assert!(profile["holidays"].is_null(), "{profile}");
}

/// The session's form token from any page (the sign-out form carries it).
fn hidden_csrf_any(html: &str) -> String {
    hidden_csrf(html)
}

async fn staff_actions_through_the_api_are_checked_and_role_bound(app: App, _base: String) {
    let b = plumber_with_owner(&app).await;
    let casey = book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    let dana = book_soonest(&app, &b, "Dana Whitfield", "+13035550191").await;
    let id = casey["id"].as_str().unwrap();
    let url = |what: &str| format!("/api/v1/businesses/{b}/appointments/{id}/{what}");
    // A start that is not RFC 3339 is refused with how to write one.
    let r = app
        .call(
            "POST",
            &url("move"),
            Some(&app.op),
            Some(json!({"start": "tomorrow at 3"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("RFC 3339"), "{}", r.text);
    // Onto Dana's time with Dana's plumber: refused, nothing moved.
    let dana_start = chrono::DateTime::from_timestamp_millis(dana["start_at"].as_i64().unwrap())
        .unwrap()
        .to_rfc3339();
    let r = app
        .call(
            "POST",
            &url("move"),
            Some(&app.op),
            Some(json!({"start": dana_start, "staff": dana["staff"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let again = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let still = again
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(still["start_at"], casey["start_at"]);
    // A status that is not one is refused; a viewer may not change anything.
    let r = app
        .call(
            "POST",
            &url("status"),
            Some(&app.op),
            Some(json!({"status": "booked"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let viewer = app
        .call("POST", &format!("/api/v1/businesses/{b}/members"), Some(&app.op),
            Some(json!({"email": "v@rapidrooter.example", "role": "viewer", "password": "a viewer's long password"})))
        .await;
    assert!(viewer.status.is_success());
    let tok = app
        .login("v@rapidrooter.example", "a viewer's long password")
        .await
        .json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.call("POST", &url("cancel"), Some(&tok), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // Messages are marked done and new again; questions dismissed; each once.
    let c = crate::agent::start(&app, &b, json!({"channel": "api"})).await;
    crate::agent::say(&app, &b, &c, "do you offer a discount for seniors?").await;
    let q = app.get(&format!("/api/v1/businesses/{b}/unanswered")).await;
    let qid = q.json[0]["id"].as_str().unwrap().to_owned();
    let dismiss = format!("/api/v1/businesses/{b}/unanswered/{qid}/dismiss");
    assert_eq!(
        app.call("POST", &dismiss, Some(&tok), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("POST", &dismiss, Some(&app.op), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call("POST", &dismiss, Some(&app.op), None).await.status,
        StatusCode::NOT_FOUND
    );
    let q = app.get(&format!("/api/v1/businesses/{b}/unanswered")).await;
    assert_eq!(q.json[0]["status"], "dismissed", "{}", q.text);
    let bogus = format!("/api/v1/businesses/{b}/messages/not-an-id/status");
    let r = app
        .call(
            "POST",
            &bogus,
            Some(&app.op),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn units_and_orders_show_what_was_sold_and_staff_close_them(app: App, base: String) {
    let storage = app.business(STORAGE).await;
    let pizza = app.business(PIZZA).await;
    crate::agent::reserve(&app, &storage, "Ann Lee", "+15125550150").await;
    let c = crate::agent::start(
        &app,
        &pizza,
        json!({"channel": "sms", "caller": "+16175550177"}),
    )
    .await;
    for say in [
        "could i get 2 small pepperoni pizzas and a caesar salad",
        "no thats it",
        "pickup",
        "Dee",
        "yes place it",
    ] {
        crate::agent::say(&app, &pizza, &c, say).await;
    }
    for (b, email) in [
        (&storage, "owner@sunny.example"),
        (&pizza, "owner@tonys.example"),
    ] {
        let r = app
            .call(
                "POST",
                &format!("/api/v1/businesses/{b}/members"),
                Some(&app.op),
                Some(json!({"email": email, "role": "owner", "password": OWNER_PASSWORD})),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    let http = http_client();
    // The storage owner: the 10x15 shows one more rented, and its reservation.
    let owner = http_session(&http, &base, "owner@sunny.example", OWNER_PASSWORD).await;
    let home = get(&http, &format!("{base}/app"), &owner)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("/app/units?")
            && !home.contains("/app/orders?")
            && !home.contains("/app/appointments?"),
        "a storage facility's sections: {home}"
    );
    let units = get(&http, &format!("{base}/app/units?b=sunny-storage"), &owner)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        units.contains("10x15") && units.contains("Cancel reservation"),
        "{units}"
    );
    let before = app
        .get(&format!("/api/v1/businesses/{storage}/inventory"))
        .await;
    let res = app
        .get(&format!("/api/v1/businesses/{storage}/reservations"))
        .await;
    let rid = res.json[0]["id"].as_str().unwrap().to_owned();
    let csrf = hidden_csrf(&units);
    let r = post_form(
        &http,
        &format!("{base}/app/units/{rid}/cancel?b=sunny-storage"),
        &owner,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let res = app
        .get(&format!("/api/v1/businesses/{storage}/reservations"))
        .await;
    assert_eq!(res.json[0]["status"], "cancelled");
    let after = app
        .get(&format!("/api/v1/businesses/{storage}/inventory"))
        .await;
    assert_ne!(before.json, after.json, "the unit did not go back");
    let r = post_form(
        &http,
        &format!("{base}/app/units/{rid}/cancel?b=sunny-storage"),
        &owner,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "cancelled twice");
    // Its units edited as rows: one more 10x10, and no count of free units is reset.
    let prof = app
        .get(&format!("/api/v1/businesses/{storage}/profile"))
        .await
        .json;
    let settings = get(
        &http,
        &format!("{base}/app/settings?b=sunny-storage"),
        &owner,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        settings.contains("Storage units") && !settings.contains("id=\"services-h\""),
        "a storage facility's sections"
    );
    let mut fields = vec![("csrf".to_owned(), hidden_csrf(&settings))];
    for (i, u) in prof["units"].as_array().unwrap().iter().enumerate() {
        let total = u["total"].as_u64().unwrap() + u64::from(i == 0);
        for (k, v) in [
            ("type", u["type"].as_str().unwrap().to_owned()),
            ("width_ft", u["width_ft"].to_string()),
            ("depth_ft", u["depth_ft"].to_string()),
            ("monthly_rate", u["monthly_rate"].to_string()),
            ("total", total.to_string()),
        ] {
            fields.push((format!("units[{i}].{k}"), v));
        }
        for k in ["climate_controlled", "drive_up"] {
            if u[k] == true {
                fields.push((format!("units[{i}].{k}"), "true".to_owned()));
            }
        }
    }
    let counts_before = app
        .get(&format!("/api/v1/businesses/{storage}/inventory"))
        .await
        .json;
    let r = post_form(
        &http,
        &format!("{base}/app/settings/units?b=sunny-storage"),
        &owner,
        &fields,
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let prof_after = app
        .get(&format!("/api/v1/businesses/{storage}/profile"))
        .await
        .json;
    assert_eq!(
        prof_after["units"][0]["total"].as_u64().unwrap(),
        prof["units"][0]["total"].as_u64().unwrap() + 1
    );
    assert_eq!(
        prof_after["units"][1], prof["units"][1],
        "the other types as they were"
    );
    let counts_after = app
        .get(&format!("/api/v1/businesses/{storage}/inventory"))
        .await
        .json;
    assert!(
        counts_after["units"][1]["available"].is_u64(),
        "{counts_after}"
    );
    assert_eq!(
        counts_after["units"][1], counts_before["units"][1],
        "{counts_before} / {counts_after}"
    );
    // The pizzeria's owner: the order with its value, completed in one tap.
    let owner = http_session(&http, &base, "owner@tonys.example", OWNER_PASSWORD).await;
    let orders = get(&http, &format!("{base}/app/orders?b=tonys-pizza"), &owner)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        orders.contains("pickup") && orders.contains("Mark completed") && orders.contains('$'),
        "{orders}"
    );
    let o = app.get(&format!("/api/v1/businesses/{pizza}/orders")).await;
    let oid = o.json[0]["id"].as_str().unwrap().to_owned();
    let csrf = hidden_csrf(&orders);
    let r = post_form(
        &http,
        &format!("{base}/app/orders/{oid}/completed?b=tonys-pizza"),
        &owner,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let o = app.get(&format!("/api/v1/businesses/{pizza}/orders")).await;
    assert_eq!(o.json[0]["status"], "completed");
    // Filtered by state.
    for (state, shown) in [("completed", true), ("received", false), ("", true)] {
        let page = get(
            &http,
            &format!("{base}/app/orders?b=tonys-pizza&status={state}"),
            &owner,
        )
        .await
        .text()
        .await
        .unwrap();
        assert_eq!(page.contains("pickup"), shown, "state {state:?}");
    }
    let sunny = http_session(&http, &base, "owner@sunny.example", OWNER_PASSWORD).await;
    for (state, shown) in [("reserved", false), ("cancelled", true)] {
        let page = get(
            &http,
            &format!("{base}/app/units?b=sunny-storage&status={state}"),
            &sunny,
        )
        .await
        .text()
        .await
        .unwrap();
        assert_eq!(
            page.contains("move-in"),
            shown,
            "reservations in state {state}"
        );
    }
    // Not the storage owner's to change.
    let storage_owner = http_session(&http, &base, "owner@sunny.example", OWNER_PASSWORD).await;
    let mine = get(
        &http,
        &format!("{base}/app/units?b=sunny-storage"),
        &storage_owner,
    )
    .await
    .text()
    .await
    .unwrap();
    let r = post_form(
        &http,
        &format!("{base}/app/orders/{oid}/cancelled?b=tonys-pizza"),
        &storage_owner,
        &[("csrf", hidden_csrf(&mine).as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    if let Some(phone) = Browser::start().await {
        phone.goto(&format!("{base}/login")).await;
        phone.fill("#email", "owner@tonys.example").await;
        phone.fill("#password", OWNER_PASSWORD).await;
        phone.press("button.primary").await;
        phone.until_text("Tony").await;
        phone
            .goto(&format!("{base}/app/orders?b=tonys-pizza"))
            .await;
        phone.until_text("Orders the agent took").await;
        accessible(&phone, "orders").await;
        keep_screenshot(&phone, "orders-390.png").await;
        phone.goto(&format!("{base}/login")).await;
    }
}

async fn the_operator_runs_the_installation_from_the_console(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    app.business(PIZZA).await;
    // A job that died, for the console to retry.
    let mut db = app.db.clone();
    let job = frontdesk_store::jobs::enqueue(
        &mut db,
        &frontdesk_store::jobs::NewJob {
            kind: "test.never_works".into(),
            payload: json!({}),
            business: None,
            run_at: 0,
            max_attempts: 1,
            idempotency_key: None,
        },
        0,
    )
    .await
    .unwrap();
    let claimed = frontdesk_store::jobs::claim(&mut db, "test.never_works", "w1", 1, i64::MAX, 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    frontdesk_store::jobs::fail(&mut db, &job, "w1", "the far end said no", None, 2)
        .await
        .unwrap();
    let http = http_client();
    // Not for an owner.
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    assert_eq!(
        get(&http, &format!("{base}/ops"), &owner).await.status(),
        StatusCode::NOT_FOUND
    );
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    desk.goto(&format!("{base}/login")).await;
    desk.fill("#email", crate::OPERATOR).await;
    desk.fill("#password", crate::PASSWORD).await;
    desk.press("button.primary").await;
    desk.until_text("Operator").await;
    desk.press("header a[href='/ops']").await;
    let page = desk.until_text("Operator console").await;
    assert!(
        page.contains("answering")
            && page.contains("Rapid Rooter Plumbing")
            && page.contains("Tony"),
        "{page}"
    );
    assert!(page.contains("the far end said no"), "{page}");
    accessible(&desk, "the operator console").await;
    keep_screenshot(&desk, "ops-1280.png").await;
    // The dead job, retried.
    desk.press(&format!("form[action='/ops/jobs/{job}/retry'] button"))
        .await;
    desk.until_text("The job is queued again.").await;
    let j = frontdesk_store::jobs::get(&mut db, &job).await.unwrap();
    assert_eq!(j.status.as_str(), "queued");
    // A business added from a profile: a broken one is refused with where it broke.
    desk.fill("#new-profile", "slug: new-shop\nname: [").await;
    desk.press("#add-profile button.primary").await;
    let note = desk.until_text("line").await;
    assert!(note.contains("Nothing") || note.contains("line"), "{note}");
    let fresh = ROOTER
        .replace("slug: rapid-rooter", "slug: fresh-rooter")
        .replace("name: Rapid Rooter Plumbing", "name: Fresh Rooter");
    // Another business's number is refused beside the box.
    desk.fill("#new-profile", &fresh).await;
    desk.press("#add-profile button.primary").await;
    desk.until_text("already in use").await;
    let fresh = fresh.replace(ROOTER_PHONE, "+13035550999");
    desk.fill("#new-profile", &fresh).await;
    desk.press("#add-profile button.primary").await;
    desk.until_text("Business added.").await;
    desk.until_text("Fresh Rooter").await;
    // And one from its file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("filed-rooter.yaml");
    std::fs::write(
        &file,
        fresh
            .replace("slug: fresh-rooter", "slug: filed-rooter")
            .replace("name: Fresh Rooter", "name: Filed Rooter")
            .replace("+13035550999", "+13035550998"),
    )
    .unwrap();
    desk.upload("#new-profile-file", &file).await;
    desk.press("#add-profile button.primary").await;
    desk.until_text("Filed Rooter").await;
    let r = app
        .call("GET", "/api/v1/businesses", Some(&app.op), None)
        .await;
    assert!(r.text.contains("filed-rooter"), "{}", r.text);
    // And one from a few details, its owner invited: a number that does not read is said
    // beside it, and nothing is added.
    desk.fill("#n-name", "Main Street Dental").await;
    desk.fill("#n-timezone", "America/Chicago").await;
    desk.fill("#n-phone", "555-0199").await;
    desk.fill("#n-owner_email", "dr.lee@mainstreet.example")
        .await;
    desk.js(
        "document.getElementById('n-kind').value = 'appointments'; return 0",
        json!([]),
    )
    .await;
    desk.press("#add-details button.primary").await;
    let note = desk
        .until_js("const n = document.getElementById('n-phone-note'); return n && n.classList.contains('field-error') ? n.textContent : null")
        .await;
    assert!(note.as_str().is_some_and(|t| !t.is_empty()), "{note}");
    assert_eq!(
        desk.js("return document.getElementById('n-name').value", json!([]))
            .await,
        "Main Street Dental",
        "what was typed is kept"
    );
    accessible(&desk, "adding a business with a message").await;
    desk.fill("#n-phone", "+13125550123").await;
    desk.press("#add-details button.primary").await;
    // The businesses' table names it (the page before said "Business added." too).
    desk.until_text("Main Street Dental").await;
    let r = app
        .call("GET", "/api/v1/businesses", Some(&app.op), None)
        .await;
    let listed = r.json["items"]
        .as_array()
        .or(r.json.as_array())
        .cloned()
        .unwrap_or_default();
    let dental = listed
        .iter()
        .find(|b| b["slug"] == "main-street-dental")
        .unwrap_or_else(|| panic!("{}", r.text))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = app
        .get(&format!("/api/v1/businesses/{dental}/members"))
        .await;
    assert!(
        members.text.contains("dr.lee@mainstreet.example") && members.text.contains("\"owner\""),
        "{}",
        members.text
    );
    let profile = app
        .get(&format!("/api/v1/businesses/{dental}/profile"))
        .await;
    assert_eq!(profile.json["kind"], "appointments");
    assert_eq!(profile.json["timezone"], "America/Chicago");
    // Members and keys of the plumber.
    desk.goto(&format!("{base}/ops/b/rapid-rooter")).await;
    desk.until_text("Members and API keys").await;
    desk.fill("#m-email", "sam@rapidrooter.example").await;
    desk.fill("#m-password", "sam's long enough password").await;
    desk.press("#members button.primary").await;
    desk.until_text("Member saved.").await;
    http_session(
        &http,
        &base,
        "sam@rapidrooter.example",
        "sam's long enough password",
    )
    .await;
    // The last owner stays an owner.
    let members = app.get(&format!("/api/v1/businesses/{b}/members")).await;
    let owner_id = members
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == OWNER)
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = http_session(&http, &base, crate::OPERATOR, crate::PASSWORD).await;
    let html = get(&http, &format!("{base}/ops/b/rapid-rooter"), &op)
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&html);
    let r = post_form(
        &http,
        &format!("{base}/ops/b/rapid-rooter/members/{owner_id}"),
        &op,
        &[("csrf", csrf.as_str()), ("role", "viewer")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A key, shown once, works; revoked, it does not.
    desk.fill("#k-name", "booking site").await;
    desk.press("#keys button.primary").await;
    let shown = desk.until_text("shown only now").await;
    let secret = desk
        .js(
            "return document.querySelector('code.secret').textContent",
            json!([]),
        )
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert!(shown.contains(&secret));
    let r = app
        .call(
            "GET",
            &format!("/api/v1/businesses/{b}/customers"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    desk.goto(&format!("{base}/ops/b/rapid-rooter")).await;
    let again = desk.until_text("booking site").await;
    assert!(!again.contains(&secret), "the key was shown twice");
    desk.press("#keys form.inline button").await;
    desk.until_text("Key revoked.").await;
    let r = app
        .call(
            "GET",
            &format!("/api/v1/businesses/{b}/customers"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The audit log, filtered.
    desk.goto(&format!(
        "{base}/ops?action=api_key.&business=rapid-rooter#audit"
    ))
    .await;
    let log = desk.until_text("Audit log").await;
    assert!(
        log.contains("api_key.revoke") && !log.contains("member.set"),
        "{log}"
    );
    // A form without its token changes nothing.
    let r = post_form(
        &http,
        &format!("{base}/ops/b/rapid-rooter/keys"),
        &op,
        &[("name", "sneaky"), ("role", "owner")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn analytics_count_what_happened_and_export_each_chart(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    for (channel, said) in [
        ("web", "do you take apple pay?"),
        ("web", "Apple Pay: do you take it?"),
        ("voice", "what areas do you serve"),
    ] {
        let c = crate::agent::start(&app, &b, json!({"channel": channel})).await;
        crate::agent::say(&app, &b, &c, said).await;
    }
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let csv = |chart: &'static str, span: &'static str| {
        let http = http.clone();
        let owner = owner.clone();
        let base = base.clone();
        async move {
            let r = get(
                &http,
                &format!("{base}/app/analytics.csv?b=rapid-rooter&chart={chart}{span}"),
                &owner,
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    let channels = csv("channels", "").await;
    assert!(channels.starts_with("label,count\r\n"), "{channels}");
    assert!(
        channels.contains("Calls,1\r\n")
            && channels.contains("SMS,1\r\n")
            && channels.contains("Web chat,2\r\n"),
        "{channels}"
    );
    let hours = csv("hours", "").await;
    let total: i64 = hours
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse::<i64>().ok())
        .sum();
    assert_eq!(total, 4, "{hours}");
    let conversion = csv("conversion", "").await;
    assert!(
        conversion.contains("Conversations,4\r\n") && conversion.contains("Bookings,1\r\n"),
        "{conversion}"
    );
    // One question asked two ways is one topic, counted twice.
    let topics = csv("unanswered", "").await;
    assert_eq!(topics.lines().count(), 2, "{topics}");
    assert!(topics.trim_end().ends_with(",2"), "{topics}");
    let intents = csv("intents", "").await;
    assert!(intents.contains("book,"), "{intents}");
    // A range with nothing in it counts nothing.
    let empty = csv("channels", "&from=2020-01-01&to=2020-01-31").await;
    assert!(
        !empty.lines().skip(1).any(|l| !l.ends_with(",0")),
        "{empty}"
    );
    // A chart that is not one.
    let r = get(
        &http,
        &format!("{base}/app/analytics.csv?b=rapid-rooter&chart=secrets"),
        &owner,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let Some(desk) = Browser::start_sized(1280, 900, false).await else {
        return;
    };
    sign_in(&desk, &base).await;
    desk.press("nav.sections a[href^='/app/analytics']").await;
    desk.until_text("What conversations led to").await;
    let charts = desk
        .js(
            "return document.querySelectorAll('svg.chart').length",
            json!([]),
        )
        .await;
    assert!(charts.as_u64().unwrap() >= 6, "{charts}");
    accessible(&desk, "analytics").await;
    keep_screenshot(&desk, "analytics-1280.png").await;
}

/// A closed day's analytics are kept the first time they are asked for. Kept or counted afresh,
/// over generated data across the end of daylight saving time (a 25-hour day) and right at the
/// range's edges, the charts hold exactly what was written; an order cancelled after its day
/// leaves the revenue, and a kept day this version cannot read is counted again.
async fn analytics_kept_days_count_exactly_what_was_written(app: App, base: String) {
    use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
    use frontdesk_engine::agent::Channel;
    use frontdesk_store::conversations::NewMessage;
    use frontdesk_store::orders::NewOrder;
    use frontdesk_store::states::{MessageRole, OrderStatus};

    let b = plumber_with_owner(&app).await;
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    let tz: chrono_tz::Tz = "America/Denver".parse().unwrap();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp_millis()
    };
    let (first, last) = (
        NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 14).unwrap(),
    );
    let (a, z) = (midnight(first), midnight(last.succ_opt().unwrap()));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let channels = [
        (Channel::Voice, "Calls"),
        (Channel::Sms, "SMS"),
        (Channel::Whatsapp, "WhatsApp"),
        (Channel::Web, "Web chat"),
    ];
    let intents = ["book", "hours", "price", "cancel"];
    let mut by_channel = [0i64; 4];
    let mut by_hour = [0i64; 24];
    let mut by_day = [0i64; 7];
    let mut by_intent = [0i64; 4];
    let mut inside = 0i64;
    let mut tx = app.db.begin().await.unwrap();
    let mut t = tx.tenant(&bid);
    for i in 0..700u64 {
        // Mostly inside the range, some just outside it, and its first and last instants.
        let at = match i {
            0 => a,
            1 => z - 1,
            2 => a - 1,
            3 => z,
            _ => (a - 86_400_000) + (next() % ((z - a + 2 * 86_400_000) as u64)) as i64,
        };
        let ch = (next() % 4) as usize;
        let c = t
            .create_conversation(channels[ch].0, None, None, "{}", at)
            .await
            .unwrap();
        let intent = (next() % 4) as usize;
        let mut m = NewMessage::new(MessageRole::Caller, "hello");
        m.intent = Some(intents[intent]);
        t.add_message(&c.id, &m, at).await.unwrap();
        if (a..z).contains(&at) {
            inside += 1;
            by_channel[ch] += 1;
            by_intent[intent] += 1;
            let local = chrono::Utc
                .timestamp_millis_opt(at)
                .unwrap()
                .with_timezone(&tz);
            by_hour[local.hour() as usize] += 1;
            by_day[local.weekday().num_days_from_monday() as usize] += 1;
        }
    }
    let mut orders = vec![];
    for i in 0..5i64 {
        let o = NewOrder {
            customer: None,
            conversation: None,
            lines: "[]".into(),
            fulfillment: "pickup",
            address: None,
            subtotal_cents: 1000,
            delivery_fee_cents: 0,
            total_cents: 1000,
        };
        orders.push(
            t.place_order(&o, a + i * 3 * 86_400_000 + 3_600_000)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    assert!(inside > 500, "{inside}");

    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let span = "&from=2026-10-20&to=2026-11-14";
    let csv = |chart: &'static str| {
        let (http, owner, base) = (http.clone(), owner.clone(), base.clone());
        async move {
            let r = get(
                &http,
                &format!("{base}/app/analytics.csv?b=rapid-rooter&chart={chart}{span}"),
                &owner,
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
            let text = r.text().await.unwrap();
            text.lines()
                .skip(1)
                .map(|l| {
                    let (k, v) = l.rsplit_once(',').unwrap();
                    (k.to_owned(), v.parse::<i64>().unwrap())
                })
                .collect::<Vec<_>>()
        }
    };
    let expected_channels: Vec<(String, i64)> = channels
        .iter()
        .zip(by_channel)
        .map(|((_, l), n)| ((*l).to_owned(), n))
        .chain([("API".to_owned(), 0)])
        .collect();
    let expected_hours: Vec<(String, i64)> =
        (0..24).map(|h| (format!("{h:02}"), by_hour[h])).collect();
    let check = |round: &'static str| {
        let csv = &csv;
        let (expected_channels, expected_hours) = (&expected_channels, &expected_hours);
        async move {
            assert_eq!(&csv("channels").await, expected_channels, "{round}");
            assert_eq!(&csv("hours").await, expected_hours, "{round}");
            let days: Vec<i64> = csv("weekdays").await.into_iter().map(|r| r.1).collect();
            assert_eq!(days, by_day, "{round}");
            let mut wanted = csv("intents").await;
            wanted.sort();
            let mut expected: Vec<(String, i64)> = intents
                .iter()
                .zip(by_intent)
                .map(|(l, n)| ((*l).to_owned(), n))
                .collect();
            expected.sort();
            assert_eq!(wanted, expected, "{round}");
            let conversion = csv("conversion").await;
            assert_eq!(
                conversion[0],
                ("Conversations".to_owned(), inside),
                "{round}"
            );
            assert_eq!(conversion[3], ("Orders".to_owned(), 5), "{round}");
        }
    };
    // Counted afresh, then read from the kept days: the same numbers.
    check("first ask").await;
    let kept = app.db.tenant(&bid).kept_days(a, z).await.unwrap();
    assert_eq!(kept.len(), 26, "one kept row per day");
    let long = kept
        .iter()
        .find(|(s, _, _)| *s == midnight(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()))
        .unwrap();
    assert_eq!(
        long.1 - long.0,
        25 * 3_600_000,
        "the day daylight saving ends is 25 hours"
    );
    check("kept").await;
    // A kept day this version cannot read is counted again and kept anew.
    app.db
        .tenant(&bid)
        .keep_day(kept[3].0, kept[3].1, "{\"v\":0}", 0)
        .await
        .unwrap();
    check("one day unreadable").await;
    let again = app.db.tenant(&bid).kept_days(a, z).await.unwrap();
    assert_eq!(again[3].2, kept[3].2);
    // Revenue is never kept: an order cancelled days after it was placed leaves it.
    let revenue = |http: reqwest::Client, owner: String, base: String| async move {
        let page = get(
            &http,
            &format!("{base}/app/analytics?b=rapid-rooter{span}"),
            &owner,
        )
        .await
        .text()
        .await
        .unwrap();
        let at = page.find("Order revenue").expect("the revenue tile");
        page[at..]
            .split("class=\"value\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        revenue(http.clone(), owner.clone(), base.clone()).await,
        "50.00"
    );
    app.db
        .tenant(&bid)
        .set_order_status(
            &orders[1].id,
            OrderStatus::Cancelled,
            frontdesk_store::now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(
        revenue(http.clone(), owner.clone(), base.clone()).await,
        "40.00"
    );
}

/// The one-time link in an e-mail (quoted-printable undone).
fn link_in(mail: &crate::fakes::smtp::Mail) -> String {
    let body = mail.body.replace("=\n", "").replace("=3D", "=");
    let at = body.find("http").expect("a link");
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/.?=-_".contains(*c))
        .collect()
}

async fn owners_invite_by_email_and_anyone_resets_a_password_by_a_link(
    h: crate::texts::Harness,
    base: String,
    smtp: crate::fakes::smtp::Smtp,
) {
    let app = &h.app;
    let b = plumber_with_owner(app).await;
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone.goto(&format!("{base}/app/team?b=rapid-rooter")).await;
    phone.until_text("Invite someone").await;
    accessible(&phone, "team").await;
    let tech = "new.tech@rapidrooter.example";
    phone.fill("#i-email", tech).await;
    phone.press("#invite button.primary").await;
    phone.until_text("Invitation sent.").await;
    let mail = smtp.until_to(tech, 1).await;
    assert!(
        mail[0].header("Subject").contains("Rapid Rooter Plumbing"),
        "{:?}",
        mail[0]
    );
    let link = link_in(&mail[0]);
    assert!(link.starts_with(&format!("{base}/reset?token=")), "{link}");
    // The link is in the e-mail alone: the business's e-mail log (which any member reads)
    // withholds it, and once sent its text is not kept.
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let log = app.get(&format!("/api/v1/businesses/{b}/emails")).await;
    assert!(
        log.text.contains("account_invite") && !log.text.contains(&token),
        "{}",
        log.text
    );
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    crate::eventually("the invitation's text forgotten once sent", || async {
        let kept = app.db.tenant(&bid).emails(None, 50).await.unwrap();
        let invite = kept.iter().find(|e| e.purpose == "account_invite").unwrap();
        if invite.status.as_str() == "sent" && !invite.body.contains(&token) {
            Ok(())
        } else {
            Err(format!("{} {}", invite.status.as_str(), invite.body))
        }
    })
    .await;
    // The invited person chooses a password and is signed in, as an agent.
    phone.press("header form button").await;
    phone.until_text("Forgot your password?").await;
    phone.goto(&link).await;
    phone.until_text("Choose your password").await;
    accessible(&phone, "choose a password").await;
    phone.fill("#new", "short").await;
    phone.fill("#confirm", "short").await;
    phone.press("button.primary").await;
    phone.until_text("12").await;
    phone.fill("#new", "the tech's own long password").await;
    phone.fill("#confirm", "the tech's own long password").await;
    phone.press("button.primary").await;
    phone.until_text(tech).await;
    let members = app.get(&format!("/api/v1/businesses/{b}/members")).await;
    assert!(
        members.text.contains(tech) && members.text.contains("\"agent\""),
        "{}",
        members.text
    );
    // The link works once.
    let http = http_client();
    let again = get(&http, &link, "").await;
    assert_eq!(again.status(), StatusCode::GONE);
    // Forgotten: the same answer for an address with no account, and no e-mail to it.
    phone.press("header form button").await;
    phone.until_text("Forgot your password?").await;
    phone.press("a[href='/forgot']").await;
    phone.until_text("Reset your password").await;
    accessible(&phone, "reset your password").await;
    phone.fill("#email", "nobody@nowhere.example").await;
    phone.press("button.primary").await;
    let unknown = phone.until_text("If that address has an account").await;
    phone.fill("#email", tech).await;
    phone.press("button.primary").await;
    let known = phone.until_text("If that address has an account").await;
    assert_eq!(
        unknown.replace("nobody@nowhere.example", ""),
        known.replace(tech, "")
    );
    let mails = smtp.until_to(tech, 2).await;
    let reset = link_in(&mails[1]);
    phone.goto(&reset).await;
    phone.fill("#new", "a brand new long password").await;
    phone.fill("#confirm", "a brand new long password").await;
    phone.press("button.primary").await;
    phone.until_text(tech).await;
    // The old password no longer signs in; the new one does.
    let r = app.login(tech, "the tech's own long password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.login(tech, "a brand new long password").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        smtp.mails()
            .iter()
            .all(|m| m.header("X-RcptTo") != "nobody@nowhere.example")
    );
    // Asked for again and again, only a few go out.
    let form = get(&http, &format!("{base}/forgot"), "").await;
    let cookie = set_cookie(&form, "fd_link_csrf")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = hidden_csrf(&form.text().await.unwrap());
    for _ in 0..6 {
        let r = post_form(
            &http,
            &format!("{base}/forgot"),
            &cookie,
            &[("csrf", token.as_str()), ("email", tech)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    h.settled(&b).await;
    crate::eventually("the resets sent", || async {
        let n = smtp
            .mails()
            .iter()
            .filter(|m| m.header("X-RcptTo") == tech)
            .count();
        if n >= 4 { Ok(n) } else { Err(format!("{n}")) }
    })
    .await;
    let n = smtp
        .mails()
        .iter()
        .filter(|m| m.header("X-RcptTo") == tech)
        .count();
    assert_eq!(n, 1 + 3, "an invitation and three resets an hour");
    // Without the form's cookie, nothing.
    let r = post_form(
        &http,
        &format!("{base}/forgot"),
        "",
        &[("csrf", token.as_str()), ("email", tech)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An agent sees the team but cannot invite.
    let agent = http_session(&http, &base, tech, "a brand new long password").await;
    let html = get(&http, &format!("{base}/app/team?b=rapid-rooter"), &agent)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Send the invitation"));
    let r = post_form(
        &http,
        &format!("{base}/app/team/invite?b=rapid-rooter"),
        &agent,
        &[
            ("csrf", hidden_csrf(&html).as_str()),
            ("email", "mallory@example.com"),
            ("role", "owner"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// On the Team page an owner changes a member's role and removes them, audited; the last owner
/// can neither demote nor remove themselves; inviting someone already on the team is refused
/// (a role is changed beside them); a member below owner changes nothing.
async fn owners_change_roles_and_remove_members_on_the_team_page(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    let http = http_client();
    let viewer = viewer_session(&app, &b, &http, &base).await;
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let members = || async {
        app.get(&format!("/api/v1/businesses/{b}/members"))
            .await
            .json
    };
    let id_of = |all: &serde_json::Value, email: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .map(|m| m["user_id"].as_str().unwrap().to_owned())
    };
    let all = members().await;
    let (me, them) = (
        id_of(&all, OWNER).unwrap(),
        id_of(&all, "viewer@rapidrooter.example").unwrap(),
    );
    let page = |cookie: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            get(&http, &format!("{base}/app/team?b=rapid-rooter"), &cookie)
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let send = |cookie: String, user: String, role: &'static str| {
        let (http, base, page) = (http.clone(), base.clone(), page);
        async move {
            let csrf = hidden_csrf(&page(cookie.clone()).await);
            post_form(
                &http,
                &format!("{base}/app/team/{user}?b=rapid-rooter"),
                &cookie,
                &[("csrf", csrf.as_str()), ("role", role)],
            )
            .await
        }
    };
    // A viewer sees no controls and is refused.
    let seen = page(viewer.clone()).await;
    assert!(
        !seen.contains("Remove") && !seen.contains(&format!("/app/team/{them}")),
        "{seen}"
    );
    let r = send(viewer.clone(), me.clone(), "viewer").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The owner makes the viewer a manager.
    let r = send(owner.clone(), them.clone(), "manager").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let all = members().await;
    let role = |all: &serde_json::Value, id: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .map(|m| m["role"].clone())
    };
    assert_eq!(role(&all, &them), Some(json!("manager")));
    // The last owner cannot step down or leave.
    for to in ["manager", "remove"] {
        let r = send(owner.clone(), me.clone(), to).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert!(r.text().await.unwrap().contains("at least one owner"));
    }
    assert_eq!(role(&members().await, &me), Some(json!("owner")));
    // Inviting a member again does not change their role.
    let csrf = hidden_csrf(&page(owner.clone()).await);
    let r = post_form(
        &http,
        &format!("{base}/app/team/invite?b=rapid-rooter"),
        &owner,
        &[
            ("csrf", csrf.as_str()),
            ("email", OWNER),
            ("role", "viewer"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(role(&members().await, &me), Some(json!("owner")));
    // A role that is not one, and a form without its token.
    let r = send(owner.clone(), them.clone(), "operator").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_form(
        &http,
        &format!("{base}/app/team/{them}?b=rapid-rooter"),
        &owner,
        &[("role", "remove")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Removed: gone from the team, and their session no longer opens the business.
    let r = send(owner.clone(), them.clone(), "remove").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(role(&members().await, &them), None);
    let r = get(
        &http,
        &format!("{base}/app/conversations?b=rapid-rooter"),
        &viewer,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await;
    assert!(
        log.text.contains("member.set") && log.text.contains("member.remove"),
        "{}",
        log.text
    );
    // The page at phone width, with its controls, passes axe.
    let Some(phone) = Browser::start().await else {
        return;
    };
    sign_in(&phone, &base).await;
    phone.goto(&format!("{base}/app/team?b=rapid-rooter")).await;
    phone.until_text("Invite someone").await;
    accessible(&phone, "team with controls").await;
    keep_screenshot(&phone, "team-390.png").await;
}

/// Follows a list's `Link: rel="next"` headers from `url`: every item, and how many pages.
async fn every_page(app: &App, url: &str) -> (Vec<serde_json::Value>, usize) {
    let (mut all, mut pages, mut next) = (Vec::new(), 0, Some(url.to_owned()));
    while let Some(u) = next {
        let r = app.get(&u).await;
        assert_eq!(r.status, StatusCode::OK, "{u}: {}", r.text);
        all.extend(r.json.as_array().unwrap().iter().cloned());
        pages += 1;
        next = r.headers.get("link").map(|l| {
            let l = l.to_str().unwrap();
            assert!(l.ends_with("; rel=\"next\""), "{l}");
            l[1..l.find('>').unwrap()].to_owned()
        });
        assert!(pages < 50, "the pages never end");
    }
    (all, pages)
}

async fn long_lists_page_through_a_link_header(app: App, _base: String) {
    let b = plumber_with_owner(&app).await;
    for q in [
        "do you fix boats?",
        "do you sell hot tubs?",
        "can you tune a piano?",
        "do you do roofs?",
        "will you walk my dog?",
    ] {
        let c = crate::agent::start(&app, &b, json!({"channel": "api"})).await;
        crate::agent::say(&app, &b, &c, q).await;
    }
    book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    book_soonest(&app, &b, "Dana Whitfield", "+13035550191").await;
    book_soonest(&app, &b, "Eli Park", "+13035550192").await;
    let whole = app
        .get(&format!("/api/v1/businesses/{b}/unanswered?limit=200"))
        .await;
    let n = whole.json.as_array().unwrap().len();
    assert!(n >= 4, "{}", whole.text);
    let (all, pages) =
        every_page(&app, &format!("/api/v1/businesses/{b}/unanswered?limit=2")).await;
    assert_eq!((all.len(), pages), (n, n.div_ceil(2)), "{all:?}");
    assert_eq!(
        &all,
        whole.json.as_array().unwrap(),
        "pages in the order of the whole"
    );
    let (appts, pages) = every_page(
        &app,
        &format!("/api/v1/businesses/{b}/appointments?limit=1"),
    )
    .await;
    assert_eq!((appts.len(), pages), (3, 3));
    let starts: Vec<i64> = appts
        .iter()
        .map(|a| a["start_at"].as_i64().unwrap())
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "soonest first across pages: {starts:?}"
    );
    // Every time comes in RFC 3339 too, beside its milliseconds, and the document says so.
    for a in &appts {
        let iso = a["start_at_rfc3339"].as_str().unwrap();
        let t = chrono::DateTime::parse_from_rfc3339(iso).unwrap();
        assert_eq!(t.timestamp_millis(), a["start_at"].as_i64().unwrap(), "{a}");
        assert!(iso.ends_with('Z'));
    }
    let doc = app.get("/api/openapi.json").await.json;
    let p = &doc["components"]["schemas"]["Appointment"]["properties"];
    assert_eq!(p["start_at_rfc3339"]["format"], "date-time", "{p}");
    assert_eq!(
        doc["components"]["schemas"]["Call"]["properties"]["ended_at_rfc3339"]["type"],
        json!(["string", "null"])
    );
    // The customer list, written by its own fast path, says its times as every answer does.
    let list = app
        .get(&format!("/api/v1/businesses/{b}/customers?limit=1"))
        .await;
    let first = &list.json["items"][0];
    let one = app
        .get(&format!(
            "/api/v1/businesses/{b}/customers/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    for k in ["created_at_rfc3339", "updated_at_rfc3339"] {
        assert!(first[k].is_string(), "{}", list.text);
        assert_eq!(first[k], one.json[k], "{k}");
    }
    // One page that holds everything has no next.
    let r = app
        .get(&format!("/api/v1/businesses/{b}/unanswered?limit=200"))
        .await;
    assert!(r.headers.get("link").is_none());
    // A cursor this list never gave is refused.
    let r = app
        .get(&format!(
            "/api/v1/businesses/{b}/appointments?cursor=yesterday"
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
}

/// Every main page of an owner's dashboard, at 1280 and at 390 px: no serious accessibility
/// fault, nothing wider than a phone, and a screenshot of each.
async fn every_main_page_reads_well_at_both_widths(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    ask(&app, &b, "do you offer a discount for seniors?").await;
    let mut c = Caller::dial_at(&app, &base, "CA_pages1", "+13035550177", ROOTER_PHONE).await;
    c.say("what areas do you serve").await;
    c.hang_up("31").await;
    let customer = app
        .get(&format!("/api/v1/businesses/{b}/customers?q=Casey"))
        .await
        .json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pages = [
        ("home", "/app?b=rapid-rooter".to_owned()),
        (
            "conversations",
            "/app/conversations?b=rapid-rooter".to_owned(),
        ),
        (
            "appointments",
            "/app/appointments?b=rapid-rooter".to_owned(),
        ),
        ("customers", "/app/customers?b=rapid-rooter".to_owned()),
        (
            "customer",
            format!("/app/customers/{customer}?b=rapid-rooter"),
        ),
        ("messages", "/app/messages?b=rapid-rooter".to_owned()),
        ("questions", "/app/questions?b=rapid-rooter".to_owned()),
        ("analytics", "/app/analytics?b=rapid-rooter".to_owned()),
        ("console", "/app/console?b=rapid-rooter".to_owned()),
        ("team", "/app/team?b=rapid-rooter".to_owned()),
        ("settings", "/app/settings?b=rapid-rooter".to_owned()),
        ("account", "/app/account".to_owned()),
    ];
    for (w, h, mobile) in [(1280, 800, false), (390, 844, true)] {
        let browser = if mobile {
            Browser::start().await
        } else {
            Browser::start_sized(w, h, false).await
        };
        let Some(browser) = browser else {
            return;
        };
        sign_in(&browser, &base).await;
        for (name, path) in &pages {
            browser.goto(&format!("{base}{path}")).await;
            browser.until_text("Sign out").await;
            let overflow = browser
                .js(
                    "return document.documentElement.scrollWidth > window.innerWidth",
                    json!([]),
                )
                .await;
            assert_eq!(overflow, false, "{name} scrolls sideways at {w} px");
            accessible(&browser, &format!("{name} at {w} px")).await;
            keep_screenshot(&browser, &format!("{name}-{w}.png")).await;
        }
    }
}

async fn conversations_are_searched_by_words_number_outcome_and_dates(app: App, base: String) {
    let b = plumber_with_owner(&app).await;
    book_soonest(&app, &b, "Casey Morgan", "+13035550190").await;
    let mut c = Caller::dial_at(&app, &base, "CA_search1", "+13035550177", ROOTER_PHONE).await;
    c.say("what areas do you serve").await;
    c.hang_up("31").await;
    let web = crate::agent::start(&app, &b, json!({"channel": "web"})).await;
    crate::agent::say(&app, &b, &web, "Do you take APPLE pay?").await;
    let http = http_client();
    let owner = http_session(&http, &base, OWNER, OWNER_PASSWORD).await;
    let rows = |query: &'static str| {
        let (http, owner, base) = (http.clone(), owner.clone(), base.clone());
        async move {
            let html = get(
                &http,
                &format!("{base}/app/conversations?b=rapid-rooter&{query}"),
                &owner,
            )
            .await
            .text()
            .await
            .unwrap();
            html.matches("<li class=\"row\">").count()
        }
    };
    assert_eq!(rows("").await, 3);
    assert_eq!(rows("q=clogged").await, 1, "words said, any case");
    assert_eq!(rows("q=apple+PAY").await, 1);
    assert_eq!(rows("who=0190").await, 1, "part of the number");
    assert_eq!(rows("channel=voice").await, 1);
    assert_eq!(
        rows("outcome=answered").await,
        1,
        "the call that only talked"
    );
    assert_eq!(rows("outcome=emergency").await, 0);
    assert_eq!(rows("from=2020-01-01&to=2020-12-31").await, 0);
    assert_eq!(rows("from=2020-01-01").await, 3);
    // What a search would break on is only text.
    assert_eq!(rows("q=%25").await, 0);
    assert_eq!(rows("q=%27%3B+DROP+TABLE+conversations%3B--").await, 0);
    assert_eq!(rows("").await, 3);
}
