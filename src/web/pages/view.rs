//! The pages' HTML templates (`templates/web/`) and static files
//! (`assets/web/`), compiled into the binary: the server needs no files
//! and no network at run time.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use tera::{Context, Tera};

use crate::digest::sha256_hex;
use crate::error::Error;
use crate::store::Timestamp;
use crate::templates::format;

const PAGES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../templates/web/base.html"),
    ),
    (
        "account.html",
        include_str!("../../../templates/web/account.html"),
    ),
    (
        "login.html",
        include_str!("../../../templates/web/login.html"),
    ),
    (
        "deals.html",
        include_str!("../../../templates/web/deals.html"),
    ),
    (
        "search.html",
        include_str!("../../../templates/web/search.html"),
    ),
    (
        "deal.html",
        include_str!("../../../templates/web/deal.html"),
    ),
    (
        "form_state.html",
        include_str!("../../../templates/web/form_state.html"),
    ),
    (
        "quote.html",
        include_str!("../../../templates/web/quote.html"),
    ),
    (
        "approvals.html",
        include_str!("../../../templates/web/approvals.html"),
    ),
    (
        "forecast.html",
        include_str!("../../../templates/web/forecast.html"),
    ),
    (
        "error.html",
        include_str!("../../../templates/web/error.html"),
    ),
    (
        "clause_forms.html",
        include_str!("../../../templates/web/clause_forms.html"),
    ),
    (
        "clauses.html",
        include_str!("../../../templates/web/clauses.html"),
    ),
    (
        "clause.html",
        include_str!("../../../templates/web/clause.html"),
    ),
    (
        "reviews.html",
        include_str!("../../../templates/web/reviews.html"),
    ),
    (
        "data.html",
        include_str!("../../../templates/web/data.html"),
    ),
    (
        "import_report.html",
        include_str!("../../../templates/web/import_report.html"),
    ),
    (
        "batches.html",
        include_str!("../../../templates/web/batches.html"),
    ),
    (
        "batch.html",
        include_str!("../../../templates/web/batch.html"),
    ),
    (
        "batch_problems.html",
        include_str!("../../../templates/web/batch_problems.html"),
    ),
    (
        "fields.html",
        include_str!("../../../templates/web/fields.html"),
    ),
    (
        "admin_users.html",
        include_str!("../../../templates/web/admin_users.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../../templates/web/admin_user.html"),
    ),
    (
        "admin_invited.html",
        include_str!("../../../templates/web/admin_invited.html"),
    ),
    (
        "admin_settings.html",
        include_str!("../../../templates/web/admin_settings.html"),
    ),
    (
        "audit.html",
        include_str!("../../../templates/web/audit.html"),
    ),
    (
        "macros.html",
        include_str!("../../../templates/web/macros.html"),
    ),
    (
        "templates.html",
        include_str!("../../../templates/web/templates.html"),
    ),
    (
        "template_editor.html",
        include_str!("../../../templates/web/template_editor.html"),
    ),
    (
        "template_problem.html",
        include_str!("../../../templates/web/template_problem.html"),
    ),
    (
        "images.html",
        include_str!("../../../templates/web/images.html"),
    ),
    (
        "themes.html",
        include_str!("../../../templates/web/themes.html"),
    ),
    (
        "theme.html",
        include_str!("../../../templates/web/theme.html"),
    ),
    (
        "questions.html",
        include_str!("../../../templates/web/questions.html"),
    ),
];

/// The HTML templates; autoescaping is on for `.html`, so every value is
/// text.
static TEMPLATES: LazyLock<Result<Tera, String>> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.register_filter("money", money);
    tera.add_raw_templates(PAGES.iter().copied())
        .map_err(|e| format!("{e:?}"))?;
    Ok(tera)
});

/// `{{ amount | money(currency="EUR") }}`: a decimal amount (as the API
/// writes it, a string) as the English locale writes money; a blank or
/// unreadable amount prints as it is, so a page never fails on one.
fn money(value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let currency = args.get("currency").and_then(tera::Value::as_str);
    let amount = value.as_str().and_then(|a| Decimal::from_str(a).ok());
    Ok(match (amount, currency) {
        (Some(amount), Some(currency)) => {
            format::money(amount, currency, "en").map_or_else(|_| value.clone(), tera::Value::from)
        }
        _ => value.clone(),
    })
}

/// Page `name` rendered with `data`. A template that fails is a bug:
/// logged, and answered as one.
pub fn render(name: &str, data: &impl Serialize) -> Result<Html<String>, Error> {
    TEMPLATES
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|tera| {
            let context = Context::from_serialize(data).map_err(|e| e.to_string())?;
            tera.render(name, &context).map_err(|e| format!("{e:?}"))
        })
        .map(Html)
        .map_err(|e| Error::Internal(format!("the page {name} failed: {e}")))
}

/// A time as pages show it: to the minute, in UTC, which every page says.
pub fn moment(t: &Timestamp) -> String {
    t.0.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The static files, with their content types.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/web/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/web/app.js"),
    ),
    (
        "quote.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/web/quote.js"),
    ),
    (
        "import.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/web/import.js"),
    ),
    (
        "batch.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/web/batch.js"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/web/editor.js"),
    ),
];

/// A generated HTML document, shown in a frame of a page. It styles
/// itself inline and runs nothing, so it gets a policy of its own: inline
/// styles, this server's images, no scripts, framed only by this site.
pub fn document(html: Vec<u8>) -> Response {
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
        ),
    );
    response
}

/// `GET /static/{file}`: revalidated on every use (`no-cache` with an
/// ETag), so a new release's files are picked up at once.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, ..)| *name == file) else {
        return super::error_page(&Error::NotFound(format!("there is no file {file}")));
    };
    let etag = format!("\"{}\"", sha256_hex(bytes));
    let fresh = headers
        .get(IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.to_vec().into_response()
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_template_compiles() {
        if let Err(e) = super::TEMPLATES.as_ref() {
            panic!("{e}");
        }
    }
}
