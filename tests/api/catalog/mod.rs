//! The built-in catalog: import, query forms, summaries, bad queries.

mod budget;
pub mod fixture;
mod garbled;
mod import;
mod query;
mod resources;
mod totals;
