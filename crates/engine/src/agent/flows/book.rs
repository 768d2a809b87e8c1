//! Booking and moving an appointment: the service, a day and time the calendar has free, the
//! caller's choice among the offered slots, their name and number, and the read-back.

use super::*;

/// Reads what the caller said into the book flow's details.
pub(super) fn fill(
    ctx: &Context,
    state: &mut State,
    flow: &mut Flow,
    t: &Turn,
    out: &mut Out,
    mut progressed: bool,
) -> Step {
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
        return Step::Nothing;
    };
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
                            say::pick(&["All set!", "Done!", "You're all set."], state.turns),
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
    // A staff member named ("with Dana") is asked for, unless the name is the caller's own
    // ("Ari Feldman", answering the name question at a clinic with an Ari on staff).
    let own_name: Vec<String> = t
        .ent
        .name
        .as_deref()
        .map(|n| n.split([' ', '-']).map(str::to_lowercase).collect())
        .unwrap_or_default();
    if let Some(s) = p.staff.iter().find(|s| {
        let n = s.name.as_str().to_lowercase();
        t.has(&n) && !own_name.contains(&n) && *ask != Some(Ask::Name)
    }) {
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
    Step::filled(progressed)
}

pub(super) fn advance(ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
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
            .chain(ctx.blocked.iter().cloned())
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

/// Which of the offered slots the caller chose: by position ("the first one", "the later
/// one"), by time ("2:30"), or a plain yes when one was offered.
pub(super) fn pick_offered(ctx: &Context, t: &Turn, offered: &[SlotRef]) -> Option<SlotRef> {
    let tz = ctx.tz();
    let has = |w: &str| t.has(w);
    // "Oops, I meant on the 2nd", "the 21st of May": a day of the month, on none of the days
    // offered, is another day asked for, not the second time offered ("the first of those"
    // is the first time offered).
    let another_day = t.ent.when.and_then(|w| w.date).is_some_and(|d| {
        !offered
            .iter()
            .any(|s| s.start.with_timezone(&tz).date_naive() == d)
    });
    let ordinal_as_day = t.ws.iter().enumerate().any(|(i, w)| {
        let ordinal = w.len() > 2
            && w.chars().next().is_some_and(|c| c.is_ascii_digit())
            && ["st", "nd", "rd", "th"].iter().any(|x| w.ends_with(x))
            || matches!(w.as_str(), "first" | "second" | "third");
        let before = |k: usize| {
            i.checked_sub(k)
                .and_then(|j| t.ws.get(j))
                .map(String::as_str)
        };
        ordinal
            && (matches!(before(1), Some("on" | "for"))
                || (before(1) == Some("the") && matches!(before(2), Some("on" | "for")))
                || (t.ws.get(i + 1).is_some_and(|n| n == "of")
                    && t.ws
                        .get(i + 2)
                        .is_some_and(|m| crate::nlu::when::month(m).is_some())))
    });
    if another_day && ordinal_as_day {
        return None;
    }
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
        || has("soonest")
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

pub(super) fn local_minute(t: &chrono::DateTime<chrono_tz::Tz>) -> u32 {
    use chrono::Timelike;
    t.hour() * 60 + t.minute()
}

pub(super) enum Search {
    Exact(SlotRef),
    Offer { slots: Vec<SlotRef>, note: String },
}

/// Free slots for what the caller asked: the exact time if free, else up to three spread-out
/// choices on the day asked (in the window asked), else on the next day that has any.
pub(super) fn search(
    ctx: &Context,
    service: &str,
    when: When,
    staff: Option<&str>,
    busy: &[Busy],
) -> Search {
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

pub(super) fn finish(ctx: &Context, when: When, slots: Vec<SlotRef>, from: NaiveDate) -> Search {
    let note = match (when.time, slots.first()) {
        (Some(m), Some(_)) => format!("{} isn't free.", say::time(m)),
        (_, None) => format!("I don't have any openings {}.", say::day(from, ctx.today())),
        _ => String::new(),
    };
    Search::Offer { slots, note }
}
