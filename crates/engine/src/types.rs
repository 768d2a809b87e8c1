//! Value types built only by parsing: once a handler holds a `PhoneE164` it never re-checks it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a value did not parse. The message is written for the person who typed the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// A JSON Schema for a type parsed by hand from one JSON value: `schema` is what it accepts.
macro_rules! schema {
    ($name:ty, $schema:tt) => {
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use schema;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The canonical text form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A business's URL name: lowercase letters, digits and single dashes, 1–63 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if s.is_empty()
            || s.len() > 63
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return fail(format!(
                "invalid slug {s:?}: use 1-63 lowercase letters, digits and single dashes"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(Slug);

/// A phone number in E.164 form: `+`, a country code that does not start with 0, 7–15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneE164(String);

/// The two-digit country calling codes (ITU-T E.164 assignments); after 1 and 7, which take
/// one digit, every other code takes three. The codes are prefix-free, so the first digits of a
/// number say how long its code is.
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

impl PhoneE164 {
    /// The number's country calling code, without the `+`: "1" for the NANP, "44" for the UK,
    /// "353" for Ireland.
    pub fn calling_code(&self) -> &str {
        let d = &self.0[1..];
        let len = if d.starts_with('1') || d.starts_with('7') {
            1
        } else if TWO_DIGIT_CODES.iter().any(|c| d.starts_with(c)) {
            2
        } else {
            3
        };
        &d[..len.min(d.len())]
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let digits = s.strip_prefix('+').unwrap_or("");
        let valid = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return fail(format!(
                "invalid phone number {s:?}: expected E.164 such as +15125550100"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(PhoneE164);

/// An e-mail address, with its domain lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        let Some((local, domain)) = s.rsplit_once('@') else {
            return fail(format!("invalid e-mail address {s:?}: no @"));
        };
        let bad = local.is_empty()
            || local.len() > 64
            || domain.len() > 253
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
            || local.contains('@');
        if bad {
            return fail(format!("invalid e-mail address {s:?}"));
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}
string_newtype!(Email);

/// An amount of money in the business's currency, held as whole cents so sums are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }
    pub fn cents(self) -> i64 {
        self.0
    }
    /// Parses a non-negative amount with at most two decimals, as written in a profile.
    pub fn from_f64(v: f64) -> Result<Self, ParseError> {
        if !v.is_finite() {
            return fail("price must be a number");
        }
        if v < 0.0 {
            return fail(format!("negative price {v}: prices must be 0 or more"));
        }
        let cents = (v * 100.0).round();
        if (cents / 100.0 - v).abs() > 1e-6 {
            return fail(format!("price {v} has more than two decimals"));
        }
        if cents > 1e12 {
            return fail(format!("price {v} is too large"));
        }
        Ok(Self(cents as i64))
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

schema!(Slug, {
    "type": "string",
    "description": "Lowercase letters, digits and single dashes, 1-63 characters.",
    "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
    "maxLength": 63
});
schema!(PhoneE164, {
    "type": "string",
    "description": "A phone number in E.164 form: + and 8 to 15 digits.",
    "pattern": "^\\+[1-9][0-9]{7,14}$"
});
schema!(Email, {"type": "string", "format": "email"});
schema!(Money, {
    "type": "number",
    "description": "An amount in the profile's currency, 0 or more, with at most two decimals.",
    "minimum": 0,
    "multipleOf": 0.01
});

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Self::from_f64(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_codes_are_read_by_their_length() {
        for (n, cc) in [
            ("+15125550100", "1"),
            ("+74951234567", "7"),
            ("+442071234567", "44"),
            ("+5511912345678", "55"),
            ("+35318765432", "353"),
            ("+9989012345678", "998"),
            ("+8613812345678", "86"),
            ("+260971234567", "260"),
        ] {
            assert_eq!(PhoneE164::parse(n).unwrap().calling_code(), cc, "{n}");
        }
    }

    #[test]
    fn slugs_accept_lowercase_dashes_only() {
        assert!(Slug::parse("sunny-storage-2").is_ok());
        for bad in ["", "Sunny", "a--b", "-a", "a-", "a b", "ä"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert!(PhoneE164::parse("+15125550100").is_ok());
        for bad in [
            "5125550100",
            "+0125550100",
            "+1 512 555 0100",
            "+12",
            "+1234567890123456",
        ] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_lowercase_the_domain() {
        assert_eq!(
            Email::parse("Jo@Example.COM").map(|e| e.to_string()),
            Ok("Jo@example.com".into())
        );
        for bad in ["jo", "@x.com", "jo@x", "jo @x.com", "jo@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_is_exact_cents_and_never_negative() {
        assert_eq!(Money::from_f64(149.0).map(Money::cents), Ok(14900));
        assert_eq!(Money::from_f64(0.1 + 0.2).map(Money::cents), Ok(30));
        assert!(Money::from_f64(-1.0).is_err());
        assert!(Money::from_f64(1.005).is_err());
        assert_eq!(Money::from_cents(1250).to_string(), "12.50");
    }
}
