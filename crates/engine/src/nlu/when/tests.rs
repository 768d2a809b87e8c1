use chrono::NaiveDate;

use super::*;
use crate::nlu::text::words;

/// Wednesday 18 November 2026, 10:00 local.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 18).unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn w(s: &str) -> When {
    find(&words(s), today(), 600, false).unwrap_or_default()
}

#[test]
fn relative_days_and_weekdays() {
    assert_eq!(w("can you come tomorrow").date, Some(d(11, 19)));
    assert_eq!(w("the day after tomorrow works").date, Some(d(11, 20)));
    assert_eq!(w("how about friday").date, Some(d(11, 20)));
    assert_eq!(w("next friday afternoon").date, Some(d(11, 20)));
    assert_eq!(w("next friday afternoon").window, Some((720, 1020)));
    assert_eq!(w("on monday").date, Some(d(11, 23)));
    assert_eq!(w("next wednesday").date, Some(d(11, 25)));
    assert_eq!(w("today please").date, Some(today()));
    assert_eq!(w("a week from today").date, Some(d(11, 25)));
    assert_eq!(
        w("three days from now in the morning").date,
        Some(d(11, 21))
    );
    assert_eq!(
        w("three days from now in the morning").window,
        Some(MORNING)
    );
    assert_eq!(w("2 weeks from tomorrow").date, Some(d(12, 3)));
    // Not a count from a day: left to the other readers.
    assert_eq!(w("a week from friday").date, Some(d(11, 20)));
}

#[test]
fn calendar_dates() {
    assert_eq!(w("the 14th").date, Some(d(12, 14)));
    assert_eq!(w("on the 20th").date, Some(d(11, 20)));
    assert_eq!(w("december 5th").date, Some(d(12, 5)));
    assert_eq!(w("dec 3").date, Some(d(12, 3)));
    assert_eq!(w("the fifth of december").date, Some(d(12, 5)));
    assert_eq!(w("on the twenty first").date, Some(d(11, 21)));
    assert_eq!(w("12/24").date, Some(d(12, 24)));
    assert_eq!(
        w("january 2nd").date,
        Some(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap())
    );
    assert_eq!(w("maybe the first one").date, None);
}

#[test]
fn clock_times_in_many_spoken_forms() {
    for (s, m) in [
        ("tomorrow at 3", 15 * 60),
        (
            "any chance you have 1 in the afternoon open thursday",
            13 * 60,
        ),
        ("is 9 tomorrow morning free", 9 * 60),
        ("could you do 7 in the evening", 19 * 60),
        ("tomorrow at 3pm", 15 * 60),
        ("at 3:30", 15 * 60 + 30),
        ("at three thirty", 15 * 60 + 30),
        ("around 10 in the morning", 10 * 60),
        ("at 9", 9 * 60),
        ("half past two", 14 * 60 + 30),
        ("quarter to five", 16 * 60 + 45),
        ("noon", 12 * 60),
        ("11 a m", 11 * 60),
        ("2 p.m.", 14 * 60),
        ("at 8 in the evening", 20 * 60),
        ("at 4 o'clock", 16 * 60),
        ("1530", 15 * 60 + 30),
        ("saturday, like 11ish", 11 * 60),
        ("around 2ish", 14 * 60),
    ] {
        assert_eq!(w(s).time, Some(m), "{s}");
    }
    assert_eq!(w("tomorrow at 3").date, Some(d(11, 19)));
}

#[test]
fn windows_spans_and_offsets() {
    assert_eq!(w("this weekend").span, Some((d(11, 21), d(11, 22))));
    assert_eq!(w("next week").span, Some((d(11, 23), d(11, 29))));
    assert_eq!(w("sometime after 3").window, Some((900, 1440)));
    assert_eq!(w("before noon on friday").window, Some((0, 720)));
    let two_hours = w("in two hours");
    assert_eq!((two_hours.date, two_hours.time), (Some(today()), Some(720)));
    assert_eq!(w("in 3 days").date, Some(d(11, 21)));
}

#[test]
fn counts_and_sizes_are_not_times() {
    assert_eq!(w("two large pizzas").time, None);
    assert_eq!(w("a 10 by 10 unit").time, None);
    assert_eq!(w("for 3 people").time, None);
    assert!(find(&words("i want a pizza"), today(), 600, false).is_none());
}

#[test]
fn loose_reading_takes_a_bare_hour_when_a_time_was_asked() {
    let ws = words("3");
    assert_eq!(
        find(&ws, today(), 600, true).and_then(|w| w.time),
        Some(900)
    );
    assert_eq!(find(&ws, today(), 600, false), None);
}

#[test]
fn one_that_points_at_something_is_not_one_oclock() {
    let loose = |s: &str| find(&words(s), today(), 600, true).and_then(|w| w.time);
    for s in [
        "the earliest one, we like to get it done early",
        "that one works",
        "I'll take the later one",
        "the second one you said",
        "either one is fine",
        "the other one",
    ] {
        assert_eq!(loose(s), None, "{s}");
    }
    // Nor is a number before the verb "am": "quick one, am I too old to learn piano?"
    for s in [
        "quick one, am i too old to learn piano at 52",
        "just one am i allowed to bring my kid",
        "sorry, 2 am i right that you close at 5",
    ] {
        assert_ne!(w(s).time, Some(60), "{s}");
        assert_ne!(w(s).time, Some(2 * 60), "{s}");
    }
    assert_eq!(w("at 1 am").time, Some(60));
    // A one that is a time stays one.
    assert_eq!(loose("one works"), Some(13 * 60));
    assert_eq!(w("how about one").time, Some(13 * 60));
    assert_eq!(w("at one o'clock").time, Some(13 * 60));
}

#[test]
fn a_number_without_a_colon_is_a_time_only_when_said_as_one() {
    for s in [
        "i'd like a quote on a timing belt for a 2012 honda odyssey",
        "we have about 250 boxes to move next month",
        "it's the 1998 model, the one with the blue door",
        "call me back at 303-200-0066",
        "reach me at (720) 555 0142 any time",
    ] {
        assert_eq!(w(s).time, None, "{s}");
    }
    assert_eq!(w("can you do 1030 am tomorrow").time, Some(10 * 60 + 30));
    assert_eq!(w("tomorrow at 1530 if you can").time, Some(15 * 60 + 30));
    // Asked for a time, a short answer is one.
    let loose = |s: &str| find(&words(s), today(), 600, true).and_then(|w| w.time);
    assert_eq!(loose("830 works"), Some(8 * 60 + 30));
    assert_eq!(loose("a 2012 honda odyssey, timing belt"), None);
}

#[test]
fn durations() {
    assert_eq!(
        duration(&words("for six months")),
        Some(chrono::Duration::days(180))
    );
    assert_eq!(
        duration(&words("about 2 hours")),
        Some(chrono::Duration::hours(2))
    );
}

/// A greeting names no part of the day; the same word after "in the" or a day does.
#[test]
fn a_greeting_is_not_a_time() {
    assert_eq!(w("good morning, do you take walk-ins").window, None);
    assert_eq!(w("Good afternoon! quick question").window, None);
    assert_eq!(w("good evening, friday works").date, Some(d(11, 20)));
    assert_eq!(w("good evening, friday works").window, None);
    assert_eq!(w("friday morning is good").window, Some(MORNING));
    assert_eq!(w("anything good in the afternoon").window, Some(AFTERNOON));
}
