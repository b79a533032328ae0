//! A clause's versions and their way through legal review: write, change
//! a draft, submit, approve, reject, retire; the diff legal reads, the
//! review queue, and where a version is used. The clause records
//! themselves are a collection in `crud`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items, created};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::clauses::diff::{self, DiffParams, VersionDiff};
use crate::clauses::usage::{self, WhereUsed};
use crate::clauses::versions::{self, ClauseVersion, NewVersion, VersionFilter, VersionPatch};
use crate::clauses::workflow::{self, Review, ReviewItem};
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery, ListArgs, PathId, PathText};

type Answer = Result<Json<ClauseVersion>, Error>;

/// Every version of the clause, by variant, newest first.
#[utoipa::path(get, path = "/clauses/{id}/versions", tag = "clauses",
    params(("id" = String, Path, description = "the clause's key or id"), VersionFilter),
    responses((status = 200, body = Items<ClauseVersion>), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
    ApiQuery(filter): ApiQuery<VersionFilter>,
) -> Result<Json<Items<ClauseVersion>>, Error> {
    policy::allow(&actor, Action::ReadCatalog)?;
    let (_, items) = versions::list(&store, &key, &filter).await?;
    Ok(Json(Items { items }))
}

/// Writes a new draft version: of the `default` variant unless `variant`
/// names another, which needs a `rule`.
#[utoipa::path(post, path = "/clauses/{id}/versions", tag = "clauses",
    params(("id" = String, Path, description = "the clause's key or id")),
    request_body = NewVersion,
    responses((status = 201, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_version(
    State(store): State<Store>,
    actor: Actor,
    PathText(key): PathText,
    ApiJson(input): ApiJson<NewVersion>,
) -> Result<(StatusCode, HeaderMap, Json<ClauseVersion>), Error> {
    let version = versions::create(&store, &actor, &key, input).await?;
    Ok(created(
        &format!("/clause-versions/{}", version.meta.id),
        version,
    ))
}

#[utoipa::path(get, path = "/clause-versions/{id}", tag = "clauses",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClauseVersion), (status = 404, body = ErrorBody)))]
async fn get_version(State(store): State<Store>, actor: Actor, PathId(id): PathId) -> Answer {
    policy::allow(&actor, Action::ReadCatalog)?;
    Ok(Json(versions::get(&store, id).await?))
}

/// Changes a draft (409 once it is in review or later: write a new
/// version).
#[utoipa::path(patch, path = "/clause-versions/{id}", tag = "clauses",
    params(("id" = String, Path, format = Uuid)), request_body = VersionPatch,
    responses((status = 200, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_version(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<VersionPatch>,
) -> Answer {
    Ok(Json(versions::update(&store, &actor, id, patch).await?))
}

/// Puts a draft in front of legal.
#[utoipa::path(post, path = "/clause-versions/{id}/submit", tag = "clauses",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn submit(State(store): State<Store>, actor: Actor, PathId(id): PathId) -> Answer {
    Ok(Json(workflow::submit(&store, &actor, id).await?))
}

/// Legal approves a version in review; the variant's approved version, if
/// any, is retired.
#[utoipa::path(post, path = "/clause-versions/{id}/approve", tag = "clauses",
    params(("id" = String, Path, format = Uuid)), request_body = Review,
    responses((status = 200, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn approve(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(review): ApiJson<Review>,
) -> Answer {
    Ok(Json(
        workflow::decide(&store, &actor, id, true, review).await?,
    ))
}

/// Legal rejects a version in review, saying why (`comment`).
#[utoipa::path(post, path = "/clause-versions/{id}/reject", tag = "clauses",
    params(("id" = String, Path, format = Uuid)), request_body = Review,
    responses((status = 200, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(review): ApiJson<Review>,
) -> Answer {
    Ok(Json(
        workflow::decide(&store, &actor, id, false, review).await?,
    ))
}

/// Legal takes an approved version out of use, saying why (`comment`).
#[utoipa::path(post, path = "/clause-versions/{id}/retire", tag = "clauses",
    params(("id" = String, Path, format = Uuid)), request_body = Review,
    responses((status = 200, body = ClauseVersion), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn retire(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(review): ApiJson<Review>,
) -> Answer {
    Ok(Json(workflow::retire(&store, &actor, id, review).await?))
}

/// The version's text word by word against `against`, else its variant's
/// approved version (for an approved one: the one approved before).
#[utoipa::path(get, path = "/clause-versions/{id}/diff", tag = "clauses",
    params(("id" = String, Path, format = Uuid), DiffParams),
    responses((status = 200, body = VersionDiff), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn version_diff(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<DiffParams>,
) -> Result<Json<VersionDiff>, Error> {
    policy::allow(&actor, Action::ReadCatalog)?;
    Ok(Json(diff::diff(&store, id, params.against).await?))
}

/// No filters beyond paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoFilter {}

/// The templates that print the version's clause, and the documents that
/// printed this very version (with deal, rep and date), a page at a time.
#[utoipa::path(get, path = "/clause-versions/{id}/where-used", tag = "clauses",
    params(("id" = String, Path, format = Uuid), ListParams),
    responses((status = 200, body = WhereUsed), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn where_used(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    args: ListArgs<NoFilter>,
) -> Result<Json<WhereUsed>, Error> {
    Ok(Json(
        usage::where_used(&store, &actor, id, &args.params).await?,
    ))
}

/// The review queue: every version in review, oldest submission first,
/// each with its clause and its diff against the approved text.
#[utoipa::path(get, path = "/clause-reviews", tag = "clauses",
    responses((status = 200, body = Items<ReviewItem>)))]
async fn reviews(
    State(store): State<Store>,
    actor: Actor,
) -> Result<Json<Items<ReviewItem>>, Error> {
    policy::allow(&actor, Action::ReadCatalog)?;
    Ok(Json(Items {
        items: workflow::queue(&store).await?,
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version, update_version))
        .routes(routes!(submit))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(retire))
        .routes(routes!(version_diff))
        .routes(routes!(where_used))
        .routes(routes!(reviews))
}
