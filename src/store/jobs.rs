//! The jobs table: enqueue (inside the caller's transaction), lease, complete, fail, release.

use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};

use super::{Database, StoreError};
use crate::time::Timestamp;

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    /// JSON.
    pub payload: String,
    pub run_at: Timestamp,
    /// While a job with this key is queued, another with the same key is not added.
    pub unique_key: Option<String>,
}

/// A job a worker holds until `lease_until`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Jobs of one kind by state, for the metrics.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobCount {
    pub kind: String,
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
    /// Age of the oldest due job not yet taken, in milliseconds (0 when none).
    pub oldest_due_ms: i64,
}

/// Adds a job in the caller's transaction: it exists only if that transaction commits.
pub async fn enqueue(
    conn: &mut AnyConnection,
    job: &NewJob,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO jobs (kind, payload, unique_key, run_at, attempts, created_at)
         VALUES ($1, $2, $3, $4, 0, $5)
         ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.unique_key)
    .bind(job.run_at.millis())
    .bind(now.millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a job with a unique key, or moves the queued job of that key to the new job's date (a job being
/// run has no key any more: it is left alone).
pub async fn enqueue_or_move(
    conn: &mut AnyConnection,
    job: &NewJob,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO jobs (kind, payload, unique_key, run_at, attempts, created_at)
         VALUES ($1, $2, $3, $4, 0, $5)
         ON CONFLICT (unique_key) DO UPDATE SET run_at = excluded.run_at",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.unique_key)
    .bind(job.run_at.millis())
    .bind(now.millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Leases the next due job (queued, or whose lease ran out); `lock` is the backend's row-lock clause.
pub(super) async fn lease_job_with(
    pool: &AnyPool,
    lock: &str,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Option<LeasedJob>, StoreError> {
    let sql = format!(
        "UPDATE jobs SET lease_until = $1, leased_by = $2, attempts = attempts + 1, unique_key = NULL
         WHERE id = (SELECT id FROM jobs
                     WHERE failed_at IS NULL AND run_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                     ORDER BY run_at, id LIMIT 1 {lock})
         RETURNING id, kind, payload, attempts"
    );
    let job = sqlx::query_as::<_, LeasedJob>(AssertSqlSafe(sql))
        .bind(lease_until.millis())
        .bind(worker)
        .bind(now.millis())
        .fetch_optional(pool)
        .await?;
    Ok(job)
}

#[async_trait]
pub trait JobStore: Database {
    /// Adds a job in a transaction of its own.
    async fn enqueue_job(&self, job: &NewJob, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        enqueue(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the next due job for `worker` until `lease_until`.
    async fn lease_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<LeasedJob>, StoreError>;

    /// Keeps a running job's lease; false when the lease was lost (another worker took the job over).
    async fn extend_lease(
        &self,
        id: i64,
        worker: &str,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND leased_by = $3")
            .bind(until.millis())
            .bind(id)
            .bind(worker)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The job succeeded: it goes.
    async fn complete_job(&self, id: i64, worker: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = $1 AND leased_by = $2")
            .bind(id)
            .bind(worker)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The job failed: it runs again at `retry_at`, or, with `None`, stays as failed for good.
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let failed_at = retry_at.is_none().then_some(now.millis());
        let run_at = retry_at.unwrap_or(now);
        sqlx::query(
            "UPDATE jobs SET lease_until = NULL, leased_by = NULL, last_error = $1, run_at = $2, failed_at = $3
             WHERE id = $4 AND leased_by = $5",
        )
        .bind(error)
        .bind(run_at.millis())
        .bind(failed_at)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Gives a job back without counting the attempt (the worker is stopping).
    async fn release_job(&self, id: i64, worker: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET lease_until = NULL, leased_by = NULL, attempts = attempts - 1
             WHERE id = $1 AND leased_by = $2",
        )
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Gives back every job a worker holds (used when a process stops).
    async fn release_jobs_of(&self, worker: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = NULL, leased_by = NULL, attempts = attempts - 1 WHERE leased_by = $1",
        )
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    async fn job_counts(&self, now: Timestamp) -> Result<Vec<JobCount>, StoreError> {
        let counts = sqlx::query_as::<_, JobCount>(
            "SELECT kind,
                    CAST(COALESCE(SUM(CASE WHEN failed_at IS NULL AND (lease_until IS NULL OR lease_until < $1)
                                           THEN 1 ELSE 0 END), 0) AS BIGINT) AS queued,
                    CAST(COALESCE(SUM(CASE WHEN failed_at IS NULL AND lease_until >= $1
                                           THEN 1 ELSE 0 END), 0) AS BIGINT) AS running,
                    CAST(COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed,
                    CAST(COALESCE(MAX(CASE WHEN failed_at IS NULL AND run_at <= $1
                                                AND (lease_until IS NULL OR lease_until < $1)
                                           THEN $1 - run_at ELSE 0 END), 0) AS BIGINT) AS oldest_due_ms
             FROM jobs GROUP BY kind ORDER BY kind",
        )
        .bind(now.millis())
        .fetch_all(self.pool())
        .await?;
        Ok(counts)
    }
}
