//! The operations' error: what went wrong in words a caller can act on, with the store's error
//! kept as the cause. The web crate maps it to HTTP in one place.

use frontdesk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An input failed a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// Something on our side failed (a hashing thread, a token library).
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;
