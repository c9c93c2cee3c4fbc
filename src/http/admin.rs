//! Orders of every user, for operators (EXPLOIT and above): the seed's `GET /orders?user=` (JSON, or CSV
//! when `Accept: text/csv`), and current REGARDS' `POST /orders/search` and `POST /orders/csv` with the
//! filter body of docs/decisions.md ("Admin search filter body").

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Exploit;
use super::extract::{JsonBytes, Query, optional_json};
use super::orders::{OrderDto, order_resources};
use super::resource::{Page, PageParams};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::search::{OrderFilter, SearchRequest, Sort};
use crate::error::{AppError, ErrorBody};
use crate::store::{OrderLine, Store};
use crate::time::Timestamp;

/// Orders read from the database per CSV batch.
const CSV_BATCH: u64 = 1000;

pub const CSV_HEADER: &str = "ORDER_ID;CREATION_DATE;EXPIRATION_DATE;OWNER;STATUS;STATUS_DATE;PERCENT_COMPLETE;\
                              FILES_IN_ERROR;FILES_SIZE;FILES_COUNT";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_all_orders))
        .routes(routes!(search_orders))
        .routes(routes!(orders_csv))
}

/// `?user=&page=&size=` of the seed's admin list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListParams {
    /// Only this user's orders (their e-mail, exactly).
    pub user: Option<String>,
    /// Page number, 0 for the first page (JSON only).
    pub page: Option<u32>,
    /// Items per page (default from `orders.page_size`, at most 1000; JSON only).
    pub size: Option<u32>,
}

fn sort_of(query: Option<&str>) -> Result<Sort, AppError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    Sort::parse(
        pairs
            .iter()
            .filter(|(key, _)| key == "sort")
            .map(|(_, value)| value.as_str()),
    )
    .map_err(AppError::BadRequest)
}

/// The filter body; none (or only blanks) means every order.
fn search_request(body: &[u8]) -> Result<OrderFilter, AppError> {
    optional_json::<SearchRequest>(body)?
        .filter()
        .map_err(AppError::Unprocessable)
}

/// Whether the client asked for CSV (`text/csv`, or the seed's `test/csv`).
fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|media| media.split(';').next().unwrap_or("").trim())
        .any(|media| {
            media.eq_ignore_ascii_case("text/csv") || media.eq_ignore_ascii_case("test/csv")
        })
}

async fn page_of(
    state: &AppState,
    caller: &Caller,
    filter: &OrderFilter,
    sort: &Sort,
    params: &PageParams,
    base: &str,
) -> Result<Page<OrderDto>, AppError> {
    let request = params.resolve(state.config.orders.page_size)?;
    let (rows, total) = state
        .store
        .search_orders(filter, sort, request.offset(), request.limit())
        .await?;
    let items = order_resources(state, caller, rows).await?;
    Ok(Page::new(items, request, total as u64, base))
}

#[utoipa::path(
    get, path = "/orders", tag = "admin", security(("bearer" = ["EXPLOIT"])),
    description = "The seed's admin list: orders of every user (or of `user`), newest first, DELETED ones \
                   included. With `Accept: text/csv` (or the seed's `test/csv`): every matching order as CSV, \
                   by id, paging ignored.",
    params(AdminListParams, ("sort" = Option<Vec<String>>, Query, style = Form, explode,
            description = "`field[,asc|desc]`, repeatable; fields: id, owner, label, creationDate, expirationDate, \
                           status, statusDate. Default `creationDate,desc`.")),
    responses(
        (status = OK, description = "A page of orders, or the CSV",
         content((Page<OrderDto> = "application/json"), (String = "text/csv"))),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
    )
)]
async fn list_all_orders(
    State(state): State<AppState>,
    Exploit(caller): Exploit,
    Query(params): Query<AdminListParams>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let sort = sort_of(query.as_deref())?;
    let filter = OrderFilter {
        owner_is: params.user.clone(),
        ..OrderFilter::default()
    };
    if wants_csv(&headers) {
        return Ok(csv_response(state.store.clone(), filter));
    }
    let mut base = format!("{}/orders", state.public_url);
    if let Some(user) = &params.user {
        let user: String = url::form_urlencoded::byte_serialize(user.as_bytes()).collect();
        base.push_str(&format!("?user={user}"));
    }
    let page = PageParams {
        page: params.page,
        size: params.size,
    };
    let page = page_of(&state, &caller, &filter, &sort, &page, &base).await?;
    Ok(axum::Json(page).into_response())
}

#[utoipa::path(
    post, path = "/orders/search", tag = "admin", security(("bearer" = ["EXPLOIT"])),
    description = "Orders of every user that match the filter (all parts optional, ANDed; no body: every \
                   order), sorted (default `creationDate,desc`) and paged.",
    params(PageParams, ("sort" = Option<Vec<String>>, Query, style = Form, explode,
            description = "`field[,asc|desc]`, repeatable; fields: id, owner, label, creationDate, expirationDate, \
                           status, statusDate. Default `creationDate,desc`.")),
    request_body(content = SearchRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = OK, body = Page<OrderDto>),
        (status = BAD_REQUEST, description = "Malformed JSON, bad page or sort", body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "The filter is wrong (unknown status, empty INCLUDE...)",
         body = ErrorBody),
    )
)]
async fn search_orders(
    State(state): State<AppState>,
    Exploit(caller): Exploit,
    Query(params): Query<PageParams>,
    RawQuery(query): RawQuery,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<Page<OrderDto>>, AppError> {
    let filter = search_request(&body)?;
    let sort = sort_of(query.as_deref())?;
    let base = format!("{}/orders/search", state.public_url);
    Ok(axum::Json(
        page_of(&state, &caller, &filter, &sort, &params, &base).await?,
    ))
}

#[utoipa::path(
    post, path = "/orders/csv", tag = "admin", security(("bearer" = ["EXPLOIT"])),
    description = "Every order that matches the filter as CSV (`;` separated, by id, ISO dates, empty field for \
                   a missing date), streamed.",
    request_body(content = SearchRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = OK, description = "orders.csv", content_type = "text/csv", body = String),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, body = ErrorBody), (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, body = ErrorBody),
    )
)]
async fn orders_csv(
    State(state): State<AppState>,
    Exploit(_caller): Exploit,
    JsonBytes(body): JsonBytes,
) -> Result<Response, AppError> {
    let filter = search_request(&body)?;
    Ok(csv_response(state.store.clone(), filter))
}

/// One CSV line, with its newline.
pub fn csv_line(line: &OrderLine) -> String {
    let order = &line.order;
    let date = |millis: i64| Timestamp(millis).to_iso();
    format!(
        "{};{};{};{};{};{};{};{};{};{}\n",
        order.id,
        date(order.creation_date),
        order.expiration_date.map(date).unwrap_or_default(),
        order.owner.replace([';', '\n', '\r'], " "),
        order.status,
        date(order.status_date),
        order.progress().percent(),
        order.error_files,
        line.files_size,
        line.files_count
    )
}

/// The CSV, read and sent a batch of orders at a time: memory stays flat whatever the number of orders.
fn csv_response(store: Arc<dyn Store>, filter: OrderFilter) -> Response {
    enum Next {
        Header,
        After(i64),
        End,
    }
    let lines = futures::stream::unfold(Next::Header, move |next| {
        let store = store.clone();
        let filter = filter.clone();
        async move {
            match next {
                Next::Header => Some((Ok(Bytes::from(format!("{CSV_HEADER}\n"))), Next::After(0))),
                Next::End => None,
                Next::After(after_id) => {
                    match store.order_lines(&filter, after_id, CSV_BATCH).await {
                        Ok(batch) if batch.is_empty() => None,
                        Ok(batch) => {
                            let last = batch.last().map_or(after_id, |line| line.order.id);
                            let text: String = batch.iter().map(csv_line).collect();
                            Some((Ok(Bytes::from(text)), Next::After(last)))
                        }
                        Err(error) => {
                            // The status is sent already: cut the body so the client sees it incomplete.
                            tracing::error!(%error, "the orders CSV stopped");
                            Some((Err(std::io::Error::other(error.to_string())), Next::End))
                        }
                    }
                }
            }
        }
    });
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv;charset=UTF-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment;filename=orders.csv"),
            ),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OrderRow;

    fn line(expiration: i64) -> OrderLine {
        OrderLine {
            order: OrderRow {
                id: 453,
                owner: "default_user@regards.fr".into(),
                label: "l".into(),
                creation_date: 1_522_765_200_383,
                expiration_date: (expiration > 0).then_some(expiration),
                status: crate::domain::order::OrderStatus::Running,
                status_date: 1_522_765_200_383,
                message: None,
                on_success_url: None,
                basket_id: None,
                expanded: 1,
                total_files: 4,
                total_bytes: 100,
                treated_files: 2,
                treated_bytes: 50,
                available_files: 1,
                error_files: 1,
                download_error_files: 0,
                available_update_date: None,
                access_groups: None,
            },
            files_size: 100,
            files_count: 4,
        }
    }

    #[test]
    fn a_line_has_ten_fields_and_iso_dates() {
        assert_eq!(
            csv_line(&line(1_523_024_400_383)),
            "453;2018-04-03T14:20:00.383Z;2018-04-06T14:20:00.383Z;default_user@regards.fr;RUNNING;\
             2018-04-03T14:20:00.383Z;50;1;100;4\n"
        );
        assert_eq!(CSV_HEADER.split(';').count(), 10);
        assert!(csv_line(&line(0)).starts_with("453;2018-04-03T14:20:00.383Z;;default_user"));
    }

    #[test]
    fn csv_is_asked_by_accept_with_the_seed_typo_too() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_str(accept).unwrap());
            wants_csv(&headers)
        };
        assert!(with("text/csv"));
        assert!(with("test/csv"));
        assert!(with("application/json, text/csv;q=0.5"));
        assert!(!with("application/json"));
        assert!(!wants_csv(&HeaderMap::new()));
    }

    #[test]
    fn sort_comes_from_every_sort_parameter() {
        assert_eq!(
            sort_of(Some("page=0&sort=owner%2Casc&sort=id,desc"))
                .unwrap()
                .order_by(),
            "owner ASC, id DESC"
        );
        assert!(matches!(
            sort_of(Some("sort=nope")),
            Err(AppError::BadRequest(_))
        ));
    }
}
