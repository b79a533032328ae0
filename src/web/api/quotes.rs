//! Quotes: create, read, list, change and delete, price an unsaved one,
//! and the way to the customer (submit, approve, reject, send, duplicate).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, PageBody, RawPage, created};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::error::Error;
use crate::quotes::workflow::{self, Decision};
use crate::quotes::{self, Figures, Quote, QuoteFilter, QuoteInput};
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ListArgs, PathId};

type Answer = Result<(StatusCode, HeaderMap, Json<Quote>), Error>;

fn made(quote: Quote) -> (StatusCode, HeaderMap, Json<Quote>) {
    created(&format!("/quotes/{}", quote.meta.id), quote)
}

/// Creates a quote (revision 1) on a deal, priced from its price book.
#[utoipa::path(post, path = "/quotes", tag = "quotes", request_body = QuoteInput,
    responses((status = 201, body = Quote), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(input): ApiJson<QuoteInput>,
) -> Answer {
    Ok(made(quotes::create(&store, &actor, input).await?))
}

#[utoipa::path(get, path = "/quotes", tag = "quotes", params(ListParams, QuoteFilter),
    responses((status = 200, body = PageBody<Quote>), (status = 400, body = ErrorBody)))]
async fn list(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<QuoteFilter>,
) -> Result<RawPage, Error> {
    Ok(quotes::list(&store, &actor, &args.params, &args.filter)
        .await?
        .into())
}

#[utoipa::path(get, path = "/quotes/{id}", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody)))]
async fn get(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Quote>, Error> {
    Ok(Json(quotes::get(&store, &actor, id).await?))
}

/// Changes a quote that is not sent: priced again, back to `draft`, any
/// approval void.
#[utoipa::path(patch, path = "/quotes/{id}", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = QuoteInput, description = "the fields to change, plus the `version` read"),
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Quote>, Error> {
    Ok(Json(quotes::update(&store, &actor, id, patch).await?))
}

/// Deletes a draft.
#[utoipa::path(delete, path = "/quotes/{id}", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<StatusCode, Error> {
    quotes::delete(&store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Prices an unsaved quote (no `deal_id` needed) and stores nothing.
#[utoipa::path(post, path = "/quotes/preview", tag = "quotes", request_body = QuoteInput,
    responses((status = 200, body = Figures), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn preview(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(input): ApiJson<QuoteInput>,
) -> Result<Json<Figures>, Error> {
    Ok(Json(quotes::preview(&store, &actor, &input).await?))
}

/// Asks a manager to approve a quote over its owner's threshold.
#[utoipa::path(post, path = "/quotes/{id}/submit", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Quote), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn submit(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Quote>, Error> {
    Ok(Json(workflow::submit(&store, &actor, id).await?))
}

/// Approves a quote waiting for approval (not one's own).
#[utoipa::path(post, path = "/quotes/{id}/approve", tag = "quotes",
    params(("id" = String, Path, format = Uuid)), request_body = Decision,
    responses((status = 200, body = Quote), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<Quote>, Error> {
    Ok(Json(
        workflow::decide(&store, &actor, id, true, decision).await?,
    ))
}

/// Rejects a quote waiting for approval, with a comment.
#[utoipa::path(post, path = "/quotes/{id}/reject", tag = "quotes",
    params(("id" = String, Path, format = Uuid)), request_body = Decision,
    responses((status = 200, body = Quote), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<Quote>, Error> {
    Ok(Json(
        workflow::decide(&store, &actor, id, false, decision).await?,
    ))
}

/// Sends the quote: the revision is frozen.
#[utoipa::path(post, path = "/quotes/{id}/send", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Quote), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn send(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Json<Quote>, Error> {
    Ok(Json(workflow::send(&store, &actor, id).await?))
}

/// Starts the quote's next revision as a draft.
#[utoipa::path(post, path = "/quotes/{id}/duplicate", tag = "quotes",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = Quote), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn duplicate(State(store): State<Store>, actor: Actor, PathId(id): PathId) -> Answer {
    Ok(made(workflow::duplicate(&store, &actor, id).await?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview))
        .routes(routes!(get, patch, delete))
        .routes(routes!(submit))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(send))
        .routes(routes!(duplicate))
}
