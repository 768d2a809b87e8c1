//! Public holidays by country, computed from their rules (fixed dates, the nth or last weekday
//! of a month, Easter by the Gregorian computus): a business that chooses its country in the
//! profile is closed on them, unless it lists a date it opens anyway, and a closure entry for
//! the date (other hours that day) wins over both. National holidays only: regional ones (a
//! state's or a province's) go in `closures`.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The countries whose national holidays are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Country {
    /// United States: the federal holidays.
    US,
    /// Canada: the national statutory holidays.
    CA,
    /// United Kingdom (England and Wales): the bank holidays.
    GB,
    /// Australia: the national public holidays.
    AU,
}

/// The profile's holidays: the country's are closed days, but the dates in `open`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holidays {
    pub country: Country,
    /// Holidays the business opens on anyway (its usual hours).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<NaiveDate>,
}

impl Holidays {
    /// The holiday on `date` the business is closed for, by name.
    pub fn closed_on(&self, date: NaiveDate) -> Option<&'static str> {
        if self.open.contains(&date) {
            return None;
        }
        on(self.country, date)
    }
}

/// The holiday on `date` in `country`, by name.
pub fn on(country: Country, date: NaiveDate) -> Option<&'static str> {
    of_year(country, date.year())
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

/// Easter Sunday of `year` (Gregorian; the anonymous computus).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or_default()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The `n`th `weekday` of a month (1-based).
fn nth(y: i32, m: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, weekday, n).unwrap_or_default()
}

/// The last `weekday` of a month.
fn last(y: i32, m: u32, weekday: Weekday) -> NaiveDate {
    let next = if m == 12 {
        date(y + 1, 1, 1)
    } else {
        date(y, m + 1, 1)
    };
    let mut d = next - Duration::days(1);
    while d.weekday() != weekday {
        d -= Duration::days(1);
    }
    d
}

/// A weekend holiday's weekday off: Saturday's the Monday after (Monday and Tuesday for two in a
/// row, as Christmas and Boxing Day), Sunday's the Monday — as the UK, Canada and Australia
/// substitute New Year's, Christmas and Boxing Day (Anzac Day is not substituted nationally).
fn substitutes(days: &[(NaiveDate, &'static str)]) -> Vec<(NaiveDate, &'static str)> {
    let mut out: Vec<(NaiveDate, &'static str)> = days.to_vec();
    for (d, name) in days {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            let mut sub = *d + Duration::days(1);
            while matches!(sub.weekday(), Weekday::Sat | Weekday::Sun)
                || out.iter().any(|(o, _)| *o == sub)
            {
                sub += Duration::days(1);
            }
            out.push((sub, name));
        }
    }
    out
}

/// A country's holidays in `year`, with their names.
pub fn of_year(country: Country, y: i32) -> Vec<(NaiveDate, &'static str)> {
    use Weekday::{Mon, Sat, Sun, Thu};
    let easter = easter(y);
    match country {
        Country::US => {
            // Federal holidays on a Saturday are kept the Friday before, on a Sunday the Monday.
            let fixed = [
                (date(y, 1, 1), "New Year's Day"),
                (date(y, 6, 19), "Juneteenth"),
                (date(y, 7, 4), "Independence Day"),
                (date(y, 11, 11), "Veterans Day"),
                (date(y, 12, 25), "Christmas Day"),
            ];
            let mut out: Vec<(NaiveDate, &'static str)> = vec![
                (nth(y, 1, Mon, 3), "Martin Luther King Jr. Day"),
                (nth(y, 2, Mon, 3), "Washington's Birthday"),
                (last(y, 5, Mon), "Memorial Day"),
                (nth(y, 9, Mon, 1), "Labor Day"),
                (nth(y, 10, Mon, 2), "Columbus Day"),
                (nth(y, 11, Thu, 4), "Thanksgiving Day"),
            ];
            for (d, name) in fixed {
                out.push((d, name));
                match d.weekday() {
                    Sat => out.push((d - Duration::days(1), name)),
                    Sun => out.push((d + Duration::days(1), name)),
                    _ => {}
                }
            }
            out
        }
        Country::CA => {
            // Victoria Day: the last Monday before May 25.
            let mut victoria = date(y, 5, 24);
            while victoria.weekday() != Mon {
                victoria -= Duration::days(1);
            }
            let mut out = substitutes(&[
                (date(y, 1, 1), "New Year's Day"),
                (date(y, 7, 1), "Canada Day"),
                (date(y, 12, 25), "Christmas Day"),
                (date(y, 12, 26), "Boxing Day"),
            ]);
            out.extend([
                (easter - Duration::days(2), "Good Friday"),
                (victoria, "Victoria Day"),
                (nth(y, 9, Mon, 1), "Labour Day"),
                (nth(y, 10, Mon, 2), "Thanksgiving"),
            ]);
            out
        }
        Country::GB => {
            let mut out = substitutes(&[
                (date(y, 1, 1), "New Year's Day"),
                (date(y, 12, 25), "Christmas Day"),
                (date(y, 12, 26), "Boxing Day"),
            ]);
            out.extend([
                (easter - Duration::days(2), "Good Friday"),
                (easter + Duration::days(1), "Easter Monday"),
                (nth(y, 5, Mon, 1), "Early May bank holiday"),
                (last(y, 5, Mon), "Spring bank holiday"),
                (last(y, 8, Mon), "Summer bank holiday"),
            ]);
            out
        }
        Country::AU => {
            let mut out = substitutes(&[
                (date(y, 1, 1), "New Year's Day"),
                (date(y, 1, 26), "Australia Day"),
                (date(y, 12, 25), "Christmas Day"),
                (date(y, 12, 26), "Boxing Day"),
            ]);
            out.extend([
                (easter - Duration::days(2), "Good Friday"),
                (easter - Duration::days(1), "Easter Saturday"),
                (easter + Duration::days(1), "Easter Monday"),
                (date(y, 4, 25), "Anzac Day"),
            ]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_falls_where_the_tables_put_it() {
        for (y, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter(y), date(y, m, d), "{y}");
        }
    }

    #[test]
    fn each_country_s_holidays_fall_on_their_published_dates() {
        let has = |c: Country, y: i32, m: u32, d: u32, name: &str| {
            assert_eq!(on(c, date(y, m, d)), Some(name), "{c:?} {y}-{m}-{d}");
        };
        // United States, 2026 and 2027 (OPM's tables), with the weekday a weekend one is kept.
        has(Country::US, 2026, 1, 19, "Martin Luther King Jr. Day");
        has(Country::US, 2026, 5, 25, "Memorial Day");
        has(Country::US, 2026, 7, 3, "Independence Day");
        has(Country::US, 2026, 11, 26, "Thanksgiving Day");
        has(Country::US, 2027, 12, 24, "Christmas Day");
        has(Country::US, 2027, 6, 18, "Juneteenth");
        // Canada 2026.
        has(Country::CA, 2026, 5, 18, "Victoria Day");
        has(Country::CA, 2026, 10, 12, "Thanksgiving");
        has(Country::CA, 2026, 4, 3, "Good Friday");
        // England and Wales, 2026 and 2027 (gov.uk), a Christmas on Saturday moved to Monday
        // and Boxing Day to Tuesday.
        has(Country::GB, 2026, 4, 6, "Easter Monday");
        has(Country::GB, 2026, 8, 31, "Summer bank holiday");
        has(Country::GB, 2026, 12, 28, "Boxing Day");
        has(Country::GB, 2027, 12, 27, "Christmas Day");
        has(Country::GB, 2027, 12, 28, "Boxing Day");
        // Australia 2026.
        has(Country::AU, 2026, 1, 26, "Australia Day");
        has(Country::AU, 2026, 4, 25, "Anzac Day");
        // An ordinary day is no holiday; a date the business opens on is not closed.
        assert_eq!(on(Country::US, date(2026, 3, 10)), None);
        let h = Holidays {
            country: Country::US,
            open: vec![date(2026, 11, 11)],
        };
        assert_eq!(h.closed_on(date(2026, 11, 11)), None);
        assert_eq!(h.closed_on(date(2026, 12, 25)), Some("Christmas Day"));
    }
}
