//! Generated documents: generate, list, read, download and verify. A
//! document never changes once made, so there is no PATCH and no DELETE.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, PageBody, RawPage};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::documents::generate::{self, GenerateRequest, Verification};
use crate::documents::{self, DocumentFilter, GeneratedDocument};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ListArgs, PathId};

/// Generates and keeps a document: `422` with `error.missing` when the
/// subject lacks fields the document prints.
#[utoipa::path(post, path = "/documents", tag = "documents", request_body = GenerateRequest,
    responses((status = 201, body = GeneratedDocument), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(request): ApiJson<GenerateRequest>,
) -> Result<(StatusCode, HeaderMap, Json<GeneratedDocument>), Error> {
    let document = generate::generate(&store, &actor, request).await?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/documents/{}", document.meta.id))
    {
        headers.insert(LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(document)))
}

/// The documents the caller may read (a rep: their own), oldest first.
#[utoipa::path(get, path = "/documents", tag = "documents",
    params(ListParams, DocumentFilter),
    responses((status = 200, body = PageBody<GeneratedDocument>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn list(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<DocumentFilter>,
) -> Result<RawPage, Error> {
    Ok(documents::list(&store, &actor, &args.params, &args.filter)
        .await?
        .into())
}

#[utoipa::path(get, path = "/documents/{id}", tag = "documents",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = GeneratedDocument), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<GeneratedDocument>, Error> {
    Ok(Json(documents::get(&store, &actor, id).await?))
}

/// The file, with its content type and file name.
#[utoipa::path(get, path = "/documents/{id}/content", tag = "documents",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the document's file", content_type = "application/pdf"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn content(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Response, Error> {
    let (document, bytes) = documents::content(&store, &actor, id).await?;
    let header =
        |value: String| HeaderValue::from_str(&value).map_err(|e| Error::Internal(e.to_string()));
    Ok((
        [
            (CONTENT_TYPE, header(document.content_type)?),
            (
                CONTENT_DISPOSITION,
                header(content_disposition(&document.file_name))?,
            ),
            (ETAG, header(format!("\"{}\"", document.sha256))?),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Makes the document again from its record and compares the bytes.
#[utoipa::path(get, path = "/documents/{id}/verify", tag = "documents",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Verification), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn verify(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Verification>, Error> {
    Ok(Json(generate::verify(&store, &actor, id).await?))
}

/// `attachment` with the name as ASCII (for old clients) and as UTF-8.
fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get))
        .routes(routes!(content))
        .routes(routes!(verify))
}
