//! What an import did: counts, and the lines saying what was rejected, skipped or dropped.

use serde::Serialize;

/// Problems kept in the report (all are counted).
const MAX_PROBLEMS: usize = 1000;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Data objects created.
    pub imported: u64,
    /// Data objects already known, updated in place.
    pub updated: u64,
    /// Items (or lines, documents) that could not be imported.
    pub rejected: u64,
    /// Collections read.
    pub datasets: u64,
    /// Files of the objects written.
    pub files: u64,
    /// Assets skipped (their items are imported without them).
    pub assets_skipped: u64,
    /// Checksums that could not be read and were dropped (the file kept).
    pub checksums_dropped: u64,
    /// What went wrong (the first 1000 lines), each naming the item or its place: items rejected
    /// (`… rejected: …`), assets skipped (`<item>: asset <key> skipped: <reason>`), checksums dropped.
    pub problems: Vec<String>,
    /// Assets skipped because their file is under no storage root (to tell a misconfiguration).
    #[serde(skip)]
    pub outside_roots: u64,
}

impl ImportReport {
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "imported {}, updated {}, rejected {} ({} datasets, {} files)",
            self.imported, self.updated, self.rejected, self.datasets, self.files
        );
        if self.assets_skipped > 0 {
            line.push_str(&format!(", {} assets skipped", self.assets_skipped));
        }
        if self.checksums_dropped > 0 {
            line.push_str(&format!(", {} checksums dropped", self.checksums_dropped));
        }
        line
    }

    pub(super) fn reject(&mut self, problem: String) {
        self.rejected += 1;
        self.note(problem);
    }

    pub(super) fn note(&mut self, line: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(line);
        }
    }

    pub(super) fn add_notes(&mut self, notes: ItemNotes) {
        self.assets_skipped += notes.assets_skipped;
        self.checksums_dropped += notes.checksums_dropped;
        self.outside_roots += notes.outside_roots;
        for line in notes.lines {
            self.note(line);
        }
    }
}

/// What was left out of one item on its way in.
#[derive(Debug, Default)]
pub(super) struct ItemNotes {
    pub(super) lines: Vec<String>,
    pub(super) assets_skipped: u64,
    pub(super) checksums_dropped: u64,
    pub(super) outside_roots: u64,
}

impl ItemNotes {
    pub(super) fn skip(&mut self, item: &str, key: &str, reason: &str) {
        self.assets_skipped += 1;
        self.lines
            .push(format!("{item}: asset {key} skipped: {reason}"));
    }
}
