//! Segments' summaries, and batches: start one, follow its progress, list
//! its items and download its documents as a ZIP. The segment records
//! themselves are a collection in `crud`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, PageBody, RawPage, created, streamed};
use crate::auth::Actor;
use crate::batches::{self, Batch, BatchFilter, BatchRequest, ItemFilter, ItemPage, Progress};
use crate::crm::ListParams;
use crate::error::Error;
use crate::segments::{self, members};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery, ListArgs, PathId, PathText};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SummaryParams {
    /// A template to check each record's readiness for.
    template: Option<String>,
}

/// How many records the segment holds (for a rep: of their own) and, for
/// a template, how many are ready and which fields are most often blank,
/// with the records to fill.
#[utoipa::path(get, path = "/segments/{id}/summary", tag = "batches",
    params(("id" = String, Path, description = "the segment's key or id"), SummaryParams),
    responses((status = 200, body = members::Summary), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    actor: Actor,
    PathText(key): PathText,
    ApiQuery(params): ApiQuery<SummaryParams>,
) -> Result<Json<members::Summary>, Error> {
    let segment = segments::by_key(&state.store, &key).await?;
    Ok(Json(
        members::summary(&state.store, &actor, &segment, params.template.as_deref()).await?,
    ))
}

/// Starts a batch: the segment's records (for a rep: their own) are fixed
/// as its items, and the server's workers make their documents.
#[utoipa::path(post, path = "/batches", tag = "batches", request_body = BatchRequest,
    responses((status = 201, body = Batch), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<BatchRequest>,
) -> Result<(StatusCode, HeaderMap, Json<Batch>), Error> {
    let batch = batches::create(&state.store, &actor, request).await?;
    state.batches.notify_one();
    Ok(created(&format!("/batches/{}", batch.meta.id), batch))
}

/// The batches the caller started (everyone's for the roles that read
/// every document), oldest first.
#[utoipa::path(get, path = "/batches", tag = "batches",
    params(ListParams, BatchFilter),
    responses((status = 200, body = PageBody<Batch>), (status = 400, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    args: ListArgs<BatchFilter>,
) -> Result<RawPage, Error> {
    Ok(
        batches::list(&state.store, &actor, &args.params, &args.filter)
            .await?
            .into(),
    )
}

/// The batch and its progress: items pending, being made, done, skipped
/// and failed, the rate and the time left.
#[utoipa::path(get, path = "/batches/{id}", tag = "batches",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Progress), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn progress(
    State(state): State<AppState>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Progress>, Error> {
    Ok(Json(batches::progress(&state.store, &actor, id).await?))
}

/// The batch's items in order, each with its document or why it has none;
/// `?status=skipped` or `failed` lists the problems.
#[utoipa::path(get, path = "/batches/{id}/items", tag = "batches",
    params(("id" = String, Path, format = Uuid), ListParams, ItemFilter),
    responses((status = 200, body = ItemPage), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn items(
    State(state): State<AppState>,
    actor: Actor,
    PathId(id): PathId,
    args: ListArgs<ItemFilter>,
) -> Result<Json<ItemPage>, Error> {
    Ok(Json(
        batches::items(&state.store, &actor, id, &args.params, &args.filter).await?,
    ))
}

/// The documents made so far as one ZIP, with `batch.csv` listing every
/// record: its file, or why it has none.
#[utoipa::path(get, path = "/batches/{id}/archive", tag = "batches",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the ZIP", content_type = "application/zip"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn archive(
    State(state): State<AppState>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Response, Error> {
    let batch = batches::get(&state.store, &actor, id).await?;
    let name = batches::archive::file_name(&batch.template, &batch.segment_key, id);
    let store = state.store.clone();
    streamed("application/zip", &name, move |sender| async move {
        batches::archive::write(&store, &actor, id, sender).await
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(create, list))
        .routes(routes!(progress))
        .routes(routes!(items))
        .routes(routes!(archive))
}
