//! The audit log, for managers, legal and admins.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::audit::{self, AuditFilter, AuditPage};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::ListArgs;

/// Entries newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(ListParams, AuditFilter),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<AuditFilter>,
) -> Result<Json<AuditPage>, Error> {
    Ok(Json(
        audit::list(&store, &actor, &args.params, &args.filter).await?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}
