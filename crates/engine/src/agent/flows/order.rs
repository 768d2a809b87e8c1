//! Taking an order from the menu: the items with their options, pickup or delivery, the
//! address, the caller's details and the read-back with the total.

use super::*;

/// Reads what the caller said into the order flow's details.
pub(super) fn fill(
    ctx: &Context,
    state: &mut State,
    flow: &mut Flow,
    t: &Turn,
    out: &mut Out,
    mut progressed: bool,
) -> Step {
    let Flow::Order {
        lines,
        fulfillment,
        address,
        more_done,
        ask,
    } = flow
    else {
        return Step::Nothing;
    };
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
                let subtotal = Money::from_cents(priced.iter().map(|l| l.total.cents()).sum());
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
    } else if (matches!(*ask, Some(Ask::More)) || (*ask == Some(Ask::Items) && !lines.is_empty()))
        && (t.ent.yes == Some(false) || says_that_is_all(t))
    {
        *more_done = true;
        progressed = true;
    } else if *ask == Some(Ask::More) && t.ent.yes == Some(true) {
        *ask = Some(Ask::Items);
        out.say("Sure, what else would you like?");
        return Step::Asked;
    } else if (matches!(*ask, Some(Ask::Items | Ask::More)) || lines.is_empty())
        && asks_for_a_dish(t)
        && (counted(t) || *ask == Some(Ask::Items))
    {
        // "Two spicy chicken stews": something asked for that the menu does not name. Say
        // so and read out the dishes nearest to the words, rather than drop it unheard.
        *ask = Some(Ask::Items);
        out.say(format!(
            "I couldn't find that on our menu. We have {}. Which would you like?",
            say::either(&nearest_dishes(p, t, 6))
        ));
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
        if text.chars().any(|c| c.is_ascii_digit()) && text.split_whitespace().count() >= 2 {
            *address = Some(text);
            progressed = true;
        }
    }
    Step::filled(progressed)
}

/// Whether a turn with no dish of the menu in it still asks for one: a count or an ordering
/// word ("and 2 of the stews", "can you add the lamb thing"), not a question, a yes or no, or
/// the end of the order.
fn asks_for_a_dish(t: &Turn) -> bool {
    if t.ent.yes.is_some() || t.ent.name.is_some() {
        return false;
    }
    // "Can I order for pickup? 1 pad kee mao": a question around it does not hide a dish
    // counted out.
    if looks_like_question(t) && !counts_a_dish(t) {
        return false;
    }
    let ordering = ["add", "plus", "also", "get", "have"]
        .iter()
        .any(|w| t.has(w));
    let finished = says_that_is_all(t);
    (counted(t) || ordering) && !finished
}

/// "That's it", "that's all", "I'm done", "nothing else", "all good": the end of the order.
/// Not "make it mild", whose "it" is a dish.
fn says_that_is_all(t: &Turn) -> bool {
    ["all", "everything", "done", "good", "nothing"]
        .iter()
        .any(|w| t.has(w))
        || t.ws.windows(2).any(|w| {
            matches!(
                w[0].as_str(),
                "that's" | "thats" | "that" | "is" | "it's" | "its"
            ) && w[1] == "it"
        })
        || t.ws.windows(3).any(|w| {
            (w[0] == "that" && w[1] == "is" && w[2] == "it")
                // "That should do it", "that'll do it", "that does it".
                || (w[1] == "do" || w[1] == "does") && w[2] == "it" && w[0] != "you"
        })
        || t.ws.windows(2).any(|w| {
            matches!(w[0].as_str(), "that'll" | "thatll" | "whole")
                && matches!(w[1].as_str(), "do" | "order" | "thing")
        })
}

/// Whether a count is followed by a word of what is counted: "1 pad kee mao", "two of the
/// stews" (not "1 pm", "2 for tomorrow").
fn counts_a_dish(t: &Turn) -> bool {
    t.ws.windows(2).enumerate().any(|(i, w)| {
        let next = if w[1] == "of" {
            t.ws.get(i + 3).or(t.ws.get(i + 2))
        } else {
            Some(&w[1])
        };
        is_count(&w[0])
            && next.is_some_and(|n| {
                n.len() >= 3
                    && n.chars().all(char::is_alphabetic)
                    && !crate::nlu::text::is_stopword(n)
                    && !crate::nlu::when::names_a_time(n)
            })
    })
}

fn is_count(w: &str) -> bool {
    w.parse::<u32>().is_ok_and(|n| (1..=20).contains(&n))
        || matches!(
            w,
            "one" | "two" | "three" | "four" | "five" | "six" | "dozen" | "couple"
        )
}

/// Whether the turn counts something ("3", "two", "a dozen").
fn counted(t: &Turn) -> bool {
    t.ws.iter().any(|w| is_count(w))
}

/// Up to `n` dish names, those sharing a word with the turn first, then in menu order.
fn nearest_dishes(p: &crate::profile::Profile, t: &Turn, n: usize) -> Vec<String> {
    let said: Vec<String> = crate::nlu::knowledge::terms(t.raw);
    let mut scored: Vec<(usize, usize, String)> = p
        .menu
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let shared = crate::nlu::knowledge::terms(m.name.as_str())
                .iter()
                .filter(|w| said.contains(w))
                .count();
            (shared, i, m.name.as_str().to_lowercase())
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, _, s)| s).collect()
}

/// Asks the order flow's next question, or reads it back for a yes.
pub(super) fn advance(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let p = ctx.profile;
    let Flow::Order {
        lines,
        fulfillment,
        address,
        more_done,
        ask,
    } = flow
    else {
        return;
    };
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
    let subtotal = Money::from_cents(lines.iter().map(|l| facts::line_total(p, l).cents()).sum());
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

pub(super) fn delivery_fee(ctx: &Context, f: Option<Fulfillment>) -> Money {
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
