//! Workers: lease a due job, keep its lease alive while it runs, then complete, retry or give it up.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{dispatch, order_of};
use crate::app::AppState;
use crate::jobs::backoff;
use crate::store::LeasedJob;

/// How long a running job may go on after shutdown was asked before it is dropped and its lease released
/// (at most its lease: past that, another worker could take it over anyway).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs jobs under one worker identity.
#[derive(Clone)]
pub struct Runner {
    state: AppState,
    id: String,
}

enum Outcome {
    Finished(anyhow::Result<()>),
    LeaseLost,
    Stopped,
}

impl Runner {
    pub fn new(state: AppState, id: String) -> Runner {
        Runner { state, id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Leases and runs one due job. Returns false when no job was due. `stop` ends a running job early
    /// (its lease is released, the attempt not counted).
    pub async fn run_one(&self, stop: &CancellationToken) -> anyhow::Result<bool> {
        let state = &self.state;
        let lease = state.config.jobs.lease;
        let now = state.clock.now();
        let Some(job) = state
            .store
            .lease_job(&self.id, now, now.plus(lease))
            .await?
        else {
            return Ok(false);
        };
        tracing::debug!(id = job.id, kind = %job.kind, attempt = job.attempts, "job leased");
        let outcome = self.run_leased(&job, lease, stop).await;
        self.settle(&job, outcome).await?;
        Ok(true)
    }

    /// Runs every job due now, one after the other, until none is left (tests call this instead of
    /// waiting for background workers). Returns how many ran.
    pub async fn run_pending(&self) -> anyhow::Result<usize> {
        let never = CancellationToken::new();
        let mut count = 0;
        while self.run_one(&never).await? {
            count += 1;
        }
        Ok(count)
    }

    async fn run_leased(
        &self,
        job: &LeasedJob,
        lease: Duration,
        stop: &CancellationToken,
    ) -> Outcome {
        let work = dispatch(&job.kind, &job.payload, &self.state);
        let heartbeat = self.keep_lease(job.id, lease);
        tokio::select! {
            result = work => Outcome::Finished(result),
            () = heartbeat => Outcome::LeaseLost,
            () = stop.cancelled() => Outcome::Stopped,
        }
    }

    /// Extends the lease every third of its length; returns only when the lease was lost.
    async fn keep_lease(&self, id: i64, lease: Duration) {
        let mut ticker = tokio::time::interval(lease / 3);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let until = self.state.clock.now().plus(lease);
            match self.state.store.extend_lease(id, &self.id, until).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => tracing::warn!(id, %error, "cannot extend a job lease"),
            }
        }
    }

    async fn settle(&self, job: &LeasedJob, outcome: Outcome) -> anyhow::Result<()> {
        let store = &self.state.store;
        let kind = job.kind.clone();
        match outcome {
            Outcome::Finished(Ok(())) => {
                store.complete_job(job.id, &self.id).await?;
                metrics::counter!("jobs_total", "kind" => kind, "outcome" => "succeeded")
                    .increment(1);
            }
            Outcome::Finished(Err(error)) => {
                let message = format!("{error:#}");
                let now = self.state.clock.now();
                let max_attempts = i64::from(self.state.config.jobs.max_attempts);
                if job.attempts >= max_attempts {
                    tracing::error!(id = job.id, kind = %job.kind, attempts = job.attempts, error = %message,
                        "job failed for good");
                    store
                        .fail_job(job.id, &self.id, &message, None, now)
                        .await?;
                    metrics::counter!("jobs_total", "kind" => kind, "outcome" => "failed")
                        .increment(1);
                    if let Some(order_id) = order_of(&job.kind, &job.payload) {
                        crate::orders::lifecycle::fail(&self.state, order_id, &message).await?;
                    }
                } else {
                    let retry_at = now.plus(backoff(job.attempts));
                    tracing::warn!(id = job.id, kind = %job.kind, attempts = job.attempts, error = %message,
                        retry_at = %retry_at, "job failed, will retry");
                    store
                        .fail_job(job.id, &self.id, &message, Some(retry_at), now)
                        .await?;
                    metrics::counter!("jobs_total", "kind" => kind, "outcome" => "retried")
                        .increment(1);
                }
            }
            Outcome::LeaseLost => {
                tracing::warn!(id = job.id, kind = %job.kind, "job lease lost: another worker took it over");
                metrics::counter!("jobs_total", "kind" => kind, "outcome" => "lease_lost")
                    .increment(1);
            }
            Outcome::Stopped => {
                store.release_job(job.id, &self.id).await?;
                tracing::info!(id = job.id, kind = %job.kind, "job released at shutdown");
                metrics::counter!("jobs_total", "kind" => kind, "outcome" => "released")
                    .increment(1);
            }
        }
        Ok(())
    }
}

/// Starts `count` workers. They stop taking jobs when `shutdown` fires; a job still running
/// `SHUTDOWN_GRACE` (or one lease, if shorter) later is dropped and its lease released.
pub fn spawn_workers(state: &AppState, count: usize, shutdown: CancellationToken) -> JoinSet<()> {
    let process = uuid::Uuid::new_v4().simple().to_string();
    let hard_stop = CancellationToken::new();
    let grace = SHUTDOWN_GRACE.min(state.config.jobs.lease);
    {
        let (shutdown, hard_stop) = (shutdown.clone(), hard_stop.clone());
        tokio::spawn(async move {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
            hard_stop.cancel();
        });
    }
    let mut workers = JoinSet::new();
    if count > 0 {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) =
                crate::orders::lifecycle::queue_remind(&state, state.clock.now()).await
            {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot queue the reminder job"
                );
            }
        });
    }
    for n in 0..count {
        let runner = Runner::new(
            state.clone(),
            format!("{}-{}-{n}", std::process::id(), &process[..8]),
        );
        let poll = state.config.jobs.poll_interval;
        let (shutdown, hard_stop) = (shutdown.clone(), hard_stop.clone());
        workers.spawn(async move {
            while !shutdown.is_cancelled() {
                let ran = match runner.run_one(&hard_stop).await {
                    Ok(ran) => ran,
                    Err(error) => {
                        tracing::warn!(
                            worker = runner.id(),
                            error = format!("{error:#}"),
                            "job worker error"
                        );
                        false
                    }
                };
                if !ran {
                    tokio::select! {
                        () = tokio::time::sleep(poll) => {}
                        () = shutdown.cancelled() => {}
                    }
                }
            }
        });
    }
    workers
}
