//! "My deals" (the pipeline by stage, next steps, deals closing soon) and
//! the global search.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PageError, Signed, view};
use crate::auth::users::{self, User};
use crate::auth::{Actor, Role};
use crate::crm::accounts::{Account, AccountFilter};
use crate::crm::contacts::{Contact, ContactFilter};
use crate::crm::deals::{Deal, DealFilter, Stage};
use crate::crm::{self, ListParams, Resource};
use crate::error::Error;
use crate::store::{Id, Store};
use crate::templates::format;

/// The stages a deal is open in, in pipeline order.
const OPEN: [Stage; 4] = [
    Stage::Lead,
    Stage::Qualified,
    Stage::Proposal,
    Stage::Negotiation,
];

/// Every record `filter` selects (up to 1 000), as the API shows them,
/// matching `q` when given.
pub(super) async fn every<R: Resource>(
    store: &Store,
    actor: &Actor,
    filter: &R::Filter,
    q: Option<&str>,
) -> Result<Vec<Value>, Error> {
    let mut items = Vec::new();
    let mut params = ListParams {
        limit: Some(crm::list::MAX_LIMIT),
        q: q.map(str::to_owned),
        ..ListParams::default()
    };
    for _ in 0..5 {
        let page = crm::list::<R>(store, actor, &params, filter).await?;
        let mut got: Vec<Value> =
            serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
        items.append(&mut got);
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor.encode()),
            None => break,
        }
    }
    Ok(items)
}

/// `amount` in `currency`, as the English locale writes it.
pub(super) fn money(amount: &Value, currency: &Value) -> Option<String> {
    let amount = Decimal::from_str(amount.as_str()?).ok()?;
    format::money(amount, currency.as_str()?, "en").ok()
}

#[derive(Debug, Default, Deserialize)]
pub struct Board {
    /// One rep's deals on the team board; blank for the whole team.
    owner: Option<String>,
}

/// `GET /deals`: the signed-in rep's deals; for the other roles the team
/// board, everyone's or one rep's.
pub async fn mine(
    State(store): State<Store>,
    signed: Signed,
    Query(board): Query<Board>,
) -> Result<Html<String>, PageError> {
    let actor = &signed.actor;
    let team = actor.role != Role::Rep;
    let chosen = match board.owner.as_deref().map(str::trim) {
        Some(owner) if team && !owner.is_empty() => Some(
            owner
                .parse::<Id>()
                .map_err(|_| Error::invalid("owner", "choose a rep from the list"))?,
        ),
        _ => None,
    };
    // A rep's pipeline is their own; the other roles look after everyone's.
    let filter = DealFilter {
        owner_id: if team { chosen } else { Some(actor.user_id) },
        ..DealFilter::default()
    };
    let deals = every::<Deal>(&store, actor, &filter, None).await?;
    let owners = names_of::<User>(&store, actor, &deals, "owner_id").await?;
    let accounts = names_of::<Account>(&store, actor, &deals, "account_id").await?;
    let shown = |d: &Value| {
        let mut d = d.clone();
        d["account_name"] = accounts
            .get(d["account_id"].as_str().unwrap_or_default())
            .cloned()
            .into();
        d["owner_name"] = owners
            .get(d["owner_id"].as_str().unwrap_or_default())
            .cloned()
            .into();
        d["money"] = money(&d["amount"], &d["currency"]).into();
        d
    };
    let today = Utc::now().date_naive();
    let soon = (today + Duration::days(30)).to_string();
    let open = |d: &&Value| OPEN.iter().any(|s| d["stage"] == s.as_str());
    let pipeline: Vec<Value> = OPEN
        .iter()
        .map(|stage| {
            let in_stage: Vec<Value> = deals
                .iter()
                .filter(|d| d["stage"] == stage.as_str())
                .map(shown)
                .collect();
            json!({"stage": stage.as_str(), "deals": in_stage})
        })
        .collect();
    let mut next_steps: Vec<Value> = deals
        .iter()
        .filter(open)
        .filter(|d| d["next_step"].is_string())
        .map(shown)
        .collect();
    next_steps.sort_by(|a, b| date_key(&a["next_step_date"]).cmp(&date_key(&b["next_step_date"])));
    let mut closing: Vec<Value> = deals
        .iter()
        .filter(open)
        .filter(|d| {
            d["expected_close_date"]
                .as_str()
                .is_some_and(|c| c <= soon.as_str())
        })
        .map(shown)
        .collect();
    closing.sort_by(|a, b| {
        date_key(&a["expected_close_date"]).cmp(&date_key(&b["expected_close_date"]))
    });
    Ok(view::render(
        "deals.html",
        &json!({
            "me": signed.layout(),
            "current": "/deals",
            "pipeline": pipeline,
            "next_steps": next_steps,
            "closing": closing,
            "today": today.to_string(),
            "count": deals.len(),
            "team": team,
            "owners": if team { users::sellers(&store, actor).await? } else { Vec::new() },
            "owner": chosen.map(|c| c.to_string()),
        }),
    )?)
}

/// Dates sort as text; a missing one last.
fn date_key(v: &Value) -> String {
    v.as_str().map_or_else(|| "9999".to_owned(), str::to_owned)
}

/// The names of the records of collection `R` that `deals` name in
/// field `key` (their accounts, their owners), by id.
async fn names_of<R: crate::store::records::Record>(
    store: &Store,
    actor: &Actor,
    deals: &[Value],
    key: &str,
) -> Result<HashMap<String, String>, Error> {
    let mut ids: Vec<Id> = deals
        .iter()
        .filter_map(|d| d[key].as_str()?.parse().ok())
        .collect();
    ids.sort();
    ids.dedup();
    Ok(crm::names::<R>(store, actor, &ids)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /search?q=`: accounts, contacts and deals whose text matches.
pub async fn search(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let q = query.q.unwrap_or_default();
    let q = q.trim();
    let actor = &signed.actor;
    let (accounts, contacts, deals) = if q.is_empty() {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let deals = every::<Deal>(&store, actor, &DealFilter::default(), Some(q)).await?;
        let names = names_of::<Account>(&store, actor, &deals, "account_id").await?;
        let deals = deals
            .into_iter()
            .map(|mut d| {
                d["account_name"] = names
                    .get(d["account_id"].as_str().unwrap_or_default())
                    .cloned()
                    .into();
                d
            })
            .collect();
        (
            every::<Account>(&store, actor, &AccountFilter::default(), Some(q)).await?,
            every::<Contact>(&store, actor, &ContactFilter::default(), Some(q)).await?,
            deals,
        )
    };
    Ok(view::render(
        "search.html",
        &json!({"me": signed.layout(), "q": q, "accounts": accounts, "contacts": contacts, "deals": deals}),
    )?)
}
