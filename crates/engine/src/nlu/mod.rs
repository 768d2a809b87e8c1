//! Understanding: what the caller wants (intent) and the details they gave (entities).

pub mod text;
pub mod when;
pub mod entities;
pub mod knowledge;
pub mod intent;
