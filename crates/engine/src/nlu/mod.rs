//! Understanding: what the caller wants (intent) and the details they gave (entities).

pub mod entities;
pub mod frequency;
pub mod intent;
pub mod knowledge;
pub mod sentiment;
pub mod text;
pub mod vectors;
pub mod when;
