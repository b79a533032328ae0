//! Image assets: upload (multipart, checked by content and size), list,
//! read, and the bytes. Uploaded versions never change, so there is no
//! PATCH and no DELETE.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, PageBody, RawPage, created, immutable_file};
use crate::auth::Actor;
use crate::brand::assets::{self, AssetFilter, StoredAsset};
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ListArgs, PathId, UPLOAD_LIMIT, Upload};

/// Uploads an image as the next version of its name: `multipart/form-data`
/// with a `file` part (PNG or JPEG, at most 5 MB and 10,000 pixels a side)
/// and an optional `name` part (else the file's name).
#[utoipa::path(post, path = "/assets", tag = "assets",
    request_body(content_type = "multipart/form-data", description = "`file`, and optionally `name`"),
    responses((status = 201, body = StoredAsset), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn upload(
    State(store): State<Store>,
    actor: Actor,
    upload: Upload,
) -> Result<(StatusCode, HeaderMap, Json<StoredAsset>), Error> {
    let mut fields = upload.fields;
    let name = fields
        .remove("name")
        .or(upload.file_name)
        .unwrap_or_default();
    if let Some(other) = fields.keys().next() {
        return Err(Error::invalid(
            other.clone(),
            "is not a part of an upload; send `file` and `name`",
        ));
    }
    let asset = assets::upload(&store, &actor, &name, upload.file).await?;
    Ok(created(&format!("/assets/{}", asset.meta.id), asset))
}

/// Every uploaded version, oldest first; `name` narrows to one name.
#[utoipa::path(get, path = "/assets", tag = "assets",
    params(ListParams, AssetFilter),
    responses((status = 200, body = PageBody<StoredAsset>), (status = 400, body = ErrorBody)))]
async fn list(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<AssetFilter>,
) -> Result<RawPage, Error> {
    Ok(assets::list(&store, &actor, &args.params, &args.filter)
        .await?
        .into())
}

#[utoipa::path(get, path = "/assets/{id}", tag = "assets",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = StoredAsset), (status = 404, body = ErrorBody)))]
async fn get(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<StoredAsset>, Error> {
    Ok(Json(assets::get(&store, &actor, id).await?))
}

/// The image itself, with its content type; it never changes, so clients
/// may keep it.
#[utoipa::path(get, path = "/assets/{id}/content", tag = "assets",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the image", content_type = "image/png"),
              (status = 404, body = ErrorBody)))]
async fn content(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Response, Error> {
    let (asset, bytes) = assets::content(&store, &actor, id).await?;
    immutable_file(&asset.content_type, &asset.sha256, None, bytes)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list))
        .routes(routes!(get))
        .routes(routes!(content))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}
