//! Facts read from the profile and computed by its rules: opening hours and closures, quoted
//! unit rates with pricing rules and promotions, menu prices with options, order totals. The
//! agent states a number only if it came from here.

use chrono::{Datelike, NaiveDate};

use super::say;
use crate::nlu::entities::Line;
use crate::profile::{MenuItem, Profile, Promotion, TimeRange, Unit};
use crate::types::Money;

/// The hours kept on `date`: the closure's (or the public holiday's), if one falls on that
/// date, else the week's.
pub fn hours_on(p: &Profile, date: NaiveDate) -> (Vec<TimeRange>, Option<String>) {
    match p.closure_on(date).as_deref() {
        Some(c) => (
            c.hours.as_ref().map(|h| h.0.clone()).unwrap_or_default(),
            Some(c.note.clone().unwrap_or_default()),
        ),
        None => (p.hours.on(date.weekday()).to_vec(), None),
    }
}

pub(crate) fn ranges(r: &[TimeRange]) -> String {
    let parts: Vec<String> = r
        .iter()
        .map(|t| {
            format!(
                "{} to {}",
                say::time(u32::from(t.start_min)),
                say::time(u32::from(t.end_min))
            )
        })
        .collect();
    say::list(&parts)
}

/// "Monday to Friday 9 AM to 6 PM, Saturday 10 AM to 4 PM, and closed Sunday".
pub fn week_summary(p: &Profile) -> String {
    let days = crate::profile::WeekHours::DAYS;
    let mut groups: Vec<(usize, usize, String)> = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let h = p.hours.on(*d);
        let text = if h.is_empty() {
            "closed".to_owned()
        } else {
            ranges(h)
        };
        match groups.last_mut() {
            Some(g) if g.2 == text && g.1 + 1 == i => g.1 = i,
            _ => groups.push((i, i, text)),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(a, b, t)| {
            let span = if a == b {
                say::weekday_name(days[*a]).to_owned()
            } else if b - a == 1 {
                format!(
                    "{} and {}",
                    say::weekday_name(days[*a]),
                    say::weekday_name(days[*b])
                )
            } else {
                format!(
                    "{} to {}",
                    say::weekday_name(days[*a]),
                    say::weekday_name(days[*b])
                )
            };
            if t == "closed" {
                format!("closed {span}")
            } else {
                format!("{span} {t}")
            }
        })
        .collect();
    say::list(&parts)
}

/// Whether the business is open at local `minute` of `date`, and the answer to "are you open?".
pub fn open_now(p: &Profile, date: NaiveDate, minute: u32) -> (bool, String) {
    let (today, note) = hours_on(p, date);
    if let Some(r) = today
        .iter()
        .find(|r| u32::from(r.start_min) <= minute && minute < u32::from(r.end_min))
    {
        return (
            true,
            format!(
                "Yes, we're open right now until {}.",
                say::time(u32::from(r.end_min))
            ),
        );
    }
    let next = next_opening(p, date, minute);
    let why = match note.filter(|n| !n.is_empty()) {
        Some(n) if today.is_empty() => format!(" today for {n}"),
        _ => String::new(),
    };
    match next {
        Some((d, m)) => (
            false,
            format!(
                "We're closed right now{why}. We open again {} at {}.",
                say::day(d, date),
                say::time(m)
            ),
        ),
        None => (false, format!("We're closed right now{why}.")),
    }
}

/// The next local opening after `minute` on `date`, looking two weeks ahead.
pub fn next_opening(p: &Profile, date: NaiveDate, minute: u32) -> Option<(NaiveDate, u32)> {
    for k in 0..14 {
        let d = date + chrono::Duration::days(k);
        let (h, _) = hours_on(p, d);
        if let Some(r) = h.iter().find(|r| k > 0 || u32::from(r.start_min) > minute) {
            return Some((d, u32::from(r.start_min)));
        }
    }
    None
}

/// The hours on one date, as a sentence ("On Thursday, December 24 we're open 9 AM to noon").
pub fn hours_for_date(p: &Profile, date: NaiveDate, today: NaiveDate) -> String {
    let (h, note) = hours_on(p, date);
    let when = say::day(date, today);
    let when = if when == "today" || when == "tomorrow" {
        when
    } else {
        format!("on {when}")
    };
    let note = note
        .filter(|n| !n.is_empty())
        .map(|n| format!(" for {n}"))
        .unwrap_or_default();
    if h.is_empty() {
        format!("We're closed {when}{note}.")
    } else {
        format!("We're open {when} {}{note}.", ranges(&h))
    }
}

/// Share of units let, across all unit types.
pub fn occupancy(p: &Profile) -> f64 {
    let total: u32 = p.units.iter().map(|u| u.total).sum();
    let free: u32 = p.units.iter().map(|u| u.available).sum();
    if total == 0 {
        0.0
    } else {
        f64::from(total - free) / f64::from(total)
    }
}

/// The quoted monthly rate of a unit: its rate adjusted by the first pricing rule that applies
/// to the facility's occupancy.
pub fn unit_rate(p: &Profile, u: &Unit) -> Money {
    let occ = occupancy(p);
    match p
        .pricing_rules
        .iter()
        .find(|r| occ > r.when_occupancy_above)
    {
        Some(r) => {
            let cents = u.monthly_rate.cents() as f64 * (1.0 + r.adjust_percent / 100.0);
            Money::from_cents(cents.round() as i64)
        }
        None => u.monthly_rate,
    }
}

/// Promotions in force today for a unit type or service name.
pub fn promotions<'p>(p: &'p Profile, name: &str, today: NaiveDate) -> Vec<&'p Promotion> {
    p.promotions
        .iter()
        .filter(|pr| pr.applies_to.iter().any(|a| a.eq_ignore_ascii_case(name)))
        .filter(|pr| pr.valid_until.is_none_or(|v| v >= today))
        .collect()
}

fn promo_text(pr: &[&Promotion]) -> String {
    pr.iter()
        .map(|x| match &x.description {
            Some(d) => format!(" Right now we have {}: {d}", x.name, d = d),
            None => format!(" Right now we have {}.", x.name),
        })
        .collect()
}

/// "A 10x10 is $129 a month, drive-up." plus promotions.
pub fn unit_quote(p: &Profile, u: &Unit, today: NaiveDate) -> String {
    let mut feats = Vec::new();
    if u.climate_controlled {
        feats.push("climate controlled".to_owned());
    }
    if u.drive_up {
        feats.push("drive-up".to_owned());
    }
    let feats = if feats.is_empty() {
        String::new()
    } else {
        format!(", {}", say::list(&feats))
    };
    let stock = if u.available == 0 {
        " It's sold out at the moment.".to_owned()
    } else {
        String::new()
    };
    format!(
        "A {} is {} a month{feats}.{stock}{}",
        u.unit_type,
        say::money(unit_rate(p, u)),
        promo_text(&promotions(p, &u.unit_type, today))
    )
}

/// A menu item's price, with what its options add.
pub fn menu_quote(m: &MenuItem) -> String {
    let mut s = format!(
        "The {} is {}",
        m.name.as_str().to_lowercase(),
        say::money(m.price)
    );
    for o in &m.options {
        let extras: Vec<String> = o
            .choices
            .0
            .iter()
            .filter(|(_, c)| c.cents() > 0)
            .map(|(n, c)| format!("{n} is {} more", say::money(*c)))
            .collect();
        if !extras.is_empty() {
            let base: Vec<&str> = o
                .choices
                .0
                .iter()
                .filter(|(_, c)| c.cents() == 0)
                .map(|(n, _)| n.as_str())
                .collect();
            s.push_str(&format!(
                "{}; {}",
                if base.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", base.join(" or "))
                },
                say::list(&extras)
            ));
        }
    }
    s.push('.');
    s
}

/// An order line priced: unit price with option surcharges, times quantity.
pub fn line_total(p: &Profile, l: &Line) -> Money {
    let Some(item) = p.menu.iter().find(|m| m.name.as_str() == l.item) else {
        return Money::from_cents(0);
    };
    let mut unit = item.price.cents();
    for o in &item.options {
        let chosen = l
            .options
            .iter()
            .find(|(n, _)| n == o.name.as_str())
            .map(|(_, c)| c.as_str())
            .or(o.default.as_deref());
        if let Some((_, c)) = o.choices.0.iter().find(|(n, _)| Some(n.as_str()) == chosen) {
            unit += c.cents();
        }
    }
    Money::from_cents(unit * i64::from(l.quantity))
}

/// Fills in default choices so every line names each of its item's options.
pub fn with_defaults(p: &Profile, mut l: Line) -> Line {
    if let Some(item) = p.menu.iter().find(|m| m.name.as_str() == l.item) {
        for o in &item.options {
            if !l.options.iter().any(|(n, _)| n == o.name.as_str())
                && let Some(d) = &o.default
            {
                l.options.push((o.name.as_str().to_owned(), d.clone()));
            }
        }
    }
    l
}

/// "two large Margherita pizzas".
pub fn line_text(l: &Line) -> String {
    let opts: Vec<&str> = l.options.iter().map(|(_, c)| c.as_str()).collect();
    let name = l.item.to_lowercase();
    let name = if l.quantity > 1 && !name.ends_with('s') {
        format!("{name}s")
    } else {
        name
    };
    let opts = if opts.is_empty() {
        String::new()
    } else {
        format!("{} ", opts.join(", "))
    };
    format!("{} {opts}{name}", say::count(l.quantity))
}
