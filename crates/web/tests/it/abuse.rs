//! Attacks and accidents that must cost the attacker, not the business: hostile uploads,
//! floods of requests and login guesses, forged long-lived tokens, unknown businesses, and
//! texts from senders that cannot be answered. Each test reproduces a finding of issue 14.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use frontdesk_store::testing::TestDb;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{App, OPERATOR, PASSWORD, Resp, simple_profile};

crate::on_both!(
    a_hostile_profile_is_refused_before_it_costs_anything,
    profile_texts_have_limits_on_every_path,
    strangers_guessing_cannot_lock_an_owner_out => with_proxy,
    one_credential_flooding_the_api_slows_only_itself => with_tight_api_limit,
    a_forged_long_lived_token_is_refused,
    an_unknown_business_is_not_found_even_for_the_operator,
    metrics_are_for_the_operator_and_members_reveal_no_accounts => with_metrics_token,
    a_second_factor_is_required_once_confirmed_and_no_code_works_twice,

);

/// SQLite: the database file locked by another process for longer than the busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_callers_hear_an_apology_and_nothing_is_lost_sqlite() {
    with_twilio_and_db(
        frontdesk_store::testing::sqlite().await,
        while_the_database_is_down_callers_hear_an_apology_and_nothing_is_lost,
    )
    .await;
}

/// PostgreSQL: the database taken away from under a running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_callers_hear_an_apology_and_nothing_is_lost_postgres() {
    let Some(t) = frontdesk_store::testing::postgres().await else {
        return;
    };
    with_twilio_and_db(
        t,
        while_the_database_is_down_callers_hear_an_apology_and_nothing_is_lost,
    )
    .await;
}

/// The app behind a reverse proxy at 127.0.0.1.
async fn with_proxy<F: std::future::Future<Output = ()>>(t: TestDb, test: impl FnOnce(App) -> F) {
    let mut cfg = frontdesk_web::Config::default();
    cfg.server.trusted_proxies = "127.0.0.1".into();
    crate::with_config(t, cfg, test).await
}

/// The app with room for only a few API requests a minute per credential.
async fn with_tight_api_limit<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App) -> F,
) {
    let mut cfg = frontdesk_web::Config::default();
    cfg.server.api_requests_per_minute = 5;
    cfg.server.api_requests_per_minute_per_business = 8;
    crate::with_config(t, cfg, test).await
}

/// A request as it arrives from `peer`, with extra headers.
async fn from(app: &App, peer: &str, req: axum::http::request::Builder, body: Value) -> Resp {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let mut req = req
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Resp {
        status,
        headers,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn login_req() -> axum::http::request::Builder {
    Request::builder().method("POST").uri("/api/v1/auth/login")
}

async fn a_hostile_profile_is_refused_before_it_costs_anything(app: App) {
    let a = app.business(&simple_profile("alpha", "+15550001001")).await;
    let viewer = app.member(&a, "viewer@example.com", "viewer").await;
    let brackets = "[".repeat(200_000);
    // A viewer may import nothing: refused before the body is read, let alone parsed.
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&viewer),
            Some("application/yaml"),
            brackets.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // The operator's upload is read within the reader's budgets and refused as invalid.
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            brackets,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Alias expansion (a "billion laughs") is refused too.
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        laughs += &format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        );
    }
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            laughs,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Over a mebibyte, on every profile path and in either format.
    let big = format!(
        "{}\n# {}\n",
        simple_profile("alpha", "+15550001001"),
        "x".repeat(1 << 20)
    );
    let big_json = json!({"version": 1, "slug": "alpha", "name": "x".repeat(1 << 20)}).to_string();
    for (method, path, ct, body) in [
        (
            "POST",
            "/api/v1/businesses/import".to_owned(),
            "application/yaml",
            big.clone(),
        ),
        (
            "POST",
            "/api/v1/businesses".to_owned(),
            "application/yaml",
            big.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/businesses/{a}/profile"),
            "application/json",
            big_json.clone(),
        ),
        (
            "POST",
            "/api/v1/businesses/import".to_owned(),
            "application/json",
            big_json,
        ),
    ] {
        let r = app.raw(method, &path, Some(&app.op), Some(ct), body).await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path} {ct}: {}",
            r.text
        );
    }
    // Nothing changed.
    let b = app.get(&format!("/api/v1/businesses/{a}")).await;
    assert_eq!(b.json["name"], "Shop alpha");
}

async fn profile_texts_have_limits_on_every_path(app: App) {
    let a = app.business(&simple_profile("alpha", "+15550001001")).await;
    // The cost bomb: a 900 KB business name, which every HELP reply would have carried.
    let name = "N".repeat(900_000);
    let yaml = simple_profile("alpha", "+15550001001")
        .replace("name: Shop alpha", &format!("name: {name}"));
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            yaml,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json["error"]["detail"]["path"], "name", "{}", r.text);
    assert_eq!(r.json["error"]["detail"]["line"], 3, "{}", r.text);
    let patch = app
        .call(
            "PATCH",
            &format!("/api/v1/businesses/{a}"),
            Some(&app.op),
            Some(json!({"faqs": [{"q": "why?", "a": "a".repeat(5_000)}]})),
        )
        .await;
    assert_eq!(
        patch.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        patch.text
    );
    assert_eq!(
        patch.json["error"]["detail"]["path"], "faqs[0].a",
        "{}",
        patch.text
    );
    // What the API accepts, its own export gives back.
    let ok = app
        .call(
            "PATCH",
            &format!("/api/v1/businesses/{a}"),
            Some(&app.op),
            Some(json!({"faqs": [{"q": "why?", "a": "a".repeat(1_000)}]})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let exported = app
        .get(&format!("/api/v1/businesses/{a}/profile?format=yaml"))
        .await;
    let again = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            exported.text,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

async fn strangers_guessing_cannot_lock_an_owner_out(app: App) {
    let wrong = json!({"email": OPERATOR, "password": "guess"});
    let right = json!({"email": OPERATOR, "password": PASSWORD});
    // A stranger guesses until refused; the refusal says when to come back.
    let mut refused = None;
    for _ in 0..30 {
        let r = from(&app, "203.0.113.5", login_req(), wrong.clone()).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let refused = refused.expect("the guesses were never limited");
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The owner, elsewhere, signs in at once.
    let r = from(&app, "198.51.100.7", login_req(), right.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Behind the trusted proxy, each client has its own allowance: a stranger's flood through
    // the proxy leaves the owner's address, also through it, alone…
    for _ in 0..30 {
        let req = login_req().header("x-forwarded-for", "203.0.113.9");
        from(&app, "127.0.0.1", req, wrong.clone()).await;
    }
    let req = login_req().header("x-forwarded-for", "198.51.100.8");
    let r = from(&app, "127.0.0.1", req, right.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // …and a client that is not the proxy cannot pick its address with the header.
    let req = login_req().header("x-forwarded-for", "198.51.100.99");
    let r = from(&app, "203.0.113.5", req, right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
}

async fn one_credential_flooding_the_api_slows_only_itself(app: App) {
    let a = app.business(&simple_profile("alpha", "+15550001001")).await;
    let key = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{a}/api-keys"),
            Some(&app.op),
            Some(json!({"name": "flood", "role": "viewer"})),
        )
        .await
        .json["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{a}/api-keys"),
            Some(&app.op),
            Some(json!({"name": "calm", "role": "viewer"})),
        )
        .await
        .json["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/businesses/{a}");
    let mut limited = None;
    for _ in 0..10 {
        let r = app.call("GET", &path, Some(&key), None).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let limited = limited.expect("the flood was never limited");
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // Another key, and the health check, are untouched…
    assert_eq!(
        app.call("GET", &path, Some(&other), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("GET", "/healthz", None, None).await.status,
        StatusCode::OK
    );
    // …until the business's own share is spent, by however many keys.
    let mut refused = false;
    for i in 0..10 {
        let r = app.call("GET", &path, Some(&other), None).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            // Before this key's own allowance of five was used up: the business's limit.
            assert!(i + 2 <= 5, "refused only at this key's call {}", i + 2);
            refused = true;
            break;
        }
    }
    assert!(refused, "the business's limit never applied");
}

async fn a_forged_long_lived_token_is_refused(app: App) {
    use jsonwebtoken::{EncodingKey, Header, encode};
    // The signing key is kept sealed: a copy of the database cannot mint tokens with it.
    let stored = frontdesk_store::setting_or_init(&app.db, "jwt_secret", "unused")
        .await
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    let cfg = frontdesk_web::Config {
        data_dir: std::path::PathBuf::from("unused"),
        ..(*app.st.cfg).clone()
    };
    let sealer = frontdesk_desk::secrets::Sealer::for_installation(&cfg).unwrap();
    let frontdesk_desk::secrets::Opened::Sealed(secret) = sealer.open(&stored).unwrap() else {
        panic!("not sealed")
    };
    // Whoever holds the signing key can sign anything; the server still caps the lifetime.
    let me = app.get("/api/v1/me").await;
    let sub = me.json["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    let sign = |iat: i64, exp: i64| {
        encode(
            &Header::default(),
            &json!({"sub": sub, "op": true, "iat": iat, "exp": exp}),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let year = sign(now, now + 365 * 86_400);
    let r = app
        .call("GET", "/api/v1/businesses", Some(&year), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let short = sign(now, now + 600);
    let r = app
        .call("GET", "/api/v1/businesses", Some(&short), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn an_unknown_business_is_not_found_even_for_the_operator(app: App) {
    let ghost = frontdesk_store::BusinessId::new();
    for path in ["", "/customers", "/texts", "/appointments", "/members"] {
        let r = app.get(&format!("/api/v1/businesses/{ghost}{path}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{ghost}/customers"),
            Some(&app.op),
            Some(json!({"name": "Ann", "phone": "+15550001999"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

/// The app with a separate token for the metrics scraper.
async fn with_metrics_token<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App) -> F,
) {
    let mut cfg = frontdesk_web::Config::default();
    cfg.server.metrics_token = frontdesk_web::Secret::new("scrape-me-please");
    crate::with_config(t, cfg, test).await
}

async fn metrics_are_for_the_operator_and_members_reveal_no_accounts(app: App) {
    let a = app.business(&simple_profile("alpha", "+15550001001")).await;
    let owner = app.member(&a, "owner@example.com", "owner").await;
    for (token, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("scrape-me-pleasf"), StatusCode::UNAUTHORIZED),
        (Some(owner.as_str()), StatusCode::FORBIDDEN),
        (Some("scrape-me-please"), StatusCode::OK),
        (Some(app.op.as_str()), StatusCode::OK),
    ] {
        let r = app.call("GET", "/metrics", token, None).await;
        assert_eq!(r.status, want, "{token:?}: {}", r.text);
    }
    // An owner adding people learns nothing about who has an account elsewhere: with or
    // without one, the same answer.
    app.member(&a, "elsewhere@example.com", "viewer").await;
    let b = app.business(&simple_profile("beta", "+15550001002")).await;
    let b_owner = app.member(&b, "b-owner@example.com", "owner").await;
    let mut shapes = Vec::new();
    for email in ["elsewhere@example.com", "nobody@example.com"] {
        let r = app
            .call(
                "POST",
                &format!("/api/v1/businesses/{b}/members"),
                Some(&b_owner),
                Some(json!({"email": email, "role": "viewer"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{email}: {}", r.text);
        let mut keys: Vec<String> = r.json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        shapes.push(keys);
    }
    assert_eq!(shapes[0], shapes[1]);
    // The account made without a password cannot be signed into until one is set.
    for pw in ["", "!", PASSWORD] {
        let r = app.login("nobody@example.com", pw).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{pw:?}");
    }
}

async fn a_second_factor_is_required_once_confirmed_and_no_code_works_twice(app: App) {
    use frontdesk_desk::totp;
    let setup = app
        .call("POST", "/api/v1/me/totp", Some(&app.op), None)
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret = setup.json["secret"].as_str().unwrap().to_owned();
    assert!(
        setup.json["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/frontdesk:")
    );
    // The secret is sealed in the database.
    let mut db = app.db.clone();
    let me = frontdesk_store::accounts::user_by_email(&mut db, OPERATOR)
        .await
        .unwrap();
    assert!(
        me.totp
            .secret
            .as_deref()
            .is_some_and(|s| s.starts_with("sealed:v1:") && !s.contains(&secret))
    );
    // Not required until confirmed.
    assert_eq!(app.login(OPERATOR, PASSWORD).await.status, StatusCode::OK);
    let raw = totp::base32_decode(&secret).unwrap();
    let step = || chrono::Utc::now().timestamp() / totp::STEP_SECS;
    let code = |s: i64| format!("{:06}", totp::code(&raw, s as u64));
    let now_codes: Vec<String> = (-2..=2).map(|d| code(step() + d)).collect();
    let bad = ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !now_codes.iter().any(|n| n == c))
        .unwrap();
    let wrong = app
        .call(
            "POST",
            "/api/v1/me/totp/confirm",
            Some(&app.op),
            Some(json!({"code": bad})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    let s0 = step();
    let ok = app
        .call(
            "POST",
            "/api/v1/me/totp/confirm",
            Some(&app.op),
            Some(json!({"code": code(s0 - 1)})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    // Now the password alone is not enough…
    let r = app.login(OPERATOR, PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert!(r.text.contains("totp"), "{}", r.text);
    let login = |totp: String| {
        app.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": OPERATOR, "password": PASSWORD, "totp": totp})),
        )
    };
    // …a code works once…
    assert_eq!(login(code(s0)).await.status, StatusCode::OK);
    assert_eq!(login(code(s0)).await.status, StatusCode::UNAUTHORIZED);
    // …and an older one not at all.
    assert_eq!(login(code(s0 - 1)).await.status, StatusCode::UNAUTHORIZED);
    // An API key has no second factor to set up.
    let key = app
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(&app.op),
            Some(json!({"name": "ops"})),
        )
        .await
        .json["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.call("POST", "/api/v1/me/totp", Some(&key), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // Turned off with a fresh code, the password is enough again.
    let off = app
        .call(
            "POST",
            "/api/v1/me/totp/disable",
            Some(&app.op),
            Some(json!({"code": code(s0 + 1)})),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text);
    assert_eq!(app.login(OPERATOR, PASSWORD).await.status, StatusCode::OK);
}

/// The app with a Twilio account, and the URL of its database.
async fn with_twilio_and_db<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String) -> F,
) {
    let url = t.url.clone();
    let app = App::spawn(t, crate::voice::twilio_cfg()).await;
    test(app, url).await
}

/// Twilio's signed webhook to `path` with `params`.
async fn twilio(app: &App, path: &str, params: &[(&str, &str)]) -> Resp {
    crate::voice::post_signed(
        app,
        &format!("http://{}{path}", crate::voice::HOST),
        params,
        crate::voice::TOKEN,
    )
    .await
}

async fn while_the_database_is_down_callers_hear_an_apology_and_nothing_is_lost(
    app: App,
    url: String,
) {
    let name = url.rsplit('/').next().unwrap();
    let name = name.split('?').next().unwrap().to_owned();
    let rooter = include_str!("../../../../demo/rapid-rooter.yaml");
    app.business(rooter).await;
    let to = "+13035550140";
    let call = |sid: &'static str| {
        [
            ("AccountSid", crate::voice::ACCOUNT),
            ("CallSid", sid),
            ("From", "+13035550191"),
            ("To", to),
            ("Direction", "inbound"),
            ("CallStatus", "ringing"),
        ]
    };
    let text = [
        ("AccountSid", crate::voice::ACCOUNT),
        ("MessageSid", "SMdown0000000000000000000000000001"),
        ("From", "+13035550192"),
        ("To", to),
        ("Body", "is anyone there?"),
        ("NumSegments", "1"),
    ];
    assert_eq!(
        twilio(&app, "/twilio/voice", &call("CAup1")).await.status,
        StatusCode::OK
    );

    // The database goes away. PostgreSQL: no connections allowed, the open ones cut. SQLite:
    // another process holds the write lock past the busy timeout.
    let postgres = url.starts_with("postgres");
    let admin = if postgres {
        Some(
            frontdesk_store::Db::open(&frontdesk_store::testing::postgres_admin_url().unwrap())
                .await
                .unwrap(),
        )
    } else {
        None
    };
    let raw = |sql: String| {
        let admin = admin.clone().unwrap();
        async move { frontdesk_store::testing::raw_execute(&admin, &sql).await }
    };
    let mut lock = None;
    if postgres {
        raw(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .await
            .unwrap();
        raw(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    } else {
        let other = frontdesk_store::Db::open(&url).await.unwrap();
        lock = Some(other.begin().await.unwrap());
    }
    // A caller hears the apology in TwiML, with a 503 so Twilio tries the fallback; a text gets
    // a 503 so Twilio delivers it again later.
    let r = twilio(&app, "/twilio/voice", &call("CAdown1")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml"),
        "{:?}",
        r.headers
    );
    assert!(
        r.text.contains("<Say") && r.text.contains("trouble"),
        "{}",
        r.text
    );
    let r = twilio(&app, "/twilio/sms", &text).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.text.contains("<Response"), "{}", r.text);

    // It comes back: Twilio's retry of the text is taken, once; calls are answered again.
    if postgres {
        raw(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .await
            .unwrap();
    }
    if let Some(tx) = lock.take() {
        // Nothing was written in it: ending it only lets go of the lock.
        tx.commit().await.unwrap();
    }
    let r = crate::eventually("the server recovering", || async {
        let r = twilio(&app, "/twilio/sms", &text).await;
        if r.status == StatusCode::OK {
            Ok(r)
        } else {
            Err(format!("{} {}", r.status, r.text))
        }
    })
    .await;
    assert!(r.text.contains("<Response"), "{}", r.text);
    assert_eq!(
        twilio(&app, "/twilio/sms", &text).await.status,
        StatusCode::OK
    );
    assert_eq!(
        twilio(&app, "/twilio/voice", &call("CAup2")).await.status,
        StatusCode::OK
    );
    let texts = app.get("/api/v1/businesses/rapid-rooter/texts").await;
    let inbound = texts.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["body"] == "is anyone there?")
        .count();
    assert_eq!(inbound, 1, "{}", texts.text);
}
