//! The catalogue as CSV: products and a price book's entries, exported
//! and imported. The records themselves are collections in `crud`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::catalog::csv::{self, ProductImport};
use crate::catalog::price_books::PriceBook;
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{CsvBody, PathId};

fn csv_file(name: &str, text: String) -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        text,
    )
        .into_response()
}

/// Every product as CSV: `sku,name,description,unit,category,active`.
#[utoipa::path(get, path = "/products/csv", tag = "catalog",
    responses((status = 200, description = "the products", content_type = "text/csv"),
              (status = 403, body = ErrorBody)))]
async fn export_products(State(store): State<Store>, actor: Actor) -> Result<Response, Error> {
    Ok(csv_file(
        "products.csv",
        csv::export_products(&store, &actor).await?,
    ))
}

/// Creates the products whose SKU is new and changes the others; with one
/// bad row, nothing (`422`, each problem at `rows[N].column`).
#[utoipa::path(post, path = "/products/csv", tag = "catalog",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ProductImport), (status = 403, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_products(
    State(store): State<Store>,
    actor: Actor,
    CsvBody(text): CsvBody,
) -> Result<Json<ProductImport>, Error> {
    Ok(Json(csv::import_products(&store, &actor, &text).await?))
}

/// The book's entries as CSV: `sku,unit_price,tiers` (`10:90.00;50:80.00`).
#[utoipa::path(get, path = "/price-books/{id}/entries/csv", tag = "catalog",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the entries", content_type = "text/csv"),
              (status = 404, body = ErrorBody)))]
async fn export_entries(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
) -> Result<Response, Error> {
    Ok(csv_file(
        "price-book.csv",
        csv::export_entries(&store, &actor, id).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionParam {
    /// The book's version read, as for a PATCH.
    version: i64,
}

/// Replaces the book's entries with the file's; with one bad row, nothing.
#[utoipa::path(post, path = "/price-books/{id}/entries/csv", tag = "catalog",
    params(("id" = String, Path, format = Uuid), VersionParam),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = PriceBook), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_entries(
    State(store): State<Store>,
    actor: Actor,
    PathId(id): PathId,
    Query(VersionParam { version }): Query<VersionParam>,
    CsvBody(text): CsvBody,
) -> Result<Json<PriceBook>, Error> {
    Ok(Json(
        csv::import_entries(&store, &actor, id, version, &text).await?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_products, import_products))
        .routes(routes!(export_entries, import_entries))
}
