//! The guard on replies written by a language model. The engine's own reply (the draft) holds
//! the facts, taken from the business's data; a model may say it in other words, but only if it
//! states every fact of the draft and no fact the draft or the caller did not state. Facts are
//! what a caller acts on: amounts of money, clock times, days, dates, numbers, phone numbers,
//! addresses. A reply that fails is replaced by the draft.

use std::collections::BTreeSet;

use crate::nlu::text::{number, read_number};

/// One fact said in a text, normalised so that "$12", "12 dollars" and "twelve dollars" meet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fact {
    /// Cents.
    Money(i64),
    /// Minutes after midnight, with AM or PM known.
    Clock(u32),
    /// A clock time written without AM or PM ("3:30"), modulo twelve hours.
    Clock12(u32),
    Percent(u32),
    Number(u64),
    /// Seven digits or more: a phone number, an order or account number.
    Digits(String),
    /// A day of the week or relative day ("monday", "tomorrow").
    Day(&'static str),
    Month(u8),
    /// An e-mail address or a web address.
    Address(String),
}

/// Why a model's reply was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLong,
    /// It states something that neither the draft nor the caller said.
    Added(Fact),
    /// It leaves out something the draft said.
    Dropped(Fact),
    /// The draft asks the caller something; the reply does not.
    NoQuestion,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Empty => write!(f, "empty reply"),
            Rejection::TooLong => write!(f, "reply too long"),
            Rejection::Added(x) => write!(f, "states a fact not in the data: {x:?}"),
            Rejection::Dropped(x) => write!(f, "leaves out a fact: {x:?}"),
            Rejection::NoQuestion => write!(f, "drops the question"),
        }
    }
}

/// Longest model reply accepted, in characters: replies are spoken on the phone.
pub const MAX_REPLY_CHARS: usize = 700;

/// Cleans a model's reply for speaking (no markdown, one line) and checks it against the
/// draft. Returns the reply to use.
pub fn check(draft: &str, candidate: &str, caller: &str) -> Result<String, Rejection> {
    let text = speakable(candidate);
    if text.is_empty() {
        return Err(Rejection::Empty);
    }
    let n = text.chars().count();
    if n > MAX_REPLY_CHARS || n > 3 * draft.chars().count() + 120 {
        return Err(Rejection::TooLong);
    }
    let said = facts(&text);
    let draft_facts = facts(draft);
    let mut allowed = draft_facts.clone();
    allowed.extend(facts(caller));
    if let Some(f) = said.iter().find(|f| !covered(f, &allowed)) {
        return Err(Rejection::Added((*f).clone()));
    }
    if let Some(f) = draft_facts.iter().find(|f| !covered(f, &said)) {
        return Err(Rejection::Dropped((*f).clone()));
    }
    if draft.contains('?') && !text.contains('?') {
        return Err(Rejection::NoQuestion);
    }
    Ok(text)
}

/// Whether `f` is among `known`; a clock time without AM or PM matches either.
fn covered(f: &Fact, known: &BTreeSet<Fact>) -> bool {
    if known.contains(f) {
        return true;
    }
    match f {
        Fact::Clock12(m) => known.iter().any(|k| match k {
            Fact::Clock(c) => c % 720 == *m,
            _ => false,
        }),
        Fact::Clock(c) => known.contains(&Fact::Clock12(c % 720)),
        _ => false,
    }
}

/// Markdown and line breaks removed, spaces collapsed.
pub fn speakable(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '*' | '#' | '`' | '_' | '\u{2022}' => ' ',
            '\u{2019}' => '\'',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every fact stated in `s`.
pub fn facts(s: &str) -> BTreeSet<Fact> {
    let mut out = BTreeSet::new();
    let mut rest = String::with_capacity(s.len());
    // Addresses first, whole, so their digits and words are not read again.
    for chunk in s.split_whitespace() {
        let c = chunk.trim_matches(|c: char| !c.is_alphanumeric());
        let lower = c.to_lowercase();
        if c.contains('@') || lower.starts_with("http") || lower.starts_with("www.") {
            out.insert(Fact::Address(lower));
        } else {
            rest.push_str(chunk);
            rest.push(' ');
        }
    }
    let rest = phone_numbers(&rest, &mut out);
    let toks = tokens(&rest);
    let mut i = 0;
    while i < toks.len() {
        i += read_fact(&toks, i, &mut out);
    }
    out
}

/// Runs of seven digits or more, allowing the separators phone numbers are written with, are
/// taken out as one fact each.
fn phone_numbers(s: &str, out: &mut BTreeSet<Fact>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut kept = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || (chars[i] == '+' || chars[i] == '(') {
            let mut j = i;
            let mut digits = String::new();
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || matches!(chars[j], '+' | '(' | ')' | '-' | ' ' | '.'))
            {
                if chars[j].is_ascii_digit() {
                    digits.push(chars[j]);
                }
                // A sentence's full stop or a lone space before a word ends the run.
                if matches!(chars[j], ' ' | '.')
                    && !chars
                        .get(j + 1)
                        .is_some_and(|c| c.is_ascii_digit() || *c == '(')
                {
                    break;
                }
                j += 1;
            }
            if digits.len() >= 7 {
                let d = if digits.len() == 11 && digits.starts_with('1') {
                    digits[1..].to_owned()
                } else {
                    digits
                };
                out.insert(Fact::Digits(d));
                kept.push(' ');
                i = j;
                continue;
            }
        }
        kept.push(chars[i]);
        i += 1;
    }
    kept
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// "$12.50", in cents.
    Money(i64),
    /// Digits, with the minutes of "3:30" when written.
    Num(u64, Option<u32>, bool),
    Word(String),
    Percent,
}

fn tokens(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.to_lowercase().chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let digits_at = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_digit());
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && digits_at(i + 1) {
            let mut j = i + 1;
            let mut num = String::new();
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == ',' || chars[j] == '.') && digits_at(j + 1)))
            {
                if chars[j] != ',' {
                    num.push(chars[j]);
                }
                j += 1;
            }
            if let Ok(v) = num.parse::<f64>() {
                out.push(Tok::Money((v * 100.0).round() as i64));
            }
            i = j;
        } else if c.is_ascii_digit() {
            let mut j = i;
            let mut num = String::new();
            while j < chars.len()
                && (chars[j].is_ascii_digit() || (chars[j] == ',' && digits_at(j + 1)))
            {
                if chars[j] != ',' {
                    num.push(chars[j]);
                }
                j += 1;
            }
            let mut minutes = None;
            let mut decimal = false;
            if chars.get(j) == Some(&':') && digits_at(j + 1) && digits_at(j + 2) {
                minutes = format!("{}{}", chars[j + 1], chars[j + 2]).parse().ok();
                j += 3;
            } else if chars.get(j) == Some(&'.') && digits_at(j + 1) {
                // "2.5" is a number, kept whole as tenths would mislead; read the integer part.
                decimal = true;
                j += 1;
                while digits_at(j) {
                    j += 1;
                }
            }
            // Ordinal and attached suffixes: "14th", "3pm".
            let mut k = j;
            let mut suffix = String::new();
            while k < chars.len() && chars[k].is_alphabetic() {
                suffix.push(chars[k]);
                k += 1;
            }
            out.push(Tok::Num(num.parse().unwrap_or(0), minutes, decimal));
            match suffix.as_str() {
                "st" | "nd" | "rd" | "th" | "" => {}
                s => out.push(Tok::Word(s.to_owned())),
            }
            i = k;
        } else if c.is_alphabetic() {
            let mut j = i;
            let mut w = String::new();
            while j < chars.len()
                && (chars[j].is_alphabetic()
                    || (chars[j] == '\'' && chars.get(j + 1).is_some_and(|c| c.is_alphabetic()))
                    || (chars[j] == '.'
                        && matches!(w.as_str(), "a" | "p" | "a.m" | "p.m")
                        && chars.get(j + 1).is_some_and(|c| *c == 'm' || *c == ' ')))
            {
                if chars[j] != '.' {
                    w.push(chars[j]);
                }
                j += 1;
            }
            out.push(Tok::Word(w));
            i = j;
        } else {
            if c == '%' {
                out.push(Tok::Percent);
            }
            i += 1;
        }
    }
    out
}

fn word(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    }
}

/// Reads the fact starting at `toks[i]`, if any; returns how many tokens it took (at least 1).
fn read_fact(toks: &[Tok], i: usize, out: &mut BTreeSet<Fact>) -> usize {
    let next = word(toks.get(i + 1));
    let clock = |h: u64, m: u32, pm: bool| -> Option<Fact> {
        (1..=12).contains(&h).then(|| {
            let h = (h as u32 % 12) + if pm { 12 } else { 0 };
            Fact::Clock(h * 60 + m)
        })
    };
    match &toks[i] {
        Tok::Money(c) => {
            out.insert(Fact::Money(*c));
            1
        }
        Tok::Percent => 1,
        Tok::Num(n, minutes, decimal) => {
            if matches!(toks.get(i + 1), Some(Tok::Percent)) || next == Some("percent") {
                out.insert(Fact::Percent(*n as u32));
                return 2;
            }
            if matches!(next, Some("am" | "pm")) {
                if let Some(f) = clock(*n, minutes.unwrap_or(0), next == Some("pm")) {
                    out.insert(f);
                }
                return 2;
            }
            if matches!(next, Some("dollars" | "dollar" | "bucks")) && !decimal {
                out.insert(Fact::Money(*n as i64 * 100));
                return 2;
            }
            if next == Some("o'clock") {
                out.insert(Fact::Clock12((*n as u32 % 12) * 60));
                return 2;
            }
            match minutes {
                Some(m) => out.insert(Fact::Clock12((*n as u32 % 12) * 60 + m)),
                None => out.insert(Fact::Number(*n)),
            };
            1
        }
        Tok::Word(w) => {
            if let Some(d) = day(w) {
                out.insert(Fact::Day(d));
                return 1;
            }
            if let Some(m) = month(w) {
                out.insert(Fact::Month(m));
                return 1;
            }
            match w.as_str() {
                "noon" | "midday" => {
                    out.insert(Fact::Clock(720));
                    return 1;
                }
                "midnight" => {
                    out.insert(Fact::Clock(0));
                    return 1;
                }
                _ => {}
            }
            // Spoken amounts and times: "twelve dollars", "three thirty pm", "ten percent".
            let ws: Vec<String> = toks[i..]
                .iter()
                .take(4)
                .map_while(|t| match t {
                    Tok::Word(w) => Some(w.clone()),
                    _ => None,
                })
                .collect();
            if number(w).is_some()
                && let Some((h, used)) = read_number(&ws, 0)
            {
                let after = ws.get(used).map(String::as_str);
                match after {
                    Some("dollars" | "dollar" | "bucks") => {
                        out.insert(Fact::Money(i64::from(h) * 100));
                        return used + 1;
                    }
                    Some("percent") => {
                        out.insert(Fact::Percent(h));
                        return used + 1;
                    }
                    Some("am" | "pm") => {
                        if let Some(f) = clock(u64::from(h), 0, after == Some("pm")) {
                            out.insert(f);
                        }
                        return used + 1;
                    }
                    Some("o'clock") => {
                        out.insert(Fact::Clock12((h % 12) * 60));
                        return used + 1;
                    }
                    _ => {}
                }
                if (1..=12).contains(&h)
                    && let Some((m, more)) = read_number(&ws, used)
                    && (10..60).contains(&m)
                    && let Some(ap @ ("am" | "pm")) = ws.get(used + more).map(String::as_str)
                {
                    if let Some(f) = clock(u64::from(h), m, ap == "pm") {
                        out.insert(f);
                    }
                    return used + more + 1;
                }
            }
            1
        }
    }
}

fn day(w: &str) -> Option<&'static str> {
    Some(match w {
        "monday" | "mondays" => "monday",
        "tuesday" | "tuesdays" => "tuesday",
        "wednesday" | "wednesdays" => "wednesday",
        "thursday" | "thursdays" => "thursday",
        "friday" | "fridays" => "friday",
        "saturday" | "saturdays" => "saturday",
        "sunday" | "sundays" => "sunday",
        "today" => "today",
        "tonight" => "tonight",
        "tomorrow" => "tomorrow",
        "yesterday" => "yesterday",
        "weekend" | "weekends" => "weekend",
        "weekday" | "weekdays" => "weekday",
        _ => return None,
    })
}

fn month(w: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // "may" is a verb far more often than a month in a reply; it is left out.
    MONTHS
        .iter()
        .position(|m| *m == w && w != "may")
        .map(|i| i as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Vec<Fact> {
        facts(s).into_iter().collect()
    }

    #[test]
    fn amounts_times_and_days_are_read_however_written() {
        assert_eq!(f("It's $12.50."), vec![Fact::Money(1250)]);
        assert_eq!(f("that's twelve dollars"), vec![Fact::Money(1200)]);
        assert_eq!(f("that's 12 bucks"), vec![Fact::Money(1200)]);
        assert_eq!(f("about $1,299"), vec![Fact::Money(129_900)]);
        assert_eq!(f("at 2:30 PM"), vec![Fact::Clock(870)]);
        assert_eq!(f("at 2:30pm"), vec![Fact::Clock(870)]);
        assert_eq!(f("at two thirty p.m."), vec![Fact::Clock(870)]);
        assert_eq!(f("from 9 a.m."), vec![Fact::Clock(540)]);
        assert_eq!(f("at noon"), vec![Fact::Clock(720)]);
        assert_eq!(f("at 3:30"), vec![Fact::Clock12(210)]);
        assert_eq!(f("10% off"), vec![Fact::Percent(10)]);
        assert_eq!(f("ten percent off"), vec![Fact::Percent(10)]);
        assert_eq!(
            f("Friday, November 27th"),
            vec![Fact::Number(27), Fact::Day("friday"), Fact::Month(11)]
        );
        assert_eq!(
            f("call (512) 555-0100 or write ops@example.com."),
            vec![
                Fact::Digits("5125550100".into()),
                Fact::Address("ops@example.com".into())
            ]
        );
        assert_eq!(
            f("+1 512 555 0100"),
            vec![Fact::Digits("5125550100".into())]
        );
        assert!(f("Sure, one moment. We may have two of those.").is_empty());
    }

    #[test]
    fn a_reply_in_other_words_passes_when_it_keeps_the_facts() {
        let draft = "I have Friday at 2:30 PM or Saturday at 10 AM. Which works for you?";
        let ok = "Sure thing! Would Friday at 2:30pm or Saturday at 10am suit you?";
        assert_eq!(
            check(draft, ok, "what do you have friday"),
            Ok(ok.to_owned())
        );
        assert_eq!(
            check(
                draft,
                "How about Friday at 3:30 PM or Saturday at 10 AM?",
                ""
            ),
            Err(Rejection::Added(Fact::Clock(930)))
        );
        assert_eq!(
            check(draft, "I have Friday at 2:30 PM. Does that work?", ""),
            Err(Rejection::Dropped(Fact::Clock(600)))
        );
        assert_eq!(
            check(
                draft,
                "Friday at 2:30 PM and Saturday at 10 AM are open.",
                ""
            ),
            Err(Rejection::NoQuestion)
        );
        assert_eq!(
            check(
                "A 10x10 is $129 a month.",
                "A 10 by 10 runs $129 a month, with 10% off.",
                ""
            ),
            Err(Rejection::Added(Fact::Percent(10)))
        );
        assert_eq!(check("Hello.", "  **  ", ""), Err(Rejection::Empty));
        assert_eq!(
            check("Yes.", &"Yes indeed. ".repeat(40), ""),
            Err(Rejection::TooLong)
        );
    }

    #[test]
    fn what_the_caller_said_may_be_repeated_back() {
        let draft = "Got it. What name should I put it under?";
        assert!(
            check(
                draft,
                "Got it, Thursday then. What name should I put it under?",
                "thursday please"
            )
            .is_ok()
        );
        assert_eq!(
            check(
                draft,
                "Got it, Thursday then. What name should it be under?",
                "ok"
            ),
            Err(Rejection::Added(Fact::Day("thursday")))
        );
    }

    #[test]
    fn markdown_is_removed_before_speaking() {
        assert_eq!(
            check("We open at 9 AM.", "**We open at 9 AM.**\n", "").as_deref(),
            Ok("We open at 9 AM.")
        );
    }
}
