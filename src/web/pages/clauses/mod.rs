//! The clause library in the web app, for marketing, who drafts, and
//! legal, who drafts and decides: the library (`/clauses`), one clause
//! with its variants, history and where-used (`/clauses/{key}`), and
//! legal's review queue (`/reviews`). The forms post to the domain
//! functions the API uses; a form that fails comes back as it was sent,
//! the problem next to its field, so nothing typed is lost.

pub mod clause;
pub mod library;
pub mod reviews;

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Signed;
use super::form::{Fields, Posted, field};
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::auth::users::User;
use crate::clauses::versions::{ClauseStatus, ClauseVersion, DEFAULT_VARIANT};
use crate::crm;
use crate::error::Error;
use crate::store::{Id, Store, Timestamp};

/// The library belongs to those who write or decide on clauses; every
/// other role is refused as the policy refuses it.
fn gate(signed: &Signed) -> Result<(), Error> {
    if signed.may(Action::DraftClauses) || signed.may(Action::ApproveClauses) {
        return Ok(());
    }
    signed.require(Action::DraftClauses).map(|_| ())
}

/// A record id from the address: a malformed one names nothing.
fn path_id(text: &str, what: &str) -> Result<Id, Error> {
    text.parse()
        .map_err(|_| Error::NotFound(format!("there is no {what} {text}")))
}

/// A form post that failed with something its sender can correct: which
/// form, what it sent, and what was wrong.
pub struct Failure {
    form: String,
    fields: Fields,
    error: Error,
}

impl Failure {
    /// The failure of `form` (its id on the page) with `error`; `Err` when
    /// there is nothing in the form to correct (not found, refused, our
    /// own fault), which is answered with the error page instead.
    fn of(form: impl Into<String>, posted: &Posted, error: Error) -> Result<Failure, Error> {
        match error {
            Error::Validation(_)
            | Error::Conflict { .. }
            | Error::BadRequest { .. }
            | Error::ClauseUnavailable(_) => Ok(Failure {
                form: form.into(),
                fields: posted.fields.clone(),
                error,
            }),
            other => Err(other),
        }
    }

    fn status(&self) -> StatusCode {
        self.error.status_and_code().0
    }

    /// The whole problem in one line, for the alert over the page.
    fn summary(&self) -> String {
        match &self.error {
            Error::Validation(fields) => fields
                .iter()
                .map(|(f, p)| format!("{f}: {p}"))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    /// What the page says over everything: the problem, and where the
    /// form is (an empty message when nothing failed).
    fn banner(failure: Option<&Failure>) -> Value {
        match failure {
            Some(f) => json!({"message": f.summary(), "form": f.form}),
            None => json!({"message": "", "form": ""}),
        }
    }
}

/// A form on a page: what its fields hold, and after a failed post what
/// was sent and what is wrong with each field.
#[derive(Serialize)]
pub struct FormState {
    id: String,
    action: String,
    values: Map<String, Value>,
    /// Every field of the form, `null` when it is fine: the templates test
    /// them without tripping over a missing name.
    errors: Map<String, Value>,
    /// What is wrong beyond its fields.
    message: Option<String>,
}

impl FormState {
    fn new(id: impl Into<String>, action: impl Into<String>) -> FormState {
        FormState {
            id: id.into(),
            action: action.into(),
            values: Map::new(),
            errors: Map::new(),
            message: None,
        }
    }

    /// A field and what it holds to begin with.
    fn field(mut self, name: &str, value: Option<&str>) -> FormState {
        self.values
            .insert(name.to_owned(), value.unwrap_or_default().into());
        self.errors.insert(name.to_owned(), Value::Null);
        self
    }

    /// The form as `failure` left it, when the failure is this form's.
    fn after(mut self, failure: Option<&Failure>) -> FormState {
        let Some(failure) = failure.filter(|f| f.form == self.id) else {
            return self;
        };
        for (name, value) in self.values.iter_mut() {
            *value = field(&failure.fields, name).unwrap_or_default().into();
        }
        let mut beyond = Vec::new();
        let fields = match &failure.error {
            Error::Validation(fields) | Error::Conflict { fields, .. } => Some(fields),
            _ => None,
        };
        for (name, problem) in fields.into_iter().flat_map(|f| f.iter()) {
            match self.errors.get_mut(name) {
                Some(slot) => *slot = Value::from(problem),
                None => beyond.push(format!("{name}: {problem}")),
            }
        }
        self.message = Some(match &failure.error {
            Error::Validation(_) if beyond.is_empty() => {
                "Not saved: please correct what is marked.".to_owned()
            }
            Error::Validation(_) => format!("Not saved: {}", beyond.join("; ")),
            other => other.to_string(),
        });
        self
    }

    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What each state is called on the pages, and the badge it wears.
fn status_label(status: ClauseStatus) -> (&'static str, &'static str) {
    match status {
        ClauseStatus::Draft => ("draft", "badge"),
        ClauseStatus::InReview => ("in review", "badge badge-warn"),
        ClauseStatus::Approved => ("approved", "badge badge-ok"),
        ClauseStatus::Rejected => ("rejected", "badge badge-bad"),
        ClauseStatus::Retired => ("retired", "badge"),
    }
}

/// A time as the pages print it: to the minute, in UTC.
fn when(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::from(t.0.format("%Y-%m-%d %H:%M UTC").to_string())
    })
}

/// The names of the people behind a set of versions: who wrote,
/// submitted, reviewed and retired each.
pub struct People(HashMap<Id, String>);

impl People {
    async fn of(
        store: &Store,
        actor: &Actor,
        versions: &[&ClauseVersion],
    ) -> Result<People, Error> {
        let ids: BTreeSet<Id> = versions
            .iter()
            .flat_map(|v| {
                [
                    Some(v.author_id),
                    v.submitted_by,
                    v.reviewed_by,
                    v.retired_by,
                ]
            })
            .flatten()
            .collect();
        let ids: Vec<Id> = ids.into_iter().collect();
        Ok(People(crm::names::<User>(store, actor, &ids).await?))
    }

    fn name(&self, id: Option<Id>) -> Value {
        id.and_then(|id| self.0.get(&id))
            .map_or(Value::Null, |n| Value::from(n.as_str()))
    }

    /// `v` as the pages show it: its fields, and who did what when.
    fn version(&self, v: &ClauseVersion) -> Result<Value, Error> {
        let mut shown = serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))?;
        let (label, badge) = status_label(v.status);
        shown["status_label"] = label.into();
        shown["badge"] = badge.into();
        shown["is_default"] = (v.variant == DEFAULT_VARIANT).into();
        shown["author_name"] = self.name(Some(v.author_id));
        shown["submitted_by_name"] = self.name(v.submitted_by);
        shown["reviewed_by_name"] = self.name(v.reviewed_by);
        shown["retired_by_name"] = self.name(v.retired_by);
        shown["written"] = when(Some(v.meta.created_at));
        shown["submitted"] = when(v.submitted_at);
        shown["reviewed"] = when(v.reviewed_at);
        shown["retired"] = when(v.retired_at);
        Ok(shown)
    }
}

/// The retire form of approved version `v` of clause `key`; `from` is
/// the page to come back to.
fn retire_form(key: &str, v: &ClauseVersion, from: &str, failure: Option<&Failure>) -> Value {
    let mut form = FormState::new(
        format!("retire-{}", v.meta.id),
        format!("/clauses/{key}/versions/{}/retire", v.meta.id),
    )
    .field("comment", None)
    .after(failure)
    .json();
    form["from"] = from.into();
    form
}

/// A form's text as typed: browsers send the lines of a text area ended
/// by CR LF, which would otherwise show up in the clause and its diff.
fn typed(posted: &Posted, name: &str) -> Option<String> {
    posted.field(name).map(|text| text.replace("\r\n", "\n"))
}
