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

/// Groups of words small businesses' callers use for the same thing ("installments" and
/// "financing", "guaranteed" and "warranty"). A query word that only meets a document through
/// its group counts for half of what the same word would, so a shared concept helps a real
/// paraphrase without letting one loose word carry an unrelated question to an answer.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "finance",
        &[
            "financing",
            "finance",
            "installment",
            "installments",
            "instalments",
            "carecredit",
            "affirm",
            "klarna",
            "afterpay",
            "greensky",
            "scratchpay",
            "spread",
        ],
    ),
    (
        "walkin",
        &[
            "walk",
            "walkin",
            "walkins",
            "drop",
            "dropin",
            "stop",
            "unannounced",
        ],
    ),
    (
        "warranty",
        &[
            "warranty",
            "warranties",
            "guarantee",
            "guaranteed",
            "guarantees",
        ],
    ),
    ("park", &["park", "parking"]),
    ("wait", &["wait", "waiting", "lounge"]),
    ("afterhour", &["night", "overnight", "midnight", "nights"]),
    (
        "accessible",
        &[
            "wheelchair",
            "accessible",
            "accessibility",
            "ramp",
            "disabled",
            "disability",
            "handicap",
            "mobility",
            "stairs",
        ],
    ),
    ("gift", &["gift", "voucher", "certificate", "giftcard"]),
    (
        "product",
        &["product", "products", "retail", "brand", "brands"],
    ),
    ("cancel", &["miss", "missed", "noshow", "reschedule"]),
    ("deposit", &["advance", "prepay", "prepayment", "prepaid"]),
    ("age", &["age", "old", "older", "young", "younger", "aged"]),
    ("duration", &["duration", "long", "length", "minutes"]),
    (
        "discount",
        &[
            "discount",
            "discounts",
            "deal",
            "deals",
            "coupon",
            "coupons",
            "promo",
            "promotion",
            "special",
            "specials",
            "sale",
        ],
    ),
    ("vegan", &["vegan", "plant", "dairy"]),
    ("vegetarian", &["vegetarian", "veggie", "meatless"]),
    ("spicy", &["spicy", "spice", "hot", "heat", "mild"]),
    ("far", &["travel", "suburb", "suburbs", "outside", "drive"]),
    ("contract", &["contract", "lease", "commitment", "term"]),
    (
        "record",
        &[
            "record",
            "records",
            "file",
            "files",
            "history",
            "chart",
            "paperwork",
            "forms",
        ],
    ),
    ("referral", &["referral", "refer", "prescription"]),
    (
        "staff",
        &[
            "therapist",
            "technician",
            "stylist",
            "barber",
            "dentist",
            "doctor",
            "plumber",
            "mechanic",
            "hygienist",
            "vet",
            "veterinarian",
        ],
    ),
    (
        "request",
        &["request", "choose", "prefer", "preference", "specific"],
    ),
    ("bring", &["bring", "supply", "supplied", "own"]),
    ("tip", &["tip", "tips", "gratuity", "tipping"]),
    (
        "payment",
        &[
            "cash", "credit", "debit", "cheque", "cheques", "venmo", "zelle", "paypal",
        ],
    ),
    (
        "catering",
        &[
            "catering", "cater", "party", "parties", "event", "events", "crowd",
        ],
    ),
    (
        "allergy",
        &[
            "allergy",
            "allergies",
            "allergic",
            "allergen",
            "nut",
            "nuts",
        ],
    ),
];

static SYNONYMS: std::sync::LazyLock<HashMap<String, &'static str>> =
    std::sync::LazyLock::new(|| {
        let mut m = HashMap::new();
        for (term, ws) in GROUPS {
            for w in *ws {
                m.insert(stem(w), *term);
                m.insert((*w).to_owned(), *term);
            }
        }
        m
    });

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
    /// The synonym groups its terms belong to.
    groups: HashSet<&'static str>,
}

/// The synonym group of an indexed or queried term.
fn group(term: &str) -> Option<&'static str> {
    SYNONYMS.get(term).copied()
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
            let groups = tf.keys().filter_map(|w: &String| group(w)).collect();
            docs.push(Doc {
                source,
                len: t.len() as f32,
                tf,
                groups,
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
                } else if group(w).is_some_and(|g| d.groups.contains(g)) {
                    // Met through its synonym group only: half as strong.
                    let idf = weight(w) / 2.0;
                    score += idf * (k1 + 1.0) / (1.0 + k1 * (1.0 - b + b * d.len / self.avg_len));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Knowledge {
        Knowledge::build(
            &Profile::from_yaml(
                "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nfaqs:\n  - q: Do you offer financing?\n    a: Yes, through a monthly plan with approved credit.\n  - q: Is there a warranty on repairs?\n    a: Every repair carries a 2-year warranty on parts and labor.\n  - q: Where do I park?\n    a: Park in the lot behind the building.\n",
            )
            .unwrap(),
        )
    }

    /// A question put in other words than the owner's finds its answer through the words'
    /// shared meaning; a synonym alone weighs half, so it does not outweigh a real match.
    #[test]
    fn paraphrases_meet_their_answer_through_synonym_groups() {
        let k = index();
        let found = |q: &str| k.search(q).map(|h| (h.source, h.confidence));
        let (source, confidence) = found("can i pay in installments").unwrap();
        assert_eq!(source, Source::Faq(0));
        let (source, _) = found("are your repairs guaranteed").unwrap();
        assert_eq!(source, Source::Faq(1));
        // The owner's own word is a stronger match than its synonym.
        let (_, exact) = found("can i get financing").unwrap();
        assert!(exact > confidence, "{exact} vs {confidence}");
        assert_eq!(found("is there parking").unwrap().0, Source::Faq(2));
    }
}
