//! The conversation engine. Pure: a profile, the conversation's state and what the caller said
//! go in; a short speakable reply and the actions to commit come out.
//!
//! Understanding (intent classifier, entities, retrieval) turns a turn into a small set of
//! commands — start a flow, fill or correct a slot, answer from knowledge, clarify, hand off,
//! stop — in the manner of Rasa's CALM design; the business rules live in the deterministic
//! flows of `flows.rs` (book, reschedule, cancel, reserve, order, message). A language model may
//! replace the understanding and the phrasing, never the flows.

pub(crate) mod facts;
mod flows;
pub mod guard;
pub mod say;
#[cfg(test)]
mod tests;
pub mod tools;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::nlu::entities::{self, Line};
use crate::nlu::intent::{Classifier, Intent};
use crate::nlu::knowledge::{Hit, Knowledge, Source};
use crate::nlu::text::{stem, words};
use crate::nlu::when::{self, When};
use crate::profile::{EmergencyAction, Profile, Tone};
use crate::types::{Email, Money, PhoneE164};

pub use facts::unit_rate;
pub use flows::{Ask, Flow};

/// How the caller reached the business; replies are shaped for it (spoken or written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Sms,
    Whatsapp,
    Web,
    Cli,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Self::Voice,
        Self::Sms,
        Self::Whatsapp,
        Self::Web,
        Self::Cli,
        Self::Api,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Web => "web",
            Channel::Cli => "cli",
            Channel::Api => "api",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// An upcoming appointment the host loaded for this turn: it blocks slots, and the caller may
/// ask about, move or cancel their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: String,
    pub service: String,
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub phone: Option<PhoneE164>,
}

/// A recent order the caller may ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInfo {
    pub id: String,
    pub phone: Option<PhoneE164>,
    pub status: String,
    pub summary: String,
    pub created: DateTime<Utc>,
}

/// Everything the engine may know for one turn, loaded by the host.
pub struct Context<'a> {
    pub profile: &'a Profile,
    pub knowledge: &'a Knowledge,
    pub now: DateTime<Utc>,
    pub channel: Channel,
    /// The caller's number from caller id or the messaging address, when known.
    pub caller: Option<PhoneE164>,
    pub appointments: &'a [Appointment],
    /// Other time nobody can book: staff time off, the business's blocks.
    pub blocked: &'a [crate::schedule::Busy],
    pub orders: &'a [OrderInfo],
}

impl Context<'_> {
    pub fn tz(&self) -> Tz {
        self.profile.timezone.0
    }
    pub fn local(&self) -> DateTime<Tz> {
        self.now.with_timezone(&self.tz())
    }
    pub fn today(&self) -> NaiveDate {
        self.local().date_naive()
    }
    pub fn minute(&self) -> u32 {
        let l = self.local();
        l.hour() * 60 + l.minute()
    }
    fn tone(&self) -> Tone {
        self.profile
            .persona
            .as_ref()
            .map(|p| p.tone)
            .unwrap_or_default()
    }
}

/// What the caller has told us about themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// What was last talked about, so "how much is it?" has something to refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Topic {
    Unit(String),
    Service(String),
    Menu(String),
}

/// A yes-or-no question asked outside a flow, waiting for its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Offer {
    /// "Would you like to reserve one?"
    Reserve { unit: String },
    /// "Shall I find you a time?"
    Book { service: Option<String> },
    /// "I can take a message or connect you with someone."
    MessageOrTransfer,
    /// "Would you like to order?"
    Order,
    /// "Did you mean: do you have Wi-Fi?": an answer the knowledge base is not sure fits,
    /// given when the caller says it does.
    Answer { source: Source },
}

/// The state of one conversation, kept by the host between turns (as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub turns: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
    /// A flow set aside when the caller changed the subject, resumed afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Flow>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Topic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply: Option<String>,
    /// Turns in a row that were not understood.
    #[serde(default)]
    pub misses: u8,
    #[serde(default)]
    pub ended: bool,
    /// The flow that committed on the last turn, kept so a failed commit can resume it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_flow: Option<Flow>,
}

impl State {
    /// What the agent is waiting for from the caller: a flow's detail, or whether an answer
    /// it offered is the one the caller wants.
    pub fn asking(&self) -> Option<flows::Ask> {
        match (&self.flow, &self.offer) {
            (Some(f), _) => f.asking(),
            (None, Some(Offer::Answer { .. })) => Some(flows::Ask::Meant),
            _ => None,
        }
    }

    /// The slot being booked was taken by someone else before the booking committed: go back
    /// to asking for a time.
    pub fn slot_taken(&mut self) {
        // The flow that committed is the one to resume; a flow resumed after it waits again.
        if let Some(f) = self.last_flow.take()
            && let Some(resumed) = self.flow.replace(f)
        {
            self.paused = Some(resumed);
        }
        if let Some(f) = &mut self.flow {
            f.reset_time();
        }
    }
}

/// A committed appointment time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRef {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

/// An order line with its price worked out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedLine {
    pub item: String,
    pub quantity: u32,
    pub options: Vec<(String, String)>,
    pub total: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfillment {
    Pickup,
    Delivery,
}

/// What the host must carry out, in one transaction with the turn's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    BookAppointment {
        service: String,
        slot: SlotRef,
        contact: Contact,
    },
    RescheduleAppointment {
        appointment_id: String,
        slot: SlotRef,
    },
    CancelAppointment {
        appointment_id: String,
    },
    ReserveUnit {
        unit_type: String,
        move_in: NaiveDate,
        monthly_rate: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        promotion: Option<String>,
        contact: Contact,
    },
    PlaceOrder {
        lines: Vec<PricedLine>,
        fulfillment: Fulfillment,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        subtotal: Money,
        delivery_fee: Money,
        total: Money,
        contact: Contact,
    },
    CancelOrder {
        order_id: String,
    },
    TakeMessage {
        text: String,
        contact: Contact,
    },
    /// Connect the caller to a person.
    Transfer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<PhoneE164>,
        reason: String,
    },
    /// An emergency: tell the owner at once (and transfer, per the profile).
    Escalate {
        text: String,
        alert_owner: bool,
        transfer: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<PhoneE164>,
    },
    /// A question the data could not answer, for the owner to see.
    RecordUnanswered {
        question: String,
    },
    /// The caller told us who they are.
    UpdateContact {
        contact: Contact,
    },
}

impl Action {
    /// The conversation passes to a person (a transfer, or an emergency that transfers).
    pub fn hands_off(&self) -> bool {
        matches!(
            self,
            Action::Transfer { .. } | Action::Escalate { transfer: true, .. }
        )
    }

    /// What a call has come to, as far as these actions show: the first of booked, reserved,
    /// ordered, transferred or message, unless any is an emergency; answered when none is.
    pub fn call_outcome(actions: &[Action]) -> CallOutcome {
        let mut best = CallOutcome::Answered;
        for a in actions {
            let o = match a {
                Action::Escalate { .. } => CallOutcome::Emergency,
                Action::BookAppointment { .. } | Action::RescheduleAppointment { .. } => {
                    CallOutcome::Booked
                }
                Action::ReserveUnit { .. } => CallOutcome::Reserved,
                Action::PlaceOrder { .. } => CallOutcome::Ordered,
                Action::Transfer { .. } => CallOutcome::Transferred,
                Action::TakeMessage { .. } => CallOutcome::Message,
                _ => continue,
            };
            if best == CallOutcome::Answered || o == CallOutcome::Emergency {
                best = o;
            }
        }
        best
    }
}

/// What a phone call came to, for the call log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Talked with the agent; nothing was committed.
    Answered,
    Booked,
    Reserved,
    Ordered,
    Transferred,
    Message,
    Emergency,
    /// Left a voicemail.
    Voicemail,
    /// Hung up before saying anything.
    Abandoned,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 9] = [
        CallOutcome::Answered,
        CallOutcome::Booked,
        CallOutcome::Reserved,
        CallOutcome::Ordered,
        CallOutcome::Transferred,
        CallOutcome::Message,
        CallOutcome::Emergency,
        CallOutcome::Voicemail,
        CallOutcome::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Booked => "booked",
            CallOutcome::Reserved => "reserved",
            CallOutcome::Ordered => "ordered",
            CallOutcome::Transferred => "transferred",
            CallOutcome::Message => "message",
            CallOutcome::Emergency => "emergency",
            CallOutcome::Voicemail => "voicemail",
            CallOutcome::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What an outside reader (the LLM mode) understood of a turn, already checked against the
/// business's data. Its intent replaces the classifier's. Of the entities, its own win where
/// reading takes judgement (the items with their quantities and options, the service meant, a
/// name, pickup or delivery) and the built-in readers' win where the words spell it out (dates,
/// times, phone numbers, e-mail addresses, unit sizes); each fills what the other missed. A yes
/// or no it reads counts only when the built-in reading does not say the opposite, so nothing
/// is committed on a doubtful yes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub entities: Entities,
}

/// The confidence given to an intent an outside reader chose.
pub const READ_CONFIDENCE: f32 = 0.9;

impl Reading {
    fn apply(&self, t: &mut Turn) {
        if let Some(i) = self.intent {
            t.intent = i;
            t.confidence = t.confidence.max(READ_CONFIDENCE);
        }
        let (mine, read) = (&mut t.ent, &self.entities);
        mine.when = match (mine.when, read.when) {
            (Some(m), Some(r)) => Some(r.merge(m)),
            (m, r) => m.or(r),
        };
        fill(&mut mine.phone, &read.phone);
        fill(&mut mine.email, &read.email);
        fill(&mut mine.unit, &read.unit);
        prefer(&mut mine.name, &read.name);
        prefer(&mut mine.service, &read.service);
        prefer(&mut mine.fulfillment, &read.fulfillment);
        if !read.items.is_empty() {
            mine.items = read.items.clone();
        }
        mine.yes = match (mine.yes, read.yes) {
            (Some(m), Some(r)) if m != r => None,
            (m, r) => m.or(r),
        };
    }
}

fn fill<T: Clone>(mine: &mut Option<T>, read: &Option<T>) {
    if mine.is_none() {
        mine.clone_from(read);
    }
}

fn prefer<T: Clone>(mine: &mut Option<T>, read: &Option<T>) {
    if read.is_some() {
        mine.clone_from(read);
    }
}

/// The details understood in one turn, recorded with the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Line>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes: Option<bool>,
    /// Pickup or delivery, when an outside reader understood it (the flows read the words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<Fulfillment>,
    /// How the caller sounds, from -1 (upset) to 1 (pleased), kept with the message for the
    /// owner's analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f32>,
}

/// The engine's answer to one turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub reply: String,
    pub actions: Vec<Action>,
    pub intent: Intent,
    pub confidence: f32,
    pub entities: Entities,
    /// Where an answer came from, when it came from the profile's FAQs, policies or services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The conversation is over (the caller said goodbye or was handed off).
    pub end: bool,
}

/// One turn as the flows see it: the words, the classifier's verdict and the entities.
#[derive(Clone)]
pub(crate) struct Turn<'t> {
    pub raw: &'t str,
    pub ws: Vec<String>,
    pub intent: Intent,
    pub confidence: f32,
    /// The out-of-scope class's score for this turn (see [`Scored::out_of_scope`]).
    ///
    /// [`Scored::out_of_scope`]: crate::nlu::intent::Scored::out_of_scope
    pub oos: f32,
    /// How many of the turn's informative words the business's own profile uses.
    pub own: usize,
    /// How specific the most specific word is that the business never uses (see
    /// [`Knowledge::foreign`]).
    ///
    /// [`Knowledge::foreign`]: crate::nlu::knowledge::Knowledge::foreign
    pub foreign: f32,
    /// The turn names something of this business by its own words: a service by its name
    /// (not only a description word), a unit, a menu item, or words of the profile.
    pub named: bool,
    pub ent: Entities,
    /// The knowledge base's best answer to the turn, searched once.
    pub hit: Option<Hit>,
}

impl Turn<'_> {
    pub fn has(&self, w: &str) -> bool {
        self.ws.iter().any(|x| x == w)
    }
}

/// At or above this, the classifier's intent is acted on without asking.
pub const CONFIDENT: f32 = 0.4;
/// Below this, the agent asks the caller to say it another way.
pub const UNSURE: f32 = 0.25;
/// Retrieval confidence needed to answer from the knowledge base.
pub const KNOWN: f32 = 0.5;
/// Longest turn read, in bytes; the rest is ignored.
pub const MAX_TURN_BYTES: usize = 2000;

/// The built-in agent: a trained classifier, shared by all businesses and conversations.
pub struct Agent {
    classifier: Classifier,
    /// Intents and the out-of-scope corpus together: how off-topic a turn sounds.
    scope: Classifier,
}

impl Agent {
    /// Trains the classifier on the corpus compiled into the binary.
    pub fn new() -> Self {
        // The corpus is part of the source tree and checked by tests; a bad line there is a
        // build defect, so an empty classifier (which asks the caller to rephrase) is the
        // safest failure.
        let examples = crate::nlu::intent::training_examples().unwrap_or_default();
        // Retrieval's word lists are read now, with the training, not by the first caller.
        crate::nlu::knowledge::warm();
        Self {
            classifier: Classifier::train(&examples),
            scope: Classifier::train(&crate::nlu::intent::scope_examples().unwrap_or_default()),
        }
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The first reply of a conversation: the persona's greeting.
    pub fn greet(&self, ctx: &Context, state: &mut State) -> String {
        let g = ctx
            .profile
            .persona
            .as_ref()
            .and_then(|p| p.greeting.clone())
            .unwrap_or_else(|| {
                format!(
                    "Thanks for contacting {}. How can I help you today?",
                    ctx.profile.name
                )
            });
        if state.contact.phone.is_none() {
            state.contact.phone = ctx.caller.clone();
        }
        state.last_reply = Some(g.clone());
        g
    }

    /// Reads one turn: intent, confidence and entities, in the business's terms.
    fn understand<'t>(&self, ctx: &Context, state: &State, raw: &'t str) -> Turn<'t> {
        let raw = if raw.len() > MAX_TURN_BYTES {
            let mut end = MAX_TURN_BYTES;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            &raw[..end]
        } else {
            raw
        };
        let ws = words(raw);
        let mut scored = self.classifier.classify(raw);
        let scope = self.scope.classify(raw);
        scored.out_of_scope = scope.out_of_scope;
        // Off-topic by the broad corpus: the intent classifier's guess does not stand.
        if scope.intent == Intent::OutOfScope {
            scored.runner_up = Some((scored.intent, scored.confidence));
            scored.intent = Intent::OutOfScope;
            scored.confidence = scope.confidence;
        }
        let p = ctx.profile;
        let asked = state.flow.as_ref().and_then(|f| f.asking());
        // A bare number is a time when the agent asked for one, or is confirming a booking
        // ("can we do 11 instead").
        let booking = matches!(state.flow, Some(Flow::Book { .. }));
        let loose = matches!(asked, Some(flows::Ask::When | flows::Ask::Slot))
            || (booking && asked == Some(flows::Ask::Confirm));
        let cc = entities::country_code(&p.phone);
        let ent = Entities {
            when: when::find(&ws, ctx.today(), ctx.minute(), loose),
            phone: entities::phone(&ws, cc),
            email: entities::email(raw, &ws),
            name: name_in(raw, &ws, matches!(asked, Some(flows::Ask::Name)), |c| {
                ctx.knowledge.own_words(c) > 0
            }),
            unit: entities::unit(&ws, &p.units).map(|u| u.unit_type.clone()),
            items: entities::menu_lines(&ws, &p.menu),
            service: entities::service(&ws, &p.services).map(|s| s.name.to_string()),
            yes: entities::polarity(&ws),
            sentiment: Some((crate::nlu::sentiment::score(&ws) * 100.0).round() / 100.0),
            fulfillment: None,
        };
        let own = ctx.knowledge.own_words(raw);
        // A service named by its own name's words; a description word alone ("chipped") is
        // too loose to start a booking or to say the turn is about this business.
        let by_name = entities::service_by_name(&ws, &p.services).is_some();
        let (mut intent, mut confidence) =
            boost(p, &ws, &scored, &ent, ent.service.is_some() && by_name);
        if state.flow.is_none() {
            (intent, confidence) = about_a_booking_held(ctx, state, &ws, &ent, intent, confidence);
            // "I just ordered two burritos… I need to cancel it": the order, not a new one.
            if intent == Intent::Order
                && ws.iter().any(|w| w.starts_with("cancel"))
                && ws.iter().any(|w| w == "ordered" || w == "order")
            {
                (intent, confidence) = (Intent::Cancel, confidence.max(CONFIDENT));
            }
        }
        // "Leave a note for the owner", "let them know…", "have someone call me back": a
        // message to pass on, whatever else the words resemble. So is a turn that gives a
        // number to call back with something to say and asks for no time, item or unit
        // ("Jun Wang here, we're adopting a kitten and want to know what shots she needs,
        // best number is 303…").
        let callback = ent.phone.is_some()
            && ws.len() >= 10
            && (ent.when.is_none() || tells_of_the_past(&ws))
            && ent.items.is_empty()
            && ent.unit.is_none()
            && ["reach", "text", "call", "cell", "number", "contact", "ring"]
                .iter()
                .any(|w| ws.iter().any(|x| x == w));
        let passes_on = asks_to_pass_on(&ws) || callback;
        if intent != Intent::Emergency && passes_on {
            (intent, confidence) = (Intent::LeaveMessage, confidence.max(CONFIDENT));
        }
        // "Need a massage for me and my partner Monday, May 10th. 2 pm work?": a service named
        // by its own name with a day or time is a booking asked for, not a message or an
        // off-topic turn, whatever else the words resemble.
        // A word of the services' names ("massage" of four massages) will do: the booking
        // flow asks which. Looked for last: it reads every service's name.
        let of_a_service = || {
            by_name
                || ws.iter().any(|w| {
                    w.len() >= 4
                        && !crate::nlu::text::is_stopword(w)
                        && p.services.iter().any(|s| {
                            words(s.name.as_str())
                                .iter()
                                .any(|n| crate::nlu::text::fuzzy_eq(w, n))
                        })
                })
        };
        if matches!(intent, Intent::LeaveMessage | Intent::OutOfScope)
            && !passes_on
            && !tells_of_the_past(&ws)
            // "Can we reschedule a beard shape-up? 1 p.m. Wednesday": a booking held.
            && !ws.iter().any(|w| {
                w.starts_with("resched")
                    || w.starts_with("cancel")
                    || matches!(w.as_str(), "move" | "change" | "push" | "switch")
            })
            && ent
                .when
                .as_ref()
                .is_some_and(|w| w.date.is_some() || w.time.is_some())
            && of_a_service()
        {
            (intent, confidence) = (Intent::Book, confidence.max(CONFIDENT));
        }
        // The out-of-scope class won, but the turn names this business's own things: the best
        // in-scope reading is what the caller meant.
        let named = own > 0 || by_name || ent.unit.is_some() || !ent.items.is_empty();
        // "Please book me for … the 24th at 7:30", "do you have an opening at 11:30 on
        // Friday", "can you do a diagnostic visit at 9:15": asking for an appointment, or
        // whether one is free, with a day or time, whatever the service is called.
        let has = |w: &str| ws.iter().any(|x| x == w);
        let pair = |a: &str, b: &[&str]| {
            ws.windows(2)
                .any(|x| x[0] == a && b.contains(&x[1].as_str()))
        };
        let asks_for_a_time = [
            "book",
            "schedule",
            "appointment",
            "appt",
            "booking",
            "opening",
            "openings",
            "available",
            "availability",
            "slot",
            "slots",
            "spot",
            "fit",
            "squeeze",
        ]
        .iter()
        .any(|w| has(w))
            || pair("come", &["in", "out", "by"])
            || pair("see", &["me", "us", "him", "her"])
            || pair("you", &["do"])
            || pair("u", &["do"])
            // "Do you have 10 a.m. February 10th for drain cleaning", "is 3:15 this Friday
            // free?": whether a time is open ("are you open on Saturday?" asks the hours).
            || ws.windows(3).any(|x| {
                x[0] == "do" && matches!(x[1].as_str(), "you" | "u" | "ya") && x[2] == "have"
            })
            || (has("free") && ent.when.as_ref().is_some_and(|w| w.time.is_some()));
        // "I'd like to schedule an emergency visit May 4 at 8 am": a service of this business
        // named in full and asked for is a booking, even when its name sounds the alarm (a
        // caller in trouble who names no danger of the business's is booked the soonest).
        if intent == Intent::Emergency
            && asks_for_a_time
            && emergency_keyword(p, &ws).is_none()
            && entities::service_by_name(&ws, &p.services).is_some()
        {
            (intent, confidence) = (Intent::Book, confidence.max(CONFIDENT));
        }
        if matches!(
            intent,
            Intent::OutOfScope
                | Intent::Hours
                | Intent::Faq
                | Intent::Prices
                | Intent::Greeting
                | Intent::Assistant
        ) && !p.services.is_empty()
            && ent
                .when
                .as_ref()
                .is_some_and(|w| w.date.is_some() || w.time.is_some())
            && asks_for_a_time
        {
            (intent, confidence) = (Intent::Book, confidence.max(CONFIDENT));
        }
        if intent == Intent::OutOfScope
            && named
            && let Some((i, c)) = scored.runner_up
        {
            (intent, confidence) = (i, c);
            // "Hi, is the habanero salsa really spicy?": not a greeting but a question about
            // the business's own things.
            if matches!(i, Intent::Greeting | Intent::Goodbye) && more_than_a_greeting(&ws) {
                intent = Intent::Faq;
            }
        }
        Turn {
            raw,
            ws,
            intent,
            confidence,
            oos: scored.out_of_scope,
            own,
            // The caller's own name ("this is Chinedu") is no foreign subject.
            foreign: match &ent.name {
                Some(n) => ctx.knowledge.foreign(&without_words(raw, n.as_str())),
                None => ctx.knowledge.foreign(raw),
            },
            named,
            ent,
            hit: ctx.knowledge.search(raw),
        }
    }

    /// Answers one turn.
    pub fn respond(&self, ctx: &Context, state: &mut State, input: &str) -> Outcome {
        self.respond_with(ctx, state, input, None)
    }

    /// Whether the built-in engine reads the turn as an emergency (a profile keyword not
    /// denied, or the emergency intent). Checked before any outside reader is asked.
    pub fn is_emergency(&self, ctx: &Context, state: &State, input: &str) -> bool {
        let t = self.understand(ctx, state, input);
        flows::is_emergency(ctx.profile, &t)
    }

    /// Answers one turn with an outside reading of it (the LLM mode's understanding) in place
    /// of the classifier's verdict. The flows, guards and replies are the same as [`respond`].
    ///
    /// [`respond`]: Agent::respond
    pub fn respond_with(
        &self,
        ctx: &Context,
        state: &mut State,
        input: &str,
        reading: Option<&Reading>,
    ) -> Outcome {
        let mut t = self.understand(ctx, state, input);
        if let Some(r) = reading {
            r.apply(&mut t);
        }
        state.turns += 1;
        if state.contact.phone.is_none() {
            state.contact.phone = ctx.caller.clone();
        }
        let mut out = Out::default();
        self.learn_contact(&t, state, &mut out);
        flows::route(ctx, state, &t, &mut out);
        if out.reply.is_empty() {
            out.reply = "Sorry, could you say that another way?".into();
        }
        state.last_reply = Some(out.reply.clone());
        state.ended |= out.end;
        Outcome {
            reply: out.reply,
            actions: out.actions,
            intent: out.intent.unwrap_or(t.intent),
            confidence: t.confidence,
            entities: t.ent,
            source: out.source,
            end: out.end,
        }
    }

    /// Names, numbers and addresses given in passing are kept for the whole conversation.
    fn learn_contact(&self, t: &Turn, state: &mut State, out: &mut Out) {
        let c = &mut state.contact;
        let before = c.clone();
        let asked_name = matches!(
            state.flow.as_ref().and_then(|f| f.asking()),
            Some(flows::Ask::Name)
        );
        if let Some(n) = &t.ent.name
            && (asked_name || c.name.is_none())
        {
            c.name = Some(n.clone());
        }
        if let Some(p) = &t.ent.phone {
            c.phone = Some(p.clone());
        }
        if let Some(e) = &t.ent.email {
            c.email = Some(e.clone());
        }
        if *c != before {
            out.actions
                .push(Action::UpdateContact { contact: c.clone() });
        }
    }
}

impl Default for Agent {
    fn default() -> Self {
        Self::new()
    }
}

/// A reply being built.
#[derive(Default)]
pub(crate) struct Out {
    pub reply: String,
    pub actions: Vec<Action>,
    pub source: Option<Source>,
    pub end: bool,
    pub intent: Option<Intent>,
}

impl Out {
    pub fn say(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref().trim();
        if s.is_empty() {
            return;
        }
        if !self.reply.is_empty() {
            self.reply.push(' ');
        }
        self.reply.push_str(s);
    }
}

/// The business's own words settle what the classifier is unsure of: a service named with a
/// day or a need is a booking, menu items without a question are an order, a unit size with
/// "rent" or "hold" is a reservation.
fn boost(
    p: &Profile,
    ws: &[String],
    scored: &crate::nlu::intent::Scored,
    e: &Entities,
    service_by_name: bool,
) -> (Intent, f32) {
    let (mut intent, mut confidence) = (scored.intent, scored.confidence);
    let has = |w: &str| ws.iter().any(|x| x == w);
    // A question, at the start or after what it is about ("the pipe on my hookah is clogged,
    // how do I clean it?": how to do something, not asking for it done).
    let question = ws.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "how" | "what" | "whats" | "what's" | "is" | "are" | "do" | "does"
        )
    }) || ws.windows(3).any(|w| {
        w[0] == "how"
            && matches!(w[1].as_str(), "do" | "can" | "should" | "would")
            && matches!(w[2].as_str(), "i" | "we" | "you" | "one")
    }) || ws.windows(2).any(|w| w[0] == "how" && w[1] == "to");
    // What the business does not do is not what the caller meant, when the next best is.
    if !supported(p, intent)
        && let Some((i, c)) = scored.runner_up.filter(|(i, _)| supported(p, *i))
    {
        (intent, confidence) = (i, c);
    }
    // A greeting followed by a request is the request: the next reading that is not the
    // greeting and that the business serves, else a question for the knowledge base.
    if intent == Intent::Greeting && more_than_a_greeting(ws) {
        (intent, confidence) = match scored.runner_up {
            Some((i, c)) if i != Intent::Greeting && supported(p, i) => (i, c),
            _ => (Intent::Faq, confidence),
        };
    }
    // "Where's your shop located?": a place, whatever else the classifier made of it.
    if (has("where") || has("where's") || has("wheres"))
        && [
            "located", "location", "address", "shop", "store", "office", "find",
        ]
        .iter()
        .any(|w| has(w))
        && matches!(
            intent,
            Intent::OutOfScope | Intent::Faq | Intent::Greeting | Intent::Assistant
        )
    {
        return (Intent::Location, confidence.max(CONFIDENT));
    }
    // "Where" asks for a place, not about the assistant, unless it asks where the call went.
    if intent == Intent::Assistant
        && (has("where") || has("where's") || has("wheres"))
        && !has("calling")
        && !has("reached")
        && !has("called")
    {
        return (Intent::Location, confidence.max(CONFIDENT));
    }
    // "…bye" ends the call whatever came before it.
    if ws
        .last()
        .is_some_and(|w| matches!(w.as_str(), "bye" | "goodbye" | "byebye"))
    {
        return (Intent::Goodbye, confidence.max(CONFIDENT));
    }
    // "How much…", "what do you charge…": a price question whatever else it mentions.
    let price_words = (has("how") && has("much"))
        || [
            "price", "prices", "cost", "costs", "charge", "rate", "rates", "fee",
        ]
        .iter()
        .any(|w| has(w));
    if price_words && (question || has("much")) && !matches!(intent, Intent::Faq | Intent::Prices) {
        return (Intent::Prices, confidence.max(CONFIDENT));
    }
    if confidence >= CONFIDENT
        && !matches!(
            intent,
            Intent::OutOfScope | Intent::Greeting | Intent::Faq | Intent::Yes | Intent::No
        )
    {
        return (intent, confidence);
    }
    if service_by_name && !question {
        return (Intent::Book, confidence.max(CONFIDENT));
    }
    if !e.items.is_empty() && !question && !has("much") && !has("cost") {
        return (Intent::Order, confidence.max(CONFIDENT));
    }
    if e.unit.is_some()
        && ["rent", "reserve", "hold", "take", "want", "need", "grab"]
            .iter()
            .any(|w| has(w))
    {
        return (Intent::ReserveUnit, confidence.max(CONFIDENT));
    }
    (intent, confidence)
}

/// Whether a turn says more than hello: three or more words besides the greeting's.
fn more_than_a_greeting(ws: &[String]) -> bool {
    let greeting_words = ws
        .iter()
        .filter(|w| {
            matches!(
                w.as_str(),
                "hi" | "hello"
                    | "hey"
                    | "there"
                    | "good"
                    | "morning"
                    | "afternoon"
                    | "evening"
                    | "yo"
            )
        })
        .count();
    ws.len() > greeting_words + 2
}

/// A booking the caller already holds is a thing to change, not a new task. Words of change
/// ("reschedule", "postpone", "instead"; "move", "push", "change" said of an appointment or
/// by a caller who holds one) make a booking reading a move; "cancel" said of one's own
/// appointment, without words of change, is a cancellation (a day named with it says which
/// appointment), not a booking. Questions ("what's your cancellation policy?") stay questions.
fn about_a_booking_held(
    ctx: &Context,
    state: &State,
    ws: &[String],
    e: &Entities,
    intent: Intent,
    confidence: f32,
) -> (Intent, f32) {
    if ctx.profile.services.is_empty() {
        return (intent, confidence);
    }
    let has = |w: &str| ws.iter().any(|x| x == w);
    let any = |list: &[&str]| list.iter().any(|w| has(w));
    // "Is it possible to switch my appointment…", "is it ok to move it to Friday": a request
    // put politely, not a question about the rules.
    let polite = ws.len() > 2
        && ws[0] == "is"
        && ws[1] == "it"
        && matches!(
            ws[2].as_str(),
            "possible" | "ok" | "okay" | "alright" | "cool"
        );
    let question = (!polite
        && ws.first().is_some_and(|w| {
            matches!(
                w.as_str(),
                "how" | "what" | "whats" | "what's" | "is" | "are" | "do" | "does" | "why"
            )
        }))
        || any(&["policy", "fee", "charge", "penalty"]);
    if question {
        return (intent, confidence);
    }
    let phone = state.contact.phone.as_ref().or(ctx.caller.as_ref());
    let holds = phone.is_some_and(|p| {
        ctx.appointments
            .iter()
            .any(|a| a.phone.as_ref() == Some(p) && a.start > ctx.now)
    });
    let strong = any(&[
        "reschedule",
        "rescheduling",
        "resched",
        "postpone",
        "instead",
        "rebook",
    ]);
    let verb = any(&[
        "move", "moved", "moving", "push", "pushed", "change", "changed", "changing", "switch",
        "switched", "bump", "bumped", "shift", "shifted", "rather",
    ]);
    let noun = any(&[
        "appointment",
        "appointments",
        "appt",
        "booking",
        "visit",
        "slot",
    ]);
    let mine = any(&[
        "appointment",
        "appointments",
        "appt",
        "booking",
        "booked",
        "it",
        "me",
        "my",
        "her",
        "his",
        "our",
    ]);
    // "Cancel", "take me off the schedule", "call it off"; "I can't make it (saturday)" when
    // no new time is wanted.
    let cannot_come = (any(&["can't", "cant", "cannot", "won't", "wont"])
        && any(&["make", "come", "coming"]))
        && !verb
        && !strong
        && !any(&["another", "other", "else", "different", "later", "earlier"]);
    let cancel = any(&["cancel", "cancelling", "canceling", "cancelled", "canceled"])
        || (has("take") && has("off") && (has("me") || has("schedule")))
        || (has("call") && has("off"))
        || (cannot_come && e.when.as_ref().is_none_or(|w| w.time.is_none()) && !has("instead"));
    let moving = strong || (verb && (mine || holds));
    let named = e.service.is_some() || e.when.is_some();
    let lifted = confidence.max(CONFIDENT);
    match intent {
        Intent::Book | Intent::Availability | Intent::CheckBooking | Intent::Reschedule
            if cancel && !moving && (mine || holds) =>
        {
            (Intent::Cancel, lifted)
        }
        Intent::Book | Intent::Availability | Intent::CheckBooking if moving => {
            (Intent::Reschedule, lifted)
        }
        // Nothing held and nothing said of changing: "I'd like a cut with Mei on tuesday next
        // week" is a booking, whatever it resembled.
        Intent::Reschedule if !holds && !strong && !verb && !cancel => (Intent::Book, confidence),
        // Read as something else entirely, but about an appointment the caller holds (or
        // plainly a rescheduling): "can we move a diagnostic visit, I can do the 23rd".
        Intent::OutOfScope | Intent::Faq | Intent::Greeting | Intent::Goodbye | Intent::Human
            if (strong && mine) || (verb && holds && (named || noun)) =>
        {
            (Intent::Reschedule, lifted)
        }
        _ => (intent, confidence),
    }
}

/// Whether the caller asks for something to be passed on to the business's people: a
/// message or note left, given or passed on; someone told or let know; a call back.
pub(crate) fn asks_to_pass_on(ws: &[String]) -> bool {
    let at = |i: usize| ws.get(i).map_or("", String::as_str);
    let people = |w: &str| {
        matches!(
            w,
            "owner"
                | "manager"
                | "boss"
                | "team"
                | "office"
                | "staff"
                | "someone"
                | "somebody"
                | "them"
                | "him"
                | "her"
                | "doctor"
                | "dentist"
                | "vet"
                | "tech"
                | "technician"
                | "whoever"
        )
    };
    (0..ws.len()).any(|i| {
        let w = at(i);
        let near = |words: &[&str], span: usize| {
            (i.saturating_sub(span)..i).any(|j| words.contains(&at(j)))
        };
        match w {
            "message" | "note" | "msg" => {
                near(&["leave", "take", "give", "pass", "send", "get", "left"], 3)
                    || (i == 0 && matches!(at(i + 1), "for" | "from"))
            }
            "know" => !matches!(at(i.saturating_sub(1)), "you" | "me" | "us") && near(&["let"], 4),
            "tell" | "inform" | "notify" => (i + 1..(i + 4).min(ws.len())).any(|j| people(at(j))),
            "pass" => matches!(at(i + 1), "along" | "on" | "it" | "this" | "that"),
            "back" => {
                near(&["call", "ring", "text"], 2)
                    || (at(i.saturating_sub(1)) == "get"
                        && at(i + 1) == "to"
                        && matches!(at(i + 2), "me" | "us"))
            }
            "call" => {
                matches!(at(i + 1), "me" | "us")
                    && near(
                        &["someone", "somebody", "have", "please", "can", "could"],
                        3,
                    )
                    && !near(&["can", "could"], 1)
            }
            _ => false,
        }
    })
}

/// Whether the turn's day or time is one gone by ("I left my jacket there last night", "I was
/// charged twice for my color last Tuesday"): something that happened, not a time asked for.
fn tells_of_the_past(ws: &[String]) -> bool {
    let ahead = ws.iter().any(|w| {
        matches!(
            w.as_str(),
            "next" | "tomorrow" | "tonight" | "upcoming" | "coming" | "book" | "schedule"
        )
    });
    // "I left a bracelet in the room after my massage today", "we dropped off a coat this
    // morning": something the caller did, told in the past tense.
    let did = ws.windows(2).any(|w| {
        matches!(w[0].as_str(), "i" | "we" | "he" | "she" | "they")
            && (matches!(
                w[1].as_str(),
                "left"
                    | "lost"
                    | "forgot"
                    | "was"
                    | "were"
                    | "had"
                    | "did"
                    | "came"
                    | "went"
                    | "got"
                    | "saw"
                    | "paid"
                    | "took"
                    | "bought"
                    | "broke"
                    | "brought"
                    | "found"
                    | "gave"
                    | "spoke"
                    | "forgotten"
            ) || (w[1].len() >= 5 && w[1].ends_with("ed") && w[1] != "need"))
    });
    let gone = did
        || ws
            .iter()
            .any(|w| matches!(w.as_str(), "yesterday" | "ago" | "earlier" | "previously"))
        || ws.windows(2).any(|w| {
            w[0] == "last"
                && (matches!(
                    w[1].as_str(),
                    "night" | "week" | "weekend" | "month" | "year" | "time" | "visit"
                ) || crate::nlu::when::weekday(&w[1]).is_some())
        });
    gone && !ahead
}

/// Whether the business offers what an intent asks for.
fn supported(p: &Profile, i: Intent) -> bool {
    match i {
        Intent::ReserveUnit | Intent::UnitSizes => !p.units.is_empty(),
        Intent::Order | Intent::ChangeOrder | Intent::OrderStatus => !p.menu.is_empty(),
        Intent::Book | Intent::Reschedule | Intent::CheckBooking => !p.services.is_empty(),
        _ => true,
    }
}

/// Whether an emergency keyword of the profile is in the turn: every word of a keyword phrase,
/// in any order ("burst pipe" and "the pipe burst").
pub(crate) fn emergency_keyword(p: &Profile, ws: &[String]) -> Option<Alarm> {
    let said: Vec<String> = ws.iter().map(|w| stem(w)).collect();
    // "not a flood", "no fire": a keyword the caller denies is not an emergency; nor is one
    // they only fear or mean to avoid ("I really don't want an allergic reaction", "in case of
    // a flood").
    let denied = |i: usize| {
        ws[i.saturating_sub(2)..i].iter().any(|w| {
            matches!(
                w.as_str(),
                "not" | "no" | "isn't" | "wasn't" | "never" | "without" | "nothing"
            )
        }) || ws[i.saturating_sub(4)..i].iter().any(|w| {
            matches!(
                w.as_str(),
                "don't" | "dont" | "avoid" | "prevent" | "case" | "worried" | "if"
            )
        })
    };
    // A keyword that names a thing rather than an event: "fire sprinklers", "a fire safe",
    // "flood insurance".
    let names_a_thing = |i: usize| {
        ws.get(i + 1).is_some_and(|n| {
            matches!(
                n.as_str(),
                "safe"
                    | "safes"
                    | "sprinkler"
                    | "sprinklers"
                    | "extinguisher"
                    | "extinguishers"
                    | "alarm"
                    | "alarms"
                    | "detector"
                    | "detectors"
                    | "insurance"
                    | "proof"
                    | "rated"
                    | "resistant"
                    | "retardant"
                    | "suppression"
                    | "code"
                    | "codes"
                    | "drill"
                    | "exit"
                    | "exits"
                    | "department"
                    | "marshal"
                    | "pit"
                    | "zone"
                    | "policy"
                    | "warranty"
            )
        })
    };
    // Not an event but a way of speaking or a thing done: "my inbox is flooded with junk"
    // (flooded with something no liquid), "how long to smoke a brisket" (a verb done to
    // something).
    let figurative = |i: usize| {
        let next = ws.get(i + 1).map(String::as_str);
        let with_something_else = next == Some("with")
            && ws.get(i + 2).is_some_and(|n| {
                !matches!(
                    n.as_str(),
                    "water"
                        | "sewage"
                        | "sewer"
                        | "rain"
                        | "rainwater"
                        | "mud"
                        | "smoke"
                        | "gas"
                        | "fire"
                        | "flames"
                )
            });
        let done_to = i > 0
            && ws[i - 1] == "to"
            && matches!(
                next,
                Some("a" | "an" | "the" | "some" | "my" | "your" | "our")
            );
        with_something_else || done_to
    };
    // Laughing ("lol", "haha") while saying it: nobody in danger writes so.
    let joking = ws.iter().any(|w| {
        matches!(w.as_str(), "lol" | "lmao" | "rofl" | "jk" | "lolol")
            || (w.len() >= 4 && w.trim_start_matches("ha").is_empty())
    });
    let hit = |w: &str| {
        let w = stem(w);
        said.iter()
            .enumerate()
            .any(|(i, s)| *s == w && !denied(i) && !names_a_thing(i) && !figurative(i))
            // A compound said as two words: "backup" in "backing up", "flooded out".
            || said.windows(2).enumerate().any(|(i, pair)| {
                w.len() > pair[0].len()
                    && (w == format!("{}{}", pair[0], pair[1])
                        || w == format!("{}{}", pair[0], ws[i + 1]))
                    && !denied(i)
            })
    };
    let keyword = p.emergency.iter().flat_map(|e| e.keywords.iter()).any(|k| {
        let kw = words(k);
        // "Emergency" itself as a keyword says no more than the word does anywhere ("an
        // emergency passport"): it is read as the word, below.
        if kw
            .iter()
            .all(|w| matches!(w.as_str(), "emergency" | "emergencies" | "urgent" | "asap"))
        {
            return false;
        }
        // A phrase said as one word: "back up" in "backup".
        let joined = kw.concat();
        !kw.is_empty() && (kw.iter().all(|w| hit(w)) || (kw.len() > 1 && hit(&joined)))
    });
    // "An emergency passport", "the emergency room at St Mary's": the word naming a kind of
    // thing this business never speaks of is about that thing, not a caller in trouble.
    let ours = |w: &str| {
        let w = stem(w);
        p.services
            .iter()
            .flat_map(|s| {
                words(s.name.as_str())
                    .into_iter()
                    .chain(words(s.description.as_deref().unwrap_or_default()))
            })
            .chain(p.faqs.iter().flat_map(|f| words(f.q.as_str())))
            .any(|x| stem(&x) == w)
    };
    let someone_elses = || {
        ws.iter().enumerate().any(|(i, w)| {
            stem(w) == "emergency"
                && ws.get(i + 1).is_some_and(|n| {
                    n.len() >= 3
                        && n.chars().all(char::is_alphabetic)
                        && !crate::nlu::text::is_stopword(n)
                        && !matches!(n.as_str(), "please" | "here" | "now" | "situation" | "call")
                        && !ours(n)
                })
        })
    };
    // "Schedule an emergency visit": the word in the name of a service of this business, said
    // with the rest of that name, asks for the service.
    let names_our_service = || {
        p.services.iter().any(|s| {
            let name = words(s.name.as_str().split('(').next().unwrap_or_default());
            name.iter().any(|w| stem(w) == "emergency")
                && name
                    .iter()
                    .filter(|w| !crate::nlu::text::is_stopword(w))
                    .all(|w| said.contains(&stem(w)))
                && name.len() > 1
        })
    };
    if keyword && !joking {
        Some(Alarm::Keyword)
    } else if hit("emergency") && !someone_elses() && !names_our_service() {
        Some(Alarm::Word)
    } else {
        None
    }
}

/// How a turn sounded the alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alarm {
    /// One of the business's own emergency keywords.
    Keyword,
    /// Only the word "emergency" itself.
    Word,
}

pub(crate) fn emergency_action(p: &Profile) -> (bool, bool) {
    match p.emergency.as_ref().map(|e| e.action) {
        Some(EmergencyAction::Transfer) => (false, true),
        Some(EmergencyAction::AlertOwner) => (true, false),
        Some(EmergencyAction::Both) | None => (true, true),
    }
}

/// The caller's name in a turn: given in labelled parts across the whole turn ("Wei, last
/// name Zhang"), else in the first clause that holds one, so "hey it's Chidi Okonkwo, quick
/// one" stops at the comma; hyphens as written.
fn name_in(raw: &str, ws: &[String], asked: bool, ours: impl Fn(&str) -> bool) -> Option<String> {
    let all = without_emails(raw, ws);
    let clauses: Vec<&str> = raw
        .split([',', ';', ':', '!', '?', '(', ')'])
        .flat_map(|c| c.split(". "))
        .map(|c| c.trim().trim_end_matches('.'))
        .filter(|c| !c.is_empty())
        .collect();
    let found = entities::labelled_name(&all)
        .filter(|_| asked || all.iter().any(|w| w == "name"))
        .or_else(|| {
            clauses
                .iter()
                .find_map(|c| entities::name(&without_emails(c, &words(c)), asked))
        })
        .or_else(|| entities::name(&all, asked))
        // Unasked, a clause that is nothing but a capitalised name ("nope that's all. Jon",
        // "Kevin Tran") is the caller saying who they are.
        .or_else(|| {
            clauses.iter().find_map(|c| {
                // "That's it, it's for Marcy": whom the order or booking is for, by name.
                let c = [
                    "it's for ",
                    "its for ",
                    "it is for ",
                    "that's for ",
                    "this is for ",
                ]
                .iter()
                .find(|p| c.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)))
                .map_or(*c, |p| &c[p.len()..]);
                let parts: Vec<&str> = c.split_whitespace().collect();
                let capitalised = (1..=3).contains(&parts.len())
                    && parts
                        .iter()
                        .all(|p| p.starts_with(|ch: char| ch.is_uppercase()));
                // "Drain Cleaning" typed as a reply names a service, not the caller.
                (capitalised && !ours(c))
                    .then(|| entities::name(&words(c), true))
                    .flatten()
                    .filter(|n| n.split(' ').count() == parts.len())
            })
        })?;
    Some(entities::with_hyphens(raw, found))
}

/// The words of `raw` without its written e-mail addresses, whose parts are not a name.
fn without_emails(raw: &str, ws: &[String]) -> Vec<String> {
    if !raw.contains('@') {
        return ws.to_vec();
    }
    let kept: Vec<&str> = raw
        .split_whitespace()
        .filter(|w| !w.contains('@'))
        .collect();
    words(&kept.join(" "))
}

/// `raw` without the words of `name`, compared case-insensitively.
fn without_words(raw: &str, name: &str) -> String {
    let drop: Vec<String> = words(name);
    words(raw)
        .into_iter()
        .filter(|w| !drop.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}
