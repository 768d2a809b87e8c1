//! Business settings: the profile in forms, a section at a time (details, hours, closures,
//! FAQs, policies, persona and calls, emergencies), the whole of it as YAML (services, staff,
//! units, the menu with its options, pricing: everything, in the spec's own form), and its
//! export. Managers and owners change it; every other member sees it without the controls.
//!
//! Each input is named by the profile path it fills (`hours.tue`, `faqs[2].q`), so a form
//! becomes the profile's JSON with the owner's text as typed, and the profile's own checks (the
//! same as an upload's through the API) name the path of what is wrong: the message goes beside
//! the input of that name, the form is shown again as it was filled, and nothing is saved.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_engine::Profile;
use frontdesk_engine::profile::DayHours;
use frontdesk_store::accounts::Role;
use frontdesk_store::businesses::Business;
use frontdesk_store::now_ms;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::home::picker;
use super::layout::{Chrome, expired, not_found, outcome, page, respond};
use super::{Scope, Signed, chosen};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RequestId, audit};

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// The sections, in page order: (id, heading).
const SECTIONS: [(&str, &str); 8] = [
    ("details", "Business details"),
    ("hours", "Opening hours"),
    ("closures", "Closures and holidays"),
    ("faqs", "Questions and answers"),
    ("policies", "Policies"),
    ("persona", "Persona and calls"),
    ("emergency", "Emergencies"),
    ("yaml", "Everything, as YAML"),
];

/// Blank rows offered for adding to a list.
const BLANK_ROWS: usize = 1;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
    done: Option<String>,
}

fn refused(e: ApiError) -> Response {
    outcome(
        Err(e),
        Some("Settings are changed by the business's owners and managers."),
    )
}

/// A form that did not save: the section, what was typed (as the profile's JSON, or the YAML),
/// and the messages by input name (`""`: about the section as a whole).
struct Failed {
    section: String,
    value: Value,
    yaml: Option<String>,
    errors: Vec<(String, String)>,
}

pub async fn show(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        render(&st, &signed, &scope, q.done.as_deref(), None).await
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

async fn render(
    st: &AppState,
    signed: &Signed,
    scope: &Scope,
    done: Option<&str>,
    failed: Option<&Failed>,
) -> Result<Response, ApiError> {
    let business = &scope.business;
    let may = signed
        .principal
        .access(st, &business.id)
        .await?
        .require(Role::Manager)
        .is_ok();
    let profile = &scope.loaded.profile;
    let saved = serde_json::to_value(profile).map_err(|e| ApiError::Internal(e.to_string()))?;
    let slug = &business.slug;
    let chrome = Chrome::of(signed, scope);
    let note = done.and_then(|d| SECTIONS.iter().find(|(id, _)| *id == d));
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let main = html! {
        (picker("/app/settings", &scope.visible, business))
        section.heading {
            h1 { "Settings" }
            p.muted { "What the agent knows about " (business.name) " and tells your customers." }
        }
        @if let Some((_, h)) = note { p.toast role="status" { (h) " saved. The agent uses it from the next message." } }
        @if failed.is_some() { p.alert role="alert" { "Nothing was saved: see the message below." } }
        @if !may { p.notice { "You can see the settings; the business's owners and managers change them." } }
        nav.toc aria-label="Settings sections" {
            @for (id, h) in SECTIONS { a href={ "#" (id) } { (h) } }
        }
        @for (id, heading) in SECTIONS {
            @let mine = failed.filter(|f| f.section == id);
            @let v = mine.map(|f| &f.value).unwrap_or(&saved);
            @let errors = mine.map(|f| f.errors.as_slice()).unwrap_or(&[]);
            section.card.settings #(id) aria-labelledby={ (id) "-h" } {
                h2 #{ (id) "-h" } { (heading) }
                form.stack method="post" action={ "/app/settings/" (id) "?b=" (slug) } novalidate {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    fieldset disabled[!may] {
                        legend.visually-hidden { (heading) }
                        @if let Some(m) = error_for(errors, "") { p.field-error role="alert" { (m) } }
                        (fields(id, v, errors, mine.and_then(|f| f.yaml.as_deref()), profile))
                    }
                    @if may { button.primary type="submit" { "Save " (heading.to_lowercase()) } }
                }
            }
        }
        p { a href={ "/app/settings/profile.yaml?b=" (slug) } download { "Download the profile (YAML)" } }
    };
    Ok(respond(status, page("Settings", Some(&chrome), main)))
}

/// The page id of the input named `path`: `faqs[2].q` is `faqs-2-q`.
fn dom_id(path: &str) -> String {
    path.replace("].", "-")
        .replace(['.', '['], "-")
        .replace(']', "")
}

/// The message for input `name`, if any.
fn error_for<'a>(errors: &'a [(String, String)], name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(p, _)| p == name)
        .map(|(_, m)| m.as_str())
}

/// A text at `path` in the profile's JSON (numbers and lists of words as typed).
fn text_at(v: &Value, path: &str) -> String {
    let mut cur = v;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        cur = &cur[key];
        if let Some(i) = index {
            cur = &cur[i];
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// A labelled text input named `path`, its message beside it.
fn input(
    v: &Value,
    errors: &[(String, String)],
    path: &str,
    label: &str,
    hint: Option<&str>,
) -> Markup {
    let id = dom_id(path);
    let err = error_for(errors, path);
    let described = match (hint.is_some(), err.is_some()) {
        (false, false) => None,
        _ => Some(format!("{id}-note")),
    };
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) type="text" name=(path) value=(text_at(v, path))
                aria-invalid=[err.map(|_| "true")] aria-describedby=[described.as_deref()];
            @if let Some(m) = err {
                p.field-error #{ (id) "-note" } { (m) }
            } @else if let Some(h) = hint {
                p.hint.muted #{ (id) "-note" } { (h) }
            }
        }
    }
}

/// A labelled text area named `path`.
fn area(v: &Value, errors: &[(String, String)], path: &str, label: &str) -> Markup {
    let id = dom_id(path);
    let err = error_for(errors, path);
    html! {
        div.field {
            label for=(id) { (label) }
            textarea #(id) name=(path) rows="2" aria-invalid=[err.map(|_| "true")]
                aria-describedby=[err.map(|_| format!("{id}-note"))] { (text_at(v, path)) }
            @if let Some(m) = err { p.field-error #{ (id) "-note" } { (m) } }
        }
    }
}

/// A labelled choice named `path`.
fn choice(v: &Value, path: &str, label: &str, options: &[(&str, &str)]) -> Markup {
    let id = dom_id(path);
    let now = text_at(v, path);
    html! {
        div.field {
            label for=(id) { (label) }
            select #(id) name=(path) {
                @for (val, text) in options {
                    option value=(val) selected[now == *val] { (text) }
                }
            }
        }
    }
}

/// How many rows a list has in `v` (then one blank more for adding).
fn rows_of(v: &Value, key: &str) -> usize {
    v[key].as_array().map_or(0, Vec::len) + BLANK_ROWS
}

fn fields(
    section: &str,
    v: &Value,
    errors: &[(String, String)],
    yaml: Option<&str>,
    profile: &Profile,
) -> Markup {
    match section {
        "details" => html! {
            (input(v, errors, "name", "Business name", None))
            (input(v, errors, "phone", "Phone number", Some("In international form, such as +13035550140.")))
            (input(v, errors, "transfer_phone", "Number calls are passed to", Some("Where a caller who asks for a person, or an emergency, is put through.")))
            (input(v, errors, "address", "Address", None))
            (input(v, errors, "website", "Website", None))
            (input(v, errors, "timezone", "Time zone", Some("Such as America/Denver.")))
            (input(v, errors, "owner_alerts.sms", "Texts about leads and messages go to", None))
            (input(v, errors, "owner_alerts.email", "E-mails about leads and messages go to", None))
            (input(v, errors, "text_countries", "Other countries texts may go to", Some("Calling codes, separated by commas, such as 44, 52.")))
        },
        "hours" => {
            // A day the profile leaves out is closed, and says so.
            let mut v = v.clone();
            for (key, _) in DAYS {
                if v["hours"][key].is_null() {
                    v["hours"][key] = json!("closed");
                }
            }
            html! {
                p.hint.muted { "Times in 24-hour form, such as 08:00-12:00, 13:00-17:00; or closed." }
                div.days {
                    @for (key, day) in DAYS {
                        (input(&v, errors, &format!("hours.{key}"), day, None))
                    }
                }
            }
        }
        "closures" => html! {
            p.hint.muted { "A day the business is closed, or keeps other hours. Clear a row's date to remove it." }
            @for i in 0..rows_of(v, "closures") {
                fieldset.row-group {
                    legend { @if i < rows_of(v, "closures") - BLANK_ROWS { "Closure " (i + 1) } @else { "Add a closure" } }
                    (input(v, errors, &format!("closures[{i}].date"), "Date", Some("Such as 2026-12-25.")))
                    (input(v, errors, &format!("closures[{i}].note"), "Why", None))
                    (input(v, errors, &format!("closures[{i}].hours"), "Hours kept that day", Some("Empty: closed all day.")))
                }
            }
        },
        "faqs" => html! {
            p.hint.muted { "The agent answers these questions, however they are put. Clear both to remove one." }
            @for i in 0..rows_of(v, "faqs") {
                fieldset.row-group {
                    legend { @if i < rows_of(v, "faqs") - BLANK_ROWS { "Question " (i + 1) } @else { "Add a question" } }
                    (input(v, errors, &format!("faqs[{i}].q"), "Question", None))
                    (area(v, errors, &format!("faqs[{i}].a"), "Answer"))
                }
            }
        },
        "policies" => html! {
            p.hint.muted { "Cancellations, deposits, warranties: said as written. Clear both to remove one." }
            @for i in 0..rows_of(v, "policies") {
                fieldset.row-group {
                    legend { @if i < rows_of(v, "policies") - BLANK_ROWS { "Policy " (i + 1) } @else { "Add a policy" } }
                    (input(v, errors, &format!("policies[{i}].topic"), "Topic", None))
                    (area(v, errors, &format!("policies[{i}].text"), "Policy"))
                }
            }
        },
        "persona" => html! {
            (input(v, errors, "persona.agent_name", "The agent's name", None))
            (area(v, errors, "persona.greeting", "Greeting"))
            (choice(v, "persona.tone", "Tone", &[("friendly", "Friendly"), ("formal", "Formal"), ("concise", "Concise")]))
            (choice(v, "calls.mode", "How calls are answered", &[
                ("gather", "Twilio speech recognition (works with a Twilio account alone)"),
                ("conversation_relay", "Twilio ConversationRelay"),
                ("media_streams", "Media Streams with this server's speech providers"),
            ]))
            div.field.check {
                input #calls-record type="checkbox" name="calls.record" value="true" checked[v["calls"]["record"] == true];
                label for="calls-record" { "Record calls" }
            }
        },
        "emergency" => html! {
            p.hint.muted { "When a caller says one of these, the agent gives the message and acts at once. Leave the message empty for none." }
            (input(v, errors, "emergency.keywords", "Words that mean an emergency", Some("Separated by commas, such as flooding, gas smell.")))
            (area(v, errors, "emergency.message", "What the agent says"))
            (choice(v, "emergency.action", "Then", &[
                ("transfer", "Put the caller through"),
                ("alert_owner", "Alert the owner"),
                ("both", "Both"),
            ]))
        },
        "yaml" => {
            let text = yaml.map(str::to_owned).unwrap_or_else(|| profile.to_yaml());
            let err = error_for(errors, "yaml");
            html! {
                p.hint.muted { "Services, staff, units, the menu with its options, pricing: the whole profile in its file form. Paste a profile here to import it." }
                div.field {
                    label for="profile-yaml" { "The profile" }
                    textarea.code #profile-yaml name="yaml" rows="18" spellcheck="false"
                        aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "profile-yaml-note")] { (text) }
                    @if let Some(m) = err { p.field-error #profile-yaml-note { (m) } }
                }
            }
        }
        _ => html! {},
    }
}

/// The posted form as (name, value) pairs, in order.
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `prefix[i].field` rows of the form, by index, in order.
fn rows(form: &[(String, String)], prefix: &str) -> Vec<BTreeMap<String, String>> {
    let mut out: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in form {
        let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('[')) else {
            continue;
        };
        let Some((i, field)) = rest.split_once("].") else {
            continue;
        };
        if let Ok(i) = i.parse::<usize>() {
            out.entry(i)
                .or_default()
                .insert(field.to_owned(), v.trim().to_owned());
        }
    }
    out.into_values().collect()
}

/// Sets `key` of `obj` to the text typed, or removes it when empty.
fn put(obj: &mut Value, key: &str, text: Option<&str>) {
    match text {
        Some(t) => obj[key] = json!(t),
        None => {
            if let Some(o) = obj.as_object_mut() {
                o.remove(key);
            }
        }
    }
}

/// Words separated by commas, as a list.
fn words(text: Option<&str>) -> Option<Value> {
    let list: Vec<&str> = text?
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    (!list.is_empty()).then(|| json!(list))
}

/// Applies a section's form to the profile's JSON `v`, with the text as typed. Messages found
/// before the profile's own checks (every bad day of the week at once) are returned.
fn apply(section: &str, form: &[(String, String)], v: &mut Value) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    match section {
        "details" => {
            for key in [
                "name",
                "phone",
                "transfer_phone",
                "address",
                "website",
                "timezone",
            ] {
                put(v, key, get(form, key));
            }
            let mut alerts = json!({});
            put(&mut alerts, "sms", get(form, "owner_alerts.sms"));
            put(&mut alerts, "email", get(form, "owner_alerts.email"));
            if alerts.as_object().is_some_and(|o| o.is_empty()) {
                put(v, "owner_alerts", None);
            } else {
                v["owner_alerts"] = alerts;
            }
            match words(get(form, "text_countries")) {
                Some(w) => v["text_countries"] = w,
                None => put(v, "text_countries", None),
            }
        }
        "hours" => {
            let mut hours = json!({});
            for (key, day) in DAYS {
                let name = format!("hours.{key}");
                let text = get(form, &name).unwrap_or("closed");
                if let Err(e) = DayHours::parse(text) {
                    errors.push((name, format!("{day}: {e}")));
                }
                hours[key] = json!(text);
            }
            v["hours"] = hours;
        }
        "closures" | "faqs" | "policies" => {
            let (keys, needed): (&[&str], &str) = match section {
                "closures" => (&["date", "note", "hours"], "date"),
                "faqs" => (&["q", "a"], ""),
                _ => (&["topic", "text"], ""),
            };
            let list: Vec<Value> = rows(form, section)
                .into_iter()
                .filter(|r| {
                    if needed.is_empty() {
                        keys.iter()
                            .any(|k| r.get(*k).is_some_and(|x| !x.is_empty()))
                    } else {
                        r.get(needed).is_some_and(|x| !x.is_empty())
                    }
                })
                .map(|r| {
                    let mut o = json!({});
                    for k in keys {
                        // A list entry's required fields are kept even when empty, so the
                        // profile's check names them.
                        let text = r.get(*k).map(String::as_str).unwrap_or("");
                        if text.is_empty() && section == "closures" {
                            continue;
                        }
                        o[*k] = json!(text);
                    }
                    o
                })
                .collect();
            v[section] = json!(list);
        }
        "persona" => {
            let mut persona = v.get("persona").cloned().unwrap_or_else(|| json!({}));
            put(&mut persona, "agent_name", get(form, "persona.agent_name"));
            put(&mut persona, "greeting", get(form, "persona.greeting"));
            put(&mut persona, "tone", get(form, "persona.tone"));
            v["persona"] = persona;
            v["calls"] = json!({
                "mode": get(form, "calls.mode").unwrap_or("gather"),
                "record": get(form, "calls.record") == Some("true"),
            });
        }
        "emergency" => match get(form, "emergency.message") {
            None => put(v, "emergency", None),
            Some(m) => {
                let mut e = json!({"message": m, "action": get(form, "emergency.action").unwrap_or("transfer")});
                if let Some(w) = words(get(form, "emergency.keywords")) {
                    e["keywords"] = w;
                }
                v["emergency"] = e;
            }
        },
        _ => {}
    }
    errors
}

/// Saves a section: managers and owners, with the session's form token; the profile checked
/// as any upload, saved and audited in one transaction.
pub async fn save(
    State(st): State<AppState>,
    signed: Signed,
    rid: RequestId,
    Path(section): Path<String>,
    Query(q): Query<Q>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    if !signed.form_ok(get(&form, "csrf").unwrap_or("")) {
        return expired();
    }
    if !SECTIONS.iter().any(|(id, _)| *id == section) {
        return not_found();
    }
    let r: Result<Response, ApiError> = async {
        let key = q.b.as_deref().unwrap_or("");
        signed.principal.business(&st, key, Role::Manager).await?;
        let Some(scope) = chosen(&st, &signed, Some(key)).await? else {
            return Ok(not_found());
        };
        let business = &scope.business;
        let current = &scope.loaded.profile;
        let (candidate, value, yaml, mut errors) = if section == "yaml" {
            let text = form
                .iter()
                .find(|(k, _)| k == "yaml")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let r = Profile::from_yaml(&text).map_err(|e| {
                let at = match (e.line, e.path.is_empty()) {
                    (Some(l), false) => format!("line {l}, {}: ", e.path),
                    (Some(l), true) => format!("line {l}: "),
                    (None, false) => format!("{}: ", e.path),
                    (None, true) => String::new(),
                };
                ("yaml".to_owned(), format!("{at}{}", e.message))
            });
            let value = serde_json::to_value(current).unwrap_or_default();
            (r, value, Some(text), Vec::new())
        } else {
            let mut value =
                serde_json::to_value(current).map_err(|e| ApiError::Internal(e.to_string()))?;
            let errors = apply(&section, &form, &mut value);
            let r = Profile::from_json_value(value.clone()).map_err(|e| (e.path, e.message));
            (r, value, None, errors)
        };
        let profile = match candidate {
            Ok(p) if errors.is_empty() => p,
            Ok(_) => return again(&st, &signed, &scope, section, value, yaml, errors).await,
            Err((path, message)) => {
                if !errors.iter().any(|(p, _)| *p == path) {
                    errors.push((field_of(&path, &section, &form), message));
                }
                return again(&st, &signed, &scope, section, value, yaml, errors).await;
            }
        };
        if profile.slug.as_str() != business.slug {
            let e = (
                "yaml".to_owned(),
                format!(
                    "slug: this is {}'s profile; its slug must stay {:?}",
                    business.name, business.slug
                ),
            );
            return again(&st, &signed, &scope, section, value, yaml, vec![e]).await;
        }
        let mut tx = st.db.begin().await?;
        tx.tenant(&business.id)
            .put_profile(&profile, now_ms())
            .await?;
        audit(
            &mut tx,
            &signed.principal.actor(),
            &rid,
            Some(&business.id),
            "profile.put",
            ("business", business.id.as_str()),
            json!({"slug": business.slug, "section": section, "via": "dashboard"}),
        )
        .await?;
        tx.commit().await?;
        Ok(Redirect::to(&format!(
            "/app/settings?b={}&done={section}#{section}",
            business.slug
        ))
        .into_response())
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refused(e),
    }
}

/// The input a profile error's path belongs to: the input of that name when the form has one,
/// else the section as a whole (`""`), or the YAML box.
fn field_of(path: &str, section: &str, form: &[(String, String)]) -> String {
    if section == "yaml" {
        return "yaml".to_owned();
    }
    let mut p = path;
    loop {
        if form.iter().any(|(k, _)| k == p) {
            return p.to_owned();
        }
        match p.rfind(['.', '[']) {
            Some(i) => p = &p[..i],
            None => return String::new(),
        }
    }
}

/// The settings page again, the section as it was filled, with its messages.
async fn again(
    st: &AppState,
    signed: &Signed,
    scope: &Scope,
    section: String,
    value: Value,
    yaml: Option<String>,
    mut errors: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    // A message whose path names no input of the form is said at the section's top, with it.
    for (p, m) in &mut errors {
        if p.is_empty() {
            continue;
        }
        if section == "yaml" && p != "yaml" {
            *m = format!("{p}: {m}");
            *p = "yaml".to_owned();
        }
    }
    let failed = Failed {
        section,
        value,
        yaml,
        errors,
    };
    render(st, signed, scope, None, Some(&failed)).await
}

/// The profile as a YAML file to download (any member: it is what the agent says).
pub async fn export(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    match chosen(&st, &signed, q.b.as_deref()).await {
        Ok(Some(scope)) => yaml_file(&scope.business, &scope.loaded.profile),
        Ok(None) => not_found(),
        Err(e) => refused(e),
    }
}

fn yaml_file(business: &Business, profile: &Profile) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.yaml\"", business.slug),
            ),
        ],
        profile.to_yaml(),
    )
        .into_response()
}
