//! Quotes on a deal: lines from a price book (or custom ones), discounts,
//! taxes, and every figure computed by [`pricing`] when the quote is
//! saved, so the API, the screen and the documents show the same numbers.
//!
//! A quote is a revision (v1, v2, …) of its chain. Its status moves
//! `draft` → (`pending_approval` → `approved` | `rejected`) → `sent`; see
//! [`workflow`]. A change to a quote that was never sent returns it to
//! `draft` and voids any approval; a sent revision never changes. Past its
//! `valid_until` a quote is `expired` ([`workflow::expire_due`]).

pub mod pricing;
mod record;
mod resolve;
pub mod workflow;

use rust_decimal::Decimal;

pub use record::{
    Approval, GroupTotal, LineInput, Quote, QuoteFilter, QuoteInput, QuoteLine, QuoteStatus,
    TaxTotal, Totals,
};
pub use resolve::{Figures, price_input};

use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::ListParams;
use crate::crm::deals::Deal;
use crate::crm::validate::{Check, TEXT_MAX};
use crate::error::{Error, FieldErrors};
use crate::input;
use crate::settings;
use crate::store::records::{self, Filters, JsonPage, Meta, Updated};
use crate::store::{Amount, Id, JsonText, Store};
use resolve::may_write_custom_lines;

/// The approval threshold of `owner`'s role, percent; 0 for a role that
/// gives no discounts.
async fn threshold_of(store: &Store, owner: Id) -> Result<Decimal, Error> {
    let user: crate::auth::users::User = records::get(store, owner)
        .await?
        .ok_or_else(|| Error::Internal(format!("the deal's owner {owner} is missing")))?;
    let settings = settings::get(store).await?;
    Ok(settings
        .document
        .approval_thresholds
        .get(user.role.as_str())
        .map_or(Decimal::ZERO, |a| a.0))
}

/// Prices an unsaved quote, for live totals; stores nothing.
pub async fn preview(store: &Store, actor: &Actor, input: &QuoteInput) -> Result<Figures, Error> {
    // Any grant will do: nothing is stored, and no deal is named.
    let _ = policy::require(actor, Action::WriteQuotes)?;
    price_input(store, input, may_write_custom_lines(actor)).await
}

/// The deal `id`, and the quote-writing grant of `actor` checked against
/// its owner.
async fn writable_deal(store: &Store, actor: &Actor, id: Id) -> Result<Deal, Error> {
    let scope = policy::require(actor, Action::WriteQuotes)?;
    let deal: Deal = records::get(store, id)
        .await?
        .ok_or_else(|| Error::invalid("deal_id", format!("there is no deal {id}")))?;
    scope.check_owner(actor, Some(deal.owner_id))?;
    Ok(deal)
}

/// Makes a quote from `figures` (first revision of a new chain unless
/// `chain` names the chain and revision).
async fn assemble(
    store: &Store,
    input: &QuoteInput,
    deal: &Deal,
    figures: Figures,
    meta: Meta,
    chain: Option<(Id, i64)>,
) -> Result<Quote, Error> {
    let threshold = threshold_of(store, deal.owner_id).await?;
    let mut c = Check::new();
    let payment_terms = c.text("payment_terms", input.payment_terms.clone(), TEXT_MAX);
    let notes = c.text("notes", input.notes.clone(), TEXT_MAX);
    c.finish().map_err(Error::Validation)?;
    let (chain_id, revision) = chain.unwrap_or((meta.id, 1));
    Ok(Quote {
        deal_id: deal.meta.id,
        owner_id: deal.owner_id,
        price_book_id: input.price_book_id.unwrap_or_default(),
        currency: figures.currency,
        status: QuoteStatus::Draft,
        revision,
        chain_id,
        needs_approval: figures.totals.effective_discount_percent.0 > threshold,
        approval_threshold: Amount(threshold),
        lines: JsonText(figures.lines),
        discount_percent: input.discount_percent.unwrap_or(Amount(Decimal::ZERO)),
        valid_until: input.valid_until,
        payment_terms,
        notes,
        groups: JsonText(figures.groups),
        totals: JsonText(figures.totals),
        approval: None,
        sent_at: None,
        sent_by: None,
        meta,
    })
}

/// Creates the first revision of a quote on a deal.
pub async fn create(store: &Store, actor: &Actor, input: QuoteInput) -> Result<Quote, Error> {
    let deal_id = input
        .deal_id
        .ok_or_else(|| Error::invalid("deal_id", "required"))?;
    let deal = writable_deal(store, actor, deal_id).await?;
    let figures = price_input(store, &input, may_write_custom_lines(actor)).await?;
    let quote = assemble(store, &input, &deal, figures, Meta::new(input.id), None).await?;
    let mut tx = store.begin().await?;
    records::insert(&mut tx, &quote).await?;
    audit::record_change(&mut tx, actor, None, Some(&quote), audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(quote)
}

/// Quote `id`; everyone who reads deals reads their quotes.
pub async fn get(store: &Store, actor: &Actor, id: Id) -> Result<Quote, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    records::get::<Quote>(store, id)
        .await?
        .ok_or_else(|| Error::not_found("quote", id))
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &QuoteFilter,
) -> Result<JsonPage, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    let mut query = params.query(false)?;
    query.filters = Filters::new()
        .eq("deal_id", filter.deal_id)
        .eq("owner_id", filter.owner_id)
        .eq("status", filter.status)
        .eq("chain_id", filter.chain_id)
        .build();
    Ok(records::list::<Quote>(store, &query).await?)
}

/// Applies a PATCH (absent fields unchanged, `null` clears, `version`
/// must match). The quote is priced again and returns to `draft`, its
/// approval void; a sent revision is refused.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: Id,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<Quote, Error> {
    let version = input::take_version(&mut patch)?;
    let current = get(store, actor, id).await?;
    let deal = writable_deal(store, actor, current.deal_id).await?;
    if current.sent_at.is_some() {
        return Err(Error::conflict(format!(
            "quote {id} was sent as revision {}, which never changes: duplicate it to start revision {}",
            current.revision,
            current.revision + 1
        )));
    }
    for fixed in ["id", "deal_id"] {
        if let Some(value) = patch.remove(fixed)
            && value
                != serde_json::to_value(if fixed == "id" { id } else { current.deal_id })
                    .unwrap_or_default()
        {
            return Err(Error::invalid(fixed, "cannot be changed"));
        }
    }
    let mut merged = match serde_json::to_value(current.to_input()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    merged.extend(patch);
    let input: QuoteInput = input::from_json_value(serde_json::Value::Object(merged))?;
    let figures = price_input(store, &input, may_write_custom_lines(actor)).await?;
    let mut meta = current.meta.clone();
    meta.version = version;
    let quote = assemble(
        store,
        &input,
        &deal,
        figures,
        meta,
        Some((current.chain_id, current.revision)),
    )
    .await?;
    save(store, actor, &current, quote).await
}

/// Writes `quote` over `current` (its version checked) and logs the change.
async fn save(
    store: &Store,
    actor: &Actor,
    current: &Quote,
    mut quote: Quote,
) -> Result<Quote, Error> {
    let mut tx = store.begin().await?;
    match records::update(&mut tx, &mut quote).await? {
        Updated::Done => {}
        Updated::Stale { current_version } => {
            return Err(Error::Conflict {
                message: format!(
                    "quote {} was changed by someone else: it is at version {current_version}",
                    quote.meta.id
                ),
                current_version: Some(current_version),
                fields: FieldErrors::new(),
            });
        }
        Updated::Missing => return Err(Error::not_found("quote", quote.meta.id)),
    }
    audit::record_change(
        &mut tx,
        actor,
        Some(current),
        Some(&quote),
        audit::Changes::new(),
    )
    .await?;
    tx.commit().await?;
    Ok(quote)
}

/// Deletes a draft quote; one that was submitted, decided or sent is kept.
pub async fn delete(store: &Store, actor: &Actor, id: Id) -> Result<(), Error> {
    let current = get(store, actor, id).await?;
    writable_deal(store, actor, current.deal_id).await?;
    if current.status != QuoteStatus::Draft {
        return Err(Error::conflict(format!(
            "quote {id} is {}: only a draft is deleted",
            current.status.as_str()
        )));
    }
    let mut tx = store.begin().await?;
    if let records::Deletion::Missing = records::delete::<Quote>(&mut tx, id).await? {
        return Err(Error::not_found("quote", id));
    }
    audit::record_change(&mut tx, actor, Some(&current), None, audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(())
}
