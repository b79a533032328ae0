//! The forecast's arithmetic: pure functions over the deals' facts, in
//! exact decimals. Each deal's amount is converted to the base currency
//! and rounded to its minor unit (half-up), and so is its weighted amount
//! (amount × probability); groups add those rounded figures, so every
//! total is the sum of the lines a reader sees.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::crm::deals::Stage;
use crate::quotes::pricing::{minor_units, round_money};
use crate::store::{Amount, Id};

/// An open deal at this probability or above is `commit`.
pub const COMMIT_FROM: i64 = 75;
/// An open deal at this probability or above (and below commit) is `best
/// case`; below it, `pipeline` only.
pub const BEST_CASE_FROM: i64 = 50;

/// A span of whole days, both ends included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    /// `2026-Q4`, `2026-11` or `2026`.
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY`.
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let (from, to) = match text.split_once('-') {
            None => {
                let year: i32 = text.parse().ok()?;
                (
                    NaiveDate::from_ymd_opt(year, 1, 1)?,
                    NaiveDate::from_ymd_opt(year, 12, 31)?,
                )
            }
            Some((year, rest)) => {
                let year: i32 = year.parse().ok()?;
                let (first, months) = match rest.strip_prefix(['Q', 'q']) {
                    Some(q) => {
                        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
                        ((q - 1) * 3 + 1, 3)
                    }
                    None => (rest.parse().ok().filter(|m| (1..=12).contains(m))?, 1),
                };
                let from = NaiveDate::from_ymd_opt(year, first, 1)?;
                let next = from.checked_add_months(chrono::Months::new(months))?;
                (from, next.pred_opt()?)
            }
        };
        if !(1900..=9999).contains(&from.year()) {
            return None;
        }
        Some(Period {
            label: text.to_uppercase(),
            from,
            to,
        })
    }

    /// The quarter `day` is in.
    pub fn quarter_of(day: NaiveDate) -> Period {
        let label = format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1);
        Period::parse(&label).unwrap_or(Period {
            label,
            from: day,
            to: day,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// Its months, `YYYY-MM`, in order.
    fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut day = self.from.with_day(1).unwrap_or(self.from);
        while day <= self.to {
            months.push(day.format("%Y-%m").to_string());
            match day.checked_add_months(chrono::Months::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        months
    }
}

/// Exchange rates into the base currency.
#[derive(Clone, Debug)]
pub struct Rates {
    pub base: String,
    /// The value of one unit of each other currency in the base currency.
    pub rates: BTreeMap<String, Decimal>,
}

impl Rates {
    /// `amount` of `currency` in the base currency, rounded to its minor
    /// unit; `None` without a rate.
    pub fn convert(&self, amount: Decimal, currency: &str) -> Option<Decimal> {
        let rate = match currency == self.base {
            true => Decimal::ONE,
            false => *self.rates.get(currency)?,
        };
        Some(self.round(amount * rate))
    }

    fn round(&self, amount: Decimal) -> Decimal {
        round_money(amount, minor_units(&self.base).unwrap_or(2))
    }
}

/// What the forecast knows of a deal.
#[derive(Clone, Debug)]
pub struct DealFacts {
    pub id: Id,
    pub name: String,
    pub account_name: Option<String>,
    pub owner_id: Id,
    pub stage: Stage,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub probability: i64,
    pub expected_close_date: Option<NaiveDate>,
    /// The day it entered its current stage.
    pub stage_since: NaiveDate,
}

/// A move of a deal's expected close date to a later day.
#[derive(Clone, Debug)]
pub struct Move {
    pub deal_id: Id,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub on: NaiveDate,
}

/// The sums of a group of deals, in the base currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// Open deals expected to close in the period.
    pub open_deals: i64,
    /// Their amounts.
    pub pipeline: Amount,
    /// Their amounts times their probabilities.
    pub weighted: Amount,
    /// The amounts of those at `COMMIT_FROM` percent or more.
    pub commit: Amount,
    /// Commit plus the amounts of those at `BEST_CASE_FROM` percent or more.
    pub best_case: Amount,
    /// Won in the period (moved to `won`), and their number.
    pub won: Amount,
    pub won_deals: i64,
    /// Lost in the period, and their number.
    pub lost: Amount,
    pub lost_deals: i64,
}

impl Figures {
    /// Every sum to the base currency's minor unit: `0.00`, not `0`.
    fn scaled(mut self, rates: &Rates) -> Figures {
        for sum in [
            &mut self.pipeline,
            &mut self.weighted,
            &mut self.commit,
            &mut self.best_case,
            &mut self.won,
            &mut self.lost,
        ] {
            sum.0 = rates.round(sum.0);
        }
        self
    }

    fn add_open(&mut self, amount: Decimal, weighted: Decimal, probability: i64) {
        self.open_deals += 1;
        self.pipeline.0 += amount;
        self.weighted.0 += weighted;
        if probability >= COMMIT_FROM {
            self.commit.0 += amount;
        }
        if probability >= BEST_CASE_FROM {
            self.best_case.0 += amount;
        }
    }
}

/// A deal as the forecast lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DealLine {
    pub id: Id,
    pub name: String,
    pub account_name: Option<String>,
    pub owner_id: Id,
    pub owner_name: Option<String>,
    pub stage: Stage,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    /// The amount in the base currency; `null` without a rate.
    pub amount_base: Option<Amount>,
    pub probability: i64,
    pub expected_close_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RepFigures {
    pub rep_id: Id,
    pub rep_name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StageFigures {
    pub stage: Stage,
    pub open_deals: i64,
    pub amount: Amount,
    pub weighted: Amount,
}

/// A deal whose expected close date moved later during the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Slipped {
    pub deal: DealLine,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day it was moved.
    pub moved_on: NaiveDate,
    pub days: i64,
}

/// An open deal in the same stage for longer than the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Stuck {
    pub deal: DealLine,
    pub since: NaiveDate,
    pub days: i64,
}

/// The forecast of a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Forecast {
    pub period: Period,
    /// The base currency every figure is in.
    pub currency: String,
    /// The rep it is limited to; `null`: everyone's.
    pub rep_id: Option<Id>,
    pub totals: Figures,
    /// Every month of the period, by expected close (won and lost: by the
    /// day they were).
    pub by_month: Vec<MonthFigures>,
    pub by_rep: Vec<RepFigures>,
    /// Open deals expected to close in the period, by stage.
    pub by_stage: Vec<StageFigures>,
    pub won: Vec<DealLine>,
    pub lost: Vec<DealLine>,
    pub slipped: Vec<Slipped>,
    /// Open deals in their stage for more than `stuck_days`.
    pub stuck: Vec<Stuck>,
    pub stuck_days: i64,
    /// Deals left out of the sums: their currency has no exchange rate.
    pub unconverted: Vec<DealLine>,
}

/// The facts a forecast is computed from.
pub struct Facts<'a> {
    pub period: &'a Period,
    pub today: NaiveDate,
    pub rep_id: Option<Id>,
    pub deals: &'a [DealFacts],
    /// When each won or lost deal was moved to its stage.
    pub closed_on: &'a HashMap<Id, NaiveDate>,
    pub moves: &'a [Move],
    pub reps: &'a HashMap<Id, String>,
    pub rates: &'a Rates,
    pub stuck_days: i64,
}

/// The forecast for `facts`.
pub fn compute(facts: &Facts<'_>) -> Forecast {
    let period = facts.period;
    let rates = facts.rates;
    let line = |deal: &DealFacts| DealLine {
        id: deal.id,
        name: deal.name.clone(),
        account_name: deal.account_name.clone(),
        owner_id: deal.owner_id,
        owner_name: facts.reps.get(&deal.owner_id).cloned(),
        stage: deal.stage,
        amount: deal.amount.map(Amount),
        currency: deal.currency.clone(),
        amount_base: base_amount(rates, deal).map(Amount),
        probability: deal.probability,
        expected_close_date: deal.expected_close_date,
    };
    let mut totals = Figures::default();
    let mut months: Vec<MonthFigures> = period
        .months()
        .into_iter()
        .map(|month| MonthFigures {
            month,
            figures: Figures::default(),
        })
        .collect();
    let mut reps: BTreeMap<Id, Figures> = BTreeMap::new();
    let mut stages: BTreeMap<usize, StageFigures> = BTreeMap::new();
    let mut forecast = Forecast {
        period: period.clone(),
        currency: rates.base.clone(),
        rep_id: facts.rep_id,
        totals: Figures::default(),
        by_month: Vec::new(),
        by_rep: Vec::new(),
        by_stage: Vec::new(),
        won: Vec::new(),
        lost: Vec::new(),
        slipped: Vec::new(),
        stuck: Vec::new(),
        stuck_days: facts.stuck_days,
        unconverted: Vec::new(),
    };
    let month_of = |day: NaiveDate| day.format("%Y-%m").to_string();
    for deal in facts.deals {
        let closed = matches!(deal.stage, Stage::Won | Stage::Lost);
        let day = match closed {
            true => facts.closed_on.get(&deal.id).copied(),
            false => deal.expected_close_date,
        };
        let counts = day.is_some_and(|d| period.contains(d)) && deal.amount.is_some();
        if !closed
            && facts
                .today
                .signed_duration_since(deal.stage_since)
                .num_days()
                > facts.stuck_days
        {
            forecast.stuck.push(Stuck {
                deal: line(deal),
                since: deal.stage_since,
                days: facts
                    .today
                    .signed_duration_since(deal.stage_since)
                    .num_days(),
            });
        }
        if !counts {
            continue;
        }
        let Some(amount) = base_amount(rates, deal) else {
            forecast.unconverted.push(line(deal));
            continue;
        };
        let month = day.map(month_of).unwrap_or_default();
        let rep = reps.entry(deal.owner_id).or_default();
        let in_month = months.iter_mut().find(|m| m.month == month);
        let mut groups: Vec<&mut Figures> = vec![&mut totals, rep];
        if let Some(m) = in_month {
            groups.push(&mut m.figures);
        }
        match deal.stage {
            Stage::Won => {
                for g in groups {
                    g.won.0 += amount;
                    g.won_deals += 1;
                }
                forecast.won.push(line(deal));
            }
            Stage::Lost => {
                for g in groups {
                    g.lost.0 += amount;
                    g.lost_deals += 1;
                }
                forecast.lost.push(line(deal));
            }
            _ => {
                let weighted =
                    rates.round(amount * Decimal::from(deal.probability) / Decimal::ONE_HUNDRED);
                for g in groups {
                    g.add_open(amount, weighted, deal.probability);
                }
                let at = Stage::ALL
                    .iter()
                    .position(|s| *s == deal.stage)
                    .unwrap_or(0);
                let stage = stages.entry(at).or_insert_with(|| StageFigures {
                    stage: deal.stage,
                    open_deals: 0,
                    amount: Amount(Decimal::ZERO),
                    weighted: Amount(Decimal::ZERO),
                });
                stage.open_deals += 1;
                stage.amount.0 += amount;
                stage.weighted.0 += weighted;
            }
        }
    }
    let by_id: HashMap<Id, &DealFacts> = facts.deals.iter().map(|d| (d.id, d)).collect();
    for moved in facts.moves {
        let Some(deal) = by_id.get(&moved.deal_id) else {
            continue;
        };
        // Slipped: expected in or before the period, moved later during it.
        if moved.to > moved.from && moved.from <= period.to && period.contains(moved.on) {
            forecast.slipped.push(Slipped {
                deal: line(deal),
                from: moved.from,
                to: moved.to,
                moved_on: moved.on,
                days: moved.to.signed_duration_since(moved.from).num_days(),
            });
        }
    }
    forecast
        .slipped
        .sort_by(|a, b| b.days.cmp(&a.days).then(a.moved_on.cmp(&b.moved_on)));
    forecast.stuck.sort_by_key(|s| std::cmp::Reverse(s.days));
    let by_amount = |a: &DealLine, b: &DealLine| b.amount_base.cmp(&a.amount_base);
    forecast.won.sort_by(by_amount);
    forecast.lost.sort_by(by_amount);
    forecast.totals = totals.scaled(rates);
    forecast.by_month = months
        .into_iter()
        .map(|m| MonthFigures {
            month: m.month,
            figures: m.figures.scaled(rates),
        })
        .collect();
    forecast.by_rep = reps
        .into_iter()
        .map(|(rep_id, figures)| RepFigures {
            rep_id,
            rep_name: facts.reps.get(&rep_id).cloned(),
            figures: figures.scaled(rates),
        })
        .collect();
    forecast.by_rep.sort_by(|a, b| {
        b.figures
            .weighted
            .cmp(&a.figures.weighted)
            .then(a.rep_name.cmp(&b.rep_name))
    });
    forecast.by_stage = stages
        .into_values()
        .map(|mut s| {
            s.amount.0 = rates.round(s.amount.0);
            s.weighted.0 = rates.round(s.weighted.0);
            s
        })
        .collect();
    forecast
}

fn base_amount(rates: &Rates, deal: &DealFacts) -> Option<Decimal> {
    rates.convert(
        deal.amount?,
        deal.currency.as_deref().unwrap_or(&rates.base),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_months_quarters_and_years() {
        let q = Period::parse("2026-q4").unwrap();
        assert_eq!(
            (q.label.as_str(), q.from, q.to),
            ("2026-Q4", day("2026-10-01"), day("2026-12-31"))
        );
        let m = Period::parse("2024-02").unwrap();
        assert_eq!((m.from, m.to), (day("2024-02-01"), day("2024-02-29")));
        let y = Period::parse("2027").unwrap();
        assert_eq!((y.from, y.to), (day("2027-01-01"), day("2027-12-31")));
        assert_eq!(y.months().len(), 12);
        for bad in ["2026-13", "2026-Q5", "26", "next", "2026-Q0", ""] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Period::quarter_of(day("2026-11-24")).label, "2026-Q4");
    }

    #[test]
    fn conversion_rounds_each_amount_half_up_in_the_base_currency() {
        let rates = Rates {
            base: "EUR".into(),
            rates: [("USD".to_owned(), "0.925".parse().unwrap())].into(),
        };
        assert_eq!(
            rates.convert("1000.10".parse().unwrap(), "USD"),
            Some("925.09".parse().unwrap())
        );
        assert_eq!(
            rates.convert("10".parse().unwrap(), "EUR"),
            Some("10.00".parse().unwrap())
        );
        assert_eq!(rates.convert("10".parse().unwrap(), "GBP"), None);
    }
}
