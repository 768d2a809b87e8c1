//! Evaluation of the agent on whole conversations held apart from the training corpus: the
//! files in `eval/` (compiled into the binary) or any directory of the same format. Each file
//! is one business and a list of conversations run in order against a fresh embedded database
//! through the same [`Host`] every channel uses, at a fixed local clock. It reports intent
//! accuracy, entity accuracy, task completion and wrong facts (amounts or times in a reply that
//! the data does not contain).

pub mod offtopic;
pub mod simulate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::{NaiveDateTime, TimeZone, Timelike};
use frontdesk_engine::agent::{Action, Channel};
use frontdesk_engine::{PhoneE164, Profile};
use frontdesk_store::Db;
use serde::Deserialize;

use crate::host::{Also, Host, Opening};

/// The built-in evaluation files, and the demo profiles they refer to.
const BUILTIN: [(&str, &str); 5] = [
    (
        "rapid-rooter.yaml",
        include_str!("../../../eval/rapid-rooter.yaml"),
    ),
    (
        "sunny-storage.yaml",
        include_str!("../../../eval/sunny-storage.yaml"),
    ),
    (
        "tonys-pizza.yaml",
        include_str!("../../../eval/tonys-pizza.yaml"),
    ),
    (
        "maple-dental.yaml",
        include_str!("../../../eval/maple-dental.yaml"),
    ),
    (
        "profiles/maple-dental.yaml",
        include_str!("../../../eval/profiles/maple-dental.yaml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// A demo business by slug…
    business: Option<String>,
    /// …or a profile file, relative to the evaluation file.
    profile: Option<String>,
    /// The business's local time when each conversation starts.
    now: NaiveDateTime,
    conversations: Vec<Conversation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Conversation {
    name: String,
    #[serde(default)]
    caller: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    turns: Vec<Turn>,
    /// Action types that must have been committed for the task to count as done.
    #[serde(default)]
    done: Vec<String>,
    /// Action types that must not have been committed (a question that must stay a question).
    #[serde(default)]
    never: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    say: String,
    #[serde(default)]
    intent: Option<String>,
    /// Expected entities: service, unit, phone, email, name, date (YYYY-MM-DD), time (HH:MM),
    /// items (number of order lines).
    #[serde(default)]
    entities: BTreeMap<String, String>,
    /// Text the reply must contain (any case).
    #[serde(default)]
    says: Vec<String>,
}

/// A set of evaluation files with the profiles they need.
pub struct Suite {
    files: Vec<(String, File, Profile)>,
}

fn parse_file(
    name: &str,
    text: &str,
    profile_of: &dyn Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<(String, File, Profile)> {
    let f: File =
        frontdesk_engine::yaml::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let profile = match (&f.business, &f.profile) {
        (Some(slug), None) => crate::admin::demo_profiles()?
            .into_iter()
            .find(|p| p.slug.as_str() == slug)
            .ok_or_else(|| anyhow::anyhow!("{name}: no demo business {slug:?}"))?,
        (None, Some(p)) => Profile::from_yaml(&profile_of(p)?)
            .map_err(|e| anyhow::anyhow!("{name}: profile: {e}"))?,
        _ => anyhow::bail!("{name}: give either business (a demo slug) or profile (a file)"),
    };
    Ok((name.to_owned(), f, profile))
}

impl Suite {
    pub fn builtin() -> anyhow::Result<Self> {
        let lookup = |p: &str| -> anyhow::Result<String> {
            BUILTIN
                .iter()
                .find(|(n, _)| *n == p)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| anyhow::anyhow!("no built-in profile {p}"))
        };
        let files = BUILTIN
            .iter()
            .filter(|(n, _)| !n.contains('/'))
            .map(|(n, t)| parse_file(n, t, &lookup))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { files })
    }

    /// Every `*.yaml` file directly in `dir`.
    pub fn from_dir(dir: &Path) -> anyhow::Result<Self> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        names.sort();
        let lookup = |p: &str| -> anyhow::Result<String> {
            std::fs::read_to_string(dir.join(p)).map_err(|e| anyhow::anyhow!("{p}: {e}"))
        };
        let mut files = Vec::new();
        for p in names {
            let text = std::fs::read_to_string(&p)?;
            files.push(parse_file(&p.display().to_string(), &text, &lookup)?);
        }
        Ok(Self { files })
    }
}

/// Every profile file in `dir` and its `profiles/` subdirectory.
pub fn profiles_in(dir: &Path) -> anyhow::Result<Vec<Profile>> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("profiles")] {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        names.sort();
        for p in names {
            let text = std::fs::read_to_string(&p)?;
            // Evaluation files sit beside the profiles; only profiles parse as one.
            if let Ok(profile) = Profile::from_yaml(&text) {
                out.push(profile);
            }
        }
    }
    Ok(out)
}

/// The scores.
#[derive(Debug, Default)]
pub struct Report {
    pub conversations: usize,
    pub completed: usize,
    pub intents: (usize, usize),
    pub entities: (usize, usize),
    pub wrong_facts: usize,
    pub turns: usize,
    pub failures: Vec<String>,
}

impl Report {
    pub fn completion(&self) -> f64 {
        ratio(self.completed, self.conversations)
    }
    pub fn intent_accuracy(&self) -> f64 {
        ratio(self.intents.0, self.intents.1)
    }
    pub fn entity_accuracy(&self) -> f64 {
        ratio(self.entities.0, self.entities.1)
    }
    /// The acceptance bar: at least 95% of tasks done and not one wrong fact.
    pub fn passes(&self) -> bool {
        self.completion() >= 0.95 && self.wrong_facts == 0
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conversations:    {} ({} turns)",
            self.conversations, self.turns
        )?;
        writeln!(
            f,
            "intent accuracy:  {:.1}% ({}/{})",
            100.0 * self.intent_accuracy(),
            self.intents.0,
            self.intents.1
        )?;
        writeln!(
            f,
            "entity accuracy:  {:.1}% ({}/{})",
            100.0 * self.entity_accuracy(),
            self.entities.0,
            self.entities.1
        )?;
        writeln!(
            f,
            "task completion:  {:.1}% ({}/{})",
            100.0 * self.completion(),
            self.completed,
            self.conversations
        )?;
        write!(f, "wrong facts:      {}", self.wrong_facts)
    }
}

fn action_type(a: &Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// Money the data contains: every price, rate, fee and amount in the profile's own text.
fn known_amounts(p: &Profile) -> Vec<i64> {
    let mut v: Vec<i64> = Vec::new();
    v.extend(p.services.iter().filter_map(|s| s.price.map(|m| m.cents())));
    for u in &p.units {
        v.push(u.monthly_rate.cents());
        v.push(frontdesk_engine::agent::unit_rate(p, u).cents());
    }
    for m in &p.menu {
        v.push(m.price.cents());
        for o in &m.options {
            v.extend(o.choices.0.iter().map(|(_, c)| c.cents()));
        }
    }
    if let Some(o) = &p.ordering {
        v.extend(o.delivery_fee.map(|m| m.cents()));
        v.extend(o.min_order.map(|m| m.cents()));
    }
    for t in profile_texts(p) {
        v.extend(amounts(&t));
    }
    v
}

/// What the profile states in its own words: FAQ answers, policies, promotions, price notes.
/// An amount or a time quoted from them is in the data.
fn profile_texts(p: &Profile) -> impl Iterator<Item = String> + '_ {
    p.faqs
        .iter()
        .map(|f| f.a.to_string())
        .chain(p.policies.iter().map(|x| x.text.to_string()))
        .chain(
            p.promotions
                .iter()
                .map(|x| format!("{} {}", x.name, x.description.clone().unwrap_or_default())),
        )
        .chain(p.services.iter().filter_map(|s| s.price_note.clone()))
}

/// Dollar amounts written in a text, in cents.
fn amounts(s: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, _) in s.match_indices('$') {
        let num: String = s[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let num = num.trim_end_matches(['.', ',']).replace(',', "");
        if let Ok(v) = num.parse::<f64>() {
            out.push((v * 100.0).round() as i64);
        }
    }
    out
}

/// Clock times said in a reply ("2:30 PM", "9 AM", "noon"), in minutes after midnight.
fn times(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let words: Vec<&str> = s.split(|c: char| c.is_whitespace() || c == ',').collect();
    for (i, w) in words.iter().enumerate() {
        let next = words
            .get(i + 1)
            .map(|n| n.trim_matches(|c: char| !c.is_alphabetic()))
            .unwrap_or("");
        if next == "AM" || next == "PM" {
            let (h, m) = match w.split_once(':') {
                Some((h, m)) => (h.parse::<u32>().ok(), m.parse::<u32>().ok()),
                None => (w.parse::<u32>().ok(), Some(0)),
            };
            if let (Some(h), Some(m)) = (h, m) {
                let h24 = (h % 12) + if next == "PM" { 12 } else { 0 };
                out.push(h24 * 60 + m);
            }
        }
        if w.trim_matches(|c: char| !c.is_alphabetic()) == "noon" {
            out.push(720);
        }
    }
    out
}

/// Whether a time of day is one the business keeps: inside the week's, a closure's or a staff
/// member's hours (ends included), or stated in the profile's own words (gate hours in a
/// policy).
fn plausible_time(p: &Profile, m: u32) -> bool {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut week = |w: &frontdesk_engine::profile::WeekHours| {
        for d in frontdesk_engine::profile::WeekHours::DAYS {
            ranges.extend(
                w.on(d)
                    .iter()
                    .map(|r| (u32::from(r.start_min), u32::from(r.end_min))),
            );
        }
    };
    week(&p.hours);
    for s in &p.staff {
        if let Some(h) = &s.hours {
            week(h);
        }
    }
    for c in &p.closures {
        if let Some(h) = &c.hours {
            ranges.extend(
                h.0.iter()
                    .map(|r| (u32::from(r.start_min), u32::from(r.end_min))),
            );
        }
    }
    ranges.iter().any(|(a, b)| *a <= m && m <= *b)
        || profile_texts(p).any(|t| times(&t).contains(&m))
}

/// Runs the suite on the built-in engine, or in LLM mode with `llm`; `log` receives a
/// transcript line by line.
pub async fn run(
    suite: &Suite,
    llm: Option<crate::providers::llm::Llm>,
    mut log: impl FnMut(&str),
) -> anyhow::Result<Report> {
    let host = Host::new().with_llm(llm);
    let mut report = Report::default();
    for (name, file, profile) in &suite.files {
        let dir = std::env::temp_dir().join(format!("frontdesk-eval-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let result = run_file(&host, &dir, name, file, profile, &mut report, &mut log).await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }
    Ok(report)
}

async fn run_file(
    host: &Host,
    dir: &Path,
    name: &str,
    file: &File,
    profile: &Profile,
    report: &mut Report,
    log: &mut impl FnMut(&str),
) -> anyhow::Result<()> {
    let db = Db::open(&format!("sqlite://{}", dir.join("eval.db").display())).await?;
    db.migrate().await?;
    let mut conn = db.clone();
    let (business, _) =
        frontdesk_store::businesses::upsert_profile(&mut conn, profile, frontdesk_store::now_ms())
            .await?;
    let tz = profile.timezone.0;
    let now = tz
        .from_local_datetime(&file.now)
        .earliest()
        .ok_or_else(|| anyhow::anyhow!("{name}: now is not a valid local time"))?
        .with_timezone(&chrono::Utc);
    let mut amounts_known = known_amounts(profile);
    for (ci, c) in file.conversations.iter().enumerate() {
        // Each conversation starts a minute after the one before, so records do not collide.
        let mut clock = now + chrono::Duration::minutes(ci as i64 * 10);
        let channel = c
            .channel
            .as_deref()
            .and_then(Channel::parse)
            .unwrap_or(Channel::Cli);
        let caller = c
            .caller
            .as_deref()
            .map(PhoneE164::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("{name}: {}: {e}", c.name))?;
        let (conv, greeting) = host
            .open(
                &db,
                &business.id,
                Opening::new(channel, caller.as_ref()),
                clock,
            )
            .await?;
        log(&format!("== {name}: {}\n  agent: {greeting}", c.name));
        let mut ok = true;
        let mut why = Vec::new();
        let mut committed: Vec<Action> = Vec::new();
        let mut replies = Vec::new();
        // The previous turn's intent and whether it left a question open: an answer to that
        // question is reported under the task's intent (a "yes" that confirms a booking is
        // `book`), so a wanted yes or no is met when the task went on and read the answer so.
        let mut waiting: Option<String> = None;
        for t in &c.turns {
            clock += chrono::Duration::seconds(20);
            report.turns += 1;
            let r = host
                .turn(&db, &business.id, &conv.id, &t.say, Also::default(), clock)
                .await?;
            log(&format!(
                "  caller: {}\n  agent: {}  [{} {:.2}]",
                t.say, r.reply, r.intent, r.confidence
            ));
            let answered = |polarity: bool| {
                r.entities.yes == Some(polarity) && waiting.as_deref() == Some(r.intent.as_str())
            };
            let understood = |want: &str| match want {
                "yes" => answered(true),
                "no" => answered(false),
                _ => false,
            };
            if let Some(want) = &t.intent {
                report.intents.1 += 1;
                if *want == r.intent || understood(want) {
                    report.intents.0 += 1;
                } else {
                    why.push(format!(
                        "intent of {:?}: {} (wanted {want})",
                        t.say, r.intent
                    ));
                }
            }
            let e = serde_json::to_value(&r.entities)?;
            for (k, want) in &t.entities {
                report.entities.1 += 1;
                let got: Option<String> = match k.as_str() {
                    "date" => e
                        .pointer("/when/date")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    "time" => e
                        .pointer("/when/time")
                        .and_then(|v| v.as_u64())
                        .map(|m| format!("{:02}:{:02}", m / 60, m % 60)),
                    "items" => Some(r.entities.items.len().to_string()),
                    k => e.get(k).and_then(|v| v.as_str()).map(str::to_owned),
                };
                if got.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(want)) {
                    report.entities.0 += 1;
                } else {
                    why.push(format!(
                        "entity {k} of {:?}: {got:?} (wanted {want})",
                        t.say
                    ));
                }
            }
            for s in &t.says {
                if !r.reply.to_lowercase().contains(&s.to_lowercase()) {
                    ok = false;
                    why.push(format!("reply to {:?} lacks {s:?}: {}", t.say, r.reply));
                }
            }
            committed.extend(r.actions.iter().cloned());
            replies.push(r.reply.clone());
            waiting = r.asking.is_some().then(|| r.intent.clone());
            if r.ended {
                break;
            }
        }
        for a in &committed {
            if let Action::PlaceOrder {
                lines,
                subtotal,
                delivery_fee,
                total,
                ..
            } = a
            {
                amounts_known.extend([subtotal.cents(), delivery_fee.cents(), total.cents()]);
                amounts_known.extend(lines.iter().map(|l| l.total.cents()));
            }
        }
        for reply in &replies {
            for a in amounts(reply) {
                if !amounts_known.contains(&a) {
                    report.wrong_facts += 1;
                    why.push(format!("wrong fact: ${:.2} in {reply:?}", a as f64 / 100.0));
                    ok = false;
                }
            }
            for m in times(reply) {
                let local = clock.with_timezone(&tz);
                let near_now =
                    (i64::from(m) - i64::from(local.hour() * 60 + local.minute())).abs() <= 90;
                if !plausible_time(profile, m) && !near_now {
                    report.wrong_facts += 1;
                    why.push(format!(
                        "wrong fact: time {:02}:{:02} in {reply:?}",
                        m / 60,
                        m % 60
                    ));
                    ok = false;
                }
            }
        }
        let types: Vec<String> = committed.iter().map(action_type).collect();
        for d in &c.done {
            if !types.contains(d) {
                ok = false;
                why.push(format!("not done: {d} (committed {types:?})"));
            }
        }
        for n in &c.never {
            if types.contains(n) {
                ok = false;
                why.push(format!("done but must not be: {n} (committed {types:?})"));
            }
        }
        report.conversations += 1;
        if ok {
            report.completed += 1;
        } else {
            report
                .failures
                .push(format!("{name}: {}: {}", c.name, why.join("; ")));
        }
        for w in why.iter().filter(|_| ok) {
            log(&format!("  note: {w}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A time the profile states in its own words is a fact of the data; one it states nowhere
    /// is not, however near the opening hours.
    #[test]
    fn a_time_quoted_from_the_profile_is_no_wrong_fact() {
        let p = Profile::from_yaml(
            "version: 1\nslug: s\nname: S\nkind: self_storage\ntimezone: UTC\nphone: \"+17205550000\"\n\
             hours: {mon: \"09:00-18:00\"}\n\
             policies:\n  - topic: gate\n    text: The gate is open from 6:00 AM to 10:00 PM.\n",
        )
        .unwrap();
        assert!(plausible_time(&p, 9 * 60 + 30), "inside the hours");
        assert!(plausible_time(&p, 6 * 60), "the policy's opening");
        assert!(plausible_time(&p, 22 * 60), "the policy's closing");
        assert!(!plausible_time(&p, 5 * 60), "stated nowhere");
        assert!(!plausible_time(&p, 23 * 60), "stated nowhere");
    }
}
