//! Generated documents: generate, list, read, download, verify and send.
//! A document never changes once made, so there is no PATCH and no DELETE.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items, PageBody, RawPage, created, immutable_file};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::documents::generate::{self, GenerateRequest, Verification};
use crate::documents::send::{self, Sending};
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
    Ok(created(
        &format!("/documents/{}", document.meta.id),
        document,
    ))
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
    immutable_file(
        &document.content_type,
        &document.sha256,
        Some(&document.file_name),
        bytes,
    )
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

/// E-mails the document to the contact it was made for, through the mail
/// server in the settings: `201` with the sending once the server accepted
/// it, `502` (`send_failed`) when it did not, the attempt recorded either way.
#[utoipa::path(post, path = "/documents/{id}/send", tag = "documents",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = Sending), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn send_document(
    State(state): State<AppState>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<(StatusCode, HeaderMap, Json<Sending>), Error> {
    let credentials = state.options.smtp_credentials.as_ref();
    let sending = send::send(&state.store, &actor, credentials, id).await?;
    Ok(created(
        &format!("/documents/{id}/sendings/{}", sending.meta.id),
        sending,
    ))
}

/// Every attempt to send the document, oldest first.
#[utoipa::path(get, path = "/documents/{id}/sendings", tag = "documents",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Items<Sending>), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn sendings(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Items<Sending>>, Error> {
    Ok(Json(Items {
        items: send::list(&store, &actor, id).await?,
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get))
        .routes(routes!(content))
        .routes(routes!(verify))
        .routes(routes!(send_document))
        .routes(routes!(sendings))
}
