//! Twilio's request signatures, as its webhook-security documentation defines them: the
//! `X-Twilio-Signature` header is the base64 HMAC-SHA1, keyed with the account's auth token, of
//! the full URL Twilio called followed by every POST parameter, sorted by name, as name and
//! value with no separators. JSON-bodied webhooks instead carry the body's SHA-256 (hex) in a
//! `bodySHA256` query parameter, and the URL alone is signed.

pub mod rest;
pub mod segments;
pub mod twiml;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

type HmacSha1 = Hmac<Sha1>;

/// An address without its channel prefix (`whatsapp:+1555…` is `+1555…`).
pub fn bare(address: &str) -> &str {
    address.strip_prefix("whatsapp:").unwrap_or(address)
}

fn mac(token: &str, url: &str, params: &[(String, String)]) -> Option<HmacSha1> {
    // HMAC takes keys of any length, so this is always `Some`.
    let mut m = HmacSha1::new_from_slice(token.as_bytes()).ok()?;
    m.update(url.as_bytes());
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    Some(m)
}

/// The signature Twilio sends for a form-encoded request to `url` with `params`.
pub fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    mac(token, url, params)
        .map(|m| STANDARD.encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `header` is Twilio's signature of this request, compared in constant time. The URL
/// is tried as given and with the default port added or removed, as Twilio's own libraries do,
/// since a proxy may present either form.
pub fn verify(token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(sig) = STANDARD.decode(header.trim()) else {
        return false;
    };
    if token.is_empty() || sig.is_empty() {
        return false;
    }
    url_forms(url)
        .iter()
        .any(|u| mac(token, u, params).is_some_and(|m| m.verify_slice(&sig).is_ok()))
}

/// Checks a JSON-bodied webhook: the URL (with its `bodySHA256`) is signed, and that parameter
/// must be the SHA-256 of the body.
pub fn verify_body(token: &str, url: &str, body: &[u8], header: &str) -> bool {
    let Some(query) = url.split_once('?').map(|(_, q)| q) else {
        return false;
    };
    let claimed = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("bodySHA256="))
        .unwrap_or("");
    let actual = hex::encode(Sha256::digest(body));
    claimed.eq_ignore_ascii_case(&actual) && verify(token, url, &[], header)
}

/// The URL as given, and with the scheme's default port added or taken away.
fn url_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return forms;
    };
    let port = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return forms,
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(split);
    if let Some(bare) = host.strip_suffix(port) {
        forms.push(format!("{scheme}://{bare}{tail}"));
    } else if !host.contains(':') {
        forms.push(format!("{scheme}://{host}{port}{tail}"));
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn matches_twilio_documented_example() {
        // The example in Twilio's webhook-security documentation (auth token "12345").
        assert_eq!(
            signature("12345", URL, &params()),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        let mut shuffled = params();
        shuffled.reverse();
        assert!(verify(
            "12345",
            URL,
            &shuffled,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(verify(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params(),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }

    #[test]
    fn anything_changed_fails() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert!(!verify("54321", URL, &params(), good), "other token");
        assert!(!verify(
            "12345",
            "https://mycompany.com/other",
            &params(),
            good
        ));
        let mut p = params();
        p[2].1 = "9".into();
        assert!(!verify("12345", URL, &p, good), "a changed parameter");
        p = params();
        p.push(("Extra".into(), "1".into()));
        assert!(!verify("12345", URL, &p, good), "an added parameter");
        assert!(!verify("12345", URL, &params(), ""), "missing");
        assert!(!verify("12345", URL, &params(), "not base64!"));
        assert!(!verify("", URL, &params(), good), "no token configured");
    }

    #[test]
    fn json_bodies_are_checked_by_their_hash() {
        let body = br#"{"CallSid":"CA1"}"#;
        let url = format!(
            "https://example.com/twilio/status?bodySHA256={}",
            hex::encode(Sha256::digest(body))
        );
        let sig = signature("tok", &url, &[]);
        assert!(verify_body("tok", &url, body, &sig));
        assert!(!verify_body("tok", &url, br#"{"CallSid":"CA2"}"#, &sig));
        assert!(!verify_body(
            "tok",
            "https://example.com/twilio/status",
            body,
            &sig
        ));
    }
}
