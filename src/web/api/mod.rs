//! The JSON API under `/api/v1`: thin handlers that parse, call a domain
//! function and map the result.

mod answers;
mod assets;
mod audit;
mod contacts_extra;
mod crud;
mod deals_extra;
mod documents;
mod readiness;
mod session;
mod settings;
mod templates;
mod themes;
mod users;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::store::records::{Deleted, JsonPage};
use crate::web::AppState;

/// A page of a list (the schema; the items arrive as the database renders
/// them, see [`RawPage`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// With `updated_since`: records deleted since then.
    pub deleted: Option<Vec<Deleted>>,
}

/// A page as sent: the envelope around the items the database rendered.
pub struct RawPage(JsonPage);

impl From<JsonPage> for RawPage {
    fn from(p: JsonPage) -> Self {
        RawPage(p)
    }
}

impl IntoResponse for RawPage {
    fn into_response(self) -> Response {
        let JsonPage {
            items,
            next_cursor,
            deleted,
        } = self.0;
        let mut body = String::with_capacity(items.len() + 128);
        body.push_str("{\"items\":");
        body.push_str(&items);
        body.push_str(",\"next_cursor\":");
        match next_cursor {
            Some(c) => body.push_str(&serde_json::Value::from(c.encode()).to_string()),
            None => body.push_str("null"),
        }
        if let Some(deleted) = deleted {
            body.push_str(",\"deleted\":");
            match serde_json::to_string(&deleted) {
                Ok(d) => body.push_str(&d),
                Err(e) => return crate::error::Error::Internal(e.to_string()).into_response(),
            }
        }
        body.push('}');
        RawJson(body).into_response()
    }
}

/// JSON text sent as it is.
pub struct RawJson(pub String);

impl IntoResponse for RawJson {
    fn into_response(self) -> Response {
        ([(CONTENT_TYPE, "application/json")], self.0).into_response()
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
    /// `not_ready`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    /// Problems by field name.
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// On a stale `version`: the stored one.
    pub current_version: Option<i64>,
    /// On `not_ready`: the blank fields the document would print.
    pub missing: Option<Vec<crate::context::readiness::Missing>>,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crud::routes())
        .merge(answers::routes())
        .merge(assets::routes())
        .merge(audit::routes())
        .merge(contacts_extra::routes())
        .merge(deals_extra::routes())
        .merge(documents::routes())
        .merge(readiness::routes())
        .merge(session::routes())
        .merge(settings::routes())
        .merge(templates::routes())
        .merge(themes::routes())
        .merge(users::routes())
}
