//! regards-order: a REGARDS-compatible basket and order service for science-data archives.
//! See `docs/ARCHITECTURE.md` for the map.

#![forbid(unsafe_code)]

pub mod access;
pub mod app;
pub mod auth;
pub mod basket;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod download;
pub mod error;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod orders;
pub mod outbound;
pub mod quotas;
pub mod server;
pub mod storage;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod workers;
