//! Operations endpoints, customers, bad input, audit and the OpenAPI document.

use axum::http::StatusCode;
use serde_json::json;

use crate::{App, on_both, simple_profile};

on_both!(
    ops_endpoints_answer,
    customers_crud_search_and_pagination,
    list_items_are_exactly_what_get_returns,
    bad_input_gets_a_clear_error_and_changes_nothing => with_small_bodies,
    audit_records_who_what_and_the_request,
    openapi_document_describes_the_api,
    patch_merges_into_the_profile,
    deleting_a_business_removes_what_it_owns,
    operators_see_and_retry_dead_jobs,
);

/// The app with a 4 KiB body limit.
async fn with_small_bodies<F: std::future::Future<Output = ()>>(
    t: frontdesk_store::testing::TestDb,
    test: impl FnOnce(App) -> F,
) {
    let mut c = frontdesk_web::Config::default();
    c.server.body_limit_bytes = 4096;
    crate::with_config(t, c, test).await
}

async fn ops_endpoints_answer(app: App) {
    let h = app.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (h.status, h.json["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let r = app.call("GET", "/readyz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["database"], app.db.engine());
    assert!(
        h.headers.get("x-request-id").is_some(),
        "every response carries a request id"
    );
    // Metrics are the operator's: not for anyone who finds the address.
    let anon = app.call("GET", "/metrics", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{}", anon.text);
    let m = app.get("/metrics").await;
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(m.text.contains("route=\"/healthz\""));
    let docs = app.call("GET", "/api/docs/", None, None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.text.contains("swagger"),
        "Swagger UI served from the binary"
    );
    let missing = app.call("GET", "/nope", None, None).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

async fn customers_crud_search_and_pagination(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let base = format!("/api/v1/businesses/{b}/customers");
    let tok = Some(app.op.as_str());
    let r = app.call("POST", &base, tok, Some(json!({"name": " Maria Lopez ", "phone": "+15125557700", "email": "Maria@Example.COM", "tags": ["vip"]}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["name"], "Maria Lopez");
    assert_eq!(r.json["email"], "Maria@example.com");
    let id = r.json["id"].as_str().unwrap().to_owned();
    for i in 0..7 {
        app.call(
            "POST",
            &base,
            tok,
            Some(json!({"name": format!("Guest {i}"), "phone": format!("+1512555800{i}")})),
        )
        .await;
    }
    let by_phone = app
        .call("GET", &format!("{base}?phone=%2B15125557700"), tok, None)
        .await;
    assert_eq!(by_phone.json["items"][0]["id"], id.as_str());
    let by_email = app
        .call("GET", &format!("{base}?email=maria@example.com"), tok, None)
        .await;
    assert_eq!(by_email.json["items"].as_array().unwrap().len(), 1);
    let by_name = app.call("GET", &format!("{base}?q=LOPEZ"), tok, None).await;
    assert_eq!(by_name.json["items"][0]["id"], id.as_str());
    // Pages of 3: 3 + 3 + 2, with a cursor until the last page.
    let mut got = 0;
    let mut url = format!("{base}?limit=3");
    loop {
        let page = app.call("GET", &url, tok, None).await.json;
        got += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(got, 8);
    let patched = app
        .call(
            "PATCH",
            &format!("{base}/{id}"),
            tok,
            Some(json!({"notes": "prefers mornings", "email": null})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(
        (
            patched.json["notes"].as_str(),
            patched.json["email"].is_null()
        ),
        (Some("prefers mornings"), true)
    );
    assert_eq!(
        patched.json["phone"], "+15125557700",
        "fields not in the patch stay"
    );
    assert_eq!(
        app.call("DELETE", &format!("{base}/{id}"), tok, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call("GET", &format!("{base}/{id}"), tok, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let dup = app
        .call(
            "POST",
            &base,
            tok,
            Some(json!({"name": "Again", "phone": "+15125558001"})),
        )
        .await;
    assert_eq!((dup.status, dup.code()), (StatusCode::CONFLICT, "conflict"));
    assert!(
        dup.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("phone")
    );
}

async fn list_items_are_exactly_what_get_returns(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let base = format!("/api/v1/businesses/{b}/customers");
    let tok = Some(app.op.as_str());
    let odd = json!({"name": "Zoë \"Z\" O'Brien \\ 東京", "notes": "line one\nline\ttwo \u{1}", "tags": ["a\"b", "ü"], "email": "z@example.com"});
    let created = app.call("POST", &base, tok, Some(odd)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    app.call("POST", &base, tok, Some(json!({"phone": "+15125550000"})))
        .await;
    let list = app.call("GET", &base, tok, None).await;
    assert_eq!(list.headers["content-type"], "application/json");
    let items = list.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        let one = app
            .call(
                "GET",
                &format!("{base}/{}", item["id"].as_str().unwrap()),
                tok,
                None,
            )
            .await;
        assert_eq!(item, &one.json, "list and get agree");
    }
    assert_eq!(items[0], created.json);
    assert_eq!(items[0]["notes"], "line one\nline\ttwo \u{1}");
}

async fn bad_input_gets_a_clear_error_and_changes_nothing(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let base = format!("/api/v1/businesses/{b}/customers");
    let tok = Some(app.op.as_str());
    let huge = "x".repeat(10_000);
    let cases: Vec<(Option<serde_json::Value>, Option<&str>, StatusCode, &str)> = vec![
        (
            Some(json!({"name": "X", "phone": "512-555-0100"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone",
        ),
        (
            Some(json!({"name": "X", "email": "not-an-email"})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            Some(json!({"name": "X", "favourite_colour": "red"})),
            None,
            StatusCode::BAD_REQUEST,
            "favourite_colour",
        ),
        (
            Some(json!({})),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "needs a name",
        ),
        (None, Some("{\"name\": "), StatusCode::BAD_REQUEST, ""),
        (
            None,
            Some(huge.as_str()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large",
        ),
    ];
    for (body, raw, status, needle) in cases {
        let r = match (body, raw) {
            (Some(b), _) => app.call("POST", &base, tok, Some(b)).await,
            (None, Some(raw)) => {
                app.raw("POST", &base, tok, Some("application/json"), raw.to_owned())
                    .await
            }
            _ => unreachable!(),
        };
        assert_eq!(r.status, status, "{}", r.text);
        assert!(
            r.json["error"]["code"].is_string(),
            "error shape: {}",
            r.text
        );
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{needle}: {}",
            r.text
        );
    }
    let bad_limit = app
        .call("GET", &format!("{base}?limit=100000"), tok, None)
        .await;
    assert_eq!(bad_limit.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_param = app
        .call("GET", &format!("{base}?order=name"), tok, None)
        .await;
    assert_eq!(bad_param.status, StatusCode::BAD_REQUEST);
    let bad_sort = app
        .call("GET", &format!("{base}?sort=shoe_size"), tok, None)
        .await;
    assert_eq!(bad_sort.status, StatusCode::UNPROCESSABLE_ENTITY);
    for sort in ["oldest", "newest", "name"] {
        let r = app
            .call("GET", &format!("{base}?sort={sort}"), tok, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{sort}: {}", r.text);
    }
    let bad_id = app
        .call("GET", &format!("{base}/not-a-uuid"), tok, None)
        .await;
    assert_eq!(bad_id.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call("GET", &base, tok, None).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was created"
    );
}

async fn audit_records_who_what_and_the_request(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let agent = app.member(&b, "agent@example.com", "agent").await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/customers"),
            Some(&agent),
            Some(json!({"name": "Lee"})),
        )
        .await;
    let rid = r
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let log = app.get(&format!("/api/v1/businesses/{b}/audit")).await.json;
    let e = &log["items"][0];
    assert_eq!(e["action"], "customer.create");
    assert_eq!(e["actor_kind"], "user");
    assert_eq!(e["request_id"], rid.as_str());
    assert_eq!(e["target_id"], r.json["id"]);
    let me = app.call("GET", "/api/v1/me", Some(&agent), None).await.json;
    assert_eq!(e["actor_id"], me["id"]);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"member.set") && actions.contains(&"business.create"),
        "{actions:?}"
    );
    let all = app.get("/api/v1/audit?limit=200").await.json;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "auth.login")
    );
}

async fn openapi_document_describes_the_api(app: App) {
    let doc = app.call("GET", "/api/openapi.json", None, None).await.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/businesses",
        "/api/v1/businesses/{business}/customers",
        "/api/v1/businesses/{business}/profile",
        "/api/v1/auth/login",
        "/api/v1/businesses/{business}/members",
        "/api/v1/businesses/{business}/audit",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(doc["components"]["schemas"]["Customer"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn patch_merges_into_the_profile(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let r = app
        .call(
            "PATCH",
            &format!("/api/v1/businesses/{b}"),
            Some(&app.op),
            Some(json!({"name": "Corner Shop", "hours": {"mon": "09:00-17:00"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["name"], "Corner Shop");
    let p = app
        .get(&format!("/api/v1/businesses/{b}/profile"))
        .await
        .json;
    assert_eq!(
        (p["hours"]["mon"].as_str(), p["slug"].as_str()),
        (Some("09:00-17:00"), Some("shop"))
    );
    let bad = app
        .call(
            "PATCH",
            &format!("/api/v1/businesses/{b}"),
            Some(&app.op),
            Some(json!({"hours": {"mon": "17:00-09:00"}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p2 = app
        .get(&format!("/api/v1/businesses/{b}/profile"))
        .await
        .json;
    assert_eq!(p2, p, "a refused patch changes nothing");
}

async fn deleting_a_business_removes_what_it_owns(app: App) {
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    app.call(
        "POST",
        &format!("/api/v1/businesses/{b}/customers"),
        Some(&app.op),
        Some(json!({"name": "Lee"})),
    )
    .await;
    assert_eq!(
        app.call("DELETE", "/api/v1/businesses/shop", Some(&app.op), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/businesses/{b}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The audit trail of the deleted business survives.
    let all = app.get("/api/v1/audit").await.json;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "business.delete" && e["business_id"] == b.as_str())
    );
    // The same slug and number can be used again.
    app.business(&simple_profile("shop", "+15550001000")).await;
}

async fn operators_see_and_retry_dead_jobs(app: App) {
    use frontdesk_jobs::{Runner, RunnerConfig};
    let job = frontdesk_store::jobs::NewJob {
        kind: "sms.send".into(),
        payload: json!({"to": "+15550001111"}),
        business: None,
        run_at: frontdesk_store::now_ms(),
        max_attempts: 1,
        idempotency_key: None,
    };
    let id = frontdesk_store::jobs::enqueue(&mut app.db.clone(), &job, frontdesk_store::now_ms())
        .await
        .unwrap();
    let mut r = Runner::new(app.db.clone(), RunnerConfig::default());
    r.register("sms.send", 1, |_| async { Err("provider said 503".into()) });
    r.drain().await.unwrap();
    let dead = app.get("/api/v1/jobs?status=dead").await;
    assert_eq!(dead.json[0]["id"], id.as_str(), "{}", dead.text);
    assert_eq!(dead.json[0]["last_error"], "provider said 503");
    let retried = app
        .call(
            "POST",
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(
        (
            retried.status,
            retried.json["status"].as_str(),
            retried.json["attempts"].as_i64()
        ),
        (StatusCode::OK, Some("queued"), Some(0))
    );
    let again = app
        .call(
            "POST",
            &format!("/api/v1/jobs/{id}/retry"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "only dead jobs are retried"
    );
    assert_eq!(
        app.get("/api/v1/jobs?status=lost").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let b = app.business(&simple_profile("shop", "+15550001000")).await;
    let owner = app.member(&b, "o@example.com", "owner").await;
    assert_eq!(
        app.call("GET", "/api/v1/jobs", Some(&owner), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The retried job runs again and can now succeed.
    let mut r = Runner::new(app.db.clone(), RunnerConfig::default());
    r.register("sms.send", 1, |_| async { Ok(()) });
    assert_eq!(r.drain().await.unwrap(), 1);
}
