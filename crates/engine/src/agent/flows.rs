//! The deterministic flows and the router that feeds them. Understanding proposes; these rules
//! decide. Each flow fills its slots one question at a time and, for anything that commits the
//! business (a booking, a reservation, an order), reads the details back and waits for a yes.

use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Action, CONFIDENT, Context, Fulfillment, KNOWN, Offer, Out, PricedLine, SlotRef, State, Topic,
    Turn, UNSURE, emergency_action, emergency_keyword, facts, say,
};
use crate::nlu::entities::{self, Line};
use crate::nlu::intent::Intent;
use crate::nlu::knowledge::Source;
use crate::nlu::when::When;
use crate::schedule::{self, Busy};
use crate::types::Money;

/// What a flow is waiting for from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    Service,
    When,
    Slot,
    Name,
    Phone,
    Unit,
    /// A sold-out unit's alternative was offered: yes takes it.
    Alternative,
    MoveIn,
    Items,
    More,
    Fulfillment,
    Address,
    Text,
    Confirm,
}

/// A task in progress, with the details gathered so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flow", rename_all = "snake_case")]
pub enum Flow {
    Book {
        service: Option<String>,
        #[serde(default)]
        when: When,
        #[serde(default)]
        staff: Option<String>,
        #[serde(default)]
        offered: Vec<SlotRef>,
        #[serde(default)]
        chosen: Option<SlotRef>,
        #[serde(default)]
        ask: Option<Ask>,
        /// Set when moving an existing appointment rather than booking a new one.
        #[serde(default)]
        moving: Option<String>,
    },
    /// Finding the caller's own appointment, to tell, cancel or move it.
    Lookup {
        purpose: Purpose,
        #[serde(default)]
        found: Option<String>,
        #[serde(default)]
        ask: Option<Ask>,
    },
    Reserve {
        unit: Option<String>,
        #[serde(default)]
        suggested: Option<String>,
        #[serde(default)]
        move_in: Option<NaiveDate>,
        #[serde(default)]
        ask: Option<Ask>,
    },
    Order {
        #[serde(default)]
        lines: Vec<Line>,
        #[serde(default)]
        fulfillment: Option<Fulfillment>,
        #[serde(default)]
        address: Option<String>,
        #[serde(default)]
        more_done: bool,
        #[serde(default)]
        ask: Option<Ask>,
    },
    Message {
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        ask: Option<Ask>,
    },
}

/// Why the caller's appointment or order is being looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Check,
    Cancel,
    Reschedule,
    OrderStatus,
    CancelOrder,
}

impl Flow {
    /// A booking, optionally for a service already named.
    pub fn book(service: Option<String>) -> Flow {
        Flow::Book {
            service,
            when: When::default(),
            staff: None,
            offered: vec![],
            chosen: None,
            ask: None,
            moving: None,
        }
    }
    /// A unit reservation, optionally for a unit type already named.
    pub fn reserve(unit: Option<String>) -> Flow {
        Flow::Reserve {
            unit,
            suggested: None,
            move_in: None,
            ask: None,
        }
    }
    pub fn order() -> Flow {
        Flow::Order {
            lines: vec![],
            fulfillment: None,
            address: None,
            more_done: false,
            ask: None,
        }
    }
    pub fn message() -> Flow {
        Flow::Message {
            text: None,
            ask: None,
        }
    }
    pub fn asking(&self) -> Option<Ask> {
        match self {
            Flow::Book { ask, .. }
            | Flow::Lookup { ask, .. }
            | Flow::Reserve { ask, .. }
            | Flow::Order { ask, .. }
            | Flow::Message { ask, .. } => *ask,
        }
    }
    /// Forgets the chosen time (or unit) so the flow asks again.
    pub fn reset_time(&mut self) {
        match self {
            Flow::Book {
                offered,
                chosen,
                when,
                ask,
                ..
            } => {
                offered.clear();
                *chosen = None;
                *when = When::default();
                *ask = Some(Ask::When);
            }
            Flow::Reserve { unit, ask, .. } => {
                *unit = None;
                *ask = Some(Ask::Unit);
            }
            Flow::Order { ask, .. } | Flow::Lookup { ask, .. } | Flow::Message { ask, .. } => {
                *ask = None
            }
        }
    }
    fn set_ask(&mut self, a: Option<Ask>) {
        match self {
            Flow::Book { ask, .. }
            | Flow::Lookup { ask, .. }
            | Flow::Reserve { ask, .. }
            | Flow::Order { ask, .. }
            | Flow::Message { ask, .. } => *ask = a,
        }
    }
    fn intent(&self) -> Intent {
        match self {
            Flow::Book {
                moving: Some(_), ..
            } => Intent::Reschedule,
            Flow::Book { .. } => Intent::Book,
            Flow::Lookup { purpose, .. } => match purpose {
                Purpose::Check => Intent::CheckBooking,
                Purpose::Cancel => Intent::Cancel,
                Purpose::Reschedule => Intent::Reschedule,
                Purpose::OrderStatus => Intent::OrderStatus,
                Purpose::CancelOrder => Intent::ChangeOrder,
            },
            Flow::Reserve { .. } => Intent::ReserveUnit,
            Flow::Order { .. } => Intent::Order,
            Flow::Message { .. } => Intent::LeaveMessage,
        }
    }
}

/// How a turn went for the active flow.
enum Step {
    /// The flow is finished (committed, or stopped by the caller).
    Done,
    /// Something was filled; ask the next question.
    Progress,
    /// Nothing in the turn was for this flow.
    Nothing,
    /// The flow already replied with its next question; keep it as it is.
    Asked,
}

/// Routes one understood turn: emergencies first, then the active flow, then a pending offer,
/// then the caller's intent.
pub(crate) fn route(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    if is_emergency(ctx.profile, t) {
        return emergency(ctx, state, t, out);
    }
    if is_repeat(t) {
        out.intent = Some(Intent::Repeat);
        let last = state.last_reply.clone().unwrap_or_default();
        out.say(format!(
            "{} {last}",
            say::pick(&["Sure.", "Of course.", "No problem."], state.turns)
        ));
        return;
    }
    if let Some(mut flow) = state.flow.take() {
        out.intent = Some(flow.intent());
        if is_abort(t) {
            state.paused = None;
            out.say(say::pick(
                &[
                    "No problem, I've stopped that. Is there anything else I can help with?",
                    "Okay, scrapped. Anything else I can do for you?",
                ],
                state.turns,
            ));
            return;
        }
        let before = flow.clone();
        match fill(ctx, state, &mut flow, t, out) {
            Step::Done => {
                state.misses = 0;
                state.last_flow = Some(before);
                if let Some(paused) = state.paused.take() {
                    let mut f = paused;
                    out.say("Now, back to what we were doing.");
                    advance(ctx, state, &mut f, out);
                    state.flow = Some(f);
                }
            }
            Step::Asked => {
                state.misses = 0;
                state.flow = Some(flow);
            }
            Step::Progress => {
                state.misses = 0;
                advance(ctx, state, &mut flow, out);
                if flow.asking().is_some() {
                    state.flow = Some(flow);
                }
            }
            Step::Nothing => {
                // Changing the subject: answer, then come back to the question.
                if matches!(t.intent, Intent::Human | Intent::Goodbye) && t.confidence >= CONFIDENT
                {
                    return dispatch(ctx, state, t, out);
                }
                if answer_question(ctx, state, t, out) {
                    state.misses = 0;
                    advance(ctx, state, &mut flow, out);
                    state.flow = Some(flow);
                    return;
                }
                if starts_flow(t) && t.intent != flow.intent() {
                    state.paused = Some(flow);
                    return dispatch(ctx, state, t, out);
                }
                state.misses += 1;
                if state.misses >= 2 {
                    state.paused = None;
                    return fallback(ctx, state, out);
                }
                out.say(say::pick(
                    &[
                        "Sorry, I didn't catch that.",
                        "Sorry, I missed that.",
                        "I didn't quite get that.",
                    ],
                    state.turns,
                ));
                advance(ctx, state, &mut flow, out);
                state.flow = Some(flow);
            }
        }
        return;
    }
    if let Some(offer) = state.offer.take()
        && take_offer(ctx, state, t, offer.clone(), out)
    {
        return;
    }
    dispatch(ctx, state, t, out);
}

/// An emergency keyword of the profile that the caller does not deny, or the emergency intent.
pub(crate) fn is_emergency(p: &crate::profile::Profile, t: &Turn) -> bool {
    emergency_keyword(p, &t.ws) || (t.intent == Intent::Emergency && t.confidence >= 0.5)
}

fn is_repeat(t: &Turn) -> bool {
    let s = t.ws.join(" ");
    (t.intent == Intent::Repeat && t.confidence >= 0.55)
        || s.contains("what was that")
        || s.contains("say that again")
        || s.contains("repeat that")
        || s.contains("come again")
        || s == "pardon"
        || s == "what"
}

fn is_abort(t: &Turn) -> bool {
    let s = t.ws.join(" ");
    s.contains("never mind")
        || s.contains("nevermind")
        || s.contains("forget it")
        || s.contains("forget about it")
        || s == "stop"
        || s == "cancel"
        || s.contains("cancel that")
        || s.contains("don't bother")
}

fn starts_flow(t: &Turn) -> bool {
    t.confidence >= CONFIDENT
        && matches!(
            t.intent,
            Intent::Book
                | Intent::ReserveUnit
                | Intent::Order
                | Intent::LeaveMessage
                | Intent::Cancel
                | Intent::Reschedule
                | Intent::CheckBooking
                | Intent::OrderStatus
        )
}

fn emergency(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let p = ctx.profile;
    out.intent = Some(Intent::Emergency);
    state.flow = None;
    state.paused = None;
    let (alert_owner, mut transfer) = emergency_action(p);
    if p.transfer_phone.is_none() {
        transfer = false;
    }
    let msg = match &p.emergency {
        Some(e) => e.message.to_string(),
        None if transfer => "That sounds urgent. I'm connecting you to someone right now.".into(),
        None => "That sounds urgent. I'm alerting the team right now.".into(),
    };
    out.say(msg);
    if !transfer {
        out.say("If anyone is in danger, please hang up and call 911.");
    }
    out.actions.push(Action::Escalate {
        text: t.raw.to_owned(),
        alert_owner: alert_owner || !transfer,
        transfer,
        to: if transfer {
            p.transfer_phone.clone()
        } else {
            None
        },
    });
    out.end = transfer;
}

/// When the agent keeps failing to understand: offer a message or a person instead.
fn fallback(ctx: &Context, state: &mut State, out: &mut Out) {
    state.misses = 0;
    state.offer = Some(Offer::MessageOrTransfer);
    let person = if ctx.profile.transfer_phone.is_some() {
        " or connect you with someone"
    } else {
        ""
    };
    out.say(format!(
        "I'm sorry, I'm having trouble understanding. I can take a message{person}. Which would you prefer?"
    ));
}

fn take_offer(ctx: &Context, state: &mut State, t: &Turn, offer: Offer, out: &mut Out) -> bool {
    // "OK, great, thanks" acknowledges; it does not accept.
    if (t.has("thanks") || t.has("thank"))
        && !["yes", "yeah", "sure", "please", "yep"]
            .iter()
            .any(|w| t.has(w))
    {
        return false;
    }
    let wants_message =
        t.has("message") || t.intent == Intent::LeaveMessage && t.confidence >= CONFIDENT;
    let wants_person = [
        "person", "someone", "somebody", "transfer", "connect", "human", "manager", "owner",
    ]
    .iter()
    .any(|w| t.has(w));
    match offer {
        Offer::MessageOrTransfer => {
            if wants_message {
                start(ctx, state, Flow::message(), t, out);
                return true;
            }
            if wants_person || t.ent.yes == Some(true) {
                transfer(ctx, state, "caller asked for a person", out);
                return true;
            }
        }
        _ if t.ent.yes == Some(true) && !starts_flow(t) => {
            let flow = match offer {
                Offer::Reserve { unit } => Flow::reserve(Some(unit)),
                Offer::Book { service } => Flow::book(service),
                _ => Flow::order(),
            };
            start(ctx, state, flow, t, out);
            return true;
        }
        _ => {}
    }
    if t.ent.yes == Some(false) && !starts_flow(t) {
        out.intent = Some(Intent::No);
        out.say(say::pick(
            &[
                "Okay. Is there anything else I can help with?",
                "No problem. Anything else?",
            ],
            state.turns,
        ));
        return true;
    }
    false
}

/// Starts a flow, filling it from the turn that started it.
fn start(ctx: &Context, state: &mut State, mut flow: Flow, t: &Turn, out: &mut Out) {
    out.intent = Some(flow.intent());
    state.offer = None;
    state.misses = 0;
    let _ = fill(ctx, state, &mut flow, t, out);
    advance(ctx, state, &mut flow, out);
    if flow.asking().is_some() {
        state.flow = Some(flow);
    }
}

/// Starts finding the caller's own appointment or order.
fn lookup(ctx: &Context, state: &mut State, purpose: Purpose, t: &Turn, out: &mut Out) {
    start(
        ctx,
        state,
        Flow::Lookup {
            purpose,
            found: None,
            ask: None,
        },
        t,
        out,
    )
}

/// Acts on the caller's intent when no flow is waiting.
fn dispatch(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let p = ctx.profile;
    let tone = ctx.tone();
    let intent = if t.confidence >= UNSURE {
        t.intent
    } else {
        Intent::OutOfScope
    };
    out.intent = Some(intent);
    match intent {
        Intent::Book => {
            if p.services.is_empty() {
                if !p.units.is_empty() {
                    return start(ctx, state, Flow::reserve(None), t, out);
                }
                if !p.menu.is_empty() {
                    return start(ctx, state, Flow::order(), t, out);
                }
                return unanswered(ctx, state, t, out);
            }
            start(ctx, state, Flow::book(None), t, out)
        }
        Intent::Availability
            if !p.units.is_empty() && t.ent.unit.is_none() && asks_about_something_else(ctx, t) =>
        {
            unanswered(ctx, state, t, out)
        }
        Intent::Availability
            if !p.units.is_empty() && (t.ent.unit.is_some() || p.services.is_empty()) =>
        {
            unit_availability(ctx, state, t, out)
        }
        Intent::Availability if !p.services.is_empty() => {
            start(ctx, state, Flow::book(None), t, out)
        }
        Intent::ReserveUnit if !p.units.is_empty() => {
            start(ctx, state, Flow::reserve(None), t, out)
        }
        Intent::Order if !p.menu.is_empty() => start(ctx, state, Flow::order(), t, out),
        Intent::Cancel if t.has("order") => lookup(ctx, state, Purpose::CancelOrder, t, out),
        Intent::Cancel if t.has("reservation") || t.has("unit") => {
            out.say("I can't cancel a unit reservation myself.");
            offer_message(ctx, state, out);
        }
        Intent::Cancel => lookup(ctx, state, Purpose::Cancel, t, out),
        Intent::Reschedule => lookup(ctx, state, Purpose::Reschedule, t, out),
        Intent::CheckBooking => lookup(ctx, state, Purpose::Check, t, out),
        Intent::OrderStatus => lookup(ctx, state, Purpose::OrderStatus, t, out),
        Intent::ChangeOrder if t.has("cancel") => lookup(ctx, state, Purpose::CancelOrder, t, out),
        Intent::ChangeOrder => {
            out.say("I can't change an order that's already in, but I can cancel it so you can place a new one.");
            lookup(ctx, state, Purpose::CancelOrder, t, out)
        }
        Intent::LeaveMessage => start(ctx, state, Flow::message(), t, out),
        Intent::Human => transfer(ctx, state, "caller asked for a person", out),
        Intent::Complaint => {
            out.say(say::pick(
                &[
                    "I'm really sorry about that.",
                    "I'm sorry to hear that, and I want to make it right.",
                ],
                state.turns,
            ));
            offer_message(ctx, state, out);
        }
        Intent::Greeting => {
            out.say(match tone {
                crate::profile::Tone::Formal => "Hello. How may I help you today?",
                crate::profile::Tone::Concise => "Hi. What can I do for you?",
                crate::profile::Tone::Friendly => say::pick(
                    &[
                        "Hi there! How can I help you today?",
                        "Hello! What can I do for you today?",
                    ],
                    state.turns,
                ),
            });
        }
        Intent::Thanks => out.say(say::pick(
            &[
                "You're welcome! Is there anything else I can help with?",
                "My pleasure. Anything else?",
            ],
            state.turns,
        )),
        Intent::Goodbye => {
            let name = state
                .contact
                .name
                .as_deref()
                .map(|n| format!(", {}", n.split(' ').next().unwrap_or(n)))
                .unwrap_or_default();
            out.say(say::pick(
                &[
                    &format!("Thanks for calling{name}. Have a great day!"),
                    &format!("Goodbye{name}, and thanks for reaching out!"),
                ],
                state.turns,
            ));
            out.end = true;
        }
        Intent::Yes | Intent::No if !looks_like_question(t) => out.say(say::pick(
            &[
                "Okay. What can I help you with?",
                "Alright. How can I help?",
            ],
            state.turns,
        )),
        _ => {
            if !answer_question(ctx, state, t, out) {
                unanswered(ctx, state, t, out);
            }
        }
    }
}

fn offer_message(ctx: &Context, state: &mut State, out: &mut Out) {
    state.offer = Some(Offer::MessageOrTransfer);
    if ctx.profile.transfer_phone.is_some() {
        out.say("I can take a message for the team or connect you with someone. Which would you prefer?");
    } else {
        out.say("I can take a message for the team. Would you like to leave one?");
    }
}

fn transfer(ctx: &Context, state: &mut State, reason: &str, out: &mut Out) {
    out.intent = Some(Intent::Human);
    state.flow = None;
    match &ctx.profile.transfer_phone {
        Some(to) => {
            out.say(say::pick(
                &[
                    "Of course. Let me connect you with someone now.",
                    "Sure, I'll put you through to a person now.",
                ],
                state.turns,
            ));
            out.actions.push(Action::Transfer {
                to: Some(to.clone()),
                reason: reason.into(),
            });
            out.end = true;
        }
        None => {
            out.say("There's nobody I can put you through to right now, but I can take a message so the team gets back to you.");
            state.offer = Some(Offer::MessageOrTransfer);
        }
    }
}

/// Says that the data has no answer, records the question for the owner, and offers a way on.
fn unanswered(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let question = looks_like_question(t);
    if !question && t.confidence < UNSURE {
        state.misses += 1;
        if state.misses >= 2 {
            return fallback(ctx, state, out);
        }
        out.intent = Some(Intent::OutOfScope);
        return out.say(clarify(ctx));
    }
    out.intent = Some(if t.intent == Intent::OutOfScope {
        Intent::OutOfScope
    } else {
        Intent::Faq
    });
    out.actions.push(Action::RecordUnanswered {
        question: t.raw.trim().to_owned(),
    });
    out.say(say::pick(
        &[
            "I'm sorry, I don't have that information.",
            "Good question, but I don't have an answer for that.",
        ],
        state.turns,
    ));
    offer_message(ctx, state, out);
}

fn looks_like_question(t: &Turn) -> bool {
    let first = t.ws.iter().find(|w| {
        !matches!(
            w.as_str(),
            "wait"
                | "oh"
                | "um"
                | "uh"
                | "and"
                | "so"
                | "also"
                | "hey"
                | "ok"
                | "okay"
                | "actually"
                | "sorry"
                | "quick"
                | "question"
                | "but"
                | "hmm"
                | "oh,"
                | "well"
        )
    });
    t.raw.contains('?')
        || first.is_some_and(|w| {
            matches!(
                w.as_str(),
                "what"
                    | "when"
                    | "where"
                    | "why"
                    | "how"
                    | "do"
                    | "does"
                    | "is"
                    | "are"
                    | "can"
                    | "could"
                    | "will"
                    | "would"
                    | "who"
                    | "which"
                    | "whats"
                    | "what's"
                    | "any"
                    | "should"
                    | "have"
                    | "got"
            )
        })
        || t.ws.windows(2).any(|w| w[0] == "do" && w[1] == "you")
}

/// Whether a question names a thing the business's data never mentions ("do you have a
/// forklift?"), so that listing what is available would not answer it.
fn asks_about_something_else(ctx: &Context, t: &Turn) -> bool {
    const GENERIC: [&str; 16] = [
        "unit",
        "space",
        "storage",
        "room",
        "size",
        "available",
        "availability",
        "open",
        "spot",
        "locker",
        "free",
        "left",
        "today",
        "week",
        "anything",
        "something",
    ];
    crate::nlu::knowledge::terms(t.raw).iter().any(|w| {
        !GENERIC.contains(&w.as_str())
            && !ctx.knowledge.knows(w)
            && !is_time_word(w)
            && !ctx
                .profile
                .units
                .iter()
                .any(|u| u.unit_type.eq_ignore_ascii_case(w))
            && !matches!(
                w.as_str(),
                "borrow" | "rent" | "get" | "hold" | "reserve" | "book"
            )
    })
}

/// "I can help with…": the things this business's agent can actually do.
fn clarify(ctx: &Context) -> String {
    let p = ctx.profile;
    let mut can = vec!["our hours".to_owned()];
    if !p.services.is_empty() {
        can.push("booking an appointment".into());
    }
    if !p.units.is_empty() {
        can.push("unit sizes and prices".into());
        can.push("reserving a unit".into());
    }
    if !p.menu.is_empty() {
        can.push("placing an order".into());
    }
    can.push("taking a message".into());
    format!(
        "Sorry, I'm not sure I understood. I can help with {}. What would you like?",
        say::either(&can)
    )
}

/// Answers a question from the profile's facts or its knowledge base. False if it cannot.
fn answer_question(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) -> bool {
    let p = ctx.profile;
    let hit = t.hit.clone();
    let strong = hit.as_ref().filter(|h| h.confidence >= KNOWN);
    let confident = t.confidence >= UNSURE;
    let topic = topic_of(t).or_else(|| state.topic.clone());
    let intent = if confident {
        t.intent
    } else {
        Intent::OutOfScope
    };
    match intent {
        Intent::Hours
            if !specific_beyond(
                t,
                &[
                    "hour", "open", "close", "today", "tomorrow", "now", "day", "week", "weekend",
                    "late", "early",
                ],
            ) || strong.is_none() =>
        {
            out.intent = Some(Intent::Hours);
            hours(ctx, t, out);
            true
        }
        Intent::Location => {
            out.intent = Some(Intent::Location);
            match &p.address {
                Some(a) => {
                    out.say(format!("We're at {a}."));
                    if ctx.channel != super::Channel::Voice
                        && let Some(w) = &p.website
                    {
                        out.say(format!("Our website is {w}."));
                    }
                }
                None => return false,
            }
            true
        }
        // "How much is that one?" is about what we were just talking about; "do you charge for
        // estimates?" names its own subject, which the knowledge base may know.
        Intent::Prices
            if topic.is_some() && topic_of(t).is_none() && !specific_beyond(t, &["price"]) =>
        {
            out.intent = Some(Intent::Prices);
            prices(ctx, state, t, topic, out);
            true
        }
        Intent::Prices
        | Intent::Availability
        | Intent::UnitSizes
        | Intent::Faq
        | Intent::OutOfScope
        | Intent::Greeting
        | Intent::Order
        | Intent::ReserveUnit
        | Intent::Book
            if strong.is_some()
                && topic_of(t).is_none()
                && !(t.intent == Intent::Prices
                    && t.confidence >= 0.5
                    && strong.is_some_and(|h| h.confidence < 0.99)) =>
        {
            knowledge_answer(ctx, state, strong.map(|h| h.source), out);
            true
        }
        Intent::Prices => {
            out.intent = Some(Intent::Prices);
            prices(ctx, state, t, topic, out);
            true
        }
        Intent::UnitSizes if !p.units.is_empty() => {
            out.intent = Some(Intent::UnitSizes);
            unit_sizes(ctx, state, t, out);
            true
        }
        Intent::Availability if !p.units.is_empty() => {
            unit_availability(ctx, state, t, out);
            true
        }
        _ if strong.is_some() => {
            knowledge_answer(ctx, state, strong.map(|h| h.source), out);
            true
        }
        _ => false,
    }
}

/// Whether the turn names something beyond the generic words of its intent (e.g. "gate" in
/// "what are the gate hours"), so the knowledge base may know better than the week's hours.
/// Whether a word alone names a day or time ("tomorrow", "friday", "noon").
fn is_time_word(w: &String) -> bool {
    crate::nlu::when::find(std::slice::from_ref(w), NaiveDate::MIN, 0, false).is_some()
}

fn specific_beyond(t: &Turn, generic: &[&str]) -> bool {
    crate::nlu::knowledge::terms(t.raw)
        .iter()
        .any(|w| !generic.contains(&w.as_str()) && !is_time_word(w))
}

fn knowledge_answer(ctx: &Context, state: &mut State, source: Option<Source>, out: &mut Out) {
    let p = ctx.profile;
    out.intent = Some(Intent::Faq);
    out.source = source;
    match source {
        Some(Source::Faq(i)) => out.say(p.faqs[i].a.as_str()),
        Some(Source::Policy(i)) => out.say(p.policies[i].text.as_str()),
        Some(Source::Service(i)) => {
            let s = &p.services[i];
            state.topic = Some(Topic::Service(s.name.to_string()));
            out.say(service_text(ctx, s));
        }
        None => {}
    }
}

fn service_text(ctx: &Context, s: &crate::profile::Service) -> String {
    let mut t = match &s.description {
        Some(d) => format!("{}: {d}", s.name),
        None => format!("We offer {}.", s.name.as_str().to_lowercase()),
    };
    if !t.ends_with('.') {
        t.push('.');
    }
    if let Some(pr) = s.price {
        t.push_str(&format!(" It's {}", say::money(pr)));
        if let Some(n) = &s.price_note {
            t.push_str(&format!(", {n}"));
        }
        t.push('.');
    }
    for pr in facts::promotions(ctx.profile, s.name.as_str(), ctx.today()) {
        t.push_str(&format!(" Right now we have {}.", pr.name));
    }
    t
}

fn topic_of(t: &Turn) -> Option<Topic> {
    if let Some(u) = &t.ent.unit {
        return Some(Topic::Unit(u.clone()));
    }
    if let Some(l) = t.ent.items.first() {
        return Some(Topic::Menu(l.item.clone()));
    }
    if let Some(s) = &t.ent.service {
        return Some(Topic::Service(s.clone()));
    }
    None
}

fn hours(ctx: &Context, t: &Turn, out: &mut Out) {
    let p = ctx.profile;
    let today = ctx.today();
    let holiday = [
        "holiday",
        "holidays",
        "christmas",
        "thanksgiving",
        "closures",
        "closed",
    ]
    .iter()
    .any(|w| t.has(w));
    if let Some(d) = t.ent.when.and_then(|w| w.date) {
        out.say(facts::hours_for_date(p, d, today));
        if d != today {
            return;
        }
    } else if let Some((a, b)) = t.ent.when.and_then(|w| w.span) {
        let days: Vec<String> = (0..=(b - a).num_days())
            .map(|k| facts::hours_for_date(p, a + Duration::days(k), today))
            .collect();
        out.say(days.join(" "));
        return;
    } else {
        let (_, now) = facts::open_now(p, today, ctx.minute());
        out.say(now);
        out.say(format!("Our hours are {}.", facts::week_summary(p)));
    }
    if holiday {
        let upcoming: Vec<String> = p
            .closures
            .iter()
            .filter(|c| c.date >= today && (c.date - today).num_days() <= 60)
            .map(|c| facts::hours_for_date(p, c.date, today))
            .collect();
        if !upcoming.is_empty() {
            out.say(upcoming.join(" "));
        }
    }
}

fn prices(ctx: &Context, state: &mut State, t: &Turn, topic: Option<Topic>, out: &mut Out) {
    let p = ctx.profile;
    let today = ctx.today();
    if [
        "special",
        "specials",
        "promotion",
        "promotions",
        "deal",
        "deals",
        "discount",
        "discounts",
        "promo",
        "coupon",
    ]
    .iter()
    .any(|w| t.has(w))
    {
        let live: Vec<String> = p
            .promotions
            .iter()
            .filter(|x| x.valid_until.is_none_or(|v| v >= today))
            .map(|x| match &x.description {
                Some(d) => format!("{}: {d}", x.name),
                None => x.name.to_string(),
            })
            .collect();
        if live.is_empty() {
            out.say("We don't have any promotions on right now.");
        } else {
            out.say(format!("Right now we have {}.", live.join(" Also, ")));
        }
        return;
    }
    if (t.has("delivery") || t.has("deliver"))
        && topic.is_none()
        && let Some(o) = &p.ordering
        && o.delivery
    {
        match o.delivery_fee {
            Some(f) => out.say(format!("Delivery is {}.", say::money(f))),
            None => out.say("We do deliver."),
        }
        if let Some(m) = o.min_order {
            out.say(format!("The minimum order is {}.", say::money(m)));
        }
        return;
    }
    match topic {
        Some(Topic::Unit(u)) => {
            if let Some(unit) = p.units.iter().find(|x| x.unit_type == u) {
                state.topic = Some(Topic::Unit(u));
                out.say(facts::unit_quote(p, unit, today));
                if unit.available > 0 {
                    state.offer = Some(Offer::Reserve {
                        unit: unit.unit_type.clone(),
                    });
                    out.say("Would you like to reserve one?");
                }
            }
        }
        Some(Topic::Service(s)) => {
            if let Some(svc) = schedule::find_service(p, &s) {
                state.topic = Some(Topic::Service(s.clone()));
                match svc.price {
                    Some(pr) => {
                        let note = svc
                            .price_note
                            .as_ref()
                            .map(|n| format!(", {n}"))
                            .unwrap_or_default();
                        out.say(format!("{} is {}{note}.", svc.name, say::money(pr)));
                    }
                    None => {
                        out.say(format!(
                            "I don't have a set price for {} on file.",
                            svc.name.as_str().to_lowercase()
                        ));
                        out.actions.push(Action::RecordUnanswered {
                            question: t.raw.trim().to_owned(),
                        });
                    }
                }
                state.offer = Some(Offer::Book { service: Some(s) });
                out.say("Would you like to book it?");
            }
        }
        Some(Topic::Menu(m)) => {
            if let Some(item) = p.menu.iter().find(|x| x.name.as_str() == m) {
                state.topic = Some(Topic::Menu(m.clone()));
                out.say(facts::menu_quote(item));
            }
        }
        None => {
            if !p.units.is_empty() {
                let list: Vec<String> = p
                    .units
                    .iter()
                    .map(|u| {
                        format!(
                            "a {} is {}",
                            u.unit_type,
                            say::money(facts::unit_rate(p, u))
                        )
                    })
                    .collect();
                out.say(format!("Monthly rates: {}.", say::list(&list)));
                let promos: Vec<String> = p
                    .promotions
                    .iter()
                    .filter(|x| x.valid_until.is_none_or(|v| v >= today))
                    .map(|x| x.name.to_string())
                    .collect();
                if !promos.is_empty() {
                    out.say(format!(
                        "We also have {} on some sizes.",
                        say::list(&promos)
                    ));
                }
            } else if !p.services.is_empty() {
                let list: Vec<String> = p
                    .services
                    .iter()
                    .filter_map(|s| {
                        s.price.map(|pr| {
                            format!("{} is {}", s.name.as_str().to_lowercase(), say::money(pr))
                        })
                    })
                    .collect();
                if list.is_empty() {
                    out.say("I don't have prices on file.");
                } else {
                    out.say(format!("{}.", capitalize(&say::list(&list))));
                }
            } else if !p.menu.is_empty() {
                let list: Vec<String> = p
                    .menu
                    .iter()
                    .take(5)
                    .map(|m| {
                        format!(
                            "the {} is {}",
                            m.name.as_str().to_lowercase(),
                            say::money(m.price)
                        )
                    })
                    .collect();
                out.say(format!("{}.", capitalize(&say::list(&list))));
            } else {
                out.say("I don't have prices on file.");
            }
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn area(u: &crate::profile::Unit) -> f64 {
    u.width_ft * u.depth_ft
}

fn unit_sizes(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let p = ctx.profile;
    let today = ctx.today();
    if let Some((need, what)) = entities::space_needed(&t.ws) {
        let mut fits: Vec<&crate::profile::Unit> =
            p.units.iter().filter(|u| area(u) >= need).collect();
        fits.sort_by(|a, b| area(a).total_cmp(&area(b)));
        match fits.iter().find(|u| u.available > 0).or(fits.first()) {
            Some(u) => {
                state.topic = Some(Topic::Unit(u.unit_type.clone()));
                out.say(format!(
                    "For {what}, a {} at {} square feet usually works, as a rule of thumb.",
                    u.unit_type,
                    area(u).round()
                ));
                out.say(facts::unit_quote(p, u, today));
                if u.available > 0 {
                    state.offer = Some(Offer::Reserve { unit: u.unit_type.clone() });
                    out.say("Would you like to reserve one?");
                }
            }
            None => out.say("Our largest units may not be big enough for that. A member of the team can advise you better."),
        }
        return;
    }
    if let Some(u) = t
        .ent
        .unit
        .as_ref()
        .and_then(|u| p.units.iter().find(|x| x.unit_type == *u))
    {
        state.topic = Some(Topic::Unit(u.unit_type.clone()));
        out.say(format!(
            "A {} is {} by {} feet, {} square feet.",
            u.unit_type,
            u.width_ft,
            u.depth_ft,
            area(u).round()
        ));
        out.say(facts::unit_quote(p, u, today));
        return;
    }
    let pick: Vec<&crate::profile::Unit> = if t.has("climate") {
        p.units.iter().filter(|u| u.climate_controlled).collect()
    } else if t.has("drive") {
        p.units.iter().filter(|u| u.drive_up).collect()
    } else {
        p.units.iter().collect()
    };
    if pick.is_empty() {
        out.say(if t.has("climate") {
            "We don't have climate-controlled units."
        } else {
            "We don't have drive-up units."
        });
        return;
    }
    let names: Vec<String> = pick.iter().map(|u| u.unit_type.clone()).collect();
    let kind = if t.has("climate") {
        "climate-controlled "
    } else if t.has("drive") {
        "drive-up "
    } else {
        ""
    };
    out.say(format!("We have {kind}{} units.", say::list(&names)));
    let sold: Vec<String> = pick
        .iter()
        .filter(|u| u.available == 0)
        .map(|u| u.unit_type.clone())
        .collect();
    if !sold.is_empty() {
        out.say(format!(
            "The {} {} sold out right now.",
            say::list(&sold),
            if sold.len() == 1 { "is" } else { "are" }
        ));
    }
    out.say("Tell me what you're storing and I can suggest a size.");
}

fn unit_availability(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let p = ctx.profile;
    out.intent = Some(Intent::Availability);
    let today = ctx.today();
    match t
        .ent
        .unit
        .as_ref()
        .and_then(|u| p.units.iter().find(|x| x.unit_type == *u))
    {
        Some(u) if u.available > 0 => {
            state.topic = Some(Topic::Unit(u.unit_type.clone()));
            out.say(format!("Yes, we have a {} available.", u.unit_type));
            out.say(
                facts::unit_quote(p, u, today).replace(&format!("A {} is", u.unit_type), "It's"),
            );
            state.offer = Some(Offer::Reserve {
                unit: u.unit_type.clone(),
            });
            out.say("Would you like to reserve it?");
        }
        Some(u) => {
            state.topic = Some(Topic::Unit(u.unit_type.clone()));
            out.say(format!("Sorry, the {} is sold out right now.", u.unit_type));
            if let Some(alt) = alternative(p, u) {
                out.say(format!(
                    "The closest size I have is a {} at {} a month. Would you like that instead?",
                    alt.unit_type,
                    say::money(facts::unit_rate(p, alt))
                ));
                state.offer = Some(Offer::Reserve {
                    unit: alt.unit_type.clone(),
                });
            }
        }
        None => {
            let free = free_units(p);
            if free.is_empty() {
                out.say("We're completely full right now.");
                offer_message(ctx, state, out);
            } else {
                out.say(format!(
                    "Right now we have {} units available. Which size are you after?",
                    say::list(&free)
                ));
            }
        }
    }
}

/// The available unit nearest in size to a sold-out one.
/// The unit sizes with at least one unit free.
fn free_units(p: &crate::profile::Profile) -> Vec<String> {
    p.units
        .iter()
        .filter(|u| u.available > 0)
        .map(|u| u.unit_type.clone())
        .collect()
}

fn alternative<'p>(
    p: &'p crate::profile::Profile,
    u: &crate::profile::Unit,
) -> Option<&'p crate::profile::Unit> {
    p.units
        .iter()
        .filter(|x| x.available > 0 && x.unit_type != u.unit_type)
        .min_by(|a, b| {
            (area(a) - area(u))
                .abs()
                .total_cmp(&(area(b) - area(u)).abs())
        })
}

// ---------------------------------------------------------------------------------------------
// Filling flows from a turn.

fn fill(ctx: &Context, state: &mut State, flow: &mut Flow, t: &Turn, out: &mut Out) -> Step {
    let ask = flow.asking();
    // A question about something else is answered by the router, not read as a detail.
    let known = t.hit.as_ref().is_some_and(|h| h.confidence >= 0.8);
    let side_question = looks_like_question(t)
        && t.ent.yes.is_none()
        && (known
            || (t.confidence >= UNSURE
                && matches!(
                    t.intent,
                    Intent::Hours
                        | Intent::Location
                        | Intent::Faq
                        | Intent::Prices
                        | Intent::UnitSizes
                        | Intent::OutOfScope
                )));
    if side_question && !matches!(ask, Some(Ask::Name | Ask::Phone | Ask::Text | Ask::Address)) {
        return Step::Nothing;
    }
    // Details about the caller count in every flow.
    let mut progressed = match ask {
        Some(Ask::Name) => state.contact.name.is_some() && t.ent.name.is_some(),
        Some(Ask::Phone) if t.ent.phone.is_none() && t.ent.email.is_some() => {
            // An e-mail address instead of a number: keep it, then ask for the number afresh.
            flow.set_ask(None);
            true
        }
        Some(Ask::Phone) => {
            if t.ent.phone.is_none()
                && ctx.caller.is_some()
                && (t.has("this") || t.has("same") || t.has("calling") || t.ent.yes == Some(true))
            {
                state.contact.phone = ctx.caller.clone();
            }
            state.contact.phone.is_some() && (t.ent.phone.is_some() || ctx.caller.is_some())
        }
        _ => false,
    };
    match flow {
        Flow::Book {
            service,
            when,
            staff,
            offered,
            chosen,
            ask,
            moving,
        } => {
            let p = ctx.profile;
            if *ask == Some(Ask::Confirm) {
                match t.ent.yes {
                    Some(true) if t.ent.when.is_none() => {
                        let Some(slot) = chosen.clone() else {
                            return Step::Progress;
                        };
                        let svc = service.clone().unwrap_or_default();
                        let local = slot.start.with_timezone(&ctx.tz());
                        match moving {
                            Some(id) => {
                                out.actions.push(Action::RescheduleAppointment {
                                    appointment_id: id.clone(),
                                    slot: slot.clone(),
                                });
                                out.say(format!(
                                    "Done. Your {} is now {} at {}.",
                                    svc.to_lowercase(),
                                    say::date(local.date_naive()),
                                    say::time(local_minute(&local))
                                ));
                            }
                            None => {
                                out.actions.push(Action::BookAppointment {
                                    service: svc.clone(),
                                    slot: slot.clone(),
                                    contact: state.contact.clone(),
                                });
                                let who = slot
                                    .staff
                                    .as_ref()
                                    .map(|s| format!(" with {s}"))
                                    .unwrap_or_default();
                                out.say(format!(
                                    "{} You're booked for {} on {} at {}{who}.",
                                    say::pick(
                                        &["All set!", "Done!", "You're all set."],
                                        state.turns
                                    ),
                                    svc.to_lowercase(),
                                    say::date(local.date_naive()),
                                    say::time(local_minute(&local))
                                ));
                            }
                        }
                        out.say("Anything else I can help with?");
                        return Step::Done;
                    }
                    Some(false) if t.ent.when.is_none() && t.ent.service.is_none() => {
                        *chosen = None;
                        offered.clear();
                        *when = When::default();
                        *ask = Some(Ask::When);
                        out.say("No problem. What day and time would suit you better?");
                        return Step::Asked;
                    }
                    _ => {}
                }
            }
            if service.is_none()
                || t.ent
                    .service
                    .as_ref()
                    .is_some_and(|s| Some(s) != service.as_ref())
            {
                if let Some(s) = &t.ent.service {
                    if moving.is_none() {
                        *service = Some(s.clone());
                        *chosen = None;
                        offered.clear();
                        progressed = true;
                    }
                } else if p.services.len() == 1 {
                    *service = Some(p.services[0].name.to_string());
                }
            }
            if let Some(s) = p
                .staff
                .iter()
                .find(|s| t.has(&s.name.as_str().to_lowercase()))
            {
                *staff = Some(s.name.to_string());
                *chosen = None;
                progressed = true;
            }
            if *ask == Some(Ask::Slot)
                && !offered.is_empty()
                && let Some(s) = pick_offered(ctx, t, offered)
            {
                *chosen = Some(s);
                return Step::Progress;
            }
            if let Some(w) = t.ent.when {
                *when = when.merge(w);
                *chosen = None;
                offered.clear();
                progressed = true;
            } else if when.is_empty()
                && [
                    "asap", "soon", "soonest", "earliest", "whenever", "anytime", "first",
                ]
                .iter()
                .any(|w| t.has(w))
            {
                // "As soon as possible", "whenever you're free": search from today.
                let today = ctx.today();
                *when = When {
                    span: Some((today, today + Duration::days(13))),
                    ..When::default()
                };
                progressed = true;
            }
        }
        Flow::Lookup {
            purpose,
            found,
            ask,
        } => {
            if *ask == Some(Ask::Confirm) {
                let Some(id) = found.clone() else {
                    return Step::Progress;
                };
                match t.ent.yes {
                    Some(true) => {
                        if *purpose == Purpose::CancelOrder {
                            out.actions.push(Action::CancelOrder { order_id: id });
                            out.say("Your order is cancelled.");
                        } else {
                            out.actions
                                .push(Action::CancelAppointment { appointment_id: id });
                            out.say("Your appointment is cancelled.");
                        }
                        out.say("Anything else I can help with?");
                        return Step::Done;
                    }
                    Some(false) => {
                        out.say("Okay, I've left it as it is. Anything else?");
                        return Step::Done;
                    }
                    None => {}
                }
            }
        }
        Flow::Reserve {
            unit,
            suggested,
            move_in,
            ask,
        } => {
            let p = ctx.profile;
            if *ask == Some(Ask::Confirm) {
                match t.ent.yes {
                    Some(true) if t.ent.unit.is_none() && t.ent.when.is_none() => {
                        let (Some(u), Some(d)) = (
                            unit.as_ref()
                                .and_then(|u| p.units.iter().find(|x| x.unit_type == *u)),
                            *move_in,
                        ) else {
                            return Step::Progress;
                        };
                        let promo = facts::promotions(p, &u.unit_type, ctx.today())
                            .first()
                            .map(|x| x.name.to_string());
                        out.actions.push(Action::ReserveUnit {
                            unit_type: u.unit_type.clone(),
                            move_in: d,
                            monthly_rate: facts::unit_rate(p, u),
                            promotion: promo,
                            contact: state.contact.clone(),
                        });
                        out.say(format!(
                            "{} Your {} is reserved, with move-in on {}.",
                            say::pick(
                                &["Great news!", "All done!", "You're all set!"],
                                state.turns
                            ),
                            u.unit_type,
                            say::date(d)
                        ));
                        out.say("Anything else I can help with?");
                        return Step::Done;
                    }
                    Some(false) if t.ent.unit.is_none() && t.ent.when.is_none() => {
                        *ask = None;
                        *unit = None;
                        *move_in = None;
                        out.say("No problem, let's fix that.");
                        return Step::Progress;
                    }
                    _ => {}
                }
            }
            if *ask == Some(Ask::Alternative) && t.ent.yes == Some(true) && t.ent.unit.is_none() {
                *unit = suggested.take();
                progressed = true;
            } else if let Some(u) = &t.ent.unit {
                *unit = Some(u.clone());
                progressed = true;
            } else if unit.is_none()
                && let Some(Topic::Unit(u)) = &state.topic
                && *ask != Some(Ask::Alternative)
            {
                *unit = Some(u.clone());
                progressed = true;
            }
            let asap = ["asap", "soon", "possible", "immediately", "now"]
                .iter()
                .any(|w| t.has(w));
            if let Some(d) = t.ent.when.and_then(|w| w.date.or(w.span.map(|s| s.0))) {
                *move_in = Some(d);
                progressed = true;
            } else if asap && *ask == Some(Ask::MoveIn) {
                *move_in = Some(ctx.today());
                progressed = true;
            }
        }
        Flow::Order {
            lines,
            fulfillment,
            address,
            more_done,
            ask,
        } => {
            let p = ctx.profile;
            if *ask == Some(Ask::Confirm) {
                match t.ent.yes {
                    Some(true) if t.ent.items.is_empty() => {
                        let priced: Vec<PricedLine> = lines
                            .iter()
                            .map(|l| PricedLine {
                                item: l.item.clone(),
                                quantity: l.quantity,
                                options: l.options.clone(),
                                total: facts::line_total(p, l),
                            })
                            .collect();
                        let subtotal =
                            Money::from_cents(priced.iter().map(|l| l.total.cents()).sum());
                        let fee = delivery_fee(ctx, *fulfillment);
                        let f = fulfillment.unwrap_or(Fulfillment::Pickup);
                        out.actions.push(Action::PlaceOrder {
                            lines: priced,
                            fulfillment: f,
                            address: address.clone(),
                            subtotal,
                            delivery_fee: fee,
                            total: Money::from_cents(subtotal.cents() + fee.cents()),
                            contact: state.contact.clone(),
                        });
                        out.say(say::pick(
                            &["Your order is in!", "Great, your order is placed!"],
                            state.turns,
                        ));
                        let prep = p.ordering.as_ref().and_then(|o| o.prep_minutes);
                        match (f, prep) {
                            (Fulfillment::Pickup, Some(m)) => {
                                out.say(format!("It'll be ready for pickup in about {m} minutes."))
                            }
                            (Fulfillment::Delivery, _) => out.say(format!(
                                "We'll deliver it to {}.",
                                address.clone().unwrap_or_default()
                            )),
                            _ => {}
                        }
                        out.say("Anything else?");
                        return Step::Done;
                    }
                    Some(false) if t.ent.items.is_empty() => {
                        *ask = Some(Ask::Items);
                        *more_done = false;
                        out.say("What would you like to change?");
                        return Step::Asked;
                    }
                    _ => {}
                }
            }
            if !t.ent.items.is_empty() {
                let replace = *ask == Some(Ask::Confirm)
                    || ["make", "change", "instead", "actually", "switch"]
                        .iter()
                        .any(|w| t.has(w));
                let remove = ["remove", "without", "drop", "minus"]
                    .iter()
                    .any(|w| t.has(w))
                    || (t.has("take") && t.has("off"));
                for l in &t.ent.items {
                    let l = facts::with_defaults(p, l.clone());
                    if remove {
                        lines.retain(|x| x.item != l.item);
                    } else if let Some(existing) = lines
                        .iter_mut()
                        .find(|x| x.item == l.item)
                        .filter(|_| replace)
                    {
                        // A change names what changes: keep the options and quantity not said.
                        let said = t.ent.items.iter().find(|x| x.item == l.item);
                        for (name, choice) in said.map(|x| x.options.clone()).unwrap_or_default() {
                            match existing.options.iter_mut().find(|(n, _)| *n == name) {
                                Some(o) => o.1 = choice,
                                None => existing.options.push((name, choice)),
                            }
                        }
                        if l.quantity != 1 {
                            existing.quantity = l.quantity;
                        }
                    } else {
                        lines.push(l);
                    }
                }
                if *ask == Some(Ask::More) || *ask == Some(Ask::Confirm) {
                    *more_done = false;
                }
                progressed = true;
            } else if matches!(*ask, Some(Ask::More))
                && (t.ent.yes == Some(false)
                    || ["all", "it", "everything", "done", "good"]
                        .iter()
                        .any(|w| t.has(w)))
            {
                *more_done = true;
                progressed = true;
            } else if *ask == Some(Ask::More) && t.ent.yes == Some(true) {
                *ask = Some(Ask::Items);
                out.say("Sure, what else would you like?");
                return Step::Asked;
            }
            let pickup = t.ent.fulfillment == Some(Fulfillment::Pickup)
                || t.has("pickup")
                || (t.has("pick") && t.has("up"))
                || t.has("takeout")
                || t.has("collect")
                || t.has("carryout")
                || (t.has("carry") && t.has("out"));
            let delivery = t.ent.fulfillment == Some(Fulfillment::Delivery)
                || t.has("delivery")
                || t.has("deliver")
                || t.has("delivered");
            let o = p.ordering.as_ref();
            if pickup && !delivery && o.is_none_or(|o| o.pickup) {
                *fulfillment = Some(Fulfillment::Pickup);
                progressed = true;
            } else if delivery && !pickup && o.is_some_and(|o| o.delivery) {
                *fulfillment = Some(Fulfillment::Delivery);
                progressed = true;
            }
            if *ask == Some(Ask::Address) {
                let text = strip_fillers(t.raw);
                if text.chars().any(|c| c.is_ascii_digit()) && text.split_whitespace().count() >= 2
                {
                    *address = Some(text);
                    progressed = true;
                }
            }
        }
        Flow::Message { text, ask } => {
            // The request itself may carry the message ("…call me about my bill").
            let carries = ["about", "that", "regarding", "saying", "re"]
                .iter()
                .any(|w| t.has(w));
            if *ask == Some(Ask::Text)
                || (text.is_none() && ask.is_none() && t.ws.len() >= 8 && carries)
            {
                let s = strip_fillers(t.raw);
                if !s.is_empty() {
                    *text = Some(s);
                    progressed = true;
                }
            }
        }
    }
    if progressed {
        Step::Progress
    } else {
        Step::Nothing
    }
}

fn strip_fillers(raw: &str) -> String {
    let mut s = raw.trim();
    loop {
        let lower = s.to_lowercase();
        let before = s.len();
        for f in [
            "yes,",
            "yes",
            "yeah,",
            "yeah",
            "sure,",
            "sure",
            "um,",
            "um",
            "uh",
            "ok,",
            "okay,",
            "it's",
            "its",
            "the address is",
            "address is",
            "tell them",
            "just",
            "please",
            "that",
            "can you",
            "let them know",
        ] {
            if lower.starts_with(f) && lower[f.len()..].starts_with([' ', ',']) {
                s = s[f.len()..].trim_start_matches([' ', ',']);
                break;
            }
        }
        if s.len() == before {
            break;
        }
    }
    s.trim().trim_end_matches(['.', '!']).to_owned()
}

fn delivery_fee(ctx: &Context, f: Option<Fulfillment>) -> Money {
    match f {
        Some(Fulfillment::Delivery) => ctx
            .profile
            .ordering
            .as_ref()
            .and_then(|o| o.delivery_fee)
            .unwrap_or_default(),
        _ => Money::from_cents(0),
    }
}

fn local_minute(t: &chrono::DateTime<chrono_tz::Tz>) -> u32 {
    use chrono::Timelike;
    t.hour() * 60 + t.minute()
}

/// Which of the offered slots the caller chose: by position ("the first one", "the later
/// one"), by time ("2:30"), or a plain yes when one was offered.
fn pick_offered(ctx: &Context, t: &Turn, offered: &[SlotRef]) -> Option<SlotRef> {
    let tz = ctx.tz();
    let has = |w: &str| t.has(w);
    // "The first one" is the first time offered, not one o'clock.
    if has("first") || has("1st") {
        return offered.first().cloned();
    }
    if has("second") || has("2nd") {
        return offered.get(1).cloned();
    }
    if has("third") || has("3rd") {
        return offered.get(2).cloned();
    }
    if has("last") {
        return offered.last().cloned();
    }
    if let Some(m) = t.ent.when.and_then(|w| w.time) {
        let date = t.ent.when.and_then(|w| w.date);
        let by_time: Vec<&SlotRef> = offered
            .iter()
            .filter(|s| {
                let l = s.start.with_timezone(&tz);
                (local_minute(&l) == m || local_minute(&l) == (m + 720) % 1440)
                    && date.is_none_or(|d| d == l.date_naive())
            })
            .collect();
        return by_time.first().map(|s| (*s).clone());
    }
    if has("earlier")
        || has("earliest")
        || has("sooner")
        || has("either")
        || has("any")
        || has("whichever")
    {
        return offered.first().cloned();
    }
    if has("middle") {
        return offered.get(1).cloned();
    }
    if has("later") || has("latest") {
        return offered.last().cloned();
    }
    if offered.len() == 1 && t.ent.yes == Some(true) {
        return offered.first().cloned();
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Asking the next question, or reading back for confirmation.

fn ask_name(state: &State, flow: &mut Flow, out: &mut Out) -> bool {
    if state.contact.name.is_none() {
        flow.set_ask(Some(Ask::Name));
        out.say(say::pick(
            &[
                "Can I get your name, please?",
                "What name should I put this under?",
                "And your name, please?",
            ],
            state.turns,
        ));
        return true;
    }
    false
}

fn ask_phone(state: &State, flow: &mut Flow, out: &mut Out) -> bool {
    if state.contact.phone.is_none() {
        let again = flow.asking() == Some(Ask::Phone);
        flow.set_ask(Some(Ask::Phone));
        out.say(if again {
            "I need the whole number, with the area code. Could you say it digit by digit?"
        } else {
            say::pick(
                &[
                    "What's the best phone number to reach you?",
                    "And a phone number where we can reach you?",
                ],
                state.turns,
            )
        });
        return true;
    }
    false
}

fn spoken_phone(p: &crate::types::PhoneE164) -> String {
    let s = p.as_str();
    match s.strip_prefix("+1") {
        Some(d) if d.len() == 10 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => s.to_owned(),
    }
}

/// Moves a flow on: asks the next missing detail, or reads back and asks for a yes.
fn advance(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let p = ctx.profile;
    match flow {
        Flow::Book { .. } => advance_book(ctx, state, flow, out),
        Flow::Lookup { .. } => advance_lookup(ctx, state, flow, out),
        Flow::Reserve {
            unit,
            suggested,
            move_in,
            ask,
        } => {
            let u = match unit
                .as_ref()
                .and_then(|u| p.units.iter().find(|x| x.unit_type == *u))
            {
                None => {
                    let free = free_units(p);
                    if free.is_empty() {
                        *ask = None;
                        out.say("I'm sorry, we don't have any units available right now.");
                        return offer_message(ctx, state, out);
                    }
                    *ask = Some(Ask::Unit);
                    return out.say(format!(
                        "Which size would you like? We have {} available.",
                        say::either(&free)
                    ));
                }
                Some(u) => u,
            };
            state.topic = Some(Topic::Unit(u.unit_type.clone()));
            if u.available == 0 {
                out.say(format!(
                    "I'm sorry, the {} is sold out right now.",
                    u.unit_type
                ));
                *unit = None;
                match alternative(p, u) {
                    Some(alt) => {
                        *suggested = Some(alt.unit_type.clone());
                        *ask = Some(Ask::Alternative);
                        out.say(format!(
                            "The closest size available is a {} at {} a month. Would you like that one instead?",
                            alt.unit_type,
                            say::money(facts::unit_rate(p, alt))
                        ));
                    }
                    None => {
                        *ask = None;
                        offer_message(ctx, state, out);
                    }
                }
                return;
            }
            let Some(d) = *move_in else {
                *ask = Some(Ask::MoveIn);
                return out.say(format!(
                    "Great, a {} at {} a month. What day would you like to move in?",
                    u.unit_type,
                    say::money(facts::unit_rate(p, u))
                ));
            };
            if d < ctx.today() {
                *move_in = None;
                *ask = Some(Ask::MoveIn);
                return out
                    .say("That date has already passed. What day would you like to move in?");
            }
            if ask_name(state, flow, out) || ask_phone(state, flow, out) {
                return;
            }
            flow.set_ask(Some(Ask::Confirm));
            let promo = facts::promotions(p, &u.unit_type, ctx.today());
            let promo = promo
                .first()
                .map(|x| format!(" with the {} offer", x.name))
                .unwrap_or_default();
            out.say(format!(
                "To confirm: a {} at {} a month{promo}, moving in {}, under {}, phone {}. Shall I reserve it?",
                u.unit_type,
                say::money(facts::unit_rate(p, u)),
                say::date(d),
                state.contact.name.clone().unwrap_or_default(),
                state.contact.phone.as_ref().map(spoken_phone).unwrap_or_default()
            ));
        }
        Flow::Order {
            lines,
            fulfillment,
            address,
            more_done,
            ask,
        } => {
            if lines.is_empty() {
                *ask = Some(Ask::Items);
                let cats: Vec<String> = {
                    let mut c: Vec<String> = p
                        .menu
                        .iter()
                        .filter_map(|m| m.category.clone())
                        .map(|c| c.to_lowercase())
                        .collect();
                    c.dedup();
                    c
                };
                return out.say(if cats.is_empty() {
                    "What would you like to order?".to_owned()
                } else {
                    format!(
                        "What would you like to order? We have {}.",
                        say::list(&cats)
                    )
                });
            }
            if !*more_done {
                let said: Vec<String> = lines.iter().map(facts::line_text).collect();
                *ask = Some(Ask::More);
                return out.say(format!(
                    "{} {}. Anything else?",
                    say::pick(&["Got it:", "Okay:", "Sure:"], state.turns),
                    say::list(&said)
                ));
            }
            let subtotal =
                Money::from_cents(lines.iter().map(|l| facts::line_total(p, l).cents()).sum());
            if let Some(min) = p.ordering.as_ref().and_then(|o| o.min_order)
                && subtotal < min
            {
                *more_done = false;
                *ask = Some(Ask::Items);
                return out.say(format!(
                    "Our minimum order is {} and you're at {} so far. What else would you like?",
                    say::money(min),
                    say::money(subtotal)
                ));
            }
            let o = p.ordering.as_ref();
            if fulfillment.is_none() {
                match o.map(|o| (o.pickup, o.delivery)) {
                    Some((true, true)) => {
                        *ask = Some(Ask::Fulfillment);
                        return out.say("Will that be pickup or delivery?");
                    }
                    Some((false, true)) => *fulfillment = Some(Fulfillment::Delivery),
                    _ => *fulfillment = Some(Fulfillment::Pickup),
                }
            }
            if *fulfillment == Some(Fulfillment::Delivery) && address.is_none() {
                let again = *ask == Some(Ask::Address);
                *ask = Some(Ask::Address);
                return out.say(if again {
                    "Sorry, I need the street address with the house number. What's the address?"
                } else {
                    "What's the delivery address?"
                });
            }
            if ask_name(state, flow, out) || ask_phone(state, flow, out) {
                return;
            }
            let Flow::Order {
                lines,
                fulfillment,
                address,
                ..
            } = flow
            else {
                return;
            };
            let fee = delivery_fee(ctx, *fulfillment);
            let said: Vec<String> = lines.iter().map(facts::line_text).collect();
            let how = match fulfillment {
                Some(Fulfillment::Delivery) => format!(
                    "for delivery to {}, with a {} delivery fee",
                    address.clone().unwrap_or_default(),
                    say::money(fee)
                ),
                _ => "for pickup".to_owned(),
            };
            flow.set_ask(Some(Ask::Confirm));
            out.say(format!(
                "So that's {}, {how}. Your total is {}. Shall I place the order?",
                say::list(&said),
                say::money(Money::from_cents(subtotal.cents() + fee.cents()))
            ));
        }
        Flow::Message { text, .. } => {
            if text.is_none() {
                flow.set_ask(Some(Ask::Text));
                return out.say(say::pick(
                    &[
                        "Sure. What message would you like me to pass on?",
                        "Of course. What would you like me to tell them?",
                    ],
                    state.turns,
                ));
            }
            if ask_name(state, flow, out) || ask_phone(state, flow, out) {
                return;
            }
            let Flow::Message { text, .. } = flow else {
                return;
            };
            out.actions.push(Action::TakeMessage {
                text: text.clone().unwrap_or_default(),
                contact: state.contact.clone(),
            });
            let first = state
                .contact
                .name
                .as_deref()
                .and_then(|n| n.split(' ').next())
                .unwrap_or("");
            out.say(format!(
                "Thanks{}. I've passed your message on, with your number {}. Anything else?",
                if first.is_empty() {
                    String::new()
                } else {
                    format!(", {first}")
                },
                state
                    .contact
                    .phone
                    .as_ref()
                    .map(spoken_phone)
                    .unwrap_or_default()
            ));
            flow.set_ask(None);
        }
    }
}

fn advance_lookup(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let Flow::Lookup {
        purpose,
        found,
        ask,
    } = flow
    else {
        return;
    };
    let purpose = *purpose;
    if found.is_some() && *ask == Some(Ask::Confirm) {
        return;
    }
    let Some(phone) = state.contact.phone.clone() else {
        *ask = Some(Ask::Phone);
        return out.say("Sure. What's the phone number it's under?");
    };
    let tz = ctx.tz();
    let today = ctx.today();
    if matches!(purpose, Purpose::OrderStatus | Purpose::CancelOrder) {
        let order = ctx
            .orders
            .iter()
            .filter(|o| o.phone.as_deref() == Some(phone.as_str()))
            .max_by_key(|o| o.created);
        let Some(o) = order else {
            *ask = None;
            return out.say(format!(
                "I can't find a recent order for {}. Is there anything else I can help with?",
                spoken_phone(&phone)
            ));
        };
        let placed = o.created.with_timezone(&tz);
        if purpose == Purpose::OrderStatus {
            *ask = None;
            let status = match o.status.as_str() {
                "received" => "has been received".to_owned(),
                "out_for_delivery" => "is out for delivery".to_owned(),
                s => format!("is {s}"),
            };
            let mut s = format!(
                "Your order of {}, placed at {}, {status}.",
                o.summary,
                say::time(local_minute(&placed))
            );
            if let Some(m) = ctx.profile.ordering.as_ref().and_then(|x| x.prep_minutes)
                && matches!(o.status.as_str(), "received" | "preparing")
            {
                let ready = placed + Duration::minutes(i64::from(m));
                s.push_str(&format!(
                    " It should be ready around {}.",
                    say::time(local_minute(&ready))
                ));
            }
            return out.say(s);
        }
        if !matches!(o.status.as_str(), "received") {
            *ask = None;
            out.say(format!(
                "Your order is already {}, so I can't cancel it myself.",
                o.status.replace('_', " ")
            ));
            return offer_message(ctx, state, out);
        }
        *found = Some(o.id.clone());
        *ask = Some(Ask::Confirm);
        return out.say(format!(
            "I see your order of {}. Shall I cancel it?",
            o.summary
        ));
    }
    let mine: Vec<&super::Appointment> = {
        let mut v: Vec<&super::Appointment> = ctx
            .appointments
            .iter()
            .filter(|a| a.phone.as_deref() == Some(phone.as_str()) && a.start > ctx.now)
            .collect();
        v.sort_by_key(|a| a.start);
        v
    };
    let Some(a) = mine.first() else {
        *ask = None;
        out.say(format!(
            "I can't find an upcoming appointment for {}.",
            spoken_phone(&phone)
        ));
        return offer_message(ctx, state, out);
    };
    let l = a.start.with_timezone(&tz);
    let when = format!(
        "{} at {}",
        say::day(l.date_naive(), today),
        say::time(local_minute(&l))
    );
    let with = a
        .staff
        .as_ref()
        .map(|s| format!(" with {s}"))
        .unwrap_or_default();
    match purpose {
        Purpose::Check => {
            *ask = None;
            let more = if mine.len() > 1 {
                format!(
                    " You have {} upcoming appointments; that's the next one.",
                    mine.len()
                )
            } else {
                String::new()
            };
            out.say(format!(
                "You're booked for {} {when}{with}.{more}",
                a.service.to_lowercase()
            ));
        }
        Purpose::Cancel => {
            *found = Some(a.id.clone());
            *ask = Some(Ask::Confirm);
            out.say(format!(
                "I see your {} {when}{with}. Shall I cancel it?",
                a.service.to_lowercase()
            ));
        }
        Purpose::Reschedule => {
            out.say(format!("I see your {} {when}.", a.service.to_lowercase()));
            let mut book = Flow::Book {
                service: Some(a.service.clone()),
                when: When::default(),
                staff: None,
                offered: vec![],
                chosen: None,
                ask: None,
                moving: Some(a.id.clone()),
            };
            advance_book(ctx, state, &mut book, out);
            *flow = book;
        }
        _ => {}
    }
}

fn advance_book(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let p = ctx.profile;
    let Flow::Book {
        service,
        when,
        staff,
        offered,
        chosen,
        ask,
        moving,
    } = flow
    else {
        return;
    };
    let Some(svc) = service.clone() else {
        *ask = Some(Ask::Service);
        let names: Vec<String> = p
            .services
            .iter()
            .map(|s| s.name.as_str().to_lowercase())
            .collect();
        return out.say(format!(
            "Which service do you need? We offer {}.",
            say::either(&names)
        ));
    };
    state.topic = Some(Topic::Service(svc.clone()));
    if chosen.is_none() {
        if when.is_empty() {
            *ask = Some(Ask::When);
            return out.say(say::pick(
                &[
                    "What day and time work best for you?",
                    "When would you like us to come?",
                    "What day would suit you?",
                ],
                state.turns,
            ));
        }
        let busy: Vec<Busy> = ctx
            .appointments
            .iter()
            .filter(|a| moving.as_deref() != Some(a.id.as_str()))
            .map(|a| Busy {
                start: a.start,
                end: a.end,
                staff: a.staff.clone(),
            })
            .collect();
        match search(ctx, &svc, *when, staff.as_deref(), &busy) {
            Search::Exact(s) => *chosen = Some(s),
            Search::Offer { slots, note } => {
                if slots.is_empty() {
                    *ask = Some(Ask::When);
                    *when = When::default();
                    return out.say(format!("{note} Is there another day that works for you?"));
                }
                let tz = ctx.tz();
                let today = ctx.today();
                let first_day = slots[0].start.with_timezone(&tz).date_naive();
                let same_day = slots
                    .iter()
                    .all(|s| s.start.with_timezone(&tz).date_naive() == first_day);
                let times: Vec<String> = slots
                    .iter()
                    .map(|s| {
                        let l = s.start.with_timezone(&tz);
                        if same_day {
                            say::time(local_minute(&l))
                        } else {
                            format!(
                                "{} at {}",
                                say::day(l.date_naive(), today),
                                say::time(local_minute(&l))
                            )
                        }
                    })
                    .collect();
                let day = if same_day {
                    format!("{} at ", say::day(first_day, today))
                } else {
                    String::new()
                };
                let lead = if note.is_empty() {
                    String::new()
                } else {
                    format!("{note} ")
                };
                *offered = slots;
                *ask = Some(Ask::Slot);
                let q = if offered.len() == 1 {
                    "Would that work?"
                } else {
                    "Which works best?"
                };
                return out.say(
                    format!("{lead}I have {day}{}. {q}", say::either(&times)).replace("  ", " "),
                );
            }
        }
    }
    if moving.is_none() && (ask_name(state, flow, out) || ask_phone(state, flow, out)) {
        return;
    }
    let Flow::Book {
        service,
        chosen,
        ask,
        moving,
        ..
    } = flow
    else {
        return;
    };
    let Some(slot) = chosen.clone() else { return };
    let l = slot.start.with_timezone(&ctx.tz());
    let with = slot
        .staff
        .as_ref()
        .map(|s| format!(" with {s}"))
        .unwrap_or_default();
    *ask = Some(Ask::Confirm);
    let svc = service.clone().unwrap_or_default().to_lowercase();
    if moving.is_some() {
        return out.say(format!(
            "To confirm, move your {svc} to {} at {}{with}?",
            say::date(l.date_naive()),
            say::time(local_minute(&l))
        ));
    }
    let price = schedule::find_service(p, &svc)
        .and_then(|s| s.price.map(|pr| (pr, s.price_note.clone())))
        .map(|(pr, note)| {
            format!(
                " It's {}{}.",
                say::money(pr),
                note.map(|n| format!(", {n}")).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    out.say(format!(
        "To confirm: {svc} on {} at {}{with}, for {}, phone {}.{price} Shall I book it?",
        say::date(l.date_naive()),
        say::time(local_minute(&l)),
        state.contact.name.clone().unwrap_or_default(),
        state
            .contact
            .phone
            .as_ref()
            .map(spoken_phone)
            .unwrap_or_default()
    ));
}

enum Search {
    Exact(SlotRef),
    Offer { slots: Vec<SlotRef>, note: String },
}

/// Free slots for what the caller asked: the exact time if free, else up to three spread-out
/// choices on the day asked (in the window asked), else on the next day that has any.
fn search(ctx: &Context, service: &str, when: When, staff: Option<&str>, busy: &[Busy]) -> Search {
    let p = ctx.profile;
    let today = ctx.today();
    let horizon = p.booking.max_days_ahead.0;
    let (from, days) = match (when.date, when.span) {
        (Some(d), _) => (d, 1),
        (None, Some((a, b))) => (a, ((b - a).num_days() + 1) as u32),
        _ => (today, horizon.min(14)),
    };
    if from < today {
        return Search::Offer {
            slots: vec![],
            note: "That date has already passed.".into(),
        };
    }
    if (from - today).num_days() > i64::from(horizon) {
        return Search::Offer {
            slots: vec![],
            note: format!("I can only book up to {horizon} days ahead."),
        };
    }
    let all = schedule::free_slots(p, service, ctx.now, from, days, busy).unwrap_or_default();
    let refs = |v: Vec<&schedule::Slot>| -> Vec<SlotRef> {
        v.into_iter()
            .map(|s| SlotRef {
                start: s.start.with_timezone(&Utc),
                end: s.end.with_timezone(&Utc),
                staff: s.staff.clone(),
            })
            .collect()
    };
    let mine: Vec<&schedule::Slot> = all
        .iter()
        .filter(|s| staff.is_none_or(|st| s.staff.as_deref() == Some(st)))
        .collect();
    if let Some(m) = when.time
        && let Some(s) = mine.iter().find(|s| {
            local_minute(&s.start) == m && when.date.is_none_or(|d| s.start.date_naive() == d)
        })
    {
        return Search::Exact(refs(vec![s]).remove(0));
    }
    let in_window: Vec<&schedule::Slot> = mine
        .iter()
        .copied()
        .filter(|s| {
            when.window
                .is_none_or(|(a, b)| (a..b).contains(&local_minute(&s.start)))
        })
        .collect();
    let pool: Vec<&schedule::Slot> = if let Some(m) = when.time {
        // Nearest to the time asked, on the first day that has anything.
        let day = in_window.first().map(|s| s.start.date_naive());
        let mut v: Vec<&schedule::Slot> = in_window
            .iter()
            .copied()
            .filter(|s| Some(s.start.date_naive()) == day)
            .collect();
        v.sort_by_key(|s| (i64::from(local_minute(&s.start)) - i64::from(m)).abs());
        v.truncate(2);
        v.sort_by_key(|s| s.start);
        return finish(ctx, when, refs(v), from);
    } else {
        in_window
    };
    let first_day = pool.first().map(|s| s.start.date_naive());
    let mut picked: Vec<&schedule::Slot> = Vec::new();
    for s in pool
        .iter()
        .filter(|s| Some(s.start.date_naive()) == first_day)
    {
        if picked
            .last()
            .is_none_or(|l| (s.start - l.start).num_minutes() >= 90)
        {
            picked.push(s);
        }
        if picked.len() == 3 {
            break;
        }
    }
    if picked.is_empty() && (when.date.is_some() || when.span.is_some() || when.window.is_some()) {
        // Nothing then: look further ahead from the day asked.
        let later = schedule::free_slots(
            p,
            service,
            ctx.now,
            from + Duration::days(i64::from(days)),
            horizon.min(14),
            busy,
        )
        .unwrap_or_default();
        let later: Vec<&schedule::Slot> = later
            .iter()
            .filter(|s| staff.is_none_or(|st| s.staff.as_deref() == Some(st)))
            .collect();
        let day = later.first().map(|s| s.start.date_naive());
        let mut v: Vec<&schedule::Slot> = Vec::new();
        for s in later
            .iter()
            .copied()
            .filter(|s| Some(s.start.date_naive()) == day)
        {
            if v.last()
                .is_none_or(|l| (s.start - l.start).num_minutes() >= 90)
            {
                v.push(s);
            }
            if v.len() == 2 {
                break;
            }
        }
        let note = match when.date {
            Some(d) => format!("I don't have anything {} then.", say::day(d, today))
                .replace("anything today then", "anything left today"),
            None => "I don't have anything then.".to_owned(),
        };
        let slots = refs(v);
        return Search::Offer {
            note: if slots.is_empty() {
                format!("{note} I couldn't find an opening in the next two weeks either.")
            } else {
                note
            },
            slots,
        };
    }
    finish(ctx, when, refs(picked), from)
}

fn finish(ctx: &Context, when: When, slots: Vec<SlotRef>, from: NaiveDate) -> Search {
    let note = match (when.time, slots.first()) {
        (Some(m), Some(_)) => format!("{} isn't free.", say::time(m)),
        (_, None) => format!("I don't have any openings {}.", say::day(from, ctx.today())),
        _ => String::new(),
    };
    Search::Offer { slots, note }
}
