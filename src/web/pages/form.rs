//! Forms posted to the web app: the fields of a signed-in user's form with
//! its CSRF token checked, turned into the JSON the domain functions take,
//! and the redirect back with a notice the page shows once.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Signed, csrf};
use crate::auth::Actor;
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;

/// A form's fields in the order sent; a name may repeat (checkboxes).
pub type Fields = Vec<(String, String)>;

/// The first value of `name` in `fields`.
pub fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of `name` in `fields`.
pub fn values_of<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A form posted by a signed-in user, its CSRF token checked: a form that
/// lacks it, or carries another browser's, is refused with 403 before any
/// handler runs.
pub struct Posted {
    pub state: AppState,
    pub signed: Signed,
    pub fields: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let Form(fields) = Form::<Fields>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| super::error_page(&Error::bad_request("body", e.body_text())))?;
        csrf::check(&headers, field(&fields, "csrf")).map_err(|e| super::error_page(&e))?;
        Ok(Posted {
            state: state.clone(),
            signed,
            fields,
        })
    }
}

impl Posted {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn actor(&self) -> &Actor {
        &self.signed.actor
    }

    /// The value of `name`, as sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }

    /// The value of `name` trimmed, `None` when blank: an empty input
    /// means "no value", not an empty text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.field(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The `version` of the record the form was read at, which a change
    /// must name.
    pub fn version(&self) -> Result<i64, Error> {
        self.text("version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::invalid("version", "required: reload the page and try again"))
    }

    /// Every value of `name` (a group of checkboxes).
    pub fn values(&self, name: &str) -> Vec<&str> {
        values_of(&self.fields, name)
    }

    /// The fields `names` as a JSON object for the domain's input types:
    /// a blank field is `null`, so it clears the value on a change.
    pub fn json(&self, names: &[&str]) -> Value {
        let object: Map<String, Value> = names
            .iter()
            .filter(|name| self.field(name).is_some())
            .map(|name| {
                let value = self.text(name).map_or(Value::Null, Value::from);
                ((*name).to_owned(), value)
            })
            .collect();
        Value::Object(object)
    }

    /// `done`, or the error as a page; the form's answer either way.
    pub fn answer(done: Result<Response, Error>) -> Response {
        done.unwrap_or_else(|e| super::error_page(&e))
    }
}

/// A form refused for what was typed (422), for a value another record
/// holds, or because its record changed meanwhile (409): shown again on
/// its own page with the reason, each field's problem beside it and, but
/// after a concurrent change, what was typed, so nothing typed is lost.
/// Any other error is the error page's.
pub struct Refused {
    pub status: StatusCode,
    /// Which of the page's forms it was.
    pub form: &'static str,
    pub message: String,
    /// Problems by the name of the form's input.
    pub problems: BTreeMap<String, String>,
    /// Every problem on a line of its own, as the domain named it.
    summary: Vec<String>,
    /// What was typed; `None` after a concurrent change, when the form
    /// shows the fresh values instead.
    pub typed: Option<Fields>,
}

impl Refused {
    /// `e`, the answer to `form` posted with `fields`, as a refusal; an
    /// error that is not one comes back as it was.
    pub fn of(e: Error, form: &'static str, fields: &Fields) -> Result<Refused, Error> {
        let (status, _) = e.status_and_code();
        let (message, problems, typed) = match e {
            Error::Validation(problems) => (
                "Not saved: please correct the fields marked below.".to_owned(),
                problems,
                Some(fields.clone()),
            ),
            Error::Conflict {
                message,
                current_version: Some(_),
                fields: problems,
            } => (
                format!(
                    "Not saved: {message}. The form shows the current values now; \
                     make your change again if it is still needed."
                ),
                problems,
                None,
            ),
            Error::Conflict {
                message,
                current_version: None,
                fields: problems,
            } => (
                format!("Not saved: {message}."),
                problems,
                Some(fields.clone()),
            ),
            other => return Err(other),
        };
        Ok(Refused {
            status,
            form,
            message,
            problems: problems
                .iter()
                .map(|(f, p)| (f.to_owned(), p.to_owned()))
                .collect(),
            summary: problems.iter().map(|(f, p)| format!("{f}: {p}")).collect(),
            typed,
        })
    }

    /// Renames the problems' fields, from the domain's paths to the names
    /// of the form's inputs; a field `rename` leaves out keeps its name.
    /// The summary keeps the domain's names, which say what each is.
    pub fn renamed(mut self, rename: impl Fn(&str) -> Option<String>) -> Refused {
        self.problems = std::mem::take(&mut self.problems)
            .into_iter()
            .map(|(f, p)| (rename(&f).unwrap_or(f), p))
            .collect();
        self
    }

    /// This refusal if it is of `form`: what that form shows.
    pub fn of_form(&self, form: &str) -> Option<&Refused> {
        (self.form == form).then_some(self)
    }

    /// What was typed into `name`.
    pub fn typed(&self, name: &str) -> Option<&str> {
        self.typed.as_ref().and_then(|fields| field(fields, name))
    }

    /// The page's view of it: which form, and the reason.
    pub fn view(&self) -> Value {
        json!({"form": self.form, "message": self.message, "problems": self.summary})
    }
}

/// One input of a form as its template shows it: its name, label, value
/// (what was typed when `refused`, else `stored`) and its problem, if any.
pub fn input(name: &str, label: &str, stored: Option<String>, refused: Option<&Refused>) -> Value {
    let value = match refused.and_then(|r| r.typed.as_ref()) {
        Some(typed) => field(typed, name).map(str::to_owned),
        None => stored,
    };
    json!({
        "name": name,
        "label": label,
        "value": value.unwrap_or_default(),
        "problem": refused.and_then(|r| r.problems.get(name)),
    })
}

/// The whole number in `name`, the version a form read: a form without
/// one did not come from its page.
pub fn version(fields: &Fields) -> Result<i64, Error> {
    field(fields, "version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Error::invalid("version", "missing: reload the page and try again"))
}

/// A value of a query or form, unless blank.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The address of `path` with the `query` parameters that have a value:
/// a list's link to another page of itself, with its filters.
pub fn address(path: &str, query: &[(&str, Option<&str>)]) -> String {
    let given: Vec<(&str, &str)> = query
        .iter()
        .filter_map(|(k, v)| Some((*k, (*v)?)))
        .collect();
    match serde_urlencoded::to_string(given).unwrap_or_default() {
        query if query.is_empty() => path.to_owned(),
        query => format!("{path}?{query}"),
    }
}

/// Query parameter `name` (its `value`, as given) read as a `T`: `None`
/// when absent or blank; a value that is not one is refused, naming it.
/// Page queries are read as text and then with this, so that an address
/// typed wrong gets a page saying so.
pub fn param<T: std::str::FromStr>(name: &str, value: Option<&str>) -> Result<Option<T>, Error> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Error::bad_request(name, format!("`{v}` is not a valid value"))),
    }
}

/// The query of a page a form redirected to: which notice to show.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

impl NoticeQuery {
    /// The text of the notice, from the page's own `table` of codes: the
    /// address names a code, never the text, so a link cannot make a page
    /// say something of its choosing.
    pub fn text(&self, table: &[(&str, &'static str)]) -> Option<&'static str> {
        let code = self.notice.as_deref()?;
        table
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, text)| *text)
    }
}

/// A redirect to `path` (anchor included) showing notice `code` once.
pub fn notice(path: &str, code: &str) -> Response {
    let (path, anchor) = path.split_once('#').unwrap_or((path, ""));
    let joiner = if path.contains('?') { '&' } else { '?' };
    let anchor = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    let location = format!("{path}{joiner}notice={code}{anchor}");
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => Redirect::to(path).into_response(),
    }
}
