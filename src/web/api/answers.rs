//! Profiling answers of accounts, contacts and deals.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::crm::profiling::{self, Answers, Subject};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, PathId};

type Changes = serde_json::Map<String, serde_json::Value>;

/// Declares GET and PUT of one kind of record's answers.
macro_rules! answers_of {
    ($module:ident, $subject:expr, $tag:tt, $path:tt) => {
        mod $module {
            use super::*;

            #[utoipa::path(get, path = $path, tag = $tag,
                params(("id" = String, Path, format = Uuid)),
                responses((status = 200, body = Answers), (status = 404, body = ErrorBody)))]
            pub async fn get_answers(
                State(store): State<Store>,
                actor: Actor,
                PathId(id): PathId,
            ) -> Result<Json<Answers>, Error> {
                Ok(Json(profiling::answers(&store, &actor, $subject, id).await?))
            }

            /// Merges `{question_key: value}`; `null` clears a key.
            #[utoipa::path(put, path = $path, tag = $tag,
                params(("id" = String, Path, format = Uuid)),
                request_body(content = Object, description = "`{question_key: value}`"),
                responses((status = 200, body = Answers), (status = 404, body = ErrorBody),
                          (status = 422, body = ErrorBody)))]
            pub async fn put_answers(
                State(store): State<Store>,
                actor: Actor,
                PathId(id): PathId,
                ApiJson(changes): ApiJson<Changes>,
            ) -> Result<Json<Answers>, Error> {
                Ok(Json(profiling::put_answers(&store, &actor, $subject, id, changes).await?))
            }

            pub fn routes() -> OpenApiRouter<AppState> {
                OpenApiRouter::new().routes(routes!(get_answers, put_answers))
            }
        }
    };
}

answers_of!(
    accounts,
    Subject::Account,
    "accounts",
    "/accounts/{id}/answers"
);
answers_of!(
    contacts,
    Subject::Contact,
    "contacts",
    "/contacts/{id}/answers"
);
answers_of!(deals, Subject::Deal, "deals", "/deals/{id}/answers");

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(contacts::routes())
        .merge(deals::routes())
}
