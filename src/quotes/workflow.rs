//! A quote's way to the customer: submitting a quote whose discount is
//! over its owner's threshold, a manager's approval or rejection, sending
//! (which freezes the revision), duplicating into the next revision, and
//! expiry after the validity date.
//!
//! Nothing here bypasses approval: a change returns a quote to `draft`
//! (see [`super::update`]), a duplicate starts as a `draft` without the
//! approval, and a sent revision never changes.

use serde::Deserialize;
use utoipa::ToSchema;

use super::resolve::may_write_custom_lines;
use super::{Approval, Quote, QuoteStatus, assemble, get, price_input, save, writable_deal};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::validate::{Check, TEXT_MAX};
use crate::error::Error;
use crate::store::records::{self, Meta, Updated};
use crate::store::{Date, Id, JsonText, Sql, Store, Timestamp};

/// A manager's word on a decision: required to reject.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub comment: Option<String>,
}

fn refuse(quote: &Quote, what: &str) -> Error {
    Error::conflict(format!(
        "quote {} is {}: it cannot be {what}",
        quote.meta.id,
        quote.status.as_str()
    ))
}

/// Asks for approval of a quote over its owner's threshold.
pub async fn submit(store: &Store, actor: &Actor, id: Id) -> Result<Quote, Error> {
    let current = get(store, actor, id).await?;
    writable_deal(store, actor, current.deal_id).await?;
    if !matches!(current.status, QuoteStatus::Draft | QuoteStatus::Rejected) {
        return Err(refuse(&current, "submitted"));
    }
    if !current.needs_approval {
        return Err(Error::conflict(format!(
            "quote {id} needs no approval: its effective discount, {}%, is within the threshold of {}%",
            current.totals.0.effective_discount_percent.0, current.approval_threshold.0
        )));
    }
    let mut quote = current.clone();
    quote.status = QuoteStatus::PendingApproval;
    quote.approval = Some(JsonText(Approval {
        submitted_by: actor.user_id,
        submitted_at: Timestamp::now(),
        decided_by: None,
        decided_at: None,
        comment: None,
    }));
    save(store, actor, &current, quote).await
}

/// Approves (`approve: true`) or rejects a quote waiting for approval.
/// Managers decide on quotes they do not own; admins on any.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: Id,
    approve: bool,
    decision: Decision,
) -> Result<Quote, Error> {
    let scope = policy::require(actor, Action::ApproveQuotes)?;
    let current = get(store, actor, id).await?;
    scope.check_owner(actor, Some(current.owner_id))?;
    if current.status != QuoteStatus::PendingApproval {
        return Err(refuse(
            &current,
            if approve { "approved" } else { "rejected" },
        ));
    }
    let mut c = Check::new();
    let comment = c.text("comment", decision.comment, TEXT_MAX);
    if !approve && comment.is_none() {
        c.errors.add("comment", "required: say what has to change");
    }
    c.finish().map_err(Error::Validation)?;
    let mut quote = current.clone();
    quote.status = if approve {
        QuoteStatus::Approved
    } else {
        QuoteStatus::Rejected
    };
    if let Some(JsonText(approval)) = &mut quote.approval {
        approval.decided_by = Some(actor.user_id);
        approval.decided_at = Some(Timestamp::now());
        approval.comment = comment;
    }
    save(store, actor, &current, quote).await
}

/// Sends the quote: its revision is frozen, figures and all. Only a quote
/// that may reach the customer (approved, or within the threshold) and
/// is still valid.
pub async fn send(store: &Store, actor: &Actor, id: Id) -> Result<Quote, Error> {
    let current = get(store, actor, id).await?;
    writable_deal(store, actor, current.deal_id).await?;
    if current.sent_at.is_some() {
        return Err(refuse(&current, "sent again"));
    }
    current
        .customer_ready(chrono::Utc::now().date_naive())
        .map_err(|why| Error::conflict(format!("quote {id} cannot be sent: {why}")))?;
    let mut quote = current.clone();
    quote.status = QuoteStatus::Sent;
    quote.sent_at = Some(Timestamp::now());
    quote.sent_by = Some(actor.user_id);
    save(store, actor, &current, quote).await
}

/// Starts the next revision of the quote's chain as a draft: the same
/// lines priced from the book as it is now, no approval.
pub async fn duplicate(store: &Store, actor: &Actor, id: Id) -> Result<Quote, Error> {
    let current = get(store, actor, id).await?;
    let deal = writable_deal(store, actor, current.deal_id).await?;
    let mut input = current.to_input();
    input.id = None;
    let figures = price_input(store, &input, may_write_custom_lines(actor)).await?;
    #[derive(sqlx::FromRow)]
    struct Latest {
        n: Option<i64>,
    }
    let mut sql = Sql::new("SELECT MAX(revision) AS n FROM quotes WHERE chain_id = ");
    sql.bind(current.chain_id);
    let latest = store
        .fetch_optional::<Latest>(&sql)
        .await?
        .and_then(|l| l.n)
        .unwrap_or(current.revision);
    let quote = assemble(
        store,
        &input,
        &deal,
        figures,
        Meta::new(None),
        Some((current.chain_id, latest + 1)),
    )
    .await?;
    let mut tx = store.begin().await?;
    records::insert(&mut tx, &quote).await?;
    audit::record_change(&mut tx, actor, None, Some(&quote), audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(quote)
}

/// Marks `expired` every quote past its `valid_until` (today is the last
/// valid day) that is not yet so. The server runs it when it starts and
/// every hour; documents and sending check the date themselves, so the
/// status may lag an hour, never the rule. Returns how many were marked.
pub async fn expire_due(store: &Store) -> Result<usize, Error> {
    let today = chrono::Utc::now().date_naive();
    let mut sql = Sql::new("SELECT * FROM quotes WHERE valid_until < ");
    sql.bind(Date(today))
        .push(" AND status <> ")
        .bind(QuoteStatus::Expired);
    let due = store.fetch_all::<Quote>(&sql).await?;
    let actor = Actor::system();
    let mut marked = 0;
    for current in due {
        let mut quote = current.clone();
        quote.status = QuoteStatus::Expired;
        let mut tx = store.begin().await?;
        // Another instance may have marked it first: then nothing is due.
        if let Updated::Done = records::update(&mut tx, &mut quote).await? {
            audit::record_change(
                &mut tx,
                &actor,
                Some(&current),
                Some(&quote),
                audit::Changes::new(),
            )
            .await?;
            tx.commit().await?;
            marked += 1;
        }
    }
    Ok(marked)
}
