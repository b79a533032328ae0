//! The manager's approval queue: quotes waiting for a decision on their
//! discount, approved or rejected with a comment.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::deals::money;
use super::{PageError, Signed, csrf, error_page, view};
use crate::auth::policy::{self, Action};
use crate::crm::deals::Deal;
use crate::crm::{self, ListParams};
use crate::error::Error;
use crate::quotes::workflow::{self, Decision};
use crate::quotes::{self, QuoteFilter, QuoteStatus};
use crate::store::{Id, Store};

/// `GET /approvals`: managers and admins only.
pub async fn queue(State(store): State<Store>, signed: Signed) -> Result<Html<String>, PageError> {
    // Managers decide on others' quotes; the list shows theirs too, marked.
    let _scope = policy::require(&signed.actor, Action::ApproveQuotes)?;
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
        &json!({"me": signed.layout(), "quotes": waiting}),
    )?)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    decision: String,
    comment: Option<String>,
}

/// `POST /approvals/{id}`: approve or reject.
pub async fn decide(
    State(store): State<Store>,
    signed: Signed,
    Path(id): Path<Id>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    let result = async {
        csrf::check(&headers, form.csrf.as_deref())?;
        let comment = form.comment.filter(|c| !c.trim().is_empty());
        workflow::decide(
            &store,
            &signed.actor,
            id,
            form.decision == "approve",
            Decision { comment },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/approvals").into_response(),
        Err(e) => error_page(&e),
    }
}
