//! Progress and the end state of an order, the bound of a sub-order, generated labels.

use super::OrderStatus;

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

/// Places objects, in order, into sub-orders: while the bound takes an object (its file count and bytes)
/// it joins the sub-order being filled — which holds `open` already —, else a new one starts. Returns,
/// for each object, the sub-order it goes to: 0 the one being filled, 1 the first new one, and so on. The
/// one rule of the expansion and of a retry.
pub fn place_objects(
    open: (i64, i64),
    bound: SubOrderBound,
    objects: impl IntoIterator<Item = (i64, i64)>,
) -> Vec<usize> {
    let (mut files, mut bytes) = open;
    let mut current = 0;
    objects
        .into_iter()
        .map(|(more_files, more_bytes)| {
            if !bound.takes(files, bytes, more_files, more_bytes) {
                current += 1;
                (files, bytes) = (0, 0);
            }
            files += more_files;
            bytes = bytes.saturating_add(more_bytes);
            current
        })
        .collect()
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
    fn objects_are_placed_while_the_bound_takes_them() {
        let bound = SubOrderBound {
            max_files: 3,
            max_bytes: 100,
        };
        // The open sub-order holds 2 files: one more fits, then new ones; a large object alone.
        let objects = [(1, 10), (1, 10), (2, 20), (1, 500), (1, 1)];
        assert_eq!(place_objects((2, 20), bound, objects), [0, 1, 1, 2, 3]);
        assert_eq!(
            place_objects((0, 0), bound, [(5, 5)]),
            [0],
            "an empty one takes anything"
        );
        assert!(place_objects((0, 0), bound, []).is_empty());
    }

    #[test]
    fn generated_labels_have_the_regards_form() {
        assert_eq!(
            generated_label(crate::time::Timestamp(1_522_765_200_383)),
            "Order of 2018/04/03 at 14:20:00"
        );
    }
}
