//! Forecast snapshots and accuracy: each rep's forecast of a period as it
//! stood (weekly, and on demand), and, once the period is over, what each
//! rep forecast against what they won, so a manager sees sandbagging and
//! over-optimism in numbers.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::figures::{Forecast, Period};
use super::{STUCK_DAYS, compute, period, scope};
use crate::audit;
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::records::{self, Filters, JsonPage, Meta, Record};
use crate::store::{Amount, Date, Id, Sql, Store, StoreError, Value};

crate::text_enum! {
    /// Taken by the server each week, or when someone asked.
    SnapshotKind {
        Weekly = "weekly",
        OnDemand = "on_demand",
    }
}

/// A rep's forecast of a period as it stood when taken.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Snapshot {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub kind: SnapshotKind,
    /// The ISO week of a weekly snapshot: `2026-W48`.
    pub week: Option<String>,
    pub period: String,
    pub period_from: Date,
    pub period_to: Date,
    pub rep_id: Id,
    pub currency: String,
    pub open_deals: i64,
    pub pipeline: Amount,
    pub weighted: Amount,
    #[sqlx(rename = "commit_amount")]
    pub commit: Amount,
    pub best_case: Amount,
    pub won: Amount,
    pub lost: Amount,
    pub taken_by: Id,
}

impl Record for Snapshot {
    const TABLE: &'static str = "forecast_snapshots";
    const ENTITY: &'static str = "forecast_snapshot";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("kind", self.kind.into()),
            ("week", self.week.clone().into()),
            ("period", self.period.clone().into()),
            ("period_from", self.period_from.into()),
            ("period_to", self.period_to.into()),
            ("rep_id", self.rep_id.into()),
            ("currency", self.currency.clone().into()),
            ("open_deals", self.open_deals.into()),
            ("pipeline", self.pipeline.into()),
            ("weighted", self.weighted.into()),
            ("commit_amount", self.commit.into()),
            ("best_case", self.best_case.into()),
            ("won", self.won.into()),
            ("lost", self.lost.into()),
            ("taken_by", self.taken_by.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {}",
            self.period,
            self.week.as_deref().unwrap_or_default()
        )
    }
}

impl Snapshot {
    fn of(
        forecast: &Forecast,
        rep_id: Id,
        kind: SnapshotKind,
        week: Option<String>,
        by: Id,
    ) -> Self {
        let t = &forecast.totals;
        Snapshot {
            meta: Meta::new(None),
            kind,
            week,
            period: forecast.period.label.clone(),
            period_from: Date(forecast.period.from),
            period_to: Date(forecast.period.to),
            rep_id,
            currency: forecast.currency.clone(),
            open_deals: t.open_deals,
            pipeline: t.pipeline,
            weighted: t.weighted,
            commit: t.commit,
            best_case: t.best_case,
            won: t.won,
            lost: t.lost,
            taken_by: by,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeRequest {
    /// The period; default: the current quarter.
    pub period: Option<String>,
    /// One rep; default: every rep the caller may read (a rep: their own).
    pub rep_id: Option<Id>,
}

/// The reps who own deals, or `rep` alone.
async fn reps(store: &Store, rep: Option<Id>) -> Result<Vec<Id>, Error> {
    if let Some(rep) = rep {
        return Ok(vec![rep]);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        owner_id: Id,
    }
    let rows: Vec<Row> = store
        .fetch_all(&Sql::new(
            "SELECT DISTINCT owner_id FROM deals ORDER BY owner_id",
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.owner_id).collect())
}

/// Takes a snapshot now of each rep's forecast `request` names.
pub async fn take(
    store: &Store,
    actor: &Actor,
    request: TakeRequest,
) -> Result<Vec<Snapshot>, Error> {
    let rep = scope(actor, request.rep_id)?;
    let today = chrono::Utc::now().date_naive();
    let period = period(request.period.as_deref(), today)?;
    let mut taken = Vec::new();
    for rep in reps(store, rep).await? {
        let forecast = compute(store, &period, today, Some(rep), STUCK_DAYS).await?;
        let snapshot = Snapshot::of(&forecast, rep, SnapshotKind::OnDemand, None, actor.user_id);
        keep(store, actor, &snapshot).await?;
        taken.push(snapshot);
    }
    Ok(taken)
}

async fn keep(store: &Store, actor: &Actor, snapshot: &Snapshot) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    records::insert(&mut tx, snapshot).await?;
    audit::record_change(&mut tx, actor, None, Some(snapshot), audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest snapshot of `period` each rep (or `rep` alone) had taken
/// before `day`: what a report measures movement against.
pub async fn latest_before(
    store: &Store,
    period: &Period,
    rep: Option<Id>,
    day: NaiveDate,
) -> Result<Vec<Snapshot>, Error> {
    let Some(start) = day.and_hms_opt(0, 0, 0) else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new("SELECT * FROM forecast_snapshots WHERE period = ");
    sql.bind(period.label.as_str())
        .push(" AND created_at < ")
        .bind(crate::store::Timestamp::from(start.and_utc()));
    if let Some(rep) = rep {
        sql.push(" AND rep_id = ").bind(rep);
    }
    sql.push(" ORDER BY created_at DESC, id DESC");
    let mut latest: Vec<Snapshot> = Vec::new();
    for snapshot in store.fetch_all::<Snapshot>(&sql).await? {
        if !latest.iter().any(|s| s.rep_id == snapshot.rep_id) {
            latest.push(snapshot);
        }
    }
    Ok(latest)
}

/// `2026-W48`: the ISO week of `day`.
pub fn iso_week(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Takes this week's snapshot of each rep's forecast of the current
/// quarter, unless it was taken: what a server does once a week. Returns
/// how many it took.
pub async fn take_weekly(store: &Store) -> Result<usize, Error> {
    let actor = Actor::system();
    let today = chrono::Utc::now().date_naive();
    let week = iso_week(today);
    let period = Period::quarter_of(today);
    let mut taken = 0;
    for rep in reps(store, None).await? {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM forecast_snapshots WHERE rep_id = ");
        sql.bind(rep).push(" AND week = ").bind(week.as_str());
        if store
            .fetch_optional::<crate::store::Count>(&sql)
            .await?
            .is_some_and(|c| c.n > 0)
        {
            continue;
        }
        let forecast = compute(store, &period, today, Some(rep), STUCK_DAYS).await?;
        let snapshot = Snapshot::of(
            &forecast,
            rep,
            SnapshotKind::Weekly,
            Some(week.clone()),
            actor.user_id,
        );
        match keep(store, &actor, &snapshot).await {
            Ok(()) => taken += 1,
            // Another server took it first.
            Err(Error::Store(StoreError::Unique(_))) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SnapshotFilter {
    pub rep_id: Option<Id>,
    pub period: Option<String>,
    pub kind: Option<SnapshotKind>,
}

/// A page of snapshots, oldest first: a rep's own, or everyone's.
pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &SnapshotFilter,
) -> Result<JsonPage, Error> {
    let rep = scope(actor, filter.rep_id)?;
    let mut query = params.query(false)?;
    query.filters = Filters::new()
        .eq("rep_id", rep)
        .eq(
            "period",
            filter.period.as_ref().map(|p| p.trim().to_uppercase()),
        )
        .eq("kind", filter.kind)
        .build();
    Ok(records::list::<Snapshot>(store, &query).await?)
}

/// How a rep's forecast of a past period compared with what they won.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PeriodAccuracy {
    pub period: String,
    /// The first snapshot of the period: the forecast as first stated.
    pub snapshot_id: Id,
    pub taken_at: crate::store::Timestamp,
    pub forecast_commit: Amount,
    pub forecast_weighted: Amount,
    /// Won in the period, as the stage history tells now.
    pub won: Amount,
    /// Won ÷ commit, to two decimals; `null` when nothing was committed.
    pub ratio: Option<Amount>,
    /// `sandbagging` (won more than 110 % of commit), `over_optimistic`
    /// (less than 90 %) or `on_target`.
    pub bias: Bias,
}

crate::text_enum! {
    Bias {
        Sandbagging = "sandbagging",
        OverOptimistic = "over_optimistic",
        OnTarget = "on_target",
    }
}

/// A rep's accuracy over the past periods with snapshots.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepAccuracy {
    pub rep_id: Id,
    pub rep_name: Option<String>,
    pub currency: String,
    pub periods: Vec<PeriodAccuracy>,
    /// The mean of the periods' ratios.
    pub average_ratio: Option<Amount>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccuracyParams {
    pub rep_id: Option<Id>,
}

/// Won against commit, and what that says.
pub fn judge(commit: Decimal, won: Decimal) -> (Option<Decimal>, Bias) {
    if commit.is_zero() {
        let bias = match won.is_zero() {
            true => Bias::OnTarget,
            false => Bias::Sandbagging,
        };
        return (None, bias);
    }
    let ratio = crate::quotes::pricing::round_money(won / commit, 2);
    let bias = if ratio > Decimal::new(110, 2) {
        Bias::Sandbagging
    } else if ratio < Decimal::new(90, 2) {
        Bias::OverOptimistic
    } else {
        Bias::OnTarget
    };
    (Some(ratio), bias)
}

/// Each rep's accuracy over the periods that are over and have snapshots.
pub async fn accuracy(
    store: &Store,
    actor: &Actor,
    params: &AccuracyParams,
) -> Result<Vec<RepAccuracy>, Error> {
    let rep = scope(actor, params.rep_id)?;
    let today = chrono::Utc::now().date_naive();
    let mut sql = Sql::new("SELECT * FROM forecast_snapshots WHERE period_to < ");
    sql.bind(Date(today));
    if let Some(rep) = rep {
        sql.push(" AND rep_id = ").bind(rep);
    }
    sql.push(" ORDER BY rep_id, period_from, created_at, id");
    let snapshots: Vec<Snapshot> = store.fetch_all(&sql).await?;
    // The first snapshot of each rep and period.
    let mut first: BTreeMap<(Id, NaiveDate, String), Snapshot> = BTreeMap::new();
    for s in snapshots {
        first
            .entry((s.rep_id, s.period_from.0, s.period.clone()))
            .or_insert(s);
    }
    let names = super::rep_names(store).await?;
    let mut reps: BTreeMap<Id, RepAccuracy> = BTreeMap::new();
    for ((rep_id, _, label), snapshot) in first {
        let Some(period) = Period::parse(&label) else {
            continue;
        };
        let now = compute(store, &period, today, Some(rep_id), STUCK_DAYS).await?;
        let (ratio, bias) = judge(snapshot.commit.0, now.totals.won.0);
        let entry = reps.entry(rep_id).or_insert_with(|| RepAccuracy {
            rep_id,
            rep_name: names.get(&rep_id).cloned(),
            currency: now.currency.clone(),
            periods: Vec::new(),
            average_ratio: None,
        });
        entry.periods.push(PeriodAccuracy {
            period: label,
            snapshot_id: snapshot.meta.id,
            taken_at: snapshot.meta.created_at,
            forecast_commit: snapshot.commit,
            forecast_weighted: snapshot.weighted,
            won: now.totals.won,
            ratio: ratio.map(Amount),
            bias,
        });
    }
    let mut out: Vec<RepAccuracy> = reps.into_values().collect();
    for rep in &mut out {
        let ratios: Vec<Decimal> = rep
            .periods
            .iter()
            .filter_map(|p| p.ratio.map(|r| r.0))
            .collect();
        if !ratios.is_empty() {
            let mean = ratios.iter().sum::<Decimal>() / Decimal::from(ratios.len());
            rep.average_ratio = Some(Amount(crate::quotes::pricing::round_money(mean, 2)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn won_against_commit_tells_sandbagging_from_over_optimism() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            judge(d("100000"), d("150000")),
            (Some(d("1.50")), Bias::Sandbagging)
        );
        assert_eq!(
            judge(d("100000"), d("40000")),
            (Some(d("0.40")), Bias::OverOptimistic)
        );
        assert_eq!(
            judge(d("100000"), d("95000")),
            (Some(d("0.95")), Bias::OnTarget)
        );
        assert_eq!(judge(d("0"), d("0")), (None, Bias::OnTarget));
        assert_eq!(judge(d("0"), d("10")), (None, Bias::Sandbagging));
    }

    #[test]
    fn iso_weeks_are_labelled_by_their_own_year() {
        assert_eq!(iso_week("2026-11-24".parse().unwrap()), "2026-W48");
        assert_eq!(iso_week("2027-01-01".parse().unwrap()), "2026-W53");
    }
}
