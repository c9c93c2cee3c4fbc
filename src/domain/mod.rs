//! The pure part of the service: no I/O here, only data and rules.

pub mod access;
pub mod counts;
pub mod files;
pub mod filters;
pub mod order;
pub mod query;
pub mod ranges;
pub mod search;
pub mod selection;
pub mod upload;
