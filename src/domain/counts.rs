//! What data objects hold that can be ordered: counts of objects, files and bytes per orderable type.

use super::files::DataType;

/// Files and bytes of one orderable type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeCounts {
    pub files: i64,
    pub bytes: i64,
}

/// What a set of data objects holds that can be ordered: the objects with at least one orderable file,
/// and the files and bytes of each orderable type (in `DataType::ORDERABLE` order). Kept on each object
/// row, summed by summaries and baskets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderableCounts {
    pub objects: i64,
    pub by_type: [TypeCounts; 4],
}

impl OrderableCounts {
    /// The counts of one object from its files' types and sizes.
    pub fn of_object(files: impl IntoIterator<Item = (DataType, Option<u64>)>) -> OrderableCounts {
        let mut counts = OrderableCounts::default();
        for (data_type, size) in files {
            if let Some(index) = data_type.orderable_index() {
                counts.objects = 1;
                counts.by_type[index].files += 1;
                counts.by_type[index].bytes += size.map_or(0, |s| s as i64);
            }
        }
        counts
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
        for (mine, theirs) in self.by_type.iter_mut().zip(other.by_type) {
            mine.files += sign * theirs.files;
            mine.bytes += sign * theirs.bytes;
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == OrderableCounts::default()
    }

    /// As the nine columns that store them: objects, then files and bytes per orderable type.
    pub fn columns(&self) -> [i64; 9] {
        let mut columns = [self.objects, 0, 0, 0, 0, 0, 0, 0, 0];
        for (n, counts) in self.by_type.iter().enumerate() {
            columns[1 + 2 * n] = counts.files;
            columns[2 + 2 * n] = counts.bytes;
        }
        columns
    }

    /// From the nine columns of [`OrderableCounts::columns`].
    pub fn from_columns(columns: [i64; 9]) -> OrderableCounts {
        let mut counts = OrderableCounts {
            objects: columns[0],
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
            (DataType::Rawdata, Some(100)),
            (DataType::Thumbnail, Some(5)),
            (DataType::QuicklookHd, Some(20)),
            (DataType::Rawdata, None),
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
        assert_eq!(sum.columns(), [2, 4, 200, 0, 0, 0, 0, 2, 40]);
        assert_eq!(OrderableCounts::from_columns(sum.columns()), sum);
        sum.add(&object, -1);
        assert_eq!(sum, object);
        assert!(OrderableCounts::of_object([(DataType::Thumbnail, Some(1))]).is_zero());
    }
}
