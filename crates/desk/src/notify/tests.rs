use super::*;

fn rooter() -> Profile {
    Profile::from_yaml(include_str!("../../../../demo/rapid-rooter.yaml")).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn times_are_told_in_the_business_time_zone() {
    let p = rooter();
    assert_eq!(p.timezone.0.name(), "America/Denver");
    // 21:00 UTC is 2 PM in Denver in November (MST, UTC-7).
    let t = at("2026-11-24T21:00:00Z");
    assert_eq!(short_when(&p, t), "Tue Nov 24 at 2:00 PM");
    assert_eq!(
        long_when(&p, t),
        "Tuesday, November 24, 2026 at 2:00 PM (America/Denver)"
    );
}

#[test]
fn reminders_say_today_or_tomorrow_by_the_local_calendar() {
    let p = rooter();
    let appt = at("2026-11-24T16:00:00Z"); // 9 AM Tuesday in Denver
    // 11 PM Monday in Denver is already Tuesday in UTC: still "tomorrow" there.
    assert_eq!(
        relative_day(&p, appt, at("2026-11-24T06:00:00Z")),
        "tomorrow"
    );
    assert_eq!(relative_day(&p, appt, at("2026-11-24T14:00:00Z")), "today");
    assert_eq!(
        relative_day(&p, appt, at("2026-11-21T14:00:00Z")),
        "on Tuesday, November 24"
    );
}

#[test]
fn alerts_quote_at_most_a_few_hundred_characters() {
    let long = "water ".repeat(100);
    let q = quote(&long);
    assert!(q.ends_with('…'));
    assert!(q.chars().count() <= QUOTE_CHARS + 1);
    assert_eq!(quote("  burst pipe  "), "burst pipe");
}

#[test]
fn letters_greet_by_first_name_and_sign_with_the_business() {
    let p = rooter();
    let l = letter(
        &p,
        Some("Casey Morgan"),
        "your drain cleaning is booked.",
        "Call us.",
    );
    assert!(
        l.starts_with("Hello Casey,\n\nYour drain cleaning is booked."),
        "{l}"
    );
    assert!(l.contains("Rapid Rooter Plumbing\n+13035550140\n"), "{l}");
    assert!(letter(&p, None, "x", "y").starts_with("Hello,\n"));
}
