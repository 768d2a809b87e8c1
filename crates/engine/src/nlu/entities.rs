//! Details a caller gives in passing: phone numbers (typed or spoken digit by digit), e-mail
//! addresses ("john at gmail dot com"), names, unit sizes ("ten by ten", "a small one"), menu
//! items with quantities and options, service names with fuzzy matching, and yes or no.

use serde::{Deserialize, Serialize};

use super::text::{fuzzy_eq, is_stopword, read_number, stem, strict_number};
use crate::profile::{MenuItem, Profile, Service, Unit};
use crate::types::{Email, PhoneE164};

/// Reads a phone number from speech or text: "512 555 0100", "five one two five five five oh
/// one hundred", "double five", "+44 20…". Ten digits get the business's country code `cc`.
pub fn phone(ws: &[String], cc: &str) -> Option<PhoneE164> {
    let mut best = String::new();
    let mut cur = String::new();
    let mut plus = false;
    let mut cur_plus = false;
    let mut i = 0;
    let flush = |cur: &mut String, best: &mut String, cur_plus: bool, plus: &mut bool| {
        if cur.len() > best.len() {
            *best = std::mem::take(cur);
            *plus = cur_plus;
        }
        cur.clear();
    };
    while i < ws.len() {
        let w = ws[i].as_str();
        let digit_word = |w: &str| -> Option<char> {
            match w {
                "oh" | "o" | "zero" => Some('0'),
                _ => strict_number(w)
                    .filter(|n| *n < 10)
                    .and_then(|n| char::from_digit(n, 10)),
            }
        };
        if w == "plus" && cur.is_empty() {
            cur_plus = true;
        } else if w.chars().all(|c| c.is_ascii_digit()) {
            cur.push_str(w);
        } else if let Some(c) = digit_word(w) {
            cur.push(c);
        } else if (w == "double" || w == "triple")
            && ws.get(i + 1).and_then(|n| digit_word(n)).is_some()
        {
            let c = ws.get(i + 1).and_then(|n| digit_word(n)).unwrap_or('0');
            for _ in 0..if w == "double" { 2 } else { 3 } {
                cur.push(c);
            }
            i += 1;
        } else if let Some(tens) = strict_number(w).filter(|n| (20..100).contains(n) && n % 10 == 0)
        {
            match ws
                .get(i + 1)
                .and_then(|n| strict_number(n))
                .filter(|n| (1..10).contains(n))
            {
                Some(u) => {
                    cur.push_str(&(tens + u).to_string());
                    i += 1;
                }
                None => cur.push_str(&tens.to_string()),
            }
        } else if (10..20).contains(&strict_number(w).unwrap_or(0)) {
            cur.push_str(&strict_number(w).unwrap_or(0).to_string());
        } else if w == "hundred" && !cur.is_empty() {
            cur.push_str("00");
        } else if w == "thousand" && !cur.is_empty() {
            cur.push_str("000");
        } else if !matches!(w, "dash" | "and") {
            flush(&mut cur, &mut best, cur_plus, &mut plus);
            cur_plus = false;
        }
        i += 1;
    }
    flush(&mut cur, &mut best, cur_plus, &mut plus);
    let e164 = if plus {
        format!("+{best}")
    } else if best.len() == 10 && cc == "1" {
        format!("+1{best}")
    } else if best.len() == 11 && cc == "1" && best.starts_with('1') {
        format!("+{best}")
    } else if best.len() >= 9 && best.starts_with('0') && cc != "1" {
        format!("+{cc}{}", &best[1..])
    } else {
        return None;
    };
    PhoneE164::parse(&e164).ok()
}

/// The country calling code of a business's own number, used for numbers said without one.
pub fn country_code(p: &PhoneE164) -> &'static str {
    const CODES: [&str; 10] = ["1", "44", "61", "353", "64", "49", "33", "34", "39", "31"];
    let digits = &p.as_str()[1..];
    CODES
        .into_iter()
        .find(|cc| digits.starts_with(cc))
        .unwrap_or("1")
}

/// Reads an e-mail address, typed ("jo@x.com") or spoken ("jo dot smith at gmail dot com").
pub fn email(raw: &str, ws: &[String]) -> Option<Email> {
    for part in raw.split_whitespace() {
        if part.contains('@') {
            let t = part.trim_matches(|c: char| !c.is_alphanumeric());
            if let Ok(e) = Email::parse(t) {
                return Some(e);
            }
        }
    }
    let at = ws.iter().rposition(|w| w == "at")?;
    // Local part: the words before "at", back to something that is not part of an address.
    let mut local: Vec<&str> = Vec::new();
    let mut j = at;
    while j > 0 {
        let w = ws[j - 1].as_str();
        if matches!(
            w,
            "is" | "it's"
                | "its"
                | "email"
                | "e"
                | "mail"
                | "address"
                | "me"
                | "my"
                | "reach"
                | "sure"
                | "yeah"
                | "yes"
                | "um"
                | "uh"
                | "oh"
        ) || local.len() >= 8
        {
            break;
        }
        local.push(w);
        j -= 1;
    }
    local.reverse();
    let mut l = String::new();
    for w in &local {
        match *w {
            "dot" | "period" => l.push('.'),
            "underscore" => l.push('_'),
            "dash" | "hyphen" => l.push('-'),
            w => l.push_str(w),
        }
    }
    let mut domain = String::new();
    let mut k = at + 1;
    let mut dots = 0;
    while k < ws.len() {
        let w = ws[k].as_str();
        if w == "dot" || w == "period" {
            if ws.get(k + 1).is_none() {
                break;
            }
            domain.push('.');
            dots += 1;
        } else if domain.is_empty() || domain.ends_with('.') || domain.ends_with('-') {
            domain.push_str(w);
        } else if w == "dash" || w == "hyphen" {
            domain.push('-');
        } else {
            break;
        }
        k += 1;
    }
    if dots == 0 || l.is_empty() {
        return None;
    }
    Email::parse(&format!("{l}@{domain}")).ok()
}

/// Words that are never a person's name.
fn not_a_name(w: &str) -> bool {
    // Contractions ("that's", "we're", "can't") are never a name; "O'Brien" and "D'Angelo" are.
    let contraction = ["'s", "'re", "'ll", "'m", "n't", "'d", "'ve"]
        .iter()
        .any(|c| w.ends_with(c));
    contraction
        || is_stopword(w)
        || strict_number(w).is_some()
        || w.chars().any(|c| c.is_ascii_digit())
        || matches!(
            w,
            "calling"
                | "looking"
                | "trying"
                | "going"
                | "interested"
                | "here"
                | "sure"
                | "yes"
                | "no"
                | "not"
                | "thanks"
                | "thank"
                | "fine"
                | "good"
                | "great"
                | "sorry"
                | "wait"
                | "hold"
                | "oops"
                | "hmm"
                | "name"
                | "called"
                | "booked"
                | "call"
                | "phone"
                | "number"
                | "email"
                | "about"
                | "back"
                | "still"
                | "the"
                | "really"
                | "actually"
                | "again"
                | "glad"
                | "happy"
                | "done"
                | "ready"
                | "right"
                | "correct"
                | "perfect"
                | "exactly"
                | "alright"
                | "works"
                // Days and times are not names ("friday at 4"); the months that are also
                // first names (April, May, June, August) may be.
                | "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "today"
                | "tomorrow"
                | "tonight"
                | "morning"
                | "afternoon"
                | "evening"
                | "noon"
                | "weekend"
                | "january"
                | "february"
                | "march"
                | "july"
                | "september"
                | "october"
                | "november"
                | "december"
                | "afraid"
                | "gonna"
                | "wanna"
                | "book"
                | "order"
                | "cancel"
                | "reserve"
                | "unit"
                | "pizza"
                | "appointment"
        )
}

fn title(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A name read from words with the hyphens the caller wrote put back ("Garcia-Lopez",
/// "Al-Sayed"), which splitting into words took out.
pub fn with_hyphens(raw: &str, name: String) -> String {
    let low = raw.to_lowercase();
    let parts: Vec<&str> = name.split(' ').collect();
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            let joined = format!("{}-{}", parts[i - 1], p).to_lowercase();
            out.push(if low.contains(&joined) { '-' } else { ' ' });
        }
        out.push_str(p);
    }
    out
}

/// Short family names that are also English words ("Mai Do", "Tran Le"): a name part when
/// they follow one.
fn short_family_name(w: &str) -> bool {
    matches!(
        w,
        "do" | "le" | "ng" | "ho" | "lu" | "li" | "wu" | "yu" | "ma" | "vu" | "lo" | "ko" | "an"
    )
}

/// The name words from `ws[from]` on: up to three, stopping at a word that is no name.
fn name_words(ws: &[String], from: usize) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for w in ws.iter().skip(from) {
        if matches!(
            w.as_str(),
            "and"
                | "my"
                | "calling"
                | "here"
                | "thanks"
                | "please"
                | "i"
                | "i'm"
                | "from"
                | "is"
                | "first"
                | "last"
                | "surname"
                | "given"
        ) || parts.len() == 3
        {
            break;
        }
        if not_a_name(w) && (parts.is_empty() || !short_family_name(w)) {
            break;
        }
        parts.push(title(w));
    }
    parts
}

/// A name given in labelled parts: "first name Maria, last name Garcia", "last name Wu, first
/// Jian", "Wei, last name Zhang", "under Oliveira, first name Thiago".
pub fn labelled_name(ws: &[String]) -> Option<String> {
    let label = |kinds: &[&str]| {
        ws.iter().enumerate().find_map(|(i, w)| {
            if !kinds.contains(&w.as_str()) {
                return None;
            }
            let mut j = i + 1;
            while ws
                .get(j)
                .is_some_and(|x| matches!(x.as_str(), "name" | "name's" | "is" | "names"))
            {
                j += 1;
            }
            // "first" alone is a label only when a name follows it at once.
            let part = name_words(ws, j);
            (!part.is_empty() && (j > i + 1 || w != "first" || i > 0)).then_some((i, part))
        })
    };
    let first = label(&["first", "given"]);
    let last = label(&["last", "surname", "family"]);
    // The words before the first label, past fillers and introducers ("under", "it's").
    let leading = |end: usize| {
        let from = ws[..end].iter().position(|w| {
            !matches!(
                w.as_str(),
                "sure"
                    | "yes"
                    | "yeah"
                    | "ok"
                    | "okay"
                    | "um"
                    | "uh"
                    | "it's"
                    | "its"
                    | "it"
                    | "is"
                    | "under"
                    | "put"
                    | "the"
                    | "my"
                    | "oh"
            )
        })?;
        let part = name_words(&ws[..end], from);
        (!part.is_empty()).then_some(part)
    };
    let join = |a: Vec<String>, b: Vec<String>| Some([a, b].concat().join(" "));
    match (first, last) {
        (Some((_, f)), Some((_, l))) => join(f, l),
        // "Last name Thompson" alone is a name too.
        (None, Some((i, l))) => join(leading(i).unwrap_or_default(), l),
        (Some((i, f)), None) => join(f, leading(i)?),
        (None, None) => None,
    }
}

/// A person's name. With `asked`, the reply to "what's your name?" is read as one ("it's Maria
/// Lopez", "put it under Ana Morales", "Mai Do is the name", "last name Wu, first Jian");
/// otherwise only an introduction counts ("my name is…", "this is… calling").
pub fn name(ws: &[String], asked: bool) -> Option<String> {
    if let Some(n) = labelled_name(ws).filter(|_| asked || ws.iter().any(|w| w == "name")) {
        return Some(n);
    }
    let mut start = None;
    for i in 0..ws.len() {
        let w = ws[i].as_str();
        let next = ws.get(i + 1).map(String::as_str);
        if (w == "name" && matches!(next, Some("is" | "it's" | "'s"))) || w == "name's" {
            start = Some(i + if w == "name's" { 1 } else { 2 });
        } else if w == "this" && next == Some("is") && i == 0 {
            start = Some(i + 2);
        } else if asked && matches!(w, "i'm" | "im" | "it's" | "its") && start.is_none() {
            start = Some(i + 1);
        } else if w == "call" && next == Some("me") {
            start = Some(i + 2);
        } else if w == "under"
            && (asked
                || matches!(
                    i.checked_sub(1).map(|j| ws[j].as_str()),
                    Some("it" | "that" | "this" | "reservation" | "order")
                ))
        {
            // "put it under Ana", "under Morales".
            start = Some(i + 1);
        } else if asked
            && w == "for"
            && i > 0
            && matches!(ws[i - 1].as_str(), "it's" | "its" | "is")
        {
            // "it's for Marcy".
            start = Some(i + 1);
        } else if asked && w == "put" && next.is_some_and(|n| !not_a_name(n)) {
            // "you can put Rania Aziz".
            start = Some(i + 1);
        }
    }
    // An introduction at the start: "Scott Reynolds here", "hi, Ana Lee calling", "hey it's
    // Ana Lee".
    if start.is_none() {
        let lead = ws
            .iter()
            .take_while(|w| matches!(w.as_str(), "hi" | "hello" | "hey" | "yes" | "oh" | "um"))
            .count();
        if matches!(ws.get(lead).map(String::as_str), Some("it's" | "its")) {
            start = Some(lead + 1);
        } else {
            let part = name_words(ws, lead);
            if (1..=3).contains(&part.len())
                && matches!(
                    ws.get(lead + part.len()).map(String::as_str),
                    Some("here" | "calling" | "speaking")
                )
            {
                start = Some(lead);
            }
        }
    }
    let from = match start {
        Some(s) => s,
        None if asked => ws.iter().position(|w| {
            !matches!(
                w.as_str(),
                "sure"
                    | "yes"
                    | "yeah"
                    | "yep"
                    | "ok"
                    | "okay"
                    | "um"
                    | "uh"
                    | "it"
                    | "is"
                    | "it's"
                    | "its"
                    | "well"
                    | "so"
                    | "oh"
                    | "the"
                    | "and"
            )
        })?,
        None => return None,
    };
    // Words that are the rest of the reply, not counting a spoken e-mail address after the
    // name ("Dee Park, dee at example dot com"), which is no part of it.
    let mut said = ws.len();
    for (i, _) in ws.iter().enumerate().skip(from) {
        if ws.get(i + 1).is_some_and(|n| n == "at") && ws.get(i + 3).is_some_and(|n| n == "dot") {
            said = i;
            break;
        }
    }
    let parts = name_words(&ws[..said], from);
    if parts.is_empty() || (!asked && start.is_none()) {
        return None;
    }
    // A reply with many other words is a sentence, not a name, unless it ends by saying it
    // was one ("Mai Do is the name").
    let named_after = ws[from + parts.len()..]
        .iter()
        .any(|w| w == "name" || w == "name's");
    if start.is_none() && said > from + parts.len() + 3 && !named_after {
        return None;
    }
    Some(parts.join(" "))
}

/// A word with its stretched letters put back ("yesss", "yess", "nooo", "okk"), when that
/// makes it one of `known`.
fn unstretched<'a>(w: &'a str, known: &[&'a str]) -> Option<&'a str> {
    if known.contains(&w) {
        return known.iter().find(|k| **k == w).copied();
    }
    let mut folded = String::with_capacity(w.len());
    for c in w.chars() {
        if !folded.ends_with(c) {
            folded.push(c);
        }
    }
    known.iter().find(|k| **k == folded).copied()
}

/// Yes (`Some(true)`), no (`Some(false)`) or neither, for a reply to a yes-or-no question.
/// A yes is a yes word among the first few ("uh huh, that's right", "ok sounds good",
/// "yess"), or a phrase of assent anywhere ("go ahead", "that works", "book it"); a no is a no
/// word first or a denial anywhere ("that's not right"). Both, and a leading no decides.
pub fn polarity(ws: &[String]) -> Option<bool> {
    const YES: [&str; 27] = [
        "yes",
        "yeah",
        "yep",
        "yup",
        "yea",
        "ya",
        "yah",
        "sure",
        "correct",
        "right",
        "ok",
        "okay",
        "k",
        "perfect",
        "absolutely",
        "definitely",
        "great",
        "affirmative",
        "confirm",
        "confirmed",
        "alright",
        "fine",
        "exactly",
        "good",
        "mhm",
        "yeh",
        "aye",
    ];
    const NO: [&str; 5] = ["no", "nope", "nah", "negative", "nay"];
    let has = |w: &str| ws.iter().any(|x| x == w);
    let first = ws
        .first()
        .and_then(|w| unstretched(w, &NO).or(unstretched(w, &YES)))
        .unwrap_or("");
    let no = NO.contains(&first)
        || has("don't")
        || has("dont")
        || (has("not") && !has("sure") && !has("problem"))
        || has("wrong")
        || has("incorrect")
        || has("nevermind")
        || (has("never") && has("mind"));
    let opening = &ws[..ws.len().min(4)];
    let yes = opening.iter().any(|w| unstretched(w, &YES).is_some())
        || matches!(first, "please" | "sounds")
        || ws.windows(2).any(|p| {
            matches!(
                (p[0].as_str(), p[1].as_str()),
                ("uh", "huh")
                    | ("mm", "hmm")
                    | ("go", "ahead")
                    | ("all", "good")
                    | ("looks", "good" | "right")
                    | ("sounds", "good" | "right" | "great" | "perfect")
                    | ("book", "it")
                    | ("do", "it")
            )
        })
        || (has("that") && (has("works") || has("fine") || has("good")))
        || has("yes")
        || has("sounds");
    // "That's not right", "no, wrong day": the read-back itself is denied.
    let denied = has("wrong")
        || has("incorrect")
        || ws
            .windows(2)
            .any(|p| p[0] == "not" && matches!(p[1].as_str(), "right" | "correct" | "it"));
    match (yes, no) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        (true, true) if NO.contains(&first) || denied => Some(false),
        _ => None,
    }
}

/// The unit type a caller names: "10x10", "ten by ten", "a 5 by 5", or "the small/biggest one".
pub fn unit<'p>(ws: &[String], units: &'p [Unit]) -> Option<&'p Unit> {
    if units.is_empty() {
        return None;
    }
    let same = |u: &Unit, a: f64, b: f64| {
        (u.width_ft == a && u.depth_ft == b) || (u.width_ft == b && u.depth_ft == a)
    };
    for (i, w) in ws.iter().enumerate() {
        if let Some(u) = units.iter().find(|u| u.unit_type.eq_ignore_ascii_case(w)) {
            return Some(u);
        }
        if let Some((a, b)) = w.split_once('x')
            && let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>())
            && let Some(u) = units.iter().find(|u| same(u, a, b))
        {
            return Some(u);
        }
        if let Some((a, k)) = read_number(ws, i)
            && matches!(
                ws.get(i + k).map(String::as_str),
                Some("x" | "by" | "times")
            )
            && let Some((b, _)) = read_number(ws, i + k + 1)
            && let Some(u) = units.iter().find(|u| same(u, f64::from(a), f64::from(b)))
        {
            return Some(u);
        }
    }
    let area = |u: &&Unit| (u.width_ft * u.depth_ft * 100.0) as i64;
    let has = |x: &str| ws.iter().any(|w| w == x);
    if has("smallest") || has("small") || has("little") || has("tiny") {
        return units.iter().min_by_key(area);
    }
    if has("biggest") || has("largest") || has("large") || has("big") {
        return units.iter().max_by_key(area);
    }
    if has("medium") || has("mid") || has("middle") {
        let mut sorted: Vec<&Unit> = units.iter().collect();
        sorted.sort_by_key(area);
        return sorted.get(sorted.len() / 2).copied();
    }
    None
}

/// Square feet that what the caller wants to store usually needs, as a rule of thumb.
pub fn space_needed(ws: &[String]) -> Option<(f64, &'static str)> {
    let has = |x: &str| ws.iter().any(|w| w == x);
    let rooms = ws.windows(2).find_map(|p| {
        (p[1].starts_with("bed") || p[1] == "br" || p[1] == "room")
            .then(|| read_number(std::slice::from_ref(&p[0]), 0).map(|x| x.0))
            .flatten()
    });
    Some(match rooms {
        Some(1) => (100.0, "a one-bedroom home"),
        Some(2) => (150.0, "a two-bedroom home"),
        Some(n) if n >= 3 => (200.0, "a home with three or more bedrooms"),
        _ if has("house") || has("home") => (200.0, "a house"),
        _ if has("car") || has("truck") || has("vehicle") || has("boat") => (200.0, "a vehicle"),
        _ if has("apartment") || has("studio") => (100.0, "a small apartment"),
        _ if has("dorm") || has("boxes") || has("closet") => (25.0, "boxes and small things"),
        _ if has("furniture") || has("couch") || has("sofa") || has("mattress") => {
            (50.0, "a few pieces of furniture")
        }
        _ => return None,
    })
}

/// One ordered item as the caller said it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub item: String,
    pub quantity: u32,
    /// Option name and chosen choice, e.g. ("size", "large").
    pub options: Vec<(String, String)>,
}

fn item_keys(menu: &[MenuItem]) -> Vec<Vec<String>> {
    let token_lists: Vec<Vec<String>> = menu
        .iter()
        .map(|m| {
            super::text::words(m.name.as_str())
                .into_iter()
                .map(|w| stem(&w))
                .collect()
        })
        .collect();
    // The words of other items' option choices ("chicken" as a protein of the pad thai) say
    // the option, not this item ("Chicken satay").
    let choices_of = |i: usize| -> Vec<String> {
        menu.iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, m)| m.options.iter())
            .flat_map(|o| o.choices.0.iter())
            .flat_map(|(c, _)| super::text::words(c))
            .map(|w| stem(&w))
            .collect()
    };
    token_lists
        .iter()
        .enumerate()
        .map(|(i, toks)| {
            let choices = choices_of(i);
            let own: Vec<String> = toks
                .iter()
                .filter(|t| {
                    !token_lists
                        .iter()
                        .enumerate()
                        .any(|(j, o)| j != i && o.contains(t))
                })
                .cloned()
                .collect();
            let distinct: Vec<String> = own
                .iter()
                .filter(|t| !choices.contains(t))
                .cloned()
                .collect();
            if !distinct.is_empty() {
                distinct
            } else if own.is_empty() {
                toks.clone()
            } else {
                own
            }
        })
        .collect()
}

/// Everyday words that some menus use as an item's name.
fn common_word(w: &str) -> bool {
    matches!(
        w,
        "everything"
            | "anything"
            | "something"
            | "nothing"
            | "all"
            | "plain"
            | "regular"
            | "special"
            | "house"
            | "original"
            | "classic"
            | "combo"
            | "usual"
            | "good"
            | "fresh"
            | "hot"
            | "cold"
    )
}

/// Menu items with quantities and options: "two large margheritas and garlic knots".
pub fn menu_lines(ws: &[String], menu: &[MenuItem]) -> Vec<Line> {
    let keys = item_keys(menu);
    let names: Vec<Vec<String>> = menu
        .iter()
        .map(|m| super::text::words(m.name.as_str()))
        .collect();
    // Where each item is mentioned: (first word, last word, item index).
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        if w.len() < 3 || is_stopword(w) {
            continue;
        }
        // An item's word, or one clipped as people say it ("guac" for guacamole) when no item
        // has the word itself.
        let key = keys
            .iter()
            .position(|ks| ks.iter().any(|k| fuzzy_eq(w, k)))
            .or_else(|| keys.iter().position(|ks| ks.iter().any(|k| clipped(w, k))));
        if let Some(k) = key {
            // "garlic knots", "chips and guacamole": one mention, not two.
            if let Some(last) = hits.last_mut().filter(|h| h.2 == k && h.1 + 2 >= i) {
                last.1 = i;
                continue;
            }
            let next_is_ours = ws
                .get(i + 1)
                .is_some_and(|n| names[k].iter().any(|t| fuzzy_eq(n, t)));
            // "That's everything", "anything else": a common word that is also an item's
            // name ("Everything bagel") names it only with a count or another of its words.
            let counted = (i.saturating_sub(2)..i).any(|j| {
                read_number(ws, j).is_some()
                    || matches!(ws[j].as_str(), "a" | "an" | "the" | "some" | "couple")
            });
            if common_word(w) && !next_is_ours && !counted {
                continue;
            }
            // "Cappuccino with almond milk": a choice of the item just named, not the
            // "Almond croissant".
            let prev_choice = hits.last().is_some_and(|h| {
                menu[h.2].options.iter().any(|o| {
                    o.choices
                        .0
                        .iter()
                        .any(|(c, _)| super::text::words(c).iter().any(|cw| fuzzy_eq(w, cw)))
                })
            });
            if prev_choice && !next_is_ours {
                continue;
            }
            hits.push((i, i, k));
        }
    }
    // "Pad kee mao", "mexican street corn": a word of an item's name ("pad" of Pad Thai,
    // "mexican" of Mexican Coke) followed by words that are neither the rest of its name nor
    // its options names another dish, which the menu may not have.
    hits.retain(|&(pos, last, idx)| !names_another_dish(ws, pos, last, menu, &names[idx]));
    let mut lines: Vec<Line> = Vec::new();
    for (n, &(pos, last, idx)) in hits.iter().enumerate() {
        let start = if n == 0 { 0 } else { hits[n - 1].1 + 1 };
        let end = hits.get(n + 1).map(|h| h.0).unwrap_or(ws.len());
        // Words before the mention belong to it back to the previous "and"; words after it up
        // to the next "and".
        let before_from = ws[start..pos]
            .iter()
            .rposition(|w| matches!(w.as_str(), "and" | "plus" | "also" | "with"))
            .map(|p| start + p + 1)
            .unwrap_or(start);
        let after_to = ws[last..end]
            .iter()
            .position(|w| matches!(w.as_str(), "and" | "plus" | "also"))
            .map(|p| last + p)
            .unwrap_or(end);
        let span = &ws[before_from..after_to.max(pos + 1)];
        let item = &menu[idx];
        // A number that is part of the item's own name ("2" of "2-liter soda", said "two
        // liter") is no quantity: "three of the two liter" is three.
        let in_name: Vec<u32> = super::text::words(item.name.as_str())
            .iter()
            .filter_map(|w| strict_number(w))
            .collect();
        let mut counts: Vec<(usize, u32)> = Vec::new();
        for (j, w) in ws[before_from..pos].iter().enumerate() {
            let at = before_from + j;
            if w == "couple" {
                counts.push((at, 2));
            } else if let Some((q, _)) = read_number(ws, at) {
                if (1..=50).contains(&q) {
                    counts.push((at, q));
                }
            } else if matches!(w.as_str(), "a" | "an" | "one") {
                counts.push((at, 1));
            }
        }
        if let [.., (at, q)] = counts.as_slice()
            && *at + 1 == pos
            && in_name.contains(q)
        {
            counts.pop();
        }
        let explicit = !counts.is_empty();
        let qty = counts.last().map_or(1, |c| c.1);
        let mut options = Vec::new();
        for opt in &item.options {
            // Of the choices said, the longest: "thai hot" is Thai hot, not Hot.
            let said = opt
                .choices
                .0
                .iter()
                .map(|(choice, _)| (choice, super::text::words(choice)))
                .filter(|(_, cw)| {
                    span.windows(cw.len().max(1))
                        .any(|win| win.iter().zip(cw).all(|(a, b)| fuzzy_eq(a, b)))
                })
                .max_by_key(|(_, cw)| cw.len());
            if let Some((choice, _)) = said {
                options.push((opt.name.as_str().to_owned(), choice.clone()));
            }
        }
        // The same item said again without a count of its own ("three wing baskets, hot on
        // the wings") is the line already taken, not another.
        if !explicit
            && let Some(prev) = lines
                .iter_mut()
                .rev()
                .find(|l: &&mut Line| l.item == item.name.as_str())
        {
            for o in options {
                if !prev.options.iter().any(|p| p.0 == o.0) {
                    prev.options.push(o);
                }
            }
            continue;
        }
        lines.push(Line {
            item: item.name.as_str().to_owned(),
            quantity: qty,
            options,
        });
    }
    lines
}

/// Whether the mention of a dish named `name` at `ws[pos..=last]` leaves out words of its name
/// and runs on into a word the menu never uses, nor talk around an order: another dish said in
/// words that begin like this one's.
fn names_another_dish(
    ws: &[String],
    pos: usize,
    last: usize,
    menu: &[MenuItem],
    name: &[String],
) -> bool {
    let said = &ws[pos..=last];
    let missing: Vec<&String> = name
        .iter()
        .filter(|n| !is_stopword(n) && !said.iter().any(|w| fuzzy_eq(w, n)))
        .collect();
    let Some(next) = ws.get(last + 1) else {
        return false;
    };
    if missing.is_empty()
        || next.len() < 3
        || is_stopword(next)
        || ORDER_TALK.contains(&next.as_str())
        || read_number(ws, last + 1).is_some()
        || is_time_word(next)
        || !next.chars().all(|c| c.is_alphabetic() || c == '\'')
    {
        return false;
    }
    // A word of the menu's own (a choice of another dish's options: "gluten free") describes
    // what is ordered; a word the menu never uses may name another dish.
    let ours = menu.iter().any(|m| {
        super::text::words(m.name.as_str())
            .into_iter()
            .chain(m.options.iter().flat_map(|o| {
                super::text::words(o.name.as_str())
                    .into_iter()
                    .chain(o.choices.0.iter().flat_map(|(c, _)| super::text::words(c)))
            }))
            .any(|w| w.split('-').any(|part| fuzzy_eq(next, part)))
    });
    // "Margherita pie": the missing word said in other words.
    let alike = super::vectors::of(next).is_some_and(|v| {
        let v = v.unit();
        missing.iter().any(|m| {
            super::vectors::of(m).is_some_and(|u| super::vectors::dot(&v, &u.unit()) >= 0.5)
        })
    });
    !ours && !alike
}

/// Words said around an order's items that name no dish.
const ORDER_TALK: &[&str] = &[
    "and",
    "plus",
    "also",
    "with",
    "without",
    "please",
    "pls",
    "plz",
    "thanks",
    "thank",
    "thx",
    "too",
    "well",
    "each",
    "extra",
    "more",
    "again",
    "order",
    "orders",
    "pickup",
    "delivery",
    "delivered",
    "now",
    "tonight",
    "today",
    "both",
    "only",
    "instead",
    "okay",
    "yes",
    "no",
    "asap",
    "then",
    "but",
    "just",
    "all",
    "total",
    "ready",
    "here",
    "there",
    "that's",
    "thats",
    "that",
    "done",
    "everything",
    "sauce",
    "side",
    "style",
    "size",
    "hold",
    "light",
    "heavy",
    "regular",
    "large",
    "small",
    "medium",
    "big",
    "little",
    "whole",
    "half",
    "make",
    "made",
    "get",
    "add",
    "give",
    "want",
    "need",
    "put",
    "have",
    "change",
    "switch",
    "swap",
    "into",
];

/// Whether `w` is `whole` clipped as people say it ("guac", "pedi", "mani"): a rare word of
/// four letters or more that begins a word at least three letters longer. An everyday word
/// that begins a longer one ("cheese" of "cheesecake") is that word.
fn clipped(w: &str, whole: &str) -> bool {
    w.len() >= 4
        && !w.starts_with('<')
        && whole.len() >= w.len() + 3
        && whole.starts_with(w)
        && super::frequency::zipf(w) < 4.0
}

/// Whether a description word speaks of when, not what ("same-day visit", "tomorrow").
fn is_time_word(w: &str) -> bool {
    super::when::names_a_time(w)
        || matches!(w, "day" | "week" | "month" | "same" | "next" | "visit")
}

/// Who a word says a service is for: a child ("kids'", "children's", "pediatric", "my
/// daughter"), men or women. Such words name one audience whatever the trade.
fn audience(w: &str) -> Option<&'static str> {
    Some(match w {
        "kid" | "kids" | "kid's" | "kids'" | "child" | "children" | "children's" | "child's"
        | "childrens" | "childs" | "pediatric" | "paediatric" | "son" | "daughter" | "boy"
        | "girl" | "toddler" | "junior" | "youth" => "<child>",
        "men" | "men's" | "mens" | "man's" | "gents" | "gentleman" | "gentlemen" | "male" => {
            "<men>"
        }
        "women" | "women's" | "womens" | "woman" | "woman's" | "ladies" | "lady" | "female" => {
            "<women>"
        }
        _ => return None,
    })
}

/// The terms a service name or a caller's words are compared on: stems, with audience words
/// folded onto their audience.
fn service_terms(ws: &[String]) -> Vec<String> {
    ws.iter()
        .filter(|w| !is_stopword(w) || audience(w).is_some())
        .map(|w| audience(w).map_or_else(|| stem(w), str::to_owned))
        .collect()
}

/// The service a caller names. Each word of a service's name weighs by how few of this
/// business's services share it, so the word that tells two services apart decides ("deep
/// clean" is Deep cleaning, not Cleaning & checkup; "kids' cleaning" is the children's one,
/// "toilet fixed" is Toilet repair, not Drain cleaning); a service is named when the words said
/// cover enough of its name's weight. Words folded by the knowledge base's thesaurus ("clogged
/// sink" for drain) and description words count for less.
pub fn service<'p>(ws: &[String], services: &'p [Service]) -> Option<&'p Service> {
    service_by(ws, services, true)
}

/// The service a caller names by its name's words alone, descriptions aside: evidence that a
/// turn is about this business, which a word shared with a description ("chipped") is not.
pub fn service_by_name<'p>(ws: &[String], services: &'p [Service]) -> Option<&'p Service> {
    service_by(ws, services, false)
}

fn service_by<'p>(
    ws: &[String],
    services: &'p [Service],
    with_descriptions: bool,
) -> Option<&'p Service> {
    let said = service_terms(ws);
    let folded: Vec<String> = said
        .iter()
        .map(|w| super::knowledge::canonical(w))
        .collect();
    // A name's words in brackets qualify it ("Deep cleaning (per quadrant)", "Kids' cut (12 and
    // under)"): they count when said but are not needed.
    let terms_of = |text: &str| {
        let mut t = service_terms(&super::text::words(text));
        t.sort();
        t.dedup();
        t
    };
    let names: Vec<Vec<String>> = services
        .iter()
        .map(|s| terms_of(s.name.as_str().split('(').next().unwrap_or_default()))
        .collect();
    let asides: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            terms_of(
                s.name
                    .as_str()
                    .split_once('(')
                    .map(|(_, a)| a)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let n = services.len() as f32;
    let weight = |t: &str| {
        let df = names
            .iter()
            .filter(|name| name.iter().any(|x| x == t))
            .count() as f32;
        (1.0 + n / df.max(1.0)).ln()
    };
    // A compound said or named covers its last part: "haircut" said covers a name's "cut",
    // and "cut" said covers a name's "haircut". A word clipped as people say it covers the
    // whole: "pedi" a pedicure, "mani" a manicure.
    let said_as = |t: &str| {
        said.iter().any(|w| {
            fuzzy_eq(w, t)
                // "Installation" said, "Install" named.
                || (w.len() >= 5
                    && t.len() >= 5
                    && super::knowledge::snowball(w) == super::knowledge::snowball(t))
                || (t.len() >= 3 && w.len() > t.len() + 2 && w.ends_with(t))
                // Not a word as common as "out" or "up" ("is it humid out?" names no blowout).
                || (w.len() >= 3
                    && t.len() > w.len() + 2
                    && t.ends_with(w.as_str())
                    && super::frequency::zipf(w) < 6.0)
                || clipped(w, t)
        })
    };
    let descriptions: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            super::text::words(s.description.as_deref().unwrap_or(""))
                .iter()
                .map(|t| super::knowledge::canonical(&stem(t)))
                .collect()
        })
        .collect();
    let index_of = |s: &Service| {
        services
            .iter()
            .position(|x| std::ptr::eq(x, s))
            .unwrap_or_default()
    };
    let mut scored: Vec<(&Service, f32)> = Vec::new();
    for (i, ((s, name), aside)) in services.iter().zip(&names).zip(&asides).enumerate() {
        let total: f32 = name.iter().map(|t| weight(t)).sum();
        if total <= 0.0 {
            continue;
        }
        let mut covered = 0.0;
        for t in name {
            if said_as(t) {
                covered += weight(t);
            } else if folded.contains(&super::knowledge::canonical(t)) {
                covered += weight(t) / 2.0;
            }
        }
        if covered > 0.0 {
            covered += aside
                .iter()
                .filter(|t| t.len() > 2 && said_as(t))
                .map(|t| weight(t) / 2.0)
                .sum::<f32>();
        }
        let mut score = covered / total;
        // A description word said counts for a little; one no other service's description or
        // name uses ("toothache", "clogged") names this service by itself.
        let mut seen = Vec::new();
        for t in descriptions[i].iter().filter(|_| with_descriptions) {
            if t.len() > 3 && !is_stopword(t) && !seen.contains(t) && folded.contains(t) {
                seen.push(t.clone());
                let unique = !descriptions
                    .iter()
                    .enumerate()
                    .any(|(j, d)| j != i && d.contains(t))
                    && !names.iter().any(|n| n.contains(t))
                    && !is_time_word(t);
                score += if unique { 0.35 } else { 0.15 };
            }
        }
        if score >= 0.3 {
            scored.push((s, score));
        }
    }
    // Said for a child, a man or a woman, and some service is for them: only those.
    let audiences: Vec<&String> = said.iter().filter(|w| w.starts_with('<')).collect();
    if scored
        .iter()
        .any(|(s, _)| names[index_of(s)].iter().any(|t| audiences.contains(&t)))
    {
        scored.retain(|(s, _)| names[index_of(s)].iter().any(|t| audiences.contains(&t)));
    } else if !audiences.iter().any(|a| *a == "<child>") {
        // Said for no child: a service named for children ("Kids' mani & pedi", "Pediatric
        // physio session") is meant only when nothing else fits the words.
        let for_children = |s: &Service| names[index_of(s)].iter().any(|t| t == "<child>");
        if scored.iter().any(|(s, _)| !for_children(s)) {
            scored.retain(|(s, _)| !for_children(s));
        }
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Of services the words fit equally, one whose matched word no unsaid word modifies: "a
    // cleaning" is Cleaning & checkup, not Deep cleaning (in English the modifier comes
    // first).
    let modified = |s: &Service| {
        let core = service_terms(&super::text::words(
            s.name.as_str().split('(').next().unwrap_or_default(),
        ));
        let first = core.iter().position(|t| said_as(t));
        first.is_some_and(|i| i > 0)
    };
    // The words said of the best two: when they are the same words ("manicure" of Classic
    // manicure and Gel manicure), neither is named more than the other, however the words
    // left unsaid weigh.
    let said_of = |s: &Service| -> Vec<&String> {
        names[index_of(s)].iter().filter(|t| said_as(t)).collect()
    };
    let same_words = match scored.as_slice() {
        [(a, x), (b, y), ..] => {
            said_of(a) == said_of(b)
                && x - y < 0.35
                && !descriptions[index_of(a)].iter().any(|t| folded.contains(t))
        }
        _ => false,
    };
    if let [(a, x), (b, y), ..] = scored.as_slice()
        && (x - y < 1e-3 || same_words)
        && modified(a) != modified(b)
    {
        return Some(if modified(a) { *b } else { *a });
    }
    match scored.as_slice() {
        // Two services the words fit equally ("a massage" with Prenatal and Couples massage):
        // neither is named, and the caller is asked which.
        [(_, a), (_, b), ..] if a - b < 1e-3 || same_words => None,
        [(s, _), ..] => Some(*s),
        [] => None,
    }
}

/// The menu item a caller names, alone ("how much is the pepperoni").
pub fn menu_item<'p>(ws: &[String], p: &'p Profile) -> Option<&'p MenuItem> {
    let lines = menu_lines(ws, &p.menu);
    lines
        .first()
        .and_then(|l| p.menu.iter().find(|m| m.name.as_str() == l.item))
}

#[cfg(test)]
mod tests;
