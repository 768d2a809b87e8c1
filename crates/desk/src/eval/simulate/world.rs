//! Generated businesses, and when they are free, worked out by the simulator itself.

use super::*;

/// A staff member's working hours: per weekday (Monday first), start and end in minutes.
#[derive(Debug, Clone)]
pub(super) struct Worker {
    pub(super) name: String,
    pub(super) services: Vec<usize>,
    pub(super) hours: [Option<(u32, u32)>; 7],
}

/// What the simulator knows about the business it generated, independently of the engine.
#[derive(Debug)]
pub(super) struct World {
    pub(super) profile: Profile,
    /// The trade or cuisine it was made from, for the transcript.
    pub(super) trade: String,
    pub(super) tz: Tz,
    pub(super) now: DateTime<Utc>,
    pub(super) kind: Kind,
    pub(super) services: Vec<Service>,
    pub(super) staff: Vec<Worker>,
    pub(super) closures: Vec<NaiveDate>,
    pub(super) step: u32,
    pub(super) notice: u32,
    pub(super) buffer: u32,
    pub(super) faqs: Vec<Faq>,
    pub(super) messages: Vec<String>,
    pub(super) items: Vec<Item>,
    pub(super) units: Vec<Unit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Appointments,
    Restaurant,
    Storage,
}

pub(super) const ZONES: [&str; 5] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
];

pub(super) fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub(super) fn slugify(s: &str) -> String {
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

pub(super) fn faq_json(f: &[Faq]) -> serde_json::Value {
    json!(
        f.iter()
            .map(|f| json!({"q": f.q, "a": f.a}))
            .collect::<Vec<_>>()
    )
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) fn generate(bank: &Bank, rng: &mut StdRng, index: usize) -> anyhow::Result<World> {
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
        trade: String::new(),
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
    let mut hours = serde_json::Map::new();
    let name = match kind {
        Kind::Appointments => appointments(bank, rng, &mut w, &mut doc, &mut hours, day)?,
        Kind::Restaurant => restaurant(bank, rng, &mut w, &mut doc, &mut hours)?,
        Kind::Storage => storage(bank, rng, &mut w, &mut doc, &mut hours)?,
    };
    doc["slug"] = json!(format!("sim-{index}-{}", slugify(&name)));
    doc["name"] = json!(name);
    doc["hours"] = json!(hours);
    if !w.faqs.is_empty() {
        doc["faqs"] = faq_json(&w.faqs);
    }
    let yaml = frontdesk_engine::yaml::to_string(&doc)?;
    w.profile = Profile::from_yaml(&yaml)
        .map_err(|e| anyhow::anyhow!("generated profile does not import: {e}\n{yaml}"))?;
    Ok(w)
}

/// An appointments business of a random trade: some of its services, one to three people
/// with their own days and hours, a notice, step and buffer, sometimes a closed day.
fn appointments(
    bank: &Bank,
    rng: &mut StdRng,
    w: &mut World,
    doc: &mut serde_json::Value,
    hours: &mut serde_json::Map<String, serde_json::Value>,
    day: NaiveDate,
) -> anyhow::Result<String> {
    let t = bank
        .trades
        .choose(rng)
        .ok_or_else(|| anyhow::anyhow!("no trades"))?;
    let name = t.business_names.choose(rng).cloned().unwrap_or_default();
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
    for (d, key) in DAYS.iter().enumerate() {
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
                for (d, key) in DAYS.iter().enumerate() {
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
    w.trade.clone_from(&t.trade);
    Ok(name)
}

/// A restaurant of a random cuisine: its menu with options, pickup only.
fn restaurant(
    bank: &Bank,
    rng: &mut StdRng,
    w: &mut World,
    doc: &mut serde_json::Value,
    hours: &mut serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<String> {
    let r = bank
        .restaurants
        .choose(rng)
        .ok_or_else(|| anyhow::anyhow!("no restaurants"))?;
    let name = r.business_names.choose(rng).cloned().unwrap_or_default();
    // Open from eight on the days `now` can fall on, so an order placed then can be made.
    for key in DAYS {
        let open = if key == "sun" {
            "11:00-21:00"
        } else {
            "08:00-21:00"
        };
        hours.insert(key.to_owned(), json!(open));
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
    w.trade.clone_from(&r.cuisine);
    Ok(name)
}

/// A self-storage facility: one unit type per size.
fn storage(
    bank: &Bank,
    rng: &mut StdRng,
    w: &mut World,
    doc: &mut serde_json::Value,
    hours: &mut serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<String> {
    let s = bank
        .storage
        .choose(rng)
        .ok_or_else(|| anyhow::anyhow!("no storage"))?;
    let name = s.business_names.choose(rng).cloned().unwrap_or_default();
    for key in DAYS {
        let open = if key == "sun" {
            "closed"
        } else {
            "09:00-17:00"
        };
        hours.insert(key.to_owned(), json!(open));
    }
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
    w.trade = "self storage".into();
    Ok(name)
}

// ---------------------------------------------------------------------------------------------
// When things are free, worked out by the simulator itself.

/// A booked appointment the simulator knows of: staff, start and end in UTC milliseconds.
pub(super) type Busy = (Option<String>, i64, i64);

impl World {
    /// What a reader of a failed transcript needs to know of the business: its clock, and for
    /// appointments the services, who does them when, and the booking rules.
    pub(super) fn describe(&self) -> String {
        let mut s = format!("  now {} ({})\n", self.local_now(), self.tz);
        if self.kind != Kind::Appointments {
            return s;
        }
        for (i, sv) in self.services.iter().enumerate() {
            s.push_str(&format!(
                "  service {i}: {} ({} min)\n",
                sv.name, sv.minutes
            ));
        }
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        for x in &self.staff {
            let when: Vec<String> = x
                .hours
                .iter()
                .zip(days)
                .filter_map(|(h, d)| h.map(|(a, b)| format!("{d} {}-{}", hhmm(a), hhmm(b))))
                .collect();
            s.push_str(&format!(
                "  staff {}: services {:?}; {}\n",
                x.name,
                x.services,
                when.join(", ")
            ));
        }
        s.push_str(&format!(
            "  step {} min, notice {} min, buffer {} min, closed {:?}\n",
            self.step, self.notice, self.buffer, self.closures
        ));
        s
    }

    pub(super) fn local_now(&self) -> NaiveDateTime {
        self.now.with_timezone(&self.tz).naive_local()
    }

    pub(super) fn utc(&self, d: NaiveDate, m: u32) -> Option<i64> {
        let t = d.and_time(NaiveTime::from_hms_opt(m / 60, m % 60, 0)?);
        Some(
            self.tz
                .from_local_datetime(&t)
                .earliest()?
                .timestamp_millis(),
        )
    }

    /// Whether `service` can start at minute `m` of day `d` with someone free, given `busy`.
    pub(super) fn free(&self, service: usize, d: NaiveDate, m: u32, busy: &[Busy]) -> bool {
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
    pub(super) fn free_on(&self, service: usize, d: NaiveDate, busy: &[Busy]) -> Vec<u32> {
        (0..24 * 60)
            .step_by(self.step as usize)
            .filter(|&m| self.free(service, d, m, busy))
            .collect()
    }

    /// Days from tomorrow up to two weeks out with a free start for `service`.
    pub(super) fn days_with_room(
        &self,
        service: usize,
        busy: &[Busy],
    ) -> Vec<(NaiveDate, Vec<u32>)> {
        let today = self.local_now().date();
        (1..=14)
            .map(|i| today + Duration::days(i))
            .map(|d| (d, self.free_on(service, d, busy)))
            .filter(|(_, f)| !f.is_empty())
            .collect()
    }
}
