//! The JSON API under `/api/v1`: thin handlers that parse, call a domain
//! function and map the result.

mod answers;
mod assets;
mod audit;
mod batches;
mod catalog;
mod clauses;
mod contacts_extra;
mod crud;
mod deals_extra;
mod documents;
mod exports;
mod forecast;
mod imports;
mod quotes;
mod readiness;
pub(super) mod session;
mod settings;
mod templates;
mod themes;
mod users;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
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

/// `201 Created` with `record` and a `Location` header naming where it is
/// read (`path`, under `/api/v1`).
pub(super) fn created<T>(path: &str, record: T) -> (StatusCode, HeaderMap, axum::Json<T>) {
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1{path}")) {
        headers.insert(LOCATION, location);
    }
    (StatusCode::CREATED, headers, axum::Json(record))
}

/// A stored file that never changes: its bytes with their content type,
/// an ETag of their SHA-256, a year's cache lifetime and, given a file
/// name, an `attachment` disposition.
pub(in crate::web) fn immutable_file(
    content_type: &str,
    sha256: &str,
    file_name: Option<&str>,
    bytes: Vec<u8>,
) -> Result<Response, crate::error::Error> {
    let header = |value: &str| {
        HeaderValue::from_str(value).map_err(|e| crate::error::Error::Internal(e.to_string()))
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, header(content_type)?);
    headers.insert(ETAG, header(&format!("\"{sha256}\""))?);
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    if let Some(name) = file_name {
        headers.insert(CONTENT_DISPOSITION, header(&content_disposition(name))?);
    }
    Ok((headers, bytes).into_response())
}

/// `attachment` with the name as ASCII (for old clients) and as UTF-8.
fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A download written as it is read: `write` sends chunks of `content_type`
/// to a channel from a task of its own, and the body streams them. Checks
/// come before: once this starts the status is sent, so a failure midway
/// cuts the body short (and is logged).
pub(super) fn streamed<F, Fut, T>(
    content_type: &'static str,
    file_name: &str,
    write: F,
) -> Result<Response, crate::error::Error>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Vec<u8>>) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::error::Error>> + Send + 'static,
{
    let disposition = HeaderValue::from_str(&content_disposition(file_name))
        .map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let name = file_name.to_owned();
    let writing = write(sender);
    tokio::spawn(async move {
        if let Err(e) = writing.await {
            tracing::error!(error = %e, file = %name, "writing a download failed");
        }
    });
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, std::io::Error>(chunk), receiver))
    });
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, axum::body::Body::from_stream(chunks)).into_response())
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
    /// `not_ready`, `clause_unavailable`, `send_failed`, `unavailable`,
    /// `internal`.
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
        .merge(batches::routes())
        .merge(catalog::routes())
        .merge(clauses::routes())
        .merge(contacts_extra::routes())
        .merge(deals_extra::routes())
        .merge(documents::routes())
        .merge(exports::routes())
        .merge(imports::routes())
        .merge(forecast::routes())
        .merge(quotes::routes())
        .merge(readiness::routes())
        .merge(session::routes())
        .merge(settings::routes())
        .merge(templates::routes())
        .merge(themes::routes())
        .merge(users::routes())
}
