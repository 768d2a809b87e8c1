//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second steps,
//! six digits, what every authenticator app reads from an `otpauth://` link. A code is
//! accepted for the step it was made in and one step either side (a phone's clock drifts), and
//! the caller records the step so that no code works twice.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new secret of 20 random bytes (160 bits, as RFC 4226 recommends), in base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

/// The link an authenticator app reads (usually shown as a QR code).
pub fn otpauth_uri(secret: &str, account: &str) -> String {
    let label: String = account
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "otpauth://totp/frontdesk:{label}?secret={secret}&issuer=frontdesk&digits={DIGITS}&period={STEP_SECS}"
    )
}

/// The code for `step` (RFC 4226 dynamic truncation), six digits.
pub fn code(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

/// The step `code` was made for, if it is right for the step of `now_secs` or one either side.
pub fn verify(secret_base32: &str, code_text: &str, now_secs: i64) -> Option<i64> {
    let secret = base32_decode(secret_base32)?;
    let digits: String = code_text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = digits.parse().ok()?;
    let now = now_secs.div_euclid(STEP_SECS);
    [now, now - 1, now + 1]
        .into_iter()
        .filter(|&s| s >= 0)
        .find(|&s| code(&secret, s as u64) == given)
}

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let v = BASE32
            .iter()
            .position(|&b| b as char == c.to_ascii_uppercase())? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // Appendix B's SHA-1 secret and times, truncated to six digits.
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59u64, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(code(secret, t / 30), want, "T={t}");
        }
    }

    #[test]
    fn codes_are_checked_within_a_step_either_side() {
        let secret = new_secret();
        assert_eq!(base32_decode(&secret).unwrap().len(), 20);
        assert_eq!(base32_decode(&base32_encode(b"hello!")).unwrap(), b"hello!");
        let raw = base32_decode(&secret).unwrap();
        let now = 1_800_000_015;
        let step = now / STEP_SECS;
        let c = |s: i64| format!("{:06}", code(&raw, s as u64));
        assert_eq!(verify(&secret, &c(step), now), Some(step));
        assert_eq!(verify(&secret, &c(step - 1), now), Some(step - 1));
        assert_eq!(verify(&secret, &c(step + 1), now), Some(step + 1));
        assert_eq!(verify(&secret, &c(step - 2), now), None);
        assert_eq!(verify(&secret, "12345", now), None);
        assert_eq!(verify(&secret, "abcdef", now), None);
        let uri = otpauth_uri(&secret, "ana+owner@example.com");
        assert!(uri.starts_with("otpauth://totp/frontdesk:ana%2Bowner@example.com?secret="));
    }
}
