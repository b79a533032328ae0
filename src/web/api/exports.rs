//! Accounts, contacts and deals as CSV downloads.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, streamed};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::accounts::Account;
use crate::crm::contacts::Contact;
use crate::crm::deals::Deal;
use crate::crm::export::{self, EXPORTS};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::PathText;

/// Every account, contact or deal as CSV (`accounts.csv`, `contacts.csv`,
/// `deals.csv`): `id`, the fields a create takes, `created_at`,
/// `updated_at`, `version`.
#[utoipa::path(get, path = "/exports/{file}", tag = "exports",
    params(("file" = String, Path, description = "accounts.csv, contacts.csv or deals.csv")),
    responses((status = 200, description = "the CSV", content_type = "text/csv"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download(
    State(store): State<Store>,
    actor: Actor,
    PathText(file): PathText,
) -> Result<Response, Error> {
    policy::allow(&actor, Action::ReadCrm)?;
    let kind = file
        .strip_suffix(".csv")
        .filter(|kind| EXPORTS.contains(kind))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "there is no export `{file}`: accounts.csv, contacts.csv or deals.csv"
            ))
        })?
        .to_owned();
    let content_type = "text/csv; charset=utf-8";
    streamed(content_type, &file, move |sender| async move {
        match kind.as_str() {
            "accounts" => export::write::<Account>(&store, &actor, sender).await,
            "contacts" => export::write::<Contact>(&store, &actor, sender).await,
            _ => export::write::<Deal>(&store, &actor, sender).await,
        }
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}
