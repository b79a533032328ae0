//! Readiness of a deal, contact or account for a template: the blank
//! fields the document would print, each with the path that fills it.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::context::Subject;
use crate::context::readiness::{self, Readiness};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiQuery, PathId};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// The template's key; its published version is checked.
    pub template: String,
}

async fn check(
    store: &Store,
    actor: &Actor,
    subject: Subject,
    query: &ReadinessQuery,
) -> Result<Json<Readiness>, Error> {
    Ok(Json(
        readiness::check(store, actor, subject, &query.template).await?,
    ))
}

/// Missing fields of the deal, its account, primary contact and owner.
#[utoipa::path(get, path = "/deals/{id}/readiness", tag = "readiness",
    params(("id" = String, Path, format = Uuid), ReadinessQuery),
    responses((status = 200, body = Readiness), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn deal(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<ReadinessQuery>,
) -> Result<Json<Readiness>, Error> {
    check(&store, &actor, Subject::Deal(id), &query).await
}

/// Missing fields of the contact, its account and owner.
#[utoipa::path(get, path = "/contacts/{id}/readiness", tag = "readiness",
    params(("id" = String, Path, format = Uuid), ReadinessQuery),
    responses((status = 200, body = Readiness), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn contact(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<ReadinessQuery>,
) -> Result<Json<Readiness>, Error> {
    check(&store, &actor, Subject::Contact(id), &query).await
}

/// Missing fields of the account and its owner.
#[utoipa::path(get, path = "/accounts/{id}/readiness", tag = "readiness",
    params(("id" = String, Path, format = Uuid), ReadinessQuery),
    responses((status = 200, body = Readiness), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn account(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<ReadinessQuery>,
) -> Result<Json<Readiness>, Error> {
    check(&store, &actor, Subject::Account(id), &query).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deal))
        .routes(routes!(contact))
        .routes(routes!(account))
}
