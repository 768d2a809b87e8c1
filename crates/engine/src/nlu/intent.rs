//! Intent classification, trained at start-up from the example utterances in
//! `corpus/intents.txt`. Each utterance becomes a TF-IDF vector of stemmed words, word pairs
//! and letter trigrams (the trigrams carry typos and misheard words); a turn is scored against
//! every example through an inverted index, and an intent's score is the mean of its three
//! nearest examples. The score is a cosine, so it doubles as an honest confidence: a phrasing
//! unlike anything in the corpus scores low and the agent asks instead of guessing.

/// Maps keyed by words and features: foldhash (randomly seeded per map) is several times faster
/// than SipHash on these short keys, and a turn looks up a few dozen of them.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use serde::{Deserialize, Serialize};

use super::text::{stem, words};

/// What a caller wants to do with this turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Greeting,
    Hours,
    Location,
    Prices,
    Availability,
    Book,
    Reschedule,
    Cancel,
    CheckBooking,
    UnitSizes,
    ReserveUnit,
    Order,
    ChangeOrder,
    OrderStatus,
    Faq,
    LeaveMessage,
    Human,
    Emergency,
    Complaint,
    Yes,
    No,
    Repeat,
    Thanks,
    Goodbye,
    /// About the assistant itself: its name, whether it is a person, whom it works for, what
    /// it can do.
    Assistant,
    OutOfScope,
}

impl Intent {
    pub const ALL: [Intent; 26] = [
        Intent::Greeting,
        Intent::Hours,
        Intent::Location,
        Intent::Prices,
        Intent::Availability,
        Intent::Book,
        Intent::Reschedule,
        Intent::Cancel,
        Intent::CheckBooking,
        Intent::UnitSizes,
        Intent::ReserveUnit,
        Intent::Order,
        Intent::ChangeOrder,
        Intent::OrderStatus,
        Intent::Faq,
        Intent::LeaveMessage,
        Intent::Human,
        Intent::Emergency,
        Intent::Complaint,
        Intent::Yes,
        Intent::No,
        Intent::Repeat,
        Intent::Thanks,
        Intent::Goodbye,
        Intent::Assistant,
        Intent::OutOfScope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Greeting => "greeting",
            Intent::Hours => "hours",
            Intent::Location => "location",
            Intent::Prices => "prices",
            Intent::Availability => "availability",
            Intent::Book => "book",
            Intent::Reschedule => "reschedule",
            Intent::Cancel => "cancel",
            Intent::CheckBooking => "check_booking",
            Intent::UnitSizes => "unit_sizes",
            Intent::ReserveUnit => "reserve_unit",
            Intent::Order => "order",
            Intent::ChangeOrder => "change_order",
            Intent::OrderStatus => "order_status",
            Intent::Faq => "faq",
            Intent::LeaveMessage => "leave_message",
            Intent::Human => "human",
            Intent::Emergency => "emergency",
            Intent::Complaint => "complaint",
            Intent::Yes => "yes",
            Intent::No => "no",
            Intent::Repeat => "repeat",
            Intent::Thanks => "thanks",
            Intent::Goodbye => "goodbye",
            Intent::Assistant => "assistant",
            Intent::OutOfScope => "out_of_scope",
        }
    }

    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// The training corpus, kept in the repository and compiled into the binary.
pub const CORPUS: &str = include_str!("../../corpus/intents.txt");
/// The broad negative corpus: what no small business's front desk acts on.
pub const OUT_OF_SCOPE: &str = include_str!("../../corpus/out_of_scope.txt");
/// Questions about the assistant itself.
pub const ASSISTANT: &str = include_str!("../../corpus/assistant.txt");

/// Every example the intent classifier learns from: what callers ask a business for.
pub fn training_examples() -> Result<Vec<(Intent, String)>, CorpusError> {
    let mut all = parse_corpus(CORPUS)?;
    all.extend(parse_corpus(ASSISTANT)?);
    Ok(all)
}

/// Whether a (lower-case) word is one callers use to ask a front desk for what it does:
/// a word of the in-scope training corpus ("reschedule", "appointment", "cancel"). Such a
/// word says nothing about a turn being about something else.
pub fn front_desk_word(w: &str) -> bool {
    static WORDS: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            parse_corpus(CORPUS)
                .unwrap_or_default()
                .into_iter()
                .filter(|(i, _)| *i != Intent::OutOfScope)
                .flat_map(|(_, line)| super::text::words(&line))
                .collect()
        });
    WORDS.contains(w)
}

/// What the scope classifier learns from: the same examples and the broad negative corpus.
/// It is a model apart, so that a thousand off-topic sentences do not reweigh the words the
/// intent classifier tells requests apart by; it only says how off-topic a turn sounds.
pub fn scope_examples() -> Result<Vec<(Intent, String)>, CorpusError> {
    let mut all = training_examples()?;
    all.extend(parse_corpus(OUT_OF_SCOPE)?);
    Ok(all)
}

/// A corpus line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("corpus line {line}: {message}")]
pub struct CorpusError {
    pub line: usize,
    pub message: String,
}

/// Reads `## intent` headers and the example lines under them.
pub fn parse_corpus(src: &str) -> Result<Vec<(Intent, String)>, CorpusError> {
    let mut out = Vec::new();
    let mut cur = None;
    for (n, line) in src.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') && !line.starts_with("##") {
            continue;
        }
        if let Some(name) = line.strip_prefix("##") {
            let name = name.trim();
            cur = Some(Intent::parse(name).ok_or_else(|| CorpusError {
                line: n + 1,
                message: format!("unknown intent {name:?}"),
            })?);
            continue;
        }
        let intent = cur.ok_or_else(|| CorpusError {
            line: n + 1,
            message: "example before any ## intent header".into(),
        })?;
        out.push((intent, line.to_owned()));
    }
    Ok(out)
}

/// Numbers, days and months stand for their kind: "tuesday at 3" and "friday at 10" are the
/// same request.
fn class_of(w: &str) -> Option<&'static str> {
    if w.chars().any(|c| c.is_ascii_digit()) {
        return Some("<num>");
    }
    if super::text::strict_number(w).is_some() {
        return Some("<num>");
    }
    match w {
        "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday"
        | "today" | "tomorrow" | "tonight" | "weekend" => Some("<day>"),
        "january" | "february" | "march" | "april" | "june" | "july" | "august" | "september"
        | "october" | "november" | "december" => Some("<month>"),
        _ => None,
    }
}

/// The words of an utterance as features see them: stemmed, or replaced by their class.
fn tokens(s: &str) -> Vec<String> {
    words(s)
        .into_iter()
        .map(|w| match class_of(&w) {
            Some(c) => c.to_owned(),
            None => stem(&w),
        })
        .collect()
}

/// Which letters a word uses (a–z each a bit, digits sharing the bits of a–j, anything else
/// two more bits): a cheap bound on how many edits apart two words are.
fn letters(w: &str) -> u32 {
    w.bytes().fold(0, |m, b| match b {
        b'a'..=b'z' => m | 1 << (b - b'a'),
        b'0'..=b'9' => m | 1 << (b - b'0'),
        _ if b >= 0x80 => m | 1 << 26,
        _ => m | 1 << 27,
    })
}

/// The features of one utterance with their raw counts.
fn features(ws: &[String]) -> HashMap<String, f32> {
    let mut f: HashMap<String, f32> = HashMap::default();
    for (i, w) in ws.iter().enumerate() {
        *f.entry(w.clone()).or_insert(0.0) += 1.0;
        if let Some(n) = ws.get(i + 1) {
            *f.entry(format!("{w} {n}")).or_insert(0.0) += 1.0;
        }
        if !w.starts_with('<') && w.len() > 3 {
            let padded: Vec<char> = format!("^{w}$").chars().collect();
            for t in padded.windows(3) {
                *f.entry(t.iter().collect()).or_insert(0.0) += 0.25;
            }
        }
    }
    f
}

/// The classifier's verdict: best intent, its confidence, and the runner-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub intent: Intent,
    pub confidence: f32,
    pub runner_up: Option<(Intent, f32)>,
    /// How much the turn is like what no business serves (the out-of-scope class's score),
    /// whichever intent won: the margin over it says how sure an in-scope reading is.
    pub out_of_scope: f32,
}

/// A trained intent classifier.
pub struct Classifier {
    /// Feature name to its id and inverse document frequency.
    vocab: HashMap<String, (u32, f32)>,
    /// For each feature id, the examples that have it and the weight there.
    postings: Vec<Vec<(u32, f32)>>,
    /// Each example's class, as an index into `classes`.
    labels: Vec<u16>,
    /// The intents the examples have, each once.
    classes: Vec<Intent>,
    /// Whole words of the corpus, for correcting typos, each with its [`letters`] mask.
    known: Vec<(String, u32)>,
}

impl Classifier {
    pub fn train(examples: &[(Intent, String)]) -> Self {
        let feats: Vec<HashMap<String, f32>> =
            examples.iter().map(|(_, s)| features(&tokens(s))).collect();
        let n = feats.len() as f32;
        let mut df: HashMap<&str, f32> = HashMap::default();
        for f in &feats {
            for k in f.keys() {
                *df.entry(k.as_str()).or_insert(0.0) += 1.0;
            }
        }
        let mut vocab: HashMap<String, (u32, f32)> = HashMap::default();
        for (k, d) in &df {
            let id = vocab.len() as u32;
            vocab.insert((*k).to_owned(), (id, (n / d).ln() + 1.0));
        }
        let mut postings = vec![Vec::new(); vocab.len()];
        for (ex, f) in feats.iter().enumerate() {
            let weighted: Vec<(u32, f32)> = f
                .iter()
                .map(|(k, c)| {
                    let (id, idf) = vocab[k.as_str()];
                    (id, (1.0 + c.ln().max(0.0)) * c.min(1.0) * idf)
                })
                .collect();
            let norm = weighted
                .iter()
                .map(|(_, w)| w * w)
                .sum::<f32>()
                .sqrt()
                .max(1e-6);
            for (id, w) in weighted {
                postings[id as usize].push((ex as u32, w / norm));
            }
        }
        let mut known: Vec<(String, u32)> = vocab
            .keys()
            .filter(|k| k.len() >= 4 && k.chars().all(|c| c.is_alphanumeric() || c == '\''))
            .map(|k| (k.clone(), letters(k)))
            .collect();
        known.sort();
        let mut classes: Vec<Intent> = examples.iter().map(|(i, _)| *i).collect();
        classes.sort();
        classes.dedup();
        let labels = examples
            .iter()
            .map(|(i, _)| classes.binary_search(i).unwrap_or_default() as u16)
            .collect();
        Self {
            vocab,
            postings,
            labels,
            classes,
            known,
        }
    }

    /// A word the corpus never had, replaced by the known word it is a typo of, if any.
    fn correct(&self, w: String) -> String {
        if w.len() < 5 || w.starts_with('<') || self.vocab.contains_key(&w) {
            return w;
        }
        let allowed = if w.len() >= 8 { 2 } else { 1 };
        let mask = letters(&w);
        let mut best: Option<(usize, &String)> = None;
        for (k, m) in &self.known {
            // One edit changes at most two letters of the set of letters a word uses.
            if k.len().abs_diff(w.len()) > allowed || (mask ^ m).count_ones() as usize > 2 * allowed
            {
                continue;
            }
            if let Some(d) = super::text::edit_distance_within(&w, k, allowed)
                && best.is_none_or(|(b, _)| d < b)
            {
                best = Some((d, k));
            }
        }
        best.map(|(_, k)| k.clone()).unwrap_or(w)
    }

    /// Number of training examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn classify(&self, s: &str) -> Scored {
        let ws: Vec<String> = tokens(s).into_iter().map(|w| self.correct(w)).collect();
        let f = features(&ws);
        let q: Vec<(u32, f32)> = f
            .iter()
            .filter_map(|(k, c)| {
                self.vocab
                    .get(k.as_str())
                    .map(|&(id, idf)| (id, (1.0 + c.ln().max(0.0)) * c.min(1.0) * idf))
            })
            .collect();
        // Unknown features still count in the norm: words never seen lower the confidence.
        let unknown: f32 = f
            .iter()
            .filter(|(k, _)| !self.vocab.contains_key(k.as_str()))
            .map(|(_, c)| {
                let w = c.min(1.0) * 1.5;
                w * w
            })
            .sum();
        let norm = (q.iter().map(|(_, w)| w * w).sum::<f32>() + unknown).sqrt();
        let mut sims = vec![0f32; self.labels.len()];
        if norm > 0.0 {
            for (id, w) in &q {
                for (ex, ew) in &self.postings[*id as usize] {
                    sims[*ex as usize] += w * ew / norm;
                }
            }
        }
        // The three best examples of each class.
        let mut top = vec![[0f32; 3]; self.classes.len()];
        for (&class, &s) in self.labels.iter().zip(&sims) {
            let t = &mut top[usize::from(class)];
            if s > t[2] {
                t[2] = s;
                t.sort_by(|a, b| b.total_cmp(a));
            }
        }
        let mut scored: Vec<(Intent, f32)> = self
            .classes
            .iter()
            .zip(&top)
            .map(|(&i, t)| (i, 0.6 * t[0] + 0.25 * t[1] + 0.15 * t[2]))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (intent, confidence) = scored.first().copied().unwrap_or((Intent::OutOfScope, 0.0));
        let out_of_scope = scored
            .iter()
            .find(|(i, _)| *i == Intent::OutOfScope)
            .map_or(0.0, |(_, s)| *s);
        Scored {
            intent,
            confidence,
            runner_up: scored.get(1).copied(),
            out_of_scope,
        }
    }
}

#[cfg(test)]
mod tests;
