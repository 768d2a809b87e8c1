//! Answers from the business's data, inside or outside a flow: hours, prices, unit sizes and
//! availability, services, and questions the knowledge base answers.

use super::*;

/// Whether the turn asks something: a question mark, or a clause that opens with a question
/// word once greetings and hedges are passed ("hi again, how much extra for…", "sorry, i'm
/// curious, do you…").
pub(super) fn looks_like_question(t: &Turn) -> bool {
    t.raw.contains('?')
        || t.raw
            .split([',', '.', ';', '!', ':'])
            .any(|clause| clause_asks(&crate::nlu::text::words(clause)))
        || t.ws.windows(2).any(|w| w[0] == "do" && w[1] == "you")
}

/// Whether a clause's first word past greetings and hedges is a question word.
fn clause_asks(ws: &[String]) -> bool {
    let at = ws.iter().position(|w| {
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
                | "hi"
                | "hello"
                | "there"
                | "good"
                | "morning"
                | "afternoon"
                | "evening"
                | "just"
                | "curious"
                | "wondering"
                | "again"
                | "i'm"
                | "im"
                | "i"
                | "was"
                | "had"
                | "a"
                | "one"
                | "more"
                | "thing"
        )
    });
    let Some(at) = at else {
        return false;
    };
    // "Have you got…" asks; "I have an emergency" tells.
    if matches!(ws[at].as_str(), "have" | "got") {
        return ws
            .get(at + 1)
            .is_some_and(|n| matches!(n.as_str(), "you" | "u" | "ya" | "y'all" | "yall" | "any"));
    }
    let first = Some(&ws[at]);
    first.is_some_and(|w| {
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
}

/// "What days is Omar in?": a staff member's working days and hours, from the profile.
fn staff_days(ctx: &Context, t: &Turn, out: &mut Out) -> bool {
    let p = ctx.profile;
    let Some(s) = p
        .staff
        .iter()
        .find(|s| t.has(&s.name.as_str().to_lowercase()))
    else {
        return false;
    };
    let about_days = [
        "days", "day", "work", "works", "working", "in", "there", "hours", "schedule", "when",
    ]
    .iter()
    .any(|w| t.has(w));
    if !looks_like_question(t) || !about_days || t.ent.when.is_some() {
        return false;
    }
    let hours = s.hours.as_ref().unwrap_or(&p.hours);
    let days: Vec<String> = crate::profile::WeekHours::DAYS
        .into_iter()
        .filter(|d| !hours.on(*d).is_empty())
        .map(|d| {
            format!(
                "{} {}",
                say::weekday_name(d),
                crate::agent::facts::ranges(hours.on(d))
            )
        })
        .collect();
    out.intent = Some(Intent::Hours);
    if days.is_empty() {
        return false;
    }
    out.say(format!("{} works {}.", s.name, say::list(&days)));
    true
}

/// "Do you deliver?": what the ordering settings say, for a business that takes orders.
fn delivery(ctx: &Context, t: &Turn, out: &mut Out) -> bool {
    let Some(o) = ctx.profile.ordering.as_ref() else {
        return false;
    };
    let asked = [
        "deliver",
        "delivery",
        "deliveries",
        "delivering",
        "doordash",
        "ubereats",
    ]
    .iter()
    .any(|w| t.has(w));
    if !asked || !looks_like_question(t) || !t.ent.items.is_empty() {
        return false;
    }
    out.intent = Some(Intent::Faq);
    if o.delivery {
        let fee = o
            .delivery_fee
            .map(|f| format!(" for {}", say::money(f)))
            .unwrap_or_default();
        out.say(format!("Yes, we deliver{fee}."));
    } else if o.pickup {
        out.say("We don't deliver, sorry: orders are for pickup.");
    } else {
        return false;
    }
    true
}

/// Whether the turn asks about the business rather than asking it to do something: a
/// question ("can I pay in installments?", "do I have to make an appointment or can I just stop
/// by?", "is the pepperoni really spicy?") that names no day or time and does not put a request
/// as a question ("can I book…", "could you fit me in…", "can I get…", "can I order…").
/// Whether a question asks what the rules are for calling off or moving a booking (how much
/// notice, what it costs, what happens if), rather than asking for it done.
pub(super) fn asks_about_the_rules(t: &Turn) -> bool {
    if !looks_like_question(t) {
        return false;
    }
    let ws = &t.ws;
    let rule_word = [
        "notice", "ahead", "advance", "policy", "fee", "fees", "charge", "charged", "penalty",
        "late", "deadline", "refund", "deposit",
    ]
    .iter()
    .any(|w| t.has(w));
    let what_if = ws
        .windows(2)
        .any(|w| w[0] == "what" && matches!(w[1].as_str(), "happens" | "if"))
        || ws.windows(3).any(|w| {
            w[0] == "do"
                && matches!(w[1].as_str(), "i" | "we" | "you")
                && matches!(w[2].as_str(), "need" | "have" | "lose" | "get")
        });
    rule_word || what_if
}

pub(super) fn asks_rather_than_requests(t: &Turn) -> bool {
    if !looks_like_question(t) || t.ent.when.is_some() {
        return false;
    }
    const ACT: [&str; 35] = [
        "book",
        "schedule",
        "get",
        "have",
        "order",
        "reserve",
        "rent",
        "hold",
        "grab",
        "fit",
        "squeeze",
        "set",
        "put",
        "sign",
        "send",
        "come",
        "fix",
        "see",
        "take",
        "check",
        "repair",
        "look",
        "cancel",
        "move",
        "reschedule",
        "resched",
        "rebook",
        "postpone",
        "change",
        "push",
        "bump",
        "shift",
        "switch",
        "drop",
        "scrap",
    ];
    let ws = &t.ws;
    let request = ws.windows(3).enumerate().any(|(i, w)| {
        matches!(
            w[0].as_str(),
            "can" | "could" | "would" | "will" | "may" | "cna"
        ) && matches!(
            w[1].as_str(),
            "i" | "we" | "you" | "u" | "someone" | "somebody"
        ) && (ACT.contains(&w[2].as_str())
            || ws
                .get(i + 3)
                .is_some_and(|x| ACT.contains(&x.as_str()) && w[2] == "just"))
    }) || ws.windows(2).any(|w| {
        matches!(w[0].as_str(), "make" | "need" | "want") && matches!(w[1].as_str(), "me")
    });
    // "Can I do a takeout order?", "is it possible to make an appointment?": a wish and the
    // thing wished for, unless it asks whether one must ("do I have to make an appointment?").
    let has = |w: &str| t.has(w);
    let thing = [
        "order",
        "appointment",
        "appt",
        "reservation",
        "booking",
        "book",
        "schedule",
        "reserve",
    ]
    .iter()
    .any(|w| has(w));
    let wish = [
        "can", "could", "possible", "like", "want", "would", "may", "please",
    ]
    .iter()
    .any(|w| has(w));
    let obligation = ws
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "have" | "need" | "got") && w[1] == "to")
        || has("should")
        || has("must");
    !(request || (thing && wish && !obligation))
}

/// Whether a question names a thing the business's data never mentions ("do you have a
/// forklift?"), so that listing what is available would not answer it.
pub(super) fn asks_about_something_else(ctx: &Context, t: &Turn) -> bool {
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
            && !crate::nlu::when::names_a_time(w)
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
pub(super) fn clarify(ctx: &Context) -> String {
    let can = super::scope::capabilities(ctx);
    format!(
        "Sorry, I'm not sure I understood. I can help with {}. What would you like?",
        say::either(&can)
    )
}

/// Answers a question from the profile's facts or its knowledge base. False if it cannot.
pub(super) fn answer_question(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) -> bool {
    let p = ctx.profile;
    let hit = t.hit.clone();
    // A service with nothing written of it but its name and price does not answer a question
    // about something else that names it ("is my puppy too young for a dental cleaning?").
    let beyond = asks_beyond_its_subject(ctx, t);
    let strong = hit.as_ref().filter(|h| {
        h.confidence >= KNOWN
            && !matches!(h.source, Source::Service(i)
                if p.services[i].description.is_none() && beyond)
    });
    let confident = t.confidence >= UNSURE;
    let topic = topic_of(t).or_else(|| state.topic.clone());
    let intent = if confident {
        t.intent
    } else {
        Intent::OutOfScope
    };
    // Profile fields the FAQs may not cover; an FAQ that answers better ("how far do you
    // deliver?") comes first, unless the profile says there is no delivery at all (an FAQ
    // left over from when there was would state what is no longer true).
    let delivers = p.ordering.as_ref().is_some_and(|o| o.delivery);
    if staff_days(ctx, t, out) || ((strong.is_none() || !delivers) && delivery(ctx, t, out)) {
        return true;
    }
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
        // "Where do I park?", "how do I get through the gate?" name their own subject, which
        // the knowledge base may know better than the address.
        Intent::Location
            if asks_where(t)
                && (!specific_beyond(
                    t,
                    &[
                        "locat",
                        "located",
                        "address",
                        "direction",
                        "directions",
                        "find",
                        "get",
                        "there",
                        "place",
                        "street",
                        "exactly",
                        "come",
                        "store",
                        "shop",
                        "office",
                    ],
                ) || strong.is_none()) =>
        {
            out.intent = Some(Intent::Location);
            match &p.address {
                Some(a) => {
                    out.say(format!("We're at {a}."));
                    if ctx.channel != crate::agent::Channel::Voice
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
                && (topic_of(t).is_none() || beyond)
                && !(t.intent == Intent::Prices
                    && t.confidence >= 0.5
                    && strong.is_some_and(|h| h.confidence < 0.99)) =>
        {
            knowledge_answer(ctx, state, strong.map(|h| h.source), out);
            true
        }
        // "Is my 18 month old too young for a haircut?", "when do you need the vaccine
        // records?": a service named in a question about something else, which the price of
        // the service does not answer; a document that may is read back instead.
        Intent::Prices if beyond && (might_mean_a_document(t) || !names_a_price(t)) => false,
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

/// Whether the turn asks where the business is or how to reach it: "where are you", "your
/// address", "directions", "how do I get there". "How do I get an absentee ballot?" is no such
/// question, whatever the classifier made of "how do I get".
pub(super) fn asks_where(t: &Turn) -> bool {
    const PLACE: [&str; 16] = [
        "where",
        "wheres",
        "where's",
        "address",
        "located",
        "location",
        "locations",
        "directions",
        "direction",
        "street",
        "cross",
        "suite",
        "map",
        "gps",
        "nearest",
        "landmark",
    ];
    let toward = t.ws.windows(3).any(|w| {
        matches!(
            w[0].as_str(),
            "get" | "come" | "go" | "drive" | "walk" | "find" | "reach" | "head"
        ) && (matches!(w[1].as_str(), "there" | "you" | "ya" | "y'all")
            || (matches!(w[1].as_str(), "to" | "over")
                && matches!(
                    w[2].as_str(),
                    "you" | "your" | "ur" | "y'all" | "there" | "the"
                )))
    }) || t
        .ws
        .last()
        .is_some_and(|w| matches!(w.as_str(), "there" | "you"));
    PLACE.iter().any(|w| t.has(w)) || toward
}

/// Whether a turn that names a service, dish or unit asks about more than it and its price:
/// words of its own beyond the thing's name, a price or a booking.
pub(super) fn asks_beyond_its_subject(ctx: &Context, t: &Turn) -> bool {
    let Some(topic) = topic_of(t) else {
        return false;
    };
    // Its name, and what the business wrote of it ("snaking" of a drain cleaning).
    let name = match &topic {
        Topic::Service(n) => {
            let d = ctx
                .profile
                .services
                .iter()
                .find(|s| s.name.as_str() == n)
                .and_then(|s| s.description.clone())
                .unwrap_or_default();
            format!("{n} {d}")
        }
        Topic::Unit(n) | Topic::Menu(n) => n.clone(),
    };
    let mut generic: Vec<String> = crate::nlu::text::words(&name);
    generic.extend(
        [
            "price",
            "extra",
            "book",
            "appointment",
            "available",
            "today",
            "tomorrow",
            "week",
            "day",
            "month",
            "monthly",
            "year",
            "hour",
            "night",
            "per",
            "each",
            "unit",
            "dish",
            "service",
            "size",
            "order",
            "like",
            "want",
            "get",
            "much",
        ]
        .map(str::to_owned),
    );
    let generic: Vec<&str> = generic.iter().map(String::as_str).collect();
    specific_beyond(t, &generic)
}

/// Whether the turn speaks of money: "how much", "price", "cost", "extra", "$".
pub(super) fn names_a_price(t: &Turn) -> bool {
    t.raw.contains('$')
        || (t.has("how") && t.has("much"))
        || [
            "much",
            "price",
            "prices",
            "pricing",
            "cost",
            "costs",
            "charge",
            "charges",
            "charged",
            "fee",
            "fees",
            "rate",
            "rates",
            "expensive",
            "cheap",
            "cheaper",
            "cheapest",
            "dollars",
            "bucks",
            "pay",
            "quote",
            "run",
            "extra",
            "ballpark",
            "estimate",
            "roughly",
            "approximately",
        ]
        .iter()
        .any(|w| t.has(w))
}

/// Retrieval found a document the caller may mean, short of sure: one to read back.
pub(super) fn might_mean_a_document(t: &Turn) -> bool {
    t.hit
        .as_ref()
        .is_some_and(|h| h.confidence >= 0.3 && !matches!(h.source, Source::Service(_)))
}

/// Whether the turn names something beyond the generic words of its intent (e.g. "gate" in
/// "what are the gate hours"), so the knowledge base may know better than the week's hours.
pub(super) fn specific_beyond(t: &Turn, generic: &[&str]) -> bool {
    // The generic words as the index folds them, whatever form they are listed in.
    let generic: Vec<String> = generic
        .iter()
        .flat_map(|g| crate::nlu::knowledge::terms(g))
        .chain(generic.iter().map(|g| (*g).to_owned()))
        .collect();
    crate::nlu::knowledge::terms(t.raw)
        .iter()
        .any(|w| !generic.contains(w) && !crate::nlu::when::names_a_time(w))
}

pub(super) fn knowledge_answer(
    ctx: &Context,
    state: &mut State,
    source: Option<Source>,
    out: &mut Out,
) {
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

pub(super) fn service_text(ctx: &Context, s: &crate::profile::Service) -> String {
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

pub(super) fn topic_of(t: &Turn) -> Option<Topic> {
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

pub(super) fn hours(ctx: &Context, t: &Turn, out: &mut Out) {
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
            .closures_between(today, today + chrono::Duration::days(60))
            .iter()
            .map(|c| facts::hours_for_date(p, c.date, today))
            .collect();
        if !upcoming.is_empty() {
            out.say(upcoming.join(" "));
        }
    }
}

pub(super) fn prices(
    ctx: &Context,
    state: &mut State,
    t: &Turn,
    topic: Option<Topic>,
    out: &mut Out,
) {
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
        None => price_list(ctx, out),
    }
}

/// Prices when no one thing was asked about: the unit rates and promotions, the services' prices,
/// or the first items of the menu.
fn price_list(ctx: &Context, out: &mut Out) {
    let p = ctx.profile;
    let today = ctx.today();
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
                s.price
                    .map(|pr| format!("{} is {}", s.name.as_str().to_lowercase(), say::money(pr)))
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

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(super) fn area(u: &crate::profile::Unit) -> f64 {
    u.width_ft * u.depth_ft
}

pub(super) fn unit_sizes(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
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

pub(super) fn unit_availability(ctx: &Context, state: &mut State, t: &Turn, out: &mut Out) {
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
pub(super) fn free_units(p: &crate::profile::Profile) -> Vec<String> {
    p.units
        .iter()
        .filter(|u| u.available > 0)
        .map(|u| u.unit_type.clone())
        .collect()
}

pub(super) fn alternative<'p>(
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
