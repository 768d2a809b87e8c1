//! The business profile, version 1, exactly as `spec/business-profile.md` defines it.
//!
//! Parsing is strict: unknown fields, malformed values and dangling references are refused with
//! the field's path and line, because a typo in a hand-written file must never be silently
//! ignored. Field-level checks live in the value types' `Deserialize` impls, so the YAML parser
//! reports their position; checks across sections run afterwards and locate the offending value
//! in the source text.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{Email, Money, PhoneE164, Slug};

/// A profile that failed to parse or validate: which field, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") }, line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ProfileError {
    /// Dotted path of the field, such as `units[1].available`; empty when unknown.
    pub path: String,
    /// 1-based line in the source document, when known.
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub version: Version,
    pub slug: Slug,
    pub name: NonEmpty,
    pub kind: BusinessKind,
    pub timezone: Timezone,
    #[serde(default = "default_locale")]
    pub locale: String,
    pub phone: PhoneE164,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_phone: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_alerts: Option<OwnerAlerts>,
    /// Country calling codes, besides the business's own, whose numbers may be texted
    /// (`["44", "52"]`). Texts to any other country are refused: nobody can make the business
    /// pay for texts abroad that it never meant to send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_countries: Vec<String>,
    #[serde(default)]
    pub hours: WeekHours,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<Closure>,
    /// The country whose public holidays the business closes on (a closure entry for the
    /// date, or the date in `open`, overrides one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays: Option<crate::holidays::Holidays>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<Persona>,
    /// How phone calls are answered.
    #[serde(default, skip_serializing_if = "CallSettings::is_default")]
    pub calls: CallSettings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub booking: Booking,
    #[serde(default = "default_currency")]
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<Unit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<Promotion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pricing_rules: Vec<PricingRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub menu: Vec<MenuItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordering: Option<Ordering>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faqs: Vec<Faq>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
}

fn default_locale() -> String {
    "en-US".into()
}

fn default_currency() -> Currency {
    Currency("USD".into())
}

/// The format version; only 1 exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Version(u32);

crate::types::schema!(Version, {"type": "integer", "const": 1, "enum": [1], "description": "The format version; only 1 exists."});
crate::types::schema!(NonEmpty, {"type": "string", "minLength": 1, "pattern": "\\S"});
impl schemars::JsonSchema for Timezone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timezone".into()
    }
    /// Every name the parser takes, so a client can offer them and a schema-valid profile is
    /// never refused for its time zone.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
        schemars::json_schema!({
            "type": "string",
            "description": "An IANA time zone such as America/Chicago.",
            "enum": names
        })
    }
}
crate::types::schema!(Currency, {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."});
crate::types::schema!(DayHours, {
    "type": "string",
    "description": "Opening hours in local time: HH:MM-HH:MM ranges (24-hour) separated by commas, in order, or closed.",
    "pattern": "^(\\s*[Cc][Ll][Oo][Ss][Ee][Dd]\\s*|\\s*[0-2][0-9]:[0-5][0-9]\\s*-\\s*[0-2][0-9]:[0-5][0-9]\\s*(,\\s*[0-2][0-9]:[0-5][0-9]\\s*-\\s*[0-2][0-9]:[0-5][0-9]\\s*)*)$"
});
crate::types::schema!(Positive, {"type": "integer", "minimum": 1});
crate::types::schema!(Choices, {
    "type": "object",
    "description": "Each choice's name and its surcharge (0 for none); at least one.",
    "minProperties": 1,
    "additionalProperties": {"type": "number", "minimum": 0, "multipleOf": 0.01}
});

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            1 => Ok(Self(1)),
            v => Err(de::Error::custom(format!(
                "unsupported profile version {v}: expected 1"
            ))),
        }
    }
}

/// Text that must not be blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NonEmpty(String);

impl NonEmpty {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NonEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(de::Error::custom("must not be empty"));
        }
        Ok(Self(s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BusinessKind {
    SelfStorage,
    Appointments,
    Restaurant,
    Retail,
    Other,
}

impl BusinessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfStorage => "self_storage",
            Self::Appointments => "appointments",
            Self::Restaurant => "restaurant",
            Self::Retail => "retail",
            Self::Other => "other",
        }
    }
}

/// An IANA time zone such as `America/Chicago`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(pub chrono_tz::Tz);

impl Serialize for Timezone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            de::Error::custom(format!(
                "unknown timezone {s:?}: use an IANA name such as America/Chicago"
            ))
        })
    }
}

/// ISO 4217 code, three uppercase letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Currency(String);

impl Currency {
    /// The code, such as `USD`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(de::Error::custom(format!(
                "invalid currency {s:?}: expected a code such as USD"
            )));
        }
        Ok(Self(s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerAlerts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<PhoneE164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// Opening hours for each weekday; a missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mon: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tue: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wed: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thu: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fri: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sat: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sun: Option<DayHours>,
}

impl WeekHours {
    /// The days of the week, Monday first.
    pub const DAYS: [chrono::Weekday; 7] = [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ];

    /// The open ranges on a weekday (empty when closed).
    pub fn on(&self, day: chrono::Weekday) -> &[TimeRange] {
        use chrono::Weekday::*;
        let d = match day {
            Mon => &self.mon,
            Tue => &self.tue,
            Wed => &self.wed,
            Thu => &self.thu,
            Fri => &self.fri,
            Sat => &self.sat,
            Sun => &self.sun,
        };
        d.as_ref().map(|h| h.0.as_slice()).unwrap_or(&[])
    }
}

/// A half-open local time range, in minutes after midnight (`end` may be 1440, i.e. 24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_min: u16,
    pub end_min: u16,
}

/// The hours of one day: `closed`, or comma-separated `HH:MM-HH:MM` ranges in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours(pub Vec<TimeRange>);

fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

impl DayHours {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("closed") {
            return Ok(Self(Vec::new()));
        }
        let mut ranges: Vec<TimeRange> = Vec::new();
        for part in s.split(',') {
            let (a, b) = part.split_once('-').ok_or_else(|| {
                format!(
                    "bad time range {:?}: expected HH:MM-HH:MM or closed",
                    part.trim()
                )
            })?;
            let (Some(start_min), Some(end_min)) = (parse_clock(a), parse_clock(b)) else {
                return Err(format!(
                    "bad time range {:?}: expected HH:MM-HH:MM with 24-hour times",
                    part.trim()
                ));
            };
            if end_min <= start_min {
                return Err(format!(
                    "bad time range {:?}: it ends before it starts",
                    part.trim()
                ));
            }
            if let Some(prev) = ranges.last()
                && start_min < prev.end_min
            {
                return Err(format!(
                    "bad time range {:?}: ranges must be in order and not overlap",
                    part.trim()
                ));
            }
            ranges.push(TimeRange { start_min, end_min });
        }
        Ok(Self(ranges))
    }
}

impl fmt::Display for DayHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("closed");
        }
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(
                f,
                "{:02}:{:02}-{:02}:{:02}",
                r.start_min / 60,
                r.start_min % 60,
                r.end_min / 60,
                r.end_min % 60
            )?;
        }
        Ok(())
    }
}

impl Serialize for DayHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Other hours kept that day; absent means closed all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<DayHours>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    #[default]
    Friendly,
    Formal,
    Concise,
}

/// How phone calls reach the agent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    /// TwiML `<Gather input="speech">` turns: works with nothing but a Twilio account.
    #[default]
    Gather,
    /// Twilio ConversationRelay: Twilio recognises and speaks, replies stream over a WebSocket.
    ConversationRelay,
    /// Twilio Media Streams: the call's audio comes here; the configured speech-to-text and
    /// text-to-speech providers hear and speak (`[speech]` settings).
    MediaStreams,
}

/// Phone call settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSettings {
    #[serde(default)]
    pub mode: CallMode,
    /// Record calls (Twilio keeps the audio; its URL is stored with the call).
    #[serde(default)]
    pub record: bool,
}

impl CallSettings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default)]
    pub tone: Tone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: NonEmpty,
    pub duration_min: Positive,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A whole number above zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Positive(pub u32);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            0 => Err(de::Error::custom("must be more than 0")),
            n => Ok(Self(n)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub name: NonEmpty,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WeekHours>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    #[serde(default = "d30")]
    pub slot_step_min: Positive,
    #[serde(default = "d60")]
    pub min_notice_min: u32,
    #[serde(default = "d60p")]
    pub max_days_ahead: Positive,
    #[serde(default)]
    pub buffer_min: u32,
    /// How long before an appointment the customer may still move or cancel it by the link in
    /// their confirmation; closer than that, the page asks them to call. 0: until it starts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub change_notice_min: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn d30() -> Positive {
    Positive(30)
}
fn d60() -> u32 {
    60
}
fn d60p() -> Positive {
    Positive(60)
}

impl Default for Booking {
    fn default() -> Self {
        Self {
            slot_step_min: d30(),
            min_notice_min: d60(),
            max_days_ahead: d60p(),
            buffer_min: 0,
            change_notice_min: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, try_from = "RawUnit")]
pub struct Unit {
    #[serde(rename = "type")]
    pub unit_type: String,
    pub width_ft: f64,
    pub depth_ft: f64,
    pub climate_controlled: bool,
    pub drive_up: bool,
    pub monthly_rate: Money,
    pub total: u32,
    /// How many are free now. The store keeps the live count (reservations change it); a
    /// profile file sets it only when it gives the field.
    pub available: u32,
    /// The file gave `available` (when it did not, `available` is `total`).
    #[serde(skip)]
    pub available_given: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    #[serde(rename = "type")]
    unit_type: NonEmpty,
    #[schemars(extend("exclusiveMinimum" = 0))]
    width_ft: f64,
    #[schemars(extend("exclusiveMinimum" = 0))]
    depth_ft: f64,
    #[serde(default)]
    climate_controlled: bool,
    #[serde(default)]
    drive_up: bool,
    monthly_rate: Money,
    total: u32,
    #[serde(default)]
    available: Option<u32>,
}

impl TryFrom<RawUnit> for Unit {
    type Error = String;
    fn try_from(r: RawUnit) -> Result<Self, String> {
        let t = &r.unit_type.0;
        let available = r.available.unwrap_or(r.total);
        if available > r.total {
            return Err(format!(
                "unit {t}: available ({available}) is more than total ({})",
                r.total
            ));
        }
        if !(r.width_ft > 0.0
            && r.depth_ft > 0.0
            && r.width_ft.is_finite()
            && r.depth_ft.is_finite())
        {
            return Err(format!(
                "unit {t}: width_ft and depth_ft must be more than 0"
            ));
        }
        Ok(Self {
            unit_type: r.unit_type.0,
            width_ft: r.width_ft,
            depth_ft: r.depth_ft,
            climate_controlled: r.climate_controlled,
            drive_up: r.drive_up,
            monthly_rate: r.monthly_rate,
            total: r.total,
            available,
            available_given: r.available.is_some(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub name: NonEmpty,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, try_from = "RawPricingRule")]
pub struct PricingRule {
    pub when_occupancy_above: f64,
    pub adjust_percent: f64,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawPricingRule {
    when_occupancy_above: f64,
    adjust_percent: f64,
}

impl TryFrom<RawPricingRule> for PricingRule {
    type Error = String;
    fn try_from(r: RawPricingRule) -> Result<Self, String> {
        if !(0.0..=1.0).contains(&r.when_occupancy_above) {
            return Err(format!(
                "when_occupancy_above {} must be between 0 and 1",
                r.when_occupancy_above
            ));
        }
        if !(-100.0..=1000.0).contains(&r.adjust_percent) {
            return Err(format!(
                "adjust_percent {} must be between -100 and 1000",
                r.adjust_percent
            ));
        }
        Ok(Self {
            when_occupancy_above: r.when_occupancy_above,
            adjust_percent: r.adjust_percent,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub name: NonEmpty,
    pub price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<MenuOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuOption {
    pub name: NonEmpty,
    pub choices: Choices,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Option choices and their surcharges, in the order the owner wrote them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choices(pub Vec<(String, Money)>);

impl Serialize for Choices {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Choices {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Choices;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of choice name to surcharge")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Choices, A::Error> {
                let mut out: Vec<(String, Money)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Money>()? {
                    if out.iter().any(|(n, _)| *n == k) {
                        return Err(de::Error::custom(format!("duplicate choice {k:?}")));
                    }
                    out.push((k, v));
                }
                if out.is_empty() {
                    return Err(de::Error::custom("an option needs at least one choice"));
                }
                Ok(Choices(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ordering {
    #[serde(default)]
    pub pickup: bool,
    #[serde(default)]
    pub delivery: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_fee: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_order: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prep_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub q: NonEmpty,
    pub a: NonEmpty,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub topic: NonEmpty,
    pub text: NonEmpty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyAction {
    Transfer,
    AlertOwner,
    Both,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Emergency {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    pub message: NonEmpty,
    pub action: EmergencyAction,
}

/// Largest profile document accepted, in bytes: the file uploaded and the YAML it exports to.
pub const MAX_PROFILE_BYTES: usize = 1 << 20;
/// Longest name-like text, in characters: names, types, topics, keywords, choices, the items
/// of lists of names.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest question (`faqs[].q`), in characters.
pub const MAX_QUESTION_CHARS: usize = 300;
/// Longest prose (answers, policies, descriptions, greetings, notes, messages, an address),
/// in characters: about a dozen SMS segments, the most one reply may carry.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// Most items in any one list (FAQs, services, menu items, hours of a day, …).
pub const MAX_LIST_ITEMS: usize = 500;

/// The longest text a field may hold, by the field's name (the last key of its path).
fn text_limit(field: &str) -> usize {
    match field {
        "q" => MAX_QUESTION_CHARS,
        "a" | "text" | "description" | "greeting" | "message" | "note" | "price_note"
        | "address" | "website" => MAX_TEXT_CHARS,
        _ => MAX_NAME_CHARS,
    }
}

/// Walks a profile's JSON form and refuses the first text longer than its field allows and
/// the first list longer than [`MAX_LIST_ITEMS`], naming its path.
fn check_sizes(
    v: &serde_json::Value,
    path: &mut String,
    field: &str,
) -> Result<(), (String, String)> {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let limit = text_limit(field);
            let n = s.chars().count();
            if n > limit {
                return Err((
                    path.clone(),
                    format!("{n} characters is too long: at most {limit}"),
                ));
            }
        }
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                return Err((
                    path.clone(),
                    format!(
                        "{} items is too many: at most {MAX_LIST_ITEMS}",
                        items.len()
                    ),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_sizes(item, path, field)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if map.len() > MAX_LIST_ITEMS {
                return Err((
                    path.clone(),
                    format!(
                        "{} entries is too many: at most {MAX_LIST_ITEMS}",
                        map.len()
                    ),
                ));
            }
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if k.chars().count() > MAX_NAME_CHARS {
                    return Err((
                        path.clone(),
                        format!("a key of more than {MAX_NAME_CHARS} characters"),
                    ));
                }
                check_sizes(item, path, k)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

impl Profile {
    /// What is kept on `date` instead of the week's hours: the profile's own closure entry for
    /// it, else a public holiday the business closes for (closed all day, under its name).
    pub fn closure_on(&self, date: NaiveDate) -> Option<std::borrow::Cow<'_, Closure>> {
        if let Some(c) = self.closures.iter().find(|c| c.date == date) {
            return Some(std::borrow::Cow::Borrowed(c));
        }
        let name = self.holidays.as_ref()?.closed_on(date)?;
        Some(std::borrow::Cow::Owned(Closure {
            date,
            note: Some(name.to_owned()),
            hours: None,
        }))
    }

    /// The closures from `from` to `until` (both included), by date: entries and holidays.
    pub fn closures_between(&self, from: NaiveDate, until: NaiveDate) -> Vec<Closure> {
        from.iter_days()
            .take_while(|d| *d <= until)
            .filter_map(|d| self.closure_on(d).map(std::borrow::Cow::into_owned))
            .collect()
    }

    /// Whether a text may go to `number` (E.164, or `whatsapp:` and E.164): the business's own
    /// country, the countries in `text_countries`, and the owner's alert number.
    pub fn may_text(&self, number: &str) -> bool {
        let bare = number.strip_prefix("whatsapp:").unwrap_or(number);
        let Ok(n) = PhoneE164::parse(bare) else {
            return false;
        };
        let cc = n.calling_code();
        cc == self.phone.calling_code()
            || self.text_countries.iter().any(|c| c == cc)
            || self
                .owner_alerts
                .as_ref()
                .and_then(|a| a.sms.as_ref())
                .is_some_and(|o| o.as_str() == bare)
    }

    /// The format's JSON Schema (draft 2020-12), generated from the types the parser reads
    /// into, so it cannot drift from what an import accepts. Rules that span fields (a staff
    /// member's services exist, `available` is at most `total`) are checked by the parser
    /// alone.
    pub fn json_schema() -> serde_json::Value {
        let mut schema = schemars::schema_for!(Profile);
        schema.insert(
            "title".into(),
            "frontdesk business profile, version 1".into(),
        );
        schema.to_value()
    }

    /// The same schema for an OpenAPI 3.1 document: the profile's own schema, and each of the
    /// schemas it refers to by name, with references into `#/components/schemas/`.
    pub fn openapi_schemas() -> (
        serde_json::Value,
        serde_json::Map<String, serde_json::Value>,
    ) {
        let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        });
        let mut root = settings
            .into_generator()
            .into_root_schema_for::<Profile>()
            .to_value();
        let defs = root
            .as_object_mut()
            .and_then(|o| o.remove("components"))
            .and_then(|mut c| c.get_mut("schemas").map(serde_json::Value::take))
            .and_then(|s| match s {
                serde_json::Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        (root, defs)
    }

    /// Parses and validates a YAML (or JSON, which is YAML) profile document.
    pub fn from_yaml(src: &str) -> Result<Self, ProfileError> {
        if src.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError {
                path: String::new(),
                line: None,
                message: format!("profile is larger than {MAX_PROFILE_BYTES} bytes"),
            });
        }
        // The reader must see a failure as its own to stop there; the path goes around it.
        let mut path = String::new();
        let profile: Profile = crate::yaml::with_deserializer(src, |de| {
            serde_path_to_error::deserialize(de).map_err(|e| {
                path = e.path().to_string();
                e.into_inner()
            })
        })
        .map_err(|e| yaml_error(src, std::mem::take(&mut path), e))?;
        profile.check_sizes(Some(src))?;
        profile.check_references(Some(src))?;
        Ok(profile)
    }

    /// Validates a profile that arrived as JSON through the API (same rules as YAML).
    pub fn from_json_value(v: serde_json::Value) -> Result<Self, ProfileError> {
        let profile: Profile = serde_path_to_error::deserialize(v).map_err(|e| ProfileError {
            // The whole document's path reads "."; no field is named then.
            path: Some(e.path().to_string())
                .filter(|p| p != ".")
                .unwrap_or_default(),
            line: None,
            message: e.into_inner().to_string(),
        })?;
        profile.check_sizes(None)?;
        profile.check_references(None)?;
        Ok(profile)
    }

    /// Writes the profile in the spec's YAML form; it parses back to an equal profile.
    pub fn to_yaml(&self) -> String {
        // Serialising plain data to YAML cannot fail; fall back to JSON (valid YAML) if it ever does.
        crate::yaml::to_string(self)
            .unwrap_or_else(|_| serde_json::to_string_pretty(self).unwrap_or_default())
    }

    /// Size limits on every text and list (so no profile can make a reply run to hundreds of
    /// texts), and on the whole: its YAML export must import again.
    fn check_sizes(&self, src: Option<&str>) -> Result<(), ProfileError> {
        let v = serde_json::to_value(self).map_err(|e| ProfileError {
            path: String::new(),
            line: None,
            message: e.to_string(),
        })?;
        check_sizes(&v, &mut String::new(), "").map_err(|(path, message)| ProfileError {
            line: src.and_then(|s| locate_nearest(s, &path)),
            path,
            message,
        })?;
        let exported = self.to_yaml().len();
        if exported > MAX_PROFILE_BYTES {
            return Err(ProfileError {
                path: String::new(),
                line: None,
                message: format!(
                    "profile is larger than {MAX_PROFILE_BYTES} bytes when written as YAML ({exported})"
                ),
            });
        }
        Ok(())
    }

    /// Checks that hold across sections: unique names and no dangling references.
    fn check_references(&self, src: Option<&str>) -> Result<(), ProfileError> {
        let err = |path: String, needle: &str, message: String| ProfileError {
            // Flow-style lists put values on their key's line; fall back to the value itself.
            line: src.and_then(|s| {
                locate(s, &path)
                    .or_else(|| s.lines().position(|l| l.contains(needle)).map(|i| i + 1))
            }),
            path,
            message,
        };
        let services = unique(self.services.iter().map(|s| s.name.as_str())).map_err(|n| {
            err(
                "services".into(),
                n,
                format!("service {n:?} is listed twice"),
            )
        })?;
        let units = unique(self.units.iter().map(|u| u.unit_type.as_str())).map_err(|n| {
            err(
                "units".into(),
                n,
                format!("unit type {n:?} is listed twice"),
            )
        })?;
        let menu = unique(self.menu.iter().map(|m| m.name.as_str()))
            .map_err(|n| err("menu".into(), n, format!("menu item {n:?} is listed twice")))?;
        unique(self.staff.iter().map(|s| s.name.as_str())).map_err(|n| {
            err(
                "staff".into(),
                n,
                format!("staff member {n:?} is listed twice"),
            )
        })?;
        for (i, st) in self.staff.iter().enumerate() {
            for s in &st.services {
                if !services.contains(s.as_str()) {
                    return Err(err(
                        format!("staff[{i}].services"),
                        s,
                        format!("unknown service {s:?}: not in services"),
                    ));
                }
            }
        }
        for (i, p) in self.promotions.iter().enumerate() {
            for a in &p.applies_to {
                let a = a.as_str();
                if !(services.contains(a) || units.contains(a) || menu.contains(a)) {
                    return Err(err(
                        format!("promotions[{i}].applies_to"),
                        a,
                        format!("{a:?} is not a unit type, service or menu item"),
                    ));
                }
            }
        }
        for (i, m) in self.menu.iter().enumerate() {
            for (j, o) in m.options.iter().enumerate() {
                if let Some(d) = &o.default
                    && !o.choices.0.iter().any(|(c, _)| c == d)
                {
                    return Err(err(
                        format!("menu[{i}].options[{j}].default"),
                        d,
                        format!("default {d:?} is not one of the choices"),
                    ));
                }
            }
        }
        for (i, cc) in self.text_countries.iter().enumerate() {
            if !(1..=3).contains(&cc.len())
                || !cc.bytes().all(|b| b.is_ascii_digit())
                || cc.starts_with('0')
            {
                return Err(err(
                    format!("text_countries[{i}]"),
                    cc,
                    format!("{cc:?} is not a country calling code such as \"44\""),
                ));
            }
        }
        let mut dates = HashSet::new();
        for (i, c) in self.closures.iter().enumerate() {
            if !dates.insert(c.date) {
                let d = c.date.to_string();
                return Err(err(
                    format!("closures[{i}].date"),
                    &d,
                    format!("closure date {d} is listed twice"),
                ));
            }
        }
        Ok(())
    }
}

fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>, &'a str> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(n);
        }
    }
    Ok(seen)
}

/// The line of `path` or, when it is written in flow style, of the nearest enclosing field.
fn locate_nearest(src: &str, path: &str) -> Option<usize> {
    let mut p = path;
    loop {
        if let Some(line) = locate(src, p) {
            return Some(line);
        }
        p = &p[..p.rfind(['.', '['])?];
    }
}

/// The 1-based line where a dotted path such as `services[1].price` is written, for block-style
/// YAML (the style of the spec). Flow-style parts resolve to the line of their key.
fn locate(src: &str, path: &str) -> Option<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let meaningful = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    // The block the current search is confined to: lines (from, to], owned by line `from`.
    let (mut from, mut to): (Option<usize>, usize) = (None, lines.len());
    let block_end = |at: usize, col: usize| {
        (at + 1..lines.len())
            .find(|&i| meaningful(lines[i]) && indent(lines[i]) <= col)
            .unwrap_or(lines.len())
    };
    for seg in path.split('.').flat_map(|s| s.split('[')) {
        let first = from.map_or(0, |f| f + 1);
        if let Some(idx) = seg.strip_suffix(']') {
            let idx: usize = idx.parse().ok()?;
            let items: Vec<usize> = (first..to)
                .filter(|&i| lines[i].trim_start().starts_with("- "))
                .collect();
            let col = items.iter().map(|&i| indent(lines[i])).min()?;
            let Some(&at) = items.iter().filter(|&&i| indent(lines[i]) == col).nth(idx) else {
                continue;
            };
            let end = (at + 1..to)
                .find(|&i| {
                    meaningful(lines[i])
                        && (indent(lines[i]) < col
                            || (indent(lines[i]) == col && lines[i].trim_start().starts_with("- ")))
                })
                .unwrap_or(to);
            (from, to) = (Some(at), end);
        } else {
            let key = format!("{seg}:");
            let mut best: Option<(usize, usize)> = None;
            for (i, line) in lines.iter().enumerate().take(to).skip(first) {
                let t = line.trim_start();
                let (col, t) = match t.strip_prefix("- ") {
                    Some(rest) => (indent(line) + 2, rest),
                    None => (indent(line), t),
                };
                // A key on the owning "- key:" line itself belongs to the block too.
                if t.starts_with(&key) && best.is_none_or(|(_, c)| col < c) {
                    best = Some((i, col));
                }
            }
            if from.is_some_and(|f| {
                lines[f]
                    .trim_start()
                    .strip_prefix("- ")
                    .is_some_and(|t| t.starts_with(&key))
            }) {
                best = from.map(|f| (f, indent(lines[f]) + 2));
            }
            let (at, col) = best?;
            (from, to) = (Some(at), block_end(at, col).min(to));
        }
    }
    from.map(|f| f + 1)
}

fn yaml_error(src: &str, path: String, e: crate::yaml::Error) -> ProfileError {
    let path = if path == "." { String::new() } else { path };
    let mut message = e.to_string();
    // The reader renders "message at line L, column C"; the line is reported apart.
    for marker in [" at line ", " at ", "\n"] {
        if let Some(i) = message.find(marker)
            && (marker != " at " || message[i..].contains("line"))
        {
            message.truncate(i);
        }
    }
    let line =
        locate(src, &path).or_else(|| e.location().map(|l| l.line() as usize).filter(|&l| l > 0));
    ProfileError {
        path,
        line,
        message,
    }
}

#[cfg(test)]
mod tests;
