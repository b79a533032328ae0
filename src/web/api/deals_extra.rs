//! A deal's contacts and stage history.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items};
use crate::auth::Actor;
use crate::crm::deal_contacts::{self, DealContact, DealContactsInput};
use crate::crm::deals::{self, StageChange};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, PathId};

#[utoipa::path(get, path = "/deals/{id}/contacts", tag = "deals",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Items<DealContact>), (status = 404, body = ErrorBody)))]
async fn get_deal_contacts(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Items<DealContact>>, Error> {
    Ok(Json(Items {
        items: deal_contacts::list(&store, &actor, id).await?,
    }))
}

/// Replaces the deal's contacts and their roles.
#[utoipa::path(put, path = "/deals/{id}/contacts", tag = "deals",
    params(("id" = String, Path, format = Uuid)),
    request_body = DealContactsInput,
    responses((status = 200, body = Items<DealContact>), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn put_deal_contacts(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DealContactsInput>,
) -> Result<Json<Items<DealContact>>, Error> {
    Ok(Json(Items {
        items: deal_contacts::replace(&store, &actor, id, input).await?,
    }))
}

#[utoipa::path(get, path = "/deals/{id}/stage-history", tag = "deals",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Items<StageChange>), (status = 404, body = ErrorBody)))]
async fn stage_history(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Items<StageChange>>, Error> {
    Ok(Json(Items {
        items: deals::stage_history(&store, &actor, id).await?,
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_deal_contacts, put_deal_contacts))
        .routes(routes!(stage_history))
}
