//! A running download's slot: a leased row, renewed while the download runs, given back when it ends —
//! with what it delivered whole counted, in the same transaction — or when it is dropped (nothing
//! counted: a download cut short does not count).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{LEASE, Limits, lock_key, reserved, window_start};
use crate::app::AppState;
use crate::domain::ranges::{ByteRange, covers, format_sent, merge, parse_sent};
use crate::store::quotas as rows;
use crate::store::{StoreError, Tx, commit};

/// Shared by the parts of one download (a zip's writer and its body); the row goes when the last part
/// lets go of it, unless the download ended first.
#[derive(Clone)]
pub struct Slot(Arc<Held>);

struct Held {
    state: AppState,
    id: i64,
    owner: String,
    limits: Limits,
    ended: AtomicBool,
    renewing: tokio::task::AbortHandle,
}

impl Slot {
    pub(super) fn new(state: &AppState, id: i64, owner: &str, limits: Limits) -> Slot {
        let renewing = {
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE / 3).await;
                    if let Err(error) = renew(&state, id).await {
                        tracing::warn!(id, %error, "cannot renew a download's slot");
                    }
                }
            })
            .abort_handle()
        };
        Slot(Arc::new(Held {
            state: state.clone(),
            id,
            owner: owner.to_owned(),
            limits,
            ended: AtomicBool::new(false),
            renewing,
        }))
    }

    pub fn owner(&self) -> &str {
        &self.0.owner
    }

    /// Whether the owner has a quota (zips reserve their RAWDATA files one by one only then).
    pub fn limited(&self) -> bool {
        self.0.limits.max_quota >= 0
    }

    /// Reserves one more RAWDATA file for a zip: false when the owner's quota is reached.
    pub async fn reserve(&self) -> Result<bool, StoreError> {
        if !self.limited() {
            return Ok(true);
        }
        let state = &self.0.state;
        let mut tx = self.locked().await?;
        let now = state.clock.now();
        let since = window_start(state, now);
        let used = rows::used(&mut tx, &self.0.owner, since).await?;
        let running = rows::running(&mut tx, &self.0.owner, now).await?;
        if used + reserved(&running) >= self.0.limits.max_quota {
            return Ok(false);
        }
        rows::reserve_one(&mut tx, self.0.id).await?;
        commit(tx).await?;
        Ok(true)
    }

    /// A single-file download ended having delivered `range` of a `size`-byte file: when the file counts
    /// and the ranges delivered to the owner since its last whole delivery now cover it, one more
    /// delivery counts. Gives the slot back. Returns whether a delivery was counted.
    pub async fn received(
        &self,
        file_id: i64,
        counts: bool,
        range: ByteRange,
        size: u64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.locked().await?;
        let owner = &self.0.owner;
        let mut whole = false;
        if counts {
            let before = rows::coverage(&mut tx, owner, file_id).await?;
            let merged = merge(&parse_sent(before.as_deref().unwrap_or("")), range);
            whole = covers(&merged, size);
            let kept = (!whole).then(|| format_sent(&merged));
            rows::set_coverage(&mut tx, owner, file_id, kept.as_deref()).await?;
            if whole {
                let now = self.0.state.clock.now();
                rows::add_uses(&mut tx, owner, &[file_id], now).await?;
            }
        }
        self.end_in(tx).await?;
        Ok(whole)
    }

    /// A zip was delivered whole: each of `file_ids` (its RAWDATA files) counts once. Gives the slot back.
    pub async fn delivered(&self, file_ids: &[i64]) -> Result<(), StoreError> {
        let mut tx = self.locked().await?;
        let now = self.0.state.clock.now();
        rows::add_uses(&mut tx, &self.0.owner, file_ids, now).await?;
        self.end_in(tx).await
    }

    async fn locked(&self) -> Result<Tx, StoreError> {
        let store = &self.0.state.store;
        let mut tx = store.begin_write().await?;
        crate::store::suborders::lock_key(&mut tx, store.backend(), &lock_key(&self.0.owner))
            .await?;
        Ok(tx)
    }

    async fn end_in(&self, mut tx: Tx) -> Result<(), StoreError> {
        rows::end_running(&mut tx, self.0.id).await?;
        commit(tx).await?;
        self.0.ended.store(true, Ordering::Release);
        self.0.renewing.abort();
        Ok(())
    }
}

async fn renew(state: &AppState, id: i64) -> Result<(), StoreError> {
    let mut conn = state.store.pool().acquire().await?;
    rows::renew(&mut conn, id, state.clock.now().plus(LEASE)).await
}

impl Drop for Held {
    /// Let go of without ending (cut short, refused, failed): the slot is given back, nothing counted.
    fn drop(&mut self) {
        self.renewing.abort();
        if self.ended.load(Ordering::Acquire) {
            return;
        }
        let (state, id) = (self.state.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let ended = async {
                    let mut conn = state.store.pool().acquire().await?;
                    rows::end_running(&mut conn, id).await
                };
                if let Err(error) = ended.await {
                    tracing::warn!(id, %error, "cannot give back a download's slot");
                }
            });
        }
    }
}
