//! The pure core of frontdesk: value types that are only built by parsing, and the business
//! profile format (`spec/business-profile.md`). Nothing here touches the network, the database or
//! the clock, so it can be tested exhaustively and called from any layer.

pub mod agent;
pub mod holidays;
pub mod nlu;
pub mod profile;
pub mod schedule;
pub mod types;
pub mod yaml;

pub use profile::{Profile, ProfileError};
pub use types::{Email, Money, ParseError, PhoneE164, Slug};
