//! How a text message is cut into SMS segments (3GPP TS 23.038 and 23.040): a body that fits the
//! GSM 7-bit alphabet travels 160 septets to a segment, or 153 when concatenated (the header
//! takes the rest), with the extension characters costing two septets that a segment boundary
//! never separates; any other body travels as UCS-2, 70 UTF-16 units to a segment or 67 when
//! concatenated, with a surrogate pair never separated. Twilio concatenates up to 1600
//! characters itself; longer replies go as several messages, cut between words.

/// The GSM 03.38 default alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape plus one septet each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// Twilio's limit on one message's body.
pub const MAX_MESSAGE_CHARS: usize = 1600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// What one character costs in its encoding's units.
fn gsm_cost(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn encoding(body: &str) -> Encoding {
    if body.chars().all(|c| gsm_cost(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The body's segments as a handset receives them.
pub fn segments(body: &str) -> (Encoding, Vec<String>) {
    let enc = encoding(body);
    let cost = |c: char| match enc {
        Encoding::Gsm7 => gsm_cost(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let (single, multi) = match enc {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    let total: usize = body.chars().map(cost).sum();
    if total <= single {
        return (enc, vec![body.to_owned()]);
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for c in body.chars() {
        let n = cost(c);
        if used + n > multi {
            parts.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push(c);
        used += n;
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    (enc, parts)
}

/// How many segments the body takes.
pub fn count(body: &str) -> usize {
    segments(body).1.len()
}

/// Shortens `body` to at most `max` segments, between words, marking the cut with "..." (in
/// the GSM alphabet, so the mark never switches a body to UCS-2). A body that fits is kept.
pub fn cap(body: &str, max: usize) -> String {
    // Every character costs at most as many UTF-16 units as it has bytes, and at most two
    // septets a byte: a body of no more than 67 bytes a segment fits either way.
    if body.len() <= 67 * max.max(1) {
        return body.to_owned();
    }
    let (_, parts) = segments(body);
    if parts.len() <= max.max(1) {
        return body.to_owned();
    }
    let mut kept: String = parts[..max.max(1)].concat();
    loop {
        let candidate = format!("{}...", kept.trim_end());
        if count(&candidate) <= max.max(1) || kept.is_empty() {
            return candidate;
        }
        let cut = kept
            .trim_end()
            .rfind(char::is_whitespace)
            .unwrap_or_else(|| kept.char_indices().last().map_or(0, |(i, _)| i));
        kept.truncate(cut);
    }
}

/// Cuts a body into messages of at most `max` characters, between words where it can.
pub fn split_messages(body: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut rest = body.trim();
    while rest.chars().count() > max {
        let hard = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let cut = rest[..hard]
            .rfind(char::is_whitespace)
            .filter(|&i| i > 0)
            .unwrap_or(hard);
        out.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_capped_between_words_within_its_segments() {
        for (word, max) in [("word ", 10), ("слово ", 3), ("a€ ", 2), ("x", 4)] {
            let body = word.repeat(2_000);
            let capped = cap(&body, max);
            assert!(count(&capped) <= max, "{word:?}: {}", count(&capped));
            assert!(count(&capped) >= max - 1, "{word:?}: cut too much");
            assert!(capped.ends_with("..."), "{capped}");
            assert!(body.starts_with(capped.trim_end_matches("...")));
        }
        assert_eq!(cap("short", 1), "short");
        // Just past the quick check: still measured, and kept when it fits.
        let body = "a".repeat(700);
        assert_eq!(cap(&body, 10), body);
        let carets = "^".repeat(700);
        assert!(count(&cap(&carets, 10)) <= 10);
    }

    #[test]
    fn gsm_bodies_take_160_then_153_septets_a_segment() {
        let a160 = "a".repeat(160);
        assert_eq!(segments(&a160), (Encoding::Gsm7, vec![a160.clone()]));
        let a161 = "a".repeat(161);
        let (enc, parts) = segments(&a161);
        assert_eq!(enc, Encoding::Gsm7);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![153, 8]
        );
        assert_eq!(count(&"a".repeat(306)), 2);
        assert_eq!(count(&"a".repeat(307)), 3);
    }

    #[test]
    fn extension_characters_cost_two_septets_and_are_never_split() {
        // 80 euro signs: 160 septets, one segment.
        assert_eq!(count(&"€".repeat(80)), 1);
        // 152 letters then a euro sign: the pair would straddle septets 153 and 154.
        let body = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let (enc, parts) = segments(&body);
        assert_eq!(enc, Encoding::Gsm7);
        assert_eq!(parts, vec!["a".repeat(152), format!("€{}", "b".repeat(10))]);
    }

    #[test]
    fn other_characters_switch_to_ucs2_at_70_then_67_units() {
        assert_eq!(encoding("Café au lait"), Encoding::Gsm7);
        assert_eq!(encoding("Crème brûlée"), Encoding::Ucs2);
        assert_eq!(
            encoding("ç"),
            Encoding::Ucs2,
            "ç is not in the GSM alphabet, Ç is"
        );
        assert_eq!(encoding("Ç"), Encoding::Gsm7);
        assert_eq!(count(&"ş".repeat(70)), 1);
        assert_eq!(count(&"ş".repeat(71)), 2);
        // An emoji is a surrogate pair: 33 of them take 66 units, the 34th does not fit in 67.
        let body = "😀".repeat(36);
        let (enc, parts) = segments(&body);
        assert_eq!(enc, Encoding::Ucs2);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            vec![33, 3]
        );
    }

    #[test]
    fn long_bodies_become_several_messages_cut_between_words() {
        let body = "word ".repeat(700);
        let parts = split_messages(&body, MAX_MESSAGE_CHARS);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_MESSAGE_CHARS));
        assert!(
            parts
                .iter()
                .all(|p| p.starts_with("word") && p.ends_with("word"))
        );
        assert_eq!(parts.join(" "), body.trim());
        // No space to cut at: cut at the limit, on a character boundary.
        let solid = "é".repeat(3300);
        let parts = split_messages(&solid, MAX_MESSAGE_CHARS);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            vec![1600, 1600, 100]
        );
    }
}
