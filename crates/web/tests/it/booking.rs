//! Booking without the agent, and the race every scheduler must win: free times through the
//! API are the agent's; a booking at one is confirmed; a time that is not free is refused with
//! the next free ones; and 200 attempts at once on one staff member's overlapping times —
//! through the API and the public booking page on two servers of one installation, and through
//! the agent — book exactly one.

use axum::http::StatusCode;
use chrono::TimeZone;
use serde_json::{Value, json};

use crate::{App, TestDb};

const GARAGE: &str = "version: 1
slug: race-garage
name: Race Garage
kind: appointments
timezone: America/New_York
phone: \"+12125550170\"
hours: {mon: \"08:00-20:00\", tue: \"08:00-20:00\", wed: \"08:00-20:00\", thu: \"08:00-20:00\", fri: \"08:00-20:00\", sat: \"08:00-20:00\", sun: \"08:00-20:00\"}
services:
  - {name: Tune-up, duration_min: 60, price: 89}
staff:
  - {name: Sam, services: [Tune-up]}
booking: {slot_step_min: 30, min_notice_min: 60, max_days_ahead: 30, buffer_min: 15}
";

crate::on_both!(
    free_times_book_once_and_a_taken_one_offers_the_next => with_two_servers,
);

/// The app served on a port, and a second server of the same installation (its own pool and
/// state) on another, with limits that let a crowd in.
async fn with_two_servers<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String, String) -> F,
) {
    let mut cfg = frontdesk_web::Config::default();
    cfg.server.api_requests_per_minute = 1_000_000;
    cfg.server.api_requests_per_minute_per_business = 1_000_000;
    let (app, a) = crate::serve_on_port(t, cfg.clone()).await;
    let b = crate::second_server(&app, cfg).await;
    test(app, a, b).await
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn free_times_book_once_and_a_taken_one_offers_the_next(app: App, one: String, two: String) {
    let b = app.business(GARAGE).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let op = app.op.clone();
    // The race is for 10 AM two days from now (clear of the notice period whenever this
    // runs), and the free times after it that overlap it and each other, buffers included
    // (60 min + 15 min, 30-min steps: 10:00, 10:30 and 11:00).
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let day = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(2);
    let slots = app
        .get(&format!(
            "/api/v1/businesses/{b}/slots?service=tune-up&day={day}&days=1"
        ))
        .await;
    assert_eq!(slots.status, StatusCode::OK, "{}", slots.text);
    let slots = slots.json.as_array().unwrap().clone();
    assert_eq!(
        slots.len(),
        23,
        "08:00 to 19:00 every 30 minutes: {slots:?}"
    );
    let ten = slots
        .iter()
        .find(|s| s["start"].as_str().unwrap().contains("T10:00:00"))
        .unwrap()
        .clone();
    assert_eq!(ten["staff"], "Sam");
    let (t0, t1) = (
        ten["start_at"].as_i64().unwrap(),
        ten["end_at"].as_i64().unwrap(),
    );
    let overlapping: Vec<String> = slots
        .iter()
        .filter(|s| (t0..t1 + 15 * 60_000).contains(&s["start_at"].as_i64().unwrap()))
        .map(|s| s["start"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(overlapping.len(), 3, "{overlapping:?}");

    // Ten callers reach "shall I book it?" for 10 AM that day.
    let when = day.format("%B %-d").to_string();
    let mut waiting = Vec::new();
    for i in 0..10 {
        let c = crate::agent::start(
            &app,
            &b,
            json!({"channel": "sms", "caller": format!("+1212555{:04}", 2000 + i)}),
        )
        .await;
        let mut r = crate::agent::say(
            &app,
            &b,
            &c,
            &format!("hi, I'd like to book a tune-up on {when} at 10am"),
        )
        .await;
        if !r["reply"].as_str().unwrap().contains("Shall I book it") {
            r = crate::agent::say(&app, &b, &c, &format!("Racer Number{i}")).await;
        }
        assert!(
            r["reply"].as_str().unwrap().contains("Shall I book it"),
            "{r}"
        );
        assert!(r["reply"].as_str().unwrap().contains("10"), "{r}");
        waiting.push(c);
    }

    // Ten visitors of the public booking page have its form for one of those times open (five
    // on each server: under the page's limit per address).
    let mut forms = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 { &one } else { &two };
        let start = &overlapping[i % overlapping.len()];
        let q = serde_urlencoded::to_string([("service", "Tune-up"), ("start", start.as_str())])
            .unwrap();
        let page = http
            .get(format!("{base}/book/race-garage?{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let cookie = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("fd_book_csrf="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .unwrap();
        let html = page.text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        let csrf = html[at..].split('"').next().unwrap().to_owned();
        forms.push((
            format!("{base}/book/race-garage"),
            cookie,
            csrf,
            start.clone(),
        ));
    }

    // 200 at once: 180 through the API, alternating servers and overlapping times, ten from
    // the booking page, and the ten callers saying "yes".
    let mut tasks = Vec::new();
    for (i, (url, cookie, csrf, start)) in forms.into_iter().enumerate() {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(&url)
                .header("cookie", cookie)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("service", "Tune-up"),
                    ("start", start.as_str()),
                    ("name", &format!("Page Racer{i}")),
                    ("phone", &format!("+1212557{:04}", i)),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status();
            let html = r.text().await.unwrap();
            (status, Value::String(html), Some("page"))
        }));
    }
    for i in 0..180 {
        let base = if i % 2 == 0 { &one } else { &two };
        let url = format!("{base}/api/v1/businesses/{b}/appointments");
        let body = json!({
            "service": "Tune-up",
            "start": overlapping[i % overlapping.len()],
            "staff": "Sam",
            "name": format!("Api Racer{i}"),
            "phone": format!("+1212556{:04}", i),
        });
        let (http, op) = (http.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let (s, v) = post(&http, &url, &op, body).await;
            (s, v, None)
        }));
    }
    for (i, c) in waiting.iter().enumerate() {
        let base = if i % 2 == 0 { &one } else { &two };
        let url = format!("{base}/api/v1/businesses/{b}/conversations/{c}/turns");
        let (http, op) = (http.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let (s, v) = post(&http, &url, &op, json!({"text": "yes"})).await;
            (s, v, Some("agent"))
        }));
    }
    let (mut api_won, mut agent_won, mut page_won) = (0, 0, 0);
    for t in tasks {
        let (status, v, by) = t.await.unwrap();
        if by == Some("page") {
            let html = v.as_str().unwrap();
            if status == StatusCode::CREATED {
                assert!(html.contains("You're booked"), "{html}");
                page_won += 1;
            } else {
                assert_eq!(status, StatusCode::CONFLICT, "{html}");
                assert!(html.contains("just taken"), "{html}");
            }
        } else if by == Some("agent") {
            assert_eq!(status, StatusCode::OK, "{v}");
            let booked = v["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["type"] == "book_appointment");
            if booked {
                agent_won += 1;
            } else {
                let reply = v["reply"].as_str().unwrap().to_lowercase();
                assert!(
                    reply.contains("just") || reply.contains("taken") || reply.contains("booked"),
                    "{v}"
                );
            }
        } else if status == StatusCode::CREATED {
            api_won += 1;
        } else {
            assert_eq!(status, StatusCode::CONFLICT, "{v}");
            let next = v["error"]["detail"]["next"].as_array().unwrap();
            assert!(
                !next.is_empty(),
                "a refusal offers the next free times: {v}"
            );
        }
    }
    assert_eq!(
        api_won + agent_won + page_won,
        1,
        "api {api_won}, agent {agent_won}, page {page_won}"
    );

    // Exactly one booked appointment for Sam among the overlapping times, and the next free
    // times offered now keep clear of it, buffer included.
    let list = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let booked: Vec<&Value> = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "booked")
        .collect();
    assert_eq!(booked.len(), 1, "{}", list.text);
    let (won_start, won_end) = (
        booked[0]["start_at"].as_i64().unwrap(),
        booked[0]["end_at"].as_i64().unwrap(),
    );
    let again = post(
        &http,
        &format!("{one}/api/v1/businesses/{b}/appointments"),
        &op,
        json!({"service": "Tune-up", "start": overlapping[0], "name": "Late Comer", "email": "late@example.com"}),
    )
    .await;
    assert_eq!(again.0, StatusCode::CONFLICT, "{}", again.1);
    for s in again.1["error"]["detail"]["next"].as_array().unwrap() {
        let (s0, s1) = (
            s["start_at"].as_i64().unwrap(),
            s["end_at"].as_i64().unwrap(),
        );
        assert!(
            s0 >= won_end + 15 * 60_000 || s1 + 15 * 60_000 <= won_start,
            "{s} overlaps the winner"
        );
    }

    // One of the next free times books, with the customer kept and the booking audited.
    let next = again.1["error"]["detail"]["next"][0]["start"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = post(
        &http,
        &format!("{two}/api/v1/businesses/{b}/appointments"),
        &op,
        json!({"service": "tune-up", "start": next, "name": "Late Comer", "email": "late@example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["service"], "Tune-up");
    assert_eq!(v["staff"], "Sam");
    assert_eq!(v["name"], "Late Comer");
    // Cancelled by staff through the API, saying why; a reason too long, or a body that is not
    // JSON, changes nothing.
    let late = v["id"].as_str().unwrap().to_owned();
    let cancel = format!("/api/v1/businesses/{b}/appointments/{late}/cancel");
    let r = app
        .call(
            "POST",
            &cancel,
            Some(&op),
            Some(json!({"reason": "x".repeat(201)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .raw(
            "POST",
            &cancel,
            Some(&op),
            Some("application/json"),
            "not json".to_owned(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = app
        .call(
            "POST",
            &cancel,
            Some(&op),
            Some(json!({"reason": " Shop closed for a funeral "})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "cancelled");
    assert_eq!(r.json["cancelled_by"], "staff");
    assert_eq!(r.json["cancel_reason"], "Shop closed for a funeral");
    let r = app.call("POST", &cancel, Some(&op), None).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "cancelled twice: {}",
        r.text
    );
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "appointment.book"),
        "{log}"
    );

    // Bad requests are refused and book nothing.
    let before = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await
        .json
        .as_array()
        .unwrap()
        .len();
    for (body, want) in [
        (
            json!({"service": "Oil change", "start": next, "name": "X", "phone": "+12125550001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": "tomorrow", "name": "X", "phone": "+12125550001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": next, "name": " ", "phone": "+12125550001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": next, "name": "X"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": next, "name": "X", "phone": "12"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": next, "staff": "Nobody", "name": "X", "phone": "+12125550001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"service": "Tune-up", "start": "2020-01-01T10:00:00Z", "name": "X", "phone": "+12125550001"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"service": "Tune-up", "start": next, "name": "X", "phone": "+12125550001", "price": 0}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, v) = post(
            &http,
            &format!("{one}/api/v1/businesses/{b}/appointments"),
            &op,
            body.clone(),
        )
        .await;
        assert_eq!(s, want, "{body}: {v}");
    }
    let viewer = app.member(&b, "viewer@race.example", "viewer").await;
    let (s, _) = post(
        &http,
        &format!("{one}/api/v1/businesses/{b}/appointments"),
        &viewer,
        json!({"service": "Tune-up", "start": next, "name": "X", "phone": "+12125550001"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let after = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await
        .json
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
    for q in [
        "days=3",
        "service=%20&days=3",
        "service=tune-up&days=0",
        "service=tune-up&days=99",
        "service=nothing",
        "service=tune-up&day=soon",
        "service=tune-up&staff=Nobody",
    ] {
        let r = app.get(&format!("/api/v1/businesses/{b}/slots?{q}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.text
        );
    }
}

crate::on_both!(blocked_time_is_never_offered_or_booked);

/// Time off for a staff member and a closure for everyone: the free times leave them out (as
/// the rule reads, buffers included), the API refuses a booking in them, the agent does not
/// offer them, removing a block gives the time back, and only managers add blocks.
async fn blocked_time_is_never_offered_or_booked(app: App) {
    let b = app.business(GARAGE).await;
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let day = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(2);
    let at = |d: chrono::NaiveDate, h: u32| {
        tz.from_local_datetime(&d.and_hms_opt(h, 0, 0).unwrap())
            .unwrap()
    };
    let slots = |d: chrono::NaiveDate| {
        let app = &app;
        let b = b.clone();
        async move {
            let r = app
                .get(&format!(
                    "/api/v1/businesses/{b}/slots?service=tune-up&day={d}&days=1"
                ))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.json.as_array().unwrap().clone()
        }
    };
    assert_eq!(slots(day).await.len(), 23);
    let add = |body: Value, token: String| {
        let app = &app;
        let b = b.clone();
        async move {
            app.call(
                "POST",
                &format!("/api/v1/businesses/{b}/blocks"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    // Sam's lunch, noon to two.
    let (s0, s1) = (at(day, 12), at(day, 14));
    let r = add(
        json!({"staff": "Sam", "start": s0.to_rfc3339(), "end": s1.to_rfc3339(), "reason": "Dentist"}),
        app.op.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let lunch = r.json["id"].as_str().unwrap().to_owned();
    let left = slots(day).await;
    assert!(left.len() < 23 && !left.is_empty(), "{left:?}");
    let buffer = 15 * 60_000;
    for s in &left {
        let (a, z) = (
            s["start_at"].as_i64().unwrap(),
            s["end_at"].as_i64().unwrap(),
        );
        assert!(
            z + buffer <= s0.timestamp_millis() || a >= s1.timestamp_millis() + buffer,
            "{s} is inside the block"
        );
    }
    // Booking into it is refused; the agent, asked for noon, does not hold noon.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/appointments"),
            Some(&app.op),
            Some(json!({"service": "Tune-up", "start": s0.to_rfc3339(), "name": "Ann Block", "phone": "+12125550111"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let c = crate::agent::start(
        &app,
        &b,
        json!({"channel": "sms", "caller": "+12125550112"}),
    )
    .await;
    let when = day.format("%B %-d").to_string();
    let r = crate::agent::say(
        &app,
        &b,
        &c,
        &format!("hi, can I book a tune-up on {when} at 12pm"),
    )
    .await;
    let reply = r["reply"].as_str().unwrap();
    // (Unblocked, the same words get "Shall I book it?": see the race above.)
    assert!(
        !reply.contains("Shall I book") && reply.contains(" AM"),
        "the agent holds a blocked time, or offers none other: {reply}"
    );
    // A closure for everyone the next day: no free time at all then.
    let next = day + chrono::Duration::days(1);
    let r = add(
        json!({"start": at(next, 0).to_rfc3339(), "end": at(next + chrono::Duration::days(1), 0).to_rfc3339()}),
        app.op.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(slots(next).await.is_empty());
    // Listed for any member; added and removed by managers only; bad blocks refused.
    let viewer = app.member(&b, "viewer@garage.example", "viewer").await;
    let list = app
        .call(
            "GET",
            &format!("/api/v1/businesses/{b}/blocks"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 2, "{}", list.text);
    let r = add(
        json!({"start": s0.to_rfc3339(), "end": s1.to_rfc3339()}),
        viewer.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for bad in [
        json!({"staff": "Nobody", "start": s0.to_rfc3339(), "end": s1.to_rfc3339()}),
        json!({"start": s1.to_rfc3339(), "end": s0.to_rfc3339()}),
        json!({"start": "noon", "end": s1.to_rfc3339()}),
        json!({"start": s0.to_rfc3339(), "end": (s0 + chrono::Duration::days(400)).to_rfc3339()}),
        json!({"start": s0.to_rfc3339(), "end": s1.to_rfc3339(), "reason": "x".repeat(201)}),
    ] {
        let r = add(bad.clone(), app.op.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/businesses/{b}/blocks/{lunch}"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(slots(day).await.len(), 23, "the time is back");
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/businesses/{b}/blocks/{lunch}"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
