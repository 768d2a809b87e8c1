//! Callers: their goals, how they say things and how they answer what the agent asks.

use super::*;

pub(super) struct Voice<'a> {
    pub(super) bank: &'a Bank,
}

pub(super) fn fill(t: &str, vars: &[(&str, &str)]) -> String {
    let mut s = t.to_owned();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

pub(super) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

pub(super) const NUMBER_WORDS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

impl Voice<'_> {
    pub(super) fn pick(&self, rng: &mut StdRng, key: &str) -> String {
        self.bank
            .phrasings
            .get(key)
            .and_then(|v| v.choose(rng))
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn say(&self, rng: &mut StdRng, key: &str, vars: &[(&str, &str)]) -> String {
        fill(&self.pick(rng, key), vars)
    }

    /// A date as a caller says it, unambiguous from `today`.
    pub(super) fn day(&self, rng: &mut StdRng, today: NaiveDate, d: NaiveDate) -> String {
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
    pub(super) fn time(&self, rng: &mut StdRng, m: u32) -> String {
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

    pub(super) fn phone(&self, rng: &mut StdRng, p: &PhoneE164) -> String {
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

    pub(super) fn qty(&self, rng: &mut StdRng, n: u32) -> String {
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
pub(super) type Wanted = (usize, u32, Option<(usize, usize)>);

#[derive(Debug, Clone)]
pub(super) enum Goal {
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
    /// A question this business's data does not answer (one of another trade's FAQs): it
    /// must be noted for the owner, not answered with an unrelated FAQ.
    AskElsewhere(String),
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
    pub(super) fn kind(&self) -> &'static str {
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
            Goal::AskElsewhere(_) => "ask what is not in the data",
            Goal::Message { .. } => "leave a message",
            Goal::OffTopic(_) => "off-topic",
            Goal::Order(_) => "order",
            Goal::Reserve { .. } => "reserve a unit",
            Goal::UnitQuestion(_) => "ask about a unit",
        }
    }
}

/// Words too common to say what a question is about.
const STOP: &[&str] = &[
    "what", "when", "where", "which", "there", "that", "this", "with", "your", "have", "does",
    "will", "would", "could", "should", "about", "just", "like", "need", "want", "know", "from",
    "they", "them", "their", "much", "many", "long", "also", "into", "only", "some", "than",
    "then", "were", "been", "being", "it's", "i'm", "don't", "can't", "guys", "yall", "y'all",
];

/// The appointment a caller who moves or cancels already holds, made in the store beforehand.
pub(super) struct Held {
    pub(super) id: frontdesk_store::RecordId,
    pub(super) start: i64,
}

pub(super) fn choose_goal(w: &World, bank: &Bank, rng: &mut StdRng, busy: &[Busy]) -> Option<Goal> {
    let roll = rng.random_range(0..100);
    let common = |rng: &mut StdRng, roll: u32| -> Goal {
        // Another trade's question, which this business's FAQs do not answer.
        let elsewhere = || {
            bank.trades
                .iter()
                .filter(|t| t.trade != w.trade)
                .flat_map(|t| t.faqs.iter())
                .filter(|f| !w.faqs.iter().any(|g| g.q == f.q))
                .collect::<Vec<_>>()
        };
        // Content words, to keep only questions that share none with this business's FAQs
        // (another trade may ask about payment or parking too, and be answered rightly).
        let content = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_alphanumeric() && c != '\'')
                .map(str::to_lowercase)
                .filter(|w| w.len() > 3 && !STOP.contains(&w.as_str()))
                .map(|w| w.trim_end_matches('s').to_owned())
                .collect()
        };
        let ours: Vec<String> = w
            .faqs
            .iter()
            .flat_map(|f| content(&format!("{} {}", f.q, f.a)))
            .collect();
        if roll < 40 && !w.faqs.is_empty() {
            Goal::Ask(rng.random_range(0..w.faqs.len()))
        } else if roll < 55 {
            let pool: Vec<&String> = elsewhere()
                .into_iter()
                .flat_map(|f| f.caller_asks.iter())
                .filter(|q| !content(q).iter().any(|c| ours.contains(c)))
                .collect();
            Goal::AskElsewhere(pool.choose(rng).map(|q| (*q).clone()).unwrap_or_default())
        } else if roll < 77 {
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
pub(super) struct Caller<'a> {
    pub(super) w: &'a World,
    pub(super) v: &'a Voice<'a>,
    pub(super) goal: Goal,
    pub(super) name: Name,
    pub(super) phone: PhoneE164,
    /// Whether the day, the time, the wanted items… have been said.
    pub(super) said_day: bool,
    pub(super) said_time: bool,
    pub(super) corrected: bool,
    pub(super) items_said: usize,
    pub(super) restated: usize,
    /// How often the agent has asked which service.
    pub(super) service_asked: usize,
}

impl Caller<'_> {
    pub(super) fn service_words(&self, rng: &mut StdRng, s: usize) -> String {
        self.w.services[s]
            .caller_says
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| self.w.services[s].name.to_lowercase())
    }

    pub(super) fn item_words(&self, rng: &mut StdRng, line: &Wanted) -> String {
        self.item_words_as(rng, line, false)
    }

    /// The item in the caller's words, or by the menu's name for it when `by_name`.
    fn item_words_as(&self, rng: &mut StdRng, line: &Wanted, by_name: bool) -> String {
        let it = &self.w.items[line.0];
        let mut s = if by_name {
            it.name.to_lowercase()
        } else {
            it.caller_says
                .choose(rng)
                .cloned()
                .unwrap_or_else(|| it.name.to_lowercase())
        };
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

    pub(super) fn today(&self) -> NaiveDate {
        self.w.local_now().date()
    }

    /// The first thing the caller says.
    pub(super) fn open(&mut self, rng: &mut StdRng) -> String {
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
            Goal::AskElsewhere(q) => {
                let prefix = self.v.pick(rng, "ask_prefix");
                format!("{prefix} {q}").trim().to_owned()
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
    pub(super) fn answer(
        &mut self,
        rng: &mut StdRng,
        asking: Option<Ask>,
        reply: &str,
        done: bool,
    ) -> Option<String> {
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
            // "Did you mean…?": every caller with a question says whether they did.
            (Some(Ask::Meant), Goal::Ask(_) | Goal::AskElsewhere(_)) => true,
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
                    Goal::Ask(_)
                    | Goal::AskElsewhere(_)
                    | Goal::OffTopic(_)
                    | Goal::UnitQuestion(_) => None,
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
                | Goal::Cancel { service, .. } => {
                    self.service_asked += 1;
                    // Asked again with the services read out, a caller picks theirs by the
                    // name they just heard.
                    let name = self.w.services[*service].name.to_lowercase();
                    if self.service_asked > 1 && reply.to_lowercase().contains(&name) {
                        name
                    } else {
                        self.service_words(rng, *service)
                    }
                }
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
                // Told the dish they named is not on the menu, with the menu's names read
                // out, a caller names it again as the menu does.
                Goal::Order(lines)
                    if self.items_said > 0
                        && ask == Ask::Items
                        && reply.to_lowercase().contains("menu")
                        && reply.to_lowercase().contains(
                            &self.w.items[lines[self.items_said - 1].0]
                                .name
                                .to_lowercase(),
                        ) =>
                {
                    let line = lines[self.items_said - 1];
                    let it = self.item_words_as(rng, &line, true);
                    let q = self.v.qty(rng, line.1);
                    self.v.say(rng, "order_more", &[("qty", &q), ("item", &it)])
                }
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
            // Yes when the agent read back the business's own question that the caller's
            // is about, in a plain yes that asks for nothing else; no to anything else.
            Ask::Meant => {
                let mine = match self.goal {
                    Goal::Ask(i) => Some(self.w.faqs[i].q.trim_end_matches('?').to_lowercase()),
                    _ => None,
                };
                if mine.is_some_and(|q| reply.to_lowercase().contains(&q)) {
                    let plain: Vec<&String> = self
                        .v
                        .bank
                        .phrasings
                        .get("yes")
                        .into_iter()
                        .flatten()
                        .filter(|y| !y.contains("book") && !y.contains("ahead"))
                        .collect();
                    plain
                        .choose(rng)
                        .map(|y| (*y).clone())
                        .unwrap_or_else(|| "yes".into())
                } else {
                    self.v.say(rng, "no", &[])
                }
            }
        })
    }
}
