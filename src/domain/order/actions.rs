//! Which action each status allows: one rule for the actions and for an order's links.

use super::OrderStatus;

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
/// asks, then the status (docs/decisions.md, "Action errors").
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
}
