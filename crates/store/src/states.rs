//! The states a stored record can be in, as types: each is an enum stored and serialised as
//! the same snake_case string the database's CHECK constraint and the API have always used, so
//! code compares variants, never strings.

use crate::{Result, Row, StoreError, Value};

/// A state stored as a string.
pub trait StoredState: Sized + Copy {
    /// What the column holds, for an error that names it.
    const WHAT: &'static str;
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self>;
}

/// Reads column `i` as a state; a value the type does not know is an error, not a default.
pub(crate) fn read<T: StoredState>(r: &dyn Row, i: usize) -> Result<T> {
    let s = r.text(i)?;
    T::parse(&s).ok_or_else(|| StoreError::broken(format!("unknown {} {s:?}", T::WHAT)))
}

/// [`read`] for a column that may be NULL.
pub(crate) fn read_opt<T: StoredState>(r: &dyn Row, i: usize) -> Result<Option<T>> {
    r.opt_text(i)?
        .map(|s| {
            T::parse(&s).ok_or_else(|| StoreError::broken(format!("unknown {} {s:?}", T::WHAT)))
        })
        .transpose()
}

macro_rules! states {
    ($(#[$m:meta])* $name:ident ($what:literal) { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }

        impl StoredState for $name {
            const WHAT: &'static str = $what;
            fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }
            fn parse(s: &str) -> Option<Self> {
                match s {
                    $($s => Some($name::$v),)+
                    _ => None,
                }
            }
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                StoredState::as_str(self)
            }
            pub fn parse(s: &str) -> Option<Self> {
                <Self as StoredState>::parse(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for Value {
            fn from(v: $name) -> Value {
                Value::Text(v.as_str().to_owned())
            }
        }
    };
}

states!(
    /// Where a conversation stands.
    ConversationStatus("conversation status") {
        Open = "open",
        /// Over: a goodbye, or the caller hung up.
        Ended = "ended",
        /// Passed to a person (a transfer, an emergency).
        HandedOff = "handed_off",
    }
);

states!(
    /// Who said a message.
    MessageRole("message role") {
        Caller = "caller",
        Agent = "agent",
    }
);

states!(
    /// Which way a text went.
    Direction("direction") {
        Inbound = "inbound",
        Outbound = "outbound",
    }
);

states!(
    /// Where an appointment stands.
    AppointmentStatus("appointment status") {
        Booked = "booked",
        Cancelled = "cancelled",
        Completed = "completed",
        NoShow = "no_show",
    }
);

states!(
    /// Where a job stands in the queue.
    JobStatus("job status") {
        Queued = "queued",
        Running = "running",
        Done = "done",
        /// Out of tries: kept with its last error for a person to look at.
        Dead = "dead",
        /// Called off before it ran (a reminder of a cancelled appointment).
        Cancelled = "cancelled",
    }
);

impl StoredState for frontdesk_engine::agent::Channel {
    const WHAT: &'static str = "channel";
    fn as_str(self) -> &'static str {
        frontdesk_engine::agent::Channel::as_str(self)
    }
    fn parse(s: &str) -> Option<Self> {
        frontdesk_engine::agent::Channel::parse(s)
    }
}

impl StoredState for frontdesk_engine::agent::CallOutcome {
    const WHAT: &'static str = "call outcome";
    fn as_str(self) -> &'static str {
        frontdesk_engine::agent::CallOutcome::as_str(self)
    }
    fn parse(s: &str) -> Option<Self> {
        frontdesk_engine::agent::CallOutcome::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: StoredState
            + serde::Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug,
    {
        for v in all {
            let s = v.as_str();
            assert_eq!(T::parse(s), Some(*v));
            // The API shows and takes the same string the database holds.
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(s));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(s)).unwrap(),
                *v
            );
        }
        assert_eq!(T::parse("no such state"), None);
    }

    #[test]
    fn every_state_is_stored_and_shown_as_its_string() {
        use frontdesk_engine::agent::{CallOutcome, Channel};
        round_trips(&[
            ConversationStatus::Open,
            ConversationStatus::Ended,
            ConversationStatus::HandedOff,
        ]);
        round_trips(&[MessageRole::Caller, MessageRole::Agent]);
        round_trips(&[Direction::Inbound, Direction::Outbound]);
        round_trips(&[
            AppointmentStatus::Booked,
            AppointmentStatus::Cancelled,
            AppointmentStatus::Completed,
            AppointmentStatus::NoShow,
        ]);
        round_trips(&[
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Dead,
            JobStatus::Cancelled,
        ]);
        round_trips(&CallOutcome::ALL);
        round_trips(&[
            Channel::Voice,
            Channel::Sms,
            Channel::Whatsapp,
            Channel::Web,
            Channel::Cli,
            Channel::Api,
        ]);
        assert_eq!(ConversationStatus::HandedOff.as_str(), "handed_off");
        assert_eq!(AppointmentStatus::NoShow.to_string(), "no_show");
    }
}
