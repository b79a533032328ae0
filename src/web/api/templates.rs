//! A template's published versions, starting a new draft, publishing, and
//! trying a source out before it is saved. The template records themselves
//! are a collection in `crud`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items};
use crate::auth::Actor;
use crate::documents::tryout::{self, Tryout};
use crate::error::Error;
use crate::store::{Id, Store};
use crate::templates::store::{self, Template, TemplateVersion};
use crate::web::AppState;
use crate::web::extract::{ApiJson, PathText};

/// The published versions, newest first; each is what documents made from
/// it were generated from, and never changes.
#[utoipa::path(get, path = "/templates/{id}/versions", tag = "templates",
    params(("id" = String, Path, description = "the template's key or id")),
    responses((status = 200, body = Items<TemplateVersion>), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
) -> Result<Json<Items<TemplateVersion>>, Error> {
    Ok(Json(Items {
        items: store::versions(&store, &actor, &key).await?,
    }))
}

/// Starts a new draft from the published version (409 if there is a draft
/// already).
#[utoipa::path(post, path = "/templates/{id}/versions", tag = "templates",
    params(("id" = String, Path, description = "the template's key or id")),
    responses((status = 200, body = Template), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start_draft(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
) -> Result<Json<Template>, Error> {
    Ok(Json(store::new_draft(&store, &actor, &key).await?))
}

/// Publishes the draft as the next version, after loading it with every
/// template it includes or extends (422 if that fails, 409 without a
/// draft).
#[utoipa::path(post, path = "/templates/{id}/publish", tag = "templates",
    params(("id" = String, Path, description = "the template's key or id")),
    responses((status = 200, body = Template), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn publish(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
) -> Result<Json<Template>, Error> {
    Ok(Json(store::publish(&store, &actor, &key).await?))
}

/// A source to try out as the template, and the deal to try it on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The template's source as being edited; it need not be saved.
    pub source: String,
    pub deal_id: Id,
}

/// Renders `source` as the template for the deal, as a draft document
/// would be (DRAFT marks, blank fields named where they print), with the
/// published templates it includes, and keeps nothing. A source that fails
/// is answered 200 with `error` (its line and column when they are known)
/// and no `html`; `missing` lists the deal's fields the source prints
/// blank.
#[utoipa::path(post, path = "/templates/{id}/preview", tag = "templates",
    params(("id" = String, Path, description = "the template's key or id")),
    request_body = PreviewRequest,
    responses((status = 200, body = Tryout), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<Tryout>, Error> {
    let tried = tryout::try_source(&store, &actor, &key, &request.source, request.deal_id).await?;
    Ok(Json(tried))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions, start_draft))
        .routes(routes!(publish))
        .routes(routes!(preview))
}
