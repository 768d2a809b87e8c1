use super::*;

/// Written by hand for these tests, in the spec's format, touching every section.
const FULL: &str = r#"version: 1
slug: lakeside-dental
name: Lakeside Family Dental
kind: appointments
timezone: America/Denver
locale: en-US
phone: "+17205550111"
transfer_phone: "+17205550112"
website: https://lakeside.example
address: "12 Shore Rd, Denver, CO"
owner_alerts:
  sms: "+17205550113"
  email: Front@Lakeside.Example
hours:
  mon: "08:00-12:00, 13:00-17:00"
  tue: "08:00-17:00"
  wed: closed
  fri: "08:00-24:00"
closures:
  - date: 2026-11-26
    note: Thanksgiving
  - date: 2026-12-31
    hours: "08:00-12:00"
persona:
  agent_name: Robin
  greeting: "Lakeside Dental, Robin speaking."
  tone: formal
services:
  - name: Cleaning
    duration_min: 45
    price: 95.50
  - name: Whitening
    duration_min: 90
    price_note: quoted at visit
staff:
  - name: Dr. Ruiz
    services: [Cleaning, Whitening]
    hours:
      tue: "09:00-15:00"
booking:
  slot_step_min: 15
  min_notice_min: 120
  max_days_ahead: 30
  buffer_min: 10
currency: USD
units:
  - type: 5x5
    width_ft: 5
    depth_ft: 5
    monthly_rate: 39.00
    total: 10
    available: 10
promotions:
  - name: New patient special
    applies_to: [Cleaning, 5x5]
    valid_until: 2027-03-01
pricing_rules:
  - when_occupancy_above: 0.8
    adjust_percent: 5
menu:
  - name: Toothbrush kit
    price: 4.25
    options:
      - name: color
        choices: {red: 0, blue: 0.5}
        default: blue
ordering:
  pickup: true
  delivery: false
faqs:
  - q: Do you take insurance?
    a: We accept most PPO plans.
policies:
  - topic: Cancellations
    text: Please give 24 hours notice.
emergency:
  keywords: [knocked out tooth, bleeding]
  message: Connecting you to the on-call dentist.
  action: both
"#;

fn err_of(src: &str) -> ProfileError {
    match Profile::from_yaml(src) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e,
    }
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(0)
}

#[test]
fn hand_written_profile_round_trips_without_difference() {
    let p = Profile::from_yaml(FULL).unwrap();
    assert_eq!(p.hours.on(chrono::Weekday::Mon).len(), 2);
    assert_eq!(p.hours.on(chrono::Weekday::Wed).len(), 0);
    assert_eq!(p.hours.on(chrono::Weekday::Fri)[0].end_min, 1440);
    assert_eq!(p.services[0].price.map(Money::cents), Some(9550));
    assert_eq!(
        p.owner_alerts
            .as_ref()
            .and_then(|a| a.email.as_ref())
            .map(|e| e.as_str()),
        Some("Front@lakeside.example")
    );
    let exported = p.to_yaml();
    let again = Profile::from_yaml(&exported).unwrap();
    assert_eq!(p, again);
    assert_eq!(exported, again.to_yaml(), "export is stable");
    // Choice order is the owner's, not alphabetical.
    assert!(exported.find("red").unwrap() < exported.find("blue").unwrap());
}

#[test]
fn defaults_fill_optional_sections() {
    let p = Profile::from_yaml(
        "version: 1\nslug: a\nname: A\nkind: other\ntimezone: UTC\nphone: \"+15125550100\"\n",
    )
    .unwrap();
    assert_eq!(p.locale, "en-US");
    assert_eq!(p.booking, Booking::default());
    assert_eq!(p.hours.on(chrono::Weekday::Mon), &[]);
}

#[test]
fn misspelled_field_is_named_with_its_line() {
    let src = FULL.replace("  - name: Whitening", "  - nmae: Whitening");
    let e = err_of(&src);
    assert!(e.message.contains("unknown field `nmae`"), "{e}");
    assert_eq!(e.line, Some(line_of(&src, "nmae")));
    assert!(e.path.starts_with("services[1]"), "{e:?}");
}

#[test]
fn top_level_typo_is_refused() {
    let src = FULL.replace("timezone:", "time_zone:");
    let e = err_of(&src);
    assert!(e.message.contains("time_zone"), "{e}");
    assert_eq!(e.line, Some(line_of(&src, "time_zone")));
}

#[test]
fn backwards_time_range_is_refused_with_line() {
    let src = FULL.replace("tue: \"08:00-17:00\"", "tue: \"17:00-08:00\"");
    let e = err_of(&src);
    assert!(e.message.contains("bad time range"), "{e}");
    assert_eq!(e.path, "hours.tue");
    assert_eq!(e.line, Some(line_of(&src, "17:00-08:00")));
}

#[test]
fn malformed_and_overlapping_hours_are_refused() {
    for bad in [
        "9-5",
        "08:00-12:00, 11:00-14:00",
        "25:00-26:00",
        "08:60-09:00",
    ] {
        let src = FULL.replace("tue: \"08:00-17:00\"", &format!("tue: \"{bad}\""));
        assert!(err_of(&src).message.contains("bad time range"), "{bad}");
    }
}

#[test]
fn unknown_timezone_is_refused() {
    let src = FULL.replace("America/Denver", "America/Springfield");
    let e = err_of(&src);
    assert!(e.message.contains("unknown timezone"), "{e}");
    assert_eq!((e.path.as_str(), e.line), ("timezone", Some(5)));
}

#[test]
fn bad_phone_is_refused() {
    let src = FULL.replace("\"+17205550112\"", "\"720-555-0112\"");
    let e = err_of(&src);
    assert_eq!(e.path, "transfer_phone");
    assert!(e.message.contains("E.164"), "{e}");
    assert_eq!(e.line, Some(8));
}

#[test]
fn negative_price_is_refused() {
    let src = FULL.replace("price: 95.50", "price: -95.50");
    let e = err_of(&src);
    assert_eq!(e.path, "services[0].price");
    assert!(e.message.contains("negative price"), "{e}");
    assert_eq!(e.line, Some(line_of(&src, "-95.50")));
}

#[test]
fn more_units_available_than_exist_is_refused() {
    let src = FULL.replace("available: 10", "available: 11");
    let e = err_of(&src);
    assert!(
        e.message.contains("available (11) is more than total (10)"),
        "{e}"
    );
    assert!(e.path.starts_with("units[0]"), "{e:?}");
    assert!(e.line.is_some());
}

#[test]
fn dangling_references_are_refused_with_line() {
    let src = FULL.replace(
        "services: [Cleaning, Whitening]",
        "services: [Cleaning, Veneers]",
    );
    let e = err_of(&src);
    assert_eq!(e.path, "staff[0].services");
    assert_eq!(e.line, Some(line_of(&src, "Veneers")));
    let src = FULL.replace(
        "applies_to: [Cleaning, 5x5]",
        "applies_to: [Cleaning, 10x10]",
    );
    assert_eq!(err_of(&src).path, "promotions[0].applies_to");
    let src = FULL.replace("default: blue", "default: green");
    assert_eq!(err_of(&src).path, "menu[0].options[0].default");
}

#[test]
fn enum_values_and_versions_are_checked() {
    assert!(
        err_of(&FULL.replace("kind: appointments", "kind: bakery"))
            .message
            .contains("bakery")
    );
    assert!(
        err_of(&FULL.replace("version: 1", "version: 2"))
            .message
            .contains("version 2")
    );
    assert!(
        err_of(&FULL.replace("tone: formal", "tone: grumpy"))
            .message
            .contains("grumpy")
    );
    assert!(
        err_of(&FULL.replace("when_occupancy_above: 0.8", "when_occupancy_above: 80"))
            .message
            .contains("between 0 and 1")
    );
}

#[test]
fn api_json_is_held_to_the_same_rules() {
    let p = Profile::from_yaml(FULL).unwrap();
    let mut v = serde_json::to_value(&p).unwrap();
    assert_eq!(Profile::from_json_value(v.clone()).unwrap(), p);
    v["units"][0]["available"] = serde_json::json!(99);
    assert!(Profile::from_json_value(v).is_err());
}

/// Every key a parsed profile writes out, with its path (list items as `[]`).
fn keys(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{at}.{k}");
                out.push(p.clone());
                keys(v, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for v in a {
                keys(v, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// The schema's node at `path` (as [`keys`] writes it), following `$ref`s into `$defs`.
fn node<'a>(schema: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let resolve = |mut n: &'a serde_json::Value| {
        for _ in 0..8 {
            if let Some(r) = n.get("$ref").and_then(|r| r.as_str()) {
                n = schema.pointer(r.trim_start_matches('#'))?;
            } else if let Some(any) = n.get("anyOf").and_then(|a| a.as_array()) {
                // Option<T>: the non-null branch.
                n = any.iter().find(|b| b.get("type") != Some(&"null".into()))?;
            } else {
                break;
            }
        }
        Some(n)
    };
    let mut n = resolve(schema)?;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, items) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (part, false),
        };
        n = resolve(n.get("properties")?.get(name)?)?;
        if items {
            n = resolve(n.get("items")?)?;
        }
    }
    Some(n)
}

#[test]
fn the_json_schema_describes_every_field_a_profile_has() {
    let schema = Profile::json_schema();
    assert_eq!(schema["type"], "object");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for f in ["version", "slug", "name", "kind", "timezone", "phone"] {
        assert!(required.contains(&f), "{f} is required: {required:?}");
    }
    assert!(!required.contains(&"hours"));
    assert_eq!(schema["additionalProperties"], false);
    // Every field of the demo profiles (which between them use every section) is described.
    for demo in [
        include_str!("../../../../demo/sunny-storage.yaml"),
        include_str!("../../../../demo/rapid-rooter.yaml"),
        include_str!("../../../../demo/tonys-pizza.yaml"),
        FULL,
    ] {
        let p = Profile::from_yaml(demo).unwrap();
        let mut found = Vec::new();
        keys(&serde_json::to_value(&p).unwrap(), "", &mut found);
        for k in found {
            // Inside a map of choices the keys are the owner's own names.
            if k.contains(".choices.") {
                continue;
            }
            assert!(node(&schema, &k).is_some(), "{k} is not in the schema");
        }
    }
    // A unit's count of free units may be left out; its total may not.
    let unit = node(&schema, ".units[]").unwrap();
    let req = unit["required"].as_array().unwrap();
    assert!(req.contains(&"total".into()) && !req.contains(&"available".into()));
    assert_eq!(node(&schema, ".version").unwrap()["const"], 1);
}

#[test]
fn every_text_and_list_has_a_limit_on_both_paths() {
    let long = |n: usize| "x".repeat(n);
    let cases = [
        (
            FULL.replace(
                "name: Lakeside Family Dental",
                &format!("name: {}", long(MAX_NAME_CHARS + 1)),
            ),
            "name",
        ),
        (
            FULL.replace(
                "a: We accept most PPO plans.",
                &format!("a: {}", long(MAX_TEXT_CHARS + 1)),
            ),
            "faqs[0].a",
        ),
        (
            FULL.replace(
                "greeting: \"Lakeside Dental, Robin speaking.\"",
                &format!("greeting: {}", long(MAX_TEXT_CHARS + 1)),
            ),
            "persona.greeting",
        ),
        (
            FULL.replace(
                "keywords: [knocked out tooth, bleeding]",
                &format!("keywords: [{}]", long(MAX_NAME_CHARS + 1)),
            ),
            "emergency.keywords[0]",
        ),
        (
            FULL.replace(
                "choices: {red: 0, blue: 0.5}",
                &format!(
                    "choices: {{red: 0, blue: 0.5, {}: 1}}",
                    long(MAX_NAME_CHARS + 1)
                ),
            ),
            "menu[0].options[0].choices",
        ),
        (
            FULL.replace(
                "keywords: [knocked out tooth, bleeding]",
                &format!("keywords: [{}]", vec!["a"; MAX_LIST_ITEMS + 1].join(", ")),
            ),
            "emergency.keywords",
        ),
    ];
    for (src, path) in cases {
        let e = err_of(&src);
        assert!(e.path.starts_with(path), "{path}: {e}");
        assert!(e.line.is_some(), "{path}: no line in {e}");
        // The JSON path (the API's) applies the same limits.
        let v: serde_json::Value = crate::yaml::from_str(&src).unwrap();
        let e = Profile::from_json_value(v).unwrap_err();
        assert!(e.path.starts_with(path), "JSON {path}: {e}");
    }
    // At the limit is fine.
    let at = FULL.replace(
        "a: We accept most PPO plans.",
        &format!("a: {}", long(MAX_TEXT_CHARS)),
    );
    assert!(Profile::from_yaml(&at).is_ok());
}

#[test]
fn an_accepted_profile_always_re_imports_from_its_export() {
    // Large but legal through JSON: every FAQ and policy at its limits. What is accepted must
    // come back through its own YAML export; what would not is refused on the way in.
    let mut v: serde_json::Value = crate::yaml::from_str(FULL).unwrap();
    let faq =
        serde_json::json!({"q": "q".repeat(MAX_QUESTION_CHARS), "a": "a".repeat(MAX_TEXT_CHARS)});
    let policy = serde_json::json!({"topic": "t", "text": "p".repeat(MAX_TEXT_CHARS)});
    v["faqs"] = serde_json::Value::Array(vec![faq; MAX_LIST_ITEMS]);
    let p = Profile::from_json_value(v.clone()).unwrap();
    assert!(p.to_yaml().len() > MAX_PROFILE_BYTES / 2);
    assert_eq!(Profile::from_yaml(&p.to_yaml()).unwrap(), p);
    v["policies"] = serde_json::Value::Array(vec![policy; MAX_LIST_ITEMS]);
    let e = Profile::from_json_value(v).unwrap_err();
    assert!(e.message.contains("larger than"), "{e}");
}
