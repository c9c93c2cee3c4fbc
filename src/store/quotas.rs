//! The download quotas' tables (docs/decisions.md "Download quotas"): users' own limits, the RAWDATA
//! files delivered whole, the ranges delivered towards a whole file, and the downloads running now. The
//! callers hold the owner's lock ([`super::suborders::lock_key`]) around every read-then-write.

use sqlx::AnyConnection;

use super::StoreError;
use crate::time::Timestamp;

/// The limits an admin set for `owner`: `(max_quota, rate_limit)`.
pub async fn limits(
    conn: &mut AnyConnection,
    owner: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT max_quota, rate_limit FROM user_quotas WHERE owner = $1")
            .bind(owner)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn set_limits(
    conn: &mut AnyConnection,
    owner: &str,
    (max_quota, rate_limit): (i64, i64),
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO user_quotas (owner, max_quota, rate_limit) VALUES ($1, $2, $3)
         ON CONFLICT (owner) DO UPDATE SET max_quota = excluded.max_quota,
             rate_limit = excluded.rate_limit",
    )
    .bind(owner)
    .bind(max_quota)
    .bind(rate_limit)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the owner's running downloads whose lease ended (their process died) and, with a window,
/// the downloads delivered before `since`.
pub async fn purge(
    conn: &mut AnyConnection,
    owner: &str,
    now: Timestamp,
    since: Option<Timestamp>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM running_downloads WHERE owner = $1 AND lease_until < $2")
        .bind(owner)
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
    if let Some(since) = since {
        sqlx::query("DELETE FROM quota_uses WHERE owner = $1 AND used_at < $2")
            .bind(owner)
            .bind(since.millis())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// RAWDATA files the owner was delivered whole since `since` (ever without it).
pub async fn used(
    conn: &mut AnyConnection,
    owner: &str,
    since: Option<Timestamp>,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM quota_uses WHERE owner = $1 AND used_at >= $2")
            .bind(owner)
            .bind(since.map_or(i64::MIN, Timestamp::millis))
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// When the owner's oldest delivery since `since` was made.
pub async fn oldest_use(
    conn: &mut AnyConnection,
    owner: &str,
    since: Option<Timestamp>,
) -> Result<Option<Timestamp>, StoreError> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(used_at) FROM quota_uses WHERE owner = $1 AND used_at >= $2",
    )
    .bind(owner)
    .bind(since.map_or(i64::MIN, Timestamp::millis))
    .fetch_one(&mut *conn)
    .await?;
    Ok(oldest.map(Timestamp))
}

/// Whether `file_id` was delivered whole to the owner since `since`.
pub async fn delivered_since(
    conn: &mut AnyConnection,
    owner: &str,
    file_id: i64,
    since: Timestamp,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM quota_uses WHERE owner = $1 AND file_id = $2 AND used_at >= $3 LIMIT 1",
    )
    .bind(owner)
    .bind(file_id)
    .bind(since.millis())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// One running download: a single file (`file_id`) or a zip (`None`), and the RAWDATA files it may
/// deliver (reserved against the quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct RunningRow {
    pub id: i64,
    pub file_id: Option<i64>,
    pub reserved: i64,
}

/// The owner's running downloads whose lease has not ended.
pub async fn running(
    conn: &mut AnyConnection,
    owner: &str,
    now: Timestamp,
) -> Result<Vec<RunningRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, file_id, reserved FROM running_downloads WHERE owner = $1 AND lease_until >= $2",
    )
    .bind(owner)
    .bind(now.millis())
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn add_running(
    conn: &mut AnyConnection,
    owner: &str,
    file_id: Option<i64>,
    reserved: i64,
    lease_until: Timestamp,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO running_downloads (owner, file_id, reserved, lease_until) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(owner)
    .bind(file_id)
    .bind(reserved)
    .bind(lease_until.millis())
    .fetch_one(&mut *conn)
    .await?)
}

/// One more RAWDATA file reserved by a running download.
pub async fn reserve_one(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE running_downloads SET reserved = reserved + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn renew(
    conn: &mut AnyConnection,
    id: i64,
    lease_until: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE running_downloads SET lease_until = $1 WHERE id = $2")
        .bind(lease_until.millis())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn end_running(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM running_downloads WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts one delivery of each file.
pub async fn add_uses(
    conn: &mut AnyConnection,
    owner: &str,
    file_ids: &[i64],
    now: Timestamp,
) -> Result<(), StoreError> {
    for file_id in file_ids {
        sqlx::query("INSERT INTO quota_uses (owner, file_id, used_at) VALUES ($1, $2, $3)")
            .bind(owner)
            .bind(file_id)
            .bind(now.millis())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The ranges of a file delivered to the owner since it was last delivered whole (`parse_sent` form).
pub async fn coverage(
    conn: &mut AnyConnection,
    owner: &str,
    file_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT ranges FROM quota_coverage WHERE owner = $1 AND file_id = $2")
            .bind(owner)
            .bind(file_id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Sets the ranges delivered (`None`: the file was delivered whole; its ranges start again).
pub async fn set_coverage(
    conn: &mut AnyConnection,
    owner: &str,
    file_id: i64,
    ranges: Option<&str>,
) -> Result<(), StoreError> {
    let Some(ranges) = ranges else {
        sqlx::query("DELETE FROM quota_coverage WHERE owner = $1 AND file_id = $2")
            .bind(owner)
            .bind(file_id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO quota_coverage (owner, file_id, ranges) VALUES ($1, $2, $3)
         ON CONFLICT (owner, file_id) DO UPDATE SET ranges = excluded.ranges",
    )
    .bind(owner)
    .bind(file_id)
    .bind(ranges)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
