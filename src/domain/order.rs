//! Orders without I/O: statuses, which action each status allows (one rule for the actions and the
//! links), progress and the end state.

use serde::{Deserialize, Serialize};

/// Order statuses (REGARDS `OrderStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Running => "RUNNING",
            OrderStatus::Paused => "PAUSED",
            OrderStatus::Expired => "EXPIRED",
            OrderStatus::Failed => "FAILED",
            OrderStatus::DoneWithWarning => "DONE_WITH_WARNING",
            OrderStatus::Done => "DONE",
            OrderStatus::Deleted => "DELETED",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileState {
    Pending,
    Available,
    Downloaded,
    DownloadError,
    Error,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Pending => "PENDING",
            FileState::Available => "AVAILABLE",
            FileState::Downloaded => "DOWNLOADED",
            FileState::DownloadError => "DOWNLOAD_ERROR",
            FileState::Error => "ERROR",
        }
    }

    pub fn parse(text: &str) -> Option<FileState> {
        [
            FileState::Pending,
            FileState::Available,
            FileState::Downloaded,
            FileState::DownloadError,
            FileState::Error,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What a user (or an admin) may do to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    Delete,
    Remove,
    Restart,
    Retry,
    Download,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Pause,
        Action::Resume,
        Action::Delete,
        Action::Remove,
        Action::Restart,
        Action::Retry,
        Action::Download,
    ];

    /// The link relation naming the action in an order's `links`.
    pub fn rel(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Delete => "delete",
            Action::Remove => "remove",
            Action::Restart => "restart",
            Action::Retry => "retry",
            Action::Download => "download",
        }
    }

    /// The seed's code when the order's status does not allow the action (answered as 401).
    pub fn refusal(self) -> &'static str {
        match self {
            Action::Pause => "ORDER_MUST_BE_PENDING_OR_RUNNING",
            Action::Resume => "ONLY_PAUSED_ORDER_CAN_BE_RESUMED",
            Action::Delete => "ORDER_MUST_BE_PAUSED_BEFORE_BEING_DELETED",
            Action::Remove => "ORDER_MUST_NOT_BE_RUNNING",
            Action::Restart => "ORDER_MUST_BE_DONE_OR_DONE_WITH_WARNING_OR_FAILED",
            Action::Retry => "ORDER_MUST_BE_DONE_WITH_WARNING_OR_FAILED",
            Action::Download => "ORDER_MUST_HAVE_AVAILABLE_FILES",
        }
    }
}

/// Who asks, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker {
    pub is_owner: bool,
    pub is_admin: bool,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not the owner and not an admin (remove: not an admin): `USER_NOT_ALLOWED_TO_MANAGE_ORDER`.
    NotAllowed,
    /// The status does not allow it: the action's code.
    Status(Action),
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "USER_NOT_ALLOWED_TO_MANAGE_ORDER",
            Refusal::Status(action) => action.refusal(),
        }
    }
}

/// The one rule deciding both whether an action runs and whether the order shows its link: first who
/// asks, then the status (DESIGN §2).
pub fn check(
    action: Action,
    status: OrderStatus,
    available_files: i64,
    asker: Asker,
) -> Result<(), Refusal> {
    let allowed_asker = match action {
        Action::Remove => asker.is_admin,
        _ => asker.is_owner || asker.is_admin,
    };
    if !allowed_asker {
        return Err(Refusal::NotAllowed);
    }
    use OrderStatus as S;
    let allowed = match action {
        Action::Pause => matches!(status, S::Pending | S::Running),
        Action::Resume => status == S::Paused,
        Action::Delete => matches!(
            status,
            S::Paused | S::Done | S::DoneWithWarning | S::Failed | S::Expired
        ),
        Action::Remove => !matches!(status, S::Pending | S::Running),
        Action::Restart => matches!(status, S::Done | S::DoneWithWarning | S::Failed),
        Action::Retry => matches!(status, S::DoneWithWarning | S::Failed),
        Action::Download => !matches!(status, S::Deleted | S::Expired) && available_files > 0,
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal::Status(action))
    }
}

/// The actions an order's links show to this asker.
pub fn allowed_actions(status: OrderStatus, available_files: i64, asker: Asker) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| check(*a, status, available_files, asker).is_ok())
        .collect()
}

/// Counters of an order's files, kept exact in the transactions that change file states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub total_files: i64,
    pub total_bytes: i64,
    /// Files AVAILABLE, DOWNLOADED, DOWNLOAD_ERROR or ERROR, and their bytes.
    pub treated_files: i64,
    pub treated_bytes: i64,
    pub available_files: i64,
    pub error_files: i64,
    pub download_error_files: i64,
}

impl Progress {
    /// Share of bytes treated, by file count when the order has no byte; 0 before expansion.
    pub fn percent(&self) -> i64 {
        if self.total_files == 0 {
            return 0;
        }
        if self.total_bytes > 0 {
            ((self.treated_bytes as i128 * 100) / self.total_bytes as i128) as i64
        } else {
            self.treated_files * 100 / self.total_files
        }
    }

    /// The end state once every file is treated: no error → DONE, every file in ERROR → FAILED, else
    /// DONE_WITH_WARNING. `None` while files are pending.
    pub fn end_state(&self) -> Option<OrderStatus> {
        if self.treated_files < self.total_files {
            return None;
        }
        Some(if self.error_files == 0 && self.download_error_files == 0 {
            OrderStatus::Done
        } else if self.error_files == self.total_files {
            OrderStatus::Failed
        } else {
            OrderStatus::DoneWithWarning
        })
    }
}

/// How large a sub-order may grow: an object's files are never split, so a sub-order takes the next object
/// when it is empty or when the object keeps it within both bounds (a larger object gets a sub-order of its
/// own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubOrderBound {
    pub max_files: i64,
    pub max_bytes: i64,
}

impl SubOrderBound {
    /// External files: grouped by 1000, whatever their size.
    pub const EXTERNAL: SubOrderBound = SubOrderBound {
        max_files: 1000,
        max_bytes: i64::MAX,
    };

    pub fn takes(&self, files: i64, bytes: i64, more_files: i64, more_bytes: i64) -> bool {
        files == 0
            || (files + more_files <= self.max_files
                && bytes.saturating_add(more_bytes) <= self.max_bytes)
    }
}

/// An order's label: at most 50 characters (422 `TOO_MANY_CHARACTERS_IN_LABEL`).
pub const MAX_LABEL_CHARS: usize = 50;

/// `Order of yyyy/MM/dd at HH:mm:ss` (UTC).
pub fn generated_label(now: crate::time::Timestamp) -> String {
    now.to_datetime()
        .format("Order of %Y/%m/%d at %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Asker = Asker {
        is_owner: true,
        is_admin: false,
    };
    const ADMIN: Asker = Asker {
        is_owner: false,
        is_admin: true,
    };
    const STRANGER: Asker = Asker {
        is_owner: false,
        is_admin: false,
    };

    fn rels(status: OrderStatus, available: i64, asker: Asker) -> Vec<&'static str> {
        allowed_actions(status, available, asker)
            .into_iter()
            .map(Action::rel)
            .collect()
    }

    #[test]
    fn links_follow_the_status_rules() {
        use OrderStatus as S;
        assert_eq!(rels(S::Running, 2, OWNER), ["pause", "download"]);
        assert_eq!(rels(S::Pending, 0, OWNER), ["pause"]);
        assert_eq!(rels(S::Paused, 1, OWNER), ["resume", "delete", "download"]);
        assert_eq!(rels(S::Done, 1, OWNER), ["delete", "restart", "download"]);
        assert_eq!(
            rels(S::DoneWithWarning, 1, OWNER),
            ["delete", "restart", "retry", "download"]
        );
        assert_eq!(rels(S::Failed, 0, OWNER), ["delete", "restart", "retry"]);
        assert_eq!(rels(S::Deleted, 0, OWNER), Vec::<&str>::new());
        assert_eq!(rels(S::Deleted, 0, ADMIN), ["remove"]);
        assert_eq!(rels(S::Expired, 3, OWNER), ["delete"]);
        assert_eq!(rels(S::Done, 1, STRANGER), Vec::<&str>::new());
    }

    #[test]
    fn refusals_carry_the_seed_codes() {
        use OrderStatus as S;
        assert_eq!(
            check(Action::Pause, S::Done, 0, OWNER).unwrap_err().code(),
            "ORDER_MUST_BE_PENDING_OR_RUNNING"
        );
        assert_eq!(
            check(Action::Resume, S::Running, 0, OWNER)
                .unwrap_err()
                .code(),
            "ONLY_PAUSED_ORDER_CAN_BE_RESUMED"
        );
        assert_eq!(
            check(Action::Delete, S::Running, 0, OWNER)
                .unwrap_err()
                .code(),
            "ORDER_MUST_BE_PAUSED_BEFORE_BEING_DELETED"
        );
        assert_eq!(
            check(Action::Remove, S::Running, 0, ADMIN)
                .unwrap_err()
                .code(),
            "ORDER_MUST_NOT_BE_RUNNING"
        );
        assert_eq!(
            check(Action::Remove, S::Deleted, 0, OWNER)
                .unwrap_err()
                .code(),
            "USER_NOT_ALLOWED_TO_MANAGE_ORDER"
        );
        assert_eq!(
            check(Action::Pause, S::Running, 0, STRANGER)
                .unwrap_err()
                .code(),
            "USER_NOT_ALLOWED_TO_MANAGE_ORDER"
        );
        assert!(check(Action::Remove, S::Done, 0, ADMIN).is_ok());
    }

    #[test]
    fn progress_is_by_bytes_and_ends_by_the_error_rule() {
        let mut p = Progress {
            total_files: 4,
            total_bytes: 1000,
            ..Progress::default()
        };
        assert_eq!((p.percent(), p.end_state()), (0, None));
        p.treated_files = 3;
        p.treated_bytes = 999;
        assert_eq!((p.percent(), p.end_state()), (99, None));
        p.treated_files = 4;
        p.treated_bytes = 1000;
        assert_eq!((p.percent(), p.end_state()), (100, Some(OrderStatus::Done)));
        p.error_files = 1;
        assert_eq!(p.end_state(), Some(OrderStatus::DoneWithWarning));
        p.error_files = 4;
        assert_eq!(p.end_state(), Some(OrderStatus::Failed));
        let empty_bytes = Progress {
            total_files: 2,
            treated_files: 1,
            ..Progress::default()
        };
        assert_eq!(empty_bytes.percent(), 50);
    }

    #[test]
    fn sub_orders_fill_up_to_their_bounds_and_never_split_an_object() {
        let bound = SubOrderBound {
            max_files: 3,
            max_bytes: 100,
        };
        assert!(
            bound.takes(0, 0, 10, 1000),
            "an empty sub-order takes any object"
        );
        assert!(bound.takes(2, 60, 1, 40));
        assert!(!bound.takes(2, 60, 2, 10), "too many files");
        assert!(!bound.takes(1, 60, 1, 41), "too many bytes");
        assert!(SubOrderBound::EXTERNAL.takes(999, i64::MAX - 1, 1, 5));
        assert!(!SubOrderBound::EXTERNAL.takes(1000, 0, 1, 0));
    }

    #[test]
    fn generated_labels_have_the_regards_form() {
        assert_eq!(
            generated_label(crate::time::Timestamp(1_522_765_200_383)),
            "Order of 2018/04/03 at 14:20:00"
        );
    }
}
