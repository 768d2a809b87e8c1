use chrono::{NaiveDate, TimeZone, Timelike, Utc};

use super::*;

const BASE: &str = r#"version: 1
slug: clinic
name: Clinic
kind: appointments
timezone: America/Chicago
phone: "+15125550100"
hours:
  mon: "09:00-17:00"
  tue: "09:00-17:00"
  wed: "09:00-17:00"
  thu: "09:00-17:00"
services:
  - name: Consult
    duration_min: 60
  - name: Cleaning
    duration_min: 30
booking:
  slot_step_min: 30
  min_notice_min: 60
  max_days_ahead: 60
  buffer_min: 0
"#;

fn profile(src: &str) -> Profile {
    Profile::from_yaml(src).unwrap()
}

/// 2026-11-23 is a Monday; Chicago is on UTC-6 then.
fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn chicago(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::America::Chicago
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn times(slots: &[Slot]) -> Vec<String> {
    slots
        .iter()
        .map(|s| s.start.format("%a %H:%M").to_string())
        .collect()
}

#[test]
fn an_open_day_offers_every_step_that_fits() {
    let p = profile(BASE);
    let slots = free_slots(&p, "consult", chicago(2026, 11, 23, 6, 0), monday(), 1, &[]).unwrap();
    let t = times(&slots);
    assert_eq!(t.len(), 15, "{t:?}");
    assert_eq!((t[0].as_str(), t[14].as_str()), ("Mon 09:00", "Mon 16:00"));
    assert_eq!(slots[0].end - slots[0].start, Duration::minutes(60));
    assert_eq!(
        slots[0].start.with_timezone(&Utc).hour(),
        15,
        "09:00 in Chicago is 15:00 UTC"
    );
}

#[test]
fn notice_pushes_the_first_slot_to_the_next_step() {
    let p = profile(BASE);
    let slots = free_slots(
        &p,
        "Consult",
        chicago(2026, 11, 23, 10, 10),
        monday(),
        1,
        &[],
    )
    .unwrap();
    assert_eq!(times(&slots)[0], "Mon 11:30");
}

#[test]
fn appointments_and_their_buffers_block_time() {
    let p = profile(&BASE.replace("buffer_min: 0", "buffer_min: 15"));
    let busy = [Busy {
        start: chicago(2026, 11, 23, 12, 0),
        end: chicago(2026, 11, 23, 13, 0),
        staff: None,
    }];
    let t = times(
        &free_slots(
            &p,
            "Consult",
            chicago(2026, 11, 23, 6, 0),
            monday(),
            1,
            &busy,
        )
        .unwrap(),
    );
    for taken in [
        "Mon 11:00",
        "Mon 11:30",
        "Mon 12:00",
        "Mon 12:30",
        "Mon 13:00",
    ] {
        assert!(
            !t.contains(&taken.to_owned()),
            "{taken} overlaps the 12:00 appointment or its buffer: {t:?}"
        );
    }
    assert!(
        t.contains(&"Mon 10:30".to_owned()) && t.contains(&"Mon 13:30".to_owned()),
        "{t:?}"
    );
}

#[test]
fn closures_close_or_shorten_a_day() {
    let src = format!(
        "{BASE}closures:\n  - date: 2026-11-26\n    note: Thanksgiving\n  - date: 2026-11-24\n    hours: \"09:00-12:00\"\n"
    );
    let p = profile(&src);
    let t =
        times(&free_slots(&p, "Consult", chicago(2026, 11, 23, 6, 0), monday(), 4, &[]).unwrap());
    let tue: Vec<_> = t.iter().filter(|s| s.starts_with("Tue")).collect();
    assert_eq!(
        tue,
        [
            "Tue 09:00",
            "Tue 09:30",
            "Tue 10:00",
            "Tue 10:30",
            "Tue 11:00"
        ]
    );
    assert!(
        !t.iter().any(|s| s.starts_with("Thu")),
        "closed on Thanksgiving: {t:?}"
    );
    assert!(t.iter().any(|s| s.starts_with("Wed")));
}

#[test]
fn split_hours_never_straddle_the_break() {
    let p = profile(&BASE.replace("mon: \"09:00-17:00\"", "mon: \"08:00-12:00, 13:00-17:00\""));
    let t =
        times(&free_slots(&p, "Consult", chicago(2026, 11, 22, 6, 0), monday(), 1, &[]).unwrap());
    assert!(t.contains(&"Mon 11:00".to_owned()) && t.contains(&"Mon 13:00".to_owned()));
    for gap in ["Mon 11:30", "Mon 12:00", "Mon 12:30"] {
        assert!(!t.contains(&gap.to_owned()), "{gap}: {t:?}");
    }
}

#[test]
fn staff_are_booked_separately_and_only_for_their_services() {
    let src = format!(
        "{BASE}staff:\n  - name: Ana\n    services: [Consult]\n    hours:\n      mon: \"09:00-12:00\"\n  - name: Ben\n    services: [Consult]\n"
    );
    let p = profile(&src);
    let busy = [Busy {
        start: chicago(2026, 11, 23, 9, 0),
        end: chicago(2026, 11, 23, 10, 0),
        staff: Some("Ana".into()),
    }];
    let slots = free_slots(
        &p,
        "Consult",
        chicago(2026, 11, 22, 6, 0),
        monday(),
        1,
        &busy,
    )
    .unwrap();
    let at = |hm: &str| {
        slots
            .iter()
            .find(|s| s.start.format("%H:%M").to_string() == hm)
            .and_then(|s| s.staff.clone())
    };
    assert_eq!(
        at("09:00").as_deref(),
        Some("Ben"),
        "Ana is busy, Ben is free"
    );
    assert_eq!(
        at("10:00").as_deref(),
        Some("Ana"),
        "the first free in profile order"
    );
    assert_eq!(
        at("14:00").as_deref(),
        Some("Ben"),
        "only Ben works afternoons"
    );
    assert_eq!(
        free_slots(
            &p,
            "Cleaning",
            chicago(2026, 11, 22, 6, 0),
            monday(),
            1,
            &[]
        ),
        Err(ScheduleError::NoStaff("Cleaning".into()))
    );
    assert_eq!(
        free_slots(&p, "Massage", chicago(2026, 11, 22, 6, 0), monday(), 1, &[]),
        Err(ScheduleError::UnknownService("Massage".into()))
    );
    // An appointment for the whole business blocks everyone.
    let all = [Busy {
        start: chicago(2026, 11, 23, 14, 0),
        end: chicago(2026, 11, 23, 15, 0),
        staff: None,
    }];
    let t = times(
        &free_slots(
            &p,
            "Consult",
            chicago(2026, 11, 22, 6, 0),
            monday(),
            1,
            &all,
        )
        .unwrap(),
    );
    assert!(!t.contains(&"Mon 14:00".to_owned()));
}

#[test]
fn nothing_is_offered_past_max_days_ahead() {
    let p = profile(&BASE.replace("max_days_ahead: 60", "max_days_ahead: 2"));
    let t = times(
        &free_slots(
            &p,
            "Consult",
            chicago(2026, 11, 23, 6, 0),
            monday(),
            10,
            &[],
        )
        .unwrap(),
    );
    assert!(t.iter().any(|s| s.starts_with("Wed")));
    assert!(
        !t.iter().any(|s| s.starts_with("Thu")),
        "Thursday is 3 days ahead: {t:?}"
    );
}

#[test]
fn the_hour_that_daylight_saving_skips_is_never_offered() {
    // 2027-03-14, a Sunday: Chicago's clocks jump from 02:00 to 03:00.
    let src = BASE
        .replace("  mon: \"09:00-17:00\"", "  sun: \"01:00-05:00\"")
        .replace(
            "duration_min: 30",
            "duration_min: 30\n  - name: Quick\n    duration_min: 30",
        );
    let p = profile(&src);
    let day = NaiveDate::from_ymd_opt(2027, 3, 14).unwrap();
    let slots = free_slots(&p, "Quick", chicago(2027, 3, 1, 9, 0), day, 1, &[]).unwrap();
    let t: Vec<String> = slots
        .iter()
        .map(|s| s.start.format("%H:%M %Z").to_string())
        .collect();
    assert_eq!(
        t,
        [
            "01:00 CST",
            "01:30 CST",
            "03:00 CDT",
            "03:30 CDT",
            "04:00 CDT",
            "04:30 CDT"
        ]
    );
    assert!(
        slots
            .iter()
            .all(|s| s.end - s.start == Duration::minutes(30))
    );
}
