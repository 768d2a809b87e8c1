//! Finding the caller's own appointment or order by their number, to tell them about it or to
//! cancel it after a yes.

use super::*;

/// Reads what the caller said into the lookup flow's details.
pub(super) fn fill(
    ctx: &Context,
    _state: &mut State,
    flow: &mut Flow,
    t: &Turn,
    out: &mut Out,
    _progressed: bool,
) -> Step {
    let Flow::Lookup {
        purpose,
        found,
        ask,
        service,
        when,
        same_time,
    } = flow
    else {
        return Step::Nothing;
    };
    if t.ws.windows(2).any(|w| w[0] == "same" && w[1] == "time") {
        *same_time = true;
    }
    if found.is_none() {
        if t.ent.service.is_some() {
            service.clone_from(&t.ent.service);
        }
        // "From thursday to saturday": in a move, the day after "to" is the new one.
        let to =
            t.ws.iter()
                .rposition(|w| w == "to" || w == "til" || w == "until");
        let moved_to = (*purpose == Purpose::Reschedule && t.has("from"))
            .then_some(to)
            .flatten()
            .and_then(|i| crate::nlu::when::find(&t.ws[i + 1..], ctx.today(), ctx.minute(), false))
            .filter(|w| w.date.is_some() || w.time.is_some());
        if let Some(w) = moved_to.or(t.ent.when) {
            *when = Some(w);
        }
    }
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
    Step::Nothing
}

pub(super) fn advance(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let Flow::Lookup {
        purpose,
        found,
        ask,
        service,
        when: said,
        same_time,
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
        return order_lookup(ctx, state, purpose, found, ask, &phone, out);
    }
    let mine: Vec<&crate::agent::Appointment> = {
        let mut v: Vec<&crate::agent::Appointment> = ctx
            .appointments
            .iter()
            .filter(|a| a.phone.as_ref() == Some(&phone) && a.start > ctx.now)
            .collect();
        v.sort_by_key(|a| a.start);
        v
    };
    // Of several, the one the caller named: by its service, or (when not moving it) its day.
    let named_day = said
        .as_ref()
        .and_then(|w| w.date)
        .filter(|_| purpose != Purpose::Reschedule);
    let pick = mine
        .iter()
        .find(|a| {
            service.as_deref().is_none_or(|s| a.service == s)
                && named_day.is_none_or(|d| a.start.with_timezone(&ctx.tz()).date_naive() == d)
        })
        .or(mine.first());
    let Some(a) = pick else {
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
            // The new day and time said with the request stand: "move it to Friday at 4";
            // "the 21st, same time" keeps the time it had.
            let mut new_when = said.take().unwrap_or_default();
            if new_when.time.is_none() && *same_time {
                new_when.time = Some(local_minute(&l));
            }
            let mut book = Flow::Book {
                service: Some(a.service.clone()),
                when: new_when,
                staff: None,
                offered: vec![],
                chosen: None,
                ask: None,
                moving: Some(a.id.clone()),
            };
            super::book::advance(ctx, state, &mut book, out);
            *flow = book;
        }
        _ => {}
    }
}

/// Finding the caller's latest order, to tell where it stands or to cancel it after a yes.
fn order_lookup(
    ctx: &Context,
    state: &mut State,
    purpose: Purpose,
    found: &mut Option<String>,
    ask: &mut Option<Ask>,
    phone: &crate::PhoneE164,
    out: &mut Out,
) {
    let tz = ctx.tz();
    let order = ctx
        .orders
        .iter()
        .filter(|o| o.phone.as_ref() == Some(phone))
        .max_by_key(|o| o.created);
    let Some(o) = order else {
        *ask = None;
        return out.say(format!(
            "I can't find a recent order for {}. Is there anything else I can help with?",
            spoken_phone(phone)
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
    out.say(format!(
        "I see your order of {}. Shall I cancel it?",
        o.summary
    ));
}
