//! Business settings: the profile in forms, a section at a time (details, hours, closures,
//! services, staff, booking rules, units, prices by occupancy, promotions, the menu with its
//! items' options and the ordering rules, FAQs, policies, persona and calls, emergencies), the whole of it as YAML (everything, in the
//! spec's own form, for what no form shows, such as a staff member's own hours), and its
//! export. Managers and owners change it; every other member sees it without the controls.
//!
//! Each input is named by the profile path it fills (`hours.tue`, `faqs[2].q`), so a form
//! becomes the profile's JSON with the owner's text as typed, and the profile's own checks (the
//! same as an upload's through the API) name the path of what is wrong: the message goes beside
//! the input of that name, the form is shown again as it was filled, and nothing is saved.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
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
const SECTIONS: [(&str, &str); 15] = [
    ("details", "Business details"),
    ("hours", "Opening hours"),
    ("closures", "Closures and holidays"),
    ("services", "Services"),
    ("staff", "Staff"),
    ("booking", "Booking rules"),
    ("units", "Storage units"),
    ("pricing_rules", "Prices by occupancy"),
    ("promotions", "Promotions"),
    ("menu", "Menu and ordering"),
    ("faqs", "Questions and answers"),
    ("policies", "Policies"),
    ("persona", "Persona and calls"),
    ("emergency", "Emergencies"),
    ("yaml", "Everything, as YAML"),
];

/// Blank rows offered for adding to a list.
const BLANK_ROWS: usize = 1;

/// How a list entry's field is typed in and stored.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A line of text.
    Text,
    /// Several lines.
    Prose,
    /// A number (stored as one when it reads as one; otherwise as typed, for the profile's
    /// check to name).
    Number,
    /// An amount of money: stored as a number, shown as one writes it (12.50, 149).
    Money,
    /// A share, typed as a percentage (90) and stored as a fraction (0.9).
    Percent,
    /// Words separated by commas, stored as a list.
    Words,
    /// A yes or no, as a checkbox.
    Flag,
}

/// One field of a list's entries: its key in the profile, its label, how it is typed, a hint.
struct Col(&'static str, &'static str, Kind, Option<&'static str>);

/// A list of the profile edited as rows: its key, what one row is called, the hint above it,
/// the field whose emptiness removes a row (none: all of them empty), and its fields.
struct List {
    key: &'static str,
    one: &'static str,
    hint: &'static str,
    keeps: Option<&'static str>,
    cols: &'static [Col],
    /// Each entry may keep its own opening hours (a staff member's week), edited by day.
    own_hours: bool,
}

const LISTS: [List; 8] = [
    List {
        key: "closures",
        one: "closure",
        hint: "A day the business is closed, or keeps other hours. Clear a row's date to remove it.",
        keeps: Some("date"),
        cols: &[
            Col("date", "Date", Kind::Text, Some("Such as 2026-12-25.")),
            Col("note", "Why", Kind::Text, None),
            Col(
                "hours",
                "Hours kept that day",
                Kind::Text,
                Some("Empty: closed all day."),
            ),
        ],
        own_hours: false,
    },
    List {
        key: "services",
        one: "service",
        hint: "What can be booked, and for how long. Clear a row's name to remove it.",
        keeps: Some("name"),
        cols: &[
            Col("name", "Name", Kind::Text, None),
            Col("duration_min", "Minutes", Kind::Number, None),
            Col(
                "price",
                "Price",
                Kind::Money,
                Some("A number, such as 149 or 79.50; empty for none."),
            ),
            Col(
                "price_note",
                "About the price",
                Kind::Text,
                Some("Such as: plus parts."),
            ),
            Col("description", "Description", Kind::Prose, None),
        ],
        own_hours: false,
    },
    List {
        key: "staff",
        one: "staff member",
        hint: "Who does the work, and their own hours when they differ from the business's. Clear a row's name to remove it.",
        keeps: Some("name"),
        cols: &[
            Col("name", "Name", Kind::Text, None),
            Col(
                "services",
                "Services they do",
                Kind::Words,
                Some("Service names, separated by commas; empty: all of them."),
            ),
        ],
        own_hours: true,
    },
    List {
        key: "units",
        one: "unit type",
        hint: "The storage units rented. How many are free is kept by the bookings; clear a row's type to remove it.",
        keeps: Some("type"),
        cols: &[
            Col("type", "Type", Kind::Text, Some("Such as 10x10.")),
            Col("width_ft", "Width (ft)", Kind::Number, None),
            Col("depth_ft", "Depth (ft)", Kind::Number, None),
            Col("monthly_rate", "Monthly rate", Kind::Money, None),
            Col("total", "How many", Kind::Number, None),
            Col("climate_controlled", "Climate controlled", Kind::Flag, None),
            Col("drive_up", "Drive-up", Kind::Flag, None),
        ],
        own_hours: false,
    },
    List {
        key: "pricing_rules",
        one: "rule",
        hint: "Street rates follow occupancy: above a share of units taken, every rate changes by a percentage (negative for a discount). Clear both to remove one.",
        keeps: None,
        cols: &[
            Col(
                "when_occupancy_above",
                "When more than this is taken (%)",
                Kind::Percent,
                Some("Such as 90."),
            ),
            Col(
                "adjust_percent",
                "Rates change by (%)",
                Kind::Number,
                Some("Such as 8, or -10 for a discount."),
            ),
        ],
        own_hours: false,
    },
    List {
        key: "promotions",
        one: "promotion",
        hint: "Offers the agent tells callers about, as written. Clear a row's name to remove it.",
        keeps: Some("name"),
        cols: &[
            Col(
                "name",
                "Name",
                Kind::Text,
                Some("Such as First month for $1."),
            ),
            Col(
                "applies_to",
                "For",
                Kind::Words,
                Some("Unit types, services or menu items, separated by commas; empty: everything."),
            ),
            Col("description", "What it is", Kind::Prose, None),
            Col(
                "valid_until",
                "Until",
                Kind::Text,
                Some("The last day, such as 2027-01-31; empty: no end."),
            ),
        ],
        own_hours: false,
    },
    List {
        key: "faqs",
        one: "question",
        hint: "The agent answers these questions, however they are put. Clear both to remove one.",
        keeps: None,
        cols: &[
            Col("q", "Question", Kind::Text, None),
            Col("a", "Answer", Kind::Prose, None),
        ],
        own_hours: false,
    },
    List {
        key: "policies",
        one: "policy",
        hint: "Cancellations, deposits, warranties: said as written. Clear both to remove one.",
        keeps: None,
        cols: &[
            Col("topic", "Topic", Kind::Text, None),
            Col("text", "Policy", Kind::Prose, None),
        ],
        own_hours: false,
    },
];

fn list_of(section: &str) -> Option<&'static List> {
    LISTS.iter().find(|l| l.key == section)
}

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
    let may = scope.may(st, signed, Role::Manager).await?;
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
            @for (id, h) in SECTIONS.iter().filter(|(id, _)| shown(id, profile)) { a href={ "#" (id) } { (h) } }
        }
        @for (id, heading) in SECTIONS.into_iter().filter(|(id, _)| shown(id, profile)) {
            @let mine = failed.filter(|f| f.section == id);
            @let v = mine.map(|f| &f.value).unwrap_or(&saved);
            @let errors = mine.map(|f| f.errors.as_slice()).unwrap_or(&[]);
            section.card.settings #(id) aria-labelledby={ (id) "-h" } {
                h2 #{ (id) "-h" } { (heading) }
                form.stack method="post" action={ "/app/settings/" (id) "?b=" (slug) } enctype=[(id == "yaml").then_some("multipart/form-data")] novalidate {
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

/// Whether a section is for this business: storage units for a self-storage facility (or one
/// that has units), services and staff for one that books (or has them).
fn shown(section: &str, p: &Profile) -> bool {
    use frontdesk_engine::profile::BusinessKind;
    match section {
        "units" => p.kind == BusinessKind::SelfStorage || !p.units.is_empty(),
        "menu" => {
            matches!(p.kind, BusinessKind::Restaurant | BusinessKind::Retail) || !p.menu.is_empty()
        }
        "pricing_rules" => p.kind == BusinessKind::SelfStorage || !p.pricing_rules.is_empty(),
        "services" | "staff" | "booking" => {
            matches!(p.kind, BusinessKind::Appointments | BusinessKind::Other)
                || !p.services.is_empty()
                || !p.staff.is_empty()
        }
        _ => true,
    }
}

/// The message for input `name`, if any.
fn error_for<'a>(errors: &'a [(String, String)], name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(p, _)| p == name)
        .map(|(_, m)| m.as_str())
}

/// The value at `path` in the profile's JSON (`menu[1].options[0].choices`), or null.
fn value_at<'a>(v: &'a Value, path: &str) -> &'a Value {
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
    cur
}

/// A text at `path` in the profile's JSON (numbers and lists of words as typed).
fn text_at(v: &Value, path: &str) -> String {
    match value_at(v, path) {
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

/// A labelled checkbox named `path`.
fn flag(v: &Value, path: &str, label: &str) -> Markup {
    let id = dom_id(path);
    html! {
        div.field.check {
            input id=(id) type="checkbox" name=(path) value="true" checked[text_at(v, path) == "true"];
            label for=(id) { (label) }
        }
    }
}

/// "Staff member" from "staff member".
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
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
            (input(v, errors, "currency", "Currency", Some("Its three-letter code, such as USD or EUR.")))
            (input(v, errors, "locale", "Language and region", Some("Such as en-US.")))
        },
        "booking" => html! {
            p.hint.muted { "How appointments are offered. Empty: the usual (every 30 minutes, from an hour ahead, up to 60 days ahead, no gap between)." }
            (input(v, errors, "booking.slot_step_min", "Offer a time every (minutes)", None))
            (input(v, errors, "booking.min_notice_min", "Book at least this far ahead (minutes)", None))
            (input(v, errors, "booking.max_days_ahead", "Book at most this far ahead (days)", None))
            (input(v, errors, "booking.buffer_min", "Gap after each appointment (minutes)", None))
            (input(v, errors, "booking.change_notice_min", "Customers may move or cancel by their link until this long before (minutes)", Some("0: until it starts. Closer than this, the page asks them to call.")))
        },
        "hours" => {
            // A day the profile leaves out is closed, and says so.
            let mut v = v.clone();
            for (key, _) in DAYS {
                if v["hours"][key].is_null() {
                    v["hours"][key] = json!("closed");
                }
            }
            let country = v["holidays"]["country"].as_str().unwrap_or("").to_owned();
            if let Some(open) = v["holidays"]["open"].as_array() {
                let dates: Vec<&str> = open.iter().filter_map(Value::as_str).collect();
                v["holidays"]["open"] = json!(dates.join(", "));
            }
            html! {
                p.hint.muted { "Times in 24-hour form, such as 08:00-12:00, 13:00-17:00; or closed." }
                div.days {
                    @for (key, day) in DAYS {
                        (input(&v, errors, &format!("hours.{key}"), day, None))
                    }
                }
                label for="holidays-country" { "Closed on the public holidays of" }
                select #holidays-country name="holidays.country" {
                    option value="" { "No country (only the closures you list)" }
                    @for (code, name) in HOLIDAY_COUNTRIES {
                        option value=(code) selected[country == code] { (name) }
                    }
                }
                (input(&v, errors, "holidays.open", "Holidays you open anyway", Some("Dates such as 2026-11-27, separated by commas.")))
            }
        }
        list if list_of(list).is_some() => {
            let Some(l) = list_of(list) else {
                return html! {};
            };
            let n = rows_of(v, l.key);
            let mut v = v.clone();
            for Col(key, _, kind, _) in l.cols {
                for i in 0..n {
                    let path = format!("{}[{i}].{key}", l.key);
                    match kind {
                        Kind::Money => as_money(&mut v, &path),
                        Kind::Percent => as_percent(&mut v, &path),
                        _ => {}
                    }
                }
            }
            let v = &v;
            html! {
                p.hint.muted { (l.hint) }
                @for i in 0..n {
                    fieldset.row-group {
                        legend {
                            @if i < n - BLANK_ROWS { (capitalised(l.one)) " " (i + 1) }
                            @else { "Add a " (l.one) }
                        }
                        @for Col(key, label, kind, hint) in l.cols {
                            @let path = format!("{}[{i}].{key}", l.key);
                            @match kind {
                                Kind::Prose => (area(v, errors, &path, label)),
                                Kind::Flag => (flag(v, &path, label)),
                                _ => (input(v, errors, &path, label, *hint)),
                            }
                        }
                        @if l.own_hours {
                            @let prefix = format!("{}[{i}].hours", l.key);
                            details.options open[!value_at(v, &prefix).is_null() || errors.iter().any(|(p, _)| p.starts_with(&prefix))] {
                                summary { "Their own hours" }
                                p.hint.muted { "Empty: the business's hours. Fill the days they work, such as 08:00-16:00; a day left empty is then a day off." }
                                div.days {
                                    @for (day, name) in DAYS {
                                        (input(v, errors, &format!("{prefix}.{day}"), name, None))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        "menu" => menu_fields(v, errors),
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
                p.hint.muted { "Services, staff, units, the menu with its options, pricing: the whole profile in its file form. Paste a profile here, or choose its file below, to import it." }
                div.field {
                    label for="profile-yaml" { "The profile" }
                    textarea.code #profile-yaml name="yaml" rows="18" spellcheck="false"
                        aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "profile-yaml-note")] { (text) }
                    @if let Some(m) = err { p.field-error #profile-yaml-note { (m) } }
                }
                div.field {
                    label for="profile-file" { "Or import a profile file" }
                    input #profile-file type="file" name="yaml_file" accept=".yaml,.yml,application/yaml,text/yaml,text/plain" aria-describedby="profile-file-note";
                    p.hint.muted #profile-file-note { "A file chosen here is saved instead of the text above, after the same checks." }
                }
            }
        }
        _ => html! {},
    }
}

/// The countries whose public holidays a business may close on, as the select offers them.
const HOLIDAY_COUNTRIES: [(&str, &str); 4] = [
    ("US", "the United States"),
    ("CA", "Canada"),
    ("GB", "the United Kingdom (England and Wales)"),
    ("AU", "Australia"),
];

fn get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    super::form_value(form, name)
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
                "currency",
                "locale",
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
            match get(form, "holidays.country") {
                None => {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("holidays");
                    }
                }
                Some(country) => {
                    let open: Vec<&str> = get(form, "holidays.open")
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .collect();
                    v["holidays"] = json!({"country": country, "open": open});
                }
            }
        }
        list if list_of(list).is_some() => {
            let Some(l) = list_of(list) else {
                return errors;
            };
            let before = v[l.key].as_array().cloned().unwrap_or_default();
            let list: Vec<Value> = rows(form, l.key)
                .into_iter()
                .filter(|r| {
                    let filled = |k: &str| r.get(k).is_some_and(|x| !x.is_empty());
                    match l.keeps {
                        Some(k) => filled(k),
                        None => l.cols.iter().any(|c| filled(c.0)),
                    }
                })
                .enumerate()
                .map(|(n, r)| {
                    let mut o = json!({});
                    for Col(k, _, kind, _) in l.cols {
                        let text = r.get(*k).map(String::as_str).unwrap_or("");
                        match kind {
                            Kind::Flag => o[*k] = json!(text == "true"),
                            // An empty optional field is left out; an empty required one the
                            // profile's check names.
                            _ if text.is_empty() && l.keeps.is_some() => {}
                            Kind::Percent => {
                                o[*k] = match text.trim_end_matches('%').trim().parse::<f64>() {
                                    Ok(p) if (0.0..=100.0).contains(&p) => json!(p / 100.0),
                                    _ => {
                                        errors.push((
                                            format!("{}[{n}].{k}", l.key),
                                            format!("{text:?}: a percentage between 0 and 100, such as 90"),
                                        ));
                                        json!(text)
                                    }
                                };
                            }
                            Kind::Number | Kind::Money => {
                                o[*k] = text
                                    .parse::<u64>()
                                    .map(|n| json!(n))
                                    .or_else(|_| text.parse::<f64>().map(|n| json!(n)))
                                    .unwrap_or_else(|_| json!(text));
                            }
                            Kind::Words => {
                                if let Some(w) = words(Some(text)) {
                                    o[*k] = w;
                                }
                            }
                            _ => o[*k] = json!(text),
                        }
                    }
                    let days_sent = DAYS
                        .iter()
                        .any(|(day, _)| r.contains_key(&format!("hours.{day}")));
                    if l.own_hours && !days_sent {
                        // A form without the days (sent by a page from before they were shown)
                        // keeps the entry's own hours as they were; matched by name.
                        if let Some(old) = before.iter().find(|b| b["name"] == o["name"])
                            && !old["hours"].is_null()
                        {
                            o["hours"] = old["hours"].clone();
                        }
                    } else if l.own_hours {
                        let mut week = serde_json::Map::new();
                        for (day, name) in DAYS {
                            let Some(text) =
                                r.get(&format!("hours.{day}")).filter(|t| !t.is_empty())
                            else {
                                continue;
                            };
                            if let Err(e) = DayHours::parse(text) {
                                errors.push((
                                    format!("{}[{n}].hours.{day}", l.key),
                                    format!("{name}: {e}"),
                                ));
                            }
                            week.insert(day.to_owned(), json!(text));
                        }
                        if !week.is_empty() {
                            o["hours"] = Value::Object(week);
                        }
                    }
                    o
                })
                .collect();
            v[l.key] = json!(list);
        }
        "menu" => apply_menu(form, v, &mut errors),
        "booking" => {
            let mut booking = json!({});
            for key in [
                "slot_step_min",
                "min_notice_min",
                "max_days_ahead",
                "buffer_min",
                "change_notice_min",
            ] {
                if let Some(t) = get(form, &format!("booking.{key}")) {
                    booking[key] = t.parse::<u64>().map_or_else(|_| json!(t), |n| json!(n));
                }
            }
            v["booking"] = booking;
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
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = super::form_fields(&headers, body).await;
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
            // A file chosen is imported instead of the text box.
            let text = super::form_value(&form, "yaml_file")
                .or_else(|| super::form_value(&form, "yaml"))
                .unwrap_or_default()
                .to_owned();
            let r = Profile::from_yaml(&text)
                .map_err(|e| ("yaml".to_owned(), super::profile_problem(&e)));
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

/// The menu section: how orders are taken (pickup, delivery, its fee, the smallest order, the
/// time to prepare), then each item with its name, price and category, and its options (size,
/// crust…) each with its choices and their extra charges, one blank item and one blank option
/// per item for adding.
fn menu_fields(v: &Value, errors: &[(String, String)]) -> Markup {
    let items = rows_of(v, "menu");
    let mut v = v.clone();
    as_money(&mut v, "ordering.delivery_fee");
    as_money(&mut v, "ordering.min_order");
    for i in 0..items {
        as_money(&mut v, &format!("menu[{i}].price"));
    }
    let v = &v;
    html! {
        fieldset.row-group {
            legend { "Orders" }
            (flag(v, "ordering.pickup", "Orders can be picked up"))
            (flag(v, "ordering.delivery", "Orders can be delivered"))
            (input(v, errors, "ordering.delivery_fee", "Delivery fee", Some("A number, such as 3.99; empty for none.")))
            (input(v, errors, "ordering.min_order", "Smallest order", Some("Empty for none.")))
            (input(v, errors, "ordering.prep_minutes", "Minutes to prepare an order", None))
        }
        p.hint.muted { "What can be ordered. Clear an item's name to remove it, an option's name to remove the option." }
        @for i in 0..items {
            @let item = format!("menu[{i}]");
            @let options = v["menu"][i]["options"].as_array().map_or(0, Vec::len) + BLANK_ROWS;
            fieldset.row-group {
                legend {
                    @if i < items - BLANK_ROWS { "Item " (i + 1) } @else { "Add an item" }
                }
                (input(v, errors, &format!("{item}.name"), "Name", None))
                (input(v, errors, &format!("{item}.price"), "Price", Some("A number, such as 12.50.")))
                (input(v, errors, &format!("{item}.category"), "Category", Some("Such as Pizza or Drinks.")))
                details.options open[errors.iter().any(|(p, _)| p.starts_with(&format!("{item}.options")))] {
                    summary { "Options" @if options > BLANK_ROWS { " (" (options - BLANK_ROWS) ")" } }
                    @for j in 0..options {
                        @let option = format!("{item}.options[{j}]");
                        fieldset.row-group.nested {
                            legend {
                                @if j < options - BLANK_ROWS { "Option " (j + 1) } @else { "Add an option" }
                            }
                            (input(v, errors, &format!("{option}.name"), "Option", Some("Such as size or crust.")))
                            (choices_input(v, errors, &format!("{option}.choices")))
                            (input(v, errors, &format!("{option}.default"), "Unless the customer says", Some("One of the choices; empty: the customer is asked.")))
                        }
                    }
                }
            }
        }
    }
}

/// The choices of an option as the owner types them: names separated by commas, each with its
/// extra charge after a plus sign ("small, medium +3, large +6").
fn choices_input(v: &Value, errors: &[(String, String)], path: &str) -> Markup {
    let text = match value_at(v, path) {
        Value::Object(m) => m
            .iter()
            .map(|(name, extra)| match extra.as_f64() {
                Some(x) if x != 0.0 => format!("{name} +{}", money_text(x)),
                _ => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let mut shown = v.clone();
    // The input helper reads the text at the path: put the choices there as typed.
    set_at(&mut shown, path, json!(text));
    input(
        &shown,
        errors,
        path,
        "Choices",
        Some("Separated by commas, each with its extra charge: small, medium +3, large +6."),
    )
}

/// An amount as an owner writes it: 3, or 2.50.
fn money_text(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Shows the amount at `path` as an owner writes it (a number there becomes its text).
fn as_money(v: &mut Value, path: &str) {
    if let Some(x) = value_at(v, path).as_f64() {
        set_at(v, path, json!(money_text(x)));
    }
}

/// Shows the fraction at `path` as a percentage (0.9 as 90).
fn as_percent(v: &mut Value, path: &str) {
    if let Some(x) = value_at(v, path).as_f64() {
        let p = format!("{:.4}", x * 100.0);
        let p = p.trim_end_matches('0').trim_end_matches('.').to_owned();
        set_at(v, path, json!(p));
    }
}

/// Sets the value at a profile path (`menu[1].options[0].choices`) when its parents exist.
fn set_at(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (*part, None),
        };
        let last = n + 1 == parts.len();
        if last && index.is_none() {
            if let Some(o) = cur.as_object_mut() {
                o.insert(key.to_owned(), new);
            }
            return;
        }
        let Some(next) = cur.get_mut(key) else {
            return;
        };
        cur = match index {
            Some(i) => match next.get_mut(i) {
                Some(x) => x,
                None => return,
            },
            None => next,
        };
        if last {
            *cur = new;
            return;
        }
    }
}

/// Reads typed choices: each name, then an optional extra charge ("+3", "+ 2.50", "$1").
fn parse_choices(text: &str) -> Result<serde_json::Map<String, Value>, String> {
    let mut out = serde_json::Map::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, extra) = match part.rsplit_once(['+', '$']) {
            Some((name, amount)) => {
                let amount = amount.trim().trim_start_matches('$');
                let x: f64 = amount.parse().map_err(|_| {
                    format!("{part:?}: the extra charge should be a number, such as +3 or +2.50")
                })?;
                (name.trim().trim_end_matches(['+', '$']).trim(), x)
            }
            None => (part, 0.0),
        };
        if name.is_empty() {
            return Err(format!("{part:?}: each choice needs a name"));
        }
        if out.contains_key(name) {
            return Err(format!("{name:?} is there twice"));
        }
        out.insert(name.to_owned(), json!(extra));
    }
    if out.is_empty() {
        return Err("an option needs at least one choice".into());
    }
    Ok(out)
}

/// Applies the menu section's form: the ordering rules, the items in order, each with its
/// options (an item without a name, or an option without one, is removed).
fn apply_menu(form: &[(String, String)], v: &mut Value, errors: &mut Vec<(String, String)>) {
    let number = |text: &str| {
        text.parse::<u64>()
            .map(|n| json!(n))
            .or_else(|_| text.parse::<f64>().map(|n| json!(n)))
            .unwrap_or_else(|_| json!(text))
    };
    let mut ordering = json!({
        "pickup": get(form, "ordering.pickup") == Some("true"),
        "delivery": get(form, "ordering.delivery") == Some("true"),
    });
    for key in ["delivery_fee", "min_order", "prep_minutes"] {
        if let Some(t) = get(form, &format!("ordering.{key}")) {
            ordering[key] = number(t);
        }
    }
    let had_ordering = !v["ordering"].is_null();
    let empty = ordering
        .as_object()
        .is_some_and(|o| o.len() == 2 && o.values().all(|x| *x == json!(false)));
    if had_ordering || !empty {
        v["ordering"] = ordering;
    }
    let mut items = Vec::new();
    for row in rows(form, "menu") {
        let text = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
        if text("name").is_empty() {
            continue;
        }
        // Messages name the item by its place in the list as saved (and shown again).
        let n = items.len();
        let mut item = json!({"name": text("name"), "price": number(text("price"))});
        if text("price").is_empty() {
            item["price"] = json!("");
        }
        if !text("category").is_empty() {
            item["category"] = json!(text("category"));
        }
        let fields: Vec<(String, String)> =
            row.iter().map(|(k, x)| (k.clone(), x.clone())).collect();
        let mut options = Vec::new();
        for o in rows(&fields, "options") {
            let t = |k: &str| o.get(k).map(String::as_str).unwrap_or("");
            if t("name").is_empty() {
                continue;
            }
            let path = format!("menu[{n}].options[{}]", options.len());
            let mut option = json!({"name": t("name")});
            match parse_choices(t("choices")) {
                Ok(c) => option["choices"] = Value::Object(c),
                Err(e) => {
                    option["choices"] = json!(t("choices"));
                    errors.push((format!("{path}.choices"), e));
                }
            }
            if !t("default").is_empty() {
                option["default"] = json!(t("default"));
            }
            options.push(option);
        }
        if !options.is_empty() {
            item["options"] = json!(options);
        }
        items.push(item);
    }
    if items.is_empty() {
        put(v, "menu", None);
    } else {
        v["menu"] = json!(items);
    }
}
