//! Relationships between contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items};
use crate::auth::Actor;
use crate::crm::relationships::{self, Relationship, RelationshipInput};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, PathId, PathIds};

#[utoipa::path(get, path = "/contacts/{id}/relationships", tag = "contacts",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Items<Relationship>), (status = 404, body = ErrorBody)))]
async fn list_relationships(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Items<Relationship>>, Error> {
    Ok(Json(Items {
        items: relationships::list(&store, &actor, id).await?,
    }))
}

#[utoipa::path(post, path = "/contacts/{id}/relationships", tag = "contacts",
    params(("id" = String, Path, format = Uuid)),
    request_body = RelationshipInput,
    responses((status = 201, body = Relationship), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_relationship(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(input): ApiJson<RelationshipInput>,
) -> Result<(StatusCode, Json<Relationship>), Error> {
    let r = relationships::create(&store, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(delete, path = "/contacts/{id}/relationships/{relationship_id}", tag = "contacts",
    params(("id" = String, Path, format = Uuid), ("relationship_id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_relationship(
    State(store): State<Store>,
    actor: Actor,
    PathIds(ids): PathIds,
) -> Result<StatusCode, Error> {
    let [contact, relationship] = ids[..] else {
        return Err(Error::bad_request(
            "path",
            "expected a contact and a relationship id",
        ));
    };
    relationships::delete(&store, &actor, contact, relationship).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_relationships, create_relationship))
        .routes(routes!(delete_relationship))
}
