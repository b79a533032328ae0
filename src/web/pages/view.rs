//! The pages' HTML templates (`templates/web/`) and static files
//! (`assets/web/`), compiled into the binary: the server needs no files
//! and no network at run time.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use tera::{Context, Tera};

use crate::digest::sha256_hex;
use crate::error::Error;

const PAGES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../templates/web/base.html"),
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
        "error.html",
        include_str!("../../../templates/web/error.html"),
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
    tera.add_raw_templates(PAGES.iter().copied())
        .map_err(|e| format!("{e:?}"))?;
    Ok(tera)
});

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
