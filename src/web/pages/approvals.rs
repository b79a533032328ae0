//! The manager's approval queue: quotes waiting for a decision on their
//! discount, approved or rejected with a comment.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde_json::{Value, json};

use super::deals::money;
use super::form::{self, NoticeQuery, Posted};
use super::{PageError, Signed, view};
use crate::auth::policy::Action;
use crate::crm::deals::Deal;
use crate::crm::{self, ListParams};
use crate::error::Error;
use crate::quotes::workflow::{self, Decision};
use crate::quotes::{self, QuoteFilter, QuoteStatus};
use crate::store::{Id, Store};

/// What a decision leaves on the queue.
const NOTICES: &[(&str, &str)] = &[
    ("approved", "Approved: the rep can send the quote now."),
    (
        "rejected",
        "Rejected: the rep sees your comment on the quote.",
    ),
];

/// `GET /approvals`: managers and admins only.
pub async fn queue(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    // Managers decide on others' quotes; the list shows theirs too, marked.
    let _scope = signed.require(Action::ApproveQuotes)?;
    let page = quotes::list(
        &store,
        &signed.actor,
        &ListParams::default(),
        &QuoteFilter {
            status: Some(QuoteStatus::PendingApproval),
            ..QuoteFilter::default()
        },
    )
    .await?;
    let mut waiting: Vec<Value> =
        serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
    for q in &mut waiting {
        q["money"] = money(&q["totals"]["total"], &q["currency"]).into();
        if let Some(deal) = q["deal_id"].as_str().and_then(|d| d.parse().ok()) {
            q["deal_name"] = crm::get::<Deal>(&store, deal).await?.name.into();
        }
        q["own"] = (q["owner_id"] == signed.actor.user_id.to_string()).into();
    }
    Ok(view::render(
        "approvals.html",
        &json!({"me": signed.layout(), "current": "/approvals", "quotes": waiting,
                "notice": query.text(NOTICES)}),
    )?)
}

/// `POST /approvals/{id}`: approve or reject, with an optional comment.
pub async fn decide(Path(id): Path<Id>, form: Posted) -> Response {
    let approve = form.field("decision") == Some("approve");
    let done = workflow::decide(
        form.store(),
        form.actor(),
        id,
        approve,
        Decision {
            comment: form.text("comment").map(str::to_owned),
        },
    )
    .await;
    Posted::answer(
        done.map(|_| form::notice("/approvals", if approve { "approved" } else { "rejected" })),
    )
}
