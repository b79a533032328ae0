//! The forecast: computed from the deals whenever it is asked for, never
//! typed in. Open deals weighted by probability in the base currency, by
//! month of expected close, by rep and by stage; commit, best case and
//! pipeline; won and lost in the period from the stage history; deals
//! that slipped (their close date moved out, from the audit log) and deals
//! stuck in a stage ([`figures`]). Snapshots keep it honest over time
//! ([`snapshots`]); the `pipeline-report` template prints it ([`report`]).

pub mod figures;
pub mod report;
pub mod snapshots;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::crm::deals::{Deal, Stage};
use crate::error::Error;
use crate::settings;
use crate::store::{Id, Sql, Store, Timestamp};
use figures::{DealFacts, Facts, Forecast, Move, Period, Rates};

/// A deal in the same stage this many days is stuck, unless asked.
pub const STUCK_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastParams {
    /// `2026-Q4`, `2026-11` or `2026`; default: the current quarter.
    pub period: Option<String>,
    /// One rep's forecast; default: everyone's the caller may read (a
    /// rep's own).
    pub rep_id: Option<Id>,
    /// Days in one stage after which an open deal is stuck (default 30).
    #[serde(default, deserialize_with = "crate::input::int_param")]
    #[param(value_type = Option<i64>)]
    pub stuck_days: Option<i64>,
}

/// The period `text` names, or the current quarter.
pub fn period(text: Option<&str>, today: NaiveDate) -> Result<Period, Error> {
    match text {
        None => Ok(Period::quarter_of(today)),
        Some(text) => Period::parse(text).ok_or_else(|| {
            Error::bad_request(
                "period",
                format!("`{text}` is not a period: write 2026-Q4, 2026-11 or 2026"),
            )
        }),
    }
}

/// Whose forecast `actor` asks for: a rep their own only.
pub fn scope(actor: &Actor, rep_id: Option<Id>) -> Result<Option<Id>, Error> {
    let scope = policy::require(actor, Action::ReadForecast)?;
    match (scope.grant(), rep_id) {
        (Grant::Own, None) => Ok(Some(actor.user_id)),
        (Grant::Own, Some(id)) if id != actor.user_id => Err(Error::Forbidden(format!(
            "your role ({}) may read only your own forecast",
            actor.role.as_str()
        ))),
        (_, rep_id) => Ok(rep_id),
    }
}

/// The forecast `params` ask for, as `actor` may read it.
pub async fn forecast(
    store: &Store,
    actor: &Actor,
    params: &ForecastParams,
) -> Result<Forecast, Error> {
    let rep_id = scope(actor, params.rep_id)?;
    let today = chrono::Utc::now().date_naive();
    let period = period(params.period.as_deref(), today)?;
    let stuck_days = match params.stuck_days {
        None => STUCK_DAYS,
        Some(days @ 1..=3650) => days,
        Some(_) => return Err(Error::bad_request("stuck_days", "must be 1 to 3650")),
    };
    compute(store, &period, today, rep_id, stuck_days).await
}

/// The forecast of `period` on `today`, of one rep or everyone's.
pub async fn compute(
    store: &Store,
    period: &Period,
    today: NaiveDate,
    rep_id: Option<Id>,
    stuck_days: i64,
) -> Result<Forecast, Error> {
    let settings = settings::get(store).await?.document;
    let rates = Rates {
        base: settings.base_currency.clone(),
        rates: settings
            .exchange_rates
            .iter()
            .map(|(code, rate)| (code.clone(), rate.0))
            .collect(),
    };
    let mut sql = Sql::new("SELECT * FROM deals");
    if let Some(rep) = rep_id {
        sql.push(" WHERE owner_id = ").bind(rep);
    }
    sql.push(" ORDER BY id");
    let deals: Vec<Deal> = store.fetch_all(&sql).await?;
    let entered = stage_entries(store, rep_id).await?;
    let accounts = account_names(store, &deals).await?;
    let facts: Vec<DealFacts> = deals
        .iter()
        .map(|d| DealFacts {
            id: d.meta.id,
            name: d.name.clone(),
            account_name: accounts.get(&d.account_id).cloned(),
            owner_id: d.owner_id,
            stage: d.stage,
            amount: d.amount.map(|a| a.0),
            currency: d.currency.clone(),
            probability: d.probability,
            expected_close_date: d.expected_close_date.map(|d| d.0),
            stage_since: entered
                .get(&(d.meta.id, d.stage))
                .copied()
                .unwrap_or_else(|| d.meta.created_at.0.date_naive()),
        })
        .collect();
    let closed_on: HashMap<Id, NaiveDate> = deals
        .iter()
        .filter(|d| matches!(d.stage, Stage::Won | Stage::Lost))
        .filter_map(|d| {
            entered
                .get(&(d.meta.id, d.stage))
                .map(|day| (d.meta.id, *day))
        })
        .collect();
    let moves = close_date_moves(store, period).await?;
    let reps = rep_names(store).await?;
    Ok(figures::compute(&Facts {
        period,
        today,
        rep_id,
        deals: &facts,
        closed_on: &closed_on,
        moves: &moves,
        reps: &reps,
        rates: &rates,
        stuck_days,
    }))
}

#[derive(sqlx::FromRow)]
struct Entry {
    deal_id: Id,
    to_stage: Stage,
    at: Option<Timestamp>,
}

/// The day each deal last entered each stage.
async fn stage_entries(
    store: &Store,
    rep_id: Option<Id>,
) -> Result<HashMap<(Id, Stage), NaiveDate>, Error> {
    let mut sql = Sql::new(
        "SELECT c.deal_id AS deal_id, c.to_stage AS to_stage, MAX(c.changed_at) AS at \
         FROM deal_stage_changes c",
    );
    if let Some(rep) = rep_id {
        sql.push(" JOIN deals d ON d.id = c.deal_id WHERE d.owner_id = ")
            .bind(rep);
    }
    sql.push(" GROUP BY c.deal_id, c.to_stage");
    let rows: Vec<Entry> = store.fetch_all(&sql).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some(((r.deal_id, r.to_stage), r.at?.0.date_naive())))
        .collect())
}

#[derive(sqlx::FromRow)]
struct NameRow {
    id: Id,
    name: String,
}

async fn account_names(store: &Store, deals: &[Deal]) -> Result<HashMap<Id, String>, Error> {
    let ids: std::collections::BTreeSet<Id> = deals.iter().map(|d| d.account_id).collect();
    let mut names = HashMap::new();
    // In slices: a pipeline may hold more accounts than one statement binds.
    let ids: Vec<Id> = ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT id, name FROM accounts WHERE id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        let rows: Vec<NameRow> = store.fetch_all(&sql).await?;
        names.extend(rows.into_iter().map(|r| (r.id, r.name)));
    }
    Ok(names)
}

async fn rep_names(store: &Store) -> Result<HashMap<Id, String>, Error> {
    let rows: Vec<NameRow> = store
        .fetch_all(&Sql::new("SELECT id, name FROM users"))
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    entity_id: Option<Id>,
    at: Timestamp,
    changes: String,
}

/// Every change of a deal's expected close date made during `period`,
/// from the audit log (which keeps each value before and after).
async fn close_date_moves(store: &Store, period: &Period) -> Result<Vec<Move>, Error> {
    let start = period.from.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = period
        .to
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new("SELECT entity_id, at, changes FROM audit_log WHERE entity = ");
    sql.bind("deal")
        .push(" AND action = ")
        .bind("update")
        .push(" AND at >= ")
        .bind(Timestamp::from(start))
        .push(" AND at < ")
        .bind(Timestamp::from(end))
        .push(" AND changes LIKE ")
        .bind("%expected_close_date%")
        .push(" ORDER BY at, id");
    let rows: Vec<ChangeRow> = store.fetch_all(&sql).await?;
    let date = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<NaiveDate>().ok());
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let changes: serde_json::Value = serde_json::from_str(&row.changes).ok()?;
            let change = &changes["expected_close_date"];
            Some(Move {
                deal_id: row.entity_id?,
                from: date(&change["before"])?,
                to: date(&change["after"])?,
                on: row.at.0.date_naive(),
            })
        })
        .collect())
}
