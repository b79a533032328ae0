//! The quote builder: products from a price book, quantities and
//! discounts, with totals priced live by `POST /api/v1/quotes/preview` as
//! the rep types (`assets/web/quote.js`), then saved and, over the
//! threshold, submitted for approval, all through the JSON API.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;
use serde_json::json;

use super::{PageError, Signed, view};
use crate::crm;
use crate::crm::deals::Deal;
use crate::store::{Id, Store};

#[derive(Deserialize)]
pub struct Which {
    /// A quote of the deal to open; without one the builder starts a new one.
    quote: Option<Id>,
}

/// `GET /deals/{id}/quote`.
pub async fn builder(
    State(store): State<Store>,
    signed: Signed,
    Path(id): Path<Id>,
    Query(which): Query<Which>,
) -> Result<Html<String>, PageError> {
    let deal = crm::get_checked::<Deal>(&store, &signed.actor, id).await?;
    Ok(view::render(
        "quote.html",
        &json!({"me": signed.layout(), "deal": deal, "quote_id": which.quote}),
    )?)
}
