//! Durable jobs. A job is a typed struct with a `KIND`, stored as a row in the transaction that causes it,
//! leased by a worker, run idempotently, deleted when done. A worker that dies loses its lease when it runs
//! out and another worker takes the job over; failures retry with backoff and keep their last error.
//! Each job lives with the service that owns it (`orders::jobs`, `orders::mails`) and is registered once,
//! in `workers::registry`; the workers are in `workers`.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::store::{NewJob, StoreError, Tx, enqueue};
use crate::time::Timestamp;

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

/// The row for `job`, due at `run_at`.
pub fn new_job<J: Job>(job: &J, run_at: Timestamp) -> NewJob {
    NewJob {
        kind: J::KIND.to_owned(),
        payload: serde_json::to_string(job).expect("job payloads serialize to JSON"),
        run_at,
        unique_key: None,
    }
}

/// Queues a job in the caller's transaction, due now: it runs only if that transaction commits.
pub async fn queue<J: Job>(tx: &mut Tx, job: &J, now: Timestamp) -> Result<(), StoreError> {
    enqueue(tx, &new_job(job, now), now).await
}

/// Queues a job unless one with the same `key` waits already.
pub async fn queue_unique<J: Job>(
    tx: &mut Tx,
    job: &J,
    key: String,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut row = new_job(job, run_at);
    row.unique_key = Some(key);
    enqueue(tx, &row, now).await
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
