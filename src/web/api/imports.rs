//! Importing contacts and accounts from an uploaded CSV or vCard file.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::crm::import::{self, ImportKind, ImportOptions, Report};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::Upload;

/// A text part `true` or `false`.
fn flag(
    fields: &mut std::collections::BTreeMap<String, String>,
    name: &str,
) -> Result<Option<bool>, Error> {
    match fields.remove(name).as_deref().map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Error::invalid(
            name,
            format!("must be true or false, not `{other}`"),
        )),
    }
}

/// Imports contacts or accounts: `multipart/form-data` with the `file`
/// (CSV or vCard), and optionally `kind` (`contacts` or `accounts`),
/// `dry_run` (default `true`: only the plan is answered) and
/// `skip_bad_rows`. A committed import answers `201`; one refused for its
/// bad rows `422` with the plan as `report`.
#[utoipa::path(post, path = "/imports", tag = "imports",
    request_body(content_type = "multipart/form-data",
                 description = "`file`, and optionally `kind`, `dry_run`, `skip_bad_rows`"),
    responses((status = 200, body = Report), (status = 201, body = Report),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(store): State<Store>,
    actor: Actor,
    upload: Upload,
) -> Result<Response, Error> {
    let mut fields = upload.fields;
    let kind = match fields.remove("kind") {
        None => None,
        Some(kind) => Some(kind.trim().parse::<ImportKind>().map_err(|_| {
            Error::invalid("kind", format!("`{kind}` is not contacts or accounts"))
        })?),
    };
    let dry_run = flag(&mut fields, "dry_run")?.unwrap_or(true);
    let skip_bad_rows = flag(&mut fields, "skip_bad_rows")?.unwrap_or(false);
    if let Some(other) = fields.keys().next() {
        return Err(Error::invalid(
            other.clone(),
            "is not a part of an import; send `file`, `kind`, `dry_run`, `skip_bad_rows`",
        ));
    }
    let options = ImportOptions {
        kind,
        commit: !dry_run,
        skip_bad_rows,
    };
    let report = import::import(&store, &actor, &upload.file, options).await?;
    Ok(match (dry_run, report.committed) {
        (true, _) => (StatusCode::OK, Json(report)).into_response(),
        (false, true) => (StatusCode::CREATED, Json(report)).into_response(),
        (false, false) => {
            let message = format!(
                "{} row(s) cannot be imported, so nothing was written: fix them, or import with skip_bad_rows",
                report.errors.len()
            );
            let body = serde_json::json!({
                "error": {"code": "validation_failed", "message": message,
                          "fields": {"file": message}},
                "report": report,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES + 64 * 1024))
}
