//! The three state machines of an order: its status, its sub-orders' states and its files' states. The
//! strings they are stored as come from `strum` (SCREAMING_SNAKE_CASE, the REGARDS names); the database
//! refuses any other value (migration 0007), and rows decode strictly (`store::codec`).

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumIter, EnumString, IntoStaticStr};

/// Order statuses (REGARDS `OrderStatus`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumString,
    IntoStaticStr,
    AsRefStr,
    EnumIter,
    Display,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Running,
    Paused,
    Expired,
    Failed,
    DoneWithWarning,
    Done,
    Deleted,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Pending,
        OrderStatus::Running,
        OrderStatus::Paused,
        OrderStatus::Expired,
        OrderStatus::Failed,
        OrderStatus::DoneWithWarning,
        OrderStatus::Done,
        OrderStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        text.parse().ok()
    }

    /// The end of processing: every file made available or in error.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            OrderStatus::Done | OrderStatus::DoneWithWarning | OrderStatus::Failed
        )
    }
}

/// File states (REGARDS `FileState`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumString,
    IntoStaticStr,
    AsRefStr,
    EnumIter,
    Display,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum FileState {
    Pending,
    Available,
    Downloaded,
    DownloadError,
    Error,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<FileState> {
        text.parse().ok()
    }

    /// Whether a file may go from `self` to `to`: staged (PENDING → AVAILABLE or ERROR), downloaded
    /// (AVAILABLE → DOWNLOADED or DOWNLOAD_ERROR), retried (ERROR or DOWNLOAD_ERROR → PENDING, external
    /// ones → AVAILABLE).
    pub fn can_become(self, to: FileState) -> bool {
        use FileState as F;
        matches!(
            (self, to),
            (F::Pending, F::Available | F::Error)
                | (F::Available, F::Downloaded | F::DownloadError)
                | (F::Error | F::DownloadError, F::Pending | F::Available)
        )
    }
}

/// Sub-order states (REGARDS `FilesTask`): OPEN while the expansion fills it, WAITING for a slot (and
/// cache space), RUNNING while staged, DONE once every file is treated, CANCELLED when its order is
/// deleted, removed or expired.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    EnumString,
    IntoStaticStr,
    AsRefStr,
    EnumIter,
    Display,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum SubOrderState {
    Open,
    Waiting,
    Running,
    Done,
    Cancelled,
}

impl SubOrderState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a sub-order may go from `self` to `to`: closed after the expansion (OPEN → WAITING, or DONE
    /// for external files, which are available at once), started (WAITING → RUNNING), paused (RUNNING →
    /// WAITING), ended (RUNNING → DONE, or WAITING → DONE when it can never fit the cache), cancelled from
    /// any state but CANCELLED.
    pub fn can_become(self, to: SubOrderState) -> bool {
        use SubOrderState as S;
        matches!(
            (self, to),
            (S::Open, S::Waiting | S::Done)
                | (S::Waiting, S::Running | S::Done)
                | (S::Running, S::Waiting | S::Done)
                | (S::Open | S::Waiting | S::Running | S::Done, S::Cancelled)
        )
    }

    /// The state a closed sub-order starts in: external files need no staging.
    pub fn closed(external: bool) -> SubOrderState {
        if external {
            SubOrderState::Done
        } else {
            SubOrderState::Waiting
        }
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn states_are_stored_under_their_regards_names_and_read_strictly() {
        assert_eq!(OrderStatus::DoneWithWarning.as_str(), "DONE_WITH_WARNING");
        assert_eq!(FileState::DownloadError.as_str(), "DOWNLOAD_ERROR");
        assert_eq!(SubOrderState::Cancelled.as_str(), "CANCELLED");
        for status in OrderStatus::iter() {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::iter().count(), OrderStatus::ALL.len());
        for state in FileState::iter() {
            assert_eq!(FileState::parse(state.as_str()), Some(state));
        }
        for state in SubOrderState::iter() {
            assert_eq!(state.as_str().parse::<SubOrderState>(), Ok(state));
        }
        assert_eq!(OrderStatus::parse("done"), None);
        assert_eq!(FileState::parse("LOST"), None);
        assert!("STAGING".parse::<SubOrderState>().is_err());
    }

    #[test]
    fn transitions_follow_the_machines() {
        use SubOrderState as S;
        assert!(S::Open.can_become(S::Waiting) && S::Waiting.can_become(S::Running));
        assert!(S::Running.can_become(S::Waiting) && S::Running.can_become(S::Done));
        assert!(!S::Done.can_become(S::Running) && !S::Cancelled.can_become(S::Waiting));
        assert!(
            S::iter()
                .filter(|s| *s != S::Cancelled)
                .all(|s| s.can_become(S::Cancelled))
        );
        use FileState as F;
        assert!(F::Pending.can_become(F::Available) && F::Available.can_become(F::Downloaded));
        assert!(F::Error.can_become(F::Pending) && !F::Downloaded.can_become(F::Pending));
        assert!(!F::Pending.can_become(F::Downloaded));
    }
}
