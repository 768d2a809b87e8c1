//! What the agent is and is not for: questions about the assistant itself (its name, whether
//! it is a person, whom it works for, what it can do), and callers who want something no
//! business of this kind does. Both are answered from the profile alone; an off-topic turn
//! never starts a task, hands off the call or states a fact, and is noted for the owner.

use super::*;

/// Below this the classifier's in-scope reading is not trusted on its own. Chosen with
/// `MARGIN` on eval/offtopic/tune.txt against eval/offtopic/inscope.txt (off-topic taken as a
/// request against in-scope turned away), never on the test set.
pub(crate) const IN_SCOPE: f32 = 0.30;
/// An in-scope reading must beat the out-of-scope class by this much.
pub(crate) const MARGIN: f32 = 0.10;
/// A turn read below this confidence as a question or a request of the business's kinds is
/// off-topic when it names something the business never mentions, at least `FOREIGN` specific
/// in English (`Knowledge::foreign`): "book a flight to Denver", "how do I get an absentee
/// ballot". Chosen on eval/offtopic/tune.txt against eval/offtopic/inscope.txt (tune: false
/// accept 8.9% -> 6.5%, in-scope turned away 45 -> 46 of 408), never on the test set.
const SURE_OF_FACT: f32 = 0.5;
const FOREIGN: f32 = 0.6;
/// A knowledge-base match this strong is the business's own subject, whatever the classifier
/// made of the words around it.
const OWN_SUBJECT: f32 = 0.75;

/// What the assistant can do for this business, in words, from the profile.
pub(super) fn capabilities(ctx: &Context) -> Vec<String> {
    let p = ctx.profile;
    let mut can = vec!["questions about our hours and services".to_owned()];
    if !p.services.is_empty() {
        can.push("booking, moving or cancelling an appointment".into());
    }
    if !p.units.is_empty() {
        can.push("unit sizes and prices".into());
        can.push("reserving a unit".into());
    }
    if !p.menu.is_empty() {
        can.push("placing an order".into());
    }
    can.push("taking a message for the team".into());
    can
}

/// Whether the turn names something of this business: a service, a unit, a menu item, or a
/// question its own documents answer well.
fn names_the_business(t: &Turn) -> bool {
    // "Your shop", "your office", "your address": the business itself.
    let yours = t.ws.windows(2).any(|w| {
        matches!(w[0].as_str(), "your" | "ur" | "yall's")
            && matches!(
                w[1].as_str(),
                "shop" | "store" | "office" | "place" | "location" | "address" | "building"
            )
    });
    yours || t.named || t.hit.as_ref().is_some_and(|h| h.confidence >= OWN_SUBJECT)
}

/// Whether the turn names something the business never mentions (at least `FOREIGN`
/// specific) and none of its own words.
pub(super) fn foreign_to_us(t: &Turn) -> bool {
    t.foreign >= FOREIGN && t.own == 0
}

/// A loose reading as a question about the place, prices or hours, or a booking or
/// reservation, of a turn that names something the business never mentions and nothing it
/// has (a day, a service, a dish, a unit), and that its documents do not answer.
pub(super) fn loosely_about_other_things(t: &Turn) -> bool {
    matches!(
        t.intent,
        Intent::Location | Intent::Prices | Intent::Hours | Intent::Book | Intent::ReserveUnit
    ) && t.confidence < SURE_OF_FACT
        && t.foreign >= FOREIGN
        && t.ent.when.is_none()
        && t.ent.service.is_none()
        && t.ent.items.is_empty()
        && t.ent.unit.is_none()
        && t.hit.as_ref().is_none_or(|h| h.confidence < KNOWN)
}

/// A first turn (no task waiting) that no business of this kind serves: the out-of-scope class
/// won, or an in-scope reading is too weak or too close to it, and nothing in the turn names
/// the business.
pub(super) fn is_out_of_scope(t: &Turn) -> bool {
    if names_the_business(t) {
        return false;
    }
    match t.intent {
        Intent::OutOfScope => true,
        // "How do I get an absentee ballot?", "how much does the earth weigh?": a loose
        // reading about something this business never mentions, in none of its words.
        _ if loosely_about_other_things(t) && foreign_to_us(t) => true,
        // "I need to cancel my flight", "can I reschedule my Verizon install", "reserve a
        // library book": a transaction with someone else, about a thing this business never
        // mentions and nothing it has, with no day or time asked for, however sure the reading
        // of the verb. (An order names dishes, which a menu may lack: the order flow says so.)
        Intent::Book
        | Intent::Reschedule
        | Intent::Cancel
        | Intent::CheckBooking
        | Intent::ChangeOrder
        | Intent::OrderStatus
        | Intent::ReserveUnit
            if foreign_to_us(t) && t.ent.when.is_none() =>
        {
            true
        }
        Intent::Location if !asks_where(t) && foreign_to_us(t) => true,
        // Short social turns and answers are read by their own rules.
        Intent::Greeting
        | Intent::Thanks
        | Intent::Goodbye
        | Intent::Yes
        | Intent::No
        | Intent::Repeat
        | Intent::Assistant => false,
        _ => t.confidence < IN_SCOPE || t.confidence - t.oos < MARGIN,
    }
}

/// "That's not something I can help with": what the assistant can do instead, a message
/// offered, and the question noted for the owner. Nothing else happens.
pub(super) fn out_of_scope(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
    out.intent = Some(Intent::OutOfScope);
    out.actions.push(Action::RecordUnanswered {
        question: t.raw.trim().to_owned(),
    });
    out.say(say::pick(
        &[
            "Sorry, that's not something I can help with here.",
            "I'm afraid I can't help with that one.",
        ],
        state.turns,
    ));
    out.say(format!(
        "I can help with {}.",
        say::either(&capabilities(ctx))
    ));
    offer_message(ctx, state, out);
}

/// Which question about the assistant the turn asks.
enum About {
    Name,
    Person,
    Employer,
    Abilities,
    Wellbeing,
    /// Asked about, but not in words that say which part: who it is and what it does.
    Introduce,
}

/// Whether the caller asks to be put through to a person ("can I talk to someone", "connect
/// me with the receptionist"), not whether one is talking.
pub(super) fn wants_person(ctx: &Context, t: &Turn) -> bool {
    let has = |w: &str| t.has(w);
    let verb = ["speak", "talk", "connect", "transfer", "through"]
        .iter()
        .any(|w| has(w));
    let who = PEOPLE.iter().any(|w| has(w)) || has("desk") || has("reception");
    verb && who && !elsewhere(ctx, t)
}

/// "…at Walmart", "…from PayPal", "put me through to American Express": the person or
/// place asked for is somewhere else, in words this business never uses.
pub(super) fn elsewhere(ctx: &Context, t: &Turn) -> bool {
    let here = |w: &str| {
        matches!(
            w,
            "your"
                | "you"
                | "this"
                | "here"
                | "there"
                | "office"
                | "front"
                | "desk"
                | "shop"
                | "store"
                | "salon"
                | "clinic"
                | "place"
                | "location"
                | "company"
                | "business"
                | "reception"
                | "counter"
                | "once"
                | "least"
                | "all"
        )
    };
    let det = |w: &String| matches!(w.as_str(), "the" | "a" | "an" | "my" | "our");
    let role = |w: &str| {
        matches!(
            w,
            "someone"
                | "somebody"
                | "person"
                | "human"
                | "manager"
                | "owner"
                | "receptionist"
                | "staff"
                | "anyone"
                | "anybody"
                | "people"
                | "representative"
                | "rep"
                | "operator"
                | "agent"
                | "voicemail"
                | "me"
                | "him"
                | "her"
                | "them"
        )
    };
    t.ws.iter().enumerate().any(|(i, w)| {
        let to_after_connecting = w == "to"
            && i > 0
            && matches!(
                t.ws[i - 1].as_str(),
                "through" | "transfer" | "transferred" | "connect" | "connected"
            );
        // "Through to a real person", "to the manager": one of ours, named within a few words.
        let ours = to_after_connecting && t.ws[i + 1..].iter().take(4).any(|n| role(n) || here(n));
        if !(matches!(w.as_str(), "at" | "from") || to_after_connecting) || ours {
            return false;
        }
        let object: Vec<&str> = t.ws[i + 1..]
            .iter()
            .filter(|n| !det(n))
            .take(3)
            .map(String::as_str)
            .collect();
        // Put through to someone by name: one of the staff, or the business itself.
        let named_here = |n: &str| {
            ctx.profile
                .staff
                .iter()
                .map(|s| s.name.as_str())
                .chain([ctx.profile.name.as_str()])
                .any(|x| crate::nlu::text::words(x).iter().any(|x| x == n))
        };
        object.first().is_some_and(|n| !here(n) && !named_here(n))
            // "At the salon on Main", "from your Westside office": words of this business.
            && (to_after_connecting || ctx.knowledge.own_words(&object.join(" ")) == 0)
    })
}

/// "Can I talk to the person who orders your office supplies", "someone about my electric
/// bill": a person asked for about something this business never mentions, in none of its
/// words. Whom they reached is said and a message offered; nobody is put through.
pub(super) fn person_for_other_things(ctx: &Context, t: &Turn) -> bool {
    // "The person who orders…", "someone that handles…": a person described by a job the
    // caller names, whom the assistant cannot know; a message reaches them, a transfer may not.
    let described = t.ws.windows(2).any(|w| {
        matches!(
            w[0].as_str(),
            "person" | "someone" | "somebody" | "anyone" | "anybody" | "guy" | "lady"
        ) && matches!(w[1].as_str(), "who" | "that" | "whos" | "who's")
    });
    if described {
        return true;
    }
    let Some(at) = t.ws.iter().position(|w| {
        matches!(
            w.as_str(),
            "about" | "who" | "that" | "regarding" | "handles" | "concerning"
        )
    }) else {
        return false;
    };
    let rest = t.ws[at + 1..].join(" ");
    ctx.knowledge.own_words(&rest) == 0 && ctx.knowledge.foreign(&rest) >= 0.4
}

/// Whether the turn names a person to be put through to, or asks to be transferred:
/// "can you just talk to me for a minute" does neither.
pub(super) fn names_a_person(t: &Turn) -> bool {
    PEOPLE
        .iter()
        .chain(&["transfer", "connect", "through", "real", "live"])
        .any(|w| t.has(w))
}

/// Words for a person to be put through to.
const PEOPLE: [&str; 16] = [
    "person",
    "human",
    "someone",
    "somebody",
    "receptionist",
    "manager",
    "owner",
    "staff",
    "representative",
    "rep",
    "operator",
    "agent",
    "people",
    "anyone",
    "anybody",
    "being",
];

fn about(t: &Turn) -> Option<About> {
    let has = |w: &str| t.has(w);
    let you = has("you") || has("your") || has("you're") || has("u") || has("ur");
    if has("name") || has("called") || (has("who") && you && !has("work")) {
        return Some(About::Name);
    }
    if [
        "real",
        "person",
        "human",
        "robot",
        "bot",
        "ai",
        "machine",
        "computer",
        "automated",
        "recording",
        "recorded",
        "artificial",
        "live",
    ]
    .iter()
    .any(|w| has(w))
    {
        return Some(About::Person);
    }
    let how = has("how") || has("how's") || has("hows");
    if how
        && (has("are") || has("doing") || has("going") || has("day") || has("how's"))
        && !has("help")
    {
        return Some(About::Wellbeing);
    }
    if you && (has("help") || has("able") || (has("what") && (has("can") || has("do")))) {
        return Some(About::Abilities);
    }
    let place = [
        "business", "company", "place", "who", "which", "reached", "calling",
    ]
    .iter()
    .any(|w| has(w));
    if place && (you || has("this") || has("i")) {
        return Some(About::Employer);
    }
    // Nothing says which part: an introduction, when the classifier is sure the turn is about
    // the assistant and it asks for no thing ("do you have a forklift?" is about the business).
    let thing = [
        "have", "got", "sell", "rent", "carry", "offer", "lend", "borrow",
    ]
    .iter()
    .any(|w| has(w));
    (t.confidence >= CONFIDENT && !thing).then_some(About::Introduce)
}

/// Answers a question about the assistant: always an automated assistant of the business,
/// never a person; a person is offered, and only put through when the caller says so. False
/// when the turn asks nothing about the assistant after all (the classifier's guess).
pub(super) fn about_assistant(ctx: &Context, t: &Turn, out: &mut Out) -> bool {
    let p = ctx.profile;
    // The business's own words ("do you work out in Aurora?") are a question about it.
    if t.own > 0 || t.hit.as_ref().is_some_and(|h| h.confidence >= KNOWN) {
        return false;
    }
    let Some(what) = about(t) else {
        return false;
    };
    out.intent = Some(Intent::Assistant);
    let name = p.persona.as_ref().and_then(|x| x.agent_name.as_deref());
    let me = match name {
        Some(n) => format!("I'm {n}, {}'s automated assistant", p.name),
        None => format!("I'm {}'s automated assistant", p.name),
    };
    match what {
        About::Name => out.say(format!("{me}. How can I help you?")),
        About::Person => {
            out.say(format!(
                "{me}, not a person. I can help with {}.",
                say::either(&capabilities(ctx))
            ));
            if p.transfer_phone.is_some() {
                out.say("If you'd rather talk to someone, just say so and I'll put you through.");
            }
        }
        About::Employer => out.say(format!("This is {}. {me}. How can I help you?", p.name)),
        About::Abilities => out.say(format!(
            "I can help with {}. What would you like to do?",
            say::either(&capabilities(ctx))
        )),
        About::Wellbeing => out.say("I'm doing well, thanks for asking! How can I help you today?"),
        About::Introduce => out.say(format!(
            "{me}. I can help with {}. What would you like to do?",
            say::either(&capabilities(ctx))
        )),
    }
    true
}

/// A task for someone else that the classifier read as one of ours: a message for the
/// governor or for one's son's school, moving one's flight or retirement savings, "my son
/// won't talk to me anymore" read as a booking. The thing or person the task is about is
/// named in words this business never uses, and nothing of ours is named.
pub(super) fn someone_elses_task(ctx: &Context, t: &Turn) -> bool {
    if t.ent.service.is_some() || t.ent.unit.is_some() || !t.ent.items.is_empty() {
        return false;
    }
    let k = ctx.knowledge;
    let skip = |w: &str| {
        matches!(
            w,
            "my" | "the" | "a" | "an" | "our" | "his" | "her" | "their" | "your" | "this" | "some"
        )
    };
    // The words naming what follows position `i`, up to a preposition or three words.
    let object = |i: usize| -> Vec<&str> {
        t.ws[i..]
            .iter()
            .map(String::as_str)
            .skip_while(|w| skip(w))
            .take_while(|w| {
                !matches!(
                    *w,
                    "to" | "for"
                        | "on"
                        | "at"
                        | "from"
                        | "until"
                        | "till"
                        | "and"
                        | "with"
                        | "please"
                        | "by"
                        | "because"
                        | "since"
                        | "over"
                        | "into"
                        | "out"
                        | "up"
                        | "off"
                        | "back"
                )
            })
            .take(3)
            .collect()
    };
    let foreign = |ws: &[&str]| {
        !ws.is_empty()
            && k.own_words(&ws.join(" ")) == 0
            && ws
                .iter()
                .map(|w| crate::nlu::frequency::specificity(w))
                .fold(0.0, f32::max)
                >= 0.4
    };
    const OURS: [&str; 24] = [
        "appointment",
        "appointments",
        "appt",
        "booking",
        "reservation",
        "visit",
        "order",
        "unit",
        "session",
        "slot",
        "it",
        "that",
        "one",
        "time",
        "date",
        "day",
        "me",
        "us",
        "them",
        "him",
        "her",
        "you",
        "pickup",
        "delivery",
    ];
    let ours = |ws: &[&str]| ws.iter().any(|w| OURS.contains(w));
    match t.intent {
        // "Leave a message for the governor", "with my son's school", "on LinkedIn".
        Intent::LeaveMessage => t.ws.windows(2).enumerate().any(|(i, w)| {
            matches!(w[0].as_str(), "message" | "note" | "msg")
                && matches!(w[1].as_str(), "for" | "to" | "with" | "on")
                // "For Mike": a person's name, said bare; "for the governor", "with my son's
                // school": a role or a thing, with a determiner.
                && t.ws.get(i + 2).is_some_and(|d| skip(d))
                && {
                    let o = object(i + 2);
                    let people = [
                        "owner", "manager", "team", "staff", "someone", "somebody", "whoever",
                        "doctor", "dr", "office", "front", "desk", "boss",
                    ];
                    !ours(&o) && !o.iter().any(|w| people.contains(w)) && foreign(&o)
                }
        }),
        // "Move my retirement savings over to Vanguard", "reschedule my flight home".
        Intent::Reschedule | Intent::Cancel | Intent::CheckBooking => {
            t.ent.when.is_none()
                && t.ws.iter().enumerate().any(|(i, w)| {
                    (matches!(w.as_str(), "move" | "cancel" | "change" | "push")
                        || w.starts_with("resched"))
                        && {
                            let o = object(i + 1);
                            !ours(&o) && foreign(&o)
                        }
                })
        }
        // "My son won't talk to me anymore", "I'm looking for a used piano": no service, no
        // day or time, no word of booking and nothing of ours.
        Intent::Book => {
            const BOOKING: [&str; 22] = [
                "book",
                "booking",
                "schedule",
                "appointment",
                "appt",
                "come",
                "visit",
                "slot",
                "available",
                "availability",
                "opening",
                "estimate",
                "quote",
                "send",
                "someone",
                "somebody",
                "reserve",
                "table",
                "consult",
                "consultation",
                "session",
                "fit",
            ];
            t.ent.when.is_none()
                && t.own == 0
                && !BOOKING.iter().any(|w| t.has(w))
                && t.foreign >= 0.4
        }
        _ => false,
    }
}
