//! An order's expiration date grows with its size (docs/decisions.md "Expiration that grows"): the
//! anchor plus `expiration` plus n times `expiration_per_suborder`, n its internal (non-external)
//! sub-orders, at most the anchor plus `expiration_max`. The anchor is the creation, or the retry that
//! made new sub-orders. The expiry job (one queued per order, under its key) moves with the date.

use std::time::Duration;

use super::jobs::ExpireOrder;
use crate::config::OrdersConfig;
use crate::store::{StoreError, Tx, enqueue_or_move};
use crate::time::Timestamp;

/// The date of the rule; `None` for an order that never expires.
pub fn expiration_date(
    config: &OrdersConfig,
    anchor: Timestamp,
    sub_orders: i64,
) -> Option<Timestamp> {
    let base = config.expiration?;
    let growth = config
        .expiration_per_suborder
        .saturating_mul(u32::try_from(sub_orders.max(0)).unwrap_or(u32::MAX));
    // The cap bounds the growth: it never makes an order shorter than `expiration` alone.
    let most = config.expiration_max.max(base);
    Some(anchor.plus(base.saturating_add(growth).min(most)))
}

/// The expiry job of an order, due at `date`, under the order's key.
pub fn expiry_job(order_id: i64, date: Timestamp) -> crate::store::NewJob {
    let mut job = crate::jobs::new_job(&ExpireOrder { order_id }, date);
    job.unique_key = Some(format!("expire:{order_id}"));
    job
}

/// Sets the order's date by the rule and moves its expiry job there; nothing when the rule is off
/// (`expiration_per_suborder` 0) or the order never expires.
pub async fn grow(
    tx: &mut Tx,
    config: &OrdersConfig,
    (order_id, anchor, sub_orders): (i64, Timestamp, i64),
    now: Timestamp,
) -> Result<(), StoreError> {
    if config.expiration_per_suborder == Duration::ZERO {
        return Ok(());
    }
    let Some(date) = expiration_date(config, anchor, sub_orders) else {
        return Ok(());
    };
    crate::store::orders::set_expiration(tx, order_id, date).await?;
    enqueue_or_move(tx, &expiry_job(order_id, date), now).await?;
    tracing::info!(order_id, sub_orders, expiration = %date.to_iso(), "order expiration set by its size");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per: u64, max: u64) -> OrdersConfig {
        let mut config = crate::config::Config::with_data_dir(std::path::Path::new("/nonexistent"))
            .unwrap()
            .orders;
        config.expiration = Some(Duration::from_secs(3 * 86_400));
        config.expiration_per_suborder = Duration::from_secs(per);
        config.expiration_max = Duration::from_secs(max);
        config
    }

    #[test]
    fn grows_per_sub_order_up_to_the_cap() {
        let day = 86_400;
        let anchor = Timestamp(1_000);
        let at = |per, max, n| {
            expiration_date(&config(per, max), anchor, n)
                .unwrap()
                .millis()
                - 1_000
        };
        assert_eq!(
            at(0, 7 * day, 50),
            3 * day as i64 * 1000,
            "0s: the fixed rule"
        );
        assert_eq!(at(day, 7 * day, 2), 5 * day as i64 * 1000);
        assert_eq!(at(day, 7 * day, 1000), 7 * day as i64 * 1000, "capped");
        assert_eq!(
            at(day, day, 5),
            3 * day as i64 * 1000,
            "a cap below the base keeps the base"
        );
        let mut never = config(day, 7 * day);
        never.expiration = None;
        assert_eq!(expiration_date(&never, anchor, 3), None);
    }
}
