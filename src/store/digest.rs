//! The mail digest's tables (docs/decisions.md "Mail digest"): news of files ready, waiting for their
//! owner's next mail, and when each owner was last sent one.

use sqlx::AnyConnection;

use super::StoreError;
use crate::time::Timestamp;

/// Notes that `files` files of an order became ready.
pub async fn add_news(
    conn: &mut AnyConnection,
    owner: &str,
    order_id: i64,
    files: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ready_news (owner, order_id, files, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(owner)
    .bind(order_id)
    .bind(files)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes (removes and returns) the owner's news as (order, files): one statement, so that two processes
/// never both take the same news.
pub async fn take_news(
    conn: &mut AnyConnection,
    owner: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("DELETE FROM ready_news WHERE owner = $1 RETURNING order_id, files")
            .bind(owner)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// When the owner was last sent a digest.
pub async fn last_sent(
    conn: &mut AnyConnection,
    owner: &str,
) -> Result<Option<Timestamp>, StoreError> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT last_sent FROM mail_digests WHERE owner = $1")
            .bind(owner)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(last.map(Timestamp))
}

pub async fn set_last_sent(
    conn: &mut AnyConnection,
    owner: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mail_digests (owner, last_sent) VALUES ($1, $2)
         ON CONFLICT (owner) DO UPDATE SET last_sent = excluded.last_sent",
    )
    .bind(owner)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
