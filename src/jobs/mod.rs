//! Durable jobs. A job is a typed struct with a `KIND`, stored as a row in the transaction that causes it,
//! leased by a worker, run idempotently, deleted when done. A worker that dies loses its lease when it runs
//! out and another worker takes the job over; failures retry with backoff and keep their last error.
//! Every job kind is registered in `dispatch` below.

pub mod expand;
pub mod expire;
pub mod mail;
pub mod purge;
pub mod remind;
pub mod schedule;
pub mod stage;
mod worker;

use std::future::Future;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::store::NewJob;
use crate::time::Timestamp;

pub use worker::{Runner, spawn_workers};

/// A kind of background work.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stored in the `kind` column; never rename one that may be queued.
    const KIND: &'static str;

    /// Does the work. May run more than once (after a crash, or a retry): it must be idempotent.
    fn run(self, state: &AppState) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// The order this job works for: when the job runs out of attempts, that order FAILS with its error.
    fn order_id(&self) -> Option<i64> {
        None
    }
}

/// Every registered kind, for the metrics.
pub const KINDS: &[&str] = &[
    mail::SendMail::KIND,
    expand::ExpandOrder::KIND,
    stage::StageSubOrder::KIND,
    schedule::ScheduleUser::KIND,
    expire::ExpireOrder::KIND,
    purge::PurgeOrder::KIND,
    remind::Remind::KIND,
];

/// The row for `job`, due at `run_at`.
pub fn new_job<J: Job>(job: &J, run_at: Timestamp) -> NewJob {
    NewJob {
        kind: J::KIND.to_owned(),
        payload: serde_json::to_string(job).expect("job payloads serialize to JSON"),
        run_at,
        unique_key: None,
    }
}

async fn run_as<J: Job>(payload: &str, state: &AppState) -> anyhow::Result<()> {
    let job: J = serde_json::from_str(payload)
        .with_context(|| format!("cannot read the payload of a {} job", J::KIND))?;
    job.run(state).await
}

/// Runs a leased job by its kind.
async fn dispatch(kind: &str, payload: &str, state: &AppState) -> anyhow::Result<()> {
    match kind {
        mail::SendMail::KIND => run_as::<mail::SendMail>(payload, state).await,
        expand::ExpandOrder::KIND => run_as::<expand::ExpandOrder>(payload, state).await,
        stage::StageSubOrder::KIND => run_as::<stage::StageSubOrder>(payload, state).await,
        schedule::ScheduleUser::KIND => run_as::<schedule::ScheduleUser>(payload, state).await,
        expire::ExpireOrder::KIND => run_as::<expire::ExpireOrder>(payload, state).await,
        purge::PurgeOrder::KIND => run_as::<purge::PurgeOrder>(payload, state).await,
        remind::Remind::KIND => run_as::<remind::Remind>(payload, state).await,
        other => anyhow::bail!("unknown job kind {other:?}"),
    }
}

fn order_as<J: Job>(payload: &str) -> Option<i64> {
    serde_json::from_str::<J>(payload).ok()?.order_id()
}

/// The order a job works for, if any.
pub(crate) fn order_of(kind: &str, payload: &str) -> Option<i64> {
    match kind {
        expand::ExpandOrder::KIND => order_as::<expand::ExpandOrder>(payload),
        _ => None,
    }
}

/// Delay before the next attempt: 1 s, 2 s, 4 s ... capped at 10 minutes.
pub fn backoff(attempts: i64) -> std::time::Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    std::time::Duration::from_secs((1u64 << exponent).min(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        let secs: Vec<u64> = (1..=12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    }
}
