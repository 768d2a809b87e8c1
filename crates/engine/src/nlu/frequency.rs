//! How common a word is in English at large (`data/english-frequency.txt`: the 30,000 most
//! frequent words with their Zipf frequency, from the `wordfreq` project; see its NOTICE).
//! Retrieval uses it to tell a caller's everyday words ("traffic", "lunch", "break") from the
//! specific ones that carry a question ("notary", "forklift"): a question about something the
//! business never wrote down should not be answered, while small talk around a real question
//! should not hide it.

use std::collections::HashMap;
use std::sync::LazyLock;

const LIST: &str = include_str!("../../data/english-frequency.txt");

/// Zipf frequency of words outside the list: rarer than any word in it.
const RARE: f32 = 2.5;

static ZIPF: LazyLock<HashMap<&'static str, f32>> = LazyLock::new(|| {
    LIST.lines()
        .filter_map(|l| {
            let (w, z) = l.split_once(' ')?;
            Some((w, z.parse().ok()?))
        })
        .collect()
});

/// The word's Zipf frequency: about 7 for "the", 5 for "morning", 3 for "notary".
pub fn zipf(word: &str) -> f32 {
    ZIPF.get(word).copied().unwrap_or(RARE)
}

/// How much a word says about what a question is about, from 0.1 (the commonest words) to 1
/// (words rarer than about one in a million).
pub fn specificity(word: &str) -> f32 {
    ((6.5 - zipf(word)) / 3.5).clamp(0.1, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_words_say_less_than_specific_ones() {
        assert!(zipf("the") > 7.0);
        assert!(specificity("morning") < specificity("traffic"));
        assert!(specificity("traffic") < specificity("notary"));
        assert_eq!(
            specificity("bitewing"),
            1.0,
            "a word outside the list is rare"
        );
    }
}
