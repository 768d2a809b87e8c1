//! How the agent meets callers who want something no business of this kind does: each
//! utterance is the first turn of a fresh conversation with each business, and a turn is
//! **accepted** (wrongly) when the agent started a task, committed anything but a note for the
//! owner, handed the call off or ended it, stated a fact from the profile, or read back one
//! of the business's own questions as what the caller may have meant.

use std::fmt;

use chrono::{DateTime, Utc};
use frontdesk_engine::Profile;
use frontdesk_engine::agent::{Action, Agent, Channel, Context, Outcome, State};
use frontdesk_engine::nlu::intent::Intent;
use frontdesk_engine::nlu::knowledge::Knowledge;

/// The figures over every utterance and business.
#[derive(Debug, Default)]
pub struct OffTopicReport {
    pub turns: usize,
    /// Turns wrongly taken as a request the business serves.
    pub accepted: usize,
    /// Of those: a task started (a flow asking for details).
    pub flows: usize,
    /// Actions other than a note for the owner (transfers and emergencies included).
    pub actions: usize,
    /// Replies that stated a fact from the profile (hours, prices, the address, an FAQ).
    pub facts: usize,
    /// Turns that ended the conversation.
    pub ended: usize,
    /// Replies that asked whether the caller meant one of the business's own questions.
    pub read_back: usize,
    /// Every false accept: business, utterance, intent and the reply (the command line prints
    /// them with -v).
    pub examples: Vec<String>,
}

impl OffTopicReport {
    pub fn false_accept(&self) -> f64 {
        if self.turns == 0 {
            0.0
        } else {
            self.accepted as f64 / self.turns as f64
        }
    }
}

impl fmt::Display for OffTopicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "off-topic turns:  {}", self.turns)?;
        writeln!(
            f,
            "false accept:     {:.1}% ({})",
            100.0 * self.false_accept(),
            self.accepted
        )?;
        write!(
            f,
            "  tasks started {}, actions {}, facts stated {}, questions read back {}, conversations ended {}",
            self.flows, self.actions, self.facts, self.read_back, self.ended
        )
    }
}

/// What one off-topic turn did wrong, if anything.
fn faults(
    intent: Intent,
    actions: &[Action],
    flow: bool,
    fact: bool,
    read_back: bool,
    end: bool,
) -> Vec<&'static str> {
    let mut why = Vec::new();
    if flow {
        why.push("task");
    }
    if actions.iter().any(|a| {
        !matches!(
            a,
            Action::RecordUnanswered { .. } | Action::UpdateContact { .. }
        )
    }) {
        why.push("action");
    }
    let stated = fact
        || matches!(
            intent,
            Intent::Hours
                | Intent::Location
                | Intent::Prices
                | Intent::UnitSizes
                | Intent::Availability
        );
    if stated {
        why.push("fact");
    }
    if read_back {
        why.push("read back");
    }
    if end {
        why.push("ended");
    }
    why
}

/// Tries items as the first turn of a fresh text conversation at `now`, each with every
/// profile `say` gives words for, and shows `seen` what came of it (the reply and the state
/// after the turn).
fn first_turns<'a, T>(
    profiles: &[Profile],
    items: &'a [T],
    now: DateTime<Utc>,
    say: impl Fn(&Profile, &'a T) -> Option<&'a str>,
    mut seen: impl FnMut(&Profile, &T, &str, &Outcome, &State),
) {
    let agent = Agent::new();
    for p in profiles {
        let knowledge = Knowledge::build(p);
        let ctx = Context {
            profile: p,
            knowledge: &knowledge,
            now,
            channel: Channel::Sms,
            caller: None,
            appointments: &[],
            blocked: &[],
            orders: &[],
        };
        for it in items {
            let Some(u) = say(p, it) else {
                continue;
            };
            let mut state = State::default();
            agent.greet(&ctx, &mut state);
            let out = agent.respond(&ctx, &mut state, u);
            seen(p, it, u, &out, &state);
        }
    }
}

/// Runs every utterance against every profile, as the first turn of a text conversation at
/// `now`.
pub fn run(profiles: &[Profile], utterances: &[String], now: DateTime<Utc>) -> OffTopicReport {
    let mut r = OffTopicReport::default();
    let say = |_: &Profile, u| Some(String::as_str(u));
    first_turns(profiles, utterances, now, say, |p, _, u, out, state| {
        let why = faults(
            out.intent,
            &out.actions,
            state.flow.is_some(),
            out.source.is_some(),
            state.asking() == Some(frontdesk_engine::agent::Ask::Meant),
            out.end,
        );
        r.turns += 1;
        if why.is_empty() {
            return;
        }
        r.accepted += 1;
        r.flows += usize::from(why.contains(&"task"));
        r.actions += usize::from(why.contains(&"action"));
        r.facts += usize::from(why.contains(&"fact"));
        r.ended += usize::from(why.contains(&"ended"));
        r.read_back += usize::from(why.contains(&"read back"));
        {
            r.examples.push(format!(
                "{}: {u:?} -> {} [{}] {:?}",
                p.slug.as_str(),
                out.intent.as_str(),
                why.join(","),
                out.reply
            ));
        }
    });
    r
}

/// Utterances from a file: one per line; blank lines and `#` comments skipped.
pub fn read_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Whether a business is of the kind an in-scope line was written for.
fn kind_matches(kind: &str, slug: &str) -> bool {
    let keys: &[&str] = match kind {
        "plumber" => &["rooter", "plumb"],
        "salon" => &["blade", "salon", "hair"],
        "dental" => &["dental"],
        "taqueria" => &["taqueria", "palma"],
        "storage" => &["storage"],
        "pizza" => &["pizza"],
        _ => &[],
    };
    keys.iter().any(|k| slug.contains(k))
}

/// The controls: requests a business of the named kind serves (`kind<TAB>utterance`), each
/// tried as a first turn with every business of that kind. Returns the turns tried and the
/// examples wrongly turned away as off-topic.
pub fn run_inscope<'a>(
    profiles: &[Profile],
    lines: &'a [String],
    now: DateTime<Utc>,
) -> (usize, Vec<String>) {
    let mut turns = 0;
    let mut rejected = Vec::new();
    let say = |p: &Profile, l: &'a String| {
        let (kind, u) = l.split_once('\t')?;
        kind_matches(kind, p.slug.as_str()).then_some(u)
    };
    first_turns(profiles, lines, now, say, |p, _, u, out, _| {
        turns += 1;
        if out.intent == Intent::OutOfScope {
            rejected.push(format!("{}: {u:?} -> {:?}", p.slug.as_str(), out.reply));
        }
    });
    (turns, rejected)
}

/// One question about the assistant or bit of small talk, with what kind it is
/// (`agent_name`, `are_you_human`, `who_for`, `what_can_you_do`, `greeting`, `goodbye`,
/// `thanks`, `how_are_you`).
#[derive(Debug, serde::Deserialize)]
pub struct SmallTalk {
    pub say: String,
    pub kind: String,
}

/// Tries each line as a first turn with every profile; returns the turns tried and those
/// answered wrongly: a name question without the persona's name, "are you a person" without
/// "automated assistant" or with a transfer, "who is this" without the business's name, "what
/// can you do" without the list, a greeting, thanks or goodbye read as anything else, and any
/// action at all except a goodbye ending the conversation.
pub fn run_small_talk<'a>(
    profiles: &[Profile],
    items: &'a [SmallTalk],
    now: DateTime<Utc>,
) -> (usize, Vec<String>) {
    let mut turns = 0;
    let mut wrong = Vec::new();
    let say = |_: &Profile, it: &'a SmallTalk| Some(it.say.as_str());
    first_turns(profiles, items, now, say, |p, it, _, out, _| {
        turns += 1;
        let persona = p.persona.as_ref().and_then(|x| x.agent_name.as_deref());
        let reply = out.reply.to_lowercase();
        let ok = out.actions.is_empty()
            && match it.kind.as_str() {
                "agent_name" => persona.is_none_or(|n| reply.contains(&n.to_lowercase())),
                "are_you_human" => reply.contains("automated assistant"),
                "who_for" => reply.contains(&p.name.to_string().to_lowercase()),
                "what_can_you_do" => reply.contains("i can help with"),
                "greeting" => matches!(out.intent, Intent::Greeting),
                "thanks" => matches!(out.intent, Intent::Thanks),
                "goodbye" => matches!(out.intent, Intent::Goodbye),
                "how_are_you" => matches!(out.intent, Intent::Assistant | Intent::Greeting),
                _ => true,
            };
        if !ok {
            wrong.push(format!(
                "{}: {} {:?} -> {} {:?}",
                p.slug.as_str(),
                it.kind,
                it.say,
                out.intent.as_str(),
                out.reply
            ));
        }
    });
    (turns, wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading one of the business's questions back to an off-topic caller is a false accept,
    /// though it states nothing; a note for the owner alone is not.
    #[test]
    fn a_read_back_counts_as_a_false_accept() {
        let note = [Action::RecordUnanswered {
            question: "how do I write a unit test".into(),
        }];
        assert!(faults(Intent::OutOfScope, &note, false, false, false, false).is_empty());
        assert_eq!(
            faults(Intent::Faq, &note, false, false, true, false),
            vec!["read back"]
        );
    }
}
