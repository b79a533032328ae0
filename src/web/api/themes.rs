//! A theme's saved versions. The theme records themselves are a collection
//! in `crud`.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items};
use crate::auth::Actor;
use crate::brand::themes::{self, ThemeVersion};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::PathId;

/// Every state the theme was saved in, newest first; a version never
/// changes.
#[utoipa::path(get, path = "/themes/{id}/versions", tag = "themes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Items<ThemeVersion>), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Items<ThemeVersion>>, Error> {
    Ok(Json(Items {
        items: themes::versions(&store, &actor, id).await?,
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_versions))
}
