//! The agent's skills as a language model sees them: tool definitions in the Chat Completions
//! function-calling format, built from the business's own data (a service or menu item can only
//! be one the business has), the instructions that ground the model in the conversation so far
//! and in what retrieval found, and the reading of a tool call back into a [`Reading`] that the
//! deterministic flows act on. Nothing here talks to a network.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Map, Value, json};

use super::flows::Ask;
use super::{Context, Entities, Flow, Fulfillment, Reading, State, say, supported};
use crate::nlu::entities::{self, Line};
use crate::nlu::intent::Intent;
use crate::nlu::knowledge::Source;
use crate::nlu::text::words;
use crate::nlu::when::{AFTERNOON, EVENING, MORNING, When};
use crate::profile::{MenuItem, Profile, Tone};
use crate::types::{Email, PhoneE164};

/// A detail a tool can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Service,
    Unit,
    Date,
    Time,
    PartOfDay,
    Name,
    Phone,
    Email,
    Items,
    Fulfillment,
    Answer,
}

struct Tool {
    name: &'static str,
    /// The intent the tool stands for; `None` keeps the built-in reading's (details given for
    /// what is in progress).
    intent: Option<Intent>,
    about: &'static str,
    params: &'static [P],
}

const WHEN: [P; 3] = [P::Date, P::Time, P::PartOfDay];

const TOOLS: &[Tool] = &[
    Tool {
        name: "greeting",
        intent: Some(Intent::Greeting),
        about: "The caller only says hello or makes small talk.",
        params: &[],
    },
    Tool {
        name: "opening_hours",
        intent: Some(Intent::Hours),
        about: "Opening hours, or whether the business is open now or on a given day.",
        params: &[P::Date],
    },
    Tool {
        name: "location",
        intent: Some(Intent::Location),
        about: "Where the business is: address, directions, parking.",
        params: &[],
    },
    Tool {
        name: "prices",
        intent: Some(Intent::Prices),
        about: "What something costs: a service, a unit, a menu item.",
        params: &[P::Service, P::Unit],
    },
    Tool {
        name: "availability",
        intent: Some(Intent::Availability),
        about: "Whether there are free appointment times or units, without booking yet.",
        params: &[P::Service, P::Unit, P::Date, P::Time, P::PartOfDay],
    },
    Tool {
        name: "book_appointment",
        intent: Some(Intent::Book),
        about: "The caller wants to book an appointment or a visit.",
        params: &[
            P::Service,
            P::Date,
            P::Time,
            P::PartOfDay,
            P::Name,
            P::Phone,
            P::Email,
        ],
    },
    Tool {
        name: "reschedule_appointment",
        intent: Some(Intent::Reschedule),
        about: "The caller wants to move an appointment they already have.",
        params: &WHEN,
    },
    Tool {
        name: "cancel_appointment",
        intent: Some(Intent::Cancel),
        about: "The caller wants to cancel an appointment they have.",
        params: &[],
    },
    Tool {
        name: "check_booking",
        intent: Some(Intent::CheckBooking),
        about: "The caller asks when their appointment is, or whether they have one.",
        params: &[],
    },
    Tool {
        name: "unit_sizes",
        intent: Some(Intent::UnitSizes),
        about: "Which storage unit sizes exist, or what size fits what the caller wants to store.",
        params: &[P::Unit],
    },
    Tool {
        name: "reserve_unit",
        intent: Some(Intent::ReserveUnit),
        about: "The caller wants to rent or reserve a storage unit (date: move-in day).",
        params: &[P::Unit, P::Date, P::Name, P::Phone],
    },
    Tool {
        name: "place_order",
        intent: Some(Intent::Order),
        about: "The caller wants to order food or add items to an order.",
        params: &[P::Items, P::Fulfillment, P::Name, P::Phone],
    },
    Tool {
        name: "change_order",
        intent: Some(Intent::ChangeOrder),
        about: "The caller wants to change or cancel an order already placed.",
        params: &[],
    },
    Tool {
        name: "order_status",
        intent: Some(Intent::OrderStatus),
        about: "The caller asks where their order is or when it will be ready.",
        params: &[],
    },
    Tool {
        name: "answer_question",
        intent: Some(Intent::Faq),
        about: "Any other question about the business: policies, payment, deposits, what it does.",
        params: &[],
    },
    Tool {
        name: "take_message",
        intent: Some(Intent::LeaveMessage),
        about: "The caller wants to leave a message for the owner or staff.",
        params: &[P::Name, P::Phone],
    },
    Tool {
        name: "transfer_to_human",
        intent: Some(Intent::Human),
        about: "The caller asks for a person, a manager or the owner.",
        params: &[],
    },
    Tool {
        name: "emergency",
        intent: Some(Intent::Emergency),
        about: "Danger to people or property happening now (flooding, fire, gas, injury).",
        params: &[],
    },
    Tool {
        name: "complaint",
        intent: Some(Intent::Complaint),
        about: "The caller is unhappy with something the business did.",
        params: &[],
    },
    Tool {
        name: "answer_yes_or_no",
        intent: Some(Intent::Yes),
        about: "The caller answers a yes-or-no question, such as confirming the details read back.",
        params: &[P::Answer],
    },
    Tool {
        name: "repeat",
        intent: Some(Intent::Repeat),
        about: "The caller did not hear or asks to repeat the last reply.",
        params: &[],
    },
    Tool {
        name: "thanks",
        intent: Some(Intent::Thanks),
        about: "The caller says thank you, without ending the conversation.",
        params: &[],
    },
    Tool {
        name: "goodbye",
        intent: Some(Intent::Goodbye),
        about: "The caller ends the conversation.",
        params: &[],
    },
    Tool {
        name: "out_of_scope",
        intent: Some(Intent::OutOfScope),
        about: "Something this business does not deal with.",
        params: &[],
    },
    Tool {
        name: "give_details",
        intent: None,
        about: "The caller gives details for what is in progress (a day, a time, a name, a \
                number, a size, items) without a new request.",
        params: &[
            P::Service,
            P::Unit,
            P::Date,
            P::Time,
            P::PartOfDay,
            P::Name,
            P::Phone,
            P::Email,
            P::Items,
            P::Fulfillment,
        ],
    },
];

/// Whether the business has what a detail refers to.
fn has_param(p: &Profile, param: P) -> bool {
    match param {
        P::Service => !p.services.is_empty(),
        P::Unit => !p.units.is_empty(),
        P::Items => !p.menu.is_empty(),
        P::Fulfillment => p.ordering.is_some() && !p.menu.is_empty(),
        _ => true,
    }
}

fn offered(p: &Profile) -> impl Iterator<Item = &'static Tool> + '_ {
    TOOLS
        .iter()
        .filter(|t| t.intent.is_none_or(|i| supported(p, i)))
}

fn described(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn schema(p: &Profile, param: P) -> (&'static str, Value) {
    match param {
        P::Service => (
            "service",
            json!({"type": "string", "description": "The service, as the business names it.",
                   "enum": p.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()}),
        ),
        P::Unit => (
            "unit_type",
            json!({"type": "string", "description": "The unit size.",
                   "enum": p.units.iter().map(|u| u.unit_type.as_str()).collect::<Vec<_>>()}),
        ),
        P::Date => ("date", described("The day meant, as YYYY-MM-DD.")),
        P::Time => (
            "time",
            described("An exact time, as HH:MM on a 24-hour clock."),
        ),
        P::PartOfDay => (
            "part_of_day",
            json!({"type": "string", "enum": ["morning", "afternoon", "evening"]}),
        ),
        P::Name => ("name", described("The caller's name, as they said it.")),
        P::Phone => (
            "phone",
            described("A phone number the caller gave, digits only."),
        ),
        P::Email => ("email", described("An e-mail address the caller gave.")),
        P::Items => (
            "items",
            json!({"type": "array", "description": "Menu items the caller ordered.",
                   "items": {"type": "object", "properties": {
                       "item": {"type": "string", "enum": p.menu.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()},
                       "quantity": {"type": "integer", "minimum": 1, "maximum": 50},
                       "options": {"type": "object", "description": "Option name to the choice, e.g. {\"size\": \"large\"}.",
                                   "additionalProperties": {"type": "string"}}},
                       "required": ["item"], "additionalProperties": false}}),
        ),
        P::Fulfillment => (
            "fulfillment",
            json!({"type": "string", "enum": ["pickup", "delivery"]}),
        ),
        P::Answer => ("answer", json!({"type": "string", "enum": ["yes", "no"]})),
    }
}

/// The tools for this business, in the Chat Completions `tools` format: only the skills it
/// offers, with its own services, unit sizes and menu items as the allowed values.
pub fn definitions(p: &Profile) -> Value {
    let tools: Vec<Value> = offered(p)
        .map(|t| {
            let mut props = Map::new();
            let mut required = Vec::new();
            for &param in t.params.iter().filter(|&&x| has_param(p, x)) {
                let (name, s) = schema(p, param);
                props.insert(name.to_owned(), s);
                if param == P::Answer {
                    required.push(name);
                }
            }
            json!({"type": "function", "function": {
                "name": t.name,
                "description": t.about,
                "parameters": {"type": "object", "properties": props, "required": required,
                               "additionalProperties": false}}})
        })
        .collect();
    Value::Array(tools)
}

/// Why a tool call could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("no tool named {0:?} for this business")]
    Unknown(String),
    #[error("arguments are not a JSON object: {0}")]
    Arguments(String),
}

/// Reads a tool call into a [`Reading`]. Every value is checked against the data: a service,
/// unit or item the business does not have, an impossible or past date, a malformed phone
/// number or address is left out (the flow then asks for it), never passed on.
pub fn read(ctx: &Context, name: &str, arguments: &str) -> Result<Reading, ToolError> {
    let p = ctx.profile;
    let tool = offered(p)
        .find(|t| t.name == name)
        .ok_or_else(|| ToolError::Unknown(name.chars().take(64).collect()))?;
    let args: Map<String, Value> = if arguments.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(arguments) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(ToolError::Arguments("not an object".into())),
            Err(e) => return Err(ToolError::Arguments(e.to_string())),
        }
    };
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::trim);
    let allowed = |param: P| tool.params.contains(&param) && has_param(p, param);
    let mut e = Entities::default();
    if allowed(P::Service)
        && let Some(s) = text("service")
    {
        e.service = p
            .services
            .iter()
            .find(|x| x.name.as_str().eq_ignore_ascii_case(s))
            .or_else(|| entities::service(&words(s), &p.services))
            .map(|x| x.name.to_string());
    }
    if allowed(P::Unit)
        && let Some(u) = text("unit_type")
    {
        e.unit = entities::unit(&words(u), &p.units).map(|x| x.unit_type.clone());
    }
    let mut when = When::default();
    if allowed(P::Date)
        && let Some(d) = text("date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        let today = ctx.today();
        if d >= today && d <= today + Duration::days(400) {
            when.date = Some(d);
        }
    }
    if allowed(P::Time)
        && let Some(m) = text("time").and_then(clock)
    {
        when.time = Some(m);
    }
    if allowed(P::PartOfDay) && when.time.is_none() {
        when.window = match text("part_of_day") {
            Some("morning") => Some(MORNING),
            Some("afternoon") => Some(AFTERNOON),
            Some("evening") => Some(EVENING),
            _ => None,
        };
    }
    if !when.is_empty() {
        e.when = Some(when);
    }
    if allowed(P::Name)
        && let Some(n) = text("name")
        && (1..=60).contains(&n.chars().count())
        && n.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
    {
        e.name = Some(n.to_owned());
    }
    if allowed(P::Phone)
        && let Some(ph) = text("phone")
    {
        let cc = entities::country_code(&p.phone);
        e.phone = PhoneE164::parse(ph)
            .ok()
            .or_else(|| entities::phone(&words(ph), cc));
    }
    if allowed(P::Email)
        && let Some(m) = text("email")
    {
        e.email = Email::parse(m).ok();
    }
    if allowed(P::Items)
        && let Some(items) = args.get("items").and_then(Value::as_array)
    {
        e.items = items.iter().filter_map(|v| line(p, v)).collect();
    }
    if allowed(P::Fulfillment) {
        e.fulfillment = match text("fulfillment") {
            Some("pickup") => Some(Fulfillment::Pickup),
            Some("delivery") => Some(Fulfillment::Delivery),
            _ => None,
        };
    }
    let mut intent = tool.intent;
    if allowed(P::Answer) {
        match text("answer") {
            Some("yes") => e.yes = Some(true),
            Some("no") => {
                e.yes = Some(false);
                intent = Some(Intent::No);
            }
            _ => intent = None,
        }
    }
    Ok(Reading {
        intent,
        entities: e,
    })
}

/// "14:30" or "2:30 pm" as minutes after midnight.
fn clock(s: &str) -> Option<u32> {
    let s = s.to_ascii_lowercase();
    let (body, pm) = match s.trim_end_matches('.').strip_suffix("pm") {
        Some(b) => (b.trim(), Some(true)),
        None => match s.strip_suffix("am") {
            Some(b) => (b.trim(), Some(false)),
            None => (s.trim(), None),
        },
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.get(..2)?.parse::<u32>().ok()?),
        None => (body.parse::<u32>().ok()?, 0),
    };
    let h = match pm {
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// One ordered item, matched to the menu, with only the options and choices it has.
fn line(p: &Profile, v: &Value) -> Option<Line> {
    let name = v.get("item")?.as_str()?;
    let item: &MenuItem = p
        .menu
        .iter()
        .find(|m| m.name.as_str().eq_ignore_ascii_case(name))
        .or_else(|| entities::menu_item(&words(name), p))?;
    let quantity = v
        .get("quantity")
        .and_then(Value::as_u64)
        .filter(|q| (1..=50).contains(q))
        .unwrap_or(1) as u32;
    let mut options = Vec::new();
    if let Some(chosen) = v.get("options").and_then(Value::as_object) {
        for (k, c) in chosen {
            let Some(c) = c.as_str() else { continue };
            let opt = item
                .options
                .iter()
                .find(|o| o.name.as_str().eq_ignore_ascii_case(k))
                .or_else(|| {
                    item.options
                        .iter()
                        .find(|o| o.choices.0.iter().any(|(x, _)| x.eq_ignore_ascii_case(c)))
                });
            if let Some(o) = opt
                && let Some((choice, _)) =
                    o.choices.0.iter().find(|(x, _)| x.eq_ignore_ascii_case(c))
            {
                options.push((o.name.to_string(), choice.clone()));
            }
        }
    }
    Some(Line {
        item: item.name.to_string(),
        quantity,
        options,
    })
}

/// What the agent is waiting for, in words a model can act on.
fn situation(state: &State) -> String {
    let Some(flow) = &state.flow else {
        return "Nothing is in progress.".into();
    };
    let task = match flow {
        Flow::Book {
            moving: Some(_), ..
        } => "moving the caller's appointment",
        Flow::Book { .. } => "booking an appointment",
        Flow::Lookup { .. } => "looking up the caller's appointment or order",
        Flow::Reserve { .. } => "reserving a storage unit",
        Flow::Order { .. } => "taking an order",
        Flow::Message { .. } => "taking a message",
    };
    let asked = match flow.asking() {
        Some(Ask::Service) => "asked which service they need",
        Some(Ask::When) => "asked what day and time suit them",
        Some(Ask::Slot) => "offered free times and asked which one they want",
        Some(Ask::Name) => "asked for their name",
        Some(Ask::Phone) => "asked for a phone number",
        Some(Ask::Unit) => "asked which unit size they want",
        Some(Ask::Alternative) => "offered another size instead of a sold-out one",
        Some(Ask::MoveIn) => "asked for the move-in date",
        Some(Ask::Items) => "asked what they would like",
        Some(Ask::More) => "asked whether they want anything else",
        Some(Ask::Fulfillment) => "asked pickup or delivery",
        Some(Ask::Address) => "asked for the delivery address",
        Some(Ask::Text) => "asked what the message is",
        Some(Ask::Confirm) => "read the details back and asked the caller to confirm",
        Some(Ask::Meant) => "read a question back and asked whether the caller meant it",
        None => "is working on it",
    };
    format!("You are {task} and {asked}.")
}

/// The system message for the understanding call: who the agent is, today's date, what is in
/// progress and what the business's own data says about the caller's words (the same
/// retrieval the built-in engine uses).
pub fn instructions(ctx: &Context, state: &State, caller: &str) -> String {
    let p = ctx.profile;
    let local = ctx.local();
    let tone = match p.persona.as_ref().map(|x| x.tone).unwrap_or_default() {
        Tone::Friendly => "friendly",
        Tone::Formal => "formal",
        Tone::Concise => "concise",
    };
    let agent = p
        .persona
        .as_ref()
        .and_then(|x| x.agent_name.clone())
        .unwrap_or_else(|| "the assistant".into());
    let mut s = format!(
        "You are {agent}, the {tone} {} assistant of {}. Today is {}, {} {}, {}, and the local \
         time is {} ({}).\n\
         On every turn call exactly one tool: the one that says what the caller wants or told \
         you. Do not answer in text; the business's system runs the tool and gives you the \
         reply to say. Use only the values the tools allow. Dates are YYYY-MM-DD and times \
         HH:MM on a 24-hour clock, in the business's time zone; leave out what the caller did \
         not say.\n{PHRASING}\n{}\n",
        ctx.channel.as_str(),
        p.name,
        say::weekday_name(local.weekday()),
        say::month_name(local.month()),
        local.day(),
        local.year(),
        say::time(ctx.minute()),
        p.timezone.0,
        situation(state),
    );
    let hits = ctx.knowledge.search_top(caller, 3);
    if !hits.is_empty() {
        s.push_str("What the business's data says that may bear on the caller's words:\n");
        for h in hits {
            s.push_str("- ");
            s.push_str(&match h.source {
                Source::Faq(i) => format!("Q: {} A: {}", p.faqs[i].q, p.faqs[i].a),
                Source::Policy(i) => format!("{}: {}", p.policies[i].topic, p.policies[i].text),
                Source::Service(i) => format!(
                    "Service {}: {}",
                    p.services[i].name,
                    p.services[i].description.as_deref().unwrap_or("")
                ),
            });
            s.push('\n');
        }
    }
    s
}

/// How to phrase a tool's reply; part of the instructions.
pub const PHRASING: &str = "When a tool returns {\"reply\": ...}, say that reply to the caller \
in your own words, in your tone: one to three short sentences that can be read aloud, no lists \
or markdown. Keep every fact exactly as given (amounts, times, days, dates, numbers, names, \
addresses) and add none. If the reply asks the caller something, ask it.";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::agent::Channel;
    use crate::nlu::knowledge::Knowledge;

    fn profile(yaml: &str) -> Profile {
        Profile::from_yaml(yaml).unwrap()
    }

    const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");
    const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");

    fn with<R>(p: &Profile, f: impl FnOnce(&Context) -> R) -> R {
        let k = Knowledge::build(p);
        let ctx = Context {
            profile: p,
            knowledge: &k,
            now: chrono::DateTime::parse_from_rfc3339("2026-11-20T17:00:00Z")
                .unwrap()
                .to_utc(),
            channel: Channel::Voice,
            caller: None,
            appointments: &[],
            blocked: &[],
            orders: &[],
        };
        f(&ctx)
    }

    fn names(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn only_the_skills_a_business_offers_are_tools() {
        let pizza = profile(PIZZA);
        let storage = profile(STORAGE);
        let (a, b) = (definitions(&pizza), definitions(&storage));
        assert!(names(&a).contains(&"place_order".to_owned()));
        assert!(!names(&a).contains(&"reserve_unit".to_owned()));
        assert!(names(&b).contains(&"reserve_unit".to_owned()));
        assert!(!names(&b).contains(&"place_order".to_owned()));
        let order = a
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["function"]["name"] == "place_order")
            .unwrap();
        let allowed = &order["function"]["parameters"]["properties"]["items"]["items"]["properties"]
            ["item"]["enum"];
        assert_eq!(allowed.as_array().unwrap().len(), pizza.menu.len());
    }

    #[test]
    fn tool_calls_are_read_against_the_data() {
        let pizza = profile(PIZZA);
        with(&pizza, |ctx| {
            let item = pizza.menu.iter().find(|m| !m.options.is_empty()).unwrap();
            let opt = &item.options[0];
            let choice = &opt.choices.0[0].0;
            let args = json!({"items": [
                {"item": item.name.as_str().to_uppercase(), "quantity": 2,
                 "options": {opt.name.as_str(): choice}},
                {"item": "Caviar tower", "quantity": 1},
                {"item": item.name.as_str(), "quantity": 9000, "options": {"color": "blue"}}
            ], "phone": "five one two five five five zero one nine nine", "name": "Ann"});
            let r = read(ctx, "place_order", &args.to_string()).unwrap();
            assert_eq!(r.intent, Some(Intent::Order));
            assert_eq!(r.entities.items.len(), 2, "the unknown item is left out");
            assert_eq!(r.entities.items[0].quantity, 2);
            assert_eq!(
                r.entities.items[0].options,
                vec![(opt.name.to_string(), choice.clone())]
            );
            assert_eq!(
                r.entities.items[1].quantity, 1,
                "an absurd quantity is not taken"
            );
            assert!(r.entities.items[1].options.is_empty());
            assert_eq!(r.entities.phone.unwrap().as_str(), "+15125550199");
            assert_eq!(r.entities.name.as_deref(), Some("Ann"));

            assert!(matches!(
                read(ctx, "reserve_unit", "{}"),
                Err(ToolError::Unknown(_))
            ));
            assert!(matches!(
                read(ctx, "place_order", "[1,2]"),
                Err(ToolError::Arguments(_))
            ));
            assert!(matches!(
                read(ctx, "place_order", "{\"items\": "),
                Err(ToolError::Arguments(_))
            ));
        });
    }

    #[test]
    fn dates_and_times_must_be_real_and_ahead() {
        let storage = profile(STORAGE);
        with(&storage, |ctx| {
            let r = read(
                ctx,
                "reserve_unit",
                r#"{"date": "2026-11-23", "unit_type": "10x10"}"#,
            )
            .unwrap();
            assert_eq!(
                r.entities.when.unwrap().date,
                NaiveDate::from_ymd_opt(2026, 11, 23)
            );
            assert!(r.entities.unit.is_some());
            for bad in ["2026-02-30", "2025-01-01", "next friday", "2026-13-01"] {
                let r = read(ctx, "reserve_unit", &json!({ "date": bad }).to_string()).unwrap();
                assert_eq!(r.entities.when, None, "{bad}");
            }
            let r = read(ctx, "reserve_unit", r#"{"unit_type": "40x90"}"#).unwrap();
            assert_eq!(r.entities.unit, None);
        });
        assert_eq!(clock("14:30"), Some(870));
        assert_eq!(clock("2:30 pm"), Some(870));
        assert_eq!(clock("12am"), Some(0));
        assert_eq!(clock("25:00"), None);
        assert_eq!(clock("13pm"), None);
    }

    #[test]
    fn a_yes_or_no_answer_sets_the_polarity() {
        let storage = profile(STORAGE);
        with(&storage, |ctx| {
            let y = read(ctx, "answer_yes_or_no", r#"{"answer":"yes"}"#).unwrap();
            assert_eq!((y.intent, y.entities.yes), (Some(Intent::Yes), Some(true)));
            let n = read(ctx, "answer_yes_or_no", r#"{"answer":"no"}"#).unwrap();
            assert_eq!((n.intent, n.entities.yes), (Some(Intent::No), Some(false)));
            let m = read(ctx, "answer_yes_or_no", r#"{"answer":"maybe"}"#).unwrap();
            assert_eq!((m.intent, m.entities.yes), (None, None));
        });
    }

    #[test]
    fn instructions_carry_the_date_the_task_and_the_retrieved_data() {
        let storage = profile(STORAGE);
        with(&storage, |ctx| {
            let state = State {
                flow: Some(Flow::reserve(None)),
                ..Default::default()
            };
            let s = instructions(ctx, &state, "do you take a deposit");
            assert!(s.contains("November 20, 2026"), "{s}");
            assert!(s.contains("reserving a storage unit"), "{s}");
            let faq = storage
                .faqs
                .iter()
                .find(|f| f.q.as_str().to_lowercase().contains("deposit"));
            if let Some(f) = faq {
                assert!(s.contains(f.a.as_str()), "{s}");
            }
        });
    }
}
