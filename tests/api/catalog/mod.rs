//! The built-in catalog: import, query forms, summaries, bad queries.

pub mod fixture;
mod garbled;
mod import;
mod query;
mod totals;
