//! The built-in catalog: import (files, HTTP bodies, STAC API harvests), query forms, summaries, bad
//! queries.

mod budget;
pub mod fixture;
mod garbled;
mod harvest;
mod import;
mod query;
mod quicklook;
mod resources;
mod totals;
