//! Byte ranges: the `Range` header of a single-file download, and which parts of a file have been sent
//! (a file is downloaded once the ranges sent, by one or several requests, cover it).

/// A range of bytes, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No header, or one we ignore (another unit, several ranges): the whole file, 200.
    Whole,
    /// One satisfiable range: 206.
    Part(ByteRange),
    /// A range outside the file: 416.
    Unsatisfiable,
}

/// Reads `bytes=a-b`, `bytes=a-` and `bytes=-n` (RFC 9110); several ranges are answered whole.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |text: &str| text.parse::<u64>().ok();
    let range = match (first.is_empty(), last.is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => return RangeRequest::Unsatisfiable,
            Some(n) => ByteRange {
                start: size.saturating_sub(n),
                end: size,
            },
            None => return RangeRequest::Whole,
        },
        (false, true) => match number(first) {
            Some(start) => ByteRange { start, end: size },
            None => return RangeRequest::Whole,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(last)) if last >= start => ByteRange {
                start,
                end: last.saturating_add(1).min(size),
            },
            _ => return RangeRequest::Whole,
        },
        (true, true) => return RangeRequest::Whole,
    };
    if range.start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part(range)
}

/// Ranges kept as text in the database: `0-99,200-299` (end exclusive), merged.
pub fn parse_sent(text: &str) -> Vec<ByteRange> {
    text.split(',')
        .filter_map(|part| {
            let (start, end) = part.split_once('-')?;
            Some(ByteRange {
                start: start.trim().parse().ok()?,
                end: end.trim().parse().ok()?,
            })
        })
        .filter(|r| !r.is_empty())
        .collect()
}

pub fn format_sent(ranges: &[ByteRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}-{}", r.start, r.end))
        .collect::<Vec<_>>()
        .join(",")
}

/// Adds a range to merged ranges (touching ranges merge too).
pub fn merge(ranges: &[ByteRange], more: ByteRange) -> Vec<ByteRange> {
    let mut all: Vec<ByteRange> = ranges
        .iter()
        .copied()
        .chain(std::iter::once(more))
        .filter(|r| !r.is_empty())
        .collect();
    all.sort();
    let mut merged: Vec<ByteRange> = Vec::with_capacity(all.len());
    for range in all {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Whether merged ranges cover a file of `size` bytes.
pub fn covers(ranges: &[ByteRange], size: u64) -> bool {
    size == 0 || matches!(ranges, [only] if only.start == 0 && only.end >= size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Part(ByteRange { start, end })
    }

    #[test]
    fn range_headers_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range(None, 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=0-49"), 100), part(0, 50));
        assert_eq!(parse_range(Some("bytes=50-"), 100), part(50, 100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), part(90, 100));
        assert_eq!(parse_range(Some("bytes=-500"), 100), part(0, 100));
        assert_eq!(parse_range(Some("bytes=90-500"), 100), part(90, 100));
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=-0"), 100),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=0-1,5-9"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=9-1"), 100), RangeRequest::Whole);
        assert_eq!(
            parse_range(Some("bytes=0-0"), 0),
            RangeRequest::Unsatisfiable
        );
    }

    #[test]
    fn sent_ranges_merge_until_they_cover_the_file() {
        let mut sent = Vec::new();
        for (start, end) in [(50, 100), (0, 20), (20, 30)] {
            sent = merge(&sent, ByteRange { start, end });
        }
        assert_eq!(format_sent(&sent), "0-30,50-100");
        assert!(!covers(&sent, 100));
        sent = merge(&parse_sent("0-30,50-100"), ByteRange { start: 25, end: 60 });
        assert_eq!(sent, [ByteRange { start: 0, end: 100 }]);
        assert!(covers(&sent, 100));
        assert!(covers(&[], 0));
    }
}
