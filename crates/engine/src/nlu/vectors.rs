//! What English words mean, as vectors: `data/word-vectors.bin` holds a 64-dimensional vector
//! for each of about 30,000 common words, distilled from the sentence encoder all-MiniLM-L6-v2
//! (Apache-2.0; see the data's NOTICE) by `tools/distill-word-vectors.py`. Words used alike lie
//! close ("installments" and "payments", "wifi" and "internet", "prohibited" and "allowed"), so
//! retrieval can meet a caller's word that no thesaurus lists. Static vectors: a lookup, no
//! model runs, nothing is downloaded.

use std::collections::HashMap;
use std::sync::LazyLock;

const DATA: &[u8] = include_bytes!("../../data/word-vectors.bin");

/// Components of a vector.
pub const DIMS: usize = 64;

/// A word's vector: `DIMS` components of a unit vector, each times 127 as a signed byte.
#[derive(Clone, Copy)]
pub struct Vector(&'static [u8]);

impl std::fmt::Debug for Vector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vector(..)")
    }
}

impl Vector {
    /// Which word of the table this is: equal for the same word, different for others.
    pub fn key(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// The vector as floats, for many comparisons.
    pub fn unit(self) -> [f32; DIMS] {
        let mut out = [0.0; DIMS];
        self.add_to(&mut out, 1.0);
        out
    }

    /// Adds `weight` times the vector to `acc`.
    pub fn add_to(self, acc: &mut [f32; DIMS], weight: f32) {
        for (a, &b) in acc.iter_mut().zip(self.0) {
            *a += weight * f32::from(b as i8) / 127.0;
        }
    }
}

static TABLE: LazyLock<HashMap<&'static str, Vector>> = LazyLock::new(|| parse(DATA));

/// The table in `data`; empty when it is not one (the format is in the distilling script).
fn parse(data: &'static [u8]) -> HashMap<&'static str, Vector> {
    let mut out = HashMap::new();
    let (Some(b"FDWV"), Some(dims), Some(count)) = (data.get(..4), data.get(4..8), data.get(8..12))
    else {
        return out;
    };
    let dims = u32::from_le_bytes(dims.try_into().unwrap_or_default()) as usize;
    let count = u32::from_le_bytes(count.try_into().unwrap_or_default()) as usize;
    if dims != DIMS {
        return out;
    }
    let mut at = 12;
    for _ in 0..count {
        let Some(&len) = data.get(at) else { break };
        let len = usize::from(len);
        let (Some(word), Some(v)) = (
            data.get(at + 1..at + 1 + len),
            data.get(at + 1 + len..at + 1 + len + DIMS),
        ) else {
            break;
        };
        if let Ok(word) = std::str::from_utf8(word) {
            out.insert(word, Vector(v));
        }
        at += 1 + len + DIMS;
    }
    out
}

/// The weighted mean of some words' vectors, as a unit vector (zero when none has one).
pub fn mean<'a>(words: impl IntoIterator<Item = (&'a str, f32)>) -> [f32; DIMS] {
    let mut acc = [0.0; DIMS];
    for (w, weight) in words {
        if let Some(v) = of(w) {
            v.add_to(&mut acc, weight);
        }
    }
    let norm = acc.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        acc.iter_mut().for_each(|x| *x /= norm);
    }
    acc
}

/// Cosine similarity of two unit vectors (made by `unit` or `mean`).
pub fn dot(a: &[f32; DIMS], b: &[f32; DIMS]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The vector of a lower-case word, if it is one of the words the table holds.
pub fn of(word: &str) -> Option<Vector> {
    TABLE.get(word).copied()
}

/// Reads the table, which is otherwise read on first use.
pub fn warm() {
    LazyLock::force(&TABLE);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &str, b: &str) -> f32 {
        dot(&of(a).unwrap().unit(), &of(b).unwrap().unit())
    }

    #[test]
    fn the_table_holds_the_common_words() {
        assert!(TABLE.len() > 25_000, "{}", TABLE.len());
        assert!((cos("storage", "storage") - 1.0).abs() < 0.02);
    }

    /// Words used for the same thing lie closer than words about different things.
    #[test]
    fn words_of_one_meaning_lie_close() {
        for (a, b, far) in [
            ("installments", "payments", "weather"),
            ("wifi", "internet", "haircut"),
            ("prohibited", "forbidden", "pizza"),
            ("spouse", "husband", "furnace"),
            ("cheap", "inexpensive", "dentist"),
        ] {
            assert!(cos(a, b) > 0.55, "{a} {b} {}", cos(a, b));
            assert!(cos(a, b) > cos(a, far) + 0.3, "{a} {b} {far}");
        }
    }

    #[test]
    fn a_damaged_table_reads_as_empty() {
        assert!(parse(b"").is_empty());
        assert!(parse(b"FDWV\x10\0\0\0\x01\0\0\0").is_empty());
        assert!(parse(b"XXXX\x40\0\0\0\x01\0\0\0").is_empty());
    }
}
