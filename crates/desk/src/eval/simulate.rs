//! The conversation simulator: `frontdesk eval --simulate N`. It generates businesses (services,
//! staff with their own days and hours, closures, FAQs, menus with options, storage units) and
//! callers with goals (book, book for a child, move, cancel, reserve, order, ask, leave a
//! message, wander off-topic, correct themselves) from a seed, plays each conversation through
//! the same [`Host`] every channel uses, and checks the outcome in the store: the right
//! appointment and only one, the right items and options, the message kept, nothing committed
//! for a question or an off-topic turn, no amount or time that is not in the data, and no staff
//! member booked twice.
//!
//! The callers' words come from `eval/simulate/bank.yaml`, written apart from the engine by
//! someone who never read its corpus or its readers; this module only fills in the blanks. The
//! simulator works out for itself which times are free (from the hours it generated and the
//! appointments in the store), so it does not share the engine's scheduling code either.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Tz;
use frontdesk_engine::agent::{Action, Ask, Channel};
use frontdesk_engine::{PhoneE164, Profile};
use frontdesk_store::Db;
use frontdesk_store::customers::CustomerFields;
use frontdesk_store::states::{AppointmentStatus, ReservationStatus};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::json;

use crate::host::{Also, Host, Opening};

const BANK: &str = include_str!("../../../../eval/simulate/bank.yaml");

/// Conversations per generated business.
const PER_BUSINESS: usize = 12;
/// A caller gives up after this many turns.
const MAX_TURNS: usize = 14;

// ---------------------------------------------------------------------------------------------
// The bank of words.

#[derive(Debug, Deserialize)]
struct Bank {
    names: Vec<Name>,
    trades: Vec<Trade>,
    restaurants: Vec<Restaurant>,
    storage: Vec<Storage>,
    off_topic: Vec<String>,
    phrasings: BTreeMap<String, Vec<String>>,
    day_forms: Vec<String>,
    time_forms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Name {
    first: String,
    last: String,
}

#[derive(Debug, Deserialize)]
struct Trade {
    trade: String,
    business_names: Vec<String>,
    services: Vec<Service>,
    faqs: Vec<Faq>,
    messages: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Service {
    name: String,
    minutes: u32,
    price: Option<f64>,
    audience: String,
    caller_says: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Faq {
    q: String,
    a: String,
    key: String,
    caller_asks: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Restaurant {
    cuisine: String,
    business_names: Vec<String>,
    items: Vec<Item>,
    faqs: Vec<Faq>,
}

#[derive(Debug, Clone, Deserialize)]
struct Item {
    name: String,
    price: f64,
    caller_says: Vec<String>,
    #[serde(default)]
    options: Vec<OptionGroup>,
}

#[derive(Debug, Clone, Deserialize)]
struct OptionGroup {
    name: String,
    choices: Vec<Choice>,
    caller_says_choice: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Choice {
    name: String,
    extra: f64,
}

#[derive(Debug, Deserialize)]
struct Storage {
    business_names: Vec<String>,
    units: Vec<Unit>,
    faqs: Vec<Faq>,
}

#[derive(Debug, Clone, Deserialize)]
struct Unit {
    size: String,
    monthly: f64,
    climate: bool,
    caller_says: Vec<String>,
}

fn bank() -> anyhow::Result<Bank> {
    let b: Bank = serde_yaml::from_str(BANK).map_err(|e| anyhow::anyhow!("bank.yaml: {e}"))?;
    for key in [
        "greet",
        "book",
        "book_day",
        "book_day_time",
        "book_for_child",
        "give_name",
        "give_day",
        "give_time",
        "give_day_time",
        "give_phone",
        "pick_first",
        "pick_last",
        "yes",
        "cancel",
        "cancel_day",
        "reschedule",
        "reschedule_vague",
        "ask_prefix",
        "message",
        "message_with_contact",
        "order_open",
        "order_more",
        "order_done",
        "reserve",
        "unit_question",
        "thanks_bye",
        "correct_day",
    ] {
        if b.phrasings.get(key).is_none_or(|v| v.is_empty()) {
            anyhow::bail!("bank.yaml: no phrasings for {key}");
        }
    }
    Ok(b)
}

// ---------------------------------------------------------------------------------------------
// Generated businesses.

/// A staff member's working hours: per weekday (Monday first), start and end in minutes.
#[derive(Debug, Clone)]
struct Worker {
    name: String,
    services: Vec<usize>,
    hours: [Option<(u32, u32)>; 7],
}

/// What the simulator knows about the business it generated, independently of the engine.
#[derive(Debug)]
struct World {
    profile: Profile,
    tz: Tz,
    now: DateTime<Utc>,
    kind: Kind,
    services: Vec<Service>,
    staff: Vec<Worker>,
    closures: Vec<NaiveDate>,
    step: u32,
    notice: u32,
    buffer: u32,
    faqs: Vec<Faq>,
    messages: Vec<String>,
    items: Vec<Item>,
    units: Vec<Unit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Appointments,
    Restaurant,
    Storage,
}

const ZONES: [&str; 5] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
];

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

fn faq_json(f: &[Faq]) -> serde_json::Value {
    json!(
        f.iter()
            .map(|f| json!({"q": f.q, "a": f.a}))
            .collect::<Vec<_>>()
    )
}

fn generate(bank: &Bank, rng: &mut StdRng, index: usize) -> anyhow::Result<World> {
    let zone = *ZONES.choose(rng).unwrap_or(&ZONES[0]);
    let tz: Tz = zone.parse().map_err(|e| anyhow::anyhow!("{zone}: {e}"))?;
    // A weekday morning or early afternoon in 2027, away from the holidays.
    let start = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default();
    let mut day = start + Duration::days(rng.random_range(0..180));
    while day.weekday() == Weekday::Sun {
        day += Duration::days(1);
    }
    let local = day.and_time(
        NaiveTime::from_hms_opt(
            rng.random_range(8..15),
            [0, 15, 30, 45][rng.random_range(0..4)],
            0,
        )
        .unwrap_or_default(),
    );
    let now = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| anyhow::anyhow!("no such local time {local}"))?
        .with_timezone(&Utc);
    let kind = match rng.random_range(0..10) {
        0..=5 => Kind::Appointments,
        6 | 7 => Kind::Restaurant,
        _ => Kind::Storage,
    };
    let mut doc = json!({
        "version": 1,
        "timezone": zone,
        "phone": format!("+1720555{:04}", index % 10_000),
        "transfer_phone": format!("+1720556{:04}", index % 10_000),
        "owner_alerts": {"sms": format!("+1720557{:04}", index % 10_000)},
        "address": format!("{} Main St", 10 + index % 900),
    });
    let mut w = World {
        profile: Profile::from_yaml(
            "version: 1\nslug: x\nname: x\nkind: other\ntimezone: UTC\nphone: \"+17205550000\"\n",
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?,
        tz,
        now,
        kind,
        services: Vec::new(),
        staff: Vec::new(),
        closures: Vec::new(),
        step: 30,
        notice: 60,
        buffer: 0,
        faqs: Vec::new(),
        messages: Vec::new(),
        items: Vec::new(),
        units: Vec::new(),
    };
    let name;
    let mut hours = serde_json::Map::new();
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    match kind {
        Kind::Appointments => {
            let t = bank
                .trades
                .choose(rng)
                .ok_or_else(|| anyhow::anyhow!("no trades"))?;
            name = t.business_names.choose(rng).cloned().unwrap_or_default();
            let mut services = t.services.clone();
            services.shuffle(rng);
            services.truncate(rng.random_range(4..=services.len().max(4)));
            w.services = services;
            w.step = [15, 30][rng.random_range(0..2)];
            w.notice = [60, 120][rng.random_range(0..2)];
            w.buffer = [0, 0, 10][rng.random_range(0..3)];
            // One to three people, each with their own days and hours and some of the services;
            // every service is done by someone.
            let n = rng.random_range(1..=3);
            let mut people: Vec<&Name> = bank.names.choose_multiple(rng, n).collect();
            people.dedup_by(|a, b| a.first == b.first);
            for p in people {
                let mut h = [None; 7];
                let (open, close) = [
                    (7 * 60, 15 * 60),
                    (8 * 60, 17 * 60),
                    (9 * 60, 18 * 60),
                    (10 * 60, 19 * 60),
                ][rng.random_range(0..4)];
                for (d, slot) in h.iter_mut().enumerate().take(6) {
                    if rng.random_bool(if d == 5 { 0.4 } else { 0.75 }) {
                        *slot = Some((open, close));
                    }
                }
                if h.iter().all(Option::is_none) {
                    h[rng.random_range(0..5)] = Some((open, close));
                }
                let does: Vec<usize> = (0..w.services.len())
                    .filter(|_| rng.random_bool(0.7))
                    .collect();
                w.staff.push(Worker {
                    name: p.first.clone(),
                    services: does,
                    hours: h,
                });
            }
            for s in 0..w.services.len() {
                if !w.staff.iter().any(|x| x.services.contains(&s)) {
                    let i = rng.random_range(0..w.staff.len());
                    w.staff[i].services.push(s);
                }
            }
            // The business is open whenever someone works.
            for (d, key) in days.iter().enumerate() {
                let spans: Vec<(u32, u32)> = w.staff.iter().filter_map(|x| x.hours[d]).collect();
                let open = spans.iter().map(|s| s.0).min();
                let close = spans.iter().map(|s| s.1).max();
                hours.insert(
                    (*key).to_owned(),
                    match (open, close) {
                        (Some(a), Some(b)) => json!(format!("{}-{}", hhmm(a), hhmm(b))),
                        _ => json!("closed"),
                    },
                );
            }
            doc["kind"] = json!("appointments");
            doc["services"] = json!(
                w.services
                    .iter()
                    .map(|s| {
                        let mut v = json!({"name": s.name, "duration_min": s.minutes});
                        if let Some(p) = s.price {
                            v["price"] = json!(p);
                        }
                        v
                    })
                    .collect::<Vec<_>>()
            );
            doc["staff"] = json!(
                w.staff
                    .iter()
                    .map(|x| {
                        let mut h = serde_json::Map::new();
                        for (d, key) in days.iter().enumerate() {
                            if let Some((a, b)) = x.hours[d] {
                                h.insert((*key).to_owned(), json!(format!("{}-{}", hhmm(a), hhmm(b))));
                            }
                        }
                        json!({
                            "name": x.name,
                            "services": x.services.iter().map(|&i| w.services[i].name.clone()).collect::<Vec<_>>(),
                            "hours": h,
                        })
                    })
                    .collect::<Vec<_>>()
            );
            doc["booking"] = json!({
                "slot_step_min": w.step,
                "min_notice_min": w.notice,
                "max_days_ahead": 30,
                "buffer_min": w.buffer,
            });
            let mut faqs = t.faqs.clone();
            faqs.shuffle(rng);
            faqs.truncate(6);
            w.faqs = faqs;
            w.messages = t.messages.clone();
            // A closed day within the next two weeks, now and then.
            if rng.random_bool(0.5) {
                let d = day + Duration::days(rng.random_range(2..12));
                w.closures.push(d);
                doc["closures"] = json!([{"date": d.to_string(), "note": "Closed for training"}]);
            }
            doc["emergency"] = json!({"keywords": ["flooding", "gas leak"], "message": "Putting you through now.", "action": "both"});
            let _ = &t.trade;
        }
        Kind::Restaurant => {
            let r = bank
                .restaurants
                .choose(rng)
                .ok_or_else(|| anyhow::anyhow!("no restaurants"))?;
            name = r.business_names.choose(rng).cloned().unwrap_or_default();
            for key in days {
                hours.insert(key.to_owned(), json!("11:00-21:00"));
            }
            // Open from eight so an order placed at any hour of `now` can be made.
            for key in &days[..6] {
                hours.insert((*key).to_owned(), json!("08:00-21:00"));
            }
            w.items = r.items.clone();
            doc["kind"] = json!("restaurant");
            doc["menu"] = json!(
                w.items
                    .iter()
                    .map(|i| {
                        let mut v = json!({"name": i.name, "price": i.price});
                        if !i.options.is_empty() {
                            v["options"] = json!(
                                i.options
                                    .iter()
                                    .map(|o| {
                                        let choices: serde_json::Map<String, serde_json::Value> = o
                                            .choices
                                            .iter()
                                            .map(|c| (c.name.clone(), json!(c.extra)))
                                            .collect();
                                        json!({"name": o.name, "choices": choices, "default": o.choices[0].name})
                                    })
                                    .collect::<Vec<_>>()
                            );
                        }
                        v
                    })
                    .collect::<Vec<_>>()
            );
            doc["ordering"] = json!({"pickup": true, "delivery": false, "prep_minutes": 20});
            w.faqs = r.faqs.clone();
            w.messages = vec![
                "please call me back about catering for a party".into(),
                "i think i left my jacket there last night".into(),
            ];
            let _ = &r.cuisine;
        }
        Kind::Storage => {
            let s = bank
                .storage
                .choose(rng)
                .ok_or_else(|| anyhow::anyhow!("no storage"))?;
            name = s.business_names.choose(rng).cloned().unwrap_or_default();
            for key in days {
                hours.insert(key.to_owned(), json!("09:00-17:00"));
            }
            hours.insert("sun".into(), json!("closed"));
            let mut units: Vec<Unit> = Vec::new();
            for u in &s.units {
                if !units.iter().any(|x| x.size == u.size) {
                    units.push(u.clone());
                }
            }
            w.units = units;
            doc["kind"] = json!("self_storage");
            doc["units"] = json!(
                w.units
                    .iter()
                    .map(|u| {
                        let (a, b) = u.size.split_once('x').unwrap_or(("5", "5"));
                        json!({
                            "type": u.size,
                            "width_ft": a.trim().parse::<u32>().unwrap_or(5),
                            "depth_ft": b.trim().parse::<u32>().unwrap_or(5),
                            "climate_controlled": u.climate,
                            "monthly_rate": u.monthly,
                            "total": 10,
                        })
                    })
                    .collect::<Vec<_>>()
            );
            w.faqs = s.faqs.clone();
            w.messages = vec![
                "please call me about my gate code, it stopped working".into(),
                "i want to ask about a business account for my shop".into(),
            ];
        }
    }
    doc["slug"] = json!(format!("sim-{index}-{}", slugify(&name)));
    doc["name"] = json!(name);
    doc["hours"] = json!(hours);
    if !w.faqs.is_empty() {
        doc["faqs"] = faq_json(&w.faqs);
    }
    let yaml = serde_yaml::to_string(&doc)?;
    w.profile = Profile::from_yaml(&yaml)
        .map_err(|e| anyhow::anyhow!("generated profile does not import: {e}\n{yaml}"))?;
    Ok(w)
}

// ---------------------------------------------------------------------------------------------
// When things are free, worked out by the simulator itself.

/// A booked appointment the simulator knows of: staff, start and end in UTC milliseconds.
type Busy = (Option<String>, i64, i64);

impl World {
    fn local_now(&self) -> NaiveDateTime {
        self.now.with_timezone(&self.tz).naive_local()
    }

    fn utc(&self, d: NaiveDate, m: u32) -> Option<i64> {
        let t = d.and_time(NaiveTime::from_hms_opt(m / 60, m % 60, 0)?);
        Some(
            self.tz
                .from_local_datetime(&t)
                .earliest()?
                .timestamp_millis(),
        )
    }

    /// Whether `service` can start at minute `m` of day `d` with someone free, given `busy`.
    fn free(&self, service: usize, d: NaiveDate, m: u32, busy: &[Busy]) -> bool {
        if self.closures.contains(&d) || !m.is_multiple_of(self.step) {
            return false;
        }
        let now = self.local_now();
        let Some(start) = NaiveTime::from_hms_opt(m / 60, m % 60, 0).map(|t| d.and_time(t)) else {
            return false;
        };
        if start < now + Duration::minutes(i64::from(self.notice))
            || d > now.date() + Duration::days(30)
        {
            return false;
        }
        let len = self.services[service].minutes;
        let (Some(a), Some(b)) = (self.utc(d, m), self.utc(d, m + len)) else {
            return false;
        };
        let pad = i64::from(self.buffer) * 60_000;
        let wd = d.weekday().num_days_from_monday() as usize;
        self.staff.iter().any(|x| {
            x.services.contains(&service)
                && x.hours[wd].is_some_and(|(o, c)| o <= m && m + len <= c)
                && !busy.iter().any(|(s, bs, be)| {
                    s.as_deref() == Some(x.name.as_str()) && *bs < b + pad && *be > a - pad
                })
        })
    }

    /// Every free start on `d` for `service`.
    fn free_on(&self, service: usize, d: NaiveDate, busy: &[Busy]) -> Vec<u32> {
        (0..24 * 60)
            .step_by(self.step as usize)
            .filter(|&m| self.free(service, d, m, busy))
            .collect()
    }

    /// Days from tomorrow up to two weeks out with a free start for `service`.
    fn days_with_room(&self, service: usize, busy: &[Busy]) -> Vec<(NaiveDate, Vec<u32>)> {
        let today = self.local_now().date();
        (1..=14)
            .map(|i| today + Duration::days(i))
            .map(|d| (d, self.free_on(service, d, busy)))
            .filter(|(_, f)| !f.is_empty())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Saying things.

struct Voice<'a> {
    bank: &'a Bank,
}

fn fill(t: &str, vars: &[(&str, &str)]) -> String {
    let mut s = t.to_owned();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

const NUMBER_WORDS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

impl Voice<'_> {
    fn pick(&self, rng: &mut StdRng, key: &str) -> String {
        self.bank
            .phrasings
            .get(key)
            .and_then(|v| v.choose(rng))
            .cloned()
            .unwrap_or_default()
    }

    fn say(&self, rng: &mut StdRng, key: &str, vars: &[(&str, &str)]) -> String {
        fill(&self.pick(rng, key), vars)
    }

    /// A date as a caller says it, unambiguous from `today`.
    fn day(&self, rng: &mut StdRng, today: NaiveDate, d: NaiveDate) -> String {
        let ahead = (d - today).num_days();
        let weekday = d.format("%A").to_string();
        let month = d.format("%B").to_string();
        let ord = ordinal(d.day());
        let num = d.day().to_string();
        // Which forms name this date unambiguously. "Next Friday" is the Friday of next week
        // to some people and the coming Friday to others; it is said only where the two agree
        // (this week's Friday is past).
        let next_week = {
            let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
            let dm = d - Duration::days(d.weekday().num_days_from_monday().into());
            (dm - monday).num_days() == 7
                && d.weekday().num_days_from_monday() <= today.weekday().num_days_from_monday()
        };
        let forms: Vec<&String> = self
            .bank
            .day_forms
            .iter()
            .filter(|f| {
                let named_weekday_only = f.contains("{weekday}")
                    && !f.contains("{month}")
                    && !f.contains("{ordinal}")
                    && !f.contains("{daynum}");
                let says_next = f.to_lowercase().contains("next");
                let says_the_nth = (f.contains("{ordinal}") || f.contains("{daynum}"))
                    && !f.contains("{month}")
                    && !f.contains("{weekday}");
                if says_next {
                    next_week
                } else if named_weekday_only {
                    (1..7).contains(&ahead)
                } else if says_the_nth {
                    d.month() == today.month() || d.day() < today.day()
                } else {
                    true
                }
            })
            .collect();
        if ahead == 1 && rng.random_bool(0.2) {
            return "tomorrow".into();
        }
        let f = forms
            .choose(rng)
            .map(|s| s.as_str())
            .unwrap_or("{month} {ordinal}");
        fill(
            f,
            &[
                ("weekday", &weekday),
                ("month", &month),
                ("ordinal", &ord),
                ("daynum", &num),
            ],
        )
    }

    /// A clock time as a caller says it, never ambiguous between morning and afternoon.
    fn time(&self, rng: &mut StdRng, m: u32) -> String {
        let (h24, mm) = (m / 60, m % 60);
        let h = match h24 % 12 {
            0 => 12,
            x => x,
        };
        let pm = h24 >= 12;
        let part = match h24 {
            0..=11 => "in the morning",
            12..=16 => "in the afternoon",
            _ => "in the evening",
        };
        let forms: Vec<&String> = self
            .bank
            .time_forms
            .iter()
            .filter(|f| f.contains("{mm}") == (mm != 0))
            // "12 in the afternoon" is not how anyone says noon.
            .filter(|f| !(h24 == 12 && f.contains("{part}")))
            .collect();
        let f = forms
            .choose(rng)
            .map(|s| s.as_str())
            .unwrap_or("{h}:{mm} {ampm}");
        fill(
            f,
            &[
                ("h", &h.to_string()),
                ("mm", &format!("{mm:02}")),
                ("ampm", if pm { "pm" } else { "am" }),
                ("ap", if pm { "p.m." } else { "a.m." }),
                ("part", part),
            ],
        )
    }

    fn phone(&self, rng: &mut StdRng, p: &PhoneE164) -> String {
        let d = p.as_str().trim_start_matches("+1");
        if d.len() != 10 {
            return p.as_str().to_owned();
        }
        match rng.random_range(0..4) {
            0 => format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
            1 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
            2 => format!("{}.{}.{}", &d[..3], &d[3..6], &d[6..]),
            _ => d.to_owned(),
        }
    }

    fn qty(&self, rng: &mut StdRng, n: u32) -> String {
        if rng.random_bool(0.5) {
            n.to_string()
        } else {
            NUMBER_WORDS[n as usize].to_owned()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Goals and their callers.

/// An order line a caller wants: menu item, quantity, and an option group and its choice.
type Wanted = (usize, u32, Option<(usize, usize)>);

#[derive(Debug, Clone)]
enum Goal {
    /// Book `service`; `day` and `time` when the caller has them in mind from the start
    /// (`exact` when that time is free); `wrong_day` first when they will correct themselves.
    Book {
        service: usize,
        day: Option<NaiveDate>,
        time: Option<u32>,
        exact: bool,
        wrong_day: Option<NaiveDate>,
        child: bool,
    },
    Cancel {
        service: usize,
        day: NaiveDate,
        by_day: bool,
    },
    Move {
        service: usize,
        day: NaiveDate,
        time: u32,
        vague: bool,
    },
    Ask(usize),
    Message {
        text: String,
        with_contact: bool,
    },
    OffTopic(String),
    Order(Vec<Wanted>),
    Reserve {
        unit: usize,
        day: NaiveDate,
    },
    UnitQuestion(usize),
}

impl Goal {
    fn kind(&self) -> &'static str {
        match self {
            Goal::Book { child: true, .. } => "book for a child",
            Goal::Book {
                wrong_day: Some(_), ..
            } => "book, correcting the day",
            Goal::Book {
                time: Some(_),
                exact: true,
                ..
            } => "book a time",
            Goal::Book { time: Some(_), .. } => "book a taken time",
            Goal::Book { .. } => "book a day or any time",
            Goal::Cancel { .. } => "cancel",
            Goal::Move { .. } => "move",
            Goal::Ask(_) => "ask a question",
            Goal::Message { .. } => "leave a message",
            Goal::OffTopic(_) => "off-topic",
            Goal::Order(_) => "order",
            Goal::Reserve { .. } => "reserve a unit",
            Goal::UnitQuestion(_) => "ask about a unit",
        }
    }
}

/// The appointment a caller who moves or cancels already holds, made in the store beforehand.
struct Held {
    id: frontdesk_store::RecordId,
    start: i64,
}

fn choose_goal(w: &World, bank: &Bank, rng: &mut StdRng, busy: &[Busy]) -> Option<Goal> {
    let roll = rng.random_range(0..100);
    let common = |rng: &mut StdRng, roll: u32| -> Goal {
        if roll < 50 && !w.faqs.is_empty() {
            Goal::Ask(rng.random_range(0..w.faqs.len()))
        } else if roll < 75 {
            Goal::Message {
                text: w.messages.choose(rng).cloned().unwrap_or_default(),
                with_contact: rng.random_bool(0.5),
            }
        } else {
            Goal::OffTopic(bank.off_topic.choose(rng).cloned().unwrap_or_default())
        }
    };
    match w.kind {
        Kind::Appointments => {
            let service = rng.random_range(0..w.services.len());
            let room = w.days_with_room(service, busy);
            match roll {
                0..=44 => {
                    let child = w.services[service].audience == "child" && rng.random_bool(0.5);
                    let (day, times) = room.choose(rng)?.clone();
                    let shape = rng.random_range(0..10);
                    let mut g = Goal::Book {
                        service,
                        day: None,
                        time: None,
                        exact: false,
                        wrong_day: None,
                        child,
                    };
                    if let Goal::Book {
                        day: gd,
                        time: gt,
                        exact,
                        wrong_day,
                        ..
                    } = &mut g
                    {
                        match shape {
                            0..=1 => {}
                            2..=3 => *gd = Some(day),
                            4..=7 => {
                                *gd = Some(day);
                                *gt = times.choose(rng).copied();
                                *exact = true;
                            }
                            _ => {
                                // A time that is not free on a day that has others.
                                let taken: Vec<u32> = (8 * 60..17 * 60)
                                    .step_by(60)
                                    .filter(|m| !times.contains(m))
                                    .collect();
                                *gd = Some(day);
                                if let Some(t) = taken.choose(rng) {
                                    *gt = Some(*t);
                                } else {
                                    *gt = times.choose(rng).copied();
                                    *exact = true;
                                }
                            }
                        }
                        if *exact && rng.random_bool(0.15) {
                            *wrong_day = room
                                .iter()
                                .map(|(d, _)| *d)
                                .find(|d| *d != day && (*d - day).num_days().abs() > 1);
                        }
                    }
                    Some(g)
                }
                45..=54 => {
                    let (day, _) = room.choose(rng)?.clone();
                    Some(Goal::Cancel {
                        service,
                        day,
                        by_day: rng.random_bool(0.5),
                    })
                }
                55..=66 => {
                    let (day, times) = room.choose(rng)?.clone();
                    Some(Goal::Move {
                        service,
                        day,
                        time: *times.choose(rng)?,
                        vague: rng.random_bool(0.3),
                    })
                }
                r => Some(common(rng, (r - 67) * 3)),
            }
        }
        Kind::Restaurant => match roll {
            0..=54 => {
                let n = rng.random_range(1..=3).min(w.items.len());
                let mut idx: Vec<usize> = (0..w.items.len()).collect();
                idx.shuffle(rng);
                let lines = idx[..n]
                    .iter()
                    .map(|&i| {
                        let opts = &w.items[i].options;
                        let opt = (!opts.is_empty() && rng.random_bool(0.6)).then(|| {
                            let g = rng.random_range(0..opts.len());
                            (g, rng.random_range(0..opts[g].choices.len()))
                        });
                        (i, rng.random_range(1..=3), opt)
                    })
                    .collect();
                Some(Goal::Order(lines))
            }
            r => Some(common(rng, (r - 55) * 100 / 45)),
        },
        Kind::Storage => match roll {
            0..=39 => {
                let today = w.local_now().date();
                Some(Goal::Reserve {
                    unit: rng.random_range(0..w.units.len()),
                    day: today + Duration::days(rng.random_range(1..14)),
                })
            }
            40..=54 => Some(Goal::UnitQuestion(rng.random_range(0..w.units.len()))),
            r => Some(common(rng, (r - 55) * 100 / 45)),
        },
    }
}

/// One caller, their goal and what they have said so far.
struct Caller<'a> {
    w: &'a World,
    v: &'a Voice<'a>,
    goal: Goal,
    name: Name,
    phone: PhoneE164,
    /// Whether the day, the time, the wanted items… have been said.
    said_day: bool,
    said_time: bool,
    corrected: bool,
    items_said: usize,
    restated: usize,
}

impl Caller<'_> {
    fn service_words(&self, rng: &mut StdRng, s: usize) -> String {
        self.w.services[s]
            .caller_says
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| self.w.services[s].name.to_lowercase())
    }

    fn item_words(&self, rng: &mut StdRng, line: &Wanted) -> String {
        let it = &self.w.items[line.0];
        let mut s = it
            .caller_says
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| it.name.to_lowercase());
        if let Some((g, c)) = line.2 {
            let group = &it.options[g];
            let choice = group.choices[c].name.to_lowercase();
            let t = group
                .caller_says_choice
                .choose(rng)
                .cloned()
                .unwrap_or_else(|| "with {choice}".into());
            s = format!("{s} {}", fill(&t, &[("choice", &choice)]));
        }
        s
    }

    fn today(&self) -> NaiveDate {
        self.w.local_now().date()
    }

    /// The first thing the caller says.
    fn open(&mut self, rng: &mut StdRng) -> String {
        let today = self.today();
        match self.goal.clone() {
            Goal::Book {
                service,
                day,
                time,
                wrong_day,
                child,
                ..
            } => {
                let sv = self.service_words(rng, service);
                if child {
                    let age = rng.random_range(4..=11u32);
                    let (relation, pronoun) = [("son", "he"), ("daughter", "she"), ("kid", "she")]
                        [rng.random_range(0..3)];
                    let age = if rng.random_bool(0.5) {
                        age.to_string()
                    } else {
                        NUMBER_WORDS[age as usize].to_owned()
                    };
                    return self.v.say(
                        rng,
                        "book_for_child",
                        &[
                            ("service", &sv),
                            ("relation", relation),
                            ("pronoun", pronoun),
                            ("age", &age),
                        ],
                    );
                }
                let said = wrong_day.or(day);
                match (said, time) {
                    (Some(d), Some(t)) => {
                        self.said_day = true;
                        self.said_time = true;
                        let (d, t) = (self.v.day(rng, today, d), self.v.time(rng, t));
                        self.v.say(
                            rng,
                            "book_day_time",
                            &[("service", &sv), ("day", &d), ("time", &t)],
                        )
                    }
                    (Some(d), None) => {
                        self.said_day = true;
                        let d = self.v.day(rng, today, d);
                        self.v
                            .say(rng, "book_day", &[("service", &sv), ("day", &d)])
                    }
                    _ => self.v.say(rng, "book", &[("service", &sv)]),
                }
            }
            Goal::Cancel {
                service,
                day,
                by_day,
            } => {
                if by_day {
                    let d = self.v.day(rng, today, day);
                    self.v.say(rng, "cancel_day", &[("day", &d)])
                } else {
                    let sv = self.service_words(rng, service);
                    self.v.say(rng, "cancel", &[("service", &sv)])
                }
            }
            Goal::Move {
                service,
                day,
                time,
                vague,
            } => {
                if vague {
                    self.v.say(rng, "reschedule_vague", &[])
                } else {
                    self.said_day = true;
                    self.said_time = true;
                    let sv = self.service_words(rng, service);
                    let (d, t) = (self.v.day(rng, today, day), self.v.time(rng, time));
                    self.v.say(
                        rng,
                        "reschedule",
                        &[("service", &sv), ("day", &d), ("time", &t)],
                    )
                }
            }
            Goal::Ask(i) => {
                let prefix = self.v.pick(rng, "ask_prefix");
                let q = self.w.faqs[i]
                    .caller_asks
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default();
                format!("{prefix} {q}").trim().to_owned()
            }
            Goal::Message { text, with_contact } => {
                if with_contact {
                    let phone = self.v.phone(rng, &self.phone);
                    self.v.say(
                        rng,
                        "message_with_contact",
                        &[
                            ("first", &self.name.first),
                            ("last", &self.name.last),
                            ("content", &text),
                            ("phone", &phone),
                        ],
                    )
                } else {
                    self.v.say(rng, "message", &[("content", &text)])
                }
            }
            Goal::OffTopic(t) => t,
            Goal::Order(lines) => {
                self.items_said = 1;
                let it = self.item_words(rng, &lines[0]);
                let q = self.v.qty(rng, lines[0].1);
                self.v.say(rng, "order_open", &[("qty", &q), ("item", &it)])
            }
            Goal::Reserve { unit, .. } => {
                let u = self.w.units[unit]
                    .caller_says
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default();
                self.v.say(rng, "reserve", &[("unit", &u)])
            }
            Goal::UnitQuestion(unit) => {
                let u = self.w.units[unit]
                    .caller_says
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default();
                self.v.say(rng, "unit_question", &[("unit", &u)])
            }
        }
    }

    /// The caller's answer to what the agent asked; `None` when the caller has nothing more
    /// to say (the goal is met or cannot be).
    fn answer(&mut self, rng: &mut StdRng, asking: Option<Ask>, done: bool) -> Option<String> {
        let today = self.today();
        // Someone who gave the wrong day puts it right at once.
        if let Goal::Book {
            wrong_day: Some(_),
            day: Some(d),
            ..
        } = self.goal
            && !self.corrected
        {
            self.corrected = true;
            let d = self.v.day(rng, today, d);
            return Some(self.v.say(rng, "correct_day", &[("day", &d)]));
        }
        let (day, time) = match &self.goal {
            Goal::Book { day, time, .. } => (*day, *time),
            Goal::Move { day, time, .. } => (Some(*day), Some(*time)),
            Goal::Reserve { day, .. } => (Some(*day), None),
            _ => (None, None),
        };
        // What the agent asks for must be part of the goal; a caller asked for something else
        // (a time, when they wanted to leave a message) says again what they want.
        let fits = match (asking, &self.goal) {
            (None, _) => false,
            (Some(Ask::Name | Ask::Phone | Ask::Confirm), _) => true,
            (Some(Ask::Service | Ask::When | Ask::Slot), Goal::Book { .. } | Goal::Move { .. }) => {
                true
            }
            (Some(Ask::Service), Goal::Cancel { .. }) => true,
            (Some(Ask::Unit | Ask::MoveIn | Ask::Alternative), Goal::Reserve { .. }) => true,
            (Some(Ask::Items | Ask::More | Ask::Fulfillment), Goal::Order(_)) => true,
            (Some(Ask::Text), Goal::Message { .. }) => true,
            _ => false,
        };
        let ask = match asking {
            Some(a) if fits => a,
            _ => {
                if done {
                    return None;
                }
                // Nothing asked that helps and nothing done: say it again, in other words,
                // once or twice.
                return match self.goal {
                    Goal::Ask(_) | Goal::OffTopic(_) | Goal::UnitQuestion(_) => None,
                    _ if self.restated < 2 => {
                        self.restated += 1;
                        self.said_day = false;
                        self.said_time = false;
                        Some(self.open(rng))
                    }
                    _ => None,
                };
            }
        };
        Some(match ask {
            Ask::Service => match &self.goal {
                Goal::Book { service, .. }
                | Goal::Move { service, .. }
                | Goal::Cancel { service, .. } => self.service_words(rng, *service),
                _ => return None,
            },
            Ask::When | Ask::MoveIn => match (day, time) {
                // Asked when, a caller with a time in mind says the day and the time (again).
                (Some(d), Some(t)) => {
                    self.said_day = true;
                    self.said_time = true;
                    let (d, t) = (self.v.day(rng, today, d), self.v.time(rng, t));
                    self.v
                        .say(rng, "give_day_time", &[("day", &d), ("time", &t)])
                }
                (Some(d), _) if !self.said_day => {
                    self.said_day = true;
                    let d = self.v.day(rng, today, d);
                    self.v.say(rng, "give_day", &[("day", &d)])
                }
                (Some(d), _) => {
                    let d = self.v.day(rng, today, d);
                    self.v.say(rng, "give_day", &[("day", &d)])
                }
                (None, _) => {
                    // Any day will do: the first the caller can think of with room.
                    self.v.say(rng, "pick_first", &[])
                }
            },
            Ask::Slot => match time {
                Some(t) if !self.said_time => {
                    self.said_time = true;
                    let t = self.v.time(rng, t);
                    self.v.say(rng, "give_time", &[("time", &t)])
                }
                _ if rng.random_bool(0.5) => self.v.say(rng, "pick_first", &[]),
                _ => self.v.say(rng, "pick_last", &[]),
            },
            Ask::Name => self.v.say(
                rng,
                "give_name",
                &[("first", &self.name.first), ("last", &self.name.last)],
            ),
            Ask::Phone => {
                let p = self.v.phone(rng, &self.phone);
                self.v.say(rng, "give_phone", &[("phone", &p)])
            }
            Ask::Unit => match &self.goal {
                Goal::Reserve { unit, .. } => self.w.units[*unit]
                    .caller_says
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default(),
                _ => return None,
            },
            Ask::Items | Ask::More => match &self.goal {
                Goal::Order(lines) if self.items_said < lines.len() => {
                    let line = lines[self.items_said];
                    self.items_said += 1;
                    let it = self.item_words(rng, &line);
                    let q = self.v.qty(rng, line.1);
                    self.v.say(rng, "order_more", &[("qty", &q), ("item", &it)])
                }
                Goal::Order(_) => self.v.say(rng, "order_done", &[]),
                _ => return None,
            },
            Ask::Fulfillment => "pickup".into(),
            Ask::Text => match &self.goal {
                Goal::Message { text, .. } => text.clone(),
                _ => return None,
            },
            Ask::Address => return None,
            Ask::Alternative | Ask::Confirm => self.v.say(rng, "yes", &[]),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Running and checking.

/// The figures.
#[derive(Debug, Default)]
pub struct SimReport {
    pub seed: u64,
    pub businesses: usize,
    pub conversations: usize,
    pub completed: usize,
    pub turns: usize,
    /// Per goal: completed, tried.
    pub goals: BTreeMap<&'static str, (usize, usize)>,
    pub wrong_facts: usize,
    pub double_bookings: usize,
    /// Off-topic callers who got a transfer, an alert, a booking, an order… anything but a
    /// note for the owner.
    pub off_topic_acted: usize,
    pub failures: Vec<String>,
}

impl SimReport {
    pub fn completion(&self) -> f64 {
        super::ratio(self.completed, self.conversations)
    }
    /// The acceptance bar of issue 13.
    pub fn passes(&self) -> bool {
        self.completion() >= 0.98
            && self.wrong_facts == 0
            && self.double_bookings == 0
            && self.off_topic_acted == 0
    }
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulated:        {} conversations with {} generated businesses, {} turns (seed {})",
            self.conversations, self.businesses, self.turns, self.seed
        )?;
        for (g, (done, tried)) in &self.goals {
            writeln!(
                f,
                "  {g:<26} {:5.1}% ({done}/{tried})",
                100.0 * super::ratio(*done, *tried)
            )?;
        }
        writeln!(
            f,
            "goals completed:  {:.1}% ({}/{})",
            100.0 * self.completion(),
            self.completed,
            self.conversations
        )?;
        writeln!(f, "wrong facts:      {}", self.wrong_facts)?;
        writeln!(f, "double bookings:  {}", self.double_bookings)?;
        write!(f, "off-topic acted:  {}", self.off_topic_acted)
    }
}

/// Actions that do something, as opposed to noting a question or who the caller is.
fn acts(a: &Action) -> bool {
    !matches!(
        a,
        Action::RecordUnanswered { .. } | Action::UpdateContact { .. }
    )
}

/// Runs `n` simulated conversations from `seed`; `log` receives the transcript of each failed
/// conversation (and of every conversation when `all`).
pub async fn run(
    n: usize,
    seed: u64,
    all: bool,
    mut log: impl FnMut(&str),
) -> anyhow::Result<SimReport> {
    let bank = bank()?;
    let host = Host::new();
    let voice = Voice { bank: &bank };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = SimReport {
        seed,
        ..SimReport::default()
    };
    let mut index = 0;
    while report.conversations < n {
        let w = generate(&bank, &mut rng, index)?;
        index += 1;
        let dir = std::env::temp_dir().join(format!("frontdesk-sim-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let want = PER_BUSINESS.min(n - report.conversations);
        let result = run_world(
            &host,
            &voice,
            &w,
            &dir,
            want,
            &mut rng,
            &mut report,
            all,
            &mut log,
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
        report.businesses += 1;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn run_world(
    host: &Host,
    voice: &Voice<'_>,
    w: &World,
    dir: &std::path::Path,
    want: usize,
    rng: &mut StdRng,
    report: &mut SimReport,
    all: bool,
    log: &mut impl FnMut(&str),
) -> anyhow::Result<()> {
    let db = Db::open(&format!("sqlite://{}", dir.join("sim.db").display())).await?;
    db.migrate().await?;
    let mut conn = db.clone();
    let (business, _) = frontdesk_store::businesses::upsert_profile(
        &mut conn,
        &w.profile,
        frontdesk_store::now_ms(),
    )
    .await?;
    let mut known = super::known_amounts(&w.profile);
    let mut tries = 0;
    let mut done_here = 0;
    while done_here < want && tries < want * 4 {
        tries += 1;
        let from = w.now.timestamp_millis() - 86_400_000;
        let busy: Vec<Busy> = db
            .tenant(&business.id)
            .upcoming_appointments(from, from + 60 * 86_400_000)
            .await?
            .into_iter()
            .map(|a| (a.staff, a.start_at, a.end_at))
            .collect();
        let Some(goal) = choose_goal(w, voice.bank, rng, &busy) else {
            continue;
        };
        done_here += 1;
        let ci = report.conversations;
        let name = voice.bank.names.choose(rng).cloned().unwrap_or(Name {
            first: "Sam".into(),
            last: "Lee".into(),
        });
        let phone = PhoneE164::parse(&format!(
            "+1303{:03}{:04}",
            200 + ci / 10_000 % 700,
            ci % 10_000
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        // A caller who moves or cancels holds an appointment already.
        let mut held = None;
        if let Goal::Cancel { service, day, .. } | Goal::Move { service, day, .. } = &goal {
            held = hold(
                w,
                &db,
                &business.id,
                *service,
                *day,
                &goal,
                &busy,
                &name,
                &phone,
            )
            .await?;
            if held.is_none() {
                done_here -= 1;
                continue;
            }
        }
        let busy: Vec<Busy> = db
            .tenant(&business.id)
            .upcoming_appointments(from, from + 60 * 86_400_000)
            .await?
            .into_iter()
            .map(|a| (a.staff, a.start_at, a.end_at))
            .collect();
        let mut caller = Caller {
            w,
            v: voice,
            goal: goal.clone(),
            name,
            phone: phone.clone(),
            said_day: false,
            said_time: false,
            corrected: false,
            items_said: 0,
            restated: 0,
        };
        let channel = if ci.is_multiple_of(3) {
            Channel::Voice
        } else {
            Channel::Sms
        };
        let mut clock = w.now + Duration::minutes(ci as i64 % 5);
        let (conv, greeting) = host
            .open(
                &db,
                &business.id,
                Opening::new(channel, Some(&phone)),
                clock,
            )
            .await?;
        let mut transcript = vec![format!(
            "== {} ({:?}), goal {:?}\n  agent: {greeting}",
            w.profile.name.as_str(),
            w.kind,
            goal
        )];
        let mut committed: Vec<Action> = Vec::new();
        let mut replies = Vec::new();
        // The caller's words come from a stream of their own, so what one caller is asked does
        // not change who the next caller is or what they want: runs stay comparable as the
        // agent changes.
        let mut words = StdRng::seed_from_u64(rng.random());
        let mut say = caller.open(&mut words);
        for _ in 0..MAX_TURNS {
            clock += Duration::seconds(15);
            report.turns += 1;
            let r = host
                .turn(&db, &business.id, &conv.id, &say, Also::default(), clock)
                .await?;
            transcript.push(format!(
                "  caller: {say}\n  agent: {}  [{} {:.2} {:?}]",
                r.reply, r.intent, r.confidence, r.asking
            ));
            committed.extend(r.actions.iter().cloned());
            replies.push(r.reply.clone());
            // An order read back before it is placed states its total: right when it is what
            // the menu makes of the lines the agent holds, priced here independently.
            if w.kind == Kind::Restaurant {
                let (_, state) = db.tenant(&business.id).conversation_state(&conv.id).await?;
                if let Some(total) = order_total(w, &state) {
                    known.push(total);
                }
            }
            if r.ended {
                break;
            }
            let done = committed.iter().any(acts);
            match caller.answer(&mut words, r.asking, done) {
                Some(next) => say = next,
                None => break,
            }
        }
        // What the store holds now.
        let mut why = Vec::new();
        check(
            w,
            &db,
            &business.id,
            &conv.id,
            &goal,
            held.as_ref(),
            &busy,
            &committed,
            &mut why,
        )
        .await?;
        if matches!(goal, Goal::OffTopic(_)) && committed.iter().any(acts) {
            report.off_topic_acted += 1;
        }
        for a in &committed {
            if let Action::PlaceOrder {
                lines,
                subtotal,
                total,
                ..
            } = a
            {
                known.extend([subtotal.cents(), total.cents()]);
                known.extend(lines.iter().map(|l| l.total.cents()));
            }
        }
        for reply in &replies {
            for a in super::amounts(reply) {
                if !known.contains(&a) {
                    report.wrong_facts += 1;
                    why.push(format!("wrong fact: ${:.2} in {reply:?}", a as f64 / 100.0));
                }
            }
            for m in super::times(reply) {
                // The time the caller asked for, repeated ("4 PM isn't free"), is theirs.
                let asked = match &goal {
                    Goal::Book { time, .. } => *time,
                    Goal::Move { time, .. } => Some(*time),
                    _ => None,
                };
                if asked == Some(m) {
                    continue;
                }
                let local = clock.with_timezone(&w.tz);
                let near_now =
                    (i64::from(m) - i64::from(local.hour() * 60 + local.minute())).abs() <= 90;
                if !super::plausible_time(&w.profile, m) && !near_now {
                    report.wrong_facts += 1;
                    why.push(format!("wrong fact: time {} in {reply:?}", hhmm(m)));
                }
            }
        }
        let kind = goal.kind();
        let e = report.goals.entry(kind).or_default();
        e.1 += 1;
        report.conversations += 1;
        if why.is_empty() {
            e.0 += 1;
            report.completed += 1;
            if all {
                log(&transcript.join("\n"));
            }
        } else {
            report.failures.push(format!("{kind}: {}", why.join("; ")));
            transcript.push(format!("  FAILED: {}", why.join("; ")));
            log(&transcript.join("\n"));
        }
    }
    // Nobody is booked twice, whatever happened.
    let all_booked = db
        .tenant(&business.id)
        .upcoming_appointments(0, i64::MAX)
        .await?;
    let pad = i64::from(w.buffer) * 60_000;
    for (i, a) in all_booked.iter().enumerate() {
        for b in &all_booked[i + 1..] {
            if a.staff == b.staff && a.start_at < b.end_at + pad && b.start_at < a.end_at + pad {
                report.double_bookings += 1;
                log(&format!(
                    "DOUBLE BOOKING at {}: {} and {} ({:?})",
                    w.profile.name.as_str(),
                    a.service,
                    b.service,
                    a.staff
                ));
            }
        }
    }
    Ok(())
}

/// The total in cents of the order in progress in a conversation's stored state, from the
/// generated menu's prices and surcharges.
fn order_total(w: &World, state: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(state).ok()?;
    let lines = v.pointer("/flow/lines")?.as_array()?;
    let mut cents = 0.0;
    for l in lines {
        let it = w
            .items
            .iter()
            .find(|i| Some(i.name.as_str()) == l["item"].as_str())?;
        let mut each = it.price;
        for pair in l["options"].as_array().into_iter().flatten() {
            let (g, c) = (pair[0].as_str()?, pair[1].as_str()?);
            let group = it.options.iter().find(|o| o.name.eq_ignore_ascii_case(g))?;
            each += group
                .choices
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(c))?
                .extra;
        }
        cents += each * 100.0 * l["quantity"].as_f64()?;
    }
    Some(cents.round() as i64)
}

/// Books the appointment a cancelling or moving caller already holds, straight into the store:
/// on `day` (for a cancel) or on another day with room (for a move), at the first free time.
#[allow(clippy::too_many_arguments)]
async fn hold(
    w: &World,
    db: &Db,
    business: &frontdesk_store::BusinessId,
    service: usize,
    day: NaiveDate,
    goal: &Goal,
    busy: &[Busy],
    name: &Name,
    phone: &PhoneE164,
) -> anyhow::Result<Option<Held>> {
    let d = match goal {
        Goal::Cancel { .. } => Some(day),
        _ => w
            .days_with_room(service, busy)
            .into_iter()
            .map(|(d, _)| d)
            .find(|d| (*d - day).num_days().abs() >= 2),
    };
    let Some(d) = d else { return Ok(None) };
    let Some(m) = w.free_on(service, d, busy).first().copied() else {
        return Ok(None);
    };
    let wd = d.weekday().num_days_from_monday() as usize;
    let len = w.services[service].minutes;
    let (Some(start), Some(end)) = (w.utc(d, m), w.utc(d, m + len)) else {
        return Ok(None);
    };
    let pad = i64::from(w.buffer) * 60_000;
    let Some(staff) = w.staff.iter().find(|x| {
        x.services.contains(&service)
            && x.hours[wd].is_some_and(|(o, c)| o <= m && m + len <= c)
            && !busy.iter().any(|(s, bs, be)| {
                s.as_deref() == Some(x.name.as_str()) && *bs < end + pad && *be > start - pad
            })
    }) else {
        return Ok(None);
    };
    let mut t = db.tenant(business);
    let customer = t
        .create_customer(
            &CustomerFields {
                name: Some(format!("{} {}", name.first, name.last)),
                phone: Some(phone.clone()),
                email: None,
                notes: None,
                tags: Vec::new(),
            },
            w.now.timestamp_millis() - 86_400_000,
        )
        .await?;
    let a = t
        .book_appointment(
            &frontdesk_store::appointments::NewAppointment {
                customer: Some(&customer.id),
                conversation: None,
                service: &w.services[service].name,
                staff: Some(&staff.name),
                start_at: start,
                end_at: end,
                buffer_ms: pad,
            },
            w.now.timestamp_millis() - 86_400_000,
        )
        .await?;
    Ok(Some(Held {
        id: a.id,
        start: a.start_at,
    }))
}

/// Whether the store shows the goal met; reasons it does not go into `why`.
#[allow(clippy::too_many_arguments)]
async fn check(
    w: &World,
    db: &Db,
    business: &frontdesk_store::BusinessId,
    conv: &frontdesk_store::ConversationId,
    goal: &Goal,
    held: Option<&Held>,
    busy: &[Busy],
    committed: &[Action],
    why: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut t = db.tenant(business);
    let since = w.now.timestamp_millis() - 2 * 86_400_000;
    let mine: Vec<_> = t
        .appointments(since, 10_000)
        .await?
        .into_iter()
        .filter(|a| a.conversation_id.as_ref() == Some(conv))
        .collect();
    let local = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&w.tz)
            .naive_local()
    };
    let acted = committed.iter().any(acts);
    match goal {
        Goal::Book {
            service,
            day,
            time,
            exact,
            ..
        } => {
            let booked: Vec<_> = mine
                .iter()
                .filter(|a| a.status == AppointmentStatus::Booked)
                .collect();
            match booked.as_slice() {
                [] => why.push("nothing booked".into()),
                [a] => {
                    let at = local(a.start_at);
                    let m = at.hour() * 60 + at.minute();
                    if a.service != w.services[*service].name {
                        why.push(format!(
                            "booked {} (wanted {})",
                            a.service, w.services[*service].name
                        ));
                    }
                    if day.is_some_and(|d| d != at.date()) {
                        why.push(format!("booked on {} (wanted {day:?})", at.date()));
                    }
                    if *exact && time.is_some_and(|t| t != m) {
                        why.push(format!(
                            "booked at {} (wanted {})",
                            hhmm(m),
                            hhmm(time.unwrap_or_default())
                        ));
                    }
                    if !w.free(*service, at.date(), m, busy) {
                        why.push(format!("booked at {at}, which was not free"));
                    }
                }
                more => why.push(format!("{} appointments booked", more.len())),
            }
        }
        Goal::Cancel { .. } => {
            if let Some(h) = held {
                let a = t.appointment(&h.id).await?;
                if a.status != AppointmentStatus::Cancelled {
                    why.push(format!("the appointment is still {}", a.status.as_str()));
                }
            }
            if !mine.is_empty() {
                why.push("a new appointment was made".into());
            }
        }
        Goal::Move { day, time, .. } => {
            if let Some(h) = held {
                let a = t.appointment(&h.id).await?;
                let at = local(a.start_at);
                if a.status != AppointmentStatus::Booked {
                    why.push(format!("the appointment is {}", a.status.as_str()));
                } else if a.start_at == h.start {
                    why.push("the appointment did not move".into());
                } else if at.date() != *day || at.hour() * 60 + at.minute() != *time {
                    why.push(format!("moved to {at} (wanted {day} {})", hhmm(*time)));
                }
            }
            if mine.iter().any(|a| a.status == AppointmentStatus::Booked) {
                why.push("a second appointment was booked".into());
            }
        }
        Goal::Ask(i) => {
            let f = &w.faqs[*i];
            if acted {
                why.push(format!("a question was acted on: {committed:?}"));
            }
            let text = t
                .transcript(conv)
                .await?
                .into_iter()
                .filter(|m| m.role == frontdesk_store::states::MessageRole::Agent)
                .map(|m| m.text.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if !text.contains(&f.key.to_lowercase()) {
                why.push(format!("the answer lacks {:?} ({:?})", f.key, f.q));
            }
        }
        Goal::Message { text, .. } => {
            let msgs: Vec<_> = t
                .caller_messages(1000)
                .await?
                .into_iter()
                .filter(|m| m.conversation_id.as_ref() == Some(conv))
                .collect();
            match msgs.as_slice() {
                [] => why.push("no message taken".into()),
                [m] => {
                    let words: Vec<&str> =
                        text.split_whitespace().filter(|w| w.len() > 3).collect();
                    let kept = words
                        .iter()
                        .filter(|w| m.text.to_lowercase().contains(&w.to_lowercase()))
                        .count();
                    if kept * 10 < words.len() * 6 {
                        why.push(format!("message kept as {:?}", m.text));
                    }
                }
                more => why.push(format!("{} messages taken", more.len())),
            }
        }
        Goal::OffTopic(_) | Goal::UnitQuestion(_) => {
            if acted {
                why.push(format!("acted on: {committed:?}"));
            }
        }
        Goal::Order(lines) => {
            let orders: Vec<_> = t
                .orders(since, 1000)
                .await?
                .into_iter()
                .filter(|o| o.conversation_id.as_ref() == Some(conv))
                .collect();
            match orders.as_slice() {
                [] => why.push("no order placed".into()),
                [o] => {
                    let got: Vec<frontdesk_engine::agent::PricedLine> =
                        serde_json::from_value(o.lines.clone()).unwrap_or_default();
                    for (i, q, opt) in lines {
                        let it = &w.items[*i];
                        let Some(l) = got.iter().find(|l| l.item == it.name) else {
                            why.push(format!("{} missing", it.name));
                            continue;
                        };
                        if l.quantity != *q {
                            why.push(format!("{} × {} (wanted {q})", l.quantity, it.name));
                        }
                        if let Some((g, c)) = opt {
                            let group = &it.options[*g];
                            let choice = &group.choices[*c].name;
                            if !l
                                .options
                                .iter()
                                .any(|(n, v)| n == &group.name && v.eq_ignore_ascii_case(choice))
                            {
                                why.push(format!(
                                    "{}: {} is not {choice} ({:?})",
                                    it.name, group.name, l.options
                                ));
                            }
                        }
                    }
                    if got.len() != lines.len() {
                        why.push(format!("{} lines (wanted {})", got.len(), lines.len()));
                    }
                }
                more => why.push(format!("{} orders placed", more.len())),
            }
        }
        Goal::Reserve { unit, day } => {
            let rs: Vec<_> = t
                .reservations(1000)
                .await?
                .into_iter()
                .filter(|r| {
                    r.conversation_id.as_ref() == Some(conv)
                        && r.status == ReservationStatus::Reserved
                })
                .collect();
            match rs.as_slice() {
                [] => why.push("nothing reserved".into()),
                [r] => {
                    if r.unit_type != w.units[*unit].size {
                        why.push(format!(
                            "reserved {} (wanted {})",
                            r.unit_type, w.units[*unit].size
                        ));
                    }
                    if r.move_in != day.to_string() {
                        why.push(format!("move-in {} (wanted {day})", r.move_in));
                    }
                }
                more => why.push(format!("{} reservations", more.len())),
            }
        }
    }
    Ok(())
}
