//! Row ids: UUIDv7 (time-ordered, so keyset pagination by id follows creation order),
//! stored as text. Built only by generating or parsing.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7().to_string())
            }
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s)
                    .ok()
                    .map(|u| Self(u.hyphenated().to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// For values read back from our own columns.
            #[allow(dead_code)]
            pub(crate) fn from_db(s: String) -> Self {
                Self(s)
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("invalid id {s:?}"))
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl From<&$name> for crate::Value {
            fn from(v: &$name) -> crate::Value {
                crate::Value::Text(v.0.clone())
            }
        }
    };
}

id_type!(BusinessId);
id_type!(UserId);
id_type!(CustomerId);
id_type!(ApiKeyId);
id_type!(ConversationId);
// Any other record: appointments, orders, reservations, messages, activities.
id_type!(RecordId);
