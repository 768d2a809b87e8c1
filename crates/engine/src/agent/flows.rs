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

mod answers;
mod book;
mod lookup;
mod message;
mod order;
mod reserve;
mod scope;

use answers::*;
use book::local_minute;
use message::strip_fillers;
use scope::{
    about_assistant, elsewhere, is_out_of_scope, loosely_about_other_things, out_of_scope,
    wants_person,
};

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
    /// Whether the caller meant the question the agent read back ("did you mean…?").
    Meant,
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
        /// The service the caller named, which says which of their appointments they mean.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
        /// A day and time said with it: the new time of a move, or which appointment to cancel.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// "Same time": a move keeps the appointment's time of day.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        same_time: bool,
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
        /// The caller gave the message and a number to call back in one breath: it is taken
        /// at once, without waiting for a name.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        complete: bool,
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
            complete: false,
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

impl Step {
    /// [`Step::Progress`] when something was filled, else [`Step::Nothing`].
    fn filled(progressed: bool) -> Step {
        if progressed {
            Step::Progress
        } else {
            Step::Nothing
        }
    }
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
    // A caller who swears, says they are upset or that they are repeating themselves is
    // offered a person or a message before the agent tries again; what they were doing waits.
    if crate::nlu::sentiment::frustrated(&t.ws)
        && state.offer != Some(Offer::MessageOrTransfer)
        && !wants_person(ctx, t)
        && !crate::agent::asks_to_pass_on(&t.ws)
    {
        out.intent = Some(Intent::Complaint);
        if let Some(f) = state.flow.take() {
            state.paused = Some(f);
        }
        out.say(say::pick(
            &["I'm sorry about that.", "I'm sorry, that's frustrating."],
            state.turns,
        ));
        return offer_message(ctx, state, out);
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
                // A task set aside of the kind just done (a booking started again from the
                // top while the first waited) is done too: resuming it would do it twice.
                if state
                    .paused
                    .as_ref()
                    .is_some_and(|p| p.intent() == before.intent())
                {
                    state.paused = None;
                }
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
/// A question is not an alarm when it is plainly about something else: the out-of-scope class
/// owns it (smoking a brisket, a flood watch for the county), or it asks about "emergency"
/// as a thing (an emergency fee, the emergency exit). A caller in trouble says so.
pub(crate) fn is_emergency(p: &crate::profile::Profile, t: &Turn) -> bool {
    // "You fixed a burst pipe for us last winter", "years ago I had an allergic reaction": what
    // happened once is no emergency now, unless the caller says it is happening.
    if in_the_past(t) && !danger(t) {
        return false;
    }
    let asked_about = looks_like_question(t) && !danger(t);
    let elsewhere = t.intent == Intent::OutOfScope && t.confidence >= UNSURE;
    match emergency_keyword(p, &t.ws) {
        Some(super::Alarm::Keyword) if !(asked_about && elsewhere) => true,
        // "I need an emergency passport": the word alone, about something this business never
        // mentions, in none of its words, is someone else's emergency.
        Some(super::Alarm::Word) if !asked_about && !elsewhere => true,
        // A question about emergencies ("do you have an after-hours emergency service?") is a
        // question: without a keyword of the business or a sign of danger it alerts nobody.
        _ => {
            t.intent == Intent::Emergency
                && t.confidence >= 0.5
                && !asked_about
                && (danger(t) || !scope::foreign_to_us(t))
        }
    }
}

/// Words of someone in trouble now.
/// Whether the turn tells of something past and says nothing is happening now.
fn in_the_past(t: &Turn) -> bool {
    let past = t.has("ago")
        || t.has("previously")
        || t.has("fixed")
        || t.has("repaired")
        || t.ws.windows(2).any(|w| {
            (w[0] == "last"
                && matches!(
                    w[1].as_str(),
                    "year" | "winter" | "summer" | "spring" | "fall" | "autumn" | "month" | "week"
                ))
                || (w[0] == "used" && w[1] == "to")
                || (w[0] == "back" && w[1] == "in")
        });
    let now = [
        "now",
        "currently",
        "again",
        "still",
        "today",
        "tonight",
        "happening",
        "started",
    ]
    .iter()
    .any(|w| t.has(w));
    past && !now
}

fn danger(t: &Turn) -> bool {
    // "Quick question" is an opener, not a hurry.
    let quick_question =
        t.ws.windows(2)
            .any(|w| w[0] == "quick" && matches!(w[1].as_str(), "question" | "one" | "q"));
    [
        "help",
        "now",
        "everywhere",
        "hurry",
        "urgent",
        "asap",
        "immediately",
        "right",
        "quick",
        "please",
        "bleeding",
        "pouring",
        "gushing",
        "spraying",
    ]
    .iter()
    .any(|w| t.has(w) && !(*w == "quick" && quick_question))
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
        // "Did you mean…?" "Yes": the answer; "no": a message or a person instead.
        Offer::Answer { source } => {
            if t.ent.yes == Some(true) && !starts_flow(t) {
                answers::knowledge_answer(ctx, state, Some(source), out);
                return true;
            }
            if t.ent.yes == Some(false) && !starts_flow(t) && !looks_like_question(t) {
                out.intent = Some(Intent::No);
                out.say("Sorry, then I don't have an answer for that.");
                offer_message(ctx, state, out);
                return true;
            }
            return false;
        }
        // A person is put through only when asked for; a bare "yes" to "a message or someone?"
        // leaves a message, which loses nothing and spends nobody's time.
        Offer::MessageOrTransfer => {
            if wants_person && !wants_message {
                transfer(ctx, state, "caller asked for a person", out);
                return true;
            }
            if wants_message || (t.ent.yes == Some(true) && !starts_flow(t)) {
                start(ctx, state, Flow::message(), t, out);
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
    // The caller starts over what was set aside: the new one replaces it.
    if state
        .paused
        .as_ref()
        .is_some_and(|p| p.intent() == flow.intent())
    {
        state.paused = None;
    }
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
            service: None,
            when: None,
            same_time: false,
        },
        t,
        out,
    )
}

/// A question the classifier read loosely as a request of another kind, read as the
/// question it is: a weak guess never starts a lookup, a price list, an apology or a booking
/// that the caller's words do not ask for.
fn as_question<'t>(ctx: &Context, t: &Turn<'t>) -> Option<Turn<'t>> {
    if !looks_like_question(t) {
        return None;
    }
    if echoes_a_document(t) {
        return Some(Turn {
            intent: Intent::Faq,
            ..t.clone()
        });
    }
    if t.confidence >= 0.5 {
        return None;
    }
    let has_any = |ws: &[&str]| ws.iter().any(|w| t.has(w));
    let strong = t.hit.as_ref().is_some_and(|h| h.confidence >= KNOWN);
    let reread = match t.intent {
        // "Do I have to see my doctor first?" is no appointment of the caller's to find.
        Intent::Cancel
        | Intent::Reschedule
        | Intent::CheckBooking
        | Intent::OrderStatus
        | Intent::ChangeOrder => {
            t.confidence < CONFIDENT
                && !has_any(&[
                    "off",
                    "came",
                    "cancel",
                    "cancelling",
                    "canceling",
                    "move",
                    "moving",
                    "reschedule",
                    "change",
                    "appointment",
                    "appt",
                    "booking",
                    "booked",
                    "reservation",
                    "reserved",
                    "order",
                    "ordered",
                    "status",
                    "confirm",
                    "my",
                ])
        }
        // "Do you put MSG in the soups?" asks no price.
        Intent::Prices => !answers::names_a_price(t),
        // "How spicy is the habanero salsa?" is no complaint.
        Intent::Complaint => t.ent.sentiment.is_none_or(|s| s >= 0.0),
        // "Do you have loaner cars?" asks about a thing, not for a time.
        Intent::Availability => {
            !ctx.profile.services.is_empty()
                && t.ent.when.is_none()
                && t.ent.service.is_none()
                && (strong || asks_about_something_else(ctx, t))
        }
        _ => false,
    };
    reread.then(|| Turn {
        intent: Intent::Faq,
        ..t.clone()
    })
}

/// A knowledge-base match this close (nearly every informative word of the question in one
/// document) is that document's question.
const ECHO: f32 = 0.75;

/// "Does my pet need to fast before surgery?", "do you see exotic pets?", "how much is the
/// tenant protection?": a question whose informative words are nearly all in one of the
/// business's own documents asks what that document answers, whatever its verbs sounded like
/// to the classifier (a move, a goodbye, a price list). Not a question that gives a day or a
/// time, names dishes or a unit, asks for a person or says there is danger, nor one that only
/// names a service (a service's own words are how a booking is asked for).
fn echoes_a_document(t: &Turn) -> bool {
    t.hit
        .as_ref()
        .is_some_and(|h| h.confidence >= ECHO && !matches!(h.source, Source::Service(_)))
        && t.ent.when.is_none()
        && t.ent.items.is_empty()
        && t.ent.unit.is_none()
        // A request for a booking, an order or a reservation is read as such by the router,
        // which answers the ones put as questions ("do you do …?").
        && !matches!(
            t.intent,
            Intent::Human
                | Intent::Emergency
                | Intent::LeaveMessage
                | Intent::Faq
                | Intent::Book
                | Intent::Order
                | Intent::ReserveUnit
        )
        && !crate::agent::asks_to_pass_on(&t.ws)
}

/// A question that opens with a question word or weighs one thing against another ("is
/// ciao hello or goodbye"): not what someone says to end a call.
fn asks_about_words(t: &Turn) -> bool {
    let first = t.ws.first().map(String::as_str);
    matches!(
        first,
        Some("how" | "what" | "what's" | "whats" | "why" | "which" | "who" | "where" | "when")
    ) || (matches!(first, Some("is" | "are" | "does" | "do")) && t.has("or"))
}

/// Acts on the caller's intent when no flow is waiting.
fn dispatch(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    let reread = as_question(ctx, t);
    let t = reread.as_ref().unwrap_or(t);
    let p = ctx.profile;
    let tone = ctx.tone();
    if wants_person(ctx, t) {
        out.intent = Some(Intent::Human);
        // "I'd like to speak to someone about my electric bill", to a music school: about
        // something the business never mentions, in none of its words. The caller hears whom
        // they reached and is asked before anyone is put through.
        if scope::person_for_other_things(ctx, t) {
            out.say(format!(
                "This is {}, and that may be something for another company.",
                ctx.profile.name
            ));
            return offer_message(ctx, state, out);
        }
        return transfer(ctx, state, "caller asked for a person", out);
    }
    if is_out_of_scope(t) || scope::someone_elses_task(ctx, t) {
        return out_of_scope(ctx, state, t, out);
    }
    // The same, in some of the business's own words ("is there an extra charge for a really
    // messy coat?"): a question about it the data does not answer.
    if loosely_about_other_things(t) {
        return unanswered(ctx, state, t, out);
    }
    let intent = if t.confidence >= UNSURE {
        t.intent
    } else {
        Intent::OutOfScope
    };
    out.intent = Some(intent);
    // A question stays a question: it is answered from the data (or noted for the owner), and
    // a booking, order or reservation starts only when the caller asks for one.
    let passes_on = intent == Intent::LeaveMessage && crate::agent::asks_to_pass_on(&t.ws);
    // So is one about the rules for cancelling or moving ("if I can't make it, how far ahead
    // do I need to tell you?"): the policy, not the caller's booking.
    let about_the_rules =
        matches!(intent, Intent::Cancel | Intent::Reschedule) && answers::asks_about_the_rules(t);
    if (matches!(
        intent,
        Intent::Book | Intent::Order | Intent::ReserveUnit | Intent::LeaveMessage
    ) && !passes_on
        && answers::asks_rather_than_requests(t))
        || about_the_rules
    {
        if answer_question(ctx, state, t, out) {
            return;
        }
        // About a service, a dish or a unit we have: what the data says of it, unless the
        // question is about something else the data may hold.
        if let Some(topic) = answers::topic_of(t)
            && !(answers::asks_beyond_its_subject(ctx, t)
                && (answers::might_mean_a_document(t) || !answers::names_a_price(t)))
        {
            out.intent = Some(Intent::Prices);
            return answers::prices(ctx, state, t, Some(topic), out);
        }
        return unanswered(ctx, state, t, out);
    }
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
        Intent::Cancel if t.has("order") || t.has("ordered") => {
            lookup(ctx, state, Purpose::CancelOrder, t, out)
        }
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
        Intent::Assistant if about_assistant(ctx, t, out) => {}
        // A person at another company is not ours to put through to.
        Intent::Human if elsewhere(ctx, t) => out_of_scope(ctx, state, t, out),
        // Read as wanting a person, but naming none and no transfer ("can you just talk to me
        // for a minute"): offered, not done.
        Intent::Human if !scope::names_a_person(t) => {
            out.say(format!(
                "I'm the automated assistant for {}.",
                ctx.profile.name
            ));
            offer_message(ctx, state, out);
        }
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
        // "How do you say see you tomorrow in Portuguese?", "is ciao hello or goodbye?": a
        // question with a farewell in it is no farewell.
        Intent::Goodbye if asks_about_words(t) => unanswered(ctx, state, t, out),
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
    if question && offer_answer(ctx, state, t, out) {
        return;
    }
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

/// Retrieval below this is no answer to read back.
const MEANT: f32 = 0.3;

/// The off-topic model's score above which nothing is read back (chosen on
/// `eval/offtopic/tune.txt` and the bank's seed 2: 0.25 reads back about 1 off-topic turn in
/// 300 and recovers about one unsure question in fifteen).
const READ_BACK_OOS: f32 = 0.25;

/// A question the knowledge base may answer but is not sure of (confidence from `MEANT` up to
/// `KNOWN`): the owner's own question is read back ("Did you mean: do you take walk-ins?")
/// and answered only when the caller says yes. Nothing is stated before then. Not for a turn
/// that names something the business never mentions, in none of its words.
fn offer_answer(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) -> bool {
    let Some(h) = t.hit.as_ref().filter(|h| h.confidence >= MEANT) else {
        return false;
    };
    if scope::foreign_to_us(t) {
        return false;
    }
    // Nor for a turn the off-topic model leans toward at all: a weak match to some FAQ of a
    // question about a mortgage or a flight is no reason to ask about the FAQ.
    if t.oos > READ_BACK_OOS {
        return false;
    }
    let p = ctx.profile;
    let read_back = match h.source {
        Source::Faq(i) => format!(
            "Did you mean: {}?",
            say::lower_first(p.faqs[i].q.as_str()).trim_end_matches(['?', '.'])
        ),
        Source::Policy(i) => format!(
            "Are you asking about our {} policy?",
            p.policies[i].topic.as_str().to_lowercase()
        ),
        Source::Service(_) => return false,
    };
    // Noted for the owner now, whatever the caller says next: the data did not clearly answer
    // it, and a caller who hangs up at the read-back still asked it.
    out.actions.push(Action::RecordUnanswered {
        question: t.raw.trim().to_owned(),
    });
    out.say(format!("I'm not sure I have that exactly. {read_back}"));
    state.offer = Some(Offer::Answer { source: h.source });
    true
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
    let progressed = match ask {
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
        Flow::Book { .. } => book::fill(ctx, state, flow, t, out, progressed),
        Flow::Lookup { .. } => lookup::fill(ctx, state, flow, t, out, progressed),
        Flow::Reserve { .. } => reserve::fill(ctx, state, flow, t, out, progressed),
        Flow::Order { .. } => order::fill(ctx, state, flow, t, out, progressed),
        Flow::Message { .. } => message::fill(ctx, state, flow, t, out, progressed),
    }
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
    match flow {
        Flow::Book { .. } => book::advance(ctx, state, flow, out),
        Flow::Lookup { .. } => lookup::advance(ctx, state, flow, out),
        Flow::Reserve { .. } => reserve::advance(ctx, state, flow, out),
        Flow::Order { .. } => order::advance(ctx, state, flow, out),
        Flow::Message { .. } => message::advance(ctx, state, flow, out),
    }
}
