//! Self-service links: the address in a confirmation or reminder where the customer sees their
//! appointment and moves or cancels it, with no account. The link is signed (HMAC-SHA-256 under
//! a key derived from the installation's secret key) over the business, the appointment, its
//! revision and the link's expiry (the appointment's start): a changed character is refused, a
//! link to an appointment that has changed since (moved, cancelled — by this link or any other
//! way) says it was used, and one past its time says it expired. Nothing is stored per link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use frontdesk_store::{BusinessId, RecordId};

type HmacSha256 = Hmac<Sha256>;

/// The signature's length in bytes (128 bits; 22 characters in the link).
const SIG_BYTES: usize = 16;
/// Where the pages live, under the installation's public URL.
pub const PATH: &str = "/a/";

/// Makes and reads the links of one installation.
pub struct Links {
    base: String,
    key: [u8; 32],
}

/// What a well-formed link claims, before its signature is checked against the business the
/// appointment belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub appointment: RecordId,
    pub revision: i64,
    /// Seconds since the epoch.
    pub expires: i64,
    sig: Vec<u8>,
}

/// Why a link does not open its appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a link this installation made (malformed, altered, or for nothing it knows).
    Invalid,
    /// Past its time.
    Expired,
    /// The appointment changed since (moved or cancelled): a newer message has a newer link.
    Used,
}

impl Links {
    /// Links under `base` (the public URL), signed with `key`.
    pub fn new(base: &str, key: [u8; 32]) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            key,
        }
    }

    fn mac(
        &self,
        business: &BusinessId,
        appointment: &RecordId,
        revision: i64,
        expires: i64,
    ) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(
            format!("frontdesk-self-service-v1|{business}|{appointment}|{revision}|{expires}")
                .as_bytes(),
        );
        mac
    }

    /// The link to an appointment at `revision`, good until `expires_ms`.
    pub fn url(
        &self,
        business: &BusinessId,
        appointment: &RecordId,
        revision: i64,
        expires_ms: i64,
    ) -> String {
        let expires = expires_ms.div_euclid(1000);
        let tag = self
            .mac(business, appointment, revision, expires)
            .finalize()
            .into_bytes();
        format!(
            "{}{PATH}{appointment}.{revision}.{expires}.{}",
            self.base,
            URL_SAFE_NO_PAD.encode(&tag[..SIG_BYTES])
        )
    }

    /// The claim of a token (the link's last path segment), if it has the shape of one.
    pub fn claim(token: &str) -> Result<Claim, LinkError> {
        if token.len() > 120 {
            return Err(LinkError::Invalid);
        }
        let mut parts = token.split('.');
        let (Some(id), Some(rev), Some(exp), Some(sig), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(LinkError::Invalid);
        };
        let appointment = RecordId::parse(id).ok_or(LinkError::Invalid)?;
        let revision = rev.parse::<i64>().map_err(|_| LinkError::Invalid)?;
        let expires = exp.parse::<i64>().map_err(|_| LinkError::Invalid)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Invalid)?;
        if sig.len() != SIG_BYTES {
            return Err(LinkError::Invalid);
        }
        Ok(Claim {
            appointment,
            revision,
            expires,
            sig,
        })
    }

    /// Checks `claim` was signed here for `business`, is not past its time at `now_ms`, and is
    /// for the appointment's `current` revision — in that order, so a forged link learns
    /// nothing about the appointment.
    pub fn check(
        &self,
        claim: &Claim,
        business: &BusinessId,
        current: i64,
        now_ms: i64,
    ) -> Result<(), LinkError> {
        self.mac(business, &claim.appointment, claim.revision, claim.expires)
            .verify_truncated_left(&claim.sig)
            .map_err(|_| LinkError::Invalid)?;
        if now_ms.div_euclid(1000) >= claim.expires {
            return Err(LinkError::Expired);
        }
        if claim.revision != current {
            return Err(LinkError::Used);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_link_opens_only_as_made_until_its_time_and_only_at_its_revision() {
        let links = Links::new("https://desk.example/", [7; 32]);
        let (b, a) = (BusinessId::new(), RecordId::new());
        let url = links.url(&b, &a, 2, 1_900_000_000_000);
        let token = url.strip_prefix("https://desk.example/a/").unwrap();
        let claim = Links::claim(token).unwrap();
        assert_eq!(claim.appointment, a);
        let now = 1_800_000_000_000;
        assert_eq!(links.check(&claim, &b, 2, now), Ok(()));
        // Another business, a changed revision, a later time, another key: refused.
        assert_eq!(
            links.check(&claim, &BusinessId::new(), 2, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(links.check(&claim, &b, 3, now), Err(LinkError::Used));
        assert_eq!(
            links.check(&claim, &b, 2, 1_900_000_000_000),
            Err(LinkError::Expired)
        );
        let other = Links::new("https://desk.example", [8; 32]);
        assert_eq!(other.check(&claim, &b, 2, now), Err(LinkError::Invalid));
        // Every single-character change of the token is refused or unreadable.
        for (i, c) in token.char_indices() {
            for new in ['0', '9', 'A', '_'] {
                if new == c {
                    continue;
                }
                let mut t = token.to_owned();
                t.replace_range(i..i + 1, &new.to_string());
                // Only a spelling of the very same claim (an id's hex digit in capitals) opens.
                if let Ok(changed) = Links::claim(&t)
                    && changed != claim
                {
                    assert!(links.check(&changed, &b, 2, now).is_err(), "{t}");
                }
            }
        }
        for bad in ["", "a.b.c.d", "x", &format!("{token}.x"), &"a".repeat(500)] {
            assert_eq!(Links::claim(bad), Err(LinkError::Invalid), "{bad}");
        }
    }
}
