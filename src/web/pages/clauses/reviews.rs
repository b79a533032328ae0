//! `/reviews`: legal's queue. Every version in review, oldest submission
//! first, with its text word by word against the approved text of its
//! variant, its rule, and who submitted it when; approved or rejected with
//! a comment. Below, the approved versions in use, a page at a time, each
//! retired with a comment.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Failure, FormState, People, path_id, retire_form, typed};
use crate::auth::policy::Action;
use crate::clauses::library::{self, LibraryQuery};
use crate::clauses::versions::ClauseStatus;
use crate::clauses::workflow::{self, Review};
use crate::error::Error;
use crate::store::Store;
use crate::web::pages::form::{self, NoticeQuery, Posted};
use crate::web::pages::{PageError, Signed, error_page, view};

/// What a decision leaves on the queue.
const NOTICES: &[(&str, &str)] = &[
    (
        "approved",
        "Approved: documents made from now on print this version.",
    ),
    (
        "rejected",
        "Rejected: the author sees your comment on the clause's page.",
    ),
    (
        "retired",
        "Retired: documents no longer print this version.",
    ),
];

/// The address of the queue: a search through the approved versions and
/// where their page starts.
#[derive(Debug, Default, Deserialize)]
pub struct ReviewParams {
    q: Option<String>,
    after: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

impl ReviewParams {
    /// The key of the last clause of the previous page of approved
    /// versions.
    fn after(&self) -> Option<&str> {
        self.after.as_deref().filter(|a| !a.is_empty())
    }

    /// The queue with the approved versions from the clause after `after`.
    fn href(&self, after: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("q", self.q.as_deref().unwrap_or_default()),
            ("after", after),
        ])
        .unwrap_or_default();
        format!("/reviews?{query}#in-use")
    }
}

/// `GET /reviews`: legal only.
pub async fn queue(
    State(store): State<Store>,
    signed: Signed,
    Query(params): Query<ReviewParams>,
) -> Result<Response, PageError> {
    render(&store, &signed, &params, None).await
}

async fn render(
    store: &Store,
    signed: &Signed,
    params: &ReviewParams,
    failure: Option<Failure>,
) -> Result<Response, PageError> {
    // Deciding on clauses is granted whole or not at all: no scope to keep.
    signed.require(Action::ApproveClauses)?;
    let failure = failure.as_ref();
    let waiting = workflow::queue(store).await?;
    let approved = library::page(
        store,
        &signed.actor,
        &LibraryQuery {
            q: params.q.clone(),
            status: Some(ClauseStatus::Approved),
            after: params.after().map(str::to_owned),
            limit: None,
        },
    )
    .await?;
    let in_use: Vec<_> = approved
        .entries
        .iter()
        .flat_map(|e| {
            e.variants
                .iter()
                .filter_map(|v| v.in_status(ClauseStatus::Approved))
                .map(move |v| (&e.clause, v))
        })
        .collect();
    let shown: Vec<_> = waiting
        .iter()
        .map(|item| &item.version)
        .chain(in_use.iter().map(|(_, v)| *v))
        .collect();
    let people = People::of(store, &signed.actor, &shown).await?;
    let mut items = Vec::with_capacity(waiting.len());
    for item in &waiting {
        let id = item.version.meta.id;
        items.push(json!({
            "clause": item.clause,
            "version": people.version(&item.version)?,
            "diff": item.diff,
            "decide": FormState::new(format!("decide-{id}"), format!("/reviews/{id}"))
                .field("comment", None)
                .after(failure)
                .json(),
        }));
    }
    let mut current = Vec::with_capacity(in_use.len());
    for (clause, v) in &in_use {
        current.push(json!({
            "clause": clause,
            "version": people.version(v)?,
            "retire": retire_form(&clause.key, v, "reviews", failure),
        }));
    }
    let status = failure.map_or(StatusCode::OK, Failure::status);
    let html = view::render(
        "reviews.html",
        &json!({
            "me": signed.layout(),
            "current": "/reviews",
            "notice": params.notice.text(NOTICES),
            "items": items,
            "in_use": current,
            "q": params.q.as_deref().unwrap_or_default(),
            "first": params.after().is_some().then(|| params.href("")),
            "next": approved.next_after.map(|after| params.href(&after)),
            "failure": Failure::banner(failure),
        }),
    )?;
    Ok((status, html).into_response())
}

/// The queue again with `failure` shown at its form, or the error page
/// when there is nothing in the form to correct.
pub(super) async fn again(posted: &Posted, form: String, error: Error) -> Response {
    match Failure::of(form, posted, error) {
        Ok(failure) => render(
            posted.store(),
            &posted.signed,
            &ReviewParams::default(),
            Some(failure),
        )
        .await
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /reviews/{id}`: approve or reject (`decision`) with a comment,
/// which a rejection requires.
pub async fn decide(Path(id): Path<String>, posted: Posted) -> Response {
    if let Err(e) = posted.signed.require(Action::ApproveClauses) {
        return error_page(&e);
    }
    let id = match path_id(&id, "clause version") {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let form_id = format!("decide-{id}");
    let approve = match posted.field("decision") {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            let e = Error::bad_request("decision", "choose Approve or Reject");
            return again(&posted, form_id, e).await;
        }
    };
    let review = Review {
        comment: typed(&posted, "comment"),
    };
    match workflow::decide(posted.store(), posted.actor(), id, approve, review).await {
        Ok(_) => form::notice("/reviews", if approve { "approved" } else { "rejected" }),
        Err(e) => again(&posted, form_id, e).await,
    }
}
