//! The built-in catalog: STAC import, and the queries the basket and orders run on it.

pub mod assets;
pub mod generate;
pub mod harvest;
pub mod ids;
pub mod import;
mod progress;
mod report;
pub mod search;
pub mod sources;
pub mod stac;
