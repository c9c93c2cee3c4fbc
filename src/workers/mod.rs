//! The workers, and the one registry of job kinds: a job is registered here, once, and gets its run, its
//! name in the metrics and the order it fails.

mod worker;

use anyhow::Context;

use crate::app::AppState;
use crate::jobs::Job;
use crate::orders::digest::SendDigest;
use crate::orders::jobs::{
    ExpandOrder, ExpireOrder, PurgeOrder, Remind, ScheduleUser, StageSubOrder,
};
use crate::orders::mails::SendMail;

pub use worker::{Runner, spawn_workers};

/// Every job kind, once: `KINDS`, `dispatch` and `order_of` are made from this list.
macro_rules! registry {
    ($($job:ty),+ $(,)?) => {
        /// Every registered kind, for the metrics.
        pub const KINDS: &[&str] = &[$(<$job>::KIND),+];

        /// Runs a leased job by its kind.
        async fn dispatch(kind: &str, payload: &str, state: &AppState) -> anyhow::Result<()> {
            $(if kind == <$job>::KIND {
                return run_as::<$job>(payload, state).await;
            })+
            anyhow::bail!("unknown job kind {kind:?}")
        }

        /// The order a job works for, if any (it FAILS when the job runs out of attempts).
        fn order_of(kind: &str, payload: &str) -> Option<i64> {
            $(if kind == <$job>::KIND {
                return serde_json::from_str::<$job>(payload).ok()?.order_id();
            })+
            None
        }
    };
}

registry!(
    SendMail,
    SendDigest,
    ExpandOrder,
    StageSubOrder,
    ScheduleUser,
    ExpireOrder,
    PurgeOrder,
    Remind,
);

async fn run_as<J: Job>(payload: &str, state: &AppState) -> anyhow::Result<()> {
    let job: J = serde_json::from_str(payload)
        .with_context(|| format!("cannot read the payload of a {} job", J::KIND))?;
    job.run(state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_and_known_orders_are_found() {
        let mut kinds = KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), KINDS.len());
        assert_eq!(order_of(ExpandOrder::KIND, r#"{"order_id": 7}"#), Some(7));
        assert_eq!(order_of(ExpireOrder::KIND, r#"{"order_id": 7}"#), None);
        assert_eq!(order_of("nothing", "{}"), None);
    }
}
