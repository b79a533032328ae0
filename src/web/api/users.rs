//! Users, managed by admins. There is no delete: a user is deactivated.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::crud::{create, list};
use super::{ErrorBody, PageBody, RawJson, RawPage};
use crate::auth::Actor;
use crate::auth::users::{self, ReassignInput, Reassigned, User, UserFilter, UserInput};
use crate::crm::{self, ListParams};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ListArgs, PathId};

type Patch = serde_json::Map<String, serde_json::Value>;

#[utoipa::path(get, path = "/users", tag = "users", params(ListParams, UserFilter),
    responses((status = 200, body = PageBody<User>), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<UserFilter>,
) -> Result<RawPage, Error> {
    list::<User>(store, actor, args).await
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = User), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<(StatusCode, HeaderMap, Json<User>), Error> {
    create::<User>(store, actor, input, "/users").await
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = User), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get_user(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<RawJson, Error> {
    Ok(RawJson(crm::get_json::<User>(&store, &actor, id).await?))
}

/// Changes `role`, `active`, `name`, `title` or `phone`; deactivating ends
/// the user's sessions.
#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = UserInput, description = "the fields to change, plus the `version` read"),
    responses((status = 200, body = User), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_user(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<Json<User>, Error> {
    Ok(Json(crm::update::<User>(&store, &actor, id, patch).await?))
}

/// Moves every account, contact and deal the user owns to another user.
#[utoipa::path(post, path = "/users/{id}/reassign", tag = "users",
    params(("id" = String, Path, format = Uuid)), request_body = ReassignInput,
    responses((status = 200, body = Reassigned), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reassign(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ReassignInput>,
) -> Result<Json<Reassigned>, Error> {
    Ok(Json(users::reassign(&store, &actor, id, input).await?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, patch_user))
        .routes(routes!(reassign))
}
