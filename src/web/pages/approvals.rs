//! The manager's approval queue: quotes waiting for a decision on their
//! discount, approved or rejected with a comment.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{self, NoticeQuery, Posted};
use super::{PageError, Signed, view};
use crate::auth::policy::Action;
use crate::auth::users::User;
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

/// The queue's page: where it goes on from, and a notice.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    cursor: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

/// `GET /approvals`: managers and admins only, a page at a time.
pub async fn queue(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<QueueQuery>,
) -> Result<Html<String>, PageError> {
    // Managers decide on others' quotes; the list shows theirs too, marked.
    signed.require(Action::ApproveQuotes)?;
    let page = quotes::list(
        &store,
        &signed.actor,
        &ListParams {
            cursor: form::given(&query.cursor).map(str::to_owned),
            ..ListParams::default()
        },
        &QuoteFilter {
            status: Some(QuoteStatus::PendingApproval),
            ..QuoteFilter::default()
        },
    )
    .await?;
    let next = page
        .next_cursor
        .map(|c| form::address("/approvals", &[("cursor", Some(&c.encode()))]));
    let mut waiting: Vec<Value> =
        serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
    let deal_ids: Vec<Id> = waiting
        .iter()
        .filter_map(|q| q["deal_id"].as_str()?.parse().ok())
        .collect();
    let owner_ids: Vec<Id> = waiting
        .iter()
        .filter_map(|q| q["owner_id"].as_str()?.parse().ok())
        .collect();
    let deals = crm::names::<Deal>(&store, &signed.actor, &deal_ids).await?;
    let owners = crm::names::<User>(&store, &signed.actor, &owner_ids).await?;
    let name = |names: &std::collections::HashMap<Id, String>, v: &Value| {
        v.as_str()
            .and_then(|id| id.parse::<Id>().ok())
            .and_then(|id| names.get(&id).cloned())
    };
    for q in &mut waiting {
        q["deal_name"] = name(&deals, &q["deal_id"]).into();
        q["owner_name"] = name(&owners, &q["owner_id"]).into();
        q["own"] = (q["owner_id"] == signed.actor.user_id.to_string()).into();
    }
    Ok(view::render(
        "approvals.html",
        &json!({"me": signed.layout(), "current": "/approvals", "quotes": waiting,
                "notice": query.notice.text(NOTICES),
                "next": next, "first": query.cursor.is_some().then_some("/approvals")}),
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
