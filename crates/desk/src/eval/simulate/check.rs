//! What the store must hold once a caller is done, and the appointments callers hold
//! before they call to move or cancel.

use super::*;

/// The total in cents of the order in progress in a conversation's stored state, from the
/// generated menu's prices and surcharges.
pub(super) fn order_total(w: &World, state: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(state).ok()?;
    let lines = v.pointer("/flow/lines")?.as_array()?;
    let mut cents = 0.0;
    for l in lines {
        let it = w
            .items
            .iter()
            .find(|i| Some(i.name.as_str()) == l["item"].as_str())?;
        let mut each = it.price;
        for pair in l["options"].as_array().into_iter().flatten() {
            let (g, c) = (pair[0].as_str()?, pair[1].as_str()?);
            let group = it.options.iter().find(|o| o.name.eq_ignore_ascii_case(g))?;
            each += group
                .choices
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(c))?
                .extra;
        }
        cents += each * 100.0 * l["quantity"].as_f64()?;
    }
    Some(cents.round() as i64)
}

/// Books the appointment a cancelling or moving caller already holds, straight into the store:
/// on `day` (for a cancel) or on another day with room (for a move), at the first free time.
#[allow(clippy::too_many_arguments)]
pub(super) async fn hold(
    w: &World,
    db: &Db,
    business: &frontdesk_store::BusinessId,
    service: usize,
    day: NaiveDate,
    goal: &Goal,
    busy: &[Busy],
    name: &Name,
    phone: &PhoneE164,
) -> anyhow::Result<Option<Held>> {
    let d = match goal {
        Goal::Cancel { .. } => Some(day),
        _ => w
            .days_with_room(service, busy)
            .into_iter()
            .map(|(d, _)| d)
            .find(|d| (*d - day).num_days().abs() >= 2),
    };
    let Some(d) = d else { return Ok(None) };
    let Some(m) = w.free_on(service, d, busy).first().copied() else {
        return Ok(None);
    };
    let wd = d.weekday().num_days_from_monday() as usize;
    let len = w.services[service].minutes;
    let (Some(start), Some(end)) = (w.utc(d, m), w.utc(d, m + len)) else {
        return Ok(None);
    };
    let pad = i64::from(w.buffer) * 60_000;
    let Some(staff) = w.staff.iter().find(|x| {
        x.services.contains(&service)
            && x.hours[wd].is_some_and(|(o, c)| o <= m && m + len <= c)
            && !busy.iter().any(|(s, bs, be)| {
                s.as_deref() == Some(x.name.as_str()) && *bs < end + pad && *be > start - pad
            })
    }) else {
        return Ok(None);
    };
    let mut t = db.tenant(business);
    let customer = t
        .create_customer(
            &CustomerFields {
                name: Some(format!("{} {}", name.first, name.last)),
                phone: Some(phone.clone()),
                email: None,
                notes: None,
                tags: Vec::new(),
            },
            w.now.timestamp_millis() - 86_400_000,
        )
        .await?;
    let a = t
        .book_appointment(
            &frontdesk_store::appointments::NewAppointment {
                customer: Some(&customer.id),
                conversation: None,
                service: &w.services[service].name,
                staff: Some(&staff.name),
                start_at: start,
                end_at: end,
                buffer_ms: pad,
            },
            w.now.timestamp_millis() - 86_400_000,
        )
        .await?;
    Ok(Some(Held {
        id: a.id,
        start: a.start_at,
    }))
}

/// Whether the store shows the goal met; reasons it does not go into `why`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn check(
    w: &World,
    db: &Db,
    business: &frontdesk_store::BusinessId,
    conv: &frontdesk_store::ConversationId,
    goal: &Goal,
    held: Option<&Held>,
    busy: &[Busy],
    committed: &[Action],
    why: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut t = db.tenant(business);
    let since = w.now.timestamp_millis() - 2 * 86_400_000;
    let mine: Vec<_> = t
        .appointments(since, 10_000)
        .await?
        .into_iter()
        .filter(|a| a.conversation_id.as_ref() == Some(conv))
        .collect();
    let local = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&w.tz)
            .naive_local()
    };
    let acted = committed.iter().any(acts);
    match goal {
        Goal::Book {
            service,
            day,
            time,
            exact,
            ..
        } => {
            why.extend(booked_right(w, &mine, *service, *day, *time, *exact, busy));
        }
        Goal::Cancel { .. } => {
            if let Some(h) = held {
                let a = t.appointment(&h.id).await?;
                if a.status != AppointmentStatus::Cancelled {
                    why.push(format!("the appointment is still {}", a.status.as_str()));
                }
            }
            if !mine.is_empty() {
                why.push("a new appointment was made".into());
            }
        }
        Goal::Move { day, time, .. } => {
            if let Some(h) = held {
                let a = t.appointment(&h.id).await?;
                let at = local(a.start_at);
                if a.status != AppointmentStatus::Booked {
                    why.push(format!("the appointment is {}", a.status.as_str()));
                } else if a.start_at == h.start {
                    why.push("the appointment did not move".into());
                } else if at.date() != *day || at.hour() * 60 + at.minute() != *time {
                    why.push(format!("moved to {at} (wanted {day} {})", hhmm(*time)));
                }
            }
            if mine.iter().any(|a| a.status == AppointmentStatus::Booked) {
                why.push("a second appointment was booked".into());
            }
        }
        Goal::Ask(i) => {
            let f = &w.faqs[*i];
            if acted {
                why.push(format!("a question was acted on: {committed:?}"));
            }
            let text = t
                .transcript(conv)
                .await?
                .into_iter()
                .filter(|m| m.role == frontdesk_store::states::MessageRole::Agent)
                .map(|m| m.text.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if !text.contains(&f.key.to_lowercase()) {
                why.push(format!("the answer lacks {:?} ({:?})", f.key, f.q));
            }
        }
        Goal::AskElsewhere(_) => {
            if acted {
                why.push(format!("a question was acted on: {committed:?}"));
            }
            let said: Vec<String> = t
                .transcript(conv)
                .await?
                .into_iter()
                .filter(|m| m.role == frontdesk_store::states::MessageRole::Agent)
                .map(|m| m.text)
                .collect();
            if let Some(f) = w
                .faqs
                .iter()
                .find(|f| said.iter().any(|s| s.contains(f.a.as_str())))
            {
                why.push(format!("answered with an unrelated FAQ: {:?}", f.q));
            }
        }
        Goal::Message { text, .. } => {
            let msgs: Vec<_> = t
                .caller_messages(1000)
                .await?
                .into_iter()
                .filter(|m| m.conversation_id.as_ref() == Some(conv))
                .collect();
            match msgs.as_slice() {
                [] => why.push("no message taken".into()),
                [m] => {
                    let words: Vec<&str> =
                        text.split_whitespace().filter(|w| w.len() > 3).collect();
                    let kept = words
                        .iter()
                        .filter(|w| m.text.to_lowercase().contains(&w.to_lowercase()))
                        .count();
                    if kept * 10 < words.len() * 6 {
                        why.push(format!("message kept as {:?}", m.text));
                    }
                }
                more => why.push(format!("{} messages taken", more.len())),
            }
        }
        Goal::OffTopic(_) | Goal::UnitQuestion(_) => {
            if acted {
                why.push(format!("acted on: {committed:?}"));
            }
        }
        Goal::Order(lines) => {
            let orders: Vec<_> = t
                .orders(since, 1000)
                .await?
                .into_iter()
                .filter(|o| o.conversation_id.as_ref() == Some(conv))
                .collect();
            why.extend(ordered_right(w, &orders, lines));
        }
        Goal::Reserve { unit, day } => {
            let rs: Vec<_> = t
                .reservations(1000)
                .await?
                .into_iter()
                .filter(|r| {
                    r.conversation_id.as_ref() == Some(conv)
                        && r.status == ReservationStatus::Reserved
                })
                .collect();
            match rs.as_slice() {
                [] => why.push("nothing reserved".into()),
                [r] => {
                    if r.unit_type != w.units[*unit].size {
                        why.push(format!(
                            "reserved {} (wanted {})",
                            r.unit_type, w.units[*unit].size
                        ));
                    }
                    if r.move_in != day.to_string() {
                        why.push(format!("move-in {} (wanted {day})", r.move_in));
                    }
                }
                more => why.push(format!("{} reservations", more.len())),
            }
        }
    }
    Ok(())
}

/// What is wrong with the appointments a booking conversation made: one, of the service, on
/// the day and at the time wanted, at a time that was free.
fn booked_right(
    w: &World,
    mine: &[frontdesk_store::appointments::Appointment],
    service: usize,
    day: Option<NaiveDate>,
    time: Option<u32>,
    exact: bool,
    busy: &[Busy],
) -> Vec<String> {
    let mut why = Vec::new();
    let local = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&w.tz)
            .naive_local()
    };
    let booked: Vec<_> = mine
        .iter()
        .filter(|a| a.status == AppointmentStatus::Booked)
        .collect();
    match booked.as_slice() {
        [] => why.push("nothing booked".into()),
        [a] => {
            let at = local(a.start_at);
            let m = at.hour() * 60 + at.minute();
            if a.service != w.services[service].name {
                why.push(format!(
                    "booked {} (wanted {})",
                    a.service, w.services[service].name
                ));
            }
            if day.is_some_and(|d| d != at.date()) {
                why.push(format!("booked on {} (wanted {day:?})", at.date()));
            }
            if exact && time.is_some_and(|t| t != m) {
                why.push(format!(
                    "booked at {} (wanted {})",
                    hhmm(m),
                    hhmm(time.unwrap_or_default())
                ));
            }
            if !w.free(service, at.date(), m, busy) {
                why.push(format!("booked at {at}, which was not free"));
            }
        }
        more => why.push(format!("{} appointments booked", more.len())),
    }
    why
}

/// What is wrong with the orders a conversation placed: one, with every item wanted in its
/// quantity and chosen option, and nothing else.
fn ordered_right(
    w: &World,
    orders: &[frontdesk_store::orders::Order],
    lines: &[Wanted],
) -> Vec<String> {
    let mut why = Vec::new();
    match orders {
        [] => why.push("no order placed".into()),
        [o] => {
            let got: Vec<frontdesk_engine::agent::PricedLine> =
                serde_json::from_value(o.lines.clone()).unwrap_or_default();
            for (i, q, opt) in lines {
                let it = &w.items[*i];
                let Some(l) = got.iter().find(|l| l.item == it.name) else {
                    why.push(format!("{} missing", it.name));
                    continue;
                };
                if l.quantity != *q {
                    why.push(format!("{} × {} (wanted {q})", l.quantity, it.name));
                }
                if let Some((g, c)) = opt {
                    let group = &it.options[*g];
                    let choice = &group.choices[*c].name;
                    if !l
                        .options
                        .iter()
                        .any(|(n, v)| n == &group.name && v.eq_ignore_ascii_case(choice))
                    {
                        why.push(format!(
                            "{}: {} is not {choice} ({:?})",
                            it.name, group.name, l.options
                        ));
                    }
                }
            }
            if got.len() != lines.len() {
                why.push(format!("{} lines (wanted {})", got.len(), lines.len()));
            }
        }
        more => why.push(format!("{} orders placed", more.len())),
    }
    why
}
