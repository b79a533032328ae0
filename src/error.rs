//! The library's error type and its one mapping to HTTP responses.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;

use crate::store::StoreError;

/// Problems with named input fields: `{field: problem}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem; the first one named for a field wins.
    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each field and its problem, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, p)| (f.as_str(), p.as_str()))
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// `Ok` when nothing was recorded, else a validation error.
    pub fn check(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// The first problem (by field name); `("body", …)` when there is none.
    pub fn first(&self) -> (String, String) {
        self.0
            .iter()
            .next()
            .map(|(f, p)| (f.clone(), p.clone()))
            .unwrap_or_else(|| ("body".to_owned(), "invalid".to_owned()))
    }

    pub fn one(field: impl Into<String>, problem: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, problem);
        e
    }
}

#[derive(Debug, Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    TooManyAttempts {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        current_version: Option<i64>,
        fields: FieldErrors,
    },
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    /// A document was asked for whose subject lacks fields it prints.
    #[error("{message}")]
    NotReady {
        message: String,
        missing: Vec<crate::context::readiness::Missing>,
    },
    #[error("{message}")]
    BadRequest { message: String, field: String },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A document would print a clause with no approved version that
    /// applies.
    #[error("{0}")]
    ClauseUnavailable(String),
    /// The mail server refused a message or could not be reached.
    #[error("{0}")]
    SendFailed(String),
    /// The database does not answer.
    #[error("{0}")]
    Unavailable(String),
    /// A bug, such as a panic in a handler; details go to the log only.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn not_found(entity: &str, id: impl std::fmt::Display) -> Self {
        Error::NotFound(format!("{entity} {id} does not exist"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
            current_version: None,
            fields: FieldErrors::new(),
        }
    }

    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Validation(FieldErrors::one(field, problem))
    }

    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            Error::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Error::NotReady { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "not_ready"),
            Error::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Error::Store(StoreError::Unique(_) | StoreError::ForeignKey { .. }) => {
                (StatusCode::CONFLICT, "conflict")
            }
            Error::ClauseUnavailable(_) => (StatusCode::CONFLICT, "clause_unavailable"),
            Error::SendFailed(_) => (StatusCode::BAD_GATEWAY, "send_failed"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Store(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

#[derive(Serialize)]
struct Body {
    error: Detail,
}

#[derive(Serialize)]
struct Detail {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "FieldErrors::is_empty")]
    fields: FieldErrors,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<crate::context::readiness::Missing>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            Error::TooManyAttempts {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let mut missing = Vec::new();
        let (message, fields, current_version) = match self {
            Error::NotReady {
                message,
                missing: items,
            } => {
                missing = items;
                (message, FieldErrors::new(), None)
            }
            Error::Validation(fields) => (
                "some fields are invalid: see `fields`".to_owned(),
                fields,
                None,
            ),
            Error::Conflict {
                message,
                current_version,
                fields,
            } => (message, fields, current_version),
            Error::BadRequest { message, field } => {
                let fields = FieldErrors::one(field, message.clone());
                (message, fields, None)
            }
            Error::Store(StoreError::Unique(_)) => (
                "a record with this id or unique value already exists".to_owned(),
                FieldErrors::new(),
                None,
            ),
            Error::Store(StoreError::ForeignKey { .. }) => (
                "a referenced record does not exist, or this record is still referenced".to_owned(),
                FieldErrors::new(),
                None,
            ),
            Error::Store(e) => {
                // Database details stay in the log, never in a response.
                tracing::error!(error = %e, "request failed in the store");
                ("internal error".to_owned(), FieldErrors::new(), None)
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                ("internal error".to_owned(), FieldErrors::new(), None)
            }
            other => (other.to_string(), FieldErrors::new(), None),
        };
        let body = Body {
            error: Detail {
                code,
                message,
                fields,
                current_version,
                missing,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}
