//! The cost of a file filter in `bench catalog`: a dataset selection of up to 100,000 objects recounted
//! under a filter (`PUT .../updateFileFilters`) on types alone (the kept types' object counters) and on
//! types and a name pattern (its objects' files read and tested), against the same selection recounted
//! without one (the object counters: one indexed query). The goal is under a second.

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
    let owner = "bench-filter";
    let content = select_objects(&state, owner, per_dataset).await?;
    let (selected, _) = &content.datasets[0];
    let named = FileFilter {
        file_types: vec![FilterType::Rawdata],
        file_name_pattern: Some(r".*[02468]\..*".into()),
    };
    let typed = FileFilter {
        file_name_pattern: None,
        ..named.clone()
    };
    let filters = [None, Some(typed), Some(named)];
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    let mut kept = [0; 3];
    for _ in 0..=repeat.max(1) {
        for (n, filter) in filters.iter().enumerate() {
            let started = Instant::now();
            let content = basket::update_file_filters(
                &state,
                owner,
                &Viewer::All,
                selected.id,
                filter.clone(),
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("the basket vanished"))?;
            times[n].push(started.elapsed());
            kept[n] = content.datasets[0].0.counters.files();
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.remove(0);
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1000.0
    };
    let [mut plain, mut by_type, mut by_name] = times;
    let plain = median(&mut plain);
    println!(
        "file filter: a selection of {} objects ({} files) recounted without a filter {plain:.2} ms",
        selected.counters.objects,
        selected.counters.files(),
    );
    for (label, times, kept) in [
        ("RAWDATA", &mut by_type, kept[1]),
        ("RAWDATA + name pattern", &mut by_name, kept[2]),
    ] {
        let filtered = median(times);
        println!(
            "  with {label} ({kept} files kept) {filtered:.2} ms = {:.1}x (goal < 1000 ms)",
            filtered / plain.max(0.001)
        );
    }
    state.store.close().await;
    Ok(())
}

/// Puts up to 100,000 objects of the first dataset in the owner's basket.
async fn select_objects(
    state: &AppState,
    owner: &str,
    per_dataset: u64,
) -> anyhow::Result<crate::store::BasketContent> {
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
    basket::add_selection(state, owner, &Viewer::All, &selection)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the selection found nothing"))
}
