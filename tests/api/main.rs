//! Integration tests: the real router on port 0 against a fresh database per test. The backend is SQLite
//! unless `TEST_DATABASE_URL` names a PostgreSQL server, in which case every test gets a fresh database
//! there; CI runs the suite once each way.

mod helpers;

mod access;
mod auth;
pub mod basket;
pub mod catalog;
mod certificates;
mod conventions;
mod digest;
pub mod downloads;
mod hostile;
pub mod identity;
mod jobs;
mod mail_tls;
mod mails;
mod migrations;
mod operations;
pub mod orders;
mod process;
mod snapshot;
mod storage_s3;
mod web;
