//! The workspace settings: everyone reads them, admins change them.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::error::Error;
use crate::settings::{self, Settings, SettingsDocument};
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::ApiJson;

type Patch = serde_json::Map<String, serde_json::Value>;

#[utoipa::path(get, path = "/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody)))]
async fn get_settings(State(store): State<Store>, _actor: Actor) -> Result<Json<Settings>, Error> {
    Ok(Json(settings::get(&store).await?))
}

/// A JSON merge patch: objects merge, `null` resets a field to its default,
/// arrays are replaced; `version` is required.
#[utoipa::path(patch, path = "/settings", tag = "settings",
    request_body(content = SettingsDocument, description = "the fields to change, plus the `version` read"),
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_settings(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<Json<Settings>, Error> {
    Ok(Json(settings::update(&store, &actor, patch).await?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, patch_settings))
}
