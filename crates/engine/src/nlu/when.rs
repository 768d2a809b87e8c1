//! Dates and times said in running speech, resolved against the business's local "now":
//! "next Friday afternoon", "tomorrow at 3", "the 14th", "in two hours", "this weekend",
//! "half past two", "12/5". Written here because the date crates parse a whole string, and a
//! caller's date sits inside a sentence.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::text::{read_number, strict_number};

/// When a caller wants something: a day (or a span of days) and a time (or a part of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct When {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// A span such as "this weekend" or "next week": first and last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// An exact time, in minutes after local midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<u32>,
    /// A window of the day in minutes: "afternoon", "after 3", "before noon".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(u32, u32)>,
}

impl When {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
    /// Combines a correction or addition with what was known: the newer parts win.
    pub fn merge(self, newer: When) -> When {
        let new_day = newer.date.is_some() || newer.span.is_some();
        let new_time = newer.time.is_some() || newer.window.is_some();
        When {
            date: if new_day { newer.date } else { self.date },
            span: if new_day { newer.span } else { self.span },
            time: if new_time { newer.time } else { self.time },
            window: if new_time { newer.window } else { self.window },
        }
    }
}

/// The day of the week a word names ("tue", "fridays").
pub(crate) fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" | "mon" | "mondays" => Weekday::Mon,
        "tuesday" | "tue" | "tues" | "tuesdays" => Weekday::Tue,
        "wednesday" | "wed" | "weds" | "wednesdays" | "wensday" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" | "thursdays" => Weekday::Thu,
        "friday" | "fri" | "fridays" => Weekday::Fri,
        "saturday" | "sat" | "saturdays" => Weekday::Sat,
        "sunday" | "sun" | "sundays" => Weekday::Sun,
        _ => return None,
    })
}

/// The month a word names ("sept", "march"), 1 to 12.
pub(crate) fn month(w: &str) -> Option<u32> {
    Some(match w {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

/// "14th", "1st" or "fourteenth", "twenty first": a day of the month and the words it took.
fn ordinal(ws: &[String], i: usize) -> Option<(u32, usize)> {
    let w = ws.get(i)?;
    for suf in ["st", "nd", "rd", "th"] {
        if let Some(d) = w.strip_suffix(suf).and_then(|d| d.parse::<u32>().ok()) {
            return (1..=31).contains(&d).then_some((d, 1));
        }
    }
    let word = |w: &str| -> Option<u32> {
        Some(match w {
            "first" => 1,
            "second" => 2,
            "third" => 3,
            "fourth" => 4,
            "fifth" => 5,
            "sixth" => 6,
            "seventh" => 7,
            "eighth" => 8,
            "ninth" => 9,
            "tenth" => 10,
            "eleventh" => 11,
            "twelfth" => 12,
            "thirteenth" => 13,
            "fourteenth" => 14,
            "fifteenth" => 15,
            "sixteenth" => 16,
            "seventeenth" => 17,
            "eighteenth" => 18,
            "nineteenth" => 19,
            "twentieth" => 20,
            "thirtieth" => 30,
            _ => return None,
        })
    };
    if let Some(d) = word(w) {
        return Some((d, 1));
    }
    if w == "twenty" || w == "thirty" {
        let tens = if w == "twenty" { 20 } else { 30 };
        if let Some(d) = ws.get(i + 1).and_then(|n| word(n)).filter(|d| *d < 10) {
            return Some((tens + d, 2));
        }
    }
    None
}

/// The next date on or after `from` that falls on `wd`.
fn on_or_after(from: NaiveDate, wd: Weekday) -> NaiveDate {
    let ahead = (7 + wd.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// A day of the month with no month given: this month if still ahead, else next month.
fn day_of_month(today: NaiveDate, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), d);
    match this {
        Some(t) if t >= today => Some(t),
        _ => {
            let (y, m) = if today.month() == 12 {
                (today.year() + 1, 1)
            } else {
                (today.year(), today.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, d)
        }
    }
}

/// A month and day with no year: the next time it comes round.
fn month_day(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this >= today {
        Some(this)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, m, d)
    }
}

pub const MORNING: (u32, u32) = (0, 12 * 60);
pub const AFTERNOON: (u32, u32) = (12 * 60, 17 * 60);
pub const EVENING: (u32, u32) = (17 * 60, 24 * 60);

/// Reads a clock time at `ws[i]`: "3", "3:30", "3pm", "3 30 pm", "three thirty", "noon",
/// "half past two", "quarter to five". Returns minutes, whether am/pm was said, and words used.
fn clock(ws: &[String], i: usize) -> Option<(u32, bool, usize)> {
    let w = ws.get(i)?.as_str();
    match w {
        "noon" | "midday" | "lunchtime" => return Some((12 * 60, true, 1)),
        "midnight" => return Some((0, true, 1)),
        "half" | "quarter"
            if matches!(
                ws.get(i + 1).map(String::as_str),
                Some("past" | "after" | "to" | "til")
            ) =>
        {
            let (h, n) = read_number(ws, i + 2)?;
            if !(1..=12).contains(&h) {
                return None;
            }
            let before = ws[i + 1] == "to" || ws[i + 1] == "til";
            let off = if w == "half" { 30 } else { 15 };
            let m = if before { h * 60 - off } else { h * 60 + off };
            let (m, ampm, k) = meridiem(ws, i + 2 + n, m);
            return Some((m, ampm, 2 + n + k));
        }
        _ => {}
    }
    // Written forms: "3:30", "3.30", "3pm", "3:30pm", "15:00"; "11ish" is about 11.
    let w = match w.strip_suffix("ish") {
        Some(n) if n.starts_with(|c: char| c.is_ascii_digit()) => n,
        _ => w,
    };
    let (digits, suffix) = match w.find(|c: char| !c.is_ascii_digit() && c != ':' && c != '.') {
        Some(p) => (&w[..p], &w[p..]),
        None => (w, ""),
    };
    let mut used = 1;
    let mut minutes: u32;
    if !digits.is_empty() && (suffix.is_empty() || matches!(suffix, "am" | "pm" | "a" | "p")) {
        let (h, m) = match digits.split_once([':', '.']) {
            Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
            Some(_) => return None,
            None if digits.len() >= 3 && digits.len() <= 4 => {
                // "330" or "1530": speech recognition often drops the colon. Such a number is
                // a time only when it is marked as one (am/pm, "at 1530") or is the whole
                // answer; otherwise it is a year ("a 2012 Honda") or a count ("250 boxes").
                let marked = !suffix.is_empty()
                    || matches!(
                        ws.get(i + 1).map(String::as_str),
                        Some("am" | "pm" | "a" | "p" | "a.m" | "p.m")
                    );
                let cued = i > 0
                    && matches!(
                        ws[i - 1].as_str(),
                        "at" | "around" | "by" | "before" | "after" | "til" | "until"
                    );
                // Followed by another group of digits it is part of a phone number ("at 303
                // 200 0066").
                let phone = ws
                    .get(i + 1)
                    .is_some_and(|n| n.len() >= 3 && n.chars().all(|c| c.is_ascii_digit()));
                if phone || (!marked && !cued && ws.len() > 3) {
                    return None;
                }
                let v: u32 = digits.parse().ok()?;
                (v / 100, v % 100)
            }
            None => (digits.parse::<u32>().ok()?, 0),
        };
        if h > 23 || m > 59 {
            return None;
        }
        minutes = h * 60 + m;
        if !suffix.is_empty() {
            let pm = suffix.starts_with('p');
            return Some((to_24(minutes, pm)?, true, 1));
        }
        if h > 12 {
            return Some((minutes, true, 1));
        }
    } else if digits.is_empty() {
        let (h, n) = read_number(ws, i)?;
        if !(1..=12).contains(&h) {
            return None;
        }
        used = n;
        minutes = h * 60;
    } else {
        return None;
    }
    // "three thirty", "3 45": minutes spoken after the hour.
    if minutes.is_multiple_of(60)
        && let Some(next) = ws.get(i + used)
    {
        if next == "o'clock" || next == "oclock" {
            used += 1;
        } else if let Some((m, n)) = read_number(ws, i + used) {
            if (10..60).contains(&m) {
                minutes += m;
                used += n;
            }
        } else if (next == "oh" || next == "o")
            && let Some(m) = ws
                .get(i + used + 1)
                .and_then(|w| strict_number(w))
                .filter(|m| *m < 10)
        {
            minutes += m;
            used += 2;
        }
    }
    let (m, ampm, k) = meridiem(ws, i + used, minutes);
    Some((m, ampm, used + k))
}

fn to_24(minutes: u32, pm: bool) -> Option<u32> {
    let (h, m) = (minutes / 60, minutes % 60);
    if h > 12 || h == 0 {
        return if h > 12 && pm { Some(minutes) } else { None };
    }
    Some(match (h, pm) {
        (12, false) => m,
        (12, true) => 12 * 60 + m,
        (h, true) => (h + 12) * 60 + m,
        (h, false) => h * 60 + m,
    })
}

/// An "am"/"pm"/"in the afternoon" after a time: the 24-hour minutes and the words used.
fn meridiem(ws: &[String], i: usize, minutes: u32) -> (u32, bool, usize) {
    let w = ws.get(i).map(String::as_str);
    let w2 = ws.get(i + 1).map(String::as_str);
    let pm = match (w, w2) {
        (Some("pm" | "p"), Some("m")) | (Some("p.m"), _) => {
            Some((true, if w == Some("p") { 2 } else { 1 }))
        }
        (Some("am" | "a"), Some("m")) | (Some("a.m"), _) => {
            Some((false, if w == Some("a") { 2 } else { 1 }))
        }
        (Some("pm"), _) => Some((true, 1)),
        // "Quick one, am I too old to learn?": the verb, not the morning.
        (Some("am"), Some("i" | "i'm" | "im")) => None,
        (Some("am"), _) => Some((false, 1)),
        _ => None,
    };
    if let Some((pm, n)) = pm
        && let Some(m) = to_24(minutes, pm)
    {
        return (m, true, n);
    }
    (minutes, false, 0)
}

/// Guesses am or pm for a bare hour the way people mean it when booking: 1 to 6 is the
/// afternoon, 7 to 11 the morning, unless a part of the day was said.
fn settle(minutes: u32, window: Option<(u32, u32)>) -> u32 {
    if minutes >= 13 * 60 {
        return minutes;
    }
    let h = minutes / 60;
    match window {
        Some(w) if w.0 >= 12 * 60 && h < 12 => minutes + 12 * 60,
        Some(w) if w.1 <= 12 * 60 => minutes % (12 * 60),
        _ if (1..=6).contains(&h) => minutes + 12 * 60,
        _ => minutes,
    }
}

/// Whether a word alone names a day or time ("tomorrow", "friday", "noon").
pub fn names_a_time(w: &str) -> bool {
    find(&[w.to_owned()], NaiveDate::MIN, 0, false).is_some()
}

/// Finds a date and/or time in `ws`, resolved against local `today` and `now_min` (minutes
/// after midnight). With `loose`, a bare number is read as a time (the agent just asked for one).
pub fn find(ws: &[String], today: NaiveDate, now_min: u32, loose: bool) -> Option<When> {
    let mut when = When::default();
    let mut time: Option<(u32, bool)> = None;
    let mut i = 0;
    let at = |k: usize| ws.get(k).map(String::as_str);
    while i < ws.len() {
        let w = ws[i].as_str();
        let prev = if i > 0 { at(i - 1) } else { None };
        // Counted from a day: "a week from today", "three days from now", "two weeks from
        // tomorrow".
        let (n, k) = match w {
            "a" | "an" => (1, 1),
            _ => read_number(ws, i).unwrap_or((0, 0)),
        };
        if k > 0 {
            let unit = at(i + k).unwrap_or("");
            let per = if unit.starts_with("day") {
                Some(1)
            } else if unit.starts_with("week") {
                Some(7)
            } else {
                None
            };
            let base = match (at(i + k + 1), at(i + k + 2)) {
                (Some("from"), Some("today" | "now")) => Some(today),
                (Some("from"), Some("tomorrow")) => Some(today + Duration::days(1)),
                _ => None,
            };
            if let (Some(per), Some(base)) = (per, base) {
                when.date = Some(base + Duration::days(i64::from(n) * per));
                i += k + 3;
                continue;
            }
        }
        // Relative: "in two hours", "in 30 minutes", "in three days", "in a week".
        if w == "in" {
            let (n, k) = match at(i + 1) {
                Some("a" | "an") => (1, 1),
                Some("half") if at(i + 2) == Some("an") => {
                    if at(i + 3).is_some_and(|u| u.starts_with("hour")) {
                        let m = now_min + 30;
                        when.date = Some(today + Duration::days(i64::from(m / 1440)));
                        time = Some((m % 1440, true));
                        i += 4;
                        continue;
                    }
                    (0, 0)
                }
                _ => read_number(ws, i + 1).unwrap_or((0, 0)),
            };
            if k > 0 {
                let unit = at(i + 1 + k).unwrap_or("");
                let mins = if unit.starts_with("hour") || unit == "hrs" || unit == "hr" {
                    Some(n * 60)
                } else if unit.starts_with("min") {
                    Some(n)
                } else {
                    None
                };
                if let Some(m) = mins {
                    let m = now_min + m;
                    when.date = Some(today + Duration::days(i64::from(m / 1440)));
                    time = Some((m % 1440, true));
                    i += 2 + k;
                    continue;
                }
                let days = if unit.starts_with("day") {
                    Some(n)
                } else if unit.starts_with("week") {
                    Some(n * 7)
                } else {
                    None
                };
                if let Some(d) = days {
                    when.date = Some(today + Duration::days(i64::from(d)));
                    i += 2 + k;
                    continue;
                }
            }
        }
        match w {
            "today" | "tonight" | "tonite" => {
                when.date = Some(today);
                if w != "today" {
                    when.window = Some(EVENING);
                }
            }
            "tomorrow" | "tomorow" | "tmrw" | "tmr" | "tommorow" | "tommorrow" => {
                let day_after = prev == Some("after") && i >= 2 && at(i - 2) == Some("day");
                when.date = Some(today + Duration::days(if day_after { 2 } else { 1 }));
                when.span = None;
            }
            // "Good morning" greets; it asks for no time.
            "morning" | "afternoon" | "evening" if matches!(prev, Some("good" | "gd")) => {}
            "morning" => when.window = Some(MORNING),
            "afternoon" => when.window = Some(AFTERNOON),
            "evening" | "night" => when.window = Some(EVENING),
            "weekend" => {
                let sat = on_or_after(today, Weekday::Sat);
                let sat = if prev == Some("next") && today.weekday() != Weekday::Sun {
                    sat + Duration::days(7)
                } else {
                    sat
                };
                let start = if today.weekday() == Weekday::Sun && prev != Some("next") {
                    today
                } else {
                    sat
                };
                when.span = Some((start, sat + Duration::days(1)));
                when.date = None;
            }
            "week" if matches!(prev, Some("next" | "this")) => {
                let monday = on_or_after(today + Duration::days(1), Weekday::Mon);
                when.span = Some(if prev == Some("next") {
                    (monday, monday + Duration::days(6))
                } else {
                    (today, monday - Duration::days(1))
                });
                when.date = None;
            }
            "after" | "before" | "by"
                if !matches!(at(i + 1), Some("tomorrow" | "that" | "this")) =>
            {
                if let Some((m, ampm, k)) = clock(ws, i + 1) {
                    let m = if ampm { m } else { settle(m, when.window) };
                    when.window = Some(if w == "after" { (m, 24 * 60) } else { (0, m) });
                    i += 1 + k;
                    continue;
                }
            }
            _ => {}
        }
        if let Some(wd) = weekday(w) {
            let base = on_or_after(today, wd);
            // "next Friday" said on a Friday is a week away; otherwise it is the coming one.
            let d = if prev == Some("next") && base == today {
                base + Duration::days(7)
            } else {
                base
            };
            when.date = Some(d);
            when.span = None;
        }
        // "december 5", "dec 5th", "5th of december", "the 14th", "12/5".
        if let Some(m) = month(w) {
            let day = ordinal(ws, i + 1)
                .or_else(|| read_number(ws, i + 1).filter(|(d, _)| (1..=31).contains(d)));
            if let Some((d, k)) = day {
                // "may" is also a verb: only read it as a month with a day after it.
                if let Some(date) = month_day(today, m, d) {
                    when.date = Some(date);
                    when.span = None;
                    i += 1 + k;
                    continue;
                }
            }
        }
        if let Some((d, k)) = ordinal(ws, i) {
            let digits = w.starts_with(|c: char| c.is_ascii_digit());
            let of_month = at(i + k) == Some("of") && at(i + k + 1).and_then(month).is_some();
            let after_the = prev == Some("the")
                && !matches!(at(i + k), Some("one" | "option" | "slot" | "time"));
            if of_month {
                let m = at(i + k + 1).and_then(month).unwrap_or(1);
                if let Some(date) = month_day(today, m, d) {
                    when.date = Some(date);
                    i += k + 2;
                    continue;
                }
            } else if (digits || after_the)
                && let Some(date) = day_of_month(today, d)
            {
                when.date = Some(date);
                i += k;
                continue;
            }
        }
        if let Some((m, d)) = w.split_once('/')
            && let (Ok(m), Ok(d)) = (m.parse::<u32>(), d.parse::<u32>())
            && let Some(date) = month_day(today, m, d)
        {
            when.date = Some(date);
        }
        if let Ok(date) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            when.date = Some(date);
        }
        // Clock times: after "at"/"around", with am/pm or a colon, or anywhere when loose.
        let cue = matches!(
            prev,
            Some("at" | "around" | "about" | "for" | "say" | "maybe" | "like")
        );
        if time.is_none()
            && let Some((m, ampm, k)) = clock(ws, i)
        {
            let written = w.contains(':')
                || w.ends_with("am")
                || w.ends_with("pm")
                || (w.ends_with("ish") && w.starts_with(|c: char| c.is_ascii_digit()))
                || ampm
                || matches!(
                    w,
                    "noon" | "midday" | "midnight" | "lunchtime" | "half" | "quarter"
                );
            let oclock = at(i + k - 1).is_some_and(|x| x.contains("clock"))
                // "1 in the afternoon", "9 tomorrow morning": an hour with its part of the day.
                || (at(i + k) == Some("in")
                    && at(i + k + 1) == Some("the")
                    && at(i + k + 2).is_some_and(|x| matches!(x, "morning" | "afternoon" | "evening")))
                || (matches!(at(i + k), Some("this" | "tomorrow" | "tmrw"))
                    && at(i + k + 1).is_some_and(|x| matches!(x, "morning" | "afternoon" | "evening")));
            let sized = at(i + 1).is_some_and(|x| x == "x" || x == "by");
            // "The earliest one", "that one", "the other one": a pronoun, not one o'clock.
            let pronoun = w == "one" && !oclock && prev.is_some_and(points_at_one);
            if (written || cue || oclock || loose) && !sized && !pronoun && !is_count(ws, i + k) {
                time = Some((m, ampm));
                i += k;
                continue;
            }
        }
        i += 1;
    }
    if let Some((m, ampm)) = time {
        when.time = Some(if ampm { m } else { settle(m, when.window) });
        if matches!(when.window, Some(w) if w == MORNING || w == AFTERNOON || w == EVENING) {
            when.window = None;
        }
    }
    (!when.is_empty()).then_some(when)
}

/// Whether a word before "one" makes it a pronoun ("the earliest one", "that one", "the 2nd
/// one"): a determiner, or an adjective that compares or orders (earliest, later, other).
fn points_at_one(prev: &str) -> bool {
    matches!(
        prev,
        "the"
            | "that"
            | "this"
            | "which"
            | "either"
            | "any"
            | "each"
            | "every"
            | "no"
            | "some"
            | "another"
            | "other"
            | "same"
            | "last"
            | "next"
            | "first"
            | "second"
            | "third"
            | "fourth"
            | "middle"
            | "1st"
            | "2nd"
            | "3rd"
            | "good"
            | "best"
            | "early"
            | "late"
    ) || (prev.len() > 4
        && (prev.ends_with("est") || prev.ends_with("er"))
        && !matches!(prev, "after" | "before" | "under" | "over" | "whenever"))
}

/// Whether the word after a number makes it a count ("3 people", "two large"), not a time.
fn is_count(ws: &[String], i: usize) -> bool {
    ws.get(i).is_some_and(|w| {
        matches!(
            w.as_str(),
            "people"
                | "of"
                | "large"
                | "small"
                | "medium"
                | "pizzas"
                | "pizza"
                | "units"
                | "unit"
                | "months"
                | "month"
                | "days"
                | "weeks"
                | "years"
                | "feet"
                | "ft"
                | "foot"
                | "minutes"
                | "mins"
                | "hours"
                | "hrs"
                | "items"
                | "dollars"
                | "bucks"
                | "x"
                | "by"
        )
    })
}

/// A length of time said by the caller ("for six months", "2 hours"), in minutes, or months for
/// month-long stays (returned separately).
pub fn duration(ws: &[String]) -> Option<Duration> {
    for i in 0..ws.len() {
        if i > 0 && ws[i - 1] == "in" {
            continue;
        }
        let (n, k) = match ws[i].as_str() {
            "a" | "an" => (1, 1),
            _ => match read_number(ws, i) {
                Some(x) => x,
                None => continue,
            },
        };
        let unit = ws.get(i + k).map(String::as_str).unwrap_or("");
        let n = i64::from(n);
        let d = match unit {
            u if u.starts_with("min") => Duration::minutes(n),
            u if u.starts_with("hour") || u == "hr" || u == "hrs" => Duration::hours(n),
            u if u.starts_with("day") => Duration::days(n),
            u if u.starts_with("week") => Duration::weeks(n),
            u if u.starts_with("month") => Duration::days(30 * n),
            u if u.starts_with("year") => Duration::days(365 * n),
            _ => continue,
        };
        return Some(d);
    }
    None
}

#[cfg(test)]
mod tests;
