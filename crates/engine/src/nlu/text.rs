//! Text as the engine sees it: lower case, speech-recognition noise removed, words split off,
//! number words read as numbers, and a light stemmer so "deposits" meets "deposit".

/// Lower-cases and splits `s` into words: runs of letters and digits, keeping an inner
/// apostrophe ("don't"), a colon between digits ("3:30") and an `x` between digits ("10x10").
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let c = if c == '\u{2019}' { '\'' } else { c };
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let keep = c.is_alphanumeric()
            || (c == '\'' && prev.is_alphabetic() && next.is_alphabetic())
            || ((c == ':' || c == '.' || c == '/')
                && prev.is_ascii_digit()
                && next.is_ascii_digit());
        if keep {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // "10x10" stays one word; "10 x 10" is joined later by the unit-size reader.
    out
}

/// Words that carry no meaning for matching or retrieval.
pub fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "the"
            | "i"
            | "me"
            | "my"
            | "we"
            | "our"
            | "you"
            | "your"
            | "guys"
            | "is"
            | "are"
            | "am"
            | "be"
            | "do"
            | "does"
            | "did"
            | "to"
            | "of"
            | "for"
            | "in"
            | "on"
            | "at"
            | "it"
            | "its"
            | "it's"
            | "this"
            | "that"
            | "there"
            | "what"
            | "how"
            | "can"
            | "could"
            | "would"
            | "will"
            | "should"
            | "and"
            | "or"
            | "so"
            | "um"
            | "uh"
            | "uhm"
            | "er"
            | "hmm"
            | "like"
            | "just"
            | "please"
            | "hi"
            | "hey"
            | "hello"
            | "yeah"
            | "ok"
            | "okay"
            | "well"
            | "any"
            | "have"
            | "has"
            | "with"
            | "about"
            | "if"
            | "get"
            | "y'all"
            | "ya"
            | "know"
            | "wondering"
            | "wanted"
            | "want"
            | "need"
            | "i'm"
            | "im"
            | "there's"
            | "some"
            | "all"
            | "by"
            | "from"
            | "up"
            | "as"
            | "tell"
            | "also"
    )
}

/// A light English stemmer: enough to fold plurals and verb forms for matching.
pub fn stem(w: &str) -> String {
    let n = w.len();
    if n <= 3 || !w.is_ascii() {
        return w.to_owned();
    }
    for (suf, rep) in [
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ] {
        if let Some(base) = w.strip_suffix(suf) {
            if suf == "s" && (base.ends_with('s') || base.ends_with('u')) {
                continue;
            }
            if base.len() >= 3 {
                let mut b = format!("{base}{rep}");
                // "clogged" -> "clogg" -> "clog"; "running" -> "runn" -> "run".
                let by = b.as_bytes();
                if (suf == "ing" || suf == "ed")
                    && by.len() >= 2
                    && by[by.len() - 1] == by[by.len() - 2]
                    && !matches!(by[by.len() - 1], b'l' | b's' | b'z')
                {
                    b.pop();
                }
                // "es" only after s, x, z, ch, sh: "boxes" -> "box", but "prices" -> "price".
                if suf == "es"
                    && !(base.ends_with(['s', 'x', 'z'])
                        || base.ends_with("ch")
                        || base.ends_with("sh"))
                {
                    return w[..n - 1].to_owned();
                }
                return b;
            }
        }
    }
    w.to_owned()
}

/// The value of a number word ("seven", "twenty"), or of digits.
pub fn number(w: &str) -> Option<u32> {
    if let Ok(n) = w.parse::<u32>() {
        return Some(n);
    }
    Some(match w {
        "zero" | "oh" | "o" => 0,
        "one" | "a" | "an" => 1,
        "two" | "to" | "too" => 2,
        "three" => 3,
        "four" | "for" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        "hundred" => 100,
        _ => return None,
    })
}

/// A number word that is unambiguous in running text (not "a", "to", "for", "oh").
pub fn strict_number(w: &str) -> Option<u32> {
    if matches!(w, "a" | "an" | "to" | "too" | "for" | "oh" | "o") {
        return None;
    }
    number(w)
}

/// Reads a spoken or written whole number starting at `ws[i]` ("twenty five", "25", "a
/// hundred"); returns the value and how many words it took.
pub fn read_number(ws: &[String], i: usize) -> Option<(u32, usize)> {
    let first = strict_number(ws.get(i)?)?;
    if (20..100).contains(&first)
        && first % 10 == 0
        && let Some(n) = ws.get(i + 1).and_then(|w| strict_number(w))
        && n < 10
        && n > 0
    {
        return Some((first + n, 2));
    }
    Some((first, 1))
}

/// Edit distance between two short words, for fuzzy matching of names callers mistype or
/// speech recognition mishears.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The edit distance between `a` and `b` when it is at most `max`, else `None`: the cheap
/// form for typo matching against a vocabulary (no allocation for words of up to 32 bytes,
/// and it stops as soon as every path is over `max`).
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max && a.is_ascii() && b.is_ascii() {
        return None;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if !(a.is_ascii() && b.is_ascii()) || b.len() >= 32 {
        let d = edit_distance(
            std::str::from_utf8(a).unwrap_or_default(),
            std::str::from_utf8(b).unwrap_or_default(),
        );
        return (d <= max).then_some(d);
    }
    let mut prev = [0usize; 33];
    let mut cur = [0usize; 33];
    for (j, v) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *v = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut best = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            best = best.min(cur[j]);
        }
        if best > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Whether a caller's word `w` may be meant as `target`: equal after stemming, or within a
/// typo's distance for longer words.
pub fn fuzzy_eq(w: &str, target: &str) -> bool {
    if w == target || stem(w) == stem(target) {
        return true;
    }
    let n = target.chars().count();
    let allowed = match n {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    allowed > 0
        && w.chars().count() + allowed >= n
        && edit_distance_within(w, target, allowed).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_edit_distance_agrees_with_the_full_one() {
        // Pairs from a small alphabet (so near misses are common), with some non-ASCII and some
        // long words that take the fallback path.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = ['a', 'b', 'c', 'é', 'd'];
        let word = |next: &mut dyn FnMut() -> u64| -> String {
            let len = (next() % 40) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        };
        for _ in 0..5000 {
            let a = word(&mut next);
            let b = if next() % 2 == 0 {
                word(&mut next)
            } else {
                let mut b = a.clone();
                if !b.is_empty() {
                    b.pop();
                }
                b.push('a');
                b
            };
            let full = edit_distance(&a, &b);
            for max in 0..4 {
                let want = (full <= max).then_some(full);
                assert_eq!(edit_distance_within(&a, &b, max), want, "{a:?} {b:?} {max}");
            }
        }
    }

    #[test]
    fn words_keep_times_sizes_and_contractions() {
        assert_eq!(
            words("Do you guys have a 10x10? I'm free at 3:30, Tuesday."),
            [
                "do", "you", "guys", "have", "a", "10x10", "i'm", "free", "at", "3:30", "tuesday"
            ]
        );
    }

    #[test]
    fn stems_fold_plurals_and_verb_forms() {
        for (w, s) in [
            ("deposits", "deposit"),
            ("boxes", "box"),
            ("prices", "price"),
            ("clogged", "clog"),
            ("charges", "charge"),
            ("cleaning", "clean"),
            ("policies", "policy"),
            ("glass", "glass"),
        ] {
            assert_eq!(stem(w), s, "{w}");
        }
    }

    #[test]
    fn fuzzy_matching_allows_typos_in_long_words_only() {
        assert!(fuzzy_eq("margarita", "margherita"));
        assert!(fuzzy_eq("pepperonis", "pepperoni"));
        assert!(!fuzzy_eq("cat", "car"));
        assert!(!fuzzy_eq("drain", "train"));
    }
}
