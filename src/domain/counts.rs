//! What data objects hold that can be ordered: counts of objects, files and bytes per orderable type.

use super::files::DataType;

/// Files and bytes of one orderable type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeCounts {
    pub files: i64,
    pub bytes: i64,
}

/// What a set of data objects holds that can be ordered: the objects with at least one orderable file,
/// the files and bytes of each orderable type (in `DataType::ORDERABLE` order), and the RAWDATA files
/// stored by the archive (not external references): those a download quota counts. Kept on each object
/// row, summed by summaries and baskets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderableCounts {
    pub objects: i64,
    pub by_type: [TypeCounts; 4],
    pub raw_stored: i64,
}

/// The stored columns of [`OrderableCounts`].
pub const COUNTER_COUNT: usize = 10;

impl OrderableCounts {
    /// The counts of one object from its files' types, sizes and whether each is an external reference.
    pub fn of_object(
        files: impl IntoIterator<Item = (DataType, Option<u64>, bool)>,
    ) -> OrderableCounts {
        let mut counts = OrderableCounts::default();
        for (data_type, size, external) in files {
            counts.count(data_type, size.map_or(0, |s| s as i64), external);
            if data_type.is_orderable() {
                counts.objects = 1;
            }
        }
        counts
    }

    /// Counts one file (not its object).
    pub fn count(&mut self, data_type: DataType, bytes: i64, external: bool) {
        if let Some(index) = data_type.orderable_index() {
            self.by_type[index].files += 1;
            self.by_type[index].bytes += bytes;
            if data_type == DataType::Rawdata && !external {
                self.raw_stored += 1;
            }
        }
    }

    pub fn files(&self) -> i64 {
        self.by_type.iter().map(|t| t.files).sum()
    }

    pub fn bytes(&self) -> i64 {
        self.by_type.iter().map(|t| t.bytes).sum()
    }

    /// Each orderable type with its counts.
    pub fn types(&self) -> impl Iterator<Item = (DataType, TypeCounts)> + '_ {
        DataType::ORDERABLE.into_iter().zip(self.by_type)
    }

    /// Adds `other` (`sign` 1) or takes it away (`sign` -1).
    pub fn add(&mut self, other: &OrderableCounts, sign: i64) {
        self.objects += sign * other.objects;
        self.raw_stored += sign * other.raw_stored;
        for (mine, theirs) in self.by_type.iter_mut().zip(other.by_type) {
            mine.files += sign * theirs.files;
            mine.bytes += sign * theirs.bytes;
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == OrderableCounts::default()
    }

    /// As the columns that store them: objects, files and bytes per orderable type, stored RAWDATA files.
    pub fn columns(&self) -> [i64; COUNTER_COUNT] {
        let mut columns = [0; COUNTER_COUNT];
        columns[0] = self.objects;
        for (n, counts) in self.by_type.iter().enumerate() {
            columns[1 + 2 * n] = counts.files;
            columns[2 + 2 * n] = counts.bytes;
        }
        columns[9] = self.raw_stored;
        columns
    }

    /// From the columns of [`OrderableCounts::columns`].
    pub fn from_columns(columns: [i64; COUNTER_COUNT]) -> OrderableCounts {
        let mut counts = OrderableCounts {
            objects: columns[0],
            raw_stored: columns[9],
            ..OrderableCounts::default()
        };
        for (n, type_counts) in counts.by_type.iter_mut().enumerate() {
            *type_counts = TypeCounts {
                files: columns[1 + 2 * n],
                bytes: columns[2 + 2 * n],
            };
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orderable_counts_add_up_by_type() {
        let object = OrderableCounts::of_object([
            (DataType::Rawdata, Some(100), false),
            (DataType::Thumbnail, Some(5), false),
            (DataType::QuicklookHd, Some(20), false),
            (DataType::Rawdata, None, true),
        ]);
        assert_eq!(
            (object.objects, object.files(), object.bytes()),
            (1, 3, 120)
        );
        assert_eq!(
            object.by_type[0],
            TypeCounts {
                files: 2,
                bytes: 100
            }
        );
        let mut sum = OrderableCounts::default();
        sum.add(&object, 1);
        sum.add(&object, 1);
        assert_eq!(
            object.raw_stored, 1,
            "the external RAWDATA file counts for no quota"
        );
        assert_eq!(sum.columns(), [2, 4, 200, 0, 0, 0, 0, 2, 40, 2]);
        assert_eq!(OrderableCounts::from_columns(sum.columns()), sum);
        sum.add(&object, -1);
        assert_eq!(sum, object);
        assert!(OrderableCounts::of_object([(DataType::Thumbnail, Some(1), false)]).is_zero());
    }
}
