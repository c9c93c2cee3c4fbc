//! `GET /catalog/objects/{ipId}/quicklook`: an object's smallest quicklook, for the web application's
//! result pages, with the caller's rights on the object's metadata (docs/decisions.md "Web application").

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use futures::TryStreamExt;

use super::super::auth::RegisteredUser;
use super::super::extract::Path;
use crate::access;
use crate::app::AppState;
use crate::domain::access::Need;
use crate::error::{AppError, ErrorBody};
use crate::store::FileRow;

/// The quicklook types, smallest first, then the thumbnail.
const PREFERRED: [&str; 4] = ["QUICKLOOK_SD", "QUICKLOOK_MD", "QUICKLOOK_HD", "THUMBNAIL"];

#[utoipa::path(
    get, path = "/catalog/objects/{objectIpId}/quicklook", tag = "catalog",
    security(("bearer" = ["REGISTERED_USER"])),
    description = "The object's smallest quicklook (QUICKLOOK_SD, then MD, HD, THUMBNAIL) when the archive \
                   keeps it online; for whoever may see the object in the catalog.",
    params(("objectIpId" = String, Path, description = "The object's ipId")),
    responses(
        (status = OK, description = "The image, with its MIME type"),
        (status = BAD_REQUEST, body = ErrorBody), (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "Unknown or invisible object, no quicklook, or none kept online", body = ErrorBody),
    )
)]
pub(super) async fn quicklook(
    State(state): State<AppState>,
    RegisteredUser(caller): RegisteredUser,
    Path(ip_id): Path<String>,
) -> Result<Response, AppError> {
    let unknown = || AppError::NotFound(format!("Data object {ip_id} is unknown"));
    let (object, dataset) = state
        .store
        .object_of_ip_id(&ip_id)
        .await?
        .ok_or_else(unknown)?;
    let viewer = access::viewer(&state.config.access, &caller);
    let visible = access::datasets(
        state.store.as_ref(),
        &state.config.access,
        &viewer,
        Need::Metadata,
    )
    .await?;
    if !visible.contains(dataset) {
        return Err(unknown());
    }
    let files = state.store.files_of(&[object]).await?;
    let file = PREFERRED
        .iter()
        .find_map(|kind| files.iter().find(|f| f.data_type == *kind))
        .ok_or_else(|| AppError::NotFound(format!("Data object {ip_id} has no quicklook")))?;
    let body = online_bytes(&state, file).await?.ok_or_else(|| {
        AppError::NotFound(format!("The quicklook of {ip_id} is not kept online"))
    })?;
    Response::builder()
        .header(header::CONTENT_TYPE, file.mime_type.as_str())
        .header(header::CACHE_CONTROL, "private, max-age=300")
        .body(body)
        .map_err(|e| AppError::Internal(e.into()))
}

/// The bytes of a file of an online storage (a folder or a bucket); `None` elsewhere (nearline, external).
async fn online_bytes(state: &AppState, file: &FileRow) -> Result<Option<Body>, AppError> {
    let Some(storage) = file
        .storage
        .as_deref()
        .and_then(|name| state.storages.get(name))
    else {
        return Ok(None);
    };
    if storage.is_nearline() {
        return Ok(None);
    }
    if let Some(bucket) = storage.bucket() {
        let Some(key) = crate::storage::object_key(bucket.name(), &file.uri) else {
            return Ok(None);
        };
        let bytes = bucket
            .get(key, None)
            .await
            .map_err(|error| AppError::BadGateway(error.to_string()))?;
        return Ok(Some(Body::from_stream(
            bytes.map_err(std::io::Error::other),
        )));
    }
    let path = crate::storage::local_path(&file.uri);
    let root = storage.config.root.clone();
    let opened = tokio::task::spawn_blocking(move || crate::storage::open_within(&root, &path))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|error| AppError::Gone(format!("The quicklook cannot be read: {error}")))?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(opened));
    Ok(Some(Body::from_stream(stream)))
}
