//! Phrasing: short, speakable replies in the persona's tone, varied so the agent does not
//! repeat itself word for word. Facts are never written here; they arrive as arguments.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::profile::Tone;
use crate::types::Money;

/// Picks one of `options`, turning with each turn of the conversation.
pub fn pick<'a>(options: &[&'a str], seed: u32) -> &'a str {
    options[seed as usize % options.len()]
}

/// A short acknowledgement to open a reply with, in the persona's tone.
pub fn ack(tone: Tone, seed: u32) -> &'static str {
    match tone {
        Tone::Friendly => pick(
            &["Sure thing!", "Happy to help.", "Of course!", "Absolutely."],
            seed,
        ),
        Tone::Formal => pick(&["Certainly.", "Of course.", "I'd be glad to help."], seed),
        Tone::Concise => pick(&["Sure.", "OK.", "Got it."], seed),
    }
}

/// Spoken money: "$129" or "$12.50".
pub fn money(m: Money) -> String {
    if m.cents() % 100 == 0 {
        format!("${}", m.cents() / 100)
    } else {
        format!("${m}")
    }
}

/// Spoken clock time from minutes after midnight: "9 AM", "2:30 PM", "noon".
pub fn time(minutes: u32) -> String {
    let m = minutes % 1440;
    match m {
        720 => return "noon".into(),
        0 if minutes == 0 => return "midnight".into(),
        _ => {}
    }
    if minutes == 1440 {
        return "midnight".into();
    }
    let (h, mm) = (m / 60, m % 60);
    let suffix = if h < 12 { "AM" } else { "PM" };
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    if mm == 0 {
        format!("{h12} {suffix}")
    } else {
        format!("{h12}:{mm:02} {suffix}")
    }
}

pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The month's name, 1 = January.
pub fn month_name(m: u32) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][(m as usize + 11) % 12]
}

/// A date in full: "Friday, November 20".
pub fn date(d: NaiveDate) -> String {
    format!(
        "{}, {} {}",
        weekday_name(d.weekday()),
        month_name(d.month()),
        d.day()
    )
}

/// A date as people say it relative to today: "today", "tomorrow", or "Friday, November 20".
pub fn day(d: NaiveDate, today: NaiveDate) -> String {
    match (d - today).num_days() {
        0 => "today".into(),
        1 => "tomorrow".into(),
        _ => date(d),
    }
}

/// "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "a, b or c".
pub fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A sentence to go after a colon: "Do you take walk-ins?" as "do you take walk-ins?". "I",
/// its contractions and words in capitals ("MSG", "HSA") keep their case.
pub fn lower_first(s: &str) -> String {
    let first = s.split_whitespace().next().unwrap_or("");
    let letters: Vec<char> = first.chars().filter(|c| c.is_alphabetic()).collect();
    let keep = first == "I"
        || first.starts_with("I'")
        || first.starts_with("I\u{2019}")
        || (letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()));
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if !keep => c.to_lowercase().chain(cs).collect(),
        _ => s.to_owned(),
    }
}

/// "1 garlic knots" reads badly aloud; quantities read as words up to ten.
pub fn count(n: u32) -> String {
    match n {
        1 => "one".into(),
        2 => "two".into(),
        3 => "three".into(),
        4 => "four".into(),
        5 => "five".into(),
        6 => "six".into(),
        7 => "seven".into(),
        8 => "eight".into(),
        9 => "nine".into(),
        10 => "ten".into(),
        n => n.to_string(),
    }
}
