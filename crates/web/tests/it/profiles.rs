//! Profiles through the API: import, export, re-import, and refusals.

use axum::http::StatusCode;
use serde_json::json;

use crate::{App, on_both};

/// Written by hand for this test (not a demo file).
const HAND_WRITTEN: &str = r#"version: 1
slug: maple-salon
name: Maple Hair Studio
kind: appointments
timezone: America/Los_Angeles
phone: "+14155550170"
transfer_phone: "+14155550171"
hours:
  tue: "10:00-19:00"
  wed: "10:00-19:00"
  thu: "10:00-20:00"
  fri: "10:00-20:00"
  sat: "09:00-17:00"
closures:
  - date: 2027-01-01
    note: New Year's Day
persona:
  agent_name: Ivy
  tone: friendly
services:
  - name: Women's cut
    duration_min: 60
    price: 65.00
  - name: Color
    duration_min: 120
    price: 140.00
    price_note: from
staff:
  - name: Mei
    services: [Women's cut, Color]
booking:
  slot_step_min: 15
  buffer_min: 10
faqs:
  - q: Is there parking?
    a: Free parking behind the building.
"#;

on_both!(
    profile_round_trips_through_the_api,
    bad_profiles_are_refused_with_field_and_line,
    owners_may_reimport_their_own_profile,
    unit_counts_are_kept_apart_from_the_profile,
    the_documented_example_imports,
    the_profile_schema_is_served_and_an_independent_validator_agrees_with_the_parser
);

async fn profile_round_trips_through_the_api(app: App) {
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            HAND_WRITTEN,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["created"], true);
    let id = r.json["business"]["id"].as_str().unwrap().to_owned();
    let yaml = app
        .raw(
            "GET",
            "/api/v1/businesses/maple-salon/profile?format=yaml",
            Some(&app.op),
            None,
            "",
        )
        .await;
    assert_eq!(yaml.headers["content-type"], "application/yaml");
    let again = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            yaml.text.clone(),
        )
        .await;
    assert_eq!(
        (
            again.json["created"].as_bool(),
            again.json["business"]["id"].as_str()
        ),
        (Some(false), Some(id.as_str()))
    );
    let yaml2 = app
        .raw(
            "GET",
            "/api/v1/businesses/maple-salon/profile?format=yaml",
            Some(&app.op),
            None,
            "",
        )
        .await;
    assert_eq!(yaml.text, yaml2.text, "export → import → export is stable");
    let original = frontdesk_engine::Profile::from_yaml(HAND_WRITTEN).unwrap();
    assert_eq!(
        frontdesk_engine::Profile::from_yaml(&yaml.text).unwrap(),
        original
    );
    // JSON works too, and PUT replaces the profile in place.
    let mut p = app
        .get(&format!("/api/v1/businesses/{id}/profile"))
        .await
        .json;
    p["name"] = json!("Maple Studio");
    let put = app
        .raw(
            "PUT",
            &format!("/api/v1/businesses/{id}/profile"),
            Some(&app.op),
            Some("application/json"),
            p.to_string(),
        )
        .await;
    assert_eq!(
        (put.status, put.json["name"].as_str()),
        (StatusCode::OK, Some("Maple Studio"))
    );
    // Creating a business whose slug exists is a conflict, not a silent update.
    let dup = app
        .raw(
            "POST",
            "/api/v1/businesses",
            Some(&app.op),
            Some("application/yaml"),
            HAND_WRITTEN,
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
}

async fn bad_profiles_are_refused_with_field_and_line(app: App) {
    let typo = HAND_WRITTEN.replace("    duration_min: 120", "    duraton_min: 120");
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            typo.clone(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let line = typo
        .lines()
        .position(|l| l.contains("duraton_min"))
        .unwrap()
        + 1;
    assert_eq!(r.json["error"]["detail"]["line"], line);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duraton_min"),
        "{}",
        r.text
    );
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            "{{{ not yaml",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let none = app.get("/api/v1/businesses").await.json;
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "a refused import creates nothing"
    );

    app.raw(
        "POST",
        "/api/v1/businesses/import",
        Some(&app.op),
        Some("application/yaml"),
        HAND_WRITTEN,
    )
    .await;
    let bad = HAND_WRITTEN
        .replace("America/Los_Angeles", "Mars/Olympus")
        .replace("Maple Hair Studio", "Renamed");
    let r = app
        .raw(
            "PUT",
            "/api/v1/businesses/maple-salon/profile",
            Some(&app.op),
            Some("application/yaml"),
            bad,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["error"]["detail"]["path"], "timezone");
    let b = app.get("/api/v1/businesses/maple-salon").await.json;
    assert_eq!(
        b["name"], "Maple Hair Studio",
        "a refused profile changes nothing"
    );
}

async fn owners_may_reimport_their_own_profile(app: App) {
    let id = app.business(HAND_WRITTEN).await;
    let owner = app.member(&id, "owner@maple.example", "owner").await;
    let viewer = app.member(&id, "viewer@maple.example", "viewer").await;
    let changed = HAND_WRITTEN.replace("Maple Hair Studio", "Maple & Co");
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&owner),
            Some("application/yaml"),
            changed.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&viewer),
            Some("application/yaml"),
            changed,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = HAND_WRITTEN
        .replace("maple-salon", "new-place")
        .replace("+14155550170", "+14155550180");
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&owner),
            Some("application/yaml"),
            other,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only operators create businesses"
    );
}

/// A storage facility written for this test.
const BOXES: &str = r#"version: 1
slug: corner-boxes
name: Corner Boxes
kind: self_storage
timezone: America/Chicago
phone: "+15125550300"
units:
  - {type: 5x10, width_ft: 5, depth_ft: 10, monthly_rate: 60, total: 8, available: 3}
  - {type: 10x20, width_ft: 10, depth_ft: 20, monthly_rate: 180, total: 2}
"#;

async fn unit_counts_are_kept_apart_from_the_profile(app: App) {
    let import = |token: String, yaml: String| {
        let app = &app;
        async move {
            app.raw(
                "POST",
                "/api/v1/businesses/import",
                Some(&token),
                Some("application/yaml"),
                yaml,
            )
            .await
        }
    };
    // The import says which counts the file set: the one that gives `available`.
    let r = import(app.op.clone(), BOXES.to_owned()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json["available_set"],
        json!([{"unit_type": "5x10", "available": 3}])
    );
    let id = r.json["business"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/businesses/{id}/inventory");
    let stock = |_: &App| app.get(&path);
    let inv = stock(&app).await.json;
    assert_eq!(
        inv["units"],
        json!([
            {"unit_type": "5x10", "total": 8, "available": 3},
            {"unit_type": "10x20", "total": 2, "available": 2}
        ])
    );

    // Who may adjust a count: managers and owners; the others are refused and change nothing.
    let roles = [
        ("owner", StatusCode::OK),
        ("manager", StatusCode::OK),
        ("agent", StatusCode::FORBIDDEN),
        ("viewer", StatusCode::FORBIDDEN),
    ];
    for (i, (role, want)) in roles.into_iter().enumerate() {
        let token = app
            .member(&id, &format!("{role}@boxes.example"), role)
            .await;
        let n = i as u32;
        let r = app
            .call(
                "PUT",
                &format!("/api/v1/businesses/{id}/inventory/5x10"),
                Some(&token),
                Some(json!({"available": n, "note": format!("count by the {role}")})),
            )
            .await;
        assert_eq!(r.status, want, "{role}: {}", r.text);
        let now = stock(&app).await.json["units"][0]["available"].clone();
        let expect = if want == StatusCode::OK { n } else { 1 };
        assert_eq!(now, json!(expect), "{role}");
    }
    // Bad adjustments are refused: more than the total, a unit type it does not have.
    for (path, body, want) in [
        (
            "5x10",
            json!({"available": 9}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("9x9", json!({"available": 1}), StatusCode::NOT_FOUND),
        ("5x10", json!({"available": -1}), StatusCode::BAD_REQUEST),
        ("5x10", json!({"count": 1}), StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .call(
                "PUT",
                &format!("/api/v1/businesses/{id}/inventory/{path}"),
                Some(&app.op),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, want, "{body}: {}", r.text);
    }
    let inv = stock(&app).await.json;
    assert_eq!(inv["units"][0]["available"], 1);
    // Every change is recorded, newest first, with who made it and why.
    let log = inv["adjustments"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["reason"], "owner");
    assert_eq!(
        (log[0]["before"].clone(), log[0]["after"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(log[0]["note"], "count by the manager");

    // Re-importing a file that gives no count keeps the live one; the export shows it.
    let r = import(app.op.clone(), BOXES.replace(", available: 3", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["available_set"], json!([]));
    assert_eq!(stock(&app).await.json["units"][0]["available"], 1);
    let yaml = app.get(&format!("/api/v1/businesses/{id}/profile")).await;
    assert_eq!(yaml.json["units"][0]["available"], 1, "{}", yaml.text);
}

/// Runs Python's `jsonschema` (an implementation nobody here wrote) on `docs` against `schema`;
/// returns whether each is valid, or `None` when it is not installed (CI requires it).
fn python_validates(schema: &serde_json::Value, docs: &[serde_json::Value]) -> Option<Vec<bool>> {
    use std::io::Write;
    let script = "import json, sys, jsonschema\n\
        data = json.load(sys.stdin)\n\
        v = jsonschema.Draft202012Validator(data['schema'])\n\
        print(json.dumps([v.is_valid(d) for d in data['docs']]))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let input = json!({"schema": schema, "docs": docs}).to_string();
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("No module named")
                && std::env::var_os("FRONTDESK_TEST_REQUIRE_JSONSCHEMA").is_none(),
            "jsonschema failed: {err}"
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

async fn the_profile_schema_is_served_and_an_independent_validator_agrees_with_the_parser(
    app: App,
) {
    // Served without a login, and the same as the one in the API document.
    let r = app
        .call("GET", "/api/profile.schema.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let schema = r.json;
    assert_eq!(schema, frontdesk_engine::Profile::json_schema());
    let doc = app.call("GET", "/api/openapi.json", None, None).await.json;
    let comp = &doc["components"]["schemas"]["BusinessProfile"];
    assert_eq!(
        comp["properties"]["slug"]["$ref"], "#/components/schemas/Slug",
        "{comp}"
    );
    assert!(doc["components"]["schemas"]["Unit"].is_object());
    for (path, method) in [
        ("/api/v1/businesses/import", "post"),
        ("/api/v1/businesses/{business}/profile", "put"),
    ] {
        let body = &doc["paths"][path][method]["requestBody"]["content"];
        let refs: Vec<&serde_json::Value> = body
            .as_object()
            .unwrap()
            .values()
            .map(|c| &c["schema"]["$ref"])
            .collect();
        assert!(
            !refs.is_empty()
                && refs
                    .iter()
                    .all(|r| *r == "#/components/schemas/BusinessProfile"),
            "{path}: {body}"
        );
    }

    // Profiles the parser takes, and ones it refuses for a reason a schema can express.
    let yaml = |s: &str| -> serde_json::Value { frontdesk_engine::yaml::from_str(s).unwrap() };
    let good = [
        yaml(HAND_WRITTEN),
        yaml(BOXES),
        yaml(include_str!("../../../../demo/sunny-storage.yaml")),
        yaml(include_str!("../../../../demo/rapid-rooter.yaml")),
        yaml(include_str!("../../../../demo/tonys-pizza.yaml")),
    ];
    let bad = [
        yaml(&HAND_WRITTEN.replace("version: 1", "version: 2")),
        yaml(&HAND_WRITTEN.replace("slug: maple-salon", "slug: Maple Salon")),
        yaml(&HAND_WRITTEN.replace("\"+14155550170\"", "\"415-555-0170\"")),
        yaml(&HAND_WRITTEN.replace("kind: appointments", "kind: bakery")),
        yaml(&HAND_WRITTEN.replace("tue: \"10:00-19:00\"", "tue: \"ten to seven\"")),
        yaml(&HAND_WRITTEN.replace("price: 65.00", "price: -65")),
        yaml(&HAND_WRITTEN.replace("agent_name: Ivy", "agent_nmae: Ivy")),
        yaml(&HAND_WRITTEN.replace("phone: \"+14155550170\"\n", "")),
    ];
    for (docs, want) in [(&good[..], true), (&bad[..], false)] {
        for d in docs {
            let text = serde_json::to_string(d).unwrap();
            let parsed = frontdesk_engine::Profile::from_json_value(d.clone());
            assert_eq!(parsed.is_ok(), want, "the parser on {text}: {parsed:?}");
        }
        let Some(verdicts) = python_validates(&schema, docs) else {
            return;
        };
        for (d, ok) in docs.iter().zip(verdicts) {
            assert_eq!(ok, want, "jsonschema on {d}");
        }
    }
}

/// The first YAML example in the format's reference.
fn documented_example() -> String {
    let doc = include_str!("../../../../docs/profile-format.md");
    let start = doc.find("```yaml\n").expect("an example") + "```yaml\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    doc[start..end].to_owned()
}

async fn the_documented_example_imports(app: App) {
    let example = documented_example();
    let r = app
        .raw(
            "POST",
            "/api/v1/businesses/import",
            Some(&app.op),
            Some("application/yaml"),
            example.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["created"], true);
    assert_eq!(
        r.json["available_set"],
        json!([{"unit_type": "5x10", "available": 6}])
    );
    // The example uses every section of the format.
    let p = frontdesk_engine::Profile::from_yaml(&example).unwrap();
    let v = serde_json::to_value(&p).unwrap();
    for section in [
        "owner_alerts",
        "closures",
        "persona",
        "services",
        "staff",
        "units",
        "promotions",
        "pricing_rules",
        "menu",
        "ordering",
        "faqs",
        "policies",
        "emergency",
    ] {
        assert!(v.get(section).is_some(), "the example has no {section}");
    }
    let doc = frontdesk_engine::yaml::from_str::<serde_json::Value>(&example).unwrap();
    if let Some(ok) = python_validates(&frontdesk_engine::Profile::json_schema(), &[doc]) {
        assert_eq!(ok, [true], "jsonschema on the documented example");
    }
}
