//! The JSON API under `/api/v1`: thin handlers that parse, call a domain
//! function and map the result.

mod answers;
mod contacts_extra;
mod crud;
mod deals_extra;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::store::records::{Deleted, Page};
use crate::web::AppState;

/// A page of a list.
#[derive(Serialize, ToSchema)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// With `updated_since`: records deleted since then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<Deleted>>,
}

impl<T> From<Page<T>> for PageBody<T> {
    fn from(p: Page<T>) -> Self {
        PageBody {
            items: p.items,
            next_cursor: p.next_cursor.map(|c| c.encode()),
            deleted: p.deleted,
        }
    }
}

/// A list that is never paged.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// The error shape of every failed request.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `validation_failed`,
    /// `internal`.
    pub code: String,
    pub message: String,
    /// Problems by field name.
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// On a stale `version`: the stored one.
    pub current_version: Option<i64>,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crud::routes())
        .merge(answers::routes())
        .merge(contacts_extra::routes())
        .merge(deals_extra::routes())
}
