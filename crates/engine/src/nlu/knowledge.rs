//! Retrieval over one business's own words: its FAQs, policies and service descriptions, so
//! that "do you guys take deposits" finds the deposit FAQ. BM25 over stemmed words folded
//! through a small thesaurus. The index is derived from the profile alone, so every server that
//! loads the same profile answers alike; it is rebuilt whenever the profile changes.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::text::{is_stopword, stem, words};
use crate::profile::Profile;

/// Where an answer came from, recorded with the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum Source {
    Faq(usize),
    Policy(usize),
    Service(usize),
}

/// Folds words that mean the same thing to a business's callers onto one.
pub fn canonical(stemmed: &str) -> String {
    match stemmed {
        "cost" | "charge" | "fee" | "rate" | "pricing" | "expensive" | "cheap" | "much"
        | "pric" => "price",
        "clog" | "block" | "blockage" | "sink" | "toilet" | "backed" | "drain" => "drain",
        "leak" | "leaky" | "drip" | "leaking" => "leak",
        "downpayment" | "deposit" | "upfront" => "deposit",
        "open" | "close" | "hour" | "time" => "hour",
        "insur" | "insure" | "insurance" | "coverage" | "cover" | "protection" | "insured" => {
            "insurance"
        }
        "padlock" | "lock" => "lock",
        "carton" | "box" => "box",
        "estimate" | "quote" | "apprais" => "estimate",
        "delivery" | "deliver" => "deliver",
        "radius" | "distance" | "range" | "far" => "far",
        "cancellation" | "cancel" => "cancel",
        "celiac" | "gluten" => "gluten",
        "gate" | "access" | "entry" | "enter" => "access",
        "area" | "city" | "town" | "neighborhood" | "serve" => "area",
        "rent" | "payment" | "pay" | "bill" | "due" => "payment",
        w => return w.to_owned(),
    }
    .to_owned()
}

/// Words that say nothing about which document answers the question.
fn is_filler(w: &str) -> bool {
    is_stopword(w)
        || matches!(
            w,
            "take"
                | "accept"
                | "offer"
                | "provide"
                | "allow"
                | "anything"
                | "something"
                | "question"
                | "ask"
                | "curious"
                | "info"
                | "information"
                | "really"
                | "kind"
                | "sort"
                | "type"
                | "mean"
                | "ever"
                | "usually"
                | "generally"
                | "thing"
                | "stuff"
                | "quick"
                | "one"
                | "don't"
                | "no"
                | "not"
                | "yes"
                | "need"
                | "needed"
                | "require"
                | "required"
                | "any"
                | "way"
                | "let"
                | "when"
                | "where"
                | "why"
                | "which"
                | "who"
                | "go"
                | "come"
                | "out"
                | "sell"
                | "buy"
                | "got"
                | "wait"
                | "oh"
                | "actually"
                | "hmm"
                | "gonna"
                | "wanna"
                | "kinda"
                | "folks"
                | "currently"
                | "right"
                | "still"
                | "make"
                | "renter"
                | "tenant"
                | "customer"
                | "client"
                | "anyone"
                | "someone"
                | "somebody"
                | "people"
                | "person"
                | "can't"
                | "cant"
                | "won't"
                | "use"
        )
}

/// The terms a text contributes to the index or a query.
pub fn terms(s: &str) -> Vec<String> {
    words(s)
        .iter()
        .filter(|w| !is_filler(w))
        .map(|w| canonical(&stem(w)))
        .filter(|w| !is_filler(w))
        .collect()
}

struct Doc {
    source: Source,
    len: f32,
    tf: HashMap<String, f32>,
}

/// A best answer and how sure retrieval is of it, from 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub source: Source,
    pub confidence: f32,
}

/// The retrieval index of one profile.
pub struct Knowledge {
    docs: Vec<Doc>,
    idf: HashMap<String, f32>,
    avg_len: f32,
    /// Weight of a query word no document contains: half the mean weight of known words, so
    /// an unknown word lowers confidence without drowning a rare word that did match.
    unknown_idf: f32,
    /// Every informative term the profile uses anywhere: its documents, staff, menu (items,
    /// categories, options and choices), unit types and features, promotions.
    lexicon: HashSet<String>,
}

/// Terms too common in any business's words to say that a turn is about this one.
fn generic(term: &str) -> bool {
    matches!(
        term,
        "hour"
            | "price"
            | "payment"
            | "time"
            | "day"
            | "week"
            | "month"
            | "year"
            | "today"
            | "tomorrow"
            | "call"
            | "phone"
            | "number"
            | "appointment"
            | "book"
            | "order"
            | "cancel"
            | "servic"
            | "service"
            | "help"
            | "work"
            | "start"
            | "new"
            | "good"
            | "best"
            | "like"
            | "want"
            | "get"
            | "much"
            | "first"
            | "last"
            | "next"
            | "area"
            | "far"
            | "free"
            | "back"
            | "home"
            | "card"
            | "check"
            | "account"
            | "online"
            | "list"
            | "bank"
            | "money"
            | "cash"
    )
}

impl Knowledge {
    pub fn build(p: &Profile) -> Self {
        let mut docs = Vec::new();
        let mut add = |source, text: String| {
            let t = terms(&text);
            let mut tf = HashMap::new();
            for w in &t {
                *tf.entry(w.clone()).or_insert(0.0) += 1.0;
            }
            docs.push(Doc {
                source,
                len: t.len() as f32,
                tf,
            });
        };
        for (i, f) in p.faqs.iter().enumerate() {
            // The question is what callers will echo: count its words twice.
            add(Source::Faq(i), format!("{0} {0} {1}", f.q, f.a));
        }
        for (i, x) in p.policies.iter().enumerate() {
            add(Source::Policy(i), format!("{0} {0} {1}", x.topic, x.text));
        }
        for (i, s) in p.services.iter().enumerate() {
            add(
                Source::Service(i),
                format!(
                    "{0} {0} {1} {2}",
                    s.name,
                    s.description.as_deref().unwrap_or(""),
                    s.price_note.as_deref().unwrap_or("")
                ),
            );
        }
        let mut lexicon: HashSet<String> = docs.iter().flat_map(|d| d.tf.keys().cloned()).collect();
        let mut extra = Vec::new();
        for s in &p.staff {
            extra.push(s.name.to_string());
        }
        for m in &p.menu {
            extra.push(m.name.to_string());
            extra.extend(m.category.clone());
            for o in &m.options {
                extra.push(o.name.to_string());
                extra.extend(o.choices.0.iter().map(|(c, _)| c.clone()));
            }
        }
        for u in &p.units {
            extra.push(u.unit_type.clone());
            if u.climate_controlled {
                extra.push("climate controlled".into());
            }
            if u.drive_up {
                extra.push("drive up".into());
            }
        }
        for x in &p.promotions {
            extra.push(x.name.to_string());
            extra.extend(x.description.clone());
        }
        for e in &extra {
            lexicon.extend(terms(e));
        }
        lexicon.retain(|t| !generic(t) && t.chars().count() >= 3);
        let n = docs.len() as f32;
        let mut df: HashMap<String, f32> = HashMap::new();
        for d in &docs {
            for w in d.tf.keys() {
                *df.entry(w.clone()).or_insert(0.0) += 1.0;
            }
        }
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(w, f)| (w, ((n - f + 0.5) / (f + 0.5) + 1.0).ln()))
            .collect();
        let unknown_idf = if idf.is_empty() {
            1.0
        } else {
            0.5 * idf.values().sum::<f32>() / idf.len() as f32
        };
        let avg_len = if docs.is_empty() {
            1.0
        } else {
            docs.iter().map(|d| d.len).sum::<f32>() / n
        };
        Self {
            docs,
            idf,
            avg_len,
            unknown_idf,
            lexicon,
        }
    }

    /// How many distinct informative words of `query` the business itself uses: evidence that
    /// a turn is about this business, whatever else it sounds like.
    pub fn own_words(&self, query: &str) -> usize {
        let mut seen = HashSet::new();
        terms(query)
            .into_iter()
            .filter(|t| self.lexicon.contains(t) && seen.insert(t.clone()))
            .count()
    }

    /// Whether any document uses this (stemmed, folded) term.
    pub fn knows(&self, term: &str) -> bool {
        self.idf.contains_key(term)
    }

    /// The document that best answers `query`. Confidence is the share of the query's
    /// informative words that the document contains, so a question about something the
    /// business never wrote down scores low instead of matching a random FAQ.
    pub fn search(&self, query: &str) -> Option<Hit> {
        self.search_top(query, 1).into_iter().next()
    }

    /// The `k` documents that best answer `query`, best first.
    pub fn search_top(&self, query: &str, k: usize) -> Vec<Hit> {
        let q = terms(query);
        if q.is_empty() || self.docs.is_empty() || k == 0 {
            return Vec::new();
        }
        let weight = |w: &str| self.idf.get(w).copied().unwrap_or(self.unknown_idf);
        let total: f32 = q.iter().map(|w| weight(w)).sum();
        let (k1, b) = (1.2, 0.75);
        let mut scored: Vec<(f32, f32, Source)> = Vec::new();
        for d in &self.docs {
            let mut score = 0.0;
            let mut covered = 0.0;
            for w in &q {
                if let Some(&tf) = d.tf.get(w) {
                    let idf = weight(w);
                    score +=
                        idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * d.len / self.avg_len));
                    covered += idf;
                }
            }
            if score > 0.0 {
                scored.push((score, covered / total, d.source));
            }
        }
        // Stable, so that of equal scores the first document wins, as it always has.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(k)
            .map(|(_, c, source)| Hit {
                source,
                confidence: c.min(1.0),
            })
            .collect()
    }
}
