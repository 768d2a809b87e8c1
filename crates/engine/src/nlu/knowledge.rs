//! Retrieval over one business's own words: its FAQs, policies and service descriptions, so
//! that "do you guys take deposits" finds the deposit FAQ. BM25 over stemmed words folded
//! through a small thesaurus; a caller's word found nowhere meets the owner's word of like
//! meaning through word vectors (`vectors`), and documents about the same thing as the whole
//! question rank first. The index is derived from the profile alone, so every server that
//! loads the same profile answers alike; it is rebuilt whenever the profile changes.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::text::{is_stopword, stem, words};
use super::vectors::{self, Vector};
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
/// "financing", "guaranteed" and "warranty"), one `concept: word word …` per line in
/// `thesaurus.txt` (written apart from the evaluation's phrasings). A query word that only
/// meets a document through its group counts for half of what the same word would, so a shared
/// concept helps a real paraphrase without letting one loose word carry an unrelated question
/// to an answer.
const THESAURUS: &str = include_str!("thesaurus.txt");

static SYNONYMS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for line in THESAURUS.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((concept, ws)) = line.split_once(':') else {
            continue;
        };
        for w in ws.split_whitespace() {
            if is_filler(w) {
                continue;
            }
            m.entry(stem(w)).or_insert(concept);
            m.entry(root(w)).or_insert(concept);
            m.entry(w.to_owned()).or_insert(concept);
        }
    }
    m
});

/// Reads the thesaurus, the stemmer and the word frequencies, which are otherwise read on
/// first use.
pub fn warm() {
    LazyLock::force(&SYNONYMS);
    LazyLock::force(&PORTER);
    super::frequency::zipf("the");
    vectors::warm();
    super::intent::front_desk_word("book");
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
                // Talk around a question: greetings, hedges and apologies.
                | "morning"
                | "afternoon"
                | "evening"
                | "wonder"
                | "sorry"
                | "lol"
                | "haha"
                | "thank"
                | "thanks"
                | "more"
                | "real"
                | "possible"
                | "able"
                | "okay"
                | "ok"
                | "yall"
                | "i've"
                | "you'll"
                | "had"
                | "her"
                | "his"
                | "their"
                | "those"
                | "these"
                | "too"
        )
}

/// The terms a text contributes to the index or a query.
pub fn terms(s: &str) -> Vec<String> {
    weighed_terms(s).into_iter().map(|(t, _)| t).collect()
}

/// A text's informative words, each with the term it stands for: fillers dropped, as written
/// and as folded.
fn informative(s: &str) -> impl Iterator<Item = (String, String)> {
    words(s)
        .into_iter()
        .filter(|w| !is_filler(w))
        .filter_map(|w| {
            let t = root(&w);
            (!is_filler(&t)).then_some((w, t))
        })
}

/// The terms of a query with how specific the caller's word was in English at large.
fn weighed_terms(s: &str) -> Vec<(String, f32)> {
    informative(s)
        .map(|(w, t)| (t, super::frequency::specificity(&w)))
        .collect()
}

/// The mean vector of some words, each weighted by how specific it is.
fn centroid<'a>(ws: impl IntoIterator<Item = &'a str>) -> [f32; vectors::DIMS] {
    vectors::mean(
        ws.into_iter()
            .map(|w| (w, super::frequency::specificity(w))),
    )
}

static PORTER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// A word's Snowball (Porter 2) stem: "installation" and "install" are "instal".
pub fn snowball(w: &str) -> String {
    PORTER.stem(w).into_owned()
}

/// The term a word stands for: the callers' synonyms folded together ("quote" and
/// "estimate"), else the word's Snowball stem ("consultation" and "consult").
pub fn root(w: &str) -> String {
    let light = stem(w);
    let folded = canonical(&light);
    if folded != light {
        return folded;
    }
    let porter = PORTER.stem(w);
    let folded = canonical(&porter);
    if folded != porter.as_ref() {
        return folded;
    }
    porter.into_owned()
}

struct Doc {
    source: Source,
    len: f32,
    tf: HashMap<String, f32>,
    /// The synonym groups its terms belong to.
    groups: HashSet<&'static str>,
    /// Its words' places in the index's `vocabulary`.
    vocabulary: Vec<usize>,
    /// The mean of its words' vectors, each weighted by how specific the word is.
    centroid: [f32; vectors::DIMS],
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
    /// The mean weight of the words documents contain. A query word no document contains
    /// weighs this times how specific the word is in English: "notary" in a question to a
    /// storage facility counts fully against every answer, "lunch" in "can I drop in on my
    /// lunch break" hardly.
    unknown_idf: f32,
    /// Every informative term the profile uses anywhere: its documents, staff, menu (items,
    /// categories, options and choices), unit types and features, promotions.
    lexicon: HashSet<String>,
    /// The vectors of the words documents contain, each once.
    vocabulary: Vec<[f32; vectors::DIMS]>,
}

/// How close (cosine) a caller's word must lie to a document's word to meet it by meaning.
const NEAR: f32 = 0.5;

/// How much a document's likeness to the question as a whole (the cosine of their mean
/// vectors) raises its rank among the documents that share words with it.
const TOPIC: f32 = 10.0;

/// Terms too common in any business's words to say that a turn is about this one.
fn generic(term: &str) -> bool {
    static ROOTS: LazyLock<HashSet<String>> = LazyLock::new(|| {
        GENERIC
            .iter()
            .flat_map(|w| [root(w), (*w).to_owned()])
            .collect()
    });
    ROOTS.contains(term)
}

const GENERIC: &[&str] = &[
    "hour",
    "price",
    "payment",
    "time",
    "day",
    "week",
    "month",
    "year",
    "today",
    "tomorrow",
    "call",
    "phone",
    "number",
    "appointment",
    "book",
    "order",
    "cancel",
    "servic",
    "service",
    "help",
    "work",
    "start",
    "new",
    "good",
    "best",
    "like",
    "want",
    "get",
    "much",
    "first",
    "last",
    "next",
    "area",
    "far",
    "free",
    "back",
    "home",
    "card",
    "check",
    "account",
    "online",
    "list",
    "bank",
    "money",
    "cash",
];

impl Knowledge {
    pub fn build(p: &Profile) -> Self {
        let mut docs = Vec::new();
        let mut vocabulary: Vec<[f32; vectors::DIMS]> = Vec::new();
        let mut place: HashMap<usize, usize> = HashMap::new();
        let mut add = |source, text: String| {
            let t = terms(&text);
            let mut tf = HashMap::new();
            for w in &t {
                *tf.entry(w.clone()).or_insert(0.0) += 1.0;
            }
            let groups = tf.keys().filter_map(|w: &String| group(w)).collect();
            let own: Vec<String> = informative(&text).map(|(w, _)| w).collect();
            let mut mine = Vec::new();
            for v in own
                .iter()
                .filter(|w| w.chars().count() >= 3)
                .filter_map(|w| vectors::of(w))
            {
                let at = *place.entry(v.key()).or_insert_with(|| {
                    vocabulary.push(v.unit());
                    vocabulary.len() - 1
                });
                if !mine.contains(&at) {
                    mine.push(at);
                }
            }
            docs.push(Doc {
                source,
                len: t.len() as f32,
                tf,
                groups,
                vocabulary: mine,
                centroid: centroid(own.iter().map(String::as_str)),
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
        let mut extra = vec![p.name.to_string()];
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
            idf.values().sum::<f32>() / idf.len() as f32
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
            vocabulary,
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

    /// How specific (0 to 1, by English frequency) the most specific word of `query` is that
    /// the business never uses: "weigh" in "how much does the earth weigh", "ballot" in "how
    /// do I get an absentee ballot". 0 when every informative word is the business's own, a
    /// word callers use to ask any front desk for what it does ("reschedule"), or a day, time
    /// or number.
    pub fn foreign(&self, query: &str) -> f32 {
        words(query)
            .iter()
            .filter(|w| {
                !is_filler(w)
                    && w.chars().count() >= 3
                    && !w.chars().any(|c| c.is_ascii_digit())
                    && !super::when::names_a_time(w)
                    && !super::intent::front_desk_word(w)
            })
            .filter(|w| {
                let t = root(w);
                !is_filler(&t)
                    && !generic(&t)
                    && !self.lexicon.contains(&t)
                    && !self.idf.contains_key(&t)
                    && !super::when::names_a_time(&t)
            })
            .map(|w| super::frequency::specificity(w))
            .fold(0.0, f32::max)
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
        let said: Vec<(String, String)> = informative(query).collect();
        let qc = centroid(said.iter().map(|(w, _)| w.as_str()));
        // A word said twice is one word of the question.
        let mut seen = HashSet::new();
        let q: Vec<(String, f32, Option<Vector>)> = said
            .into_iter()
            .filter(|(_, t)| seen.insert(t.clone()))
            .map(|(w, t)| (t, super::frequency::specificity(&w), vectors::of(&w)))
            .collect();
        if q.is_empty() || self.docs.is_empty() || k == 0 {
            return Vec::new();
        }
        let weight = |w: &str, specific: f32| match self.idf.get(w) {
            // A word the business uses still says less when every caller uses it ("day",
            // "give", "never").
            Some(idf) => idf * (0.3 + 0.7 * specific),
            None => self.unknown_idf * specific,
        };
        let total: f32 = q.iter().map(|(w, s, _)| weight(w, *s)).sum();
        // How close each query word lies to each word the documents use.
        let near: Vec<Vec<f32>> = q
            .iter()
            .map(|(_, _, v)| match v {
                Some(v) => {
                    let v = v.unit();
                    self.vocabulary
                        .iter()
                        .map(|d| vectors::dot(&v, d))
                        .collect()
                }
                None => Vec::new(),
            })
            .collect();
        let (k1, b) = (1.2, 0.75);
        let mut scored: Vec<(f32, f32, Source)> = Vec::new();
        for d in &self.docs {
            let mut score = 0.0;
            let mut covered = 0.0;
            for (i, (w, s, _)) in q.iter().enumerate() {
                if let Some(&tf) = d.tf.get(w) {
                    let idf = weight(w, *s);
                    score +=
                        idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * d.len / self.avg_len));
                    covered += idf;
                } else if group(w).is_some_and(|g| d.groups.contains(g)) {
                    // Met through its synonym group only: half as strong.
                    let idf = weight(w, *s) / 2.0;
                    score += idf * (k1 + 1.0) / (1.0 + k1 * (1.0 - b + b * d.len / self.avg_len));
                    covered += idf;
                } else if let Some(best) = d
                    .vocabulary
                    .iter()
                    .filter_map(|&at| near[i].get(at).copied())
                    .max_by(f32::total_cmp)
                    && best >= NEAR
                {
                    // Met through a word of like meaning only: the nearer, the stronger.
                    let idf = weight(w, *s) * ((best - NEAR) / (1.0 - NEAR)).sqrt();
                    score += idf * (k1 + 1.0) / (1.0 + k1 * (1.0 - b + b * d.len / self.avg_len));
                    covered += idf;
                }
            }
            if score > 0.0 {
                // Of documents that share words with the question, the one about the same
                // thing as a whole ranks first.
                let score = score * (1.0 + TOPIC * vectors::dot(&qc, &d.centroid).max(0.0));
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

    /// The index of a business with these FAQs, `(question, answer)`.
    fn with_faqs(faqs: &[(&str, &str)]) -> Knowledge {
        let mut y = String::from(
            "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nfaqs:\n",
        );
        for (q, a) in faqs {
            y.push_str(&format!("  - q: {q:?}\n    a: {a:?}\n"));
        }
        Knowledge::build(&Profile::from_yaml(&y).unwrap())
    }

    fn index() -> Knowledge {
        with_faqs(&[
            (
                "Do you offer financing?",
                "Yes, through a monthly plan with approved credit.",
            ),
            (
                "Is there a warranty on repairs?",
                "Every repair carries a 2-year warranty on parts and labor.",
            ),
            ("Where do I park?", "Park in the lot behind the building."),
        ])
    }

    fn salon() -> Knowledge {
        with_faqs(&[
            (
                "What is your cancellation policy?",
                "Please give us 48 hours' notice; late cancellations are charged half the service.",
            ),
            (
                "Do I need a consultation before coloring?",
                "New color clients need a free consultation and patch test first.",
            ),
            (
                "Do you sell boxes?",
                "Yes, the office sells boxes, tape and locks.",
            ),
        ])
    }

    fn answered(k: &Knowledge, q: &str) -> Option<Source> {
        k.search(q)
            .filter(|h| h.confidence >= crate::agent::KNOWN)
            .map(|h| h.source)
    }

    /// Greetings, hedges and small talk around a question do not hide it, and everyday
    /// words the business never wrote down weigh little; a specific word it never wrote down
    /// ("notary") still keeps an unrelated answer from being given.
    #[test]
    fn talk_around_a_question_does_not_hide_it() {
        let k = salon();
        for q in [
            "Good morning, I was wondering what is your cancellation policy?",
            "sorry, one more thing, whats ur cancellation policy",
            "hi there! quick question about your cancellation policy, thanks so much",
        ] {
            assert_eq!(answered(&k, q), Some(Source::Faq(0)), "{q}");
        }
        assert_eq!(answered(&k, "do you have a notary?"), None);
        assert_eq!(answered(&k, "do you have a notary or sell boxes?"), None);
    }

    /// A word every business uses ("hours", "price") is not enough on its own: the gate's
    /// hours are not answered by a policy that mentions 48 hours' notice.
    #[test]
    fn a_generic_word_alone_does_not_pick_an_answer() {
        let k = salon();
        assert_eq!(answered(&k, "what are your gate hours?"), None);
        assert_eq!(answered(&k, "what time does the mall close"), None);
    }

    /// Other forms of the owner's words meet them: "consult" and "consultation".
    #[test]
    fn word_forms_meet_through_their_stem() {
        let k = salon();
        assert_eq!(
            answered(&k, "is there a consult before you color my hair"),
            Some(Source::Faq(1))
        );
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

    /// A caller's word no thesaurus lists meets the owner's word of like meaning through
    /// their vectors ("husband" and "spouse", "laptop" and "wifi"), weaker than the word
    /// itself; a word of unrelated meaning meets nothing.
    #[test]
    fn words_of_like_meaning_meet_through_their_vectors() {
        let k = with_faqs(&[
            (
                "Can my spouse get into my unit?",
                "Yes, add your spouse at the office as an authorized user.",
            ),
            (
                "Do you have wifi?",
                "Yes, free wifi for customers; the password is on the menu board.",
            ),
        ]);
        let found = |q: &str| k.search(q).map(|h| (h.source, h.confidence));
        let (source, near) = found("what about my husband?").unwrap();
        assert_eq!(source, Source::Faq(0));
        let (_, exact) = found("what about my spouse?").unwrap();
        assert!(exact > near, "{exact} vs {near}");
        assert_eq!(
            found("can i bring my laptop").map(|h| h.0),
            Some(Source::Faq(1))
        );
        assert_eq!(found("what about my tractor?"), None);
    }
}
