//! `/clauses`: the library, a page of clauses at a time with each
//! variant's newest versions and the approved one marked, found by text
//! and by where versions stand; and the form for a new clause.

use std::str::FromStr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Failure, FormState, People, gate};
use crate::auth::policy::Action;
use crate::clauses::library::{self, LibraryQuery};
use crate::clauses::versions::{ClauseStatus, ClauseVersion};
use crate::clauses::{Clause, ClauseInput};
use crate::crm;
use crate::error::Error;
use crate::input::from_json_value;
use crate::store::Store;
use crate::web::pages::form::{self, Posted};
use crate::web::pages::{PageError, Signed, error_page, view};

/// The versions of a variant the library shows; the clause page has all.
const NEWEST: usize = 5;

/// The address of a library page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LibraryParams {
    q: Option<String>,
    status: Option<String>,
    after: Option<String>,
}

impl LibraryParams {
    fn query(&self) -> Result<LibraryQuery, Error> {
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(ClauseStatus::from_str(text).map_err(|_| {
                Error::bad_request(
                    "status",
                    format!(
                        "status: `{text}` is not a state of a version; choose one of {}",
                        ClauseStatus::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?),
        };
        Ok(LibraryQuery {
            q: self.q.clone(),
            status,
            after: self.after.clone().filter(|a| !a.is_empty()),
            limit: None,
        })
    }

    /// This search's address, from the clause after `after`.
    fn href(&self, after: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("q", self.q.as_deref().unwrap_or_default()),
            ("status", self.status.as_deref().unwrap_or_default()),
            ("after", after),
        ])
        .unwrap_or_default();
        format!("/clauses?{query}")
    }
}

/// `GET /clauses`.
pub async fn page(
    State(store): State<Store>,
    signed: Signed,
    Query(params): Query<LibraryParams>,
) -> Result<Response, PageError> {
    render(&store, &signed, &params, None).await
}

async fn render(
    store: &Store,
    signed: &Signed,
    params: &LibraryParams,
    failure: Option<Failure>,
) -> Result<Response, PageError> {
    gate(signed)?;
    let query = params.query()?;
    let page = library::page(store, &signed.actor, &query).await?;
    let shown: Vec<&ClauseVersion> = page
        .entries
        .iter()
        .flat_map(|e| &e.variants)
        .flat_map(|v| v.versions.iter().take(NEWEST))
        .collect();
    let people = People::of(store, &signed.actor, &shown).await?;
    let mut entries = Vec::with_capacity(page.entries.len());
    for entry in &page.entries {
        let mut variants = Vec::with_capacity(entry.variants.len());
        for variant in &entry.variants {
            let versions = variant
                .versions
                .iter()
                .take(NEWEST)
                .map(|v| people.version(v))
                .collect::<Result<Vec<Value>, Error>>()?;
            variants.push(json!({
                "name": variant.name,
                "rule": variant.rule,
                "versions": versions,
                "older": variant.versions.len().saturating_sub(NEWEST),
            }));
        }
        entries.push(json!({"clause": entry.clause, "variants": variants}));
    }
    let create = FormState::new("new-clause", "/clauses")
        .field("key", None)
        .field("title", None)
        .field("category", None)
        .field("description", None)
        .after(failure.as_ref());
    let statuses: Vec<Value> = ClauseStatus::ALL
        .iter()
        .map(|s| json!({"value": s.as_str(), "label": super::status_label(*s).0}))
        .collect();
    let status = failure.as_ref().map_or(StatusCode::OK, Failure::status);
    let html = view::render(
        "clauses.html",
        &json!({
            "me": signed.layout(),
            "current": "/clauses",
            "q": params.q.as_deref().unwrap_or_default(),
            "status": query.status.map(|s| s.as_str()).unwrap_or_default(),
            "statuses": statuses,
            "entries": entries,
            "first": query.after.is_some().then(|| params.href("")),
            "next": page.next_after.map(|after| params.href(&after)),
            "may_draft": signed.may(Action::DraftClauses),
            "create": create.json(),
            "failure": Failure::banner(failure.as_ref()),
        }),
    )?;
    Ok((status, html).into_response())
}

/// `POST /clauses`: a new clause, then its page to write the first
/// version.
pub async fn create(posted: Posted) -> Response {
    if let Err(e) = posted.signed.require(Action::DraftClauses) {
        return error_page(&e);
    }
    let input = posted.json(&["key", "title", "category", "description"]);
    let made = match from_json_value::<ClauseInput>(input) {
        Ok(input) => crm::create::<Clause>(posted.store(), posted.actor(), input).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(clause) => form::notice(&format!("/clauses/{}", clause.key), "created"),
        Err(e) => match Failure::of("new-clause", &posted, e) {
            Ok(failure) => render(
                posted.store(),
                &posted.signed,
                &LibraryParams::default(),
                Some(failure),
            )
            .await
            .into_response(),
            Err(e) => error_page(&e),
        },
    }
}
