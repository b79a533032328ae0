//! A template's published versions, starting a new draft, and publishing.
//! The template records themselves are a collection in `crud`.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items};
use crate::auth::Actor;
use crate::error::Error;
use crate::store::Store;
use crate::templates::store::{self, Template, TemplateVersion};
use crate::web::AppState;
use crate::web::extract::PathText;

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

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions, start_draft))
        .routes(routes!(publish))
}
