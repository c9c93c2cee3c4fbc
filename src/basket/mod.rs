//! The basket: one per user, a selection per dataset, made of dated item selections frozen at their date
//! (docs/decisions.md, "Basket selections"). Every change runs in one write transaction holding the basket's lock, so
//! two adds racing for one user both land, with distinct dates.

mod filters;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::access;
use crate::app::AppState;
use crate::domain::access::{Datasets, Need, Scope, Viewer};
use crate::domain::query::sql::{Condition, Dialect, ValueType, to_sql};
use crate::domain::query::{QueryError, parse};
use crate::domain::selection::{Selection, SelectionError, combine, freeze};
use crate::store::basket::{self as rows, BasketItemRecord};
use crate::store::catalog::{Counters, summary_in};
use crate::store::{Backend, BasketContent, Conn, DatasetRow, StoreError, SummaryRow, commit};
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum BasketError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadDate(String),
    #[error(transparent)]
    BadFilter(#[from] crate::domain::filters::FilterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Compiles queries with the catalog's property types, for the store's backend.
struct Compiler {
    properties: HashMap<String, ValueType>,
    dialect: Dialect,
    backend: Backend,
}

impl Compiler {
    async fn new(state: &AppState) -> Result<Compiler, StoreError> {
        Ok(Compiler {
            properties: state.store.property_types().await?,
            dialect: crate::catalog::search::dialect(state.store.as_ref()),
            backend: state.store.backend(),
        })
    }

    fn compile(&self, query: &str) -> Result<Condition, QueryError> {
        to_sql(&parse(query)?, &self.properties, self.dialect)
    }
}

/// The datasets whose files `viewer` may put in a basket now (FULL_ACCESS, docs/decisions.md "Access
/// rights").
async fn orderable(state: &AppState, viewer: &Viewer) -> Result<Datasets, StoreError> {
    access::datasets(
        state.store.as_ref(),
        &state.config.access,
        viewer,
        Need::Data,
    )
    .await
}

/// Adds a selection, frozen now, to every dataset where it finds files `viewer` may order. `None` when
/// it finds none (nothing is added, no basket is created).
pub async fn add_selection(
    state: &AppState,
    owner: &str,
    viewer: &Viewer,
    selection: &Selection,
) -> Result<Option<BasketContent>, BasketError> {
    let query = selection.to_query()?;
    let compiler = Compiler::new(state).await?;
    let now = state.clock.now();
    let frozen = freeze(&query, now);
    let condition = compiler.compile(&frozen)?;
    // Read once, before the write transaction (it must not wait for a connection while holding the
    // lock): what the add counts and what the recount keeps.
    let orderable = orderable(state, viewer).await?;
    let found: Vec<SummaryRow> = state
        .store
        .summary(&condition, &orderable.scope(), true)
        .await?
        .into_iter()
        .filter(|row| row.counters.objects > 0)
        .collect();
    if found.is_empty() {
        tracing::info!(
            owner,
            query,
            "This selection contains no file that can be ordered"
        );
        return Ok(None);
    }
    let datasets: HashMap<i64, DatasetRow> = state
        .store
        .datasets()
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let adding = Adding {
        compiler: &compiler,
        query: &query,
        frozen: &frozen,
        selection: serde_json::to_string(selection).unwrap_or_default(),
        now,
    };
    let mut tx = state.store.begin_write().await?;
    let basket_id = rows::lock_basket(&mut tx, state.store.backend(), owner, true, now)
        .await?
        .ok_or_else(|| StoreError::Worker(format!("the basket of {owner} vanished")))?;
    let mut touched = Vec::new();
    for row in found {
        if let Some(dataset) = datasets.get(&row.dataset_id) {
            let selection_id = add_item(&mut tx, &adding, basket_id, dataset, row.counters).await?;
            touched.push((selection_id, dataset.id));
        }
    }
    refresh(&mut tx, &compiler, &orderable, basket_id, &touched).await?;
    let content = rows::load_basket(&mut tx, basket_id).await?;
    commit(tx).await?;
    Ok(Some(content))
}

/// Adds selections one after the other (each dated apart), as an uploaded list of providerIds makes
/// them. `None` when none of them found a file `viewer` may order.
pub async fn add_selections(
    state: &AppState,
    owner: &str,
    viewer: &Viewer,
    selections: &[Selection],
) -> Result<Option<BasketContent>, BasketError> {
    let mut last = None;
    for selection in selections {
        if let Some(content) = add_selection(state, owner, viewer, selection).await? {
            last = Some(content);
        }
    }
    Ok(last)
}

/// One selection being added.
struct Adding<'a> {
    compiler: &'a Compiler,
    query: &'a str,
    frozen: &'a str,
    selection: String,
    now: Timestamp,
}

/// Adds the selection to a dataset's selection (created when missing), dated now — moved on by a
/// millisecond while the date is taken, dates being the items' keys. Returns the dataset selection.
async fn add_item(
    tx: &mut Conn,
    adding: &Adding<'_>,
    basket_id: i64,
    dataset: &DatasetRow,
    counters: Counters,
) -> Result<i64, BasketError> {
    let selection_id =
        rows::dataset_selection(tx, basket_id, dataset.id, &dataset.ip_id, &dataset.label).await?;
    let taken: HashSet<Timestamp> = rows::items_of(tx, selection_id)
        .await?
        .into_iter()
        .map(|i| i.date)
        .collect();
    let mut date = adding.now;
    while taken.contains(&date) {
        date = Timestamp(date.millis() + 1);
    }
    let (request, counters) = if date == adding.now {
        (adding.frozen.to_owned(), counters)
    } else {
        let request = freeze(adding.query, date);
        let condition = adding.compiler.compile(&request)?;
        (
            request,
            counters_in((tx, adding.compiler.backend), &condition, dataset.id).await?,
        )
    };
    let item = BasketItemRecord {
        basket_dataset_id: selection_id,
        date,
        open_search_request: request,
        request: adding.query.to_owned(),
        selection: adding.selection.clone(),
        counters,
    };
    rows::insert_item(tx, &item).await?;
    Ok(selection_id)
}

/// Removes the item selection dated `date` (as the basket shows it) from a dataset selection; the
/// dataset selection goes with its last item. `None` when the user has no basket.
pub async fn remove_item(
    state: &AppState,
    owner: &str,
    viewer: &Viewer,
    selection_id: i64,
    date: &str,
) -> Result<Option<BasketContent>, BasketError> {
    let parsed = Timestamp::parse_iso(date.trim()).ok_or_else(|| {
        BasketError::BadDate(format!(
            "Invalid date {date:?}: expected an ISO-8601 date such as 2018-04-03T14:20:00.383Z"
        ))
    })?;
    let compiler = Compiler::new(state).await?;
    let orderable = orderable(state, viewer).await?;
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let Some(basket_id) =
        rows::lock_basket(&mut tx, state.store.backend(), owner, false, now).await?
    else {
        return Ok(None);
    };
    let dataset_id = owned_selection(&mut tx, basket_id, selection_id).await?;
    if !rows::delete_item(&mut tx, selection_id, parsed).await? {
        return Err(BasketError::NotFound(format!(
            "Dataset selection {selection_id} has no items selection dated {}",
            parsed.to_iso()
        )));
    }
    refresh(
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

/// Removes a whole dataset selection. `None` when the user has no basket.
pub async fn remove_dataset(
    state: &AppState,
    owner: &str,
    selection_id: i64,
) -> Result<Option<BasketContent>, BasketError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    let Some(basket_id) =
        rows::lock_basket(&mut tx, state.store.backend(), owner, false, now).await?
    else {
        return Ok(None);
    };
    owned_selection(&mut tx, basket_id, selection_id).await?;
    rows::delete_dataset_selection(&mut tx, basket_id, selection_id).await?;
    let content = rows::load_basket(&mut tx, basket_id).await?;
    commit(tx).await?;
    Ok(Some(content))
}

/// Empties and removes the user's basket (nothing to do when there is none).
pub async fn empty(state: &AppState, owner: &str) -> Result<(), BasketError> {
    let mut tx = state.store.begin_write().await?;
    let now = state.clock.now();
    if let Some(basket_id) =
        rows::lock_basket(&mut tx, state.store.backend(), owner, false, now).await?
    {
        rows::delete_basket(&mut tx, basket_id).await?;
    }
    commit(tx).await?;
    Ok(())
}

/// The dataset of a selection of this basket, or 404.
async fn owned_selection(
    tx: &mut Conn,
    basket_id: i64,
    selection_id: i64,
) -> Result<i64, BasketError> {
    let content = rows::load_basket(tx, basket_id).await?;
    content
        .datasets
        .iter()
        .find(|(selection, _)| selection.id == selection_id)
        .map(|(selection, _)| selection.dataset_id)
        .ok_or_else(|| {
            BasketError::NotFound(format!(
                "Dataset selection {selection_id} is not in your basket"
            ))
        })
}

/// The counters of the objects of one dataset matching a condition.
async fn counters_in(
    conn: (&mut Conn, Backend),
    condition: &Condition,
    dataset_id: i64,
) -> Result<Counters, StoreError> {
    let rows = summary_in(conn, condition, &Scope::Only(vec![dataset_id]), true).await?;
    Ok(rows.first().map_or(Counters::default(), |row| row.counters))
}

pub use filters::update_file_filters;

/// Rebuilds dataset selections `(id, dataset)` from their items: the OR of their requests in canonical
/// form, counted in its own dataset only (an object selected twice counts once); under its file filter
/// when it has one (`filters::refresh_filtered`). A selection of one item
/// counts what its item counts; selections with the same items are counted by one query; a selection
/// without items goes. Datasets not `orderable` (rights withdrawn since the add) count nothing.
async fn refresh(
    tx: &mut Conn,
    compiler: &Compiler,
    orderable: &Datasets,
    basket_id: i64,
    selections: &[(i64, i64)],
) -> Result<(), BasketError> {
    let mut groups: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for &(selection_id, dataset_id) in selections {
        let items = rows::items_of(tx, selection_id).await?;
        let requests: Vec<&str> = items
            .iter()
            .map(|i| i.open_search_request.as_str())
            .collect();
        if !items.is_empty() {
            let target = (selection_id, dataset_id);
            let request = combine(&requests);
            if filters::refresh_filtered(tx, compiler, orderable, target, &request).await? {
                continue;
            }
        }
        match items.as_slice() {
            [] => {
                rows::delete_dataset_selection(tx, basket_id, selection_id).await?;
            }
            [only] => {
                // Counted as its item, but checked as the order's expansion will read it.
                let request = combine(&requests);
                compiler.compile(&request)?;
                let counters = if orderable.contains(dataset_id) {
                    only.counters
                } else {
                    Counters::default()
                };
                rows::update_dataset_selection(tx, selection_id, &request, &counters).await?
            }
            _ => groups
                .entry(combine(&requests))
                .or_default()
                .push((selection_id, dataset_id)),
        }
    }
    for (request, members) in groups {
        let datasets: Vec<i64> = members
            .iter()
            .map(|(_, dataset)| *dataset)
            .filter(|dataset| orderable.contains(*dataset))
            .collect();
        let found = summary_in(
            (tx, compiler.backend),
            &compiler.compile(&request)?,
            &Scope::Only(datasets),
            true,
        )
        .await?;
        for (selection_id, dataset_id) in members {
            let counters = found
                .iter()
                .find(|row| row.dataset_id == dataset_id)
                .map_or(Counters::default(), |row| row.counters);
            rows::update_dataset_selection(tx, selection_id, &request, &counters).await?;
        }
    }
    Ok(())
}
