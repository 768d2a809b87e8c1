//! Calendar feeds: a booking made through the agent, and appointments on both sides of a
//! daylight-saving change, reach the private iCalendar feed, which Python's `icalendar` (an
//! implementation nobody here wrote) reads back at the right instants, through the feed's own
//! VTIMEZONE as well as the zone's name; changes keep the UID and bump SEQUENCE; a cancelled
//! appointment is marked cancelled; a staff member's feed has only theirs; a revoked or
//! guessed address is not found; and only managers and owners make feeds.

use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Offset, TimeZone, Utc};
use serde_json::{Value, json};

use crate::agent::{say, start};
use crate::{App, on_both};

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");

on_both!(a_feed_carries_the_bookings_at_their_local_times_across_a_clock_change);

/// Reads an iCalendar document with Python's `icalendar`: for each event its UID, SEQUENCE,
/// STATUS, SUMMARY and start as epoch ms twice — as the library resolves the TZID, and through
/// the feed's own VTIMEZONE — or `None` when the library is not installed (CI requires it).
fn python_reads(ics: &str) -> Option<Vec<Value>> {
    use std::io::Write;
    let script = r#"
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
zones = {z['TZID']: z.to_tz() for z in cal.walk('VTIMEZONE')}
out = []
for ev in cal.walk('VEVENT'):
    start = ev.decoded('DTSTART')
    tzid = ev['DTSTART'].params.get('TZID')
    naive = start.replace(tzinfo=None)
    own = naive.replace(tzinfo=zones[tzid]) if tzid in zones else None
    out.append({
        'uid': str(ev['UID']),
        'sequence': int(ev.get('SEQUENCE', 0)),
        'status': str(ev.get('STATUS', '')),
        'summary': str(ev.get('SUMMARY', '')),
        'local': naive.strftime('%Y-%m-%dT%H:%M'),
        'start': int(start.timestamp() * 1000),
        'start_own_zone': int(own.timestamp() * 1000) if own else None,
        'end': int(ev.decoded('DTEND').timestamp() * 1000),
    })
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(ics.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("No module named")
                && std::env::var_os("FRONTDESK_TEST_REQUIRE_ICALENDAR").is_none(),
            "icalendar failed: {err}\n{ics}"
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// The first day, from tomorrow on, whose noon is at another UTC offset than the day before's
/// in `tz`: the day after a clock change.
fn day_after_a_clock_change(tz: chrono_tz::Tz) -> NaiveDate {
    let noon = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .offset()
            .fix()
    };
    let today = Utc::now().with_timezone(&tz).date_naive();
    (2..400)
        .map(|i| today + Duration::days(i))
        .find(|d| noon(*d) != noon(*d - Duration::days(1)))
        .expect("a zone with summer time changes within a year")
}

async fn feed(app: &App, url: &str) -> (StatusCode, String) {
    let path = url
        .split_once("/calendar/")
        .map(|(_, t)| format!("/calendar/{t}"))
        .unwrap();
    let r = app.call("GET", &path, None, None).await;
    if r.status == StatusCode::OK {
        assert_eq!(
            r.headers["content-type"], "text/calendar; charset=utf-8",
            "{:?}",
            r.headers
        );
    }
    (r.status, r.text)
}

async fn a_feed_carries_the_bookings_at_their_local_times_across_a_clock_change(app: App) {
    let b = app.business(ROOTER).await;
    let tz: chrono_tz::Tz = "America/Denver".parse().unwrap();

    // One booking through the agent, as a caller makes it.
    let c = start(
        &app,
        &b,
        json!({"channel": "sms", "caller": "+13035550190"}),
    )
    .await;
    say(
        &app,
        &b,
        &c,
        "my shower drain is totally clogged, can you send someone",
    )
    .await;
    say(&app, &b, &c, "whatever is soonest").await;
    say(&app, &b, &c, "the first one works").await;
    say(&app, &b, &c, "Casey Morgan").await;
    say(&app, &b, &c, "yes").await;
    let list = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 1, "{}", list.text);
    let booked = list.json[0].clone();

    // Two at 10 AM, the day before and the day after a clock change, for Jordan.
    let after = day_after_a_clock_change(tz);
    let ten = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    let mut ids = Vec::new();
    for d in [after - Duration::days(1), after] {
        let mut tx = app.db.begin().await.unwrap();
        let mut t = tx.tenant(&bid);
        t.lock_business().await.unwrap();
        let a = t
            .book_appointment(
                &frontdesk_store::appointments::NewAppointment {
                    customer: None,
                    conversation: None,
                    service: "Leak inspection",
                    staff: Some("Jordan"),
                    start_at: ten(d),
                    end_at: ten(d) + 3_600_000,
                    buffer_ms: 0,
                },
                frontdesk_store::now_ms(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ids.push(a.id.to_string());
    }

    // A feed of everything: made once, its address shown once.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/calendar-feeds"),
            Some(&app.op),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.json["url"].as_str().unwrap().to_owned();
    assert!(
        url.contains("/calendar/cal_") && url.ends_with(".ics"),
        "{url}"
    );
    let (status, ics) = feed(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{ics}");
    assert!(
        ics.contains("BEGIN:VTIMEZONE\r\nTZID:America/Denver\r\n"),
        "{ics}"
    );
    assert!(ics.lines().all(|l| l.len() <= 76), "a line over 75 octets");

    if let Some(events) = python_reads(&ics) {
        assert_eq!(events.len(), 3, "{events:?}");
        let by_uid = |id: &str| {
            events
                .iter()
                .find(|e| e["uid"] == format!("{id}@frontdesk"))
                .unwrap_or_else(|| panic!("{id} not in {events:?}"))
                .clone()
        };
        let agent = by_uid(booked["id"].as_str().unwrap());
        assert_eq!(agent["start"], booked["start_at"], "{agent}");
        assert_eq!(agent["start_own_zone"], booked["start_at"], "{agent}");
        assert_eq!(agent["end"], booked["end_at"]);
        assert!(
            agent["summary"].as_str().unwrap().contains("Casey Morgan"),
            "{agent}"
        );
        assert_eq!(agent["status"], "CONFIRMED");
        assert_eq!(agent["sequence"], 0);
        // Both sides of the clock change: 10 AM local, at different UTC instants.
        for (id, d) in ids.iter().zip([after - Duration::days(1), after]) {
            let e = by_uid(id);
            assert_eq!(e["local"], format!("{d}T10:00"), "{e}");
            assert_eq!(e["start"], ten(d), "{e}");
            assert_eq!(
                e["start_own_zone"],
                ten(d),
                "the feed's VTIMEZONE: {e}\n{ics}"
            );
        }
    }

    // The agent's booking is cancelled, one of Jordan's moved: same UIDs, SEQUENCE counts.
    let r = app
        .call(
            "POST",
            &format!(
                "/api/v1/businesses/{b}/appointments/{}/cancel",
                booked["id"].as_str().unwrap()
            ),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let moved_to = tz
        .from_local_datetime(&(after + Duration::days(1)).and_hms_opt(11, 0, 0).unwrap())
        .unwrap();
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/appointments/{}/move", ids[0]),
            Some(&app.op),
            Some(json!({"start": moved_to.to_rfc3339()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (_, ics) = feed(&app, &url).await;
    if let Some(events) = python_reads(&ics) {
        let agent = events
            .iter()
            .find(|e| e["uid"] == format!("{}@frontdesk", booked["id"].as_str().unwrap()))
            .unwrap();
        assert_eq!(agent["status"], "CANCELLED", "{agent}");
        assert_eq!(agent["sequence"], 1);
        let moved = events
            .iter()
            .find(|e| e["uid"] == format!("{}@frontdesk", ids[0]))
            .unwrap();
        assert_eq!(moved["sequence"], 1);
        assert_eq!(moved["start"], moved_to.timestamp_millis(), "{moved}");
    } else {
        assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
    }

    // Jordan's own feed has only Jordan's; a name not on the staff is refused.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/calendar-feeds"),
            Some(&app.op),
            Some(json!({"staff": "Jordan"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let jordan = r.json["url"].as_str().unwrap().to_owned();
    let (_, ics) = feed(&app, &jordan).await;
    let theirs = 2 + usize::from(booked["staff"] == "Jordan");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), theirs, "{ics}");
    assert!(ics.contains("Rapid Rooter Plumbing (Jordan)"), "{ics}");
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/calendar-feeds"),
            Some(&app.op),
            Some(json!({"staff": "Nobody"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // The list shows both, without their secrets; an agent may not list or make one.
    let r = app
        .get(&format!("/api/v1/businesses/{b}/calendar-feeds"))
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 2, "{}", r.text);
    assert!(!r.text.contains("cal_"), "a secret in the list: {}", r.text);
    let agent = app.member(&b, "desk@example.com", "agent").await;
    for (m, body) in [("GET", None), ("POST", Some(json!({})))] {
        let r = app
            .call(
                m,
                &format!("/api/v1/businesses/{b}/calendar-feeds"),
                Some(&agent),
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m}: {}", r.text);
    }

    // Revoked: not found at once, like a guessed or malformed address; the other still works.
    let feeds = app
        .get(&format!("/api/v1/businesses/{b}/calendar-feeds"))
        .await;
    let all_id = feeds
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["staff"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/calendar-feeds/{all_id}/revoke"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(feed(&app, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(feed(&app, &jordan).await.0, StatusCode::OK);
    let guessed = url.replace("/calendar/cal_", "/calendar/cal_x");
    for bad in [
        guessed.as_str(),
        "http://x/calendar/cal_.ics",
        "http://x/calendar/nothing",
        "http://x/calendar/%00.ics",
    ] {
        assert_eq!(feed(&app, bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/calendar-feeds/{all_id}/revoke"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "revoked twice: {}", r.text);
}
