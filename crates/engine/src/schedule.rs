//! Free appointment slots, exactly as `spec/business-profile.md` defines availability: business
//! (or staff) hours, minus closures, minus existing appointments and their buffers, at
//! `slot_step_min` steps, no sooner than `min_notice_min` from now and no later than
//! `max_days_ahead`. Pure: the caller passes `now` and the appointments already booked.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::profile::{Profile, Service, TimeRange};

/// Time already taken: an existing appointment, for one staff member or (with `None`) for the
/// whole business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff: Option<String>,
}

/// A bookable slot, in the business's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    /// Who would do it; `None` when the business has no staff list.
    pub staff: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("there is no service called {0:?}")]
    UnknownService(String),
    #[error("nobody on the staff offers {0:?}")]
    NoStaff(String),
}

/// The service whose name matches `name`, ignoring case and surrounding space.
pub fn find_service<'p>(p: &'p Profile, name: &str) -> Option<&'p Service> {
    let name = name.trim();
    p.services
        .iter()
        .find(|s| s.name.as_str().eq_ignore_ascii_case(name))
}

/// Who can be booked for a service: the named staff who offer it, or the business itself.
fn resources<'p>(
    p: &'p Profile,
    service: &str,
) -> Result<Vec<Option<&'p crate::profile::Staff>>, ScheduleError> {
    if p.staff.is_empty() {
        return Ok(vec![None]);
    }
    // Profile validation guarantees staff name services exactly as they are defined.
    let offering: Vec<_> = p
        .staff
        .iter()
        .filter(|s| s.services.iter().any(|n| n == service))
        .map(Some)
        .collect();
    if offering.is_empty() {
        return Err(ScheduleError::NoStaff(service.to_owned()));
    }
    Ok(offering)
}

/// The open ranges of `date` for a resource: its own hours (or the business's), cut down by a
/// closure on that date (closed all day, or only the closure's hours).
fn open_ranges(
    p: &Profile,
    staff: Option<&crate::profile::Staff>,
    date: NaiveDate,
) -> Vec<TimeRange> {
    let day = date.weekday();
    let own: Vec<TimeRange> = match staff.and_then(|s| s.hours.as_ref()) {
        Some(h) => h.on(day).to_vec(),
        None => p.hours.on(day).to_vec(),
    };
    match p.closure_on(date).as_deref() {
        None => own,
        Some(c) => match &c.hours {
            None => Vec::new(),
            // Staff with their own hours keep them only where the business is open that day.
            Some(limit) if staff.is_some_and(|s| s.hours.is_some()) => intersect(&own, &limit.0),
            Some(limit) => limit.0.clone(),
        },
    }
}

fn intersect(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let (s, e) = (x.start_min.max(y.start_min), x.end_min.min(y.end_min));
            if s < e {
                out.push(TimeRange {
                    start_min: s,
                    end_min: e,
                });
            }
        }
    }
    out
}

/// The instant of a local wall-clock time; `None` inside a daylight-saving gap.
fn at(tz: Tz, date: NaiveDate, minute: u32) -> Option<DateTime<Tz>> {
    let date = date.checked_add_signed(Duration::days(i64::from(minute / 1440)))?;
    let time = chrono::NaiveTime::from_hms_opt(minute % 1440 / 60, minute % 60, 0)?;
    match tz.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(t) => Some(t),
        // The clock repeats an hour: take the first occurrence.
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => None,
    }
}

/// Free slots for `service` on the `days` local dates starting at `from`, earliest first; at
/// each start time the first free staff member (in profile order) is offered.
pub fn free_slots(
    p: &Profile,
    service: &str,
    now: DateTime<Utc>,
    from: NaiveDate,
    days: u32,
    busy: &[Busy],
) -> Result<Vec<Slot>, ScheduleError> {
    free_slots_with(p, service, None, now, from, days, busy)
}

/// [`free_slots`] with one staff member's when `staff` names one (a customer who asked for
/// them); `NoStaff` when they do not offer the service.
pub fn free_slots_with(
    p: &Profile,
    service: &str,
    staff: Option<&str>,
    now: DateTime<Utc>,
    from: NaiveDate,
    days: u32,
    busy: &[Busy],
) -> Result<Vec<Slot>, ScheduleError> {
    let svc = find_service(p, service)
        .ok_or_else(|| ScheduleError::UnknownService(service.to_owned()))?;
    let mut who = resources(p, svc.name.as_str())?;
    if let Some(name) = staff {
        who.retain(|s| s.is_some_and(|s| s.name.as_str().eq_ignore_ascii_case(name.trim())));
        if who.is_empty() {
            return Err(ScheduleError::NoStaff(svc.name.as_str().to_owned()));
        }
    }
    let tz = p.timezone.0;
    let length = Duration::minutes(i64::from(svc.duration_min.0));
    let buffer = Duration::minutes(i64::from(p.booking.buffer_min));
    let step = p.booking.slot_step_min.0;
    let earliest = now + Duration::minutes(i64::from(p.booking.min_notice_min));
    let today = now.with_timezone(&tz).date_naive();
    let last_day = today + Duration::days(i64::from(p.booking.max_days_ahead.0));

    // Only what could touch the days asked for (local midnights are within a day of the same
    // wall-clock time in UTC), by resource, sorted by start: a slot then looks at the few busy
    // times near it (from the longest busy time back), not at every booking there is.
    let (lo, hi) = (
        from.and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc() - Duration::days(1) - buffer),
        from.and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc() + Duration::days(i64::from(days) + 1) + buffer),
    );
    let index: std::collections::HashMap<&str, usize> = who
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (s.name.as_str(), i)))
        .collect();
    let staffed = who.iter().any(Option::is_some);
    // `own[i]`: the busy times of `who[i]`; `shared`: those that make everyone busy (the whole
    // business's; all of them when the business has no staff list).
    let mut own: Vec<Vec<&Busy>> = vec![Vec::new(); who.len()];
    let mut shared: Vec<&Busy> = Vec::new();
    let mut longest = Duration::zero();
    for b in busy {
        if lo.is_some_and(|lo| b.end <= lo) || hi.is_some_and(|hi| b.start >= hi) {
            continue;
        }
        match &b.staff {
            Some(n) if staffed => match index.get(n.as_str()) {
                Some(&i) => own[i].push(b),
                None => continue,
            },
            _ => shared.push(b),
        }
        longest = longest.max(b.end - b.start);
    }
    for list in own.iter_mut().chain([&mut shared]) {
        list.sort_by_key(|b| b.start);
    }
    // Whether a busy time of `list` is within `buffer` of `[s, e)`.
    let clashes = |list: &[&Busy], s: DateTime<Utc>, e: DateTime<Utc>| {
        let (from, until) = (s - buffer - longest, e + buffer);
        let first = list.partition_point(|b| b.start <= from);
        let last = list.partition_point(|b| b.start < until);
        let (s, e) = (s - buffer, e + buffer);
        list[first..last.max(first)]
            .iter()
            .any(|b| s < b.end && e > b.start)
    };
    let mut out: Vec<Slot> = Vec::new();
    for offset in 0..days {
        let Some(date) = from.checked_add_signed(Duration::days(i64::from(offset))) else {
            break;
        };
        if date > last_day {
            break;
        }
        // By start: at each time the first free resource (in profile order) is offered.
        let mut day: std::collections::BTreeMap<DateTime<Tz>, Slot> = Default::default();
        for (i, staff) in who.iter().enumerate() {
            let name = staff.map(|s| s.name.as_str());
            for range in open_ranges(p, *staff, date) {
                // A range's end is wall-clock too: a DST change inside it moves the instant.
                let Some(close) = at(tz, date, u32::from(range.end_min)) else {
                    continue;
                };
                let mut minute = u32::from(range.start_min);
                while minute + svc.duration_min.0 <= u32::from(range.end_min) {
                    let start_min = minute;
                    minute += step;
                    let Some(start) = at(tz, date, start_min) else {
                        continue;
                    };
                    let end = start + length;
                    if end > close
                        || start.with_timezone(&Utc) < earliest
                        || day.contains_key(&start)
                    {
                        continue;
                    }
                    let (s, e) = (start.with_timezone(&Utc), end.with_timezone(&Utc));
                    let taken = clashes(&own[i], s, e) || clashes(&shared, s, e);
                    if !taken {
                        day.insert(
                            start,
                            Slot {
                                start,
                                end,
                                staff: name.map(str::to_owned),
                            },
                        );
                    }
                }
            }
        }
        out.extend(day.into_values());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
