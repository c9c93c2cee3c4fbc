//! The end of an order: once every file is available or in error, DONE, DONE_WITH_WARNING or FAILED by
//! the rule of docs/decisions.md ("End state"), with the reason in `message`.

use crate::domain::order::OrderStatus;
use crate::store::orders::{self as rows};
use crate::store::{Conn, StoreError};
use crate::time::Timestamp;

/// Ends a RUNNING, expanded order whose files are all treated; returns the status it ended in. A DONE
/// order whose download later failed for some file becomes DONE_WITH_WARNING.
pub async fn settle(
    conn: &mut Conn,
    order_id: i64,
    now: Timestamp,
) -> Result<Option<OrderStatus>, StoreError> {
    let Some(order) = rows::order_in(conn, order_id).await? else {
        return Ok(None);
    };
    let progress = order.progress();
    let Some(end) = progress.end_state() else {
        return Ok(None);
    };
    let settles = match order.status() {
        OrderStatus::Running => order.expanded != 0,
        OrderStatus::Done => end == OrderStatus::DoneWithWarning,
        _ => false,
    };
    if !settles {
        return Ok(None);
    }
    let message = match end {
        OrderStatus::Failed => Some("No file of this order could be made available".to_owned()),
        OrderStatus::DoneWithWarning => Some(format!(
            "{} of {} files could not be made available, {} could not be downloaded",
            progress.error_files, progress.total_files, progress.download_error_files
        )),
        _ => None,
    };
    rows::set_status(conn, order_id, end, message.as_deref(), now).await?;
    tracing::info!(order_id, status = end.as_str(), "order finished");
    Ok(Some(end))
}
