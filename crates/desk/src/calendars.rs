//! Private calendar feeds (RFC 5545 iCalendar) that Google Calendar, Outlook and Apple Calendar
//! subscribe to: the business's appointments, or one staff member's, in the business's time
//! zone (with its `VTIMEZONE`, daylight-saving changes included), each under a UID that never
//! changes, its `SEQUENCE` counting the changes, a cancelled one marked `CANCELLED`.
//!
//! A feed's URL carries a secret made here and shown once; only its hash is stored, and a
//! revoked feed's URL answers "not found".

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use frontdesk_engine::Profile;
use frontdesk_store::appointments::Appointment;
use frontdesk_store::calendars::{self, CalendarFeed};
use frontdesk_store::states::AppointmentStatus;
use frontdesk_store::{Db, Exec, Result, StoreError, Tenant};

use crate::accounts::{random_secret, sha256_hex};

/// What a feed's secret starts with (so a leaked one is recognisable in a scan).
const TOKEN_PREFIX: &str = "cal_";
/// How far back a feed reaches: last month's appointments stay visible.
const PAST_DAYS: i64 = 31;
/// How far ahead.
const AHEAD_DAYS: i64 = 400;
/// The most appointments one feed carries.
const FEED_MAX: u32 = 10_000;

/// Makes a feed for `staff` (the whole business when `None`); returns it with its secret,
/// which is never stored and cannot be shown again.
pub async fn create<E: Exec>(
    t: &mut Tenant<E>,
    staff: Option<&str>,
    created_by: Option<&str>,
    now: i64,
) -> Result<(CalendarFeed, String)> {
    let token = random_secret(TOKEN_PREFIX);
    let feed = t
        .create_calendar_feed(staff, &sha256_hex(&token), created_by, now)
        .await?;
    Ok((feed, token))
}

/// The path of a feed's URL, under the installation's public URL.
pub fn path(token: &str) -> String {
    format!("/calendar/{token}.ics")
}

/// The iCalendar text of the live feed whose secret is `token`; `NotFound` for an unknown or
/// revoked one (the same answer, so a guess learns nothing).
pub async fn render(
    db: &Db,
    host: &crate::host::Host,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Err(StoreError::NotFound);
    }
    let feed = calendars::feed_by_hash(&mut db.clone(), &sha256_hex(token)).await?;
    let mut t = db.tenant(&feed.business_id);
    let loaded = host.load(&mut t).await?;
    let from = (now - Duration::days(PAST_DAYS)).timestamp_millis();
    let until = (now + Duration::days(AHEAD_DAYS)).timestamp_millis();
    let list = t
        .staff_appointments_between(from, until, feed.staff.as_deref(), FEED_MAX)
        .await?;
    Ok(ical(&loaded.profile, feed.staff.as_deref(), &list, now))
}

/// The iCalendar document of `list`, for `profile`'s business (and `staff`'s, when given).
pub fn ical(
    profile: &Profile,
    staff: Option<&str>,
    list: &[Appointment],
    now: DateTime<Utc>,
) -> String {
    let tz = profile.timezone.0;
    let mut out = Ical::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//frontdesk//Appointments//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    let name = match staff {
        Some(s) => format!("{} ({s})", profile.name.as_str()),
        None => profile.name.as_str().to_owned(),
    };
    out.prop("NAME", &text(&name));
    out.prop("X-WR-CALNAME", &text(&name));
    out.prop("X-WR-TIMEZONE", tz.name());
    // RFC 7986 and its older spelling: how often a subscriber should look again.
    out.line("REFRESH-INTERVAL;VALUE=DURATION:PT15M");
    out.line("X-PUBLISHED-TTL:PT15M");
    let first = list
        .iter()
        .map(|a| a.start_at)
        .min()
        .unwrap_or(now.timestamp_millis());
    let last = list
        .iter()
        .map(|a| a.end_at)
        .max()
        .unwrap_or(now.timestamp_millis());
    vtimezone(&mut out, tz, first / 1000 - 86_400, last / 1000 + 86_400);
    let stamp = utc(now.timestamp_millis());
    for a in list {
        out.line("BEGIN:VEVENT");
        out.prop("UID", &format!("{}@frontdesk", a.id));
        out.prop("DTSTAMP", &stamp);
        out.prop(
            &format!("DTSTART;TZID={}", tz.name()),
            &local(tz, a.start_at),
        );
        out.prop(&format!("DTEND;TZID={}", tz.name()), &local(tz, a.end_at));
        out.prop("CREATED", &utc(a.created_at));
        out.prop("LAST-MODIFIED", &utc(a.updated_at));
        out.prop("SEQUENCE", &a.revision.to_string());
        let who = a.name.as_deref().unwrap_or("a customer");
        out.prop("SUMMARY", &text(&format!("{} — {who}", a.service)));
        let mut about = Vec::new();
        if let Some(s) = &a.staff {
            about.push(format!("With {s}"));
        }
        if let Some(p) = &a.phone {
            about.push(format!("Phone {p}"));
        }
        match a.status {
            AppointmentStatus::Completed => about.push("Completed".into()),
            AppointmentStatus::NoShow => about.push("No-show".into()),
            AppointmentStatus::Cancelled => about.push(match (&a.cancelled_by, &a.cancel_reason) {
                (Some(by), Some(why)) => format!("Cancelled by the {}: {why}", by.as_str()),
                (Some(by), None) => format!("Cancelled by the {}", by.as_str()),
                (None, Some(why)) => format!("Cancelled: {why}"),
                (None, None) => "Cancelled".into(),
            }),
            AppointmentStatus::Booked => {}
        }
        if !about.is_empty() {
            out.prop("DESCRIPTION", &text(&about.join("\n")));
        }
        out.prop(
            "STATUS",
            if a.status == AppointmentStatus::Cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            },
        );
        // A cancelled appointment no longer makes anyone busy.
        out.prop(
            "TRANSP",
            if a.status == AppointmentStatus::Cancelled {
                "TRANSPARENT"
            } else {
                "OPAQUE"
            },
        );
        out.line("END:VEVENT");
    }
    out.line("END:VCALENDAR");
    out.0
}

/// Content lines joined by CRLF, each folded at 75 octets (RFC 5545 §3.1), never inside a
/// character.
#[derive(Default)]
struct Ical(String);

impl Ical {
    fn prop(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{value}"));
    }

    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            let n = c.len_utf8();
            if width + n > 75 {
                self.0.push_str("\r\n ");
                width = 1;
            }
            self.0.push(c);
            width += n;
        }
        self.0.push_str("\r\n");
    }
}

/// A TEXT value with its specials escaped (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A UTC DATE-TIME (`20270314T150000Z`).
fn utc(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A local DATE-TIME in `tz` (`20270314T100000`), read with its `TZID`.
fn local(tz: Tz, ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// The zone's offset (seconds east of UTC), whether it is summer time, and its abbreviation,
/// at `secs` since the epoch.
fn offset_at(tz: Tz, secs: i64) -> (i32, bool, String) {
    let o = tz.offset_from_utc_datetime(
        &DateTime::from_timestamp(secs, 0)
            .unwrap_or_default()
            .naive_utc(),
    );
    let abbr = o
        .abbreviation()
        .map_or_else(|| offset_name(o.fix().local_minus_utc()), str::to_owned);
    (o.fix().local_minus_utc(), !o.dst_offset().is_zero(), abbr)
}

/// `+0530`, `-0500`: an offset as iCalendar writes it (UTC-OFFSET).
fn offset_name(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// The `VTIMEZONE` of `tz` over `[from, until]` (seconds since the epoch): the observance in
/// force at `from`, then one per change of offset, each starting at the local time it begins
/// (written in the offset before it, as RFC 5545 §3.6.5 asks).
fn vtimezone(out: &mut Ical, tz: Tz, from: i64, until: i64) {
    const DAY: i64 = 86_400;
    out.line("BEGIN:VTIMEZONE");
    out.prop("TZID", tz.name());
    let observance =
        |out: &mut Ical, at: i64, before: (i32, bool, String), after: &(i32, bool, String)| {
            let kind = if after.1 { "DAYLIGHT" } else { "STANDARD" };
            let starts = DateTime::from_timestamp(at + i64::from(before.0), 0)
                .unwrap_or_default()
                .naive_utc();
            out.line(&format!("BEGIN:{kind}"));
            out.prop("DTSTART", &starts.format("%Y%m%dT%H%M%S").to_string());
            out.prop("TZOFFSETFROM", &offset_name(before.0));
            out.prop("TZOFFSETTO", &offset_name(after.0));
            out.prop("TZNAME", &text(&after.2));
            out.line(&format!("END:{kind}"));
        };
    let mut now = offset_at(tz, from);
    observance(out, from, now.clone(), &now);
    let mut t = from;
    while t < until {
        let next = (t + DAY).min(until);
        let then = offset_at(tz, next);
        if then.0 != now.0 || then.1 != now.1 {
            // The first second of the new offset: between t (old) and next (new).
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let m = offset_at(tz, mid);
                if m.0 == now.0 && m.1 == now.1 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let after = offset_at(tz, hi);
            observance(out, hi, now, &after);
            now = after;
        }
        t = next;
    }
    out.line("END:VTIMEZONE");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn lines_fold_at_75_octets_and_never_inside_a_character() {
        let mut out = Ical::default();
        let long = format!("SUMMARY:{}", "é".repeat(100));
        out.line(&long);
        for l in out.0.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
        }
        assert_eq!(unfold(&out.0), format!("{long}\r\n"));
    }

    #[test]
    fn text_values_escape_their_specials() {
        assert_eq!(text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn a_zone_with_summer_time_names_each_change_at_its_local_time() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2027: DST starts Sun Mar 14 at 2:00 EST, ends Sun Nov 7 at 2:00 EDT.
        let from = Utc
            .with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let until = Utc
            .with_ymd_and_hms(2027, 12, 31, 0, 0, 0)
            .unwrap()
            .timestamp();
        let mut out = Ical::default();
        vtimezone(&mut out, tz, from, until);
        let s = out.0;
        assert!(s.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"), "{s}");
        assert!(s.contains("BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"), "{s}");
        // A zone without changes has its one observance.
        let mut out = Ical::default();
        vtimezone(&mut out, "Asia/Kolkata".parse().unwrap(), from, until);
        assert_eq!(out.0.matches("BEGIN:STANDARD").count(), 1);
        assert!(out.0.contains("TZOFFSETTO:+0530"), "{}", out.0);
    }
}
