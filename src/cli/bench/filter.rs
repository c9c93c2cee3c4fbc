//! The cost of a file filter in `bench catalog`: a dataset selection of up to 100,000 objects recounted
//! under a filter (its objects' files read and tested: `PUT .../updateFileFilters`), against the same
//! selection recounted without one (the object counters: one indexed query). The goal is under a second.

use std::time::{Duration, Instant};

use crate::app::AppState;
use crate::basket;
use crate::config::Config;
use crate::domain::access::Viewer;
use crate::domain::filters::{FileFilter, FilterType};
use crate::domain::selection::{SeedSelection, Selection};
use crate::time::Clock;

pub(super) async fn bench_filter(
    config: &Config,
    per_dataset: u64,
    repeat: u32,
) -> anyhow::Result<()> {
    let state = AppState::open(config.clone(), None, Clock::default()).await?;
    let dataset = state
        .store
        .datasets()
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no dataset"))?;
    let objects = per_dataset.min(100_000);
    let q = format!(
        "dataset:\"{}\" AND index:[0 TO {}]",
        dataset.ip_id,
        objects - 1
    );
    let selection = Selection::Seed(SeedSelection {
        select_all_open_search_request: Some(q),
        ip_ids: vec![],
    });
    let owner = "bench-filter";
    let content = basket::add_selection(&state, owner, &Viewer::All, &selection)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the selection found nothing"))?;
    let (selected, _) = &content.datasets[0];
    let filter = FileFilter {
        file_types: vec![FilterType::Rawdata],
        file_name_pattern: Some(r".*[02468]\..*".into()),
    };
    let mut times = [Vec::new(), Vec::new()];
    let mut kept = 0;
    for _ in 0..=repeat.max(1) {
        for (n, filter) in [None, Some(filter.clone())].into_iter().enumerate() {
            let started = Instant::now();
            let content =
                basket::update_file_filters(&state, owner, &Viewer::All, selected.id, filter)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the basket vanished"))?;
            times[n].push(started.elapsed());
            kept = content.datasets[0].0.counters.files();
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.remove(0);
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1000.0
    };
    let [mut plain, mut filtered] = times;
    let (plain, filtered) = (median(&mut plain), median(&mut filtered));
    println!(
        "file filter: a selection of {} objects ({} files) recounted without a filter {plain:.2} ms, \
         with one ({kept} files kept) {filtered:.2} ms = {:.1}x (goal < 1000 ms)",
        selected.counters.objects,
        selected.counters.files(),
        filtered / plain.max(0.001)
    );
    state.store.close().await;
    Ok(())
}
