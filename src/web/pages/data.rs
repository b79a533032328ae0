//! Import and export: every role downloads the accounts, contacts and
//! deals as CSV; the roles that create CRM records import contacts or
//! accounts from a CSV or vCard file. An import is a dry run first: its
//! report (what would be created, filled in and skipped, every bad row)
//! is shown before anything is written.
//!
//! With a script the page sends the chosen file to the API itself
//! (`assets/web/import.js`) and keeps it chosen for the import. Without
//! one the form posts here and the file is chosen again to import it;
//! the form then carries the fingerprint of what was previewed, so a file
//! that was not is previewed instead of written.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{PageError, Signed, csrf, describe, error_page, view};
use crate::auth::policy::Action;
use crate::crm::export::EXPORTS;
use crate::crm::import::{self, ImportKind, ImportOptions, Report};
use crate::digest::sha256_hex;
use crate::error::Error;
use crate::store::Store;
use crate::web::extract::Upload;

/// Errors and planned rows a report shows at most: enough to fix a file
/// by, without a page of megabytes for a file of the wrong kind.
const SHOWN_ROWS: usize = 1000;

/// What the import form was sent with, shown again as chosen.
#[derive(Default)]
struct Chosen {
    kind: Option<ImportKind>,
    skip_bad_rows: bool,
}

/// What the page shows under the form.
enum Outcome {
    Nothing,
    Failed(Error),
    /// A dry run; `instead` when an import was asked for a file (or kind)
    /// other than the one previewed.
    Previewed {
        report: Report,
        fingerprint: String,
        instead: bool,
    },
    Committed(Report),
    /// Bad rows, and not to be skipped: nothing written.
    Refused {
        report: Report,
        fingerprint: String,
    },
}

/// `GET /data`.
pub async fn page(signed: Signed) -> Result<Response, PageError> {
    signed.require(Action::ReadCrm)?;
    Ok(render(&signed, &Chosen::default(), Outcome::Nothing))
}

/// `POST /data/import` (multipart): `file`, `kind`, `skip_bad_rows`, and
/// `action`: `preview`, or `import` with the `previewed` fingerprint the
/// preview gave.
pub async fn import(
    State(store): State<Store>,
    signed: Signed,
    headers: HeaderMap,
    upload: Result<Upload, Error>,
) -> Response {
    let upload = match upload {
        Ok(upload) => upload,
        Err(e) => return error_page(&e),
    };
    let field = |name: &str| {
        upload
            .fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    // The token first: a forged form learns nothing, not even the role.
    if let Err(e) = csrf::check(&headers, field("csrf")) {
        return error_page(&e);
    }
    if let Err(e) = signed.require(Action::CreateCrm) {
        return error_page(&e);
    }
    let mut chosen = Chosen {
        kind: None,
        skip_bad_rows: field("skip_bad_rows").is_some(),
    };
    let outcome = match field("kind").map(str::parse::<ImportKind>) {
        Some(Err(_)) => Outcome::Failed(Error::invalid(
            "kind",
            "choose contacts or accounts, or let the file tell",
        )),
        kind => {
            chosen.kind = kind.and_then(Result::ok);
            run(
                &store,
                &signed,
                &upload,
                &chosen,
                field("action"),
                field("previewed"),
            )
            .await
        }
    };
    render(&signed, &chosen, outcome)
}

/// Previews the upload, or imports it when that was asked for the very
/// file and kind previewed.
async fn run(
    store: &Store,
    signed: &Signed,
    upload: &Upload,
    chosen: &Chosen,
    action: Option<&str>,
    previewed: Option<&str>,
) -> Outcome {
    // A form sent without a file chosen still has its (empty) part.
    if upload.file.is_empty() && upload.file_name.as_deref().is_none_or(str::is_empty) {
        return Outcome::Failed(Error::invalid(
            "file",
            "choose a CSV or vCard file to import",
        ));
    }
    let kind = chosen.kind.map_or("", ImportKind::as_str);
    let fingerprint = sha256_hex(format!("{kind}\0{}", sha256_hex(&upload.file)).as_bytes());
    let asked = action == Some("import");
    let commit = asked && previewed == Some(fingerprint.as_str());
    let options = ImportOptions {
        kind: chosen.kind,
        commit,
        skip_bad_rows: chosen.skip_bad_rows,
    };
    match import::import(store, &signed.actor, &upload.file, options).await {
        Err(e) => Outcome::Failed(e),
        Ok(report) if !commit => Outcome::Previewed {
            report,
            fingerprint,
            instead: asked,
        },
        Ok(report) if report.committed => Outcome::Committed(report),
        Ok(report) => Outcome::Refused {
            report,
            fingerprint,
        },
    }
}

/// The report as the page shows it: the counts, and the first
/// [`SHOWN_ROWS`] errors and planned rows with how many more there are.
fn shown(report: &Report) -> Value {
    let errors = &report.errors[..report.errors.len().min(SHOWN_ROWS)];
    let plan = &report.plan[..report.plan.len().min(SHOWN_ROWS)];
    json!({
        "kind": report.kind,
        "format": report.format,
        "committed": report.committed,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "skipped": report.skipped,
        "error_count": report.errors.len(),
        "errors": errors,
        "more_errors": report.errors.len() - errors.len(),
        "ignored_columns": report.ignored_columns,
        "plan": plan,
        "more_rows": report.plan.len() - plan.len(),
    })
}

fn render(signed: &Signed, chosen: &Chosen, outcome: Outcome) -> Response {
    let (status, stage, report, fingerprint, problem) = match &outcome {
        Outcome::Nothing => (StatusCode::OK, "", None, None, None),
        Outcome::Failed(e) => (e.status_and_code().0, "", None, None, Some(describe(e))),
        Outcome::Previewed {
            report,
            fingerprint,
            instead,
        } => (
            StatusCode::OK,
            if *instead { "instead" } else { "preview" },
            Some(report),
            Some(fingerprint),
            None,
        ),
        Outcome::Committed(report) => (StatusCode::OK, "committed", Some(report), None, None),
        Outcome::Refused {
            report,
            fingerprint,
        } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            Some(report),
            Some(fingerprint),
            None,
        ),
    };
    let page = view::render(
        "data.html",
        &json!({
            "me": signed.layout(),
            "current": "/data",
            "exports": EXPORTS,
            "may_import": signed.may(Action::CreateCrm),
            "kind": chosen.kind.map_or("", ImportKind::as_str),
            "skip_bad_rows": chosen.skip_bad_rows,
            "stage": stage,
            "report": report.map(shown),
            "previewed": fingerprint,
            "problem": problem,
        }),
    );
    match page {
        Ok(html) => (status, html).into_response(),
        Err(e) => error_page(&e),
    }
}
