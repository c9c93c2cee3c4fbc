//! The progress line of `catalog import` on a terminal (stderr; the caller decides whether there is
//! one): the counts so far and their rate, and the page a harvest is at. Redrawn at most twice a second.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::harvest::PageProgress;
use super::import::{ImportReport, Importer};

const REDRAW_EVERY: Duration = Duration::from_millis(500);

/// Cheap to clone: the importer's callback and the harvest share it.
#[derive(Clone)]
pub struct ProgressLine(Arc<Mutex<State>>);

struct State {
    started: Instant,
    drawn: Option<Instant>,
    /// Imported, updated, rejected.
    counts: (u64, u64, u64),
    page: Option<PageProgress>,
}

impl ProgressLine {
    /// A line following the batches `importer` writes.
    pub fn follow(importer: &mut Importer) -> ProgressLine {
        let line = ProgressLine(Arc::new(Mutex::new(State {
            started: Instant::now(),
            drawn: None,
            counts: (0, 0, 0),
            page: None,
        })));
        let batches = line.clone();
        importer.on_progress(move |report: &ImportReport| {
            batches.update(|state| {
                state.counts = (report.imported, report.updated, report.rejected);
            });
        });
        line
    }

    /// Where a harvest is.
    pub fn page(&self, page: &PageProgress) {
        self.update(|state| state.page = Some(page.clone()));
    }

    /// Ends the line (when one was drawn), so that what follows starts on a line of its own.
    pub fn end(&self) {
        let state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if state.drawn.is_some() {
            eprintln!();
        }
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state);
        if state.drawn.is_some_and(|at| at.elapsed() < REDRAW_EVERY) {
            return;
        }
        state.drawn = Some(Instant::now());
        eprint!("\r{}   ", state.text());
        let _ = std::io::stderr().flush();
    }
}

impl State {
    /// The counts written so far and their rate; in a harvest, the page reached and the items read
    /// first (the counts follow by batches of 1000).
    fn text(&self) -> String {
        let (imported, updated, rejected) = self.counts;
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let counts = format!("imported {imported}, updated {updated}, rejected {rejected}");
        let Some(page) = &self.page else {
            let rate = (imported + updated) as f64 / seconds;
            return format!("{counts} ({rate:.0} objects/s)");
        };
        let of = page.matched.map(|m| format!(" of {m}")).unwrap_or_default();
        let rate = page.items as f64 / seconds;
        format!(
            "page {}, {} items read{of} ({rate:.0} items/s); {counts}",
            page.pages, page.items
        )
    }
}
