//! Reserving a storage unit: the size, the move-in day, the caller's details and the read-back
//! with the rate and any promotion.

use super::*;

/// Reads what the caller said into the reserve flow's details.
pub(super) fn fill(
    ctx: &Context,
    state: &mut State,
    flow: &mut Flow,
    t: &Turn,
    out: &mut Out,
    mut progressed: bool,
) -> Step {
    let Flow::Reserve {
        unit,
        suggested,
        move_in,
        ask,
    } = flow
    else {
        return Step::Nothing;
    };
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
    Step::filled(progressed)
}

/// Asks the reserve flow's next question, or reads it back for a yes.
pub(super) fn advance(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let p = ctx.profile;
    let Flow::Reserve {
        unit,
        suggested,
        move_in,
        ask,
    } = flow
    else {
        return;
    };
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
        return out.say("That date has already passed. What day would you like to move in?");
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
