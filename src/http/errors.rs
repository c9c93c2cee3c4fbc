//! How the services' errors answer over HTTP: each error type maps to a status and its messages here, in
//! one place, so that no service depends on the HTTP layer.

use crate::access::AccessError;
use crate::auth::AuthError;
use crate::basket::BasketError;
use crate::catalog::search::CatalogError;
use crate::domain::selection::SelectionError;
use crate::download::{DownloadError, RETRY_AFTER_SECONDS};
use crate::error::AppError;
use crate::orders::OrderError;
use crate::quotas::{QuotaError, RATE_RETRY_AFTER};
use crate::store::StoreError;

/// Seconds a client is told to wait after a catalog query was stopped or found the catalog busy.
const RETRY_QUERY_AFTER: u64 = 10;

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::QueryTimeout(_) | StoreError::Busy => {
                AppError::RetryLater(error.to_string(), RETRY_QUERY_AFTER)
            }
            error => AppError::Internal(error.into()),
        }
    }
}

impl From<CatalogError> for AppError {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::Query(error) => AppError::unprocessable(error.to_string()),
            CatalogError::Store(error) => error.into(),
        }
    }
}

impl From<OrderError> for AppError {
    fn from(error: OrderError) -> AppError {
        match error {
            OrderError::EmptyBasket => {
                AppError::Internal(anyhow::anyhow!("an empty basket is answered before"))
            }
            OrderError::Invalid(code) => AppError::unprocessable(code),
            OrderError::TooLarge(message) => AppError::unprocessable(message),
            OrderError::NotFound(_) => AppError::NotFound(error.to_string()),
            OrderError::Forbidden(_) => AppError::Forbidden(error.to_string()),
            OrderError::Refused(_) => AppError::Unauthorized(error.to_string()),
            OrderError::Store(error) => error.into(),
        }
    }
}

impl From<BasketError> for AppError {
    fn from(error: BasketError) -> AppError {
        match error {
            BasketError::Selection(SelectionError::Empty) => {
                AppError::ExpectationFailed(error.to_string())
            }
            BasketError::Selection(SelectionError::NoEngineType | SelectionError::Query(_))
            | BasketError::Query(_) => AppError::unprocessable(error.to_string()),
            BasketError::NotFound(message) => AppError::NotFound(message),
            BasketError::BadDate(message) => AppError::BadRequest(message),
            BasketError::BadFilter(error) => AppError::BadRequest(error.to_string()),
            BasketError::Store(error) => error.into(),
        }
    }
}

impl From<DownloadError> for AppError {
    fn from(error: DownloadError) -> AppError {
        let message = error.to_string();
        match error {
            DownloadError::UnknownFile(_)
            | DownloadError::Expired(_)
            | DownloadError::NotDownloadable(..)
            | DownloadError::NotListed(_) => AppError::NotFound(message),
            DownloadError::Pending => AppError::NotYet(message, RETRY_AFTER_SECONDS),
            DownloadError::InError(_) => AppError::unprocessable(message),
            DownloadError::Evicted(_) => AppError::Gone(message),
            DownloadError::Forbidden(_) | DownloadError::Withdrawn(..) => {
                AppError::Forbidden(message)
            }
            DownloadError::WrongToken(_) => AppError::Unauthorized(message),
            DownloadError::Order(error) => error.into(),
            DownloadError::Store(error) => error.into(),
        }
    }
}

impl From<QuotaError> for AppError {
    fn from(error: QuotaError) -> AppError {
        let message = error.to_string();
        match error {
            QuotaError::Quota { retry_after, .. } => {
                AppError::TooManyRequests(message, retry_after)
            }
            QuotaError::Rate { .. } => AppError::TooManyRequests(message, Some(RATE_RETRY_AFTER)),
            QuotaError::Store(error) => error.into(),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> AppError {
        match error {
            AuthError::RoleTooLow { .. } => AppError::Forbidden(error.to_string()),
            _ => AppError::Unauthorized(error.to_string()),
        }
    }
}

impl From<AccessError> for AppError {
    fn from(error: AccessError) -> AppError {
        match error {
            AccessError::UnknownDataset(_) => AppError::NotFound(error.to_string()),
            AccessError::Invalid(message) => AppError::unprocessable(message),
            AccessError::Store(error) => error.into(),
        }
    }
}
