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

/// The plain reading of the rule, kept here as the reference the indexed search must match:
/// every candidate time of every resource checked against every busy time.
fn free_slots_by_the_definition(
    p: &Profile,
    service: &str,
    now: DateTime<Utc>,
    from: NaiveDate,
    days: u32,
    busy: &[Busy],
) -> Vec<Slot> {
    let svc = find_service(p, service).unwrap();
    let who = resources(p, svc.name.as_str()).unwrap();
    let tz = p.timezone.0;
    let length = Duration::minutes(i64::from(svc.duration_min.0));
    let buffer = Duration::minutes(i64::from(p.booking.buffer_min));
    let earliest = now + Duration::minutes(i64::from(p.booking.min_notice_min));
    let last_day =
        now.with_timezone(&tz).date_naive() + Duration::days(i64::from(p.booking.max_days_ahead.0));
    let mut out = Vec::new();
    for offset in 0..days {
        let date = from + Duration::days(i64::from(offset));
        if date > last_day {
            break;
        }
        let mut day: Vec<Slot> = Vec::new();
        for staff in &who {
            let name = staff.map(|s| s.name.as_str().to_owned());
            for range in open_ranges(p, *staff, date) {
                let mut minute = u32::from(range.start_min);
                while minute + svc.duration_min.0 <= u32::from(range.end_min) {
                    let start_min = minute;
                    minute += p.booking.slot_step_min.0;
                    let Some(start) = at(tz, date, start_min) else {
                        continue;
                    };
                    let end = start + length;
                    match at(tz, date, u32::from(range.end_min)) {
                        Some(close) if end <= close => {}
                        _ => continue,
                    }
                    if start.with_timezone(&Utc) < earliest {
                        continue;
                    }
                    let taken = busy.iter().any(|b| {
                        (b.staff.is_none() || b.staff == name || name.is_none())
                            && start.with_timezone(&Utc) < b.end + buffer
                            && end.with_timezone(&Utc) + buffer > b.start
                    });
                    if !taken && !day.iter().any(|s| s.start == start) {
                        day.push(Slot {
                            start,
                            end,
                            staff: name.clone(),
                        });
                    }
                }
            }
        }
        day.sort_by_key(|s| s.start);
        out.extend(day);
    }
    out
}

/// Thousands of generated businesses and calendars (staff or none, own hours, buffers, steps,
/// busy times of any length for staff, for the whole business and for people not on the staff,
/// across a clock change): the indexed search offers exactly the times the definition does.
#[test]
fn the_indexed_search_offers_exactly_what_the_definition_does() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for case in 0..2_000 {
        let staffed = next(3) > 0;
        let mut y = format!(
            "version: 1\nslug: g{case}\nname: G\nkind: appointments\ntimezone: {}\nphone: \"+15125550100\"\n\
             hours: {{mon: \"08:00-18:00\", tue: \"09:00-17:00\", wed: \"07:30-19:00\", thu: \"09:00-12:00\", fri: \"10:00-20:00\", sat: \"09:00-13:00\", sun: \"11:00-15:00\"}}\n\
             services:\n  - {{name: A, duration_min: {}}}\n",
            [
                "America/Chicago",
                "Europe/Berlin",
                "Asia/Kolkata",
                "America/New_York"
            ][next(4) as usize],
            [15, 30, 45, 60, 90, 120][next(6) as usize]
        );
        if staffed {
            y.push_str("staff:\n");
            for s in 0..(1 + next(4)) {
                if next(2) == 0 {
                    y.push_str(&format!("  - {{name: S{s}, services: [A]}}\n"));
                } else {
                    y.push_str(&format!("  - {{name: S{s}, services: [A], hours: {{mon: \"06:00-14:00\", wed: \"12:00-21:00\", sat: \"08:00-16:00\"}}}}\n"));
                }
            }
        }
        y.push_str(&format!(
            "booking: {{slot_step_min: {}, min_notice_min: {}, max_days_ahead: 40, buffer_min: {}}}\n",
            [5, 15, 30, 60][next(4) as usize],
            next(240),
            [0, 5, 10, 30][next(4) as usize]
        ));
        let p = profile(&y);
        // Around the March 2027 clock change in America and Europe.
        let now = Utc
            .with_ymd_and_hms(2027, 3, 10 + next(5) as u32, next(24) as u32, 0, 0)
            .unwrap();
        let from = now.date_naive() + Duration::days(next(4) as i64 - 1);
        let mut busy = Vec::new();
        for _ in 0..next(120) {
            let start = now + Duration::minutes(next(10 * 24 * 60) as i64 - 24 * 60);
            let staff = match next(6) {
                0 => None,
                1 => Some("Nobody".to_owned()),
                n => Some(format!("S{}", n % 4)),
            };
            busy.push(Busy {
                start,
                end: start + Duration::minutes(5 + next(300) as i64),
                staff,
            });
        }
        let days = 1 + next(7) as u32;
        let fast = free_slots(&p, "A", now, from, days, &busy).unwrap();
        let plain = free_slots_by_the_definition(&p, "A", now, from, days, &busy);
        assert_eq!(fast, plain, "case {case}:\n{y}");
    }
}

/// A business that keeps its country's holidays: no free time on Thanksgiving, its usual hours
/// on a holiday it opens anyway, and a closure entry's hours on a holiday win; the agent says
/// it is closed for the holiday by name.
#[test]
fn public_holidays_close_the_day_unless_the_profile_says_otherwise() {
    let with = |extra: &str| profile(&format!("{BASE}{extra}"));
    let thanksgiving = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let now = chicago(2026, 11, 20, 9, 0);
    let on = |p: &Profile, d: NaiveDate| free_slots(p, "Consult", now, d, 1, &[]).unwrap().len();
    assert_eq!(
        on(&with(""), thanksgiving),
        15,
        "an ordinary Thursday without holidays"
    );
    let us = with("holidays:\n  country: US\n");
    assert_eq!(on(&us, thanksgiving), 0);
    assert_eq!(on(&us, thanksgiving - Duration::days(1)), 15);
    let open = with("holidays:\n  country: US\n  open: [2026-11-26]\n");
    assert_eq!(on(&open, thanksgiving), 15);
    let short = with(
        "holidays:\n  country: US\nclosures:\n  - date: 2026-11-26\n    hours: \"09:00-11:00\"\n",
    );
    assert_eq!(on(&short, thanksgiving), 3);
    let said =
        crate::agent::facts::hours_for_date(&us, thanksgiving, thanksgiving - Duration::days(6));
    assert!(
        said.contains("closed") && said.contains("Thanksgiving Day"),
        "{said}"
    );
    let month: Vec<NaiveDate> = us
        .closures_between(thanksgiving - Duration::days(30), thanksgiving)
        .iter()
        .map(|c| c.date)
        .collect();
    assert_eq!(
        month,
        [NaiveDate::from_ymd_opt(2026, 11, 11).unwrap(), thanksgiving]
    );
}
