//! The states a stored record can be in, as types: each is an enum stored and serialised as
//! the same snake_case string the database's CHECK constraint and the API have always used, so
//! code compares variants, never strings.

use crate::{Result, Row, StoreError, Value};

/// A state stored as a string.
pub trait StoredState: Sized + Copy + 'static {
    /// What the column holds, for an error that names it.
    const WHAT: &'static str;
    /// Every state, in a stable order (for documents that list them).
    const ALL: &'static [Self];
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }

        impl StoredState for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$v),+];
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
    /// A member's role in a business, from least to most powerful.
    #[derive(PartialOrd, Ord)]
    Role("role") {
        Viewer = "viewer",
        Agent = "agent",
        Manager = "manager",
        Owner = "owner",
    }
);

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
    /// Who called an appointment off.
    CancelledBy("cancelled by") {
        /// The caller, through the agent.
        Caller = "caller",
        /// The customer, by the link in their confirmation.
        Customer = "customer",
        /// Staff, in the dashboard or the API.
        Staff = "staff",
    }
);

states!(
    /// Where a phone call stands: Twilio's `CallStatus` values, all of them, spelled as Twilio
    /// spells them (hyphens included).
    CallStatus("call status") {
        Queued = "queued",
        Initiated = "initiated",
        Ringing = "ringing",
        InProgress = "in-progress",
        Completed = "completed",
        Busy = "busy",
        Failed = "failed",
        NoAnswer = "no-answer",
        Canceled = "canceled",
    }
);

impl CallStatus {
    /// A final status: the call is over, and nothing that arrives later changes it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled
        )
    }
}

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

states!(
    /// Where a storage-unit reservation stands.
    ReservationStatus("reservation status") {
        Reserved = "reserved",
        Cancelled = "cancelled",
        MovedIn = "moved_in",
    }
);

states!(
    /// Where an order stands.
    OrderStatus("order status") {
        Received = "received",
        Preparing = "preparing",
        Ready = "ready",
        OutForDelivery = "out_for_delivery",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

states!(
    /// Whether someone has dealt with a message a caller left.
    MessageStatus("message status") {
        New = "new",
        Done = "done",
    }
);

states!(
    /// Whether the owner has dealt with a question the agent could not answer.
    QuestionStatus("question status") {
        Open = "open",
        Answered = "answered",
        Dismissed = "dismissed",
    }
);

states!(
    /// Where an outgoing e-mail stands.
    EmailStatus("e-mail status") {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
);

states!(
    /// What became of a text. Inbound: `received`, then `handled` or `ignored`. Outbound:
    /// `pending` until the provider has it, then the provider's own states (Twilio's
    /// `MessageStatus` values, all of them, so any callback it documents can be stored).
    TextStatus("text status") {
        Pending = "pending",
        Received = "received",
        Handled = "handled",
        Ignored = "ignored",
        Accepted = "accepted",
        Scheduled = "scheduled",
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Undelivered = "undelivered",
        Failed = "failed",
        Canceled = "canceled",
        Read = "read",
        Receiving = "receiving",
        PartiallyDelivered = "partially_delivered",
    }
);

impl TextStatus {
    /// The order of outbound delivery states: a callback never moves a message backwards
    /// (they can arrive out of order).
    pub fn delivery_rank(self) -> u8 {
        use TextStatus::*;
        match self {
            Pending | Received | Handled | Ignored | Receiving => 0,
            Accepted | Scheduled | Queued => 1,
            Sending => 2,
            Sent => 3,
            Delivered | Undelivered | Failed | Canceled | PartiallyDelivered => 4,
            Read => 5,
        }
    }
}

impl From<frontdesk_engine::agent::Channel> for Value {
    fn from(v: frontdesk_engine::agent::Channel) -> Value {
        Value::Text(v.as_str().to_owned())
    }
}

impl StoredState for frontdesk_engine::agent::Channel {
    const WHAT: &'static str = "channel";
    const ALL: &'static [Self] = &frontdesk_engine::agent::Channel::ALL;
    fn as_str(self) -> &'static str {
        frontdesk_engine::agent::Channel::as_str(self)
    }
    fn parse(s: &str) -> Option<Self> {
        frontdesk_engine::agent::Channel::parse(s)
    }
}

impl StoredState for frontdesk_engine::agent::CallOutcome {
    const WHAT: &'static str = "call outcome";
    const ALL: &'static [Self] = &frontdesk_engine::agent::CallOutcome::ALL;
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
        round_trips(ConversationStatus::ALL);
        round_trips(MessageRole::ALL);
        round_trips(Direction::ALL);
        round_trips(AppointmentStatus::ALL);
        round_trips(CancelledBy::ALL);
        round_trips(JobStatus::ALL);
        round_trips(ReservationStatus::ALL);
        round_trips(OrderStatus::ALL);
        round_trips(MessageStatus::ALL);
        round_trips(QuestionStatus::ALL);
        round_trips(EmailStatus::ALL);
        round_trips(TextStatus::ALL);
        round_trips(KeyRole::ALL);
        round_trips(<Role as StoredState>::ALL);
        round_trips(&CallOutcome::ALL);
        round_trips(&Channel::ALL);
    }

    /// A callback never moves a text back: the provider's states are ordered, and every
    /// final state outranks every state before it.
    #[test]
    fn delivery_states_only_move_forward() {
        use TextStatus::*;
        for (before, after) in [
            (Pending, Queued),
            (Queued, Sending),
            (Sending, Sent),
            (Sent, Delivered),
            (Sent, Failed),
            (Delivered, Read),
        ] {
            assert!(
                before.delivery_rank() < after.delivery_rank(),
                "{before} then {after}"
            );
        }
        assert!(Delivered.delivery_rank() > Sent.delivery_rank());
    }
}

states!(
    /// What an API key may do: act as the operator, or hold a member role in one business.
    KeyRole("key role") {
        Operator = "operator",
        Owner = "owner",
        Manager = "manager",
        Agent = "agent",
        Viewer = "viewer",
    }
);

impl KeyRole {
    /// The role a business key holds in its business; `None` for an operator key.
    pub fn member(self) -> Option<Role> {
        match self {
            KeyRole::Operator => None,
            KeyRole::Owner => Some(Role::Owner),
            KeyRole::Manager => Some(Role::Manager),
            KeyRole::Agent => Some(Role::Agent),
            KeyRole::Viewer => Some(Role::Viewer),
        }
    }
}

impl From<Role> for KeyRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => KeyRole::Owner,
            Role::Manager => KeyRole::Manager,
            Role::Agent => KeyRole::Agent,
            Role::Viewer => KeyRole::Viewer,
        }
    }
}
