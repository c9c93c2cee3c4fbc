//! File filters of dataset selections (docs/decisions.md "Basket upload and file filters"): set or
//! removed by the owner, they change what the selection counts (objects, files, bytes) and what the order
//! will hold. The items keep the counts of what they selected.

use super::{BasketError, Compiler, owned_selection};
use crate::app::AppState;
use crate::domain::access::{Datasets, Viewer};
use crate::domain::filters::FileFilter;
use crate::store::basket as rows;
use crate::store::catalog::{Counters, filtered_counters_in};
use crate::store::{BasketContent, Conn, commit};

/// Sets a dataset selection's filter (`None`, or one keeping every orderable file: removes it) and
/// recounts the selection. `None` when the owner has no basket.
pub async fn update_file_filters(
    state: &AppState,
    owner: &str,
    viewer: &Viewer,
    selection_id: i64,
    filter: Option<FileFilter>,
) -> Result<Option<BasketContent>, BasketError> {
    let kept = match filter {
        Some(filter) => filter.compile()?.map(|_| filter.describe()),
        None => None,
    };
    let compiler = Compiler::new(state).await?;
    let orderable = super::orderable(state, viewer).await?;
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let Some(basket_id) =
        rows::lock_basket(&mut tx, state.store.backend(), owner, false, now).await?
    else {
        return Ok(None);
    };
    let dataset_id = owned_selection(&mut tx, basket_id, selection_id).await?;
    rows::set_file_filters(&mut tx, selection_id, kept.as_deref()).await?;
    super::refresh(
        &mut tx,
        &compiler,
        &orderable,
        basket_id,
        &[(selection_id, dataset_id)],
    )
    .await?;
    let content = rows::load_basket(&mut tx, basket_id).await?;
    commit(tx).await?;
    Ok(Some(content))
}

/// Recounts a selection `(id, dataset)` under its file filter, with its items' combined `request`;
/// false when it has no filter (the caller counts it from the object counters).
pub(super) async fn refresh_filtered(
    tx: &mut Conn,
    compiler: &Compiler,
    orderable: &Datasets,
    (selection_id, dataset_id): (i64, i64),
    request: &str,
) -> Result<bool, BasketError> {
    let Some(json) = rows::file_filters(tx, selection_id).await? else {
        return Ok(false);
    };
    let Some(compiled) = FileFilter::stored(&json) else {
        return Ok(false);
    };
    let condition = compiler.compile(request)?;
    let counters = if orderable.contains(dataset_id) {
        filtered_counters_in((tx, compiler.backend), &condition, dataset_id, &compiled).await?
    } else {
        Counters::default()
    };
    rows::update_dataset_selection(tx, selection_id, request, &counters).await?;
    Ok(true)
}
