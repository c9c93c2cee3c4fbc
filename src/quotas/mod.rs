//! Download quotas with REGARDS' semantics (docs/decisions.md "Download quotas"): per user, `maxQuota`
//! RAWDATA files delivered whole (over an optional rolling window) and `rateLimit` downloads at the same
//! time; -1 is no limit. Everything is counted in the database under the owner's lock, so that several
//! processes sharing one PostgreSQL enforce one limit: a download takes a leased slot before its first
//! byte ([`start`]), reserving the RAWDATA files it may deliver, and gives it back when it ends, counting
//! what it delivered whole ([`Slot`]).

mod slot;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::store::quotas as rows;
use crate::store::quotas::RunningRow;
use crate::store::{Conn, StoreError};
use crate::time::Timestamp;
pub use slot::Slot;

/// How long a running download holds its slot without its process renewing it (a process that died
/// frees its users' slots after this).
pub const LEASE: Duration = Duration::from_secs(60);

/// How long after a file was delivered whole a request for it continues that download.
pub const CONTINUATION: Duration = Duration::from_secs(60);

/// Seconds a client over its rate limit is told to wait.
pub const RATE_RETRY_AFTER: u64 = 10;

/// A user's limits (-1: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// RAWDATA files the user may download whole (in the window, when one is configured).
    pub max_quota: i64,
    /// Downloads the user may run at the same time.
    pub rate_limit: i64,
}

/// A user's limits and how much of them is used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub max_quota: i64,
    pub rate_limit: i64,
    /// RAWDATA files delivered whole (in the window).
    pub current_quota: i64,
    /// Downloads running now (a zip is one; the ranges of one file at the same time are one).
    pub current_rate: i64,
}

/// What a download delivers: one file of an order (counting toward the quota or not), or a zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    File { id: i64, counts: bool },
    Zip,
}

#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error(
        "Download quota exceeded: {owner} may download {max} RAWDATA files{window} and has used them all. \
         An administrator can raise the quota"
    )]
    Quota {
        owner: String,
        max: i64,
        window: String,
        /// With a window: seconds until the oldest download counted leaves it.
        retry_after: Option<u64>,
    },
    #[error(
        "Too many downloads at the same time: {owner} may run {limit} at once. Try again when one has ended"
    )]
    Rate { owner: String, limit: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a file counts toward its owner's quota: a RAWDATA file the archive stores (external files
/// never count).
pub fn counts(data_type: &str, storage: Option<&str>) -> bool {
    data_type == "RAWDATA" && storage.is_some()
}

/// The lock serialising the quota changes of one owner, across processes.
fn lock_key(owner: &str) -> String {
    format!("quota:{owner}")
}

/// The owner's limits: those an admin set, else the configured defaults.
async fn limits_in(state: &AppState, conn: &mut Conn, owner: &str) -> Result<Limits, StoreError> {
    let defaults = &state.config.quotas;
    Ok(match rows::limits(conn, owner).await? {
        Some((max_quota, rate_limit)) => Limits {
            max_quota,
            rate_limit,
        },
        None => Limits {
            max_quota: defaults.max_quota,
            rate_limit: defaults.rate_limit,
        },
    })
}

/// Where the window starts now (`None`: downloads count for ever).
fn window_start(state: &AppState, now: Timestamp) -> Option<Timestamp> {
    let window = state.config.quotas.window?;
    Some(Timestamp(
        now.millis().saturating_sub(window.as_millis() as i64),
    ))
}

/// Downloads running: the distinct files of single-file downloads, and each zip.
fn current_rate(running: &[RunningRow]) -> i64 {
    let files: std::collections::HashSet<i64> = running.iter().filter_map(|r| r.file_id).collect();
    files.len() as i64 + running.iter().filter(|r| r.file_id.is_none()).count() as i64
}

/// RAWDATA files running downloads may still deliver: one per file being downloaded, and what zips
/// reserved.
fn reserved(running: &[RunningRow]) -> i64 {
    let files: std::collections::HashSet<i64> = running
        .iter()
        .filter(|r| r.reserved > 0)
        .filter_map(|r| r.file_id)
        .collect();
    let zips: i64 = running
        .iter()
        .filter(|r| r.file_id.is_none())
        .map(|r| r.reserved)
        .sum();
    files.len() as i64 + zips
}

pub async fn usage(state: &AppState, owner: &str) -> Result<Usage, StoreError> {
    let mut conn = state.store.pool().acquire().await?;
    let limits = limits_in(state, &mut conn, owner).await?;
    let now = state.clock.now();
    let used = rows::used(&mut conn, owner, window_start(state, now)).await?;
    let running = rows::running(&mut conn, owner, now).await?;
    Ok(Usage {
        max_quota: limits.max_quota,
        rate_limit: limits.rate_limit,
        current_quota: used,
        current_rate: current_rate(&running),
    })
}

pub async fn set_limits(
    state: &AppState,
    owner: &str,
    limits: Limits,
) -> Result<Usage, StoreError> {
    let mut tx = state.store.begin_write().await?;
    rows::set_limits(&mut tx, owner, (limits.max_quota, limits.rate_limit)).await?;
    crate::store::commit(tx).await?;
    usage(state, owner).await
}

/// Takes a slot for a download of `owner`'s files, or refuses it: over the rate limit (unless the same
/// file is being downloaded already: the ranges of a split download are one download), or, for a file
/// counting toward the quota, when what was delivered and what running downloads may deliver reach it.
///
/// Taken in a task of its own: a client leaving cancels its request, and a request cancelled while its
/// transaction commits would leave a slot taken with nobody to give it back (until its lease ends).
/// In the task, the slot is created whatever happens to the request, and given back when dropped.
pub async fn start(state: &AppState, owner: &str, download: Download) -> Result<Slot, QuotaError> {
    let (state, owner) = (state.clone(), owner.to_owned());
    tokio::spawn(async move { take(&state, &owner, download).await })
        .await
        .map_err(|error| StoreError::Worker(format!("taking a download slot failed: {error}")))?
}

async fn take(state: &AppState, owner: &str, download: Download) -> Result<Slot, QuotaError> {
    let mut tx = state.store.begin_write().await?;
    let backend = state.store.backend();
    crate::store::suborders::lock_key(&mut tx, backend, &lock_key(owner)).await?;
    let now = state.clock.now();
    let since = window_start(state, now);
    rows::purge(&mut tx, owner, now, since).await?;
    let limits = limits_in(state, &mut tx, owner).await?;
    let running = rows::running(&mut tx, owner, now).await?;
    let (file_id, counting) = match download {
        Download::File { id, counts } => (Some(id), counts),
        Download::Zip => (None, false),
    };
    let joins = match file_id {
        Some(id) => {
            running.iter().any(|r| r.file_id == file_id)
                || just_delivered(&mut tx, owner, id, now).await?
        }
        None => false,
    };
    if !joins && limits.rate_limit >= 0 && current_rate(&running) >= limits.rate_limit {
        return Err(QuotaError::Rate {
            owner: owner.to_owned(),
            limit: limits.rate_limit,
        });
    }
    if !joins && counting && limits.max_quota >= 0 {
        let used = rows::used(&mut tx, owner, since).await?;
        if used + reserved(&running) >= limits.max_quota {
            let oldest = rows::oldest_use(&mut tx, owner, since).await?;
            return Err(over_quota(state, owner, limits.max_quota, (oldest, now)));
        }
    }
    let lease_until = now.plus(LEASE);
    let id = rows::add_running(&mut tx, owner, file_id, counting as i64, lease_until).await?;
    crate::store::commit(tx).await?;
    Ok(Slot::new(state, id, owner, limits))
}

/// Whether the file was delivered whole to the owner within the last [`CONTINUATION`]: a request for it
/// then continues that download. What a cut connection delivered is what the server wrote to the
/// socket, which may be ahead of what the client read, so a download manager may still ask for the
/// last pieces of a file the service already counts as delivered (docs/decisions.md "Download quotas").
async fn just_delivered(
    tx: &mut crate::store::Tx,
    owner: &str,
    file_id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let since = Timestamp(now.millis() - CONTINUATION.as_millis() as i64);
    rows::delivered_since(tx, owner, file_id, since).await
}

/// The refusal; with a window, when asking again may help: once the oldest download counted (`oldest`,
/// if any is still in the window) leaves it.
fn over_quota(
    state: &AppState,
    owner: &str,
    max: i64,
    (oldest, now): (Option<Timestamp>, Timestamp),
) -> QuotaError {
    let window = state.config.quotas.window;
    let retry_after = window.zip(oldest).map(|(window, oldest)| {
        let leaves = oldest.plus(window).millis() - now.millis();
        (leaves.max(0) as u64).div_ceil(1000).max(1)
    });
    QuotaError::Quota {
        owner: owner.to_owned(),
        max,
        window: window.map_or(String::new(), |w| format!(" in {}", window_words(w))),
        retry_after,
    }
}

/// `"the last 30 days"`, `"the last 12 hours"`, `"the last 90 seconds"`.
fn window_words(window: Duration) -> String {
    let seconds = window.as_secs();
    let (count, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("the last {count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, file_id: Option<i64>, reserved: i64) -> RunningRow {
        RunningRow {
            id,
            file_id,
            reserved,
        }
    }

    #[test]
    fn the_ranges_of_one_file_are_one_download_and_a_zip_reserves_what_it_said() {
        let running = [
            row(1, Some(7), 1),
            row(2, Some(7), 1),
            row(3, Some(8), 0),
            row(4, None, 5),
            row(5, None, 0),
        ];
        assert_eq!(current_rate(&running), 4);
        assert_eq!(reserved(&running), 6);
        assert_eq!(current_rate(&[]), 0);
    }

    #[test]
    fn windows_are_said_in_words() {
        assert_eq!(
            window_words(Duration::from_secs(30 * 86_400)),
            "the last 30 days"
        );
        assert_eq!(window_words(Duration::from_secs(3_600)), "the last 1 hour");
        assert_eq!(window_words(Duration::from_secs(90)), "the last 90 seconds");
    }

    #[test]
    fn only_stored_rawdata_counts() {
        assert!(counts("RAWDATA", Some("online")));
        assert!(!counts("RAWDATA", None));
        assert!(!counts("QUICKLOOK_SD", Some("online")));
    }
}
