//! How a caller feels, from their words: a score from -1 (angry, upset) to 1 (pleased), kept
//! with each message for the owner's analytics, and whether the caller is frustrated enough
//! that the agent should offer a person or a message before it tries again.

/// Words that say the caller is unhappy, with their weight.
const NEGATIVE: &[(&str, f32)] = &[
    ("angry", 1.0),
    ("upset", 1.0),
    ("furious", 1.0),
    ("pissed", 1.0),
    ("frustrated", 1.0),
    ("frustrating", 1.0),
    ("annoyed", 0.8),
    ("annoying", 0.8),
    ("ridiculous", 1.0),
    ("unacceptable", 1.0),
    ("terrible", 1.0),
    ("awful", 1.0),
    ("horrible", 1.0),
    ("worst", 1.0),
    ("disappointed", 0.8),
    ("disappointing", 0.8),
    ("useless", 1.0),
    ("stupid", 1.0),
    ("hate", 0.8),
    ("sucks", 1.0),
    ("mad", 0.6),
    ("fed", 0.3),
    ("sick", 0.3),
    ("complaint", 0.6),
    ("complain", 0.6),
    ("rude", 0.8),
    ("wrong", 0.4),
    ("broken", 0.3),
    ("still", 0.3),
    ("unhappy", 0.8),
    ("damn", 1.0),
    ("dammit", 1.0),
    ("hell", 0.8),
    ("crap", 1.0),
    ("shit", 1.0),
    ("bullshit", 1.0),
    ("wtf", 1.0),
    ("freaking", 0.8),
    ("frickin", 0.8),
    ("effing", 1.0),
];

/// Words that say the caller is pleased.
const POSITIVE: &[(&str, f32)] = &[
    ("thanks", 0.6),
    ("thank", 0.6),
    ("great", 0.8),
    ("perfect", 0.8),
    ("awesome", 0.8),
    ("excellent", 0.8),
    ("wonderful", 0.8),
    ("amazing", 0.8),
    ("love", 0.8),
    ("appreciate", 0.8),
    ("happy", 0.6),
    ("glad", 0.6),
    ("good", 0.4),
    ("nice", 0.4),
    ("helpful", 0.8),
];

/// Swearing: any word starting with one of these.
const SWEARS: &[&str] = &["fuck", "shit", "damn", "bullshit", "wtf", "crap", "effing"];

fn weight(list: &[(&str, f32)], w: &str) -> Option<f32> {
    list.iter().find(|(x, _)| *x == w).map(|(_, v)| *v)
}

/// From -1 (angry) to 1 (pleased); 0 when the words say nothing either way. A negation just
/// before a word turns it ("not happy", "not bad").
pub fn score(ws: &[String]) -> f32 {
    let (mut pos, mut neg) = (0.0f32, 0.0f32);
    for (i, w) in ws.iter().enumerate() {
        let negated = ws[i.saturating_sub(2)..i].iter().any(|x| {
            matches!(
                x.as_str(),
                "not" | "never" | "no" | "isn't" | "wasn't" | "don't"
            )
        });
        let swear = SWEARS.iter().any(|s| w.starts_with(s));
        let (p, n) = (
            weight(POSITIVE, w).unwrap_or(0.0),
            weight(NEGATIVE, w).unwrap_or(if swear { 1.0 } else { 0.0 }),
        );
        if negated {
            pos += n * 0.5;
            neg += p;
        } else {
            pos += p;
            neg += n;
        }
    }
    if pos + neg == 0.0 {
        return 0.0;
    }
    ((pos - neg) / (pos + neg).max(1.0)).clamp(-1.0, 1.0)
}

/// Whether the caller is frustrated: they swear, say they are upset, or say they are
/// repeating themselves ("this is the third time", "I already told you", "again!").
pub fn frustrated(ws: &[String]) -> bool {
    let has = |w: &str| ws.iter().any(|x| x == w);
    let swears = ws.iter().any(|w| SWEARS.iter().any(|s| w.starts_with(s)));
    let upset = ws.iter().enumerate().any(|(i, w)| {
        matches!(
            w.as_str(),
            "angry"
                | "upset"
                | "furious"
                | "pissed"
                | "frustrated"
                | "frustrating"
                | "ridiculous"
                | "unacceptable"
                | "useless"
                | "annoyed"
        ) && !ws[i.saturating_sub(2)..i]
            .iter()
            .any(|x| matches!(x.as_str(), "not" | "never" | "no"))
    });
    let repeating = ws.windows(2).any(|p| {
        matches!(
            (p[0].as_str(), p[1].as_str()),
            (
                "third" | "fourth" | "fifth" | "several" | "many",
                "time" | "times"
            ) | ("already", "told" | "said" | "explained")
                | ("i", "said")
                | ("keep", "asking" | "saying" | "telling")
                | ("told", "you")
        )
    }) || (has("again") && has("same"));
    swears || upset || repeating || score(ws) <= -0.8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::text::words;

    #[test]
    fn scores_run_from_upset_to_pleased() {
        assert!(score(&words("this is ridiculous, I'm so angry")) < -0.5);
        assert!(score(&words("thanks so much, that's perfect")) > 0.5);
        assert_eq!(score(&words("book a cleaning on friday")), 0.0);
        assert!(score(&words("I'm not happy about this")) < 0.0);
    }

    #[test]
    fn frustration_is_swearing_upset_or_repeating_oneself() {
        for s in [
            "my colour came out freaking orange and I'm so pissed off",
            "this is the third time I'm saying it, I want OMAR",
            "I already told you, the 5x5",
            "the damn toilet is STILL leaking",
            "I keep telling you it's friday",
        ] {
            assert!(frustrated(&words(s)), "{s}");
        }
        for s in [
            "i'd like to book a haircut",
            "I'm not upset, just wondering about the price",
            "can you say that again?",
        ] {
            assert!(!frustrated(&words(s)), "{s}");
        }
    }
}
